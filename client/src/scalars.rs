//! Custom scalars of both schemas, as plain strings/integers on the client side.

use crate::{admin_schema, schema};

macro_rules! string_scalar {
    ($($(#[$doc:meta])* $name:ident = $gql:literal;)*) => {$(
        $(#[$doc])*
        #[derive(cynic::Scalar, Clone, Debug, PartialEq, Eq, Hash)]
        #[cynic(graphql_type = $gql)]
        pub struct $name(pub String);

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }
    )*};
}

string_scalar! {
    /// `user@domain[/resource]`.
    Jid = "JID";
    /// `user@domain`.
    BareJid = "BareJID";
    /// `user@domain/resource`.
    FullJid = "FullJID";
    UserName = "UserName";
    RoomName = "RoomName";
    DomainName = "DomainName";
    ResourceName = "ResourceName";
    NonEmptyString = "NonEmptyString";
    /// RFC 3339, e.g. `2022-04-17T12:58:30.000000Z`.
    DateTime = "DateTime";
    /// One serialised XML element.
    XmlElement = "XmlElement";
}

/// An integer above zero.
#[derive(cynic::Scalar, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(graphql_type = "PosInt")]
pub struct PosInt(pub i64);

/// An integer of zero or more.
#[derive(cynic::Scalar, Clone, Copy, Debug, PartialEq, Eq)]
#[cynic(graphql_type = "NonNegInt")]
pub struct NonNegInt(pub i64);

cynic::impl_scalar!(Jid, admin_schema::JID);
cynic::impl_scalar!(UserName, admin_schema::UserName);
cynic::impl_scalar!(DomainName, admin_schema::DomainName);
cynic::impl_scalar!(NonEmptyString, admin_schema::NonEmptyString);
cynic::impl_scalar!(XmlElement, admin_schema::XmlElement);
cynic::impl_scalar!(DateTime, admin_schema::DateTime);
cynic::impl_scalar!(PosInt, admin_schema::PosInt);
cynic::impl_scalar!(NonNegInt, admin_schema::NonNegInt);
cynic::impl_scalar!(BareJid, admin_schema::BareJID);
cynic::impl_scalar!(FullJid, admin_schema::FullJID);
cynic::impl_scalar!(ResourceName, admin_schema::ResourceName);
cynic::impl_scalar!(RoomName, admin_schema::RoomName);
