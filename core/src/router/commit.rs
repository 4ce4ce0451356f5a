//! Group commit: the archive and inbox rows of messages routed at the same time are written in
//! one transaction, so many senders share one commit instead of queueing for the database's
//! write lock one by one (on SQLite a waiting writer sleeps in the busy handler; on PostgreSQL
//! each commit is a WAL flush). A message is still acknowledged only after its rows are
//! committed. When a shared transaction fails, each message of it is retried alone, so one bad
//! message (say, its sender's account removed a moment ago) fails alone.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{mpsc, oneshot};

use crate::archive::{self, IdGenerator, MamId, NewEntry};
use crate::inbox::{self, Activity};
use crate::jid::Jid;
use crate::offline::NewOffline;

use super::Features as Tables;

/// The most messages one transaction takes: large enough to absorb a burst, small enough that
/// one statement stays far below the databases' bind-parameter limits.
const MAX_BATCH: usize = 128;

/// One message's rows: a copy per local party as `(owner id, peer, outgoing)`, and whether to
/// keep it offline for the owner of one copy (the recipient's).
pub struct Rows {
    pub copies: Vec<(i64, Jid, bool)>,
    /// Keep the message offline for `copies[i]`'s owner, under that copy's id.
    pub offline: Option<usize>,
    pub sender: Jid,
    pub origin_id: String,
    pub stanza: String,
    pub micros: i64,
    /// When the offline copy expires (XEP-0023), in microseconds since the epoch.
    pub expires_at: Option<i64>,
}

struct Job {
    rows: Rows,
    /// The archive id of each copy, assigned when the job is queued (a retry keeps them).
    ids: Vec<MamId>,
    done: oneshot::Sender<Result<Written, DbErr>>,
}

/// What was written for one message: its archive rows, and whether it was kept offline
/// (`None`: not asked to; `Some(false)`: over the recipient's bound).
#[derive(Clone, Copy, Debug)]
pub struct Written {
    pub archived: u64,
    pub offline: Option<bool>,
}

/// One queue per writer: messages of one conversation always take the same lane, so they are
/// committed in the order they were submitted (a lane's batches commit one after the other).
pub struct GroupCommit {
    lanes: Vec<mpsc::Sender<Job>>,
    ids: Arc<IdGenerator>,
}

/// A submitted message whose rows are being committed.
pub struct Pending {
    result: oneshot::Receiver<Result<Written, DbErr>>,
    ids: Vec<MamId>,
}

fn stopped() -> DbErr {
    DbErr::Custom("the archive writer has stopped".into())
}

impl GroupCommit {
    /// Starts `writers` tasks (one on SQLite, which has one writer anyway; a few on PostgreSQL,
    /// whose commits can overlap), each with its own lane.
    pub fn start(
        db: DatabaseConnection,
        ids: Arc<IdGenerator>,
        tables: Tables,
        writers: usize,
    ) -> GroupCommit {
        let lanes = (0..writers.max(1))
            .map(|_| {
                let (jobs, queue) = mpsc::channel::<Job>(MAX_BATCH * 8);
                let db = db.clone();
                tokio::spawn(async move { writer(db, tables, queue).await });
                jobs
            })
            .collect();
        GroupCommit { lanes, ids }
    }

    /// Queues one message's rows on the lane `key` picks; the message takes its place in that
    /// lane's order, and its archive ids, as this returns (it waits only when the lane is full).
    pub async fn submit(&self, key: u64, rows: Rows) -> Result<Pending, DbErr> {
        let (done, result) = oneshot::channel();
        let ids: Vec<MamId> = rows.copies.iter().map(|_| self.ids.next()).collect();
        let lane = &self.lanes[(key % self.lanes.len() as u64) as usize];
        let job = Job {
            rows,
            ids: ids.clone(),
            done,
        };
        lane.send(job).await.map_err(|_| stopped())?;
        Ok(Pending { result, ids })
    }
}

impl Pending {
    /// Once the rows are committed: what was written and the archive id of each copy (in the
    /// order of `Rows::copies`).
    pub async fn committed(self) -> Result<(Written, Vec<MamId>), DbErr> {
        let n = self.result.await.map_err(|_| stopped())??;
        Ok((n, self.ids))
    }
}

async fn writer(db: DatabaseConnection, tables: Tables, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if queue.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        crate::metrics::commit_batch(batch.len());
        let rows: Vec<(&Rows, &[MamId])> = batch.iter().map(|j| (&j.rows, &j.ids[..])).collect();
        match write(&db, tables, &rows).await {
            Ok(offline) => {
                for (job, offline) in batch.drain(..).zip(offline) {
                    let archived = archived(tables, &job.rows);
                    let _ = job.done.send(Ok(Written { archived, offline }));
                }
            }
            Err(e) if batch.len() == 1 => {
                let job = batch.pop().expect("one job");
                let _ = job.done.send(Err(e));
            }
            Err(_) => {
                for job in batch.drain(..) {
                    let result =
                        write(&db, tables, &[(&job.rows, &job.ids[..])])
                            .await
                            .map(|offline| Written {
                                archived: archived(tables, &job.rows),
                                offline: offline.first().copied().flatten(),
                            });
                    let _ = job.done.send(result);
                }
            }
        }
    }
}

fn archived(tables: Tables, rows: &Rows) -> u64 {
    if tables.archive {
        rows.copies.len() as u64
    } else {
        0
    }
}

/// Every message's offline rows, its archive rows in one statement, every inbox entry in one
/// upsert, one commit. Answers, per message, whether it was kept offline (when asked).
async fn write(
    db: &DatabaseConnection,
    tables: Tables,
    messages: &[(&Rows, &[MamId])],
) -> Result<Vec<Option<bool>>, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let mut offline: Vec<Option<bool>> = vec![None; messages.len()];
    if let Some(max) = tables.offline {
        let wanted: Vec<(usize, NewOffline)> = messages
            .iter()
            .enumerate()
            .filter_map(|(i, (m, ids))| {
                let copy = m.offline?;
                let new = NewOffline {
                    id: ids[copy],
                    user_id: m.copies[copy].0,
                    sender: &m.sender,
                    stanza: &m.stanza,
                    archived: tables.archive,
                    expires_at: m.expires_at,
                };
                Some((i, new))
            })
            .collect();
        let (at, new): (Vec<usize>, Vec<NewOffline>) = wanted.into_iter().unzip();
        let stored = crate::offline::store_many(&txn, &new, max).await?;
        for (i, s) in at.into_iter().zip(stored) {
            offline[i] = Some(s);
        }
    }
    if tables.archive {
        let entries = messages
            .iter()
            .flat_map(|(m, ids)| {
                m.copies
                    .iter()
                    .zip(ids.iter())
                    .map(|((owner_id, peer, outgoing), id)| {
                        let entry = NewEntry {
                            owner_id: *owner_id,
                            peer,
                            outgoing: *outgoing,
                            sender: &m.sender,
                            origin_id: &m.origin_id,
                            stanza: &m.stanza,
                        };
                        (*id, entry)
                    })
            })
            .collect();
        archive::append_many(&txn, entries).await?;
    }
    if tables.inbox {
        let acts: Vec<Activity> = messages
            .iter()
            .flat_map(|(m, _)| {
                m.copies.iter().map(|(user_id, remote, outgoing)| Activity {
                    user_id: *user_id,
                    remote,
                    content: &m.stanza,
                    msg_id: &m.origin_id,
                    micros: m.micros,
                    incoming: !outgoing,
                })
            })
            .collect();
        inbox::record_many(&txn, &acts).await?;
    }
    txn.commit().await?;
    Ok(offline)
}
