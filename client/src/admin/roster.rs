//! `roster` on the admin API: any user's contacts and subscriptions.

use cynic::{MutationBuilder, QueryBuilder};

use crate::admin_schema as schema;
use crate::scalars::Jid;

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum ContactSub {
    None,
    Both,
    From,
    To,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum ContactAsk {
    Subscribe,
    Unsubscribe,
    In,
    Out,
    Both,
    None,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum SubAction {
    Invite,
    Accept,
    Decline,
    Cancel,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(schema = "mimql_admin")]
pub enum MutualSubAction {
    Connect,
    Disconnect,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Contact {
    pub jid: Jid,
    pub name: Option<String>,
    pub groups: Option<Vec<String>>,
    pub subscription: Option<ContactSub>,
    pub ask: Option<ContactAsk>,
}

#[derive(cynic::InputObject, Debug, Clone)]
#[cynic(schema = "mimql_admin")]
pub struct ContactInput {
    pub jid: Jid,
    pub name: String,
    pub groups: Option<Vec<String>>,
}

impl ContactInput {
    /// A contact input without groups (`groups: null`).
    pub fn new(jid: &str, name: &str) -> ContactInput {
        ContactInput {
            jid: jid.into(),
            name: name.to_string(),
            groups: None,
        }
    }
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct AddContactVars {
    pub user: Jid,
    pub contact: Jid,
    pub name: Option<String>,
    pub groups: Option<Vec<String>>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct AddContactsVars {
    pub user: Jid,
    pub contacts: Vec<ContactInput>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SubscriptionVars {
    pub user: Jid,
    pub contact: Jid,
    pub action: SubAction,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct UserContactVars {
    pub user: Jid,
    pub contact: Jid,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct DeleteContactsVars {
    pub user: Jid,
    pub contacts: Vec<Jid>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct MutualVars {
    pub user_a: Jid,
    pub user_b: Jid,
    pub action: MutualSubAction,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SubscribeToAllVars {
    pub user: ContactInput,
    pub contacts: Vec<ContactInput>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct ContactInputsVars {
    pub contacts: Vec<ContactInput>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct UserVars {
    pub user: Jid,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "RosterAdminMutation",
    variables = "AddContactVars"
)]
pub struct RosterAddContact {
    #[arguments(user: $user, contact: $contact, name: $name, groups: $groups)]
    pub add_contact: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "AddContactVars"
)]
pub struct AddContact {
    pub roster: Option<RosterAddContact>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "RosterAdminMutation",
    variables = "AddContactsVars"
)]
pub struct RosterAddContacts {
    #[arguments(user: $user, contacts: $contacts)]
    pub add_contacts: Vec<Option<String>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "AddContactsVars"
)]
pub struct AddContacts {
    pub roster: Option<RosterAddContacts>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "RosterAdminMutation",
    variables = "SubscriptionVars"
)]
pub struct RosterSubscription {
    #[arguments(user: $user, contact: $contact, action: $action)]
    pub subscription: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SubscriptionVars"
)]
pub struct Subscription {
    pub roster: Option<RosterSubscription>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "RosterAdminMutation",
    variables = "UserContactVars"
)]
pub struct RosterDeleteContact {
    #[arguments(user: $user, contact: $contact)]
    pub delete_contact: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "UserContactVars"
)]
pub struct DeleteContact {
    pub roster: Option<RosterDeleteContact>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "RosterAdminMutation",
    variables = "DeleteContactsVars"
)]
pub struct RosterDeleteContacts {
    #[arguments(user: $user, contacts: $contacts)]
    pub delete_contacts: Vec<Option<String>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "DeleteContactsVars"
)]
pub struct DeleteContacts {
    pub roster: Option<RosterDeleteContacts>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "RosterAdminMutation",
    variables = "MutualVars"
)]
pub struct RosterSetMutualSubscription {
    #[arguments(userA: $user_a, userB: $user_b, action: $action)]
    pub set_mutual_subscription: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "MutualVars"
)]
pub struct SetMutualSubscription {
    pub roster: Option<RosterSetMutualSubscription>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "RosterAdminMutation",
    variables = "SubscribeToAllVars"
)]
pub struct RosterSubscribeToAll {
    #[arguments(user: $user, contacts: $contacts)]
    pub subscribe_to_all: Vec<Option<String>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SubscribeToAllVars"
)]
pub struct SubscribeToAll {
    pub roster: Option<RosterSubscribeToAll>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "RosterAdminMutation",
    variables = "ContactInputsVars"
)]
pub struct RosterSubscribeAllToAll {
    #[arguments(contacts: $contacts)]
    pub subscribe_all_to_all: Vec<Option<String>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "ContactInputsVars"
)]
pub struct SubscribeAllToAll {
    pub roster: Option<RosterSubscribeAllToAll>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "RosterAdminQuery",
    variables = "UserVars"
)]
pub struct RosterListContacts {
    #[arguments(user: $user)]
    pub list_contacts: Option<Vec<Contact>>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "UserVars"
)]
pub struct ListContacts {
    pub roster: Option<RosterListContacts>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "RosterAdminQuery",
    variables = "UserContactVars"
)]
pub struct RosterGetContact {
    #[arguments(user: $user, contact: $contact)]
    pub get_contact: Option<Contact>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "UserContactVars"
)]
pub struct GetContact {
    pub roster: Option<RosterGetContact>,
}

fn jids(list: &[&str]) -> Vec<Jid> {
    list.iter().map(|j| Jid::from(*j)).collect()
}

/// `addContact` to `user`'s roster.
pub fn add_contact(
    user: &str,
    contact: &str,
    name: Option<&str>,
    groups: Option<&[&str]>,
) -> cynic::Operation<AddContact, AddContactVars> {
    AddContact::build(AddContactVars {
        user: user.into(),
        contact: contact.into(),
        name: name.map(str::to_string),
        groups: groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
    })
}

pub fn add_contacts(
    user: &str,
    contacts: Vec<ContactInput>,
) -> cynic::Operation<AddContacts, AddContactsVars> {
    AddContacts::build(AddContactsVars {
        user: user.into(),
        contacts,
    })
}

/// A subscription presence from `user` to `contact`.
pub fn subscription(
    user: &str,
    contact: &str,
    action: SubAction,
) -> cynic::Operation<Subscription, SubscriptionVars> {
    Subscription::build(SubscriptionVars {
        user: user.into(),
        contact: contact.into(),
        action,
    })
}

pub fn delete_contact(
    user: &str,
    contact: &str,
) -> cynic::Operation<DeleteContact, UserContactVars> {
    DeleteContact::build(UserContactVars {
        user: user.into(),
        contact: contact.into(),
    })
}

pub fn delete_contacts(
    user: &str,
    contacts: &[&str],
) -> cynic::Operation<DeleteContacts, DeleteContactsVars> {
    DeleteContacts::build(DeleteContactsVars {
        user: user.into(),
        contacts: jids(contacts),
    })
}

pub fn set_mutual_subscription(
    user_a: &str,
    user_b: &str,
    action: MutualSubAction,
) -> cynic::Operation<SetMutualSubscription, MutualVars> {
    SetMutualSubscription::build(MutualVars {
        user_a: user_a.into(),
        user_b: user_b.into(),
        action,
    })
}

pub fn subscribe_to_all(
    user: ContactInput,
    contacts: Vec<ContactInput>,
) -> cynic::Operation<SubscribeToAll, SubscribeToAllVars> {
    SubscribeToAll::build(SubscribeToAllVars { user, contacts })
}

pub fn subscribe_all_to_all(
    contacts: Vec<ContactInput>,
) -> cynic::Operation<SubscribeAllToAll, ContactInputsVars> {
    SubscribeAllToAll::build(ContactInputsVars { contacts })
}

pub fn list_contacts(user: &str) -> cynic::Operation<ListContacts, UserVars> {
    ListContacts::build(UserVars { user: user.into() })
}

pub fn get_contact(user: &str, contact: &str) -> cynic::Operation<GetContact, UserContactVars> {
    GetContact::build(UserContactVars {
        user: user.into(),
        contact: contact.into(),
    })
}
