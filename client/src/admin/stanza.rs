//! `stanza` on the admin API: messages and stanzas sent on behalf of users, and their archives.

use cynic::{MutationBuilder, QueryBuilder};

use crate::admin_schema as schema;
use crate::scalars::{DateTime, Jid, PosInt, XmlElement};

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct SendStanzaPayload {
    pub id: Option<cynic::Id>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct StanzaMap {
    pub sender: Option<Jid>,
    pub timestamp: Option<DateTime>,
    #[cynic(rename = "stanza_id")]
    pub stanza_id: Option<String>,
    pub stanza: Option<XmlElement>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct StanzasPayload {
    pub stanzas: Option<Vec<Option<StanzaMap>>>,
    pub limit: Option<i32>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendMessageVars {
    pub from: Jid,
    pub to: Jid,
    pub body: String,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendHeadlineVars {
    pub from: Jid,
    pub to: Jid,
    pub subject: Option<String>,
    pub body: Option<String>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendStanzaVars {
    pub stanza: Option<XmlElement>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct LastMessagesVars {
    pub caller: Jid,
    pub with: Option<Jid>,
    pub limit: Option<PosInt>,
    pub before: Option<DateTime>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "StanzaAdminMutation",
    variables = "SendMessageVars"
)]
pub struct StanzaSendMessage {
    #[arguments(from: $from, to: $to, body: $body)]
    pub send_message: Option<SendStanzaPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SendMessageVars"
)]
pub struct SendMessage {
    pub stanza: Option<StanzaSendMessage>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "StanzaAdminMutation",
    variables = "SendHeadlineVars"
)]
pub struct StanzaSendMessageHeadLine {
    #[arguments(from: $from, to: $to, subject: $subject, body: $body)]
    pub send_message_head_line: Option<SendStanzaPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SendHeadlineVars"
)]
pub struct SendMessageHeadLine {
    pub stanza: Option<StanzaSendMessageHeadLine>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "StanzaAdminMutation",
    variables = "SendStanzaVars"
)]
pub struct StanzaSendStanza {
    #[arguments(stanza: $stanza)]
    pub send_stanza: Option<SendStanzaPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SendStanzaVars"
)]
pub struct SendStanza {
    pub stanza: Option<StanzaSendStanza>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "StanzaAdminQuery",
    variables = "LastMessagesVars"
)]
pub struct StanzaGetLastMessages {
    #[arguments(caller: $caller, with: $with, limit: $limit, before: $before)]
    pub get_last_messages: Option<StanzasPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "LastMessagesVars"
)]
pub struct GetLastMessages {
    pub stanza: Option<StanzaGetLastMessages>,
}

/// A chat message from `from` (a user, bare or full JID) to `to`.
pub fn send_message(
    from: &str,
    to: &str,
    body: &str,
) -> cynic::Operation<SendMessage, SendMessageVars> {
    SendMessage::build(SendMessageVars {
        from: from.into(),
        to: to.into(),
        body: body.to_string(),
    })
}

pub fn send_message_head_line(
    from: &str,
    to: &str,
    subject: Option<&str>,
    body: Option<&str>,
) -> cynic::Operation<SendMessageHeadLine, SendHeadlineVars> {
    SendMessageHeadLine::build(SendHeadlineVars {
        from: from.into(),
        to: to.into(),
        subject: subject.map(str::to_string),
        body: body.map(str::to_string),
    })
}

/// A stanza as given (XML text); its `from` names the sender.
pub fn send_stanza(stanza: Option<&str>) -> cynic::Operation<SendStanza, SendStanzaVars> {
    SendStanza::build(SendStanzaVars {
        stanza: stanza.map(XmlElement::from),
    })
}

/// `caller`'s newest archived messages.
pub fn get_last_messages(
    caller: &str,
    with: Option<&str>,
    limit: Option<i64>,
    before: Option<&str>,
) -> cynic::Operation<GetLastMessages, LastMessagesVars> {
    GetLastMessages::build(LastMessagesVars {
        caller: caller.into(),
        with: with.map(Jid::from),
        limit: limit.map(PosInt),
        before: before.map(DateTime::from),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct CallerVars {
    pub caller: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "StanzaAdminSubscription",
    variables = "CallerVars"
)]
pub struct StanzaSubscribeForMessages {
    #[arguments(caller: $caller)]
    pub subscribe_for_messages: Option<StanzaMap>,
}

/// One event of the admin `subscribeForMessages(caller:)`.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminSubscription",
    variables = "CallerVars"
)]
pub struct SubscribeForMessages {
    pub stanza: Option<StanzaSubscribeForMessages>,
}

impl SubscribeForMessages {
    /// The message of this event.
    pub fn message(&self) -> Option<&StanzaMap> {
        self.stanza.as_ref()?.subscribe_for_messages.as_ref()
    }
}

/// `subscription { stanza { subscribeForMessages(caller:) { ... } } }` on the admin API: the
/// messages `caller` receives; open it with [`crate::sse::SseSubscription`] or
/// [`crate::ws::WsConnection`].
pub fn subscribe_for_messages(
    caller: &str,
) -> cynic::StreamingOperation<SubscribeForMessages, CallerVars> {
    use cynic::SubscriptionBuilder;
    SubscribeForMessages::build(CallerVars {
        caller: caller.into(),
    })
}
