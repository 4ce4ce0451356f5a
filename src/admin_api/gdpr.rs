//! `gdpr` on the admin API: a user's personal data, zipped into a file on the server.

use async_graphql::{Context, Result};

use super::AdminApi;
use crate::api::codes;
use crate::generated::admin::*;
use crate::jid::Jid;

impl GdprAdminQueryResolver for AdminApi {
    async fn retrieve_personal_data(
        &self,
        _ctx: &Context<'_>,
        username: UserName,
        domain: DomainName,
        result_filepath: String,
    ) -> Result<Option<String>> {
        let jid = Jid::from_normalized(&username.0, &domain.0);
        self.state
            .retrieve_personal_data(&jid, std::path::Path::new(&result_filepath))
            .await
            .map_err(|e| codes::gdpr(e, &username.0, &domain.0))?;
        Ok(Some("Data retrieved".into()))
    }
}
