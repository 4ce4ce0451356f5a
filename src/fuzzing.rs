//! Entry points of the fuzz targets (`fuzz/`, run with `cargo fuzz`), kept in the library so
//! that the seed-corpus replay test (`tests/fuzz_corpus.rs`) feeds every corpus file through
//! the very same code. Each function takes arbitrary bytes, must not panic, and checks the
//! properties its input parser promises.

use std::sync::LazyLock;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::{Response, Variables};

use crate::pipeline::{GateExtension, Input, Limits, Pipeline, Transport};

/// The JID parser: a parsed JID prints as a string that parses back to the same JID.
pub fn jid(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [
        crate::jid::Jid::parse_any(s),
        crate::jid::Jid::parse(s),
        crate::jid::Jid::parse_bare(s),
        crate::jid::Jid::parse_full(s),
    ]
    .into_iter()
    .flatten()
    {
        let printed = parsed.to_string();
        let again = crate::jid::Jid::parse_any(&printed)
            .unwrap_or_else(|e| panic!("{printed:?} (from {s:?}) does not parse back: {e:?}"));
        assert_eq!(again, parsed, "{s:?}");
        assert_eq!(again.bare_string(), parsed.to_bare().to_string());
    }
}

/// The `XmlElement` scalar: its check agrees with the parser, and a parsed element serialises
/// to XML that parses back to the same element (attribute values and text exactly).
pub fn xml_element(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let checked = crate::generated::scalars::check_scalar(
        "XmlElement",
        &async_graphql::Value::String(s.to_string()),
    )
    .expect("XmlElement is a custom scalar");
    let parsed = crate::xml::Element::parse(s);
    if let Ok(el) = parsed {
        assert!(checked.is_ok(), "{s:?}: parsed but the scalar refused it");
        let printed = el.to_string();
        let again = crate::xml::Element::parse(&printed)
            .unwrap_or_else(|e| panic!("{printed:?} (from {s:?}) does not parse back: {e}"));
        assert_eq!(again, el, "{s:?} -> {printed:?}");
    }
}

/// The `Authorization` header decoder: Basic credentials it decodes re-encode to a header
/// that decodes the same.
pub fn basic_header(data: &[u8]) {
    use crate::auth::basic::{Header, parse};
    use base64::Engine;
    if let Header::Basic { user, password } = parse(Some(data)) {
        assert!(!user.contains(':'), "the user ends at the first colon");
        let again = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        assert_eq!(
            parse(Some(again.as_bytes())),
            Header::Basic { user, password }
        );
    }
}

/// The request decoder: a POST body and a GET query string.
pub fn request_decoder(data: &[u8]) {
    let check = |r: Result<Input, crate::pipeline::Rejection>| {
        if let Err(r) = r {
            assert_eq!(r.status, 400, "{:?}", r.errors);
            assert!(!r.code().is_empty());
        }
    };
    check(crate::http::decode::json_body(data));
    if let Ok(s) = std::str::from_utf8(data) {
        check(crate::http::decode::query_string(s));
    }
}

/// Stops a request after validation: the pre-execution stage runs whole (nesting guard, parse,
/// cost bound, input checks, async-graphql's validation, the gate), no resolver runs.
struct StopBeforeExecute;

impl ExtensionFactory for StopBeforeExecute {
    fn create(&self) -> std::sync::Arc<dyn Extension> {
        std::sync::Arc::new(StopBeforeExecute)
    }
}

#[async_trait::async_trait]
impl Extension for StopBeforeExecute {
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::new(async_graphql::Value::Null)
    }
}

struct PreExecution {
    pipeline: Pipeline,
    schema: crate::generated::user::Schema,
    runtime: tokio::runtime::Runtime,
}

static PRE_EXECUTION: LazyLock<PreExecution> = LazyLock::new(|| PreExecution {
    pipeline: Pipeline {
        meta: &crate::generated::user::META,
        check_scalar: crate::generated::scalars::check_scalar,
        limits: Limits::from(&crate::config::Limits::default()),
        // Off: every input is checked from scratch, whatever came before it.
        cache: std::sync::Arc::new(crate::pipeline::DocumentCache::disabled()),
    },
    schema: crate::generated::user::schema_builder()
        .extension(GateExtension)
        .extension(StopBeforeExecute)
        .limit_recursive_depth(crate::http::MAX_RECURSION)
        .finish(),
    runtime: tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime"),
});

/// The whole pre-execution stage of the user API on an arbitrary document: the first byte
/// chooses the caller (anonymous or not) and the transport, the rest is the document.
pub fn pre_execution(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let authenticated = flags & 1 == 1;
    let transport = match (flags >> 1) % 3 {
        0 => Transport::Http,
        1 => Transport::Sse,
        _ => Transport::WebSocket,
    };
    let input = Input {
        query: String::from_utf8_lossy(rest).into_owned(),
        variables: Variables::default(),
        operation_name: None,
    };
    let p = &*PRE_EXECUTION;
    match p.pipeline.prepare(input, authenticated, transport) {
        Ok(prepared) => {
            let resp = p.runtime.block_on(p.schema.execute(prepared.request));
            for e in &resp.errors {
                assert!(!e.message.is_empty());
            }
        }
        Err(r) => {
            assert!(
                [200, 400, 401].contains(&r.status),
                "{}: {:?}",
                r.status,
                r.errors
            );
        }
    }
}

/// The admin API's pre-execution stage under `limits` (nesting guard, parse, cost bound, input
/// checks, async-graphql's validation, the gate) for an authenticated POST, without executing:
/// the documents `mimql admin` sends must pass it (`tests/admin_cli.rs`). Answers the errors,
/// as JSON.
pub fn admin_pre_execution(
    limits: &crate::config::Limits,
    query: &str,
    variables: Variables,
) -> Result<(), Vec<String>> {
    let pipeline = Pipeline {
        meta: &crate::generated::admin::META,
        check_scalar: crate::generated::scalars::check_scalar,
        limits: Limits::from(limits),
        cache: std::sync::Arc::new(crate::pipeline::DocumentCache::disabled()),
    };
    let schema = crate::generated::admin::schema_builder()
        .extension(GateExtension)
        .extension(StopBeforeExecute)
        .limit_recursive_depth(crate::http::MAX_RECURSION)
        .finish();
    let input = Input {
        query: query.to_string(),
        variables,
        operation_name: None,
    };
    // A subscription is checked as its transport (SSE) takes it.
    let subscription = crate::admin_cli::is_subscription(query);
    let transport = if subscription {
        Transport::Sse
    } else {
        Transport::Http
    };
    let prepared = pipeline
        .prepare(input, true, transport)
        .map_err(|r| r.errors.iter().map(|e| e.0.to_string()).collect::<Vec<_>>())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| vec![e.to_string()])?;
    let errors = if subscription {
        // Subscriptions have no execute hook to stop at: the stream runs up to its resolver,
        // which fails for want of the server's state. Errors with a path come from there, past
        // every check; the others are the checks'.
        use futures_util::StreamExt;
        let first = runtime.block_on(schema.execute_stream(prepared.request).next());
        first.map_or_else(Vec::new, |r| {
            r.errors.into_iter().filter(|e| e.path.is_empty()).collect()
        })
    } else {
        runtime.block_on(schema.execute(prepared.request)).errors
    };
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.iter().map(|e| e.message.clone()).collect())
    }
}

/// What an XMPP client sends before the parser sees it: the c2s guard's lexer gives the same
/// verdict whether the bytes come at once or one by one (reads split anywhere), and a SASL
/// PLAIN payload decodes to a bare JID of the host or is refused, never a panic.
pub fn c2s_input(data: &[u8]) {
    use crate::c2s::guard::Lexer;
    let mut whole = Lexer::new(4096);
    let at_once = whole.feed(data);
    let mut split = Lexer::new(4096);
    let mut one_by_one = Ok(());
    for b in data {
        one_by_one = split.feed(std::slice::from_ref(b));
        if one_by_one.is_err() {
            break;
        }
    }
    assert_eq!(at_once, one_by_one);
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(plain) = crate::c2s::sasl::plain(text, "localhost")
    {
        assert_eq!(plain.jid.domain(), "localhost");
        assert!(!plain.jid.node().is_empty());
        assert!(plain.jid.resource().is_empty());
    }
    // SCRAM messages (decoded from base64 by the listener): a client-first message, and the
    // same text as the final message of an exchange.
    if let Ok(text) = std::str::from_utf8(data) {
        use crate::auth::scram::{ClientFirst, Exchange, Keys, ScramHash};
        let first = ClientFirst::parse(text)
            .or_else(|_| ClientFirst::parse("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"));
        if let Ok(first) = first {
            assert!(!first.username.is_empty());
            for hash in ScramHash::ALL {
                let keys = Keys {
                    salt: b"salt".to_vec(),
                    iterations: 4096,
                    stored_key: vec![7; hash.output_len()],
                    server_key: vec![9; hash.output_len()],
                };
                let exchange = Exchange::new(hash, &first, keys, "3rfcNHYJY1ZVvWVs7j");
                // No proof matches these keys.
                assert!(exchange.finish(text).is_err());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_entry_points_take_their_examples() {
        super::jid(b"alice@localhost/res");
        super::xml_element(b"<a xmlns='x' b='&lt;&quot;'>t<c/></a>");
        super::basic_header(b"Basic YWxpY2VAbG9jYWxob3N0OnB3");
        super::c2s_input(b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
        super::c2s_input(b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=AAAA");
        super::request_decoder(br#"{"query":"{ checkAuth { authStatus } }"}"#);
        super::pre_execution(b"\x00{ checkAuth { authStatus } }");
        super::pre_execution(b"\x01mutation { account { unregister } }");
    }
}
