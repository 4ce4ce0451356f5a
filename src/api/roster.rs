use async_graphql::{Context, Result};

use super::UserApi;
use crate::errors::ApiError;
use crate::generated::user::*;

impl RosterUserMutationResolver for UserApi {
    async fn add_contact(
        &self,
        _ctx: &Context<'_>,
        _contact: Jid,
        _name: Option<String>,
        _groups: Option<Vec<String>>,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("RosterUserMutation.addContact").into())
    }

    async fn add_contacts(
        &self,
        _ctx: &Context<'_>,
        _contacts: Vec<ContactInput>,
    ) -> Result<Vec<Fallible<Option<String>>>> {
        Err(ApiError::not_implemented("RosterUserMutation.addContacts").into())
    }

    async fn subscription(
        &self,
        _ctx: &Context<'_>,
        _contact: Jid,
        _action: SubAction,
    ) -> Result<Option<String>> {
        Err(ApiError::not_implemented("RosterUserMutation.subscription").into())
    }

    async fn delete_contact(&self, _ctx: &Context<'_>, _contact: Jid) -> Result<Option<String>> {
        Err(ApiError::not_implemented("RosterUserMutation.deleteContact").into())
    }

    async fn delete_contacts(
        &self,
        _ctx: &Context<'_>,
        _contacts: Vec<Jid>,
    ) -> Result<Vec<Fallible<Option<String>>>> {
        Err(ApiError::not_implemented("RosterUserMutation.deleteContacts").into())
    }
}

impl RosterUserQueryResolver for UserApi {
    async fn list_contacts(&self, _ctx: &Context<'_>) -> Result<Option<Vec<Contact>>> {
        Err(ApiError::not_implemented("RosterUserQuery.listContacts").into())
    }

    async fn get_contact(&self, _ctx: &Context<'_>, _contact: Jid) -> Result<Option<Contact>> {
        Err(ApiError::not_implemented("RosterUserQuery.getContact").into())
    }
}
