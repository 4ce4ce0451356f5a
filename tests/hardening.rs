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
/// were even looked at. A request without credentials is now refused from its size before it
/// is read (`max_anonymous_request_bytes`); under that size, anonymous callers of a protected
/// field are refused unparsed.
#[test]
fn anonymous_xml_arguments_are_not_parsed() {
    let s = server();
    let query = "mutation($x: XmlElement!) { private { setPrivate(elementString: $x) } }";
    let element = |n: usize| {
        let attrs: String = (0..n).map(|i| format!(" a{i}='v'")).collect();
        format!("<x xmlns='ns:big'{attrs}/>")
    };
    let (status, json) = s.post(
        &impatient(s.anonymous()),
        json!({"query": query, "variables": {"x": element(65_000)}}),
    );
    assert_eq!(status, 413, "{json}");
    assert_eq!(code(&json), "request_too_large");
    assert_eq!(
        common::message(&json),
        "A request without credentials is limited to 65536 bytes"
    );
    let (status, json) = s.post(
        &impatient(s.anonymous()),
        json!({"query": query, "variables": {"x": element(5_000)}}),
    );
    assert_eq!(status, 401, "{json}");
    assert_eq!(code(&json), "no_permissions");
}

/// The anonymous bound holds on every transport and for bodies of unknown length, and it
/// does not apply to authenticated callers.
#[test]
fn requests_without_credentials_are_small() {
    use mimql_client::ws::{WsConnection, WsEvent, WsProtocol};
    let s = server();
    let padded = |n: usize| format!("# {}\n{{ checkAuth {{ authStatus }} }}", "x".repeat(n));
    // Authenticated: up to max_body_bytes.
    let user = s.new_user("bigauth");
    let (status, json) = s.post(&s.client(&user), json!({ "query": padded(200_000) }));
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["data"]["checkAuth"]["authStatus"], "AUTHORIZED");
    // Anonymous, chunked (no Content-Length): refused while reading.
    let addr = s.user_url.trim_start_matches("http://").to_string();
    let body = serde_json::to_string(&json!({ "query": padded(70_000) })).unwrap();
    let req = format!(
        "POST /api/graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let resp = raw(&addr, req.as_bytes());
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(resp.contains("request_too_large"), "{resp}");
    // Anonymous over WebSocket: the operation's error.
    let mut ws =
        WsConnection::connect(&s.anonymous(), WsProtocol::GraphqlTransportWs, None).unwrap();
    ws.start("big", json!({ "query": padded(70_000) })).unwrap();
    match ws
        .next(Duration::from_secs(10))
        .unwrap()
        .expect("a message")
    {
        WsEvent::Error { id, payload } => {
            assert_eq!(id, "big");
            assert_eq!(payload[0]["extensions"]["code"], "request_too_large");
        }
        other => panic!("{other:?}"),
    }
    // Small anonymous requests are served as before.
    let (status, json) = s.post(&s.anonymous(), json!({ "query": padded(1_000) }));
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["data"]["checkAuth"]["authStatus"], "UNAUTHORIZED");
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

/// A body declared larger than the bound is refused from its `Content-Length`, before the
/// server reads (or the client sends) any of it.
#[test]
fn an_oversized_declared_body_is_refused_before_it_is_sent() {
    let s = server();
    let addr = s.user_url.trim_start_matches("http://").to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    conn.write_all(b"POST /api/graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{\"qu")
        .unwrap();
    let mut out = vec![0u8; 4096];
    let n = conn.read(&mut out).unwrap_or(0);
    let resp = String::from_utf8_lossy(&out[..n]);
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(resp.contains("request_too_large"), "{resp}");
    assert!(
        resp.to_ascii_lowercase().contains("connection: close"),
        "{resp}"
    );
}

/// `{ private { a0: getPrivate(...) a1: getPrivate(...) ... } }`.
fn private_aliases(n: usize) -> String {
    let fields: String = (0..n)
        .map(|i| format!(" a{i}: getPrivate(element: \"big\", nameSpace: \"ns:big\")"))
        .collect();
    format!("{{ private {{{fields} }} }}")
}

/// A 1 MB private element read back by 2,000 aliases would be 2 GB of response: the aliases
/// are refused by the cost bound (`getPrivate` weighs 50); the 30 that fit under it are
/// refused by the response bound, without the values piling up.
#[test]
fn large_private_elements_cannot_be_amplified() {
    let s = server();
    let c = impatient(s.client(&s.new_user("amplify")));
    let element = format!("<big xmlns='ns:big'>{}</big>", "x".repeat(1_000_000));
    let (status, json) = s.post(
        &c,
        json!({"query": "mutation($x: XmlElement!) { private { setPrivate(elementString: $x) } }", "variables": {"x": element}}),
    );
    assert_eq!(status, 200, "{json}");
    assert!(json.get("errors").is_none(), "{}", code(&json));

    let (status, json) = s.post(&c, json!({ "query": private_aliases(2000) }));
    assert_eq!(status, 400);
    assert_eq!(code(&json), "query_too_complex");

    let (status, json) = s.post(&c, json!({ "query": private_aliases(30) }));
    assert_eq!(status, 200, "{}", code(&json));
    assert_eq!(code(&json), "response_too_large");
    assert_eq!(json["errors"].as_array().unwrap().len(), 1);
    assert!(json.get("data").is_none());
    // One is fine.
    let (status, json) = s.post(&c, json!({ "query": private_aliases(1) }));
    assert_eq!(status, 200);
    assert_eq!(
        json["data"]["private"]["a0"].as_str().map(str::len),
        Some(element.len())
    );
    common::check_auth(&c);
}

/// One 40,000-contact variable used by 1,000 `addContacts` aliases: refused before anything
/// runs, whether the list bound or only the cost bound stands in the way.
#[test]
fn a_large_variable_reused_by_many_aliases_is_refused() {
    let contacts: Vec<serde_json::Value> = (0..40_000)
        .map(|i| json!({"jid": format!("c{i}@localhost"), "name": "n"}))
        .collect();
    let aliases: String = (0..1000)
        .map(|i| format!(" a{i}: addContacts(contacts: $c)"))
        .collect();
    let query = format!("mutation($c: [ContactInput!]!) {{ roster {{{aliases} }} }}");
    for max_list_items in [1000, 100_000] {
        let s = common::server_with(|c| {
            c.limits.max_body_bytes = 16 * 1024 * 1024;
            c.limits.max_list_items = max_list_items;
        });
        let c = impatient(s.client(&s.new_user("bigvar")));
        let (status, json) = s.post(
            &c,
            json!({ "query": query, "variables": { "c": contacts } }),
        );
        assert_eq!(status, 400, "{json}");
        assert!(
            ["query_too_complex", "list_too_long"].contains(&code(&json)),
            "{json}"
        );
        assert!(common::contacts(&c).is_empty());
    }
}

fn run(
    s: &common::TestServer,
    c: &mimql_client::Client,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let (status, json) = s.post(c, json!({ "query": query, "variables": variables }));
    assert_eq!(status, 200, "{json}");
    json
}

#[test]
fn per_user_quotas() {
    let s = common::server_with(|c| {
        c.limits.max_private_bytes = 1000;
        c.limits.max_vcard_bytes = 500;
        c.limits.max_roster_size = 2;
        c.limits.max_groups_per_contact = 3;
        c.limits.max_groups_per_roster = 4;
        c.limits.max_roster_name_bytes = 10;
    });
    let user = s.new_user("quota");
    let c = s.client(&user);
    let set_private = "mutation($x: XmlElement!) { private { setPrivate(elementString: $x) } }";
    let el = |ns: &str, n: usize| format!("<q xmlns='{ns}'>{}</q>", "x".repeat(n));
    // Private storage: all namespaces together; a replaced element does not count twice.
    let json = run(&s, &c, set_private, json!({"x": el("ns:1", 600)}));
    assert!(json.get("errors").is_none(), "{json}");
    let json = run(&s, &c, set_private, json!({"x": el("ns:2", 600)}));
    assert_eq!(code(&json), "private_quota_exceeded", "{json}");
    assert_eq!(json["errors"][0]["extensions"]["limit"], 1000);
    let json = run(&s, &c, set_private, json!({"x": el("ns:1", 300)}));
    assert!(json.get("errors").is_none(), "{json}");
    let json = run(&s, &c, set_private, json!({"x": el("ns:2", 600)}));
    assert!(json.get("errors").is_none(), "{json}");
    let json = run(&s, &c, set_private, json!({"x": el("ns:3", 2000)}));
    assert_eq!(code(&json), "private_quota_exceeded", "{json}");

    // vCard size, as XML.
    let set_vcard = "mutation($v: VcardInput!) { vcard { setVcard(vcard: $v) { formattedName } } }";
    let json = run(
        &s,
        &c,
        set_vcard,
        json!({"v": {"formattedName": "short", "nameComponents": {}}}),
    );
    assert!(json.get("errors").is_none(), "{json}");
    let json = run(
        &s,
        &c,
        set_vcard,
        json!({"v": {"formattedName": "y".repeat(600), "nameComponents": {}}}),
    );
    assert_eq!(code(&json), "vcard_too_large", "{json}");
    let json = run(
        &s,
        &c,
        "{ vcard { getVcard { formattedName } } }",
        json!({}),
    );
    assert_eq!(json["data"]["vcard"]["getVcard"]["formattedName"], "short");

    // Roster size and groups per contact.
    let others: Vec<_> = (0..3).map(|_| s.new_user("quotac")).collect();
    let add =
        "mutation($c: JID!, $g: [String!]) { roster { addContact(contact: $c, groups: $g) } }";
    let json = run(
        &s,
        &c,
        add,
        json!({"c": others[0].jid, "g": ["a", "b", "c", "d"]}),
    );
    assert_eq!(code(&json), "too_many_groups", "{json}");
    for o in &others[..2] {
        let json = run(&s, &c, add, json!({"c": o.jid, "g": ["a", "b", "c"]}));
        assert!(json.get("errors").is_none(), "{json}");
    }
    let json = run(&s, &c, add, json!({"c": others[2].jid}));
    assert_eq!(code(&json), "roster_full", "{json}");
    // Changing an existing item is not a new one.
    let json = run(&s, &c, add, json!({"c": others[0].jid, "g": ["z"]}));
    assert!(json.get("errors").is_none(), "{json}");
    // Distinct groups over the roster: {a, b, c} and {z} make 4; an item's own groups are
    // replaced, not added.
    let json = run(&s, &c, add, json!({"c": others[1].jid, "g": ["a", "y"]}));
    assert!(json.get("errors").is_none(), "{json}");
    let json = run(
        &s,
        &c,
        add,
        json!({"c": others[0].jid, "g": ["p", "q", "r"]}),
    );
    assert_eq!(code(&json), "too_many_roster_groups", "{json}");
    assert_eq!(json["errors"][0]["extensions"]["limit"], 4);
    let json = run(&s, &c, add, json!({"c": others[0].jid, "g": ["p", "q"]}));
    assert!(json.get("errors").is_none(), "{json}");
    // Names and group names are bounded in bytes.
    let named = "mutation($c: JID!, $n: String, $g: [String!]) { roster { addContact(contact: $c, name: $n, groups: $g) } }";
    for vars in [
        json!({"c": others[0].jid, "n": "é".repeat(6)}),
        json!({"c": others[0].jid, "g": ["p", "x".repeat(11)]}),
    ] {
        let json = run(&s, &c, named, vars);
        assert_eq!(code(&json), "roster_name_too_long", "{json}");
        assert_eq!(json["errors"][0]["extensions"]["limit"], 10);
    }
    let item = common::contact(&c, &others[0].jid).unwrap();
    assert_eq!(item.groups, Some(vec!["p".to_string(), "q".to_string()]));
    let json = run(
        &s,
        &c,
        "mutation($c: JID!) { roster { subscription(contact: $c, action: INVITE) } }",
        json!({"c": others[2].jid}),
    );
    assert_eq!(code(&json), "roster_full", "{json}");
    assert_eq!(common::contacts(&c).len(), 2);

    // A request adds an item to the contact's roster: refused when that roster is full, and
    // nothing changes on either side.
    let stranger = s.new_user("quotas");
    let sc = s.client(&stranger);
    let invite = "mutation($c: JID!) { roster { subscription(contact: $c, action: INVITE) } }";
    let json = run(&s, &sc, invite, json!({"c": user.jid}));
    assert_eq!(code(&json), "contact_roster_full", "{json}");
    assert_eq!(json["errors"][0]["extensions"]["limit"], 2);
    assert!(common::contacts(&sc).is_empty());
    assert_eq!(common::contacts(&c).len(), 2);
    // Requests towards an item the contact has already are not new items.
    let json = run(&s, &s.client(&others[1]), invite, json!({"c": user.jid}));
    assert!(json.get("errors").is_none(), "{json}");

    // Private storage is counted in bytes of UTF-8, stored elements as new ones: 420
    // characters stored as 820 bytes leave no room for 220 more bytes.
    let c = s.client(&s.new_user("quotab"));
    let wide = format!("<q xmlns='ns:1'>{}</q>", "é".repeat(400));
    let json = run(&s, &c, set_private, json!({"x": wide}));
    assert!(json.get("errors").is_none(), "{json}");
    let json = run(&s, &c, set_private, json!({"x": el("ns:2", 200)}));
    assert_eq!(code(&json), "private_quota_exceeded", "{json}");
}

/// Fields of one mutation run in order: after `unregister`, `changePassword` finds no account
/// and says so (it used to answer `internal_server_error`).
#[test]
fn a_field_after_unregister_gets_a_clear_error() {
    let s = server();
    let user = s.new_user("unregpw");
    let c = s.client(&user);
    let json = run(
        s,
        &c,
        "mutation { account { unregister changePassword(newPassword: \"x\") } }",
        json!({}),
    );
    assert!(json["data"]["account"]["unregister"].is_string(), "{json}");
    assert!(
        json["data"]["account"]["changePassword"].is_null(),
        "{json}"
    );
    assert_eq!(code(&json), "not_allowed", "{json}");
    assert_eq!(
        json["errors"][0]["path"],
        json!(["account", "changePassword"])
    );
    let (status, json) = s.post(&c, json!({"query": "{ checkAuth { authStatus } }"}));
    assert_eq!(status, 401);
    assert_eq!(code(&json), "wrong_credentials");
}

/// With one hash slot and a short wait, a burst of logins that each need a slow hash gets
/// some 503 `server_busy` answers instead of queueing without end; the server stays usable.
#[test]
fn password_hash_waits_are_bounded() {
    let s = common::server_with(|c| {
        c.auth.max_concurrent_hashes = 1;
        c.auth.max_hash_wait_ms = 1;
        c.auth.cache_size = 0;
    });
    let user = s.new_user("busy");
    let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let s = &s;
                scope.spawn(move || {
                    let c = impatient(
                        s.anonymous()
                            .with_basic_auth(&format!("nobody{i}@localhost"), "wrong"),
                    );
                    let (status, json) =
                        s.post(&c, json!({"query": "{ checkAuth { authStatus } }"}));
                    (status, code(&json).to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, code) in &statuses {
        match status {
            401 => assert_eq!(code, "wrong_credentials"),
            503 => assert_eq!(code, "server_busy"),
            other => panic!("unexpected {other} {code}"),
        }
    }
    assert!(statuses.iter().any(|(s, _)| *s == 503), "{statuses:?}");
    assert_eq!(
        common::check_auth(&s.client(&user)).auth_status,
        Some(mimql_client::user::AuthStatus::Authorized)
    );
}

/// Failed admin logins are throttled per source address (the users' throttle): after the
/// burst every attempt from the address, the right password included, gets 429 at once until
/// the bucket has drained by one (no sleeping while holding a lock: tests/guessing.rs shows
/// another address is served meanwhile).
#[test]
fn failed_admin_logins_are_throttled() {
    let s = common::server_with(|c| {
        c.auth.source_failures = 3;
        c.auth.source_refill_secs = 1;
    });
    let wrong = mimql_client::Client::new(&s.admin_url).with_basic_auth("admin", "guess");
    let query = json!({"query": "{ checkAuth { authStatus } }"});
    for _ in 0..3 {
        let (status, json) = s.post(&wrong, query.clone());
        assert_eq!(status, 401, "{json}");
        assert_eq!(code(&json), "wrong_credentials");
    }
    let (status, json) = s.post(&wrong, query.clone());
    assert_eq!((status, code(&json)), (429, "too_many_attempts"), "{json}");
    // The right credentials work again once a refill interval (1 s) has passed.
    assert!(common::eventually(30, || s
        .post(&s.admin(), query.clone())
        .0
        == 200));
}

/// The response bound holds for every transport's messages: a subscription event (over SSE
/// and WebSocket) or a WebSocket result longer than `max_response_bytes` is replaced by one
/// `response_too_large` error, and the stream goes on. Each event has a bound of its own (they
/// used to share one, so a subscription failed every event once 16 MiB had passed).
#[test]
fn events_over_the_response_bound_are_replaced() {
    use mimql_client::sse::{Opened, SseSubscription};
    use mimql_client::user::stanza;
    use mimql_client::ws::{WsConnection, WsEvent, WsProtocol};
    const WAIT: Duration = Duration::from_secs(10);

    let s = common::server_with(|c| c.limits.max_response_bytes = 4000);
    let (alice, bob) = (s.new_user("boundeda"), s.new_user("boundedb"));
    let b = s.client(&bob);
    let Opened::Stream(mut sse) =
        SseSubscription::open(&b, &stanza::subscribe_for_messages()).unwrap()
    else {
        panic!("the SSE stream opens");
    };
    let mut ws = WsConnection::connect(&b, WsProtocol::GraphqlTransportWs, None).unwrap();
    ws.subscribe("1", &stanza::subscribe_for_messages())
        .unwrap();
    assert!(common::eventually(10, || {
        common::sessions(&b).count_resources == Some(2)
    }));
    let a = s.client(&alice);
    common::send(&a, &bob.jid, "first");
    common::send(&a, &bob.jid, &"x".repeat(5000));
    common::send(&a, &bob.jid, "small");

    let event = sse.next_event(WAIT).unwrap().expect("an event");
    assert!(event.data.contains("first"), "{}", event.data);

    let event = sse.next_event(WAIT).unwrap().expect("an event");
    let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(code(&data), "response_too_large", "{data}");
    assert_eq!(data["errors"][0]["extensions"]["limit"], 4000);
    let event = sse.next_event(WAIT).unwrap().expect("an event");
    assert!(event.data.contains("small"), "{}", event.data);
    // The bound is per event: many events together may pass it.
    for i in 0..8 {
        let body = format!("{i}{}", "z".repeat(1000));
        common::send(&a, &bob.jid, &body);
        let event = sse.next_event(WAIT).unwrap().expect("an event");
        assert!(event.data.contains(&body), "{}", event.data);
    }

    let next = |ws: &mut WsConnection| match ws.next(WAIT).unwrap().expect("a message") {
        WsEvent::Next { id, payload } => {
            assert_eq!(id, "1");
            payload
        }
        other => panic!("{other:?}"),
    };
    assert!(next(&mut ws).to_string().contains("first"));
    let payload = next(&mut ws);
    assert_eq!(code(&payload), "response_too_large", "{payload}");
    assert!(next(&mut ws).to_string().contains("small"));
    for i in 0..8 {
        assert!(next(&mut ws).to_string().contains(&format!("{i}zzzz")));
    }

    // A query's result over WebSocket is bounded as on POST.
    let big = format!("<q xmlns='ns:b'>{}</q>", "y".repeat(5000));
    let (status, json) = s.post(
        &s.client(&bob),
        json!({"query": "mutation($x: XmlElement!) { private { setPrivate(elementString: $x) } }", "variables": {"x": big}}),
    );
    assert_eq!((status, code(&json)), (200, "response_too_large"), "{json}");
    ws.start(
        "2",
        json!({"query": "{ private { getPrivate(element: \"q\", nameSpace: \"ns:b\") } }"}),
    )
    .unwrap();
    // Nothing of the result is sent, so the operation ends with the protocol's `error`.
    match ws.next(WAIT).unwrap().expect("a message") {
        WsEvent::Error { id, payload } => {
            assert_eq!(id, "2");
            assert_eq!(payload[0]["extensions"]["code"], "response_too_large");
        }
        other => panic!("{other:?}"),
    }
}

/// Bodies refused for their size are answered (413) while their source stays within its
/// budget of refused bytes; beyond it the connection is cut without an answer, and the
/// source's other requests are served as before.
#[test]
fn a_source_sending_refused_bodies_past_its_budget_is_cut() {
    // Three megabytes a minute; each declared gigabyte counts as max_body_bytes (1 MiB).
    let s = common::server_with(|c| c.limits.refused_bytes_per_source = 3 * 1024 * 1024);
    let addr = s.user_url.trim_start_matches("http://").to_string();
    let oversized = |addr: &str| {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        conn.write_all(b"POST /api/graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{\"qu")
            .unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // Until the server closes (or resets) the connection.
        while let Ok(n) = conn.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    // Counted by the whole process (every test server of this binary).
    let cut_before = refused_bodies(&s, "cut");
    for i in 0..3 {
        let resp = oversized(&addr);
        assert!(resp.starts_with("HTTP/1.1 413"), "request {i}: {resp}");
        assert!(resp.contains("request_too_large"), "{resp}");
    }
    for i in 3..6 {
        let resp = oversized(&addr);
        assert_eq!(resp, "", "request {i} is over the budget: cut");
    }
    assert!(refused_bodies(&s, "cut") >= cut_before + 3);
    // The same source's requests within the bounds are served.
    let user = s.new_user("refusedbudget");
    let (status, json) = s.post(
        &s.client(&user),
        json!({ "query": "{ checkAuth { authStatus } }" }),
    );
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["data"]["checkAuth"]["authStatus"], "AUTHORIZED");
}

/// `mimql_http_refused_bodies_total{result}` of this process.
fn refused_bodies(s: &common::TestServer, result: &str) -> u64 {
    let url = format!("{}/metrics", s.metrics_url.as_ref().expect("metrics on"));
    let text = ureq::get(&url)
        .call()
        .expect("metrics")
        .into_body()
        .read_to_string()
        .unwrap();
    let series = format!("mimql_http_refused_bodies_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&series)?.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as u64
}
