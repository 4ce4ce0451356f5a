//! The snapshot of the small SDL compiles, its traits can be implemented, and the schema runs:
//! the generated code is usable as it is, not only printable. (`src/lib.rs` has the
//! compile-fail counterpart: leaving a resolver out does not build.)

mod support;
pub use support::{api, codecs, resolvers, scalars, schema_meta};

mod own_resolvers {
    use async_graphql::{Context, Result};

    use crate::api::*;
    use crate::resolvers::Api;

    impl QueryResolver for Api {
        async fn hello(&self, _ctx: &Context<'_>) -> Result<Option<String>> {
            Ok(Some("hi".into()))
        }
    }

    impl NoteQueryResolver for Api {
        async fn get(
            &self,
            _ctx: &Context<'_>,
            owner: Option<Jid>,
            limit: Option<i32>,
        ) -> Result<Option<Note>> {
            Ok(Some(Note {
                owner: owner.unwrap_or(Jid("me@x".into())),
                text: Some(format!("limit {}", limit.unwrap_or_default())),
                kind: Some(Kind::HtmlText),
                attachment: Some(Attachment::Link(Box::new(Link {
                    url: Some("u".into()),
                }))),
            }))
        }
        async fn all(&self, ctx: &Context<'_>) -> Result<Vec<Note>> {
            match ctx.data_opt::<super::FailAll>() {
                Some(_) => Err("all failed".into()),
                None => Ok(Vec::new()),
            }
        }
    }
}

/// Makes the non-null `NoteQuery.all` fail.
struct FailAll;

fn run(query: &str, authenticated: bool) -> serde_json::Value {
    execute(async_graphql::Request::new(query).data(authenticated))
}

fn execute(request: async_graphql::Request) -> serde_json::Value {
    let schema = api::schema_builder().data(resolvers::Api).finish();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let resp = rt.block_on(schema.execute(request));
    serde_json::to_value(&resp).unwrap()
}

#[test]
fn the_generated_schema_executes() {
    let out = run(
        r#"{ hello notes { get(owner: "A@B") { owner text kind attachment { ... on Link { url } } } } }"#,
        true,
    );
    assert_eq!(
        out["data"],
        serde_json::json!({"hello": "hi", "notes": {"get": {"owner": "a@b", "text": "limit 10", "kind": "HTML_TEXT", "attachment": {"url": "u"}}}})
    );
}

#[test]
fn hooks_guard_fields_and_errors_stay_on_their_field() {
    let out = run(r#"{ hello notes { get { text } } }"#, false);
    assert_eq!(out["data"]["hello"], "hi");
    assert_eq!(out["data"]["notes"], serde_json::Value::Null);
    assert_eq!(out["errors"][0]["path"], serde_json::json!(["notes"]));

    let out = run(
        r#"{ notes { get(owner: "off@x") { text } all { text } } }"#,
        true,
    );
    assert_eq!(out["data"]["notes"]["get"], serde_json::Value::Null);
    assert_eq!(out["data"]["notes"]["all"], serde_json::json!([]));
    assert_eq!(
        out["errors"][0]["path"],
        serde_json::json!(["notes", "get"])
    );
}

/// GraphQL's execution rules, which async-graphql 7.2 broke and the vendored copy restores
/// (`vendor/README.md`): an error in a non-null field nulls the nearest nullable parent (and
/// only it), and a skipped selection is absent, never null.
#[test]
fn non_null_errors_propagate_and_skipped_selections_are_empty() {
    let out = execute(
        async_graphql::Request::new(r#"{ hello notes { get { text } all { text } } }"#)
            .data(true)
            .data(FailAll),
    );
    assert_eq!(
        out["data"],
        serde_json::json!({"hello": "hi", "notes": null})
    );
    assert_eq!(out["errors"].as_array().unwrap().len(), 1);
    assert_eq!(
        out["errors"][0]["path"],
        serde_json::json!(["notes", "all"])
    );

    assert_eq!(
        run("{ hello @skip(if: true) }", true)["data"],
        serde_json::json!({})
    );
    let out = run("{ notes { get { text @skip(if: true) } } }", true);
    assert_eq!(out["data"], serde_json::json!({"notes": {"get": {}}}));
    assert!(out.get("errors").is_none());
}

#[test]
fn batch_items_fail_alone_and_defaults_apply() {
    let out = run(
        r#"mutation { notes { add(notes: [{text: "a"}, {text: "b", kind: HTML_TEXT}]) } }"#,
        true,
    );
    assert_eq!(out["data"]["notes"]["add"], serde_json::json!(["a", null]));
    assert_eq!(
        out["errors"][0]["path"],
        serde_json::json!(["notes", "add", 1])
    );
    assert_eq!(out["errors"][0]["message"], "html refused");
}

#[test]
fn metadata_is_sorted_and_complete() {
    let meta = &api::META;
    assert!(meta.objects.windows(2).all(|w| w[0].name < w[1].name));
    assert!(meta.object("NoteQuery").unwrap().protected);
    assert_eq!(
        meta.object("NoteQuery")
            .unwrap()
            .field("get")
            .unwrap()
            .args
            .len(),
        2
    );
    assert!(meta.input("NoteInput").is_some());
    assert!(meta.is_scalar("JID"));
}
