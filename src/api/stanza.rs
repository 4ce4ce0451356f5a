use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl StanzaUserMutationResolver for UserApi {
    async fn send_message(
        &self,
        _ctx: &Context<'_>,
        _from: Option<Jid>,
        _to: Jid,
        _body: String,
    ) -> Result<Option<SendStanzaPayload>> {
        Err(ApiError::not_implemented("StanzaUserMutation.sendMessage").into())
    }

    async fn send_message_head_line(
        &self,
        _ctx: &Context<'_>,
        _from: Option<Jid>,
        _to: Jid,
        _subject: Option<String>,
        _body: Option<String>,
    ) -> Result<Option<SendStanzaPayload>> {
        Err(ApiError::not_implemented("StanzaUserMutation.sendMessageHeadLine").into())
    }

    async fn send_stanza(
        &self,
        _ctx: &Context<'_>,
        _stanza: Option<XmlElement>,
    ) -> Result<Option<SendStanzaPayload>> {
        Err(ApiError::not_implemented("StanzaUserMutation.sendStanza").into())
    }
}

impl StanzaUserQueryResolver for UserApi {
    async fn get_last_messages(
        &self,
        _ctx: &Context<'_>,
        _with: Option<Jid>,
        _limit: Option<PosInt>,
        _before: Option<DateTime>,
    ) -> Result<Option<StanzasPayload>> {
        Err(ApiError::not_implemented("StanzaUserQuery.getLastMessages").into())
    }
}

impl UserSubscriptionResolver for UserApi {
    async fn stanza(
        &self,
        _ctx: &Context<'_>,
    ) -> Result<EventStream<Option<StanzaUserSubscription>>> {
        Err(ApiError::not_implemented("UserSubscription.stanza").into())
    }
}
