//! `account` on the admin API: register, remove, passwords, listings.

use async_graphql::{Context, Result};

use super::AdminApi;
use crate::accounts::{Accounts, PasswordHashCheck};
use crate::api::codes;
use crate::generated::admin::{self as schema, *};
use crate::jid::Jid;

fn payload(jid: &Jid, message: String) -> Option<UserPayload> {
    Some(UserPayload {
        jid: schema::Jid(jid.clone()),
        message,
    })
}

impl AccountAdminQueryResolver for AdminApi {
    async fn list_users(
        &self,
        _ctx: &Context<'_>,
        domain: DomainName,
    ) -> Result<Option<Vec<String>>> {
        let users = self
            .state
            .accounts
            .list(&domain.0)
            .await
            .map_err(|e| codes::domain_admin(e, &domain.0))?;
        Ok(Some(users))
    }

    async fn count_users(&self, _ctx: &Context<'_>, domain: DomainName) -> Result<Option<i32>> {
        let n = self
            .state
            .accounts
            .count(&domain.0)
            .await
            .map_err(|e| codes::domain_admin(e, &domain.0))?;
        Ok(Some(i32::try_from(n).unwrap_or(i32::MAX)))
    }

    async fn check_password(
        &self,
        _ctx: &Context<'_>,
        user: schema::Jid,
        password: String,
    ) -> Result<Option<CheckPasswordPayload>> {
        let jid = user.0.to_bare();
        let correct = self
            .state
            .accounts
            .check_password(&jid, &password)
            .await
            .map_err(|e| codes::account_admin(e, &jid.to_string()))?;
        // Unlike the reference, the answer never echoes the password.
        let message = if correct {
            format!("Password for user {jid} is correct")
        } else {
            format!("Password for user {jid} is incorrect")
        };
        Ok(Some(CheckPasswordPayload { correct, message }))
    }

    async fn check_password_hash(
        &self,
        _ctx: &Context<'_>,
        user: schema::Jid,
        password_hash: String,
        hash_method: String,
    ) -> Result<Option<CheckPasswordPayload>> {
        let jid = user.0.to_bare();
        match self
            .state
            .accounts
            .check_password_hash(&jid, &password_hash, &hash_method)
        {
            PasswordHashCheck::NoPlainPassword => {
                Err(codes::password_hash(&jid.to_string()).into())
            }
        }
    }

    async fn check_user(
        &self,
        _ctx: &Context<'_>,
        user: schema::Jid,
    ) -> Result<Option<CheckUserPayload>> {
        let jid = user.0.to_bare();
        let exist = self
            .state
            .accounts
            .exists(&jid)
            .await
            .map_err(crate::errors::ApiError::from)?;
        let message = if exist {
            format!("User {jid} exists")
        } else {
            format!("User {jid} does not exist")
        };
        Ok(Some(CheckUserPayload { exist, message }))
    }
}

impl AccountAdminMutationResolver for AdminApi {
    async fn register_user(
        &self,
        _ctx: &Context<'_>,
        domain: DomainName,
        username: Option<UserName>,
        password: String,
    ) -> Result<Option<UserPayload>> {
        let name = username
            .map(|u| u.0)
            .unwrap_or_else(Accounts::random_username);
        let jid = Jid::from_normalized(&name, &domain.0);
        self.state
            .accounts
            .register(&jid, &password)
            .await
            .map_err(|e| codes::account_admin(e, &jid.to_string()))?;
        Ok(payload(&jid, format!("User {jid} successfully registered")))
    }

    async fn remove_user(
        &self,
        _ctx: &Context<'_>,
        user: schema::Jid,
    ) -> Result<Option<UserPayload>> {
        let jid = user.0.to_bare();
        self.state
            .remove_user(&jid)
            .await
            .map_err(|e| codes::account_admin(e, &jid.to_string()))?;
        Ok(payload(
            &jid,
            format!("User {jid} successfully unregistered"),
        ))
    }

    async fn ban_user(
        &self,
        _ctx: &Context<'_>,
        user: schema::Jid,
        reason: String,
    ) -> Result<Option<UserPayload>> {
        let jid = user.0.to_bare();
        self.state
            .ban_user(&jid, &reason)
            .await
            .map_err(|e| codes::account_admin(e, &jid.to_string()))?;
        Ok(payload(
            &jid,
            format!("User {jid} successfully banned with reason: {reason}"),
        ))
    }

    async fn import_users(
        &self,
        _ctx: &Context<'_>,
        filename: NonEmptyString,
    ) -> Result<Option<ImportPayload>> {
        let summary =
            crate::import_users::import(&self.state.accounts, std::path::Path::new(&filename.0))
                .await
                .map_err(|e| codes::import_users(e, &filename.0))?;
        let jids = |v: Vec<String>| -> Option<Vec<schema::Jid>> {
            Some(
                v.iter()
                    .filter_map(|j| Jid::parse(j).ok())
                    .map(schema::Jid)
                    .collect(),
            )
        };
        Ok(Some(ImportPayload {
            status: "Completed".into(),
            created: jids(summary.created),
            existing: jids(summary.existing),
            not_allowed: jids(summary.not_allowed),
            invalid_jid: Some(summary.invalid_jid),
            empty_password: jids(summary.empty_password),
            invalid_record: Some(summary.invalid_record),
        }))
    }

    async fn change_user_password(
        &self,
        _ctx: &Context<'_>,
        user: schema::Jid,
        new_password: String,
    ) -> Result<Option<UserPayload>> {
        let jid = user.0.to_bare();
        self.state
            .accounts
            .change_password(&jid, &new_password)
            .await
            .map_err(|e| codes::account_admin(e, &jid.to_string()))?;
        Ok(payload(&jid, "Password changed".into()))
    }
}
