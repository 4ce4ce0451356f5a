//! `httpUpload` on the admin API: URLs for a file of a domain.

use cynic::MutationBuilder;

use crate::admin_schema as schema;
use crate::scalars::{DomainName, NonEmptyString, PosInt};

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct Header {
    pub name: Option<String>,
    pub value: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(schema = "mimql_admin")]
pub struct FileUrls {
    pub put_url: Option<String>,
    pub get_url: Option<String>,
    pub headers: Option<Vec<Option<Header>>>,
}

#[derive(cynic::QueryVariables, Debug, Clone)]
pub struct GetUrlVars {
    pub domain: DomainName,
    pub filename: NonEmptyString,
    pub size: PosInt,
    pub content_type: Option<String>,
    pub timeout: PosInt,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "HttpUploadAdminMutation",
    variables = "GetUrlVars"
)]
pub struct HttpUploadGetUrl {
    #[arguments(domain: $domain, filename: $filename, size: $size, contentType: $content_type, timeout: $timeout)]
    pub get_url: Option<FileUrls>,
}

#[derive(cynic::QueryFragment, Debug, Clone, PartialEq)]
#[cynic(
    schema = "mimql_admin",
    graphql_type = "AdminMutation",
    variables = "GetUrlVars"
)]
pub struct GetUrl {
    pub http_upload: Option<HttpUploadGetUrl>,
}

pub fn get_url(
    domain: &str,
    filename: &str,
    size: i64,
    content_type: Option<&str>,
    timeout: i64,
) -> cynic::Operation<GetUrl, GetUrlVars> {
    GetUrl::build(GetUrlVars {
        domain: domain.into(),
        filename: filename.into(),
        size: PosInt(size),
        content_type: content_type.map(str::to_string),
        timeout: PosInt(timeout),
    })
}
