//! `roster`: contacts and presence subscriptions.

use cynic::{MutationBuilder, QueryBuilder};

use crate::scalars::Jid;
use crate::schema;

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql")]
pub enum ContactSub {
    None,
    Both,
    From,
    To,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql")]
pub enum ContactAsk {
    Subscribe,
    Unsubscribe,
    In,
    Out,
    Both,
    None,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql")]
pub enum SubAction {
    Invite,
    Accept,
    Decline,
    Cancel,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct Contact {
    pub jid: Jid,
    pub name: Option<String>,
    pub groups: Option<Vec<String>>,
    pub subscription: Option<ContactSub>,
    pub ask: Option<ContactAsk>,
}

#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(schema = "mimql")]
pub struct ContactInput {
    pub jid: Jid,
    pub name: String,
    pub groups: Option<Vec<String>>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct AddContactVars {
    pub contact: Jid,
    pub name: Option<String>,
    pub groups: Option<Vec<String>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "RosterUserMutation",
    variables = "AddContactVars"
)]
pub struct RosterAddContact {
    #[arguments(contact: $contact, name: $name, groups: $groups)]
    pub add_contact: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "AddContactVars"
)]
pub struct AddContact {
    pub roster: Option<RosterAddContact>,
}

pub fn add_contact(
    contact: &str,
    name: Option<&str>,
    groups: Option<&[&str]>,
) -> cynic::Operation<AddContact, AddContactVars> {
    AddContact::build(AddContactVars {
        contact: contact.into(),
        name: name.map(str::to_string),
        groups: groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct AddContactsVars {
    pub contacts: Vec<ContactInput>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "RosterUserMutation",
    variables = "AddContactsVars"
)]
pub struct RosterAddContacts {
    #[arguments(contacts: $contacts)]
    pub add_contacts: Vec<Option<String>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "AddContactsVars"
)]
pub struct AddContacts {
    pub roster: Option<RosterAddContacts>,
}

pub fn add_contacts(contacts: Vec<ContactInput>) -> cynic::Operation<AddContacts, AddContactsVars> {
    AddContacts::build(AddContactsVars { contacts })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SubscriptionVars {
    pub contact: Jid,
    pub action: SubAction,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "RosterUserMutation",
    variables = "SubscriptionVars"
)]
pub struct RosterSubscription {
    #[arguments(contact: $contact, action: $action)]
    pub subscription: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SubscriptionVars"
)]
pub struct Subscription {
    pub roster: Option<RosterSubscription>,
}

pub fn subscription(
    contact: &str,
    action: SubAction,
) -> cynic::Operation<Subscription, SubscriptionVars> {
    Subscription::build(SubscriptionVars {
        contact: contact.into(),
        action,
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ContactVars {
    pub contact: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "RosterUserMutation",
    variables = "ContactVars"
)]
pub struct RosterDeleteContact {
    #[arguments(contact: $contact)]
    pub delete_contact: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "ContactVars"
)]
pub struct DeleteContact {
    pub roster: Option<RosterDeleteContact>,
}

pub fn delete_contact(contact: &str) -> cynic::Operation<DeleteContact, ContactVars> {
    DeleteContact::build(ContactVars {
        contact: contact.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ContactsVars {
    pub contacts: Vec<Jid>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "RosterUserMutation",
    variables = "ContactsVars"
)]
pub struct RosterDeleteContacts {
    #[arguments(contacts: $contacts)]
    pub delete_contacts: Vec<Option<String>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "ContactsVars"
)]
pub struct DeleteContacts {
    pub roster: Option<RosterDeleteContacts>,
}

pub fn delete_contacts(contacts: &[&str]) -> cynic::Operation<DeleteContacts, ContactsVars> {
    DeleteContacts::build(ContactsVars {
        contacts: contacts.iter().map(|c| Jid::from(*c)).collect(),
    })
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(schema = "mimql", graphql_type = "RosterUserQuery")]
pub struct RosterListContacts {
    pub list_contacts: Option<Vec<Contact>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(schema = "mimql", graphql_type = "UserQuery")]
pub struct ListContacts {
    pub roster: Option<RosterListContacts>,
}

pub fn list_contacts() -> cynic::Operation<ListContacts, ()> {
    ListContacts::build(())
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "RosterUserQuery",
    variables = "ContactVars"
)]
pub struct RosterGetContact {
    #[arguments(contact: $contact)]
    pub get_contact: Option<Contact>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserQuery",
    variables = "ContactVars"
)]
pub struct GetContact {
    pub roster: Option<RosterGetContact>,
}

pub fn get_contact(contact: &str) -> cynic::Operation<GetContact, ContactVars> {
    GetContact::build(ContactVars {
        contact: contact.into(),
    })
}
