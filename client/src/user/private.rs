//! `private`: XEP-0049 private XML storage.

use cynic::{MutationBuilder, QueryBuilder};

use crate::scalars::{NonEmptyString, XmlElement};
use crate::schema;

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct SetPrivateVars {
    pub element_string: XmlElement,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "PrivateUserMutation",
    variables = "SetPrivateVars"
)]
pub struct PrivateSetPrivate {
    #[arguments(elementString: $element_string)]
    pub set_private: Option<XmlElement>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "SetPrivateVars"
)]
pub struct SetPrivate {
    pub private: Option<PrivateSetPrivate>,
}

pub fn set_private(element: &str) -> cynic::Operation<SetPrivate, SetPrivateVars> {
    SetPrivate::build(SetPrivateVars {
        element_string: element.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetPrivateVars {
    pub element: String,
    pub name_space: NonEmptyString,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "PrivateUserQuery",
    variables = "GetPrivateVars"
)]
pub struct PrivateGetPrivate {
    #[arguments(element: $element, nameSpace: $name_space)]
    pub get_private: Option<XmlElement>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserQuery",
    variables = "GetPrivateVars"
)]
pub struct GetPrivate {
    pub private: Option<PrivateGetPrivate>,
}

pub fn get_private(
    element: &str,
    name_space: &str,
) -> cynic::Operation<GetPrivate, GetPrivateVars> {
    GetPrivate::build(GetPrivateVars {
        element: element.to_string(),
        name_space: name_space.into(),
    })
}
