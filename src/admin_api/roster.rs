//! `roster` on the admin API: any user's contacts and subscriptions, through the same roster
//! service as the user API, the acting user given explicitly.

use async_graphql::{Context, Result};

use super::{AdminApi, local_user};
use crate::api::codes;
use crate::errors::ApiError;
use crate::generated::admin::*;
use crate::jid::Jid as CoreJid;
use crate::roster::state::{self, Presence};
use crate::roster::{Item, Mutual};

fn contact(item: Item) -> Result<Contact, ApiError> {
    let jid = CoreJid::parse(&item.contact).map_err(|_| {
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

fn mutual(c: &ContactInput) -> Mutual<'_> {
    Mutual {
        jid: &c.jid.0,
        name: c.name.clone(),
        groups: c.groups.clone().unwrap_or_default(),
    }
}

impl AdminApi {
    async fn add_one(
        &self,
        user: &CoreJid,
        contact: &CoreJid,
        name: Option<String>,
        groups: Option<Vec<String>>,
    ) -> Result<Option<String>> {
        let user = local_user(&self.state, user)?;
        self.state
            .roster
            .add(&user, contact, name, groups)
            .await
            .map_err(|e| codes::roster(e, "create", &user, contact))?;
        Ok(Some("Contact added successfully".into()))
    }

    async fn delete_one(&self, user: &CoreJid, contact: &CoreJid) -> Result<Option<String>> {
        let user = local_user(&self.state, user)?;
        self.state
            .roster
            .delete(&user, contact)
            .await
            .map_err(|e| codes::roster(e, "delete", &user, contact))?;
        Ok(Some(format!("Contact {contact} deleted successfully")))
    }

    /// `subscribeToAll` for one pair; `extensions` name them `user` and `contact`.
    async fn subscribe_pair(&self, a: &ContactInput, b: &ContactInput) -> Result<Option<String>> {
        let (ja, jb) = (&a.jid.0, &b.jid.0);
        local_user(&self.state, ja)?;
        self.state
            .roster
            .subscribe_both(&mutual(a), &mutual(b))
            .await
            .map_err(|e| codes::roster(e, "create", ja, jb))?;
        Ok(Some(format!(
            "Subscription between users {} and {} created successfully",
            ja.to_bare(),
            jb.to_bare()
        )))
    }
}

impl RosterAdminMutationResolver for AdminApi {
    async fn add_contact(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        contact: Jid,
        name: Option<String>,
        groups: Option<Vec<String>>,
    ) -> Result<Option<String>> {
        self.add_one(&user.0, &contact.0, name, groups).await
    }

    async fn add_contacts(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        contacts: Vec<ContactInput>,
    ) -> Result<Vec<Fallible<Option<String>>>> {
        let mut out = Vec::with_capacity(contacts.len());
        for c in contacts {
            out.push(Fallible(
                self.add_one(&user.0, &c.jid.0, Some(c.name), c.groups)
                    .await,
            ));
        }
        Ok(out)
    }

    async fn subscription(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        contact: Jid,
        action: SubAction,
    ) -> Result<Option<String>> {
        let user = local_user(&self.state, &user.0)?;
        let presence = match action {
            SubAction::Invite => Presence::Subscribe,
            SubAction::Accept => Presence::Subscribed,
            SubAction::Decline => Presence::Unsubscribed,
            SubAction::Cancel => Presence::Unsubscribe,
        };
        self.state
            .roster
            .subscription(&user, &contact.0, presence)
            .await
            .map_err(|e| {
                codes::roster_subscription(e, &contact.0).with("user", user.to_string())
            })?;
        Ok(Some(format!(
            "Subscription stanza with type {} sent successfully",
            presence.as_str()
        )))
    }

    async fn delete_contact(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        contact: Jid,
    ) -> Result<Option<String>> {
        self.delete_one(&user.0, &contact.0).await
    }

    async fn delete_contacts(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        contacts: Vec<Jid>,
    ) -> Result<Vec<Fallible<Option<String>>>> {
        let mut out = Vec::with_capacity(contacts.len());
        for c in contacts {
            out.push(Fallible(self.delete_one(&user.0, &c.0).await));
        }
        Ok(out)
    }

    async fn set_mutual_subscription(
        &self,
        _ctx: &Context<'_>,
        user_a: Jid,
        user_b: Jid,
        action: MutualSubAction,
    ) -> Result<Option<String>> {
        let (a, b) = (user_a.0.to_bare(), user_b.0.to_bare());
        let named = |e: ApiError| e.with("userA", a.to_string()).with("userB", b.to_string());
        local_user(&self.state, &a).map_err(named)?;
        match action {
            MutualSubAction::Connect => {
                let side = |jid| Mutual {
                    jid,
                    name: String::new(),
                    groups: Vec::new(),
                };
                self.state
                    .roster
                    .subscribe_both(&side(&a), &side(&b))
                    .await
                    .map_err(|e| named(codes::roster(e, "create", &a, &b)))?;
                Ok(Some(format!(
                    "Subscription between users {a} and {b} created successfully"
                )))
            }
            MutualSubAction::Disconnect => {
                self.state
                    .roster
                    .remove_mutual(&a, &b)
                    .await
                    .map_err(|e| named(codes::roster(e, "delete", &a, &b)))?;
                Ok(Some("Mutual subscription removed successfully".into()))
            }
        }
    }

    async fn subscribe_to_all(
        &self,
        _ctx: &Context<'_>,
        user: ContactInput,
        contacts: Vec<ContactInput>,
    ) -> Result<Vec<Fallible<Option<String>>>> {
        let mut out = Vec::with_capacity(contacts.len());
        for c in &contacts {
            out.push(Fallible(self.subscribe_pair(&user, c).await));
        }
        Ok(out)
    }

    async fn subscribe_all_to_all(
        &self,
        _ctx: &Context<'_>,
        contacts: Vec<ContactInput>,
    ) -> Result<Vec<Fallible<Option<String>>>> {
        let mut out = Vec::new();
        for (i, a) in contacts.iter().enumerate() {
            for b in &contacts[i + 1..] {
                out.push(Fallible(self.subscribe_pair(a, b).await));
            }
        }
        Ok(out)
    }
}

impl RosterAdminQueryResolver for AdminApi {
    async fn list_contacts(&self, _ctx: &Context<'_>, user: Jid) -> Result<Option<Vec<Contact>>> {
        let user = local_user(&self.state, &user.0)?;
        let items = self
            .state
            .contacts(&user)
            .await
            .map_err(|e| codes::contacts(e, &user))?;
        let contacts = items
            .into_iter()
            .map(contact)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(contacts))
    }

    async fn get_contact(
        &self,
        _ctx: &Context<'_>,
        user: Jid,
        contact_jid: Jid,
    ) -> Result<Option<Contact>> {
        let user = local_user(&self.state, &user.0)?;
        let item = self
            .state
            .roster
            .get(&user, &contact_jid.0)
            .await
            .map_err(|e| codes::roster(e, "get", &user, &contact_jid.0))?;
        Ok(Some(contact(item)?))
    }
}
