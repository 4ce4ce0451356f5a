//! HTTP protocol, request decoding, coercion errors and limits (spec: semantics-core 1, 2).

mod common;

use common::{code, message, server};
use serde_json::json;

#[test]
fn malformed_bodies_are_400() {
    let s = server();
    let c = s.anonymous();
    for (body, expected_code, expected_message) in [
        (
            &b"{not json"[..],
            "invalid_json_body",
            "The request JSON body is invalid",
        ),
        (b"", "invalid_json_body", "The request JSON body is invalid"),
        (
            b"[]",
            "invalid_json_body",
            "The request JSON body is invalid",
        ),
        (
            b"{}",
            "no_query_supplied",
            "The query was not supplied in the request body",
        ),
        (
            b"{\"query\": 5}",
            "no_query_supplied",
            "The query was not supplied in the request body",
        ),
        (
            b"{\"query\": \"{ checkAuth { username } }\", \"variables\": \"[1]\"}",
            "variables_invalid_json",
            "The variables' JSON is invalid",
        ),
        (
            b"{\"query\": \"{ checkAuth { username } }\", \"variables\": [1]}",
            "variables_invalid_json",
            "The variables' JSON is invalid",
        ),
    ] {
        let (status, json) = c.post_raw("application/json", body).unwrap();
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(body));
        assert_eq!(code(&json), expected_code);
        assert_eq!(message(&json), expected_message);
    }
}

#[test]
fn json_with_a_charset_and_variables_as_a_string_are_accepted() {
    let s = server();
    let body = json!({"query": "query Q($a: Boolean!) { checkAuth @include(if: $a) { authStatus } }", "variables": "{\"a\": true}", "operationName": null});
    let (status, json) = s
        .anonymous()
        .post_raw(
            "application/json; charset=utf-8",
            body.to_string().as_bytes(),
        )
        .unwrap();
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["data"]["checkAuth"]["authStatus"], "UNAUTHORIZED");
}

#[test]
fn other_content_types_are_415() {
    let (status, _) = server()
        .anonymous()
        .post_raw("text/plain", b"{\"query\":\"{checkAuth{username}}\"}")
        .unwrap();
    assert_eq!(status, 415);
}

#[test]
fn parse_errors_are_400() {
    let s = server();
    let (status, json) = s.post(&s.anonymous(), json!({"query": "{ checkAuth { username "}));
    assert_eq!(status, 400);
    assert_eq!(code(&json), "parser_error");
    assert!(
        message(&json).starts_with("Cannot parse line 1 because of"),
        "{json}"
    );
}

#[test]
fn unknown_fields_are_400() {
    let s = server();
    let (status, json) = s.post(&s.anonymous(), json!({"query": "{ nope }"}));
    assert_eq!(status, 400);
    assert_eq!(code(&json), "unknown_field");
}

#[test]
fn invalid_scalars_are_400_with_the_reference_message() {
    let s = server();
    let u = s.new_user("coerce");
    let client = s.client(&u);
    let cases = [
        (
            json!({"query": "{ last { getLast(user: \"test@\") { user } } }"}),
            "Input coercion failed for type JID with value \"test@\". The reason it failed is: failed_to_parse_jid",
        ),
        (
            json!({"query": "query Q($u: JID) { last { getLast(user: $u) { user } } }", "variables": {"u": "localhost"}}),
            "Input coercion failed for type JID with value \"localhost\". The reason it failed is: jid_without_local_part",
        ),
        (
            json!({"query": "{ muc { getRoomConfig(room: \"room@muc.localhost/res\") { title } } }"}),
            "Input coercion failed for type BareJID with value \"room@muc.localhost/res\". The reason it failed is: jid_with_resource",
        ),
        (
            json!({"query": "{ muc { listRooms(mucDomain: \"muc.localhost\", limit: 0) { count } } }"}),
            "Input coercion failed for type PosInt with value 0. The reason it failed is: \"Value is not a positive integer\"",
        ),
        (
            json!({"query": "{ private { getPrivate(element: \"a\", nameSpace: \"\") } }"}),
            "Input coercion failed for type NonEmptyString with value \"\". The reason it failed is: \"Given string is empty\"",
        ),
        (
            json!({"query": "mutation { private { setPrivate(elementString: \"AAAABBBB\") } }"}),
            "Input coercion failed for type XmlElement with value \"AAAABBBB\". The reason it failed is: \"expected <\"",
        ),
        (
            json!({"query": "mutation { last { setLast(timestamp: \"20222-04-17T12:58:30Z\", status: \"\") { user } } }"}),
            "Input coercion failed for type DateTime with value \"20222-04-17T12:58:30Z\". The reason it failed is: failed_to_parse_datetime",
        ),
        (
            json!({"query": "mutation($c: [ContactInput!]!) { roster { addContacts(contacts: $c) } }", "variables": {"c": [{"jid": "a b@localhost", "name": "x"}]}}),
            "Input coercion failed for type JID with value \"a b@localhost\". The reason it failed is: failed_to_parse_jid",
        ),
    ];
    for (body, expected) in cases {
        let (status, json) = s.post(&client, body.clone());
        assert_eq!(status, 400, "{body}: {json}");
        assert_eq!(code(&json), "input_coercion", "{body}");
        assert_eq!(message(&json), expected);
        assert!(json.get("data").is_none());
    }
}

#[test]
fn a_variable_coercion_error_names_the_variable() {
    let s = server();
    let u = s.new_user("coerce2");
    let (_, json) = s.post(&s.client(&u), json!({"query": "query Q($u: JID) { last { getLast(user: $u) { user } } }", "variables": {"u": "@x"}}));
    assert_eq!(json["errors"][0]["path"], json!(["Q", "u"]));
}

#[test]
fn a_missing_non_null_variable_is_400() {
    let s = server();
    let u = s.new_user("nonnull");
    let (status, json) = s.post(
        &s.client(&u),
        json!({"query": "mutation Q($p: String!) { account { changePassword(newPassword: $p) } }"}),
    );
    assert_eq!(status, 400);
    assert_eq!(code(&json), "missing_non_null_param");
}

#[test]
fn oversized_bodies_are_refused() {
    let s = server();
    // Over the default 1 MiB limit: the server answers from the declared length, then reads
    // and discards the rest, so a client that writes the whole body first still gets the 413.
    for extra in [1, 8 * 1024 * 1024] {
        let big = json!({"query": format!("{{ checkAuth {{ username }} }} # {}", "x".repeat(1024 * 1024 + extra))});
        let (status, json) = s.post(&s.anonymous(), big);
        assert_eq!(status, 413);
        assert_eq!(code(&json), "request_too_large");
    }
}

#[test]
fn too_deep_or_too_nested_queries_are_refused() {
    let s = server();
    let nested = format!("{}{}", "{".repeat(10_000), "}".repeat(10_000));
    let (status, json) = s.post(&s.anonymous(), json!({"query": nested}));
    assert_eq!(status, 400);
    assert_eq!(code(&json), "query_too_deep");
    // Within the bracket bound but beyond the configured depth.
    let deep = format!(
        "{{ __schema {{ types {{ {}name{} }} }} }}",
        "ofType { ".repeat(30),
        " }".repeat(30)
    );
    let (status, json) = s.post(&s.anonymous(), json!({"query": deep}));
    assert_eq!(status, 400, "{json}");
    assert_eq!(code(&json), "query_too_deep", "{json}");
}

#[test]
fn get_requests_work_and_other_methods_are_405() {
    let s = server();
    let (status, body) = s
        .anonymous()
        .get_raw("query=%7B%20checkAuth%20%7B%20authStatus%20%7D%20%7D", None)
        .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("UNAUTHORIZED"), "{body}");
    let (status, body) = s.anonymous().get_raw("=invalid", None).unwrap();
    assert_eq!(status, 400);
    assert!(body.contains("invalid_query_parameters"));
    let (status, _) = s.anonymous().get_raw("", None).unwrap();
    assert_eq!(status, 400);

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let resp = agent.put(s.anonymous().url()).send("x").unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers().get("allow").unwrap(), "GET, POST");
}

#[test]
fn browsers_get_graphiql_and_health_answers() {
    let s = server();
    let (status, body) = s
        .anonymous()
        .get_raw("", Some("text/html,application/xhtml+xml,*/*;q=0.8"))
        .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("<title>mimql user API</title>"), "{body}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent.get(format!("{}/health", s.user_url)).call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.body_mut().read_to_string().unwrap(),
        "{\"status\":\"ok\",\"database\":\"ok\"}"
    );
}

#[test]
fn subscriptions_over_plain_http_are_refused() {
    let s = server();
    let u = s.new_user("sub");
    let (status, json) = s.post(
        &s.client(&u),
        json!({"query": "subscription { stanza { subscribeForMessages { sender } } }"}),
    );
    assert_eq!(status, 400);
    assert_eq!(code(&json), "unsupported_operation");
    assert_eq!(
        message(&json),
        "The http execution method does not support subscription operations."
    );
    let (status, json) = s.post(
        &s.anonymous(),
        json!({"query": "subscription { stanza { subscribeForMessages { sender } } }"}),
    );
    assert_eq!(status, 401, "unauthenticated callers are refused first");
    assert_eq!(code(&json), "no_permissions");
}

/// Found in review: recursion per nesting level used to overflow the stack and abort the
/// process. Deep documents are refused as input errors; an anonymous caller is refused (401)
/// before the element is parsed at all, since parsing XML is the one expensive coercion.
#[test]
fn deeply_nested_xml_is_refused_without_crashing() {
    let s = server();
    let deep = format!("{}{}", "<a>".repeat(5000), "</a>".repeat(5000));
    let body = json!({"query": "mutation($x: XmlElement!) { private { setPrivate(elementString: $x) } }", "variables": {"x": deep}});
    let (status, json) = s.post(&s.client(&s.new_user("deepxml")), body.clone());
    assert_eq!(status, 400);
    assert_eq!(code(&json), "input_coercion");
    assert!(message(&json).contains("nested deeper than 256"), "{json}");
    let (status, json) = s.post(&s.anonymous(), body);
    assert_eq!(status, 401);
    assert_eq!(code(&json), "no_permissions");
    assert_eq!(
        s.anonymous()
            .run(mimql_client::user::check_auth())
            .unwrap()
            .status,
        200
    );
}

/// The reference validates and coerces (400) before it checks `@protected` (401).
#[test]
fn input_errors_win_over_missing_credentials() {
    let s = server();
    let anon = s.anonymous();
    for (body, expected) in [
        (json!({"query": "{ account { nope } }"}), "unknown_field"),
        (
            json!({"query": "mutation($p: String!) { account { changePassword(newPassword: $p) } }"}),
            "missing_non_null_param",
        ),
        (
            json!({"query": "{ last { getLast(user: \"a@\") { user } } }"}),
            "input_coercion",
        ),
    ] {
        let (status, json) = s.post(&anon, body.clone());
        assert_eq!(status, 400, "{body}");
        assert_eq!(code(&json), expected, "{body}");
    }
}

#[test]
fn literal_nulls_and_non_string_xml_are_refused() {
    let s = server();
    let u = s.new_user("nulls");
    let c = s.client(&u);
    let (status, json) = s.post(
        &c,
        json!({"query": "{ last { getLast(user: null) { user } } }"}),
    );
    assert_eq!(status, 400);
    assert_eq!(code(&json), "null_input");
    assert_eq!(
        message(&json),
        "The arg user is given a null, which is not allowed in the input path"
    );
    // A null *variable* means "absent" (ruling: clients that always send every variable work).
    let (status, json) = s.post(&c, json!({"query": "query($u: JID) { last { getLast(user: $u) { user } } }", "variables": {"u": null}}));
    assert_eq!(status, 200);
    assert_eq!(code(&json), "last_not_found");

    let (status, json) = s.post(&c, json!({"query": "mutation($x: XmlElement!) { private { setPrivate(elementString: $x) } }", "variables": {"x": 5}}));
    assert_eq!(status, 400);
    assert_eq!(code(&json), "input_coerce_abort");
    assert_eq!(
        message(&json),
        "Input coercer failed due to an internal server error"
    );
}

#[test]
fn non_empty_strings_accept_numbers_as_the_reference_does() {
    let s = server();
    let u = s.new_user("nes");
    let (status, json) = s.post(&s.client(&u), json!({"query": "query($n: NonEmptyString!) { private { getPrivate(element: \"e\", nameSpace: $n) } }", "variables": {"n": 5}}));
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["data"]["private"]["getPrivate"], "<e xmlns='5'/>");
}
