//! The generated code of the small SDL with its hand-written scalar codec, shared by the
//! compile-pass test and the compile-fail doctests; resolvers are up to each user.

#[path = "../../../src/schema_meta.rs"]
pub mod schema_meta;

pub mod scalars {
    include!("../snapshots/small_scalars.rs");
}

pub mod api {
    include!("../snapshots/small_api.rs");
}

pub mod codecs {
    use async_graphql::Value;

    pub struct Codecs;

    impl crate::scalars::JidCodec for Codecs {
        type Repr = String;
        fn parse(value: &Value) -> Result<String, String> {
            match value {
                Value::String(s) if s.contains('@') => Ok(s.to_lowercase()),
                _ => Err("failed_to_parse_jid".into()),
            }
        }
        fn to_value(repr: &String) -> Value {
            Value::String(repr.clone())
        }
    }
}

/// Resolvers of everything but `Query` and `NoteQuery`, which each user of this module
/// implements (completely or not).
pub mod resolvers {
    use async_graphql::{Context, Result, Value};

    use crate::api::*;

    pub struct Api;

    impl SchemaHooks for Api {
        fn require_auth(&self, ctx: &Context<'_>) -> Result<()> {
            ctx.data::<bool>()
                .copied()
                .unwrap_or(false)
                .then_some(())
                .ok_or_else(|| "no".into())
        }
        fn require_modules(
            &self,
            _: &Context<'_>,
            modules: &[&str],
            arg: Option<Value>,
        ) -> Result<()> {
            match arg {
                Some(Value::String(s)) if s.starts_with("off@") => {
                    Err(format!("{modules:?} off").into())
                }
                _ => Ok(()),
            }
        }
    }

    impl NoteMutationResolver for Api {
        async fn add(
            &self,
            _ctx: &Context<'_>,
            notes: Vec<NoteInput>,
        ) -> Result<Vec<Fallible<Option<String>>>> {
            Ok(notes
                .into_iter()
                .map(|n| match n.kind {
                    Kind::Plain => Fallible(Ok(Some(n.text))),
                    Kind::HtmlText => Fallible(Err("html refused".into())),
                })
                .collect())
        }
    }

    impl SubscriptionResolver for Api {
        async fn notes(&self, _ctx: &Context<'_>) -> Result<EventStream<Option<NoteEvents>>> {
            Ok(Box::pin(async_graphql::futures_util::stream::empty()))
        }
    }
}
