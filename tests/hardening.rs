//! Requests built to stall or exhaust the server are refused quickly with clear errors
//! (issue: hardening). Every test bounds the client's wait: a stall fails the test instead of
//! hanging it.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{code, server};
use serde_json::json;

/// `{...F0} fragment F0 on UserQuery{...F1 ...F1 ...F1} ... fragment Fn on UserQuery{__typename}`:
/// 3^n fields when expanded, a few hundred bytes when sent.
fn fan_out(levels: usize) -> String {
    let mut doc = String::from("{...F0}");
    for i in 0..levels {
        let n = i + 1;
        doc.push_str(&format!(
            " fragment F{i} on UserQuery{{...F{n} ...F{n} ...F{n}}}"
        ));
    }
    doc.push_str(&format!(" fragment F{levels} on UserQuery{{__typename}}"));
    doc
}

fn impatient(c: mimql_client::Client) -> mimql_client::Client {
    c.with_timeout(Duration::from_secs(5))
}

#[test]
fn fragment_fan_out_is_refused_on_post_and_get() {
    let s = server();
    let anon = impatient(s.anonymous());
    let doc = fan_out(25);
    let (status, json) = s.post(&anon, json!({ "query": doc }));
    assert_eq!(status, 400, "{json}");
    assert_eq!(code(&json), "query_too_complex");
    let qs = serde_urlencoded::to_string([("query", doc.as_str())]).unwrap();
    let (status, body) = anon.get_raw(&qs, None).unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("query_too_complex"), "{body}");
    // The server still answers, on every worker.
    for _ in 0..4 {
        assert_eq!(
            anon.run(mimql_client::user::check_auth()).unwrap().status,
            200
        );
    }
}

#[test]
fn fragment_cycles_are_validation_errors() {
    let s = server();
    let (status, json) = s.post(
        &impatient(s.anonymous()),
        json!({"query": "{ ...A } fragment A on UserQuery { ...B } fragment B on UserQuery { ...A }"}),
    );
    assert_eq!(status, 400, "{json}");
    assert_eq!(code(&json), "fragment_cycle");
}

/// A 953 KB element of 65,000 attributes used to take 11 s to parse, before the credentials
/// were even looked at. Anonymous callers of a protected field are now refused unparsed.
#[test]
fn anonymous_xml_arguments_are_not_parsed() {
    let s = server();
    let attrs: String = (0..65_000).map(|i| format!(" a{i}='v'")).collect();
    let element = format!("<x xmlns='ns:big'{attrs}/>");
    let (status, json) = s.post(
        &impatient(s.anonymous()),
        json!({"query": "mutation($x: XmlElement!) { private { setPrivate(elementString: $x) } }", "variables": {"x": element}}),
    );
    assert_eq!(status, 401, "{json}");
    assert_eq!(code(&json), "no_permissions");
}

/// As in the reference, the whole document is validated before `@protected` decides: an
/// anonymous request with an unknown argument or a bad enum value gets the 400.
#[test]
fn validation_errors_win_over_missing_credentials() {
    let s = server();
    let anon = s.anonymous();
    for (query, expected) in [
        (
            "mutation { account { changePassword(newPassword: \"x\", bogus: 1) } }",
            "excess_args",
        ),
        (
            "mutation { roster { subscription(contact: \"a@b\", action: NOPE) } }",
            "type_mismatch",
        ),
        (
            "mutation { vcard { ...{ setVcard(vcard: []) { sortString } } } }",
            "type_mismatch",
        ),
        ("{ ...Missing }", "unknown_fragment"),
    ] {
        let (status, json) = s.post(&anon, json!({ "query": query }));
        assert_eq!(status, 400, "{query}: {json}");
        assert_eq!(code(&json), expected, "{query}: {json}");
    }
    // A valid protected document is 401 for the anonymous caller.
    let (status, json) = s.post(
        &anon,
        json!({"query": "mutation { account { changePassword(newPassword: \"x\") } }"}),
    );
    assert_eq!(status, 401);
    assert_eq!(code(&json), "no_permissions");
}

/// A wrong-kind argument inside an inline fragment is a validation error like anywhere else
/// (it used to answer 200 with a resolver error).
#[test]
fn validation_applies_inside_fragments() {
    let s = server();
    let c = s.client(&s.new_user("fragval"));
    let (status, json) = s.post(
        &c,
        json!({"query": "mutation { vcard { ...{ setVcard(vcard: []) { sortString } __typename } } }"}),
    );
    assert_eq!(status, 400, "{json}");
    assert_eq!(code(&json), "type_mismatch");
    assert!(json.get("data").is_none(), "{json}");
    // The same through a variable, and a built-in scalar of the wrong kind.
    let (status, json) = s.post(
        &c,
        json!({"query": "mutation($v: VcardInput!) { vcard { ...{ setVcard(vcard: $v) { sortString } } } }", "variables": {"v": []}}),
    );
    assert_eq!(status, 400, "{json}");
    assert_eq!(code(&json), "type_mismatch");
    let (status, json) = s.post(
        &c,
        json!({"query": "mutation($p: String!) { account { changePassword(newPassword: $p) } }", "variables": {"p": 5}}),
    );
    assert_eq!(status, 400, "{json}");
    assert_eq!(code(&json), "input_coercion");
}

#[test]
fn long_list_arguments_are_refused() {
    let s = server();
    let c = s.client(&s.new_user("longlist"));
    let jids: Vec<String> = (0..1500).map(|i| format!("c{i}@localhost")).collect();
    let (status, json) = s.post(
        &c,
        json!({"query": "mutation($c: [JID!]!) { roster { deleteContacts(contacts: $c) } }", "variables": {"c": jids}}),
    );
    assert_eq!(status, 400, "{json}");
    assert_eq!(code(&json), "list_too_long");
    // Many aliases of one big list add up: refused by the cost bound.
    let jids: Vec<String> = (0..600).map(|i| format!("c{i}@localhost")).collect();
    let aliases: String = (0..10)
        .map(|i| format!(" a{i}: deleteContacts(contacts: $c)"))
        .collect();
    let (status, json) = s.post(
        &c,
        json!({"query": format!("mutation($c: [JID!]!) {{ roster {{{aliases} }} }}"), "variables": {"c": jids}}),
    );
    assert_eq!(status, 400, "{json}");
    assert_eq!(code(&json), "query_too_complex");
}

#[test]
fn block_strings_do_not_hide_nesting() {
    let s = server();
    // Brackets after a block string with an escaped `\"""` inside count again.
    let doc = format!(
        "{{ checkAuth(x: \"\"\" \\\"\"\" \"\"\") {} }}",
        "{ a ".repeat(100) + &"}".repeat(100)
    );
    let (status, json) = s.post(&impatient(s.anonymous()), json!({ "query": doc }));
    assert_eq!(status, 400, "{json}");
    assert_eq!(code(&json), "query_too_deep");
}

/// Sends raw bytes on a fresh connection; answers the status line and the whole response.
fn raw(addr: &str, request: &[u8]) -> String {
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    conn.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&out);
                // One whole response is enough.
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let len = text[..head_end].lines().find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    });
                    if let Some(len) = len
                        && out.len() >= head_end + 4 + len
                    {
                        break;
                    }
                }
            }
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn chunked_bodies_with_trailers_are_read() {
    let s = server();
    let addr = s.user_url.trim_start_matches("http://").to_string();
    let body = r#"{"query":"{ checkAuth { authStatus } }"}"#;
    for auth in [
        "",
        "Authorization: Basic bm9ib2R5QGxvY2FsaG9zdDp3cm9uZw==\r\n",
    ] {
        let req = format!(
            "POST /api/graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{auth}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\nX-Trailer: yes\r\n\r\n",
            body.len()
        );
        let resp = raw(&addr, req.as_bytes());
        if auth.is_empty() {
            assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
            assert!(resp.contains("UNAUTHORIZED"), "{resp}");
        } else {
            assert!(resp.starts_with("HTTP/1.1 401"), "{resp}");
            assert!(resp.contains("wrong_credentials"), "{resp}");
        }
    }
}

#[test]
fn every_error_reply_is_json() {
    let s = server();
    let addr = s.user_url.trim_start_matches("http://").to_string();
    for (auth, status) in [
        (
            "Authorization: Basic bm9ib2R5QGxvY2FsaG9zdDp3cm9uZw==\r\n",
            "401",
        ),
        ("Authorization: Basic !!!\r\n", "401"),
        ("", "400"),
    ] {
        let body = "{}";
        let req = format!(
            "POST /api/graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let resp = raw(&addr, req.as_bytes());
        assert!(resp.starts_with(&format!("HTTP/1.1 {status}")), "{resp}");
        assert!(
            resp.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{resp}"
        );
    }
}

#[test]
fn a_trickling_body_is_cut_off() {
    let s = common::server_with(|c| c.limits.body_timeout_secs = 1);
    let addr = s.user_url.trim_start_matches("http://").to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    conn.write_all(b"POST /api/graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"qu")
        .unwrap();
    let mut out = vec![0u8; 4096];
    let n = conn.read(&mut out).unwrap_or(0);
    let resp = String::from_utf8_lossy(&out[..n]);
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    assert!(resp.contains("request_timeout"), "{resp}");
}
