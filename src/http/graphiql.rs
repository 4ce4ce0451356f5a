//! The GraphiQL page served to browsers that GET the endpoint.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;

pub fn page(title: &str) -> HttpResponse {
    let html = async_graphql::http::GraphiQLSource::build()
        .endpoint("/api/graphql")
        .title(title)
        .finish();
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(html)
}
