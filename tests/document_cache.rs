//! The prepared-document cache gives the same answers as no cache: each document below is sent
//! several times (a miss, a miss that admits it, then hits) with different variables, callers
//! and operation names, to a server with the cache and to one without, and every answer is
//! compared. The metrics count the hits and misses.

mod common;

use std::sync::{Mutex, OnceLock};

use common::{TestServer, User, server_with};
use serde_json::{Value, json};

/// The tests here compare metric scrapes; the recorder is process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A server with the cache on and one with it off (whatever the environment says), each with
/// a user of its own.
fn servers() -> &'static [(TestServer, User); 2] {
    static SERVERS: OnceLock<[(TestServer, User); 2]> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let on = server_with(|c| c.limits.document_cache_entries = 64);
        let off = server_with(|c| c.limits.document_cache_entries = 0);
        let on_user = on.new_user("cache");
        let off_user = off.new_user("cache");
        [(on, on_user), (off, off_user)]
    })
}

/// The answer to `body`, the caller's JID replaced so that answers of different users compare.
fn ask(s: &TestServer, user: Option<&User>, body: &Value) -> (u16, String) {
    let client = match user {
        Some(u) => s.client(u),
        None => s.anonymous(),
    };
    let (status, answer) = s.post(&client, body.clone());
    let mut text = answer.to_string();
    if let Some(u) = user {
        text = text.replace(&u.jid, "<caller>");
    }
    (status, text)
}

/// Sends each request four times to both servers, as each caller: every answer must be the
/// same as the first answer of the server without the cache.
fn same_both_ways(requests: &[Value]) {
    let [(on, on_user), (off, off_user)] = servers();
    for body in requests {
        for authorized in [true, false] {
            let (expected_status, expected) = ask(off, authorized.then_some(off_user), body);
            for round in 0..4 {
                let (status, text) = ask(on, authorized.then_some(on_user), body);
                assert_eq!(
                    (status, &text),
                    (expected_status, &expected),
                    "round {round}, authorized {authorized}: {body}"
                );
            }
        }
    }
}

fn with_own_jid(body: Value, jid: &str) -> Value {
    let text = body.to_string().replace("<own>", jid);
    serde_json::from_str(&text).unwrap()
}

#[test]
fn variables_and_callers() {
    let _serial = serial();
    let doc = "query Last($u: JID) { last { getLast(user: $u) { status } } }";
    // Interleaved, so that the cached document meets every kind of variables after admission.
    let requests: Vec<Value> = vec![
        json!({ "query": doc }),
        json!({ "query": doc, "variables": { "u": "nobody@localhost" } }),
        json!({ "query": doc, "variables": { "u": "not a jid@@@" } }),
        json!({ "query": doc, "variables": { "u": 5 } }),
        json!({ "query": doc, "variables": { "u": ["a", "b"] } }),
        json!({ "query": doc, "variables": { "u": null } }),
        json!({ "query": "{ checkAuth { authStatus authType } }" }),
        json!({ "query": "query($u: JID!) { last { getLast(user: $u) { status } } }" }),
        json!({ "query": "query($u: JID!) { last { getLast(user: $u) { status } } }",
                "variables": { "u": "x@localhost" } }),
        json!({ "query": "query($s: Boolean!) { checkAuth @skip(if: $s) { authStatus } }",
                "variables": { "s": true } }),
        json!({ "query": "query($s: Boolean!) { checkAuth @skip(if: $s) { authStatus } }",
                "variables": { "s": false } }),
        json!({ "query": "query($s: Boolean!) { checkAuth @skip(if: $s) { authStatus } }",
                "variables": { "s": "yes" } }),
    ];
    same_both_ways(&requests);
    // The caller's own JID as a variable: the answer names the caller.
    let [(on, on_user), (off, off_user)] = servers();
    let body = json!({ "query": doc, "variables": { "u": "<own>" } });
    let expected = ask(
        off,
        Some(off_user),
        &with_own_jid(body.clone(), &off_user.jid),
    );
    for _ in 0..4 {
        let got = ask(on, Some(on_user), &with_own_jid(body.clone(), &on_user.jid));
        assert_eq!(got, expected);
    }
}

#[test]
fn operation_names() {
    let _serial = serial();
    let doc = "query A { checkAuth { authStatus } } query B { last { getLast { status } } }";
    let requests: Vec<Value> = [
        json!({ "query": doc, "operationName": "A" }),
        json!({ "query": doc, "operationName": "B" }),
        json!({ "query": doc }),
        json!({ "query": doc, "operationName": "C" }),
        json!({ "query": "query A { checkAuth { authStatus } }" }),
        json!({ "query": "query A { checkAuth { authStatus } }", "operationName": "A" }),
        json!({ "query": "query A { checkAuth { authStatus } }", "operationName": "B" }),
        json!({ "query": "{ checkAuth { authStatus } }", "operationName": "A" }),
    ]
    .into();
    same_both_ways(&requests);
}

#[test]
fn refused_documents_are_refused_again() {
    let _serial = serial();
    let requests: Vec<Value> = [
        json!({ "query": "{ checkAuth { nope } }" }),
        json!({ "query": "{ checkAuth { authStatus " }),
        json!({ "query": "query($u: JID) { checkAuth { authStatus } }" }),
        json!({ "query": "{ last { getLast(user: 5) { status } } }" }),
        json!({ "query": "{ last { getLast(user: \"bad jid@@\") { status } } }" }),
        json!({ "query": "{ last { getLast(user: null) { status } } }" }),
        json!({ "query": "{ a: checkAuth { authStatus } a: last { getLast { status } } }" }),
        json!({ "query": "mutation { last { setLast(status: \"x\") { status } } } " }),
        json!({ "query": "subscription { stanza { subscribeForMessages { sender } } }" }),
        json!({ "query": "fragment F on Query { ...F } { ...F }" }),
    ]
    .into();
    same_both_ways(&requests);
}

fn lookups(s: &TestServer, result: &str) -> f64 {
    let url = format!("{}/metrics", s.metrics_url.as_ref().expect("metrics on"));
    let text = ureq::get(&url)
        .call()
        .expect("metrics reachable")
        .body_mut()
        .read_to_string()
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("mimql_document_cache_lookups_total{")
                && l.contains("api=\"user\"")
                && l.contains(&format!("result=\"{result}\""))
        })
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
        .sum()
}

#[test]
fn metrics_count_hits_and_misses() {
    let _serial = serial();
    let [(on, on_user), (off, off_user)] = servers();
    // A document nobody else sends.
    let alias = common::unique("a");
    let body = json!({ "query": format!("{{ {alias}: checkAuth {{ authStatus }} }}") });
    let (hits, misses) = (lookups(on, "hit"), lookups(on, "miss"));
    for _ in 0..5 {
        assert_eq!(ask(on, Some(on_user), &body).0, 200);
    }
    // Seen once (a miss), admitted on the second sighting (a miss), then three hits.
    assert_eq!(lookups(on, "miss") - misses, 2.0);
    assert_eq!(lookups(on, "hit") - hits, 3.0);
    // A refused document is never cached: every sighting misses.
    let refused = json!({ "query": format!("{{ {alias}: checkAuth {{ nope }} }}") });
    let (hits, misses) = (lookups(on, "hit"), lookups(on, "miss"));
    for _ in 0..3 {
        assert_eq!(ask(on, Some(on_user), &refused).0, 400);
    }
    assert_eq!(lookups(on, "miss") - misses, 3.0);
    assert_eq!(lookups(on, "hit") - hits, 0.0);
    // With the cache off nothing is looked up.
    let (hits, misses) = (lookups(on, "hit"), lookups(on, "miss"));
    for _ in 0..3 {
        assert_eq!(ask(off, Some(off_user), &body).0, 200);
    }
    assert_eq!(lookups(on, "miss") - misses, 0.0);
    assert_eq!(lookups(on, "hit") - hits, 0.0);
}
