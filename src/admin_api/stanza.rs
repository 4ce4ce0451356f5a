//! `stanza` on the admin API: messages and stanzas sent on behalf of any user, and any user's
//! archive, through the same stanza builders, router and archive as the user API.

// The user API's archive page, compiled a second time against the admin's generated types.
#[allow(clippy::duplicate_mod)]
#[path = "../api/stanza_page.rs"]
mod page;

use async_graphql::{Context, Result};
use futures_util::StreamExt;

use super::AdminApi;
use crate::api::codes;
use crate::api::stanza::{MAX_RESULT_LIMIT, page_size_of};
use crate::archive::Page;
use crate::errors::ApiError;
/// The generated types `page` converts.
use crate::generated::admin as schema_types;
use crate::generated::admin::*;
use crate::jid::Jid as CoreJid;
use crate::router::Envelope;
use crate::stanza::Outgoing;
use page::payload;
pub(super) use page::room_messages;

impl AdminApi {
    /// The user the admin acts for must exist (`unknown_user`).
    async fn existing(&self, jid: &CoreJid) -> Result<(), ApiError> {
        if !self.state.accounts.is_host(jid.domain()) {
            return Err(
                ApiError::new("unknown_user", "User's domain does not exist")
                    .with("user", jid.to_string()),
            );
        }
        let exists = self.state.accounts.exists(&jid.to_bare()).await?;
        if exists {
            Ok(())
        } else {
            Err(ApiError::new("unknown_user", "User does not exist").with("user", jid.to_string()))
        }
    }

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

impl StanzaAdminMutationResolver for AdminApi {
    async fn send_message(
        &self,
        _ctx: &Context<'_>,
        from: Jid,
        to: Jid,
        body: String,
    ) -> Result<Option<SendStanzaPayload>> {
        self.existing(&from.0).await?;
        let out = crate::stanza::chat(&from.0.to_bare(), Some(&from.0), &to.0, &body)
            .map_err(codes::stanza)?;
        self.send(out).await
    }

    async fn send_message_head_line(
        &self,
        _ctx: &Context<'_>,
        from: Jid,
        to: Jid,
        subject: Option<String>,
        body: Option<String>,
    ) -> Result<Option<SendStanzaPayload>> {
        self.existing(&from.0).await?;
        let out = crate::stanza::headline(
            &from.0.to_bare(),
            Some(&from.0),
            &to.0,
            subject.as_deref(),
            body.as_deref(),
        )
        .map_err(codes::stanza)?;
        self.send(out).await
    }

    async fn send_stanza(
        &self,
        _ctx: &Context<'_>,
        stanza: Option<XmlElement>,
    ) -> Result<Option<SendStanzaPayload>> {
        let el = stanza.ok_or_else(|| codes::stanza(crate::stanza::StanzaError::NoStanza))?;
        // The sender is the stanza's own `from`, which the admin must give.
        let from = match el.0.attr("from") {
            Some(f) => CoreJid::parse(f)
                .map_err(|_| codes::stanza(crate::stanza::StanzaError::InvalidSender))?,
            None => {
                return Err(ApiError::new("invalid_sender", "Missing sender JID").into());
            }
        };
        self.existing(&from).await?;
        let out = crate::stanza::stanza(&from.to_bare(), Some(el.0)).map_err(codes::stanza)?;
        self.send(out).await
    }
}

impl StanzaAdminQueryResolver for AdminApi {
    async fn get_last_messages(
        &self,
        _ctx: &Context<'_>,
        caller: Jid,
        with: Option<Jid>,
        limit: Option<PosInt>,
        before: Option<DateTime>,
    ) -> Result<Option<StanzasPayload>> {
        self.existing(&caller.0).await?;
        let user = caller.0.to_bare();
        let limit = page_size_of(limit.map(|l| l.0), MAX_RESULT_LIMIT);
        let page = Page {
            with: with.map(|j| j.0),
            before_micros: before.map(|b| b.0.timestamp_micros()),
            limit: limit as u64,
        };
        let rows = self
            .state
            .archive
            .last_messages(&user, &page)
            .await
            .map_err(|e| codes::archive(e, &user))?;
        Ok(Some(payload(rows, limit)?))
    }
}

/// The `caller` of the document's `subscribeForMessages` (the stream is opened at the root,
/// `stanza`, before the event's fields are resolved). Every selection of it must name the
/// same user.
fn subscribed_caller(ctx: &Context<'_>) -> Result<CoreJid, ApiError> {
    let mut caller: Option<String> = None;
    for f in ctx.field().selection_set() {
        if f.name() != "subscribeForMessages" {
            continue;
        }
        let args = f
            .arguments()
            .map_err(|e| ApiError::internal("subscription arguments", e.message))?;
        for (name, value) in args {
            if name.as_str() != "caller" {
                continue;
            }
            let async_graphql::Value::String(s) = value else {
                continue;
            };
            match &caller {
                Some(c) if *c != s => {
                    return Err(ApiError::new(
                        "not_allowed",
                        "One subscription follows one user: every subscribeForMessages must name the same caller",
                    ));
                }
                _ => caller = Some(s),
            }
        }
    }
    let caller = caller.ok_or_else(|| {
        ApiError::new(
            "not_allowed",
            "The subscription selects no subscribeForMessages",
        )
    })?;
    CoreJid::parse(&caller).map_err(|_| ApiError::new("not_allowed", "Invalid caller JID"))
}

impl AdminSubscriptionResolver for AdminApi {
    async fn stanza(
        &self,
        ctx: &Context<'_>,
    ) -> Result<EventStream<Option<StanzaAdminSubscription>>> {
        let caller = subscribed_caller(ctx)?;
        self.existing(&caller).await?;
        let user = caller.to_bare();
        let events = crate::api::stanza::message_stream(&self.state, ctx, &user)
            .await?
            .map(|m| {
                Ok(Some(StanzaAdminSubscription {
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
