//! The admin API's `server` category: the node's status and its live log level.

mod common;

use common::server;
use mimql_client::admin::server::{self as srv, LogLevel, StatusCode};

#[test]
fn status_says_running_with_the_version() {
    let s = server();
    let st = common::ok(s.admin().run(srv::status()).unwrap())
        .server
        .unwrap();
    let status = st.status.unwrap();
    assert_eq!(status.status_code, Some(StatusCode::Running));
    assert_eq!(status.version.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    let message = status.message.unwrap();
    assert!(message.contains("is started"), "{message}");
    assert!(
        message.ends_with(&format!(
            "mimql {} is running in that node.",
            env!("CARGO_PKG_VERSION")
        )),
        "{message}"
    );
}

/// The log level is the process's: the tests that set it take turns.
static LEVEL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn set_loglevel_is_what_get_loglevel_answers() {
    let _turn = LEVEL.lock().unwrap_or_else(|e| e.into_inner());
    let s = server();
    for level in [
        LogLevel::Debug,
        LogLevel::Emergency,
        LogLevel::None,
        LogLevel::All,
        LogLevel::Notice,
        LogLevel::Warning,
    ] {
        let set = common::ok(s.admin().run(srv::set_loglevel(level)).unwrap())
            .server
            .unwrap()
            .set_loglevel;
        assert_eq!(set.as_deref(), Some("Log level successfully set."));
        let got = common::ok(s.admin().run(srv::status()).unwrap())
            .server
            .unwrap()
            .get_loglevel;
        assert_eq!(got, Some(level));
    }
}

#[test]
fn an_unknown_level_is_refused_before_execution() {
    let s = server();
    let (status, body) = s.post(
        &s.admin(),
        serde_json::json!({"query": "mutation { server { setLoglevel(level: VERBOSE) } }"}),
    );
    assert_eq!(status, 400, "{body}");
}

/// One document selecting every field of `stat` and `server`, and a mutation of every new
/// mutation category with full selections, passes the request bounds (cost included).
#[test]
fn full_selections_pass_the_request_bounds() {
    let _turn = LEVEL.lock().unwrap_or_else(|e| e.into_inner());
    let s = server();
    let alice = s.new_user("fullsel");
    let (status, body) = s.post(
        &s.admin(),
        serde_json::json!({"query": "{ stat { globalStats { uptimeSeconds registeredUsers onlineUsersNode onlineUsers incomingS2S outgoingS2S } domainStats(domain: \"localhost\") { registeredUsers onlineUsers } } server { status { statusCode message version } getLoglevel } }"}),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let query = format!(
        "mutation {{ token {{ requestToken(user: \"{0}\") {{ access refresh }} }} httpUpload {{ getUrl(domain: \"localhost\", filename: \"f\", size: 1, contentType: \"text/plain\", timeout: 10) {{ putUrl getUrl headers {{ name value }} }} }} account {{ importUsers(filename: \"/nonexistent\") {{ status created existing notAllowed invalidJID emptyPassword invalidRecord }} banUser(user: \"{0}\", reason: \"r\") {{ jid message }} }} server {{ setLoglevel(level: WARNING) }} }}",
        alice.jid
    );
    let (status, body) = s.post(&s.admin(), serde_json::json!({ "query": query }));
    assert_eq!(status, 200, "{body}");
    // Executed: only importUsers fails (no such file).
    assert_eq!(body["errors"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(common::code(&body), "file_not_found");
    assert_eq!(
        body["data"]["server"]["setLoglevel"],
        "Log level successfully set."
    );
}
