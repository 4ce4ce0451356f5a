//! MUC Light (the reference's `mod_muc_light`): rooms on `muclight.<host>` whose occupants are
//! local accounts, each an owner or a member; a configuration of typed keys; blocking lists.
//!
//! Every change of a room runs in one transaction that locks the room's row ([`store::load`]),
//! decides by the rules of [`room`], writes the room, its archive row and its occupants' inbox
//! entries, and commits; only then are the room's messages routed to the occupants' sessions.
//! Locks are always taken rooms first (by id), then users, so no two transactions wait on each
//! other (see [`store`]). Changes of one room on one node are also serialised in process, through delivery, so
//! every occupant sees the room's messages in archive order.
//!
//! As the room engine of the reference does, invitations, removals and configuration changes
//! are announced to the occupants (and archived, and kept in inboxes: an invitation shows up in
//! the invitee's inbox, a removal moves the room's entry to the removed user's bin). Where the
//! reference differs by accident, mimql follows the spec's rulings: refused requests are errors
//! (ruling 4), configuration changes touch only the keys given (ruling 5), deleting a room
//! deletes its archive and bins its inbox entries (ruling 9), and occupants are told the room
//! is gone.

pub mod blocking;
pub mod config;
pub mod room;
pub mod stanzas;
mod store;

use std::collections::BTreeMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, SqlErr};

use crate::accounts::user_id;
use crate::archive::rooms::{self, RoomArchive, RoomEntry};
use crate::archive::{ArchiveError, Archived, IdGenerator};
use crate::config::MucLightOptions;
use crate::inbox::{self, Activity};
use crate::jid::Jid;
use crate::router::{Envelope, Router};
use crate::striped::Striped;
use crate::xml::{Element, InvalidChar, check_chars};
use blocking::{Change, Denial};
use config::{ConfigError, RoomConfig, Schema};
use room::{Affiliation, Occupant, Policy, Recipient, RoomError};
use store::Loaded;

#[derive(Debug, thiserror::Error)]
pub enum MucLightError {
    /// The domain is not a MUC Light service of this server.
    #[error("MUC Light server not found")]
    ServerNotFound,
    #[error("room not found")]
    RoomNotFound,
    #[error("room already exists")]
    AlreadyExists,
    /// The caller's account is gone.
    #[error("the user does not exist")]
    UserNotFound,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Room(#[from] RoomError),
    /// Blocking lists are switched off (`blocking = false`).
    #[error("blocking is disabled")]
    BlockingDisabled,
    #[error("the body contains {0}")]
    InvalidBody(InvalidChar),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

impl From<ArchiveError> for MucLightError {
    fn from(e: ArchiveError) -> Self {
        match e {
            ArchiveError::Db(e) => MucLightError::Db(e),
        }
    }
}

/// A room as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomView {
    pub jid: Jid,
    pub config: RoomConfig,
    /// Sorted by JID.
    pub occupants: Vec<Occupant>,
}

/// Which other modules the rooms serve.
#[derive(Clone, Copy, Debug)]
pub struct Features {
    /// `mod_muc_light` itself.
    pub enabled: bool,
    /// `mod_mam_muc`: rooms archive what they send.
    pub archive: bool,
    /// `mod_inbox`: occupants' inboxes keep the rooms' messages.
    pub inbox: bool,
}

/// How many times createRoom without an id tries a fresh time-based id.
const CREATE_ATTEMPTS: usize = 10;

pub struct MucLight {
    db: DatabaseConnection,
    hosts: Vec<String>,
    features: Features,
    policy: Policy,
    schema: Schema,
    rooms_in_rosters: bool,
    ids: Arc<IdGenerator>,
    router: Arc<dyn Router>,
    archive: RoomArchive,
    /// One stripe per room: changes to one room wait here before they take its row lock.
    locks: Striped,
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// A version different from `prev` (the room's previous one).
fn next_version(prev: &str) -> String {
    let now = crate::db::now_micros();
    let v = stanzas::time_id(now);
    if v == prev {
        stanzas::time_id(now + 1)
    } else {
        v
    }
}

/// The room's address for an author's messages: `room@service/<author's bare JID>`.
fn occupant_jid(room: &Jid, author: &Jid) -> Result<Jid, MucLightError> {
    Jid::parse_full(&format!("{}/{}", room.bare_string(), author.bare_string())).map_err(|e| {
        MucLightError::Db(DbErr::Custom(format!(
            "room address for {author}: {}",
            e.as_str()
        )))
    })
}

/// One affiliation change in a notification: the user, its account and its new affiliation
/// (`None`: out of the room).
struct AffChange {
    jid: Jid,
    user_id: i64,
    affiliation: Option<Affiliation>,
}

/// Affiliation changes to announce: by whom, the room's new version, and whether the room ends
/// with them.
struct AffEvent<'a> {
    room: &'a Jid,
    author: &'a Jid,
    version: &'a str,
    changes: &'a [AffChange],
    room_ends: bool,
}

impl MucLight {
    pub fn new(
        db: DatabaseConnection,
        hosts: Vec<String>,
        options: &MucLightOptions,
        features: Features,
        ids: Arc<IdGenerator>,
        router: Arc<dyn Router>,
    ) -> Result<MucLight, String> {
        let schema = Schema::from_options(&options.config_schema)?;
        Ok(MucLight {
            archive: RoomArchive::new(db.clone()),
            db,
            hosts,
            features,
            policy: Policy {
                equal_occupants: options.equal_occupants,
                all_can_invite: options.all_can_invite,
                all_can_configure: options.all_can_configure,
                blocking: options.blocking,
                max_occupants: options.max_occupants,
                rooms_per_user: options.rooms_per_user,
            },
            schema,
            rooms_in_rosters: options.rooms_in_rosters,
            ids,
            router,
            locks: Striped::new(256),
        })
    }

    /// Whether rooms are listed in their occupants' rosters.
    pub fn rooms_in_rosters(&self) -> bool {
        self.features.enabled && self.rooms_in_rosters
    }

    /// `muclight.<host>` of a served host, while the module runs. (The reference accepted any
    /// subdomain here, classic MUC services included: rooms of both kinds would then share
    /// names.)
    fn check_service(&self, domain: &str) -> Result<(), MucLightError> {
        let served = domain
            .strip_prefix("muclight.")
            .is_some_and(|h| self.hosts.iter().any(|x| x == h));
        if self.features.enabled && served {
            Ok(())
        } else {
            Err(MucLightError::ServerNotFound)
        }
    }

    async fn account(&self, c: &impl ConnectionTrait, user: &Jid) -> Result<i64, MucLightError> {
        user_id(c, user).await?.ok_or(MucLightError::UserNotFound)
    }

    /// Routes what a committed change sends. The change is durable already, so a routing
    /// fault is logged, not reported: the client must not retry it.
    async fn deliver(&self, envelopes: Vec<Envelope>) {
        for e in envelopes {
            let to = e.to.to_string();
            if let Err(err) = self.router.route(e).await {
                tracing::warn!(%err, %to, "MUC Light delivery");
            }
        }
    }

    /// Keeps a room message in the room's archive (when `mod_mam_muc` runs); answers the id
    /// occupants see.
    async fn archive_message(
        &self,
        txn: &DatabaseTransaction,
        room: &Jid,
        sender: &Jid,
        author: &Jid,
        msg: &Element,
    ) -> Result<Option<String>, DbErr> {
        if !self.features.archive {
            return Ok(None);
        }
        let id = self.ids.next();
        let entry = RoomEntry {
            room,
            sender,
            author,
            stanza: &msg.to_string(),
        };
        rooms::append(txn, id, entry).await?;
        Ok(Some(id.to_base32()))
    }

    async fn record(
        &self,
        txn: &DatabaseTransaction,
        user_id: i64,
        room: &Jid,
        element: &Element,
        incoming: bool,
    ) -> Result<(), DbErr> {
        if !self.features.inbox {
            return Ok(());
        }
        let activity = Activity {
            user_id,
            remote: room,
            content: &element.to_string(),
            msg_id: element.attr("id").unwrap_or_default(),
            micros: crate::db::now_micros(),
            incoming,
        };
        inbox::record(txn, activity).await
    }

    /// Announces affiliation changes as the reference's room does: occupants who stay get
    /// every change with the previous and new version, newcomers their own affiliation with the
    /// version, leavers their removal. Newcomers, promoted owners and leavers get an inbox
    /// entry for it; leavers' entries go to the bin. The room archives the change unless it
    /// ends with it.
    async fn affiliation_event(
        &self,
        txn: &DatabaseTransaction,
        loaded: &Loaded,
        event: AffEvent<'_>,
    ) -> Result<Vec<Envelope>, DbErr> {
        let AffEvent {
            room,
            author,
            version,
            changes,
            room_ends,
        } = event;
        let id = crate::stanza::new_id();
        let listed: Vec<(Jid, Option<&str>)> = changes
            .iter()
            .map(|c| (c.jid.clone(), c.affiliation.map(Affiliation::as_str)))
            .collect();
        let archived = if room_ends {
            None
        } else {
            let msg = stanzas::message(
                &id,
                room,
                stanzas::affiliations(None, Some(version), &listed),
            );
            self.archive_message(txn, room, room, author, &msg).await?
        };
        let archived = archived.as_deref().map(|a| (room, a));
        // Everyone before the change and every newcomer, by JID.
        let mut recipients: BTreeMap<Jid, i64> = loaded
            .occupants()
            .map(|(o, id)| (o.jid.clone(), id))
            .collect();
        recipients.extend(changes.iter().map(|c| (c.jid.clone(), c.user_id)));
        let mut envelopes = Vec::with_capacity(recipients.len());
        for (to, user_id) in recipients {
            let change = changes.iter().find(|c| c.jid == to);
            let was_in = loaded.id_of(&to).is_some();
            let children = match change {
                Some(c) if c.affiliation.is_none() => {
                    stanzas::affiliations(None, None, &[(to.clone(), None)])
                }
                Some(c) if !was_in => stanzas::affiliations(
                    None,
                    Some(version),
                    &[(to.clone(), c.affiliation.map(Affiliation::as_str))],
                ),
                _ => stanzas::affiliations(Some(&loaded.row.version), Some(version), &listed),
            };
            let element = stanzas::addressed(&stanzas::message(&id, room, children), &to, archived);
            if let Some(c) = change {
                self.record(txn, user_id, room, &element, true).await?;
                if c.affiliation.is_none() && self.features.inbox {
                    inbox::move_to_bin(txn, user_id, room).await?;
                }
            }
            envelopes.push(Envelope {
                sender: room.clone(),
                to,
                element,
            });
        }
        Ok(envelopes)
    }

    /// Ends a room in the caller's transaction: its occupants, its row and its archive go;
    /// the occupants' inbox entries for it move to their bins.
    async fn destroy(
        &self,
        txn: &DatabaseTransaction,
        loaded: &Loaded,
        room: &Jid,
    ) -> Result<(), DbErr> {
        if self.features.inbox {
            for (_, user_id) in loaded.occupants() {
                inbox::move_to_bin(txn, user_id, room).await?;
            }
        }
        store::delete_room(txn, loaded.row.id).await?;
        rooms::remove_room(txn, room).await
    }

    /// Loads the room locked, for a change.
    async fn lock(&self, txn: &DatabaseTransaction, room: &Jid) -> Result<Loaded, MucLightError> {
        store::load(txn, room, true)
            .await?
            .ok_or(MucLightError::RoomNotFound)
    }

    /// `createRoom`: the caller becomes the only occupant (owner, or member with
    /// `equal_occupants`). The room's configuration is the schema's defaults with `pairs` over
    /// them; the answer lists only the keys given, as in the reference.
    pub async fn create(
        &self,
        creator: &Jid,
        domain: &str,
        id: Option<&str>,
        pairs: &[(String, String)],
    ) -> Result<RoomView, MucLightError> {
        self.check_service(domain)?;
        let supplied = self.schema.validate(pairs)?;
        let mut config = self.schema.defaults();
        config.extend(supplied.clone());
        let mut micros = crate::db::now_micros();
        for _ in 0..CREATE_ATTEMPTS {
            let node = match id {
                Some(id) => id.to_string(),
                None => stanzas::time_id(micros),
            };
            let room = Jid::from_normalized(&node, domain);
            let txn = crate::db::begin_write(&self.db).await?;
            let creator_id = self.account(&txn, creator).await?;
            // The creator's room count holds still until the end.
            if !store::lock_user_row(&txn, creator_id).await? {
                return Err(MucLightError::UserNotFound);
            }
            let affiliation =
                room::create(store::room_count(&txn, creator_id).await?, &self.policy)?;
            let taken = store::exists(&txn, &room).await?;
            let inserted = if taken {
                None
            } else {
                let version = stanzas::time_id(crate::db::now_micros());
                match store::insert_room(&txn, &room, &config, &version, creator_id, affiliation)
                    .await
                {
                    Ok(_) => Some(()),
                    // Another node took the name between the check and the insert.
                    Err(e) if is_unique_violation(&e) => None,
                    Err(e) => return Err(e.into()),
                }
            };
            match inserted {
                Some(()) => {
                    txn.commit().await?;
                    return Ok(RoomView {
                        jid: room,
                        config: supplied,
                        occupants: vec![Occupant {
                            jid: creator.to_bare(),
                            affiliation,
                        }],
                    });
                }
                None => {
                    txn.rollback().await?;
                    if id.is_some() {
                        return Err(MucLightError::AlreadyExists);
                    }
                    micros = crate::db::now_micros().max(micros + 1);
                }
            }
        }
        Err(DbErr::Custom("no free room id after several attempts".into()).into())
    }

    /// `changeRoomConfiguration`: the keys given change, the others keep their values; the
    /// answer is the whole resulting room. Occupants are told what changed.
    pub async fn configure(
        &self,
        caller: &Jid,
        room: &Jid,
        pairs: &[(String, String)],
    ) -> Result<RoomView, MucLightError> {
        self.check_service(room.domain())?;
        let keys: BTreeMap<&str, ()> = pairs.iter().map(|(k, _)| (k.as_str(), ())).collect();
        let _room = self.locks.of(&room.bare_string()).lock().await;
        let txn = crate::db::begin_write(&self.db).await?;
        let loaded = self.lock(&txn, room).await?;
        loaded
            .room
            .configure(caller, keys.keys().copied(), &self.policy)?;
        let changed = self.schema.validate(pairs)?;
        let mut config = loaded.config(&self.schema)?;
        let view = |config| RoomView {
            jid: room.to_bare(),
            config,
            occupants: loaded.room.occupants().to_vec(),
        };
        if changed.is_empty() {
            txn.rollback().await?;
            return Ok(view(config));
        }
        config.extend(changed.clone());
        let version = next_version(&loaded.row.version);
        store::update_room(&txn, loaded.row.id, Some(&config), &version).await?;
        let id = crate::stanza::new_id();
        let msg = stanzas::message(
            &id,
            room,
            stanzas::configuration(&loaded.row.version, &version, &changed),
        );
        let archived = self.archive_message(&txn, room, room, caller, &msg).await?;
        let envelopes = loaded
            .room
            .occupants()
            .iter()
            .map(|o| Envelope {
                sender: room.to_bare(),
                to: o.jid.clone(),
                element: stanzas::addressed(&msg, &o.jid, archived.as_deref().map(|a| (room, a))),
            })
            .collect();
        txn.commit().await?;
        self.deliver(envelopes).await;
        Ok(view(config))
    }

    /// `inviteUser`: `recipient` (an account of this server) joins as a member.
    pub async fn invite(
        &self,
        caller: &Jid,
        room: &Jid,
        recipient: &Jid,
    ) -> Result<(), MucLightError> {
        self.check_service(room.domain())?;
        let _room = self.locks.of(&room.bare_string()).lock().await;
        let txn = crate::db::begin_write(&self.db).await?;
        let loaded = self.lock(&txn, room).await?;
        let mut recipient_id = user_id(&txn, recipient).await?;
        if let Some(id) = recipient_id {
            // The recipient's blocking list and room count hold still until the end.
            if !store::lock_user_row(&txn, id).await? {
                recipient_id = None;
            }
        }
        let facts = match recipient_id {
            Some(id) => {
                let denials = store::denials_for(&txn, id, caller, room).await?;
                Some((
                    id,
                    blocking::denies(&denials, caller, room),
                    store::room_count(&txn, id).await?,
                ))
            }
            None => None,
        };
        let occupant = loaded.room.invite(
            caller,
            facts.map(|(_, blocks, rooms)| Recipient {
                jid: recipient,
                blocks,
                rooms,
            }),
            &self.policy,
        )?;
        let Some((recipient_id, _, _)) = facts else {
            return Err(RoomError::UnknownRecipient.into());
        };
        store::add_occupant(&txn, loaded.row.id, recipient_id, occupant.affiliation).await?;
        let version = next_version(&loaded.row.version);
        store::update_room(&txn, loaded.row.id, None, &version).await?;
        let change = AffChange {
            jid: occupant.jid,
            user_id: recipient_id,
            affiliation: Some(occupant.affiliation),
        };
        let envelopes = self
            .affiliation_event(
                &txn,
                &loaded,
                AffEvent {
                    room,
                    author: caller,
                    version: &version,
                    changes: &[change],
                    room_ends: false,
                },
            )
            .await?;
        txn.commit().await?;
        self.deliver(envelopes).await;
        Ok(())
    }

    /// `kickUser`: removes `target` (the caller leaves when it is the caller). A leaving
    /// owner's successor is promoted; the last occupant leaving ends the room.
    pub async fn kick(&self, caller: &Jid, room: &Jid, target: &Jid) -> Result<(), MucLightError> {
        self.check_service(room.domain())?;
        let _room = self.locks.of(&room.bare_string()).lock().await;
        let txn = crate::db::begin_write(&self.db).await?;
        let loaded = self.lock(&txn, room).await?;
        let removal = loaded.room.remove(caller, target)?;
        let envelopes = self
            .apply_removal(&txn, &loaded, room, caller, removal)
            .await?;
        txn.commit().await?;
        self.deliver(envelopes).await;
        Ok(())
    }

    async fn apply_removal(
        &self,
        txn: &DatabaseTransaction,
        loaded: &Loaded,
        room: &Jid,
        author: &Jid,
        removal: room::Removal,
    ) -> Result<Vec<Envelope>, MucLightError> {
        let missing = || DbErr::Custom(format!("room {room}: an occupant without an account"));
        let removed_id = loaded.id_of(&removal.removed.jid).ok_or_else(missing)?;
        store::remove_occupant(txn, loaded.row.id, removed_id).await?;
        let mut changes = vec![AffChange {
            jid: removal.removed.jid.clone(),
            user_id: removed_id,
            affiliation: None,
        }];
        if let Some(promoted) = &removal.promoted {
            let id = loaded.id_of(promoted).ok_or_else(missing)?;
            store::set_affiliation(txn, loaded.row.id, id, Affiliation::Owner).await?;
            changes.push(AffChange {
                jid: promoted.clone(),
                user_id: id,
                affiliation: Some(Affiliation::Owner),
            });
        }
        let version = next_version(&loaded.row.version);
        if !removal.destroyed {
            store::update_room(txn, loaded.row.id, None, &version).await?;
        }
        let envelopes = self
            .affiliation_event(
                txn,
                loaded,
                AffEvent {
                    room,
                    author,
                    version: &version,
                    changes: &changes,
                    room_ends: removal.destroyed,
                },
            )
            .await?;
        if removal.destroyed {
            self.destroy(txn, loaded, room).await?;
        }
        Ok(envelopes)
    }

    /// `deleteRoom`: the owner ends the room; every occupant is told and finds the room's inbox
    /// entry in the bin; the archive goes.
    pub async fn delete<'a>(
        &self,
        caller: impl Into<room::Actor<'a>>,
        room: &Jid,
    ) -> Result<(), MucLightError> {
        self.check_service(room.domain())?;
        let _room = self.locks.of(&room.bare_string()).lock().await;
        let txn = crate::db::begin_write(&self.db).await?;
        let loaded = self.lock(&txn, room).await?;
        loaded.room.delete(caller)?;
        let id = crate::stanza::new_id();
        let mut envelopes = Vec::new();
        for (o, user_id) in loaded.occupants() {
            let msg = stanzas::message(&id, room, stanzas::destroyed(&o.jid));
            let element = stanzas::addressed(&msg, &o.jid, None);
            self.record(&txn, user_id, room, &element, true).await?;
            envelopes.push(Envelope {
                sender: room.to_bare(),
                to: o.jid.clone(),
                element,
            });
        }
        self.destroy(&txn, &loaded, room).await?;
        txn.commit().await?;
        self.deliver(envelopes).await;
        Ok(())
    }

    /// `sendMessageToRoom`: archived once for the room, recorded in every occupant's inbox
    /// (read for the author), then delivered to every occupant, the author included.
    pub async fn send(&self, caller: &Jid, room: &Jid, body: &str) -> Result<(), MucLightError> {
        self.check_service(room.domain())?;
        check_chars(body).map_err(MucLightError::InvalidBody)?;
        let _room = self.locks.of(&room.bare_string()).lock().await;
        let txn = crate::db::begin_write(&self.db).await?;
        let loaded = self.lock(&txn, room).await?;
        loaded.room.member(caller)?;
        let author = caller.to_bare();
        let sender = occupant_jid(room, &author)?;
        let msg = stanzas::message(&crate::stanza::new_id(), &sender, stanzas::body(body));
        let archived = self
            .archive_message(&txn, room, &sender, &author, &msg)
            .await?;
        let mut envelopes = Vec::new();
        for (o, user_id) in loaded.occupants() {
            let element = stanzas::addressed(&msg, &o.jid, archived.as_deref().map(|a| (room, a)));
            self.record(&txn, user_id, room, &element, o.jid != author)
                .await?;
            envelopes.push(Envelope {
                sender: sender.clone(),
                to: o.jid.clone(),
                element,
            });
        }
        txn.commit().await?;
        self.deliver(envelopes).await;
        Ok(())
    }

    /// The room, for one of its occupants.
    async fn read<'a>(
        &self,
        caller: impl Into<room::Actor<'a>>,
        room: &Jid,
    ) -> Result<Loaded, MucLightError> {
        self.check_service(room.domain())?;
        let loaded = store::load(&self.db, room, false)
            .await?
            .ok_or(MucLightError::RoomNotFound)?;
        loaded.room.readable_by(caller)?;
        Ok(loaded)
    }

    /// `getRoomConfig`, `listRoomUsers`: the whole room.
    pub async fn room<'a>(
        &self,
        caller: impl Into<room::Actor<'a>>,
        room: &Jid,
    ) -> Result<RoomView, MucLightError> {
        let loaded = self.read(caller, room).await?;
        Ok(RoomView {
            jid: room.to_bare(),
            config: loaded.config(&self.schema)?,
            occupants: loaded.room.occupants().to_vec(),
        })
    }

    /// `getRoomMessages`: the newest `limit` archived messages at or before `before_micros`,
    /// oldest first.
    pub async fn messages<'a>(
        &self,
        caller: impl Into<room::Actor<'a>>,
        room: &Jid,
        before_micros: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Archived>, MucLightError> {
        self.read(caller, room).await?;
        Ok(self.archive.messages(room, before_micros, limit).await?)
    }

    /// `listRooms`: the rooms the user occupies, by JID.
    pub async fn rooms_of(&self, user: &Jid) -> Result<Vec<Jid>, MucLightError> {
        Ok(self
            .rooms_with_config(user)
            .await?
            .into_iter()
            .map(|(j, _)| j)
            .collect())
    }

    async fn rooms_with_config(&self, user: &Jid) -> Result<Vec<(Jid, RoomConfig)>, MucLightError> {
        let Some(id) = user_id(&self.db, user).await? else {
            return Ok(Vec::new());
        };
        let mut rooms = Vec::new();
        for row in store::rooms_of(&self.db, id).await? {
            let jid = Jid::parse_bare(&row.jid)
                .map_err(|_| DbErr::Custom(format!("stored room JID {:?}", row.jid)))?;
            rooms.push((jid, store::config_of(&row, &self.schema)?));
        }
        rooms.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(rooms)
    }

    /// The rooms to list in the user's roster: each with its name (`roomname`, or the room's
    /// local part when the schema has none), by JID.
    pub async fn roster_rooms(&self, user: &Jid) -> Result<Vec<(Jid, String)>, MucLightError> {
        Ok(self
            .rooms_with_config(user)
            .await?
            .into_iter()
            .map(|(jid, mut config)| {
                let name = config
                    .remove("roomname")
                    .unwrap_or_else(|| jid.node().to_string());
                (jid, name)
            })
            .collect())
    }

    /// `getBlockingList`, in storage order.
    pub async fn blocking_list(&self, user: &Jid) -> Result<Vec<Denial>, MucLightError> {
        let id = self.account(&self.db, user).await?;
        Ok(store::denials(&self.db, id)
            .await?
            .into_iter()
            .map(|(_, d)| d)
            .collect())
    }

    /// `setBlockingList`: applies the changes in order.
    pub async fn set_blocking(&self, user: &Jid, changes: &[Change]) -> Result<(), MucLightError> {
        if !self.policy.blocking {
            return Err(MucLightError::BlockingDisabled);
        }
        let txn = crate::db::begin_write(&self.db).await?;
        let id = self.account(&txn, user).await?;
        if !store::lock_user_row(&txn, id).await? {
            return Err(MucLightError::UserNotFound);
        }
        let current = store::denials(&txn, id).await?;
        let list: Vec<Denial> = current.iter().map(|(_, d)| d.clone()).collect();
        let wanted = blocking::apply(&list, changes);
        let gone = current
            .iter()
            .filter(|(_, d)| !wanted.contains(d))
            .map(|(id, _)| *id)
            .collect();
        store::delete_denials(&txn, gone).await?;
        for d in wanted.iter().filter(|d| !list.contains(d)) {
            store::insert_denial(&txn, id, d).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// Part of removing an account, before the user's row is locked: the rooms it occupies are
/// locked first, as every transaction locks rooms before users.
pub async fn lock_rooms_of<C: ConnectionTrait>(c: &C, user: &Jid) -> Result<(), DbErr> {
    match user_id(c, user).await? {
        Some(id) => store::lock_rooms_of(c, id).await,
        None => Ok(()),
    }
}

/// Part of removing an account (inside its transaction, the user's row locked already): the
/// user leaves every room, as if kicked but without notifications; a leaving owner's successor
/// is promoted, rooms left empty end (with their archives). Its blocking list goes.
pub async fn remove_user<C: ConnectionTrait>(c: &C, user_id: i64) -> Result<(), DbErr> {
    store::delete_user_denials(c, user_id).await?;
    let rooms = store::rooms_of(c, user_id).await?;
    let ids: Vec<i64> = rooms.iter().map(|r| r.id).collect();
    store::lock_rooms(c, &ids).await?;
    for row in rooms {
        let Ok(room) = Jid::parse_bare(&row.jid) else {
            continue;
        };
        let Some(loaded) = store::load(c, &room, false).await? else {
            continue;
        };
        let Some(jid) = loaded
            .occupants()
            .find(|(_, id)| *id == user_id)
            .map(|(o, _)| o.jid.clone())
        else {
            continue;
        };
        let Ok(removal) = loaded.room.without(&jid) else {
            continue;
        };
        store::remove_occupant(c, row.id, user_id).await?;
        if removal.destroyed {
            store::delete_room(c, row.id).await?;
            rooms::remove_room(c, &room).await?;
            continue;
        }
        if let Some(id) = removal.promoted.as_ref().and_then(|p| loaded.id_of(p)) {
            store::set_affiliation(c, row.id, id, Affiliation::Owner).await?;
        }
        store::update_room(c, row.id, None, &next_version(&row.version)).await?;
    }
    Ok(())
}
