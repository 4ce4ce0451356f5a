//! `offline` on the admin API: deleting offline messages.

use cynic::MutationBuilder;

use crate::admin_schema as schema;
use crate::scalars::{DomainName, PosInt};

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct DeleteExpiredMessagesVars {
    pub domain: DomainName,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "OfflineAdminMutation",
    variables = "DeleteExpiredMessagesVars"
)]
pub struct OfflineDeleteExpiredMessages {
    #[arguments(domain: $domain)]
    pub delete_expired_messages: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "DeleteExpiredMessagesVars"
)]
pub struct DeleteExpiredMessages {
    pub offline: Option<OfflineDeleteExpiredMessages>,
}

impl DeleteExpiredMessages {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.offline.as_ref()?.delete_expired_messages.as_ref()
    }
}

/// `deleteExpiredMessages`: deletes the domain's expired offline messages.
pub fn delete_expired_messages(
    domain: &str,
) -> cynic::Operation<DeleteExpiredMessages, DeleteExpiredMessagesVars> {
    DeleteExpiredMessages::build(DeleteExpiredMessagesVars {
        domain: domain.into(),
    })
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct DeleteOldMessagesVars {
    pub domain: DomainName,
    pub days: PosInt,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "OfflineAdminMutation",
    variables = "DeleteOldMessagesVars"
)]
pub struct OfflineDeleteOldMessages {
    #[arguments(domain: $domain, days: $days)]
    pub delete_old_messages: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "DeleteOldMessagesVars"
)]
pub struct DeleteOldMessages {
    pub offline: Option<OfflineDeleteOldMessages>,
}

impl DeleteOldMessages {
    /// The field's value.
    pub fn value(&self) -> Option<&String> {
        self.offline.as_ref()?.delete_old_messages.as_ref()
    }
}

/// `deleteOldMessages`: deletes the domain's offline messages at least `days` old.
pub fn delete_old_messages(
    domain: &str,
    days: i64,
) -> cynic::Operation<DeleteOldMessages, DeleteOldMessagesVars> {
    DeleteOldMessages::build(DeleteOldMessagesVars {
        domain: domain.into(),
        days: PosInt(days),
    })
}
