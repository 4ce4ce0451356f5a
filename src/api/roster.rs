//! `roster`: the caller's contacts and presence subscriptions.

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
use crate::errors::ApiError;
use crate::generated::user::*;
use crate::roster::Item;
use crate::roster::state::{self, Presence};

fn contact(item: Item) -> Result<Contact, ApiError> {
    let jid = crate::jid::Jid::parse(&item.contact).map_err(|_| {
        ApiError::internal(
            "roster",
            format!("stored contact {:?} is not a JID", item.contact),
        )
    })?;
    Ok(Contact {
        jid: Jid(jid),
        name: Some(item.name),
        groups: Some(item.groups),
        subscription: Some(match item.state.sub {
            state::Sub::None => ContactSub::None,
            state::Sub::To => ContactSub::To,
            state::Sub::From => ContactSub::From,
            state::Sub::Both => ContactSub::Both,
        }),
        ask: Some(match item.state.ask {
            state::Ask::None => ContactAsk::None,
            state::Ask::In => ContactAsk::In,
            state::Ask::Out => ContactAsk::Out,
            state::Ask::Both => ContactAsk::Both,
        }),
    })
}

impl UserApi {
    async fn add_one(
        &self,
        ctx: &Context<'_>,
        jid: Jid,
        name: Option<String>,
        groups: Option<Vec<String>>,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .roster
            .add(user, &jid.0, name, groups)
            .await
            .map_err(|e| codes::roster(e, "create", user, &jid.0))?;
        Ok(Some("Contact added successfully".into()))
    }

    async fn delete_one(&self, ctx: &Context<'_>, jid: Jid) -> Result<Option<String>> {
        let user = caller(ctx)?;
        self.state
            .roster
            .delete(user, &jid.0)
            .await
            .map_err(|e| codes::roster(e, "delete", user, &jid.0))?;
        Ok(Some(format!("Contact {} deleted successfully", jid.0)))
    }
}

impl RosterUserMutationResolver for UserApi {
    async fn add_contact(
        &self,
        ctx: &Context<'_>,
        contact: Jid,
        name: Option<String>,
        groups: Option<Vec<String>>,
    ) -> Result<Option<String>> {
        self.add_one(ctx, contact, name, groups).await
    }

    async fn add_contacts(
        &self,
        ctx: &Context<'_>,
        contacts: Vec<ContactInput>,
    ) -> Result<Vec<Fallible<Option<String>>>> {
        let mut out = Vec::with_capacity(contacts.len());
        for c in contacts {
            out.push(Fallible(
                self.add_one(ctx, c.jid, Some(c.name), c.groups).await,
            ));
        }
        Ok(out)
    }

    async fn subscription(
        &self,
        ctx: &Context<'_>,
        contact: Jid,
        action: SubAction,
    ) -> Result<Option<String>> {
        let user = caller(ctx)?;
        let presence = match action {
            SubAction::Invite => Presence::Subscribe,
            SubAction::Accept => Presence::Subscribed,
            SubAction::Decline => Presence::Unsubscribed,
            SubAction::Cancel => Presence::Unsubscribe,
        };
        self.state
            .roster
            .subscription(user, &contact.0, presence)
            .await
            .map_err(|e| codes::roster_subscription(e, &contact.0))?;
        Ok(Some(format!(
            "Subscription stanza with type {} sent successfully",
            presence.as_str()
        )))
    }

    async fn delete_contact(&self, ctx: &Context<'_>, contact: Jid) -> Result<Option<String>> {
        self.delete_one(ctx, contact).await
    }

    async fn delete_contacts(
        &self,
        ctx: &Context<'_>,
        contacts: Vec<Jid>,
    ) -> Result<Vec<Fallible<Option<String>>>> {
        let mut out = Vec::with_capacity(contacts.len());
        for c in contacts {
            out.push(Fallible(self.delete_one(ctx, c).await));
        }
        Ok(out)
    }
}

impl RosterUserQueryResolver for UserApi {
    async fn list_contacts(&self, ctx: &Context<'_>) -> Result<Option<Vec<Contact>>> {
        let user = caller(ctx)?;
        let items = self
            .state
            .contacts(user)
            .await
            .map_err(|e| codes::contacts(e, user))?;
        let contacts = items
            .into_iter()
            .map(contact)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(contacts))
    }

    async fn get_contact(&self, ctx: &Context<'_>, jid: Jid) -> Result<Option<Contact>> {
        let user = caller(ctx)?;
        let item = self
            .state
            .roster
            .get(user, &jid.0)
            .await
            .map_err(|e| codes::roster(e, "get", user, &jid.0))?;
        Ok(Some(contact(item)?))
    }
}
