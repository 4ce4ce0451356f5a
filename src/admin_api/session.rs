//! `session` on the admin API: every node's sessions (SSE and WebSocket subscriptions, XMPP
//! clients) through the same session registry as the user API; kicks and presences on behalf of
//! a session.

// The user API's `Session` mapping, compiled a second time against the admin's generated types.
#[allow(clippy::duplicate_mod)]
#[path = "../api/session/mapping.rs"]
mod mapping;

use async_graphql::{Context, ErrorExtensions, Result, Value};

use super::AdminApi;
use crate::api::codes;
use crate::errors::ApiError;
/// The generated types `mapping` converts.
use crate::generated::admin as schema_types;
use crate::generated::admin::*;
use crate::jid::Jid as CoreJid;
use crate::sessions::{DEFAULT_KICK_REASON, SessionInfo, Transport};

fn domain_not_found(domain: &str) -> ApiError {
    ApiError::new("domain_not_found", "Domain not found").with("domain", domain)
}

fn count(n: usize) -> Option<i32> {
    Some(i32::try_from(n).unwrap_or(i32::MAX))
}

/// In the order they opened (a user's n-th resource is its n-th session to open).
fn by_age(mut sessions: Vec<SessionInfo>) -> Vec<SessionInfo> {
    sessions.sort_by(|a, b| (a.opened_at, &a.jid).cmp(&(b.opened_at, &b.jid)));
    sessions
}

fn sessions_out(sessions: Vec<SessionInfo>) -> Option<Vec<Session>> {
    let now = crate::db::now_micros();
    Some(
        by_age(sessions)
            .into_iter()
            .map(|s| mapping::session_out(s, now))
            .collect(),
    )
}

/// `true` for an admin kick's result.
fn kicked(jid: CoreJid) -> KickUserResult {
    KickUserResult {
        jid: Jid(jid),
        kicked: true,
        code: None,
        message: "Session kicked".into(),
    }
}

impl AdminApi {
    /// The user must exist: `user_not_found` (`Given user does not exist`, or `User's domain
    /// does not exist`), `extensions` naming it under `key`.
    async fn session_user(&self, user: &CoreJid, key: &'static str) -> Result<CoreJid, ApiError> {
        let bare = user.to_bare();
        let err = |msg: &str| ApiError::new("user_not_found", msg).with(key, user.to_string());
        if !self.state.accounts.is_host(bare.domain()) {
            return Err(err("User's domain does not exist"));
        }
        if !self.state.accounts.exists(&bare).await? {
            return Err(err("Given user does not exist"));
        }
        Ok(bare)
    }

    /// Every session of the domain (every served domain when `None`), on every node.
    async fn all_sessions(&self, domain: Option<&DomainName>) -> Result<Vec<SessionInfo>> {
        if let Some(d) = domain
            && !self.state.accounts.is_host(&d.0)
        {
            return Err(domain_not_found(&d.0).into());
        }
        let domain = domain.map(|d| d.0.as_str());
        Ok(self
            .state
            .sessions
            .all_sessions(domain)
            .await
            .map_err(codes::sessions)?)
    }

    /// The open session of the full JID `jid` (of an existing user): `no_session` without one.
    async fn full_session(&self, jid: &CoreJid) -> Result<SessionInfo, ApiError> {
        let bare = self.session_user(jid, "jid").await?;
        let sessions = self
            .state
            .sessions
            .sessions_of(&bare)
            .await
            .map_err(codes::sessions)?;
        sessions.into_iter().find(|s| s.jid == *jid).ok_or_else(|| {
            ApiError::new("no_session", "No active session").with("jid", jid.to_string())
        })
    }

    async fn user_sessions(&self, user: &CoreJid) -> Result<Vec<SessionInfo>> {
        let bare = self.session_user(user, "user").await?;
        let sessions = self
            .state
            .sessions
            .sessions_of(&bare)
            .await
            .map_err(codes::sessions)?;
        Ok(by_age(sessions))
    }

    /// The XMPP clients' sessions whose presence shows `status`.
    async fn with_status(
        &self,
        domain: Option<&DomainName>,
        status: &str,
    ) -> Result<Vec<SessionInfo>> {
        Ok(by_age(self.all_sessions(domain).await?)
            .into_iter()
            .filter(|s| s.status.as_ref().is_some_and(|st| st.show == status))
            .collect())
    }
}

impl SessionAdminQueryResolver for AdminApi {
    async fn list_sessions(
        &self,
        _ctx: &Context<'_>,
        domain: Option<DomainName>,
    ) -> Result<Option<Vec<Session>>> {
        Ok(sessions_out(self.all_sessions(domain.as_ref()).await?))
    }

    async fn count_sessions(
        &self,
        _ctx: &Context<'_>,
        domain: Option<DomainName>,
    ) -> Result<Option<i32>> {
        Ok(count(self.all_sessions(domain.as_ref()).await?.len()))
    }

    async fn list_user_sessions(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
    ) -> Result<Option<Vec<Session>>> {
        Ok(sessions_out(self.user_sessions(&user.0).await?))
    }

    async fn count_user_resources(&self, _ctx: &Context<'_>, user: Jid) -> Result<Option<i32>> {
        Ok(count(self.user_sessions(&user.0).await?.len()))
    }

    async fn get_user_resource(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        number: PosInt,
    ) -> Result<Option<ResourceName>> {
        let sessions = self.user_sessions(&user.0).await?;
        let n = usize::try_from(number.0).unwrap_or(usize::MAX);
        match sessions.get(n - 1) {
            Some(s) => Ok(Some(ResourceName(s.jid.resource().to_string()))),
            None => Err(ApiError::new(
                "wrong_res_number",
                format!("Wrong resource number: {}", number.0),
            )
            .with("user", user.0.to_string())
            .with("number", number.0)
            .into()),
        }
    }

    async fn list_users_with_status(
        &self,
        _ctx: &Context<'_>,
        domain: Option<DomainName>,
        status: NonEmptyString,
    ) -> Result<Option<Vec<UserStatus>>> {
        let sessions = self.with_status(domain.as_ref(), &status.0).await?;
        Ok(Some(
            sessions
                .into_iter()
                .map(|s| UserStatus {
                    user: Jid(s.jid),
                    priority: Some(s.priority),
                    text: s.status.map(|st| st.text),
                })
                .collect(),
        ))
    }

    async fn count_users_with_status(
        &self,
        _ctx: &Context<'_>,
        domain: Option<DomainName>,
        status: NonEmptyString,
    ) -> Result<Option<i32>> {
        Ok(count(
            self.with_status(domain.as_ref(), &status.0).await?.len(),
        ))
    }
}

impl SessionAdminMutationResolver for AdminApi {
    async fn kick_user_session(
        &self,
        _ctx: &Context<'_>,
        user: FullJid,
        reason: Option<String>,
    ) -> Result<Option<KickUserResult>> {
        let jid = user.0;
        let ext = |e: ApiError| e.with("reason", reason.clone().map_or(Value::Null, Value::from));
        let session = self.full_session(&jid).await.map_err(ext)?;
        let reason = kick_reason(reason.as_deref());
        crate::sessions::kick(&*self.state.sessions, &session, reason).await;
        Ok(Some(kicked(session.jid)))
    }

    async fn kick_user(
        &self,
        _ctx: &Context<'_>,
        user: BareJid,
        reason: Option<String>,
    ) -> Result<Option<Vec<KickUserResult>>> {
        let sessions = self.user_sessions(&user.0).await.map_err(|e| {
            e.extend_with(|_, ext| {
                ext.set("jid", user.0.to_string());
                ext.set("reason", reason.clone().map_or(Value::Null, Value::from));
            })
        })?;
        let reason = kick_reason(reason.as_deref());
        let mut out = Vec::with_capacity(sessions.len());
        for session in sessions {
            crate::sessions::kick(&*self.state.sessions, &session, reason).await;
            out.push(kicked(session.jid));
        }
        Ok(Some(out))
    }

    async fn set_presence(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        type_: PresenceType,
        show: Option<PresenceShow>,
        status: Option<String>,
        priority: Option<i32>,
    ) -> Result<Option<SessionPayload>> {
        let jid = user.0;
        let with_jid = |e: ApiError| e.with("jid", jid.to_string());
        if jid.resource().is_empty() {
            return Err(with_jid(ApiError::new(
                "empty_resource",
                "The resource is empty. You need to provide a full JID",
            ))
            .into());
        }
        let session = self.full_session(&jid).await?;
        if session.transport != Transport::C2s {
            return Err(with_jid(ApiError::new(
                "no_session",
                "No active session of an XMPP client (subscriptions have no presence)",
            ))
            .into());
        }
        if let Some(s) = &status {
            crate::xml::check_chars(s)
                .map_err(|c| with_jid(codes::invalid_character("The status", c)))?;
        }
        let element = presence(&jid, type_, show, status.as_deref(), priority);
        crate::sessions::push_on_behalf(&*self.state.sessions, &session, element).await;
        Ok(Some(SessionPayload {
            jid: Jid(jid),
            message: "Presence set successfully".into(),
        }))
    }
}

fn kick_reason(reason: Option<&str>) -> &str {
    match reason {
        None | Some("") => DEFAULT_KICK_REASON,
        Some(r) => r,
    }
}

/// The presence a session sends for the admin's `setPresence`: from the session to its bare
/// JID, children in the reference's order (status, priority, show).
fn presence(
    jid: &CoreJid,
    type_: PresenceType,
    show: Option<PresenceShow>,
    status: Option<&str>,
    priority: Option<i32>,
) -> crate::xml::Element {
    use crate::xml::Element;
    let mut e = Element::new("presence")
        .with_attr("from", jid.to_string())
        .with_attr("to", jid.bare_string());
    let ty = match type_ {
        PresenceType::Available => None,
        PresenceType::Error => Some("error"),
        PresenceType::Probe => Some("probe"),
        PresenceType::Subscribe => Some("subscribe"),
        PresenceType::Subscribed => Some("subscribed"),
        PresenceType::Unavailable => Some("unavailable"),
        PresenceType::Unsubscribe => Some("unsubscribe"),
        PresenceType::Unsubscribed => Some("unsubscribed"),
    };
    if let Some(ty) = ty {
        e = e.with_attr("type", ty);
    }
    if let Some(s) = status.filter(|s| !s.is_empty()) {
        e = e.with_child(Element::new("status").with_text(s));
    }
    if let Some(p) = priority {
        e = e.with_child(Element::new("priority").with_text(p.to_string()));
    }
    let show = match show {
        None | Some(PresenceShow::Online) => None,
        Some(PresenceShow::Away) => Some("away"),
        Some(PresenceShow::Chat) => Some("chat"),
        Some(PresenceShow::Dnd) => Some("dnd"),
        Some(PresenceShow::Xa) => Some("xa"),
    };
    if let Some(show) = show {
        e = e.with_child(Element::new("show").with_text(show));
    }
    e
}
