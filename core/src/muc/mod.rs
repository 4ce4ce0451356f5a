//! Classic multi-user chat (the reference's `mod_muc`): rooms on `muc.<host>` with a
//! configuration, affiliations (by bare JID) and occupants (real JIDs with a nick and a role).
//!
//! Room state lives in the database, so any node serves any room. Every change runs in one
//! transaction that locks the room's row ([`store::load`]), decides by the rules of [`room`],
//! writes what changed (and the room's archive row for a message), and commits; only then are
//! messages routed to the occupants' sessions through the [`Router`], which reaches sessions on
//! every node. Changes of one room on one node are also serialised in process, through
//! delivery, so every occupant sees the room's messages in archive order.
//!
//! Where the reference reports success for something its room engine then refused (a join with
//! a wrong password, a kick of an owner, a message from a non-occupant), mimql reports the
//! refusal (ruling 4). Occupancy is the API's, not tied to a live session: an occupant stays
//! until it exits, is kicked or banned, or its account is removed.

pub mod room;
mod stanzas;
mod store;

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, SqlErr};

use crate::archive::rooms::{self, RoomArchive, RoomEntry};
use crate::archive::{ArchiveError, Archived, IdGenerator};
use crate::config::MucOptions;
use crate::jid::Jid;
use crate::router::{Envelope, Router};
use crate::sessions::{SessionError, SessionRegistry};
use crate::striped::Striped;
use crate::xml::{InvalidChar, check_chars};
use room::{Actor, Affiliation, ConfigChange, Desc, Joined, Role, Room, RoomConfig, RoomError};

#[derive(Debug, thiserror::Error)]
pub enum MucError {
    /// The domain is not a MUC service of this server.
    #[error("MUC server not found")]
    ServerNotFound,
    #[error("room not found")]
    RoomNotFound,
    /// The caller's account is gone (removed while the request ran).
    #[error("the user does not exist")]
    UserNotFound,
    /// A message without a resource from a user without a session.
    #[error("the user has no session")]
    NoSession,
    /// `createInstantRoom` of a room that exists and refuses the caller.
    #[error("the room exists and cannot be entered: {0}")]
    Exists(RoomError),
    #[error(transparent)]
    Room(#[from] RoomError),
    /// A string to store (`what`) holds a character XML cannot carry.
    #[error("{0} contains {1}")]
    InvalidChar(&'static str, InvalidChar),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Sessions(#[from] SessionError),
    /// The user created this many rooms, which all still exist (`max_muc_rooms_per_user`).
    #[error("the user created {0} rooms already")]
    TooManyRooms(usize),
}

impl From<ArchiveError> for MucError {
    fn from(e: ArchiveError) -> Self {
        match e {
            ArchiveError::Db(e) => MucError::Db(e),
        }
    }
}

/// An occupant as `listRoomUsers` shows it: the real JID only to those who may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserView {
    pub jid: Option<Jid>,
    pub nick: String,
    pub role: Role,
}

/// One page of `listRooms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomsPage {
    pub rooms: Vec<(Jid, Desc)>,
    /// How many rooms the user may see.
    pub count: usize,
    /// Position of the page's first room, its name and its last room's (`None` when empty).
    pub index: Option<usize>,
    pub first: Option<String>,
    pub last: Option<String>,
}

/// Which other modules the rooms serve.
#[derive(Clone, Copy, Debug)]
pub struct Features {
    /// `mod_muc` itself.
    pub enabled: bool,
    /// `mod_mam_muc`: rooms archive their messages.
    pub archive: bool,
}

/// A room read for a change, its row locked until the transaction ends.
struct Locked {
    txn: DatabaseTransaction,
    id: i64,
    before: Room,
    room: Room,
}

/// How many of a message's copies are routed at once.
const FANOUT: usize = 32;

fn check(what: &'static str, s: &str) -> Result<(), MucError> {
    check_chars(s).map_err(|c| MucError::InvalidChar(what, c))
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub struct Muc {
    db: DatabaseConnection,
    hosts: Vec<String>,
    features: Features,
    ids: Arc<IdGenerator>,
    router: Arc<dyn Router>,
    sessions: Arc<dyn SessionRegistry>,
    archive: RoomArchive,
    /// One stripe per room: changes to one room wait here before they take its row lock.
    locks: Striped,
    /// The configuration of new rooms.
    default_room: RoomConfig,
    /// Rooms one user may have created (and not deleted).
    max_rooms_per_user: usize,
}

impl Muc {
    pub fn new(
        db: DatabaseConnection,
        hosts: Vec<String>,
        options: &MucOptions,
        features: Features,
        ids: Arc<IdGenerator>,
        router: Arc<dyn Router>,
        sessions: Arc<dyn SessionRegistry>,
    ) -> Muc {
        Muc {
            max_rooms_per_user: usize::MAX,
            default_room: RoomConfig::from(&options.default_room),
            archive: RoomArchive::new(db.clone()),
            db,
            hosts,
            features,
            ids,
            router,
            sessions,
            locks: Striped::new(256),
        }
    }

    /// Bounds the rooms one user may have created (and not deleted); unbounded by default.
    pub fn with_max_rooms_per_user(mut self, max: usize) -> Muc {
        self.max_rooms_per_user = max;
        self
    }

    /// `muc.<host>` of a served host, while the module runs.
    fn check_service(&self, domain: &str) -> Result<(), MucError> {
        let served = domain
            .strip_prefix("muc.")
            .is_some_and(|h| self.hosts.iter().any(|x| x == h));
        if self.features.enabled && served {
            Ok(())
        } else {
            Err(MucError::ServerNotFound)
        }
    }

    /// The room's row locked, for a change.
    async fn lock(&self, room: &Jid) -> Result<Locked, MucError> {
        self.check_service(room.domain())?;
        let txn = crate::db::begin_write(&self.db).await?;
        let loaded = store::load(&txn, room, true)
            .await?
            .ok_or(MucError::RoomNotFound)?;
        Ok(Locked {
            txn,
            id: loaded.id,
            before: loaded.room.clone(),
            room: loaded.room,
        })
    }

    /// Writes the change and commits; a room that ends with it (not persistent and empty) is
    /// deleted with its archive. Answers whether it ended.
    async fn commit(&self, l: Locked, jid: &Jid) -> Result<bool, MucError> {
        let ends = l.room.ends();
        if ends {
            store::delete(&l.txn, l.id).await?;
            rooms::remove_room(&l.txn, jid).await?;
        } else if l.room != l.before {
            store::save(&l.txn, l.id, &l.before, &l.room).await?;
        }
        l.txn.commit().await?;
        Ok(ends)
    }

    /// Applies one rule to the room under its locks and commits what the rule changed.
    async fn change<T>(
        &self,
        room: &Jid,
        rule: impl FnOnce(&mut Room) -> Result<T, RoomError>,
    ) -> Result<T, MucError> {
        let _room = self.locks.of(&room.bare_string()).lock().await;
        let mut l = self.lock(room).await?;
        let out = rule(&mut l.room)?;
        self.commit(l, room).await?;
        Ok(out)
    }

    /// The room, for reading.
    async fn read(&self, room: &Jid) -> Result<Room, MucError> {
        self.check_service(room.domain())?;
        Ok(store::load(&self.db, room, false)
            .await?
            .ok_or(MucError::RoomNotFound)?
            .room)
    }

    /// Routes what a committed change sends, up to [`FANOUT`] envelopes at a time (each goes
    /// to another occupant, so no occupant's order changes; with several nodes each routing
    /// looks the recipient's sessions up in the database). The change is durable already, so
    /// a routing fault is logged, not reported: the client must not retry it.
    async fn deliver(&self, envelopes: Vec<Envelope>) {
        use futures_util::StreamExt;
        futures_util::stream::iter(envelopes)
            .map(|e| async move {
                let to = e.to.to_string();
                if let Err(err) = self.router.route(e).await {
                    tracing::warn!(%err, %to, "MUC delivery");
                }
            })
            .buffer_unordered(FANOUT)
            .collect::<()>()
            .await;
    }

    /// Enters the real JID `jid` into `room` as `nick` (or changes its nick); a room that does
    /// not exist is created, `jid` its first occupant and its user the owner. Answers how it
    /// went and the room after.
    async fn join_or_create(
        &self,
        room: &Jid,
        jid: &Jid,
        nick: &str,
        password: Option<&str>,
    ) -> Result<(Joined, Room), MucError> {
        self.check_service(room.domain())?;
        let user = jid.to_bare();
        let _room = self.locks.of(&room.bare_string()).lock().await;
        // Two attempts: another node may create the room between the check and the insert.
        for _ in 0..2 {
            let txn = crate::db::begin_write(&self.db).await?;
            let loaded = store::load(&txn, room, true).await?;
            // Creating: the account's row for update, so the count below is exact.
            if !store::lock_account(&txn, &user, loaded.is_none()).await? {
                return Err(MucError::UserNotFound);
            }
            if let Some(loaded) = loaded {
                let mut l = Locked {
                    txn,
                    id: loaded.id,
                    before: loaded.room.clone(),
                    room: loaded.room,
                };
                let joined = l.room.join(jid, nick, password)?;
                let after = l.room.clone();
                self.commit(l, room).await?;
                return Ok((joined, after));
            }
            let created = store::created_by(&txn, &user).await?;
            if created >= self.max_rooms_per_user as u64 {
                return Err(MucError::TooManyRooms(self.max_rooms_per_user));
            }
            let state = Room::instant(jid, nick, self.default_room.clone());
            match store::insert(&txn, room, &state, &user).await {
                Ok(_) => {
                    txn.commit().await?;
                    return Ok((Joined::Entered, state));
                }
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(MucError::Db(DbErr::Custom(format!(
            "room {room}: created and deleted concurrently"
        ))))
    }

    /// `createInstantRoom`: a new room with the default configuration, the caller (by bare
    /// JID) its owner and first occupant. A room that exists already is entered as by
    /// `enterRoom`; when it refuses the caller, creation fails. Answers the room as the caller
    /// sees it.
    pub async fn create_instant(
        &self,
        caller: &Jid,
        room: &Jid,
        nick: &str,
    ) -> Result<Desc, MucError> {
        let user = caller.to_bare();
        let (_, state) =
            self.join_or_create(room, &user, nick, None)
                .await
                .map_err(|e| match e {
                    MucError::Room(e) => MucError::Exists(e),
                    e => e,
                })?;
        state
            .desc_for(&user, room.node())
            .ok_or(MucError::RoomNotFound)
    }

    /// `enterRoom`: `caller/resource` enters as `nick` (or changes its nick). A room that does
    /// not exist is created, with the caller its owner, as the reference's join does.
    pub async fn enter(
        &self,
        caller: &Jid,
        room: &Jid,
        nick: &str,
        resource: &str,
        password: Option<&str>,
    ) -> Result<Joined, MucError> {
        // The scalar has resourceprepped it already.
        let jid = caller
            .to_bare()
            .with_resource(resource)
            .map_err(|e| MucError::Db(DbErr::Custom(format!("resource: {}", e.as_str()))))?;
        Ok(self.join_or_create(room, &jid, nick, password).await?.0)
    }

    /// `exitRoom`: `caller/resource` leaves; it must be in the room as `nick`.
    pub async fn exit(
        &self,
        caller: &Jid,
        room: &Jid,
        nick: &str,
        resource: &str,
    ) -> Result<(), MucError> {
        let jid = caller
            .to_bare()
            .with_resource(resource)
            .map_err(|_| MucError::Room(RoomError::NotOccupant))?;
        self.change(room, |r| r.leave(&jid, nick)).await.map(drop)
    }

    /// `getRoomConfig` (owners only).
    pub async fn config<'a>(
        &self,
        caller: impl Into<Actor<'a>>,
        room: &Jid,
    ) -> Result<RoomConfig, MucError> {
        let state = self.read(room).await?;
        state.require_owner(caller, room::OwnerAction::ReadConfig)?;
        Ok(state.config)
    }

    /// `changeRoomConfiguration` (owners only): answers the resulting configuration.
    pub async fn configure<'a>(
        &self,
        caller: impl Into<Actor<'a>>,
        room: &Jid,
        change: ConfigChange,
    ) -> Result<RoomConfig, MucError> {
        let caller = caller.into();
        for (what, s) in change.strings() {
            check(what, s)?;
        }
        self.change(room, |r| {
            r.configure(caller, change)?;
            Ok(r.config.clone())
        })
        .await
    }

    /// `deleteRoom` (owners only): the room goes with its archive; every occupant is told it
    /// was destroyed, with the reason (XEP-0045 §10.9).
    pub async fn delete<'a>(
        &self,
        caller: impl Into<Actor<'a>>,
        room: &Jid,
        reason: &str,
    ) -> Result<(), MucError> {
        check("The reason", reason)?;
        let _room = self.locks.of(&room.bare_string()).lock().await;
        let l = self.lock(room).await?;
        l.room.require_owner(caller, room::OwnerAction::Delete)?;
        let mut envelopes = Vec::with_capacity(l.room.occupants.len());
        for o in &l.room.occupants {
            let sender = stanzas::occupant_jid(room, &o.nick)?;
            envelopes.push(Envelope {
                element: stanzas::destroyed(&sender, &o.jid, reason),
                sender,
                to: o.jid.clone(),
            });
        }
        store::delete(&l.txn, l.id).await?;
        rooms::remove_room(&l.txn, room).await?;
        l.txn.commit().await?;
        self.deliver(envelopes).await;
        Ok(())
    }

    /// `listRoomUsers` (read access): every occupant in join order.
    pub async fn users<'a>(
        &self,
        caller: impl Into<Actor<'a>>,
        room: &Jid,
    ) -> Result<Vec<UserView>, MucError> {
        let caller = caller.into();
        let state = self.read(room).await?;
        state.require_read(caller)?;
        let show = state.shows_jids_to(caller);
        Ok(state
            .occupants
            .into_iter()
            .map(|o| UserView {
                jid: show.then_some(o.jid),
                nick: o.nick,
                role: o.role,
            })
            .collect())
    }

    /// `listRoomAffiliations` (read access), by JID; `none` is never stored.
    pub async fn affiliations<'a>(
        &self,
        caller: impl Into<Actor<'a>>,
        room: &Jid,
        filter: Option<Affiliation>,
    ) -> Result<Vec<(Jid, Affiliation)>, MucError> {
        let state = self.read(room).await?;
        state.require_read(caller)?;
        Ok(state
            .affiliations
            .into_iter()
            .filter(|(_, a)| filter.is_none_or(|f| f == *a))
            .collect())
    }

    /// `getRoomMessages` (read access): the newest `limit` archived messages at or before
    /// `before_micros`, oldest first.
    pub async fn messages<'a>(
        &self,
        caller: impl Into<Actor<'a>>,
        room: &Jid,
        before_micros: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Archived>, MucError> {
        self.read(room).await?.require_read(caller)?;
        Ok(self.archive.messages(room, before_micros, limit).await?)
    }

    /// `kickUser`: one of the caller's moderator occupants removes the occupant `nick`.
    pub async fn kick<'a>(
        &self,
        caller: impl Into<Actor<'a>>,
        room: &Jid,
        nick: &str,
    ) -> Result<(), MucError> {
        let caller = caller.into();
        self.change(room, |r| r.kick(caller, nick)).await.map(drop)
    }

    /// `setUserRole`.
    pub async fn set_role<'a>(
        &self,
        caller: impl Into<Actor<'a>>,
        room: &Jid,
        nick: &str,
        role: Role,
    ) -> Result<(), MucError> {
        let caller = caller.into();
        self.change(room, |r| r.set_role(caller, nick, role)).await
    }

    /// `setUserAffiliation`.
    pub async fn set_affiliation<'a>(
        &self,
        caller: impl Into<Actor<'a>>,
        room: &Jid,
        target: &Jid,
        aff: Affiliation,
    ) -> Result<(), MucError> {
        let caller = caller.into();
        self.change(room, |r| r.set_affiliation(caller, target, aff))
            .await
            .map(drop)
    }

    /// The JID a message comes from: `caller/resource`, or with no resource one of the
    /// caller's occupants in the room (the caller must have a session, as in the reference).
    async fn speaker_jid(
        &self,
        caller: &Jid,
        resource: Option<&str>,
    ) -> Result<Option<Jid>, MucError> {
        match resource {
            Some(r) => caller
                .to_bare()
                .with_resource(r)
                .map(Some)
                .map_err(|_| MucError::Room(RoomError::NotOccupant)),
            None => {
                if self
                    .sessions
                    .sessions_of(&caller.to_bare())
                    .await?
                    .is_empty()
                {
                    return Err(MucError::NoSession);
                }
                Ok(None)
            }
        }
    }

    /// `sendMessageToRoom`: archived once for the room (when `mod_mam_muc` runs), then
    /// delivered to every occupant, the sender included, from `room/<sender's nick>`.
    pub async fn send(
        &self,
        caller: &Jid,
        room: &Jid,
        body: &str,
        resource: Option<&str>,
    ) -> Result<(), MucError> {
        self.check_service(room.domain())?;
        check("The body", body)?;
        let speaker = self.speaker_jid(caller, resource).await?;
        let _room = self.locks.of(&room.bare_string()).lock().await;
        let l = self.lock(room).await?;
        let from = l.room.speaker(caller, speaker.as_ref())?;
        l.room.may_broadcast(from)?;
        let sender = stanzas::occupant_jid(room, &from.nick)?;
        let msg = stanzas::groupchat(&crate::stanza::new_id(), &sender, body);
        let archived = if self.features.archive {
            let id = self.ids.next();
            let entry = RoomEntry {
                room,
                sender: &sender,
                author: &caller.to_bare(),
                stanza: &msg.to_string(),
            };
            rooms::append(&l.txn, id, entry).await?;
            Some(id.to_base32())
        } else {
            None
        };
        let envelopes = l
            .room
            .occupants
            .iter()
            .map(|o| Envelope {
                sender: sender.clone(),
                to: o.jid.clone(),
                element: stanzas::addressed(&msg, &o.jid, archived.as_deref().map(|a| (room, a))),
            })
            .collect();
        l.txn.commit().await?;
        self.deliver(envelopes).await;
        Ok(())
    }

    /// `sendPrivateMessage`: a `chat` message from `room/<sender's nick>` to the occupant
    /// `to_nick`'s real JID.
    pub async fn send_private(
        &self,
        caller: &Jid,
        room: &Jid,
        to_nick: &str,
        body: &str,
        resource: Option<&str>,
    ) -> Result<(), MucError> {
        self.check_service(room.domain())?;
        check("The body", body)?;
        let speaker = self.speaker_jid(caller, resource).await?;
        let _room = self.locks.of(&room.bare_string()).lock().await;
        let state = self.read(room).await?;
        let from = state.speaker(caller, speaker.as_ref())?;
        let to = state.private_to(to_nick)?;
        let sender = stanzas::occupant_jid(room, &from.nick)?;
        let msg = stanzas::private(&crate::stanza::new_id(), &sender, &to.jid, body);
        let envelope = Envelope {
            sender,
            to: to.jid.clone(),
            element: msg,
        };
        self.deliver(vec![envelope]).await;
        Ok(())
    }

    /// `inviteUser` (read access): a direct invitation (XEP-0249) from the caller's bare JID.
    pub async fn invite(
        &self,
        caller: &Jid,
        room: &Jid,
        recipient: &Jid,
        reason: &str,
    ) -> Result<(), MucError> {
        check("The reason", reason)?;
        let state = self.read(room).await?;
        state.require_read(caller)?;
        let password = state
            .config
            .password_protected
            .then_some(state.config.password.as_str());
        let from = caller.to_bare();
        let element = stanzas::invitation(&from, recipient, room, reason, password);
        self.router
            .route(Envelope {
                sender: from,
                to: recipient.clone(),
                element,
            })
            .await
            .map_err(|e| match e {
                crate::router::RouteError::Db(e) => MucError::Db(e),
                crate::router::RouteError::Sessions(e) => MucError::Sessions(e),
            })
    }

    /// `listRooms`: the rooms of `service` the caller may see, by name, paged.
    pub async fn list(
        &self,
        caller: &Jid,
        service: &str,
        limit: Option<usize>,
        index: Option<usize>,
    ) -> Result<RoomsPage, MucError> {
        let light = service
            .strip_prefix("muclight.")
            .is_some_and(|h| self.hosts.iter().any(|x| x == h));
        if light {
            // A MUC Light service lists no classic rooms, as in the reference.
            return Ok(RoomsPage {
                rooms: Vec::new(),
                count: 0,
                index: None,
                first: None,
                last: None,
            });
        }
        self.check_service(service)?;
        // The count and the page in SQL, in one transaction: the cost depends on the page and
        // on the caller's own rooms, not on the rooms of the service (beyond counting its
        // public rooms on an index).
        let txn = sea_orm::TransactionTrait::begin(&self.db).await?;
        let count = store::count_visible(&txn, service, caller).await?;
        let start = index.unwrap_or(0);
        let rows =
            store::page_visible(&txn, service, caller, limit.map(|l| l as u64), start as u64)
                .await?;
        txn.commit().await?;
        let page: Vec<(Jid, Desc)> = rows
            .into_iter()
            .filter_map(|r| {
                let desc = Desc::listed(&r.config, &r.name, r.privileged, r.users)?;
                Some((Jid::from_normalized(&r.name, service), desc))
            })
            .collect();
        Ok(RoomsPage {
            index: (!page.is_empty()).then_some(start),
            first: page.first().map(|(j, _)| j.node().to_string()),
            last: page.last().map(|(j, _)| j.node().to_string()),
            rooms: page,
            count,
        })
    }
}

/// Part of removing an account, before the user's row is locked: the rooms where the user is
/// an occupant or has an affiliation are locked first, as every transaction locks rooms before
/// users.
pub async fn lock_rooms_of<C: ConnectionTrait>(c: &C, user: &Jid) -> Result<(), DbErr> {
    store::lock_rooms_of(c, user).await.map(drop)
}

/// Part of removing an account (inside its transaction): the user's occupants and affiliations
/// go. A room left without an owner (nobody could configure or delete it) or, not persistent,
/// without occupants ends, with its archive.
pub async fn remove_user<C: ConnectionTrait>(c: &C, user: &Jid) -> Result<(), DbErr> {
    let bare = user.to_bare();
    for row in store::lock_rooms_of(c, &bare).await? {
        let jid = store::jid_of(&row);
        let Some(loaded) = store::load(c, &jid, false).await? else {
            continue;
        };
        let mut state = loaded.room.clone();
        state.affiliations.remove(&bare);
        state.occupants.retain(|o| o.jid.to_bare() != bare);
        if state.ends() || !state.has_owner() {
            store::delete(c, loaded.id).await?;
            rooms::remove_room(c, &jid).await?;
        } else {
            store::save(c, loaded.id, &loaded.room, &state).await?;
        }
    }
    Ok(())
}
