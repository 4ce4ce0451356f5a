//! The stack's ceiling for the benchmark: actix-web + async-graphql answering
//! `{ checkAuth { username authStatus } }` with no authentication and no storage.
//! Usage: `mimql-bench-ceiling 127.0.0.1:15600`.

use actix_web::{App, HttpResponse, HttpServer, web};
use async_graphql::{EmptyMutation, EmptySubscription, Enum, Object, Schema, SimpleObject};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
enum AuthStatus {
    Authorized,
    Unauthorized,
}

#[derive(SimpleObject)]
#[graphql(name = "UserAuthInfo")]
struct UserAuthInfo {
    username: Option<String>,
    auth_status: Option<AuthStatus>,
}

struct Query;

#[Object(name = "UserQuery")]
impl Query {
    async fn check_auth(&self) -> Option<UserAuthInfo> {
        Some(UserAuthInfo {
            username: Some("bench@localhost".into()),
            auth_status: Some(AuthStatus::Authorized),
        })
    }
}

type BenchSchema = Schema<Query, EmptyMutation, EmptySubscription>;

async fn graphql(schema: web::Data<BenchSchema>, body: web::Bytes) -> HttpResponse {
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => return HttpResponse::BadRequest().finish(),
    };
    let response = schema.execute(request).await;
    HttpResponse::Ok()
        .content_type("application/json; charset=utf-8")
        .body(serde_json::to_vec(&response).unwrap_or_default())
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:15600".into());
    let schema = web::Data::new(Schema::new(Query, EmptyMutation, EmptySubscription));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(schema.clone())
                .route("/api/graphql", web::post().to(graphql))
        })
        .bind(addr)?
        .run()
        .await
    })
}
