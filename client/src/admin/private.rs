//! `private` on the admin API: any user's XEP-0049 private XML storage.

use cynic::{MutationBuilder, QueryBuilder};

use crate::admin_schema as schema;
use crate::scalars::{Jid, NonEmptyString, XmlElement};

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetPrivateVars {
    pub user: Jid,
    pub element_string: XmlElement,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "PrivateAdminMutation",
    variables = "SetPrivateVars"
)]
pub struct PrivateSetPrivate {
    #[arguments(user: $user, elementString: $element_string)]
    pub set_private: Option<XmlElement>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "SetPrivateVars"
)]
pub struct SetPrivate {
    pub private: Option<PrivateSetPrivate>,
}

/// `setPrivate` of `user`; `element` is XML text.
pub fn set_private(user: &str, element: &str) -> cynic::Operation<SetPrivate, SetPrivateVars> {
    SetPrivate::build(SetPrivateVars {
        user: user.into(),
        element_string: element.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetPrivateVars {
    pub user: Jid,
    pub element: String,
    pub name_space: NonEmptyString,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "PrivateAdminQuery",
    variables = "GetPrivateVars"
)]
pub struct PrivateGetPrivate {
    #[arguments(user: $user, element: $element, nameSpace: $name_space)]
    pub get_private: Option<XmlElement>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminQuery",
    variables = "GetPrivateVars"
)]
pub struct GetPrivate {
    pub private: Option<PrivateGetPrivate>,
}

pub fn get_private(
    user: &str,
    element: &str,
    name_space: &str,
) -> cynic::Operation<GetPrivate, GetPrivateVars> {
    GetPrivate::build(GetPrivateVars {
        user: user.into(),
        element: element.to_string(),
        name_space: name_space.into(),
    })
}
