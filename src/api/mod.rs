//! The user API: `UserApi` implements every generated resolver trait, one module per category.
//! Resolvers stay thin: they take the caller from the request, call domain code and map its
//! errors through [`codes`].

mod account;
mod check_auth;
pub mod codes;
mod http_upload;
mod inbox;
mod last;
mod muc;
mod muc_light;
mod private;
mod roster;
mod session;
pub(crate) mod stanza;
mod token;
mod vcard;

use std::sync::Arc;

use async_graphql::{Context, Value};

use crate::errors::ApiError;
use crate::generated::user::SchemaHooks;
use crate::jid::Jid;
use crate::state::AppState;

/// Who sent the request: the JID from Basic auth (normalised, resource kept), if any.
#[derive(Clone, Debug, Default)]
pub struct Caller(pub Option<Jid>);

/// The implementor of the user API's resolver traits.
pub struct UserApi {
    pub state: Arc<AppState>,
}

impl UserApi {
    pub fn new(state: Arc<AppState>) -> UserApi {
        UserApi { state }
    }
}

/// The authenticated caller; every protected resolver starts here.
pub fn caller<'a>(ctx: &'a Context<'_>) -> Result<&'a Jid, ApiError> {
    ctx.data_opt::<Caller>()
        .and_then(|c| c.0.as_ref())
        .ok_or_else(codes::no_permissions)
}

impl SchemaHooks for UserApi {
    fn require_auth(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        caller(ctx).map(drop).map_err(Into::into)
    }

    fn require_modules(
        &self,
        ctx: &Context<'_>,
        modules: &[&str],
        arg: Option<Value>,
    ) -> async_graphql::Result<()> {
        // The host whose modules count: the argument's domain when `@use(arg:)` names one (a
        // null argument skips the check, as in the reference), else the caller's domain.
        let domain = match &arg {
            Some(Value::String(s)) => Some(crate::modules::domain_of(s)),
            Some(_) => return Ok(()),
            None => caller(ctx).ok().map(|c| c.domain().to_string()),
        };
        let Some(domain) = domain else {
            return Ok(());
        };
        crate::modules::require(&self.state, &domain, modules)
            .map_err(|missing| codes::deps_not_loaded(missing).into())
    }
}
