//! `stanza`: sending messages and stanzas, the caller's archive, and the subscription to
//! incoming messages (a live session for as long as the stream is open).

#[path = "stanza_page.rs"]
mod page;

use async_graphql::{Context, Result};
use futures_util::StreamExt;

use super::{UserApi, caller, codes};
use crate::archive::{Archived, Page};
use crate::errors::ApiError;
/// The generated types `page` converts (see there).
use crate::generated::user as schema_types;
use crate::generated::user::*;
use crate::pipeline::{SessionReady, SubscriptionTransport};
use crate::router::Envelope;
use crate::sessions::{self, LiveSession};
use crate::stanza::Outgoing;
use page::payload;
pub(super) use page::room_messages;

/// The archive's page size cap (the reference's `max_result_limit` default).
pub const MAX_RESULT_LIMIT: i64 = 50;

fn datetime(micros: i64) -> Result<DateTime, ApiError> {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(DateTime)
        .ok_or_else(|| ApiError::internal("archive", format!("time {micros} out of range")))
}

impl UserApi {
    async fn send(&self, out: Outgoing) -> Result<Option<SendStanzaPayload>> {
        let id = out.id.clone();
        self.state
            .router
            .route(Envelope {
                sender: out.sender,
                to: out.to,
                element: out.element,
            })
            .await
            .map_err(codes::route)?;
        Ok(Some(SendStanzaPayload {
            id: Some(id.into()),
        }))
    }
}

impl StanzaUserMutationResolver for UserApi {
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        from: Option<Jid>,
        to: Jid,
        body: String,
    ) -> Result<Option<SendStanzaPayload>> {
        let user = caller(ctx)?;
        let out = crate::stanza::chat(user, from.as_ref().map(|j| &j.0), &to.0, &body)
            .map_err(codes::stanza)?;
        self.send(out).await
    }

    async fn send_message_head_line(
        &self,
        ctx: &Context<'_>,
        from: Option<Jid>,
        to: Jid,
        subject: Option<String>,
        body: Option<String>,
    ) -> Result<Option<SendStanzaPayload>> {
        let user = caller(ctx)?;
        let out = crate::stanza::headline(
            user,
            from.as_ref().map(|j| &j.0),
            &to.0,
            subject.as_deref(),
            body.as_deref(),
        )
        .map_err(codes::stanza)?;
        self.send(out).await
    }

    async fn send_stanza(
        &self,
        ctx: &Context<'_>,
        stanza: Option<XmlElement>,
    ) -> Result<Option<SendStanzaPayload>> {
        let user = caller(ctx)?;
        let out = crate::stanza::stanza(user, stanza.map(|s| s.0)).map_err(codes::stanza)?;
        self.send(out).await
    }
}

impl StanzaUserQueryResolver for UserApi {
    async fn get_last_messages(
        &self,
        ctx: &Context<'_>,
        with: Option<Jid>,
        limit: Option<PosInt>,
        before: Option<DateTime>,
    ) -> Result<Option<StanzasPayload>> {
        let user = caller(ctx)?;
        let limit = page_size(limit);
        let page = Page {
            with: with.map(|j| j.0),
            before_micros: before.map(|b| b.0.timestamp_micros()),
            limit: limit as u64,
        };
        let rows = self
            .state
            .archive
            .last_messages(user, &page)
            .await
            .map_err(|e| codes::archive(e, user))?;
        Ok(Some(payload(rows, limit)?))
    }
}

/// One archived message decoded: its sender, the time and base-32 MAM id from its id, and the
/// stored stanza (both APIs build their `StanzaMap` from it).
pub(crate) struct Decoded {
    pub sender: crate::jid::Jid,
    pub time: chrono::DateTime<chrono::Utc>,
    pub id: String,
    pub stanza: crate::xml::Element,
}

pub(crate) fn archived(row: &Archived) -> Result<Decoded, ApiError> {
    let stanza = crate::xml::Element::parse(&row.stanza)
        .map_err(|e| ApiError::internal("archive", format!("stored stanza {}: {e}", row.id.0)))?;
    let sender = crate::jid::Jid::parse_any(&row.sender)
        .map_err(|_| ApiError::internal("archive", format!("stored sender {:?}", row.sender)))?;
    Ok(Decoded {
        sender,
        time: datetime(row.id.micros())?.0,
        id: row.id.to_base32(),
        stanza,
    })
}

/// The effective page size: `requested` capped at the archive's limit, the limit when absent.
pub(super) fn page_size(requested: Option<PosInt>) -> i64 {
    page_size_of(requested.map(|l| l.0), MAX_RESULT_LIMIT)
}

/// [`page_size`] of a plain number, capped at `max`.
pub(crate) fn page_size_of(requested: Option<i64>, max: i64) -> i64 {
    requested.map_or(max, |l| l).min(max)
}

/// What a subscriber sees of a routed message: the routing sender, the time of delivery, the
/// stanza's `id` attribute (not a MAM id) and the element as routed. Both APIs' subscriptions.
pub struct MessageEvent {
    pub sender: crate::jid::Jid,
    pub time: chrono::DateTime<chrono::Utc>,
    pub stanza_id: String,
    pub element: crate::xml::Element,
}

fn event(routed: &sessions::Routed) -> Option<MessageEvent> {
    if routed.element.name != "message" {
        return None;
    }
    let lag = (crate::db::now_micros() - routed.routed_at).max(0);
    crate::metrics::delivery_lag(std::time::Duration::from_micros(lag as u64));
    Some(MessageEvent {
        sender: routed.sender.clone(),
        time: datetime(crate::db::now_micros()).ok()?.0,
        stanza_id: routed.element.attr("id").unwrap_or_default().to_string(),
        element: routed.element.clone(),
    })
}

/// Opens a live session of `user` for a subscription over the request's transport, and
/// answers the messages it receives (`subscribeForMessages` of both APIs).
pub async fn message_stream(
    state: &crate::state::AppState,
    ctx: &Context<'_>,
    user: &crate::jid::Jid,
) -> Result<impl futures_util::Stream<Item = MessageEvent> + Send + 'static, ApiError> {
    let transport = ctx
        .data_opt::<SubscriptionTransport>()
        .map_or(sessions::Transport::WebSocket, |t| t.0);
    let live = LiveSession::open(state.sessions.clone(), user, state.node.clone(), transport)
        .await
        .map_err(codes::sessions)?;
    if let Some(ready) = ctx.data_opt::<SessionReady>() {
        ready.fire();
    }
    Ok(live.filter_map(|routed| async move { event(&routed) }))
}

impl UserSubscriptionResolver for UserApi {
    async fn stanza(
        &self,
        ctx: &Context<'_>,
    ) -> Result<EventStream<Option<StanzaUserSubscription>>> {
        let user = caller(ctx)?;
        let events = message_stream(&self.state, ctx, user).await?.map(|m| {
            Ok(Some(StanzaUserSubscription {
                subscribe_for_messages: Some(StanzaMap {
                    sender: Some(Jid(m.sender)),
                    timestamp: Some(DateTime(m.time)),
                    stanza_id: Some(m.stanza_id),
                    stanza: Some(XmlElement(m.element)),
                }),
            }))
        });
        Ok(Box::pin(events))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::MamId;

    #[test]
    fn a_mam_id_carries_its_time() {
        let id = MamId((1_650_200_310_123_456 << 8) | 1);
        assert_eq!(
            crate::scalars::format_datetime(&datetime(id.micros()).unwrap().0),
            "2022-04-17T12:58:30.123456Z"
        );
    }
}
