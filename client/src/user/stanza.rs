//! `stanza`: sending messages and stanzas, reading the archive, subscribing to messages.

use cynic::{MutationBuilder, QueryBuilder, SubscriptionBuilder};

use crate::scalars::{DateTime, Jid, PosInt, XmlElement};
use crate::schema;

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct SendStanzaPayload {
    pub id: Option<cynic::Id>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendMessageVars {
    pub from: Option<Jid>,
    pub to: Jid,
    pub body: String,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "StanzaUserMutation",
    variables = "SendMessageVars"
)]
pub struct StanzaSendMessage {
    #[arguments(from: $from, to: $to, body: $body)]
    pub send_message: Option<SendStanzaPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SendMessageVars"
)]
pub struct SendMessage {
    pub stanza: Option<StanzaSendMessage>,
}

/// `sendMessage`: a chat message; `from: None` sends as the authenticated JID.
pub fn send_message(
    from: Option<&str>,
    to: &str,
    body: &str,
) -> cynic::Operation<SendMessage, SendMessageVars> {
    SendMessage::build(SendMessageVars {
        from: from.map(Jid::from),
        to: to.into(),
        body: body.to_string(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendHeadlineVars {
    pub from: Option<Jid>,
    pub to: Jid,
    pub subject: Option<String>,
    pub body: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "StanzaUserMutation",
    variables = "SendHeadlineVars"
)]
pub struct StanzaSendHeadline {
    #[arguments(from: $from, to: $to, subject: $subject, body: $body)]
    pub send_message_head_line: Option<SendStanzaPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SendHeadlineVars"
)]
pub struct SendHeadline {
    pub stanza: Option<StanzaSendHeadline>,
}

/// `sendMessageHeadLine`.
pub fn send_message_headline(
    from: Option<&str>,
    to: &str,
    subject: Option<&str>,
    body: Option<&str>,
) -> cynic::Operation<SendHeadline, SendHeadlineVars> {
    SendHeadline::build(SendHeadlineVars {
        from: from.map(Jid::from),
        to: to.into(),
        subject: subject.map(str::to_string),
        body: body.map(str::to_string),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SendStanzaVars {
    pub stanza: Option<XmlElement>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "StanzaUserMutation",
    variables = "SendStanzaVars"
)]
pub struct StanzaSendStanza {
    #[arguments(stanza: $stanza)]
    pub send_stanza: Option<SendStanzaPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SendStanzaVars"
)]
pub struct SendStanza {
    pub stanza: Option<StanzaSendStanza>,
}

/// `sendStanza`: any element with a `to` attribute.
pub fn send_stanza(stanza: Option<&str>) -> cynic::Operation<SendStanza, SendStanzaVars> {
    SendStanza::build(SendStanzaVars {
        stanza: stanza.map(XmlElement::from),
    })
}

/// A message: from the archive (`stanza_id` is its MAM id) or live (the stanza's `id`).
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct StanzaMap {
    pub sender: Option<Jid>,
    pub timestamp: Option<DateTime>,
    #[cynic(rename = "stanza_id")]
    pub stanza_id: Option<String>,
    pub stanza: Option<XmlElement>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct StanzasPayload {
    pub stanzas: Option<Vec<Option<StanzaMap>>>,
    pub limit: Option<i32>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetLastMessagesVars {
    pub with: Option<Jid>,
    pub limit: Option<PosInt>,
    pub before: Option<DateTime>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "StanzaUserQuery",
    variables = "GetLastMessagesVars"
)]
pub struct StanzaGetLastMessages {
    #[arguments(with: $with, limit: $limit, before: $before)]
    pub get_last_messages: Option<StanzasPayload>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserQuery",
    variables = "GetLastMessagesVars"
)]
pub struct GetLastMessages {
    pub stanza: Option<StanzaGetLastMessages>,
}

/// `getLastMessages`: the newest page of the caller's archive, oldest first.
pub fn get_last_messages(
    with: Option<&str>,
    limit: Option<i64>,
    before: Option<&str>,
) -> cynic::Operation<GetLastMessages, GetLastMessagesVars> {
    GetLastMessages::build(GetLastMessagesVars {
        with: with.map(Jid::from),
        limit: limit.map(PosInt),
        before: before.map(DateTime::from),
    })
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "StanzaUserSubscription")]
pub struct StanzaSubscribeForMessages {
    pub subscribe_for_messages: Option<StanzaMap>,
}

/// One event of `subscribeForMessages`.
#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql", graphql_type = "UserSubscription")]
pub struct SubscribeForMessages {
    pub stanza: Option<StanzaSubscribeForMessages>,
}

impl SubscribeForMessages {
    /// The message of this event.
    pub fn message(&self) -> Option<&StanzaMap> {
        self.stanza.as_ref()?.subscribe_for_messages.as_ref()
    }
}

/// `subscription { stanza { subscribeForMessages { ... } } }`: open it with
/// [`crate::sse::SseSubscription`] or [`crate::ws::WsConnection`].
pub fn subscribe_for_messages() -> cynic::StreamingOperation<SubscribeForMessages, ()> {
    SubscribeForMessages::build(())
}
