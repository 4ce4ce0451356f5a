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

#[test]
fn set_loglevel_is_what_get_loglevel_answers() {
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
