//! `httpUpload`: upload and download URLs for a file the caller declares.

use async_graphql::{Context, Result};

use super::{UserApi, caller, codes};
use crate::generated::user::*;
use crate::modules::MissingModules;
use crate::upload::Declared;

impl HttpUploadUserMutationResolver for UserApi {
    async fn get_url(
        &self,
        ctx: &Context<'_>,
        filename: NonEmptyString,
        size: PosInt,
        content_type: Option<String>,
        timeout: PosInt,
    ) -> Result<Option<FileUrls>> {
        let user = caller(ctx)?;
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
            .get_url(&user.to_bare(), &declared)
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
