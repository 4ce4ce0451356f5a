//! Shared server state, built once at start and handed to both APIs: the configuration and the
//! services (each owns its transactions and has its own error type).

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::accounts::{AccountError, Accounts};
use crate::archive::rooms::RoomArchive;
use crate::archive::{Archive, IdGenerator};
use crate::config::Config;
use crate::inbox::Inbox;
use crate::jid::Jid;
use crate::last::{LastActivity, LastError};
use crate::muc::Muc;
use crate::muc_light::MucLight;
use crate::muc_light::MucLightError;
use crate::private::PrivateStorage;
use crate::roster::{Item, Roster, RosterError};
use crate::router::{Features, Router, StandardRouter};
use crate::sessions::{LocalSessions, SessionRegistry};
use crate::token::Tokens;
use crate::upload::Uploads;
use crate::vcard::Vcards;

/// Why [`AppState::contacts`] failed: the roster itself, or the MUC Light rooms shown in it.
#[derive(Debug, thiserror::Error)]
pub enum ContactsError {
    #[error(transparent)]
    Roster(#[from] RosterError),
    #[error(transparent)]
    MucLight(#[from] MucLightError),
}

/// Stanzas a session's mailbox holds before the session counts as stuck and is closed.
const MAILBOX_CAPACITY: usize = 256;

pub struct AppState {
    pub config: Config,
    pub accounts: Accounts,
    pub archive: Archive,
    pub room_archive: RoomArchive,
    /// MAM ids for every archive this node writes (personal and rooms).
    pub ids: Arc<IdGenerator>,
    pub inbox: Inbox,
    /// XEP-0160 offline storage (`mod_offline`), which the c2s layer empties.
    pub offline: crate::offline::Offline,
    pub last: LastActivity,
    pub muc: Muc,
    pub muc_light: MucLight,
    pub private: PrivateStorage,
    /// XEP-0191 blocklists (apart from MUC Light's).
    pub blocking: Arc<crate::blocking::Blocking>,
    pub roster: Roster,
    /// Presence broadcast, probes and directed presence (RFC 6121 §4) on the registry.
    pub presence: crate::presence::Presences,
    pub sessions: Arc<dyn SessionRegistry>,
    pub router: Arc<dyn Router>,
    pub tokens: Tokens,
    /// Live long-lived connections and the credentials they were opened with.
    pub connections: crate::connections::Connections,
    pub vcards: Vcards,
    /// `None` when `mod_http_upload` is disabled.
    pub uploads: Option<Uploads>,
    /// This node's name, as `listSessions` reports it.
    pub node: String,
    /// The cluster this node belongs to (`[cluster]`), if any.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
    /// Cancelled when the server starts shutting down (SIGTERM/SIGINT), before in-flight
    /// requests are waited for. Anything long-lived (an SSE or WebSocket stream, a background
    /// task) selects on `shutdown.cancelled()` and ends cleanly when it fires, so that it does
    /// not hold the shutdown until `[general] shutdown_timeout_secs` cuts it.
    pub shutdown: CancellationToken,
    /// When this node started (`stat`'s uptime).
    pub started_at: std::time::Instant,
    /// The database's health for `/health`, probed at most once a second.
    pub health: crate::db::Probe,
}

impl AppState {
    /// Builds the services; loads (or creates) the signing keys kept in the database.
    pub async fn new(config: Config, db: DatabaseConnection) -> Result<AppState, String> {
        let tokens = Tokens::load(db.clone(), &config.auth_token)
            .await
            .map_err(|e| format!("cannot load the token key: {e}"))?;
        let uploads = if config.module_enabled("mod_http_upload") {
            let uploads = Uploads::load(&db, &config.http_upload)
                .await
                .map_err(|e| format!("cannot start mod_http_upload: {e}"))?;
            Some(uploads)
        } else {
            None
        };
        let account_ids = Arc::new(crate::account_ids::AccountIds::new(
            db.clone(),
            config.limits.account_id_cache_entries,
        ));
        let accounts = Accounts::new(db.clone(), config.hosts(), &config.auth)
            .with_account_ids(account_ids.clone());
        let connections = crate::connections::Connections::new(db.clone());
        let watching = connections.clone();
        accounts.watch(move |bare| watching.changed(bare));
        let cluster = match &config.cluster {
            Some(_) => Some(Arc::new(
                crate::cluster::Cluster::connect(&config, db.clone())
                    .await
                    .map_err(|e| e.to_string())?,
            )),
            None => None,
        };
        let local = LocalSessions::new(MAILBOX_CAPACITY, config.limits.max_sessions_per_user);
        let sessions: Arc<dyn SessionRegistry> = match &cluster {
            Some(c) => Arc::new(crate::cluster::sessions::ClusterSessions::new(
                c.clone(),
                local,
                db.clone(),
                config.limits.max_sessions_per_user,
            )),
            None => Arc::new(local),
        };
        let blocking = Arc::new(
            crate::blocking::Blocking::new(
                db.clone(),
                config.hosts(),
                config.limits.max_blocklist_items,
            )
            .with_pushes(sessions.clone()),
        );
        let features = Features {
            archive: config.module_enabled("mod_mam_pm"),
            inbox: config.module_enabled("mod_inbox"),
            offline: config
                .module_enabled("mod_offline")
                .then_some(config.offline.max_messages),
        };
        let ids = Arc::new(IdGenerator::new(cluster.as_ref().map_or(0, |c| c.number)));
        let router: Arc<dyn Router> = Arc::new(
            StandardRouter::new(
                db.clone(),
                sessions.clone(),
                ids.clone(),
                config.hosts(),
                features,
            )
            .with_blocking(blocking.clone())
            .with_account_ids(account_ids),
        );
        let muc = Muc::new(
            db.clone(),
            config.hosts(),
            &config.muc,
            crate::muc::Features {
                enabled: config.module_enabled("mod_muc"),
                archive: config.module_enabled("mod_mam_muc"),
            },
            ids.clone(),
            router.clone(),
            sessions.clone(),
        )
        .with_max_rooms_per_user(config.limits.max_muc_rooms_per_user);
        let muc_light = MucLight::new(
            db.clone(),
            config.hosts(),
            &config.muc_light,
            crate::muc_light::Features {
                enabled: config.module_enabled("mod_muc_light"),
                archive: config.module_enabled("mod_mam_muc"),
                inbox: config.module_enabled("mod_inbox"),
            },
            ids.clone(),
            router.clone(),
        )
        .map_err(|e| format!("cannot start mod_muc_light: {e}"))?;
        let limits = &config.limits;
        let roster = Roster::new(
            db.clone(),
            crate::roster::Quota {
                max_items: limits.max_roster_size,
                max_groups: limits.max_groups_per_contact,
                max_roster_groups: limits.max_groups_per_roster,
                max_name_bytes: limits.max_roster_name_bytes,
            },
        )
        .with_pushes(sessions.clone())
        .with_blocking(blocking.clone());
        let vcards = Vcards::new(db.clone(), config.hosts(), limits.max_vcard_bytes);
        let private = PrivateStorage::new(db.clone(), limits.max_private_bytes);
        Ok(AppState {
            node: config.node_name(),
            roster,
            vcards,
            private,
            blocking: blocking.clone(),
            last: LastActivity::new(db.clone()),
            presence: crate::presence::Presences::new(sessions.clone())
                .with_blocking(blocking.clone()),
            cluster,
            archive: Archive::new(db.clone()),
            room_archive: RoomArchive::new(db.clone()),
            ids,
            offline: crate::offline::Offline::new(
                db.clone(),
                config.module_enabled("mod_offline"),
                config.hosts(),
            ),
            inbox: Inbox::new(db, config.hosts()),
            muc,
            muc_light,
            accounts,
            sessions,
            router,
            tokens,
            connections,
            uploads,
            config,
            shutdown: CancellationToken::new(),
            started_at: std::time::Instant::now(),
            health: crate::db::Probe::default(),
        })
    }

    pub fn db(&self) -> &DatabaseConnection {
        self.accounts.db()
    }

    /// Removes an account with everything it owns (one transaction), then tells its contacts
    /// and closes its live sessions.
    pub async fn remove_user(&self, jid: &Jid) -> Result<(), AccountError> {
        use crate::presence;
        // Taken before the account goes: the removal ends its sessions at once (its credentials
        // stop holding), racing whatever reads the registry afterwards, and takes its roster.
        let bare = jid.to_bare();
        let watchers = match self.roster.list(&bare).await {
            Ok(items) => presence::contacts(&items, presence::shares_with),
            Err(_) => Vec::new(),
        };
        let shown: Vec<Jid> = (self.presence.sessions_of(&bare).await.into_iter())
            .filter(|s| s.presence.is_some())
            .map(|s| s.jid)
            .collect();
        let pushes = crate::removal::remove_account(&self.accounts, jid).await?;
        self.blocking.changed(jid);
        // Its available sessions' unavailable presence to those who saw it, then the changes
        // to its contacts' rosters (the item goes): in this order a client sees the contact go
        // offline before the item goes, not a presence for an item it no longer has.
        for session in &shown {
            let gone = presence::unavailable(session, None);
            self.presence.broadcast(session, &watchers, &gone).await;
        }
        self.roster.push(pushes).await;
        self.sessions.close_user(&bare).await;
        // The user's uploads were abandoned in the removal's transaction; their files go now
        // (files cannot be deleted inside a transaction). Should this fail, the background
        // reclaiming retries.
        if let Some(uploads) = &self.uploads
            && let Err(err) = uploads.reclaim().await
        {
            tracing::warn!(%err, "cannot delete a removed account's uploads yet");
        }
        Ok(())
    }

    /// A user's roster as its clients see it (`listContacts` of both APIs): with
    /// `rooms_in_rosters`, the MUC Light rooms the user occupies come first, as contacts the user
    /// is subscribed to, in the group `urn:xmpp:muclight:0`; then the items in creation order.
    pub async fn contacts(&self, user: &Jid) -> Result<Vec<Item>, ContactsError> {
        let items = self.roster.list(user).await?;
        if !self.muc_light.rooms_in_rosters() {
            return Ok(items);
        }
        let mut contacts: Vec<Item> = self
            .muc_light
            .roster_rooms(user)
            .await?
            .into_iter()
            .map(|(jid, name)| Item {
                contact: jid.to_string(),
                name,
                groups: vec![crate::muc_light::stanzas::NS_MUC_LIGHT.to_string()],
                state: crate::roster::state::State {
                    sub: crate::roster::state::Sub::To,
                    ask: crate::roster::state::Ask::None,
                },
            })
            .collect();
        contacts.extend(items);
        Ok(contacts)
    }

    /// The domains a domain-wide admin query covers: `domain`, which must be served, or all.
    fn domains(&self, domain: Option<&str>) -> Result<Vec<String>, LastError> {
        match domain {
            Some(d) if self.accounts.is_host(d) => Ok(vec![d.to_string()]),
            Some(_) => Err(LastError::DomainNotFound),
            None => Ok(self.accounts.hosts().to_vec()),
        }
    }

    /// How many users of `domain` were active after `since` (`countActiveUsers`).
    pub async fn count_active_users(&self, domain: &str, since: i64) -> Result<u64, LastError> {
        self.domains(Some(domain))?;
        self.last.count_active(domain, since).await
    }

    /// The old users of `domain` (every served one when `None`): offline on every node, and
    /// without activity recorded at or after `before` (`listOldUsers`). Each comes with its last
    /// activity, `None` when none was ever recorded.
    pub async fn old_users(
        &self,
        domain: Option<&str>,
        before: i64,
    ) -> Result<Vec<(Jid, Option<i64>)>, LastError> {
        let mut old = Vec::new();
        for d in self.domains(domain)? {
            for (jid, last) in self.last.inactive(&d, before).await? {
                let online = self
                    .sessions
                    .sessions_of(&jid)
                    .await
                    .map_err(|e| LastError::Sessions(e.to_string()))?;
                if online.is_empty() {
                    old.push((jid, last));
                }
            }
        }
        Ok(old)
    }

    /// Removes the old users (as [`AppState::old_users`] finds them) with everything they own
    /// (`removeOldUsers`); answers those removed. One removed meanwhile by someone else is
    /// left out.
    pub async fn remove_old_users(
        &self,
        domain: Option<&str>,
        before: i64,
    ) -> Result<Vec<(Jid, Option<i64>)>, LastError> {
        let mut removed = Vec::new();
        for (jid, last) in self.old_users(domain, before).await? {
            match self.remove_user(&jid).await {
                Ok(()) => removed.push((jid, last)),
                Err(AccountError::NotFound) => {}
                Err(AccountError::Db(e)) => return Err(e.into()),
                Err(e) => return Err(sea_orm::DbErr::Custom(e.to_string()).into()),
            }
        }
        Ok(removed)
    }

    /// Bans an account (`banUser`): its password becomes a random one (which ends the
    /// connections opened with the old one, here and on the other nodes), then its sessions on
    /// every node are closed. `NotFound` for an account that does not exist.
    pub async fn ban_user(&self, jid: &Jid, reason: &str) -> Result<(), AccountError> {
        let bare = jid.to_bare();
        if !self.accounts.exists(&bare).await? {
            return Err(AccountError::NotFound);
        }
        let password = Accounts::banned_password(reason);
        self.accounts.change_password(&bare, &password).await?;
        self.sessions.close_user(&bare).await;
        Ok(())
    }

    /// The whole cluster's figures (`globalStats`).
    pub async fn global_stats(&self) -> Result<GlobalStats, StatsError> {
        let mut registered = 0;
        for domain in self.accounts.hosts() {
            registered += self
                .accounts
                .count(domain)
                .await
                .map_err(StatsError::Accounts)?;
        }
        Ok(GlobalStats {
            uptime_secs: self.started_at.elapsed().as_secs(),
            registered,
            online_node: self.sessions.count(None, true).await?,
            online: self.sessions.count(None, false).await?,
        })
    }

    /// One domain's figures (`domainStats`): accounts and open sessions; both 0 for a domain
    /// not served.
    pub async fn domain_stats(&self, domain: &str) -> Result<DomainStats, StatsError> {
        if !self.accounts.is_host(domain) {
            return Ok(DomainStats::default());
        }
        Ok(DomainStats {
            registered: self
                .accounts
                .count(domain)
                .await
                .map_err(StatsError::Accounts)?,
            online: self.sessions.count(Some(domain), false).await?,
        })
    }

    /// Writes the user's personal data into a zip at `path` (`retrievePersonalData`).
    pub async fn retrieve_personal_data(
        &self,
        jid: &Jid,
        path: &std::path::Path,
    ) -> Result<(), crate::gdpr::GdprError> {
        let bare = jid.to_bare();
        let Some(user_id) = crate::accounts::user_id(self.db(), &bare).await? else {
            return Err(crate::gdpr::GdprError::UserNotFound);
        };
        let groups = crate::gdpr::personal_data(self.db(), &bare, user_id).await?;
        crate::gdpr::write_zip(path, &groups).await
    }

    /// Revokes every token of the user, and ends the connections opened with one, here and on
    /// the other nodes (the credential announcement).
    pub async fn revoke_tokens(&self, jid: &Jid) -> Result<(), crate::token::TokenError> {
        self.tokens.revoke(jid).await?;
        self.accounts.invalidate(&jid.bare_string());
        Ok(())
    }
}

/// `globalStats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GlobalStats {
    pub uptime_secs: u64,
    /// Accounts of every served domain.
    pub registered: u64,
    /// Sessions open on this node.
    pub online_node: u64,
    /// Sessions open on every node.
    pub online: u64,
}

/// `domainStats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DomainStats {
    pub registered: u64,
    pub online: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error(transparent)]
    Accounts(AccountError),
    #[error(transparent)]
    Sessions(#[from] crate::sessions::SessionError),
}
