//! Differential test against graphql-js: `tests/oracle/corpus.jsonl` holds generated documents
//! with graphql-js 16's `validate()` verdict for each (see `tests/oracle/README.md`). Every
//! document is sent without credentials, so nothing protected runs, on every transport that
//! takes its operation type: mimql must refuse exactly the invalid ones with 400, before
//! authorization, and accept the valid ones as far as validation goes (a protected operation
//! then gets 401 `no_permissions`).

mod common;

use std::time::Duration;

use mimql_client::Client;
use mimql_client::sse::{Opened, SseSubscription};
use mimql_client::ws::{WsConnection, WsEvent, WsProtocol};
use serde_json::{Value as Json, json};

struct Case {
    query: String,
    operation_name: Option<String>,
    variables: Option<Json>,
    /// `query`, `mutation`, `subscription`; `None` when graphql-js could not parse the document
    /// or find its operation.
    kind: Option<String>,
    valid: bool,
    message: Option<String>,
}

fn corpus() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle/corpus.jsonl");
    std::fs::read_to_string(path)
        .expect("corpus present")
        .lines()
        .map(|l| {
            let e: Json = serde_json::from_str(l).expect("corpus line is JSON");
            Case {
                query: e["q"].as_str().expect("q").to_string(),
                operation_name: e["o"].as_str().map(str::to_string),
                variables: e.get("v").cloned(),
                kind: e["k"].as_str().map(str::to_string),
                valid: e["ok"].as_bool().expect("ok"),
                message: e["m"].as_str().map(str::to_string),
            }
        })
        .collect()
}

impl Case {
    fn payload(&self) -> Json {
        let mut p = json!({ "query": self.query });
        if let Some(v) = &self.variables {
            p["variables"] = v.clone();
        }
        if let Some(o) = &self.operation_name {
            p["operationName"] = json!(o);
        }
        p
    }

    fn query_string(&self) -> String {
        let mut qs = format!("query={}", encode(&self.query));
        if let Some(v) = &self.variables {
            qs += &format!("&variables={}", encode(&v.to_string()));
        }
        if let Some(o) = &self.operation_name {
            qs += &format!("&operationName={}", encode(o));
        }
        qs
    }

    fn kind_is(&self, kinds: &[&str]) -> bool {
        self.kind.as_deref().is_none_or(|k| kinds.contains(&k))
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What mimql answered, as far as validation goes.
enum Verdict {
    /// Refused before execution, with mimql's answer.
    Refused(String),
    Accepted,
    Odd(String),
}

/// An HTTP status: 400 is a refusal before execution; 401 comes after validation (an anonymous
/// protected operation); 200 executed.
fn by_status(status: u16, body: &dyn std::fmt::Display) -> Verdict {
    match status {
        400 => Verdict::Refused(body.to_string()),
        200 | 401 => Verdict::Accepted,
        _ => Verdict::Odd(format!("{status} {body}")),
    }
}

fn check(case: &Case, transport: &str, verdict: Verdict, failures: &mut Vec<String>) {
    let agrees = match &verdict {
        Verdict::Refused(_) => !case.valid,
        Verdict::Accepted => case.valid,
        Verdict::Odd(_) => false,
    };
    if !agrees {
        let answer = match verdict {
            Verdict::Refused(body) => format!("refused: {body}"),
            Verdict::Accepted => "accepted".into(),
            Verdict::Odd(body) => format!("unexpected answer: {body}"),
        };
        failures.push(format!(
            "{transport}: {answer} for {} (graphql-js: {})",
            case.payload(),
            case.message.as_deref().unwrap_or("valid")
        ));
    }
}

fn post(c: &Client, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases.iter().filter(|c| c.kind_is(&["query", "mutation"])) {
        let (status, body) = c
            .post_raw("application/json", case.payload().to_string().as_bytes())
            .expect("server reachable");
        check(case, "POST", by_status(status, &body), &mut failures);
    }
    failures
}

fn get(c: &Client, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases.iter().filter(|c| c.kind_is(&["query"])) {
        let (status, body) = c
            .get_raw(&case.query_string(), None)
            .expect("server reachable");
        check(case, "GET", by_status(status, &body), &mut failures);
    }
    failures
}

fn sse(c: &Client, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases.iter().filter(|c| c.kind_is(&["subscription"])) {
        let verdict = match SseSubscription::open_raw(c, &case.query_string()).expect("reachable") {
            Opened::Refused { status, body, .. } => by_status(status, &body),
            Opened::Stream(s) => {
                s.close();
                Verdict::Accepted
            }
        };
        check(case, "SSE", verdict, &mut failures);
    }
    failures
}

fn websocket(c: &Client, cases: &[Case]) -> Vec<String> {
    let connect = || WsConnection::connect(c, WsProtocol::GraphqlTransportWs, None).expect("ws");
    let mut failures = Vec::new();
    let mut ws = connect();
    for (i, case) in cases.iter().enumerate() {
        let id = i.to_string();
        ws.start(&id, case.payload()).expect("ws send");
        let verdict = loop {
            match ws.next(Duration::from_secs(10)).expect("ws read") {
                Some(WsEvent::Error { id: got, payload }) if got == id => {
                    let code = payload[0]["extensions"]["code"]
                        .as_str()
                        .unwrap_or_default();
                    break if code == "no_permissions" {
                        Verdict::Accepted
                    } else if payload[0]["message"].is_string() {
                        Verdict::Refused(payload.to_string())
                    } else {
                        Verdict::Odd(payload.to_string())
                    };
                }
                Some(WsEvent::Complete { id: got }) if got == id => break Verdict::Accepted,
                // An anonymous socket is closed at the init deadline: go on on a new one.
                Some(WsEvent::Closed { code: 4401, .. }) => {
                    ws = connect();
                    ws.start(&id, case.payload()).expect("ws send");
                }
                Some(WsEvent::Closed { code, reason }) => {
                    ws = connect();
                    break Verdict::Odd(format!("closed {code} {reason}"));
                }
                Some(_) => continue,
                None => {
                    // A stream that stays open was accepted.
                    ws.stop(&id).expect("ws send");
                    break Verdict::Accepted;
                }
            }
        };
        check(case, "WebSocket", verdict, &mut failures);
    }
    ws.close();
    failures
}

#[test]
fn mimql_validates_as_graphql_js_does_on_every_transport() {
    let cases = corpus();
    assert!(cases.len() >= 5000, "corpus too small: {}", cases.len());
    let s = common::server();
    let c = s.anonymous();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs = [
            scope.spawn(|| post(&c, &cases)),
            scope.spawn(|| get(&c, &cases)),
            scope.spawn(|| websocket(&c, &cases)),
            scope.spawn(|| sse(&c, &cases)),
        ];
        runs.into_iter()
            .flat_map(|r| r.join().expect("transport run"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} disagreements with graphql-js, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}
