//! `httpUpload`: URLs to upload a file to and download it from.

use cynic::MutationBuilder;

use crate::scalars::{NonEmptyString, PosInt};
use crate::schema;

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct Header {
    pub name: Option<String>,
    pub value: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql")]
pub struct FileUrls {
    pub put_url: Option<String>,
    pub get_url: Option<String>,
    pub headers: Option<Vec<Option<Header>>>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetUrlVars {
    pub filename: NonEmptyString,
    pub size: PosInt,
    pub content_type: Option<String>,
    pub timeout: PosInt,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "HttpUploadUserMutation",
    variables = "GetUrlVars"
)]
pub struct HttpUploadGetUrl {
    #[arguments(filename: $filename, size: $size, contentType: $content_type, timeout: $timeout)]
    pub get_url: Option<FileUrls>,
}

/// `mutation { httpUpload { getUrl(...) { putUrl getUrl headers { name value } } } }`
#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(
    schema = "mimql",
    graphql_type = "UserMutation",
    variables = "GetUrlVars"
)]
pub struct GetUrl {
    pub http_upload: Option<HttpUploadGetUrl>,
}

/// `getUrl`: `size` in bytes, `timeout` (seconds) bounds how long the PUT URL works.
pub fn get_url(
    filename: &str,
    size: i64,
    content_type: Option<&str>,
    timeout: i64,
) -> cynic::Operation<GetUrl, GetUrlVars> {
    GetUrl::build(GetUrlVars {
        filename: NonEmptyString::from(filename),
        size: PosInt(size),
        content_type: content_type.map(str::to_string),
        timeout: PosInt(timeout),
    })
}
