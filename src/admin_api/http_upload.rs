//! `httpUpload` on the admin API: URLs for a file of a domain, signed by the same upload
//! service as the user API's, without an owner (so without a user's quota).

use async_graphql::{Context, Result};

use super::AdminApi;
use crate::api::codes;
use crate::errors::ApiError;
use crate::generated::admin::*;
use crate::modules::MissingModules;
use crate::upload::Declared;

impl HttpUploadAdminMutationResolver for AdminApi {
    async fn get_url(
        &self,
        _ctx: &Context<'_>,
        domain: DomainName,
        filename: NonEmptyString,
        size: PosInt,
        content_type: Option<String>,
        timeout: PosInt,
    ) -> Result<Option<FileUrls>> {
        if !self.state.accounts.is_host(&domain.0) {
            return Err(ApiError::new("domain_not_found", "domain does not exist")
                .with("domain", domain.0)
                .into());
        }
        let uploads = self
            .state
            .uploads
            .as_ref()
            .ok_or_else(|| codes::deps_not_loaded(MissingModules(vec!["mod_http_upload"])))?;
        // An empty content type means none, as in the reference.
        let content_type = content_type.filter(|t| !t.is_empty());
        let declared = Declared {
            filename: &filename.0,
            // PosInt guarantees both are positive.
            size: size.0.unsigned_abs(),
            content_type: content_type.as_deref(),
            timeout: timeout.0.unsigned_abs(),
        };
        let urls = uploads
            .get_admin_url(&declared)
            .await
            .map_err(|e| codes::upload(e, &declared))?;
        let headers = urls
            .headers
            .into_iter()
            .map(|(name, value)| {
                Some(Header {
                    name: Some(name),
                    value: Some(value),
                })
            })
            .collect();
        Ok(Some(FileUrls {
            put_url: Some(urls.put_url),
            get_url: Some(urls.get_url),
            headers: Some(headers),
        }))
    }
}
