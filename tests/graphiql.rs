//! GraphiQL served from the binary: the page and its pinned assets over HTTP, and the page
//! driven in headless Chromium on a machine without internet access.

mod common;
mod webdriver;

use std::time::Duration;

use common::server;
use serde_json::{Value as Json, json};

fn get(url: &str, accept: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(url).header("accept", accept).call().unwrap();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(10 << 20)
        .read_to_vec()
        .unwrap();
    (status, headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

#[test]
fn the_page_and_its_pinned_assets_come_from_the_server() {
    let s = server();
    for (base, title) in [
        (&s.user_url, "mimql user API"),
        (&s.admin_url, "mimql admin API"),
    ] {
        let (status, headers, page) = get(&format!("{base}/api/graphql"), "text/html");
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&headers, "cache-control"), "no-cache");
        assert!(header(&headers, "content-security-policy").contains("script-src 'self'"));
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(&format!("<title>{title}</title>")), "{page}");
        assert!(
            !page.contains("://"),
            "the page loads nothing from elsewhere: {page}"
        );

        let mut assets = 0;
        for attr in ["src=\"", "href=\""] {
            for (i, _) in page.match_indices(attr) {
                let rest = &page[i + attr.len()..];
                let path = &rest[..rest.find('"').unwrap()];
                // Relative to the page, /api/graphql.
                let (status, headers, body) = get(&format!("{base}/api/{path}"), "*/*");
                assert_eq!(status, 200, "{path}");
                assert!(body.len() > 100, "{path}");
                let pinned = path.contains('@');
                assert_eq!(
                    header(&headers, "cache-control"),
                    if pinned {
                        "public, max-age=31536000, immutable"
                    } else {
                        "no-cache"
                    },
                    "{path}"
                );
                let expected = if path.ends_with(".js") {
                    "text/javascript"
                } else {
                    "text/css"
                };
                assert!(
                    header(&headers, "content-type").starts_with(expected),
                    "{path}"
                );
                assets += 1;
            }
        }
        assert_eq!(assets, 6);
    }
    let (status, _, license) = get(
        &format!("{}/api/graphiql/graphiql@4.1.2/LICENSE", s.user_url),
        "*/*",
    );
    assert_eq!(status, 200);
    assert!(String::from_utf8(license).unwrap().contains("MIT License"));
    let (status, _, _) = get(&format!("{}/api/graphiql/nothing.js", s.user_url), "*/*");
    assert_eq!(status, 404);
    let (status, _, _) = get(
        &format!("{}/api/graphiql/mimql/page.html", s.user_url),
        "*/*",
    );
    assert_eq!(status, 404, "the page is only served at the endpoint");
}

/// The text of GraphiQL's response pane once it holds a response.
const RESPONSE: &str = "
    const pane = document.querySelector('.graphiql-response .CodeMirror');
    const text = pane && pane.CodeMirror ? pane.CodeMirror.getValue() : '';
    return text.includes('{') ? text : null;";

fn run_query(browser: &webdriver::Browser, query: &str) -> Json {
    browser.eval(
        "const editor = document.querySelector('.graphiql-query-editor .CodeMirror');
         editor.CodeMirror.setValue(arguments[0]);
         const pane = document.querySelector('.graphiql-response .CodeMirror');
         if (pane && pane.CodeMirror) pane.CodeMirror.setValue('');",
        json!([query]),
    );
    browser
        .wait_for(".graphiql-execute-button", Duration::from_secs(5))
        .click();
    let text = browser.wait_until("the response", RESPONSE, Duration::from_secs(30));
    serde_json::from_str(text.as_str().unwrap()).unwrap()
}

#[test]
fn graphiql_runs_check_auth_in_headless_chromium() {
    let Some(browser) = webdriver::Browser::start() else {
        return;
    };
    let s = server();
    let alice = s.new_user("graphiql");
    browser.goto(&format!("{}/api/graphql", s.user_url));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        browser.wait_for(
            ".graphiql-query-editor .CodeMirror",
            Duration::from_secs(60),
        );

        // Anonymous first: nothing typed into the credentials form.
        let anonymous = run_query(&browser, "{ checkAuth { authStatus } }");
        assert_eq!(
            anonymous,
            json!({"data": {"checkAuth": {"authStatus": "UNAUTHORIZED"}}})
        );

        browser
            .wait_for("#mimql-user", Duration::from_secs(1))
            .type_text(&alice.jid);
        browser
            .wait_for("#mimql-password", Duration::from_secs(1))
            .type_text(&alice.password);
        let answer = run_query(&browser, "{ checkAuth { authStatus } }");
        assert_eq!(
            answer,
            json!({"data": {"checkAuth": {"authStatus": "AUTHORIZED"}}})
        );

        // Everything the page loaded came from this server.
        let loaded = browser.eval(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            json!([]),
        );
        let loaded = loaded.as_array().unwrap();
        assert!(loaded.len() >= 5, "{loaded:?}");
        for url in loaded {
            assert!(
                url.as_str().unwrap().starts_with(&s.user_url),
                "{url} is not from the server"
            );
        }
    }));
    if let Err(panic) = outcome {
        let shot = std::env::temp_dir().join("mimql-graphiql-failure.png");
        std::fs::write(&shot, browser.screenshot()).ok();
        eprintln!("screenshot of the page: {}", shot.display());
        std::panic::resume_unwind(panic);
    }
}
