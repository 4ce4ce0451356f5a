//! `mimql admin`: the built binary against a running server, reaching its admin listener with
//! the address and credentials of a config file. A command of every category with its effect
//! seen through the user API, raw documents, every usage error with its text and exit status,
//! the listings; and every command's document accepted by the server's cost bound and
//! validation.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::User;
use serde_json::{Value, json};

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// `mimql admin --config <config> <args>`.
fn admin_with(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mimql"))
        .arg("admin")
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the mimql binary runs")
}

/// The shared server's CLI config (kept for the whole test process).
fn config() -> &'static Path {
    static CONFIG: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &CONFIG.get_or_init(|| common::server().admin_cli_config()).1
}

fn admin(args: &[&str]) -> Output {
    admin_with(config(), args)
}

/// The JSON a command printed; it must have succeeded (exit 0, nothing on stderr).
fn ok(args: &[&str]) -> Value {
    let out = admin(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    assert_eq!(text(&out.stderr), "", "{args:?}");
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// A usage error: exit 2, nothing on stdout, stderr starting with `first_line` then a blank
/// line and the usage text; answers stderr.
fn usage_error(args: &[&str], first_line: &str) -> String {
    let out = admin(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    assert_eq!(text(&out.stdout), "", "{args:?}");
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("{first_line}\n\nUsage: mimql admin ")),
        "{args:?}: {err}"
    );
    err
}

/// A user API query as `user`, which must succeed; answers `data`.
fn user_query(user: &User, query: &str) -> Value {
    let s = common::server();
    let (status, body) = s.post(&s.client(user), json!({ "query": query }));
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

#[test]
fn account_commands_register_and_count() {
    let name = common::unique("cli");
    let data = ok(&[
        "account",
        "registerUser",
        "--domain",
        "localhost",
        "--username",
        &name,
        "--password",
        "pass word",
    ]);
    let jid = format!("{name}@localhost");
    assert_eq!(
        data,
        json!({"data": {"account": {"registerUser": {
            "jid": jid,
            "message": format!("User {jid} successfully registered"),
        }}}})
    );
    let user = User {
        jid: jid.clone(),
        password: "pass word".into(),
    };
    assert_eq!(
        user_query(&user, "{ checkAuth { username authStatus } }"),
        json!({"checkAuth": {"username": jid, "authStatus": "AUTHORIZED"}})
    );
    let count = ok(&["account", "countUsers", "--domain", "localhost"]);
    assert!(count["data"]["account"]["countUsers"].as_i64().unwrap() >= 1);
}

#[test]
fn roster_add_contact_is_seen_in_the_users_roster() {
    let s = common::server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let data = ok(&[
        "roster",
        "addContact",
        "--user",
        &alice.jid,
        "--contact",
        &bob.jid,
        "--name",
        "Bob B",
        "--groups",
        r#"["friends", "work"]"#,
    ]);
    assert_eq!(
        data,
        json!({"data": {"roster": {"addContact": "Contact added successfully"}}})
    );
    assert_eq!(
        user_query(
            &alice,
            "{ roster { listContacts { jid name groups subscription ask } } }"
        ),
        json!({"roster": {"listContacts": [{
            "jid": bob.jid, "name": "Bob B", "groups": ["friends", "work"],
            "subscription": "NONE", "ask": "NONE",
        }]}})
    );
    // The full selection, printed in the schema's field order.
    let out = admin(&["roster", "listContacts", "--user", &alice.jid]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let printed: String = text(&out.stdout).split_whitespace().collect();
    assert_eq!(
        printed,
        format!(
            r#"{{"data":{{"roster":{{"listContacts":[{{"jid":"{}","name":"BobB","groups":["friends","work"],"subscription":"NONE","ask":"NONE"}}]}}}}}}"#,
            bob.jid
        )
    );
}

#[test]
fn vcard_set_is_seen_by_the_user_and_read_back_whole() {
    let s = common::server();
    let alice = s.new_user("alice");
    let vcard = r#"{"formattedName": "Alice A", "nameComponents": {"givenName": "Alice"},
                    "nickname": ["al"]}"#;
    let set = ok(&["vcard", "setVcard", "--user", &alice.jid, "--vcard", vcard]);
    assert_eq!(
        set["data"]["vcard"]["setVcard"]["formattedName"],
        json!("Alice A")
    );
    assert_eq!(
        user_query(&alice, "{ vcard { getVcard { formattedName nickname } } }"),
        json!({"vcard": {"getVcard": {"formattedName": "Alice A", "nickname": ["al"]}}})
    );
    let got = ok(&["vcard", "getVcard", "--user", &alice.jid]);
    assert_eq!(
        got["data"]["vcard"]["getVcard"],
        set["data"]["vcard"]["setVcard"]
    );
}

#[test]
fn private_set_is_seen_by_the_user() {
    let s = common::server();
    let alice = s.new_user("alice");
    let element = "<note xmlns='cli:test'>kept</note>";
    let set = ok(&[
        "private",
        "setPrivate",
        "--user",
        &alice.jid,
        "--elementString",
        element,
    ]);
    assert_eq!(set["data"]["private"]["setPrivate"], json!(element));
    assert_eq!(
        user_query(
            &alice,
            r#"{ private { getPrivate(element: "note", nameSpace: "cli:test") } }"#
        ),
        json!({"private": {"getPrivate": element}})
    );
}

#[test]
fn last_set_is_seen_by_the_user() {
    let s = common::server();
    let alice = s.new_user("alice");
    let set = ok(&[
        "last",
        "setLast",
        "--user",
        &alice.jid,
        "--timestamp",
        "2024-05-06T07:08:09Z",
        "--status",
        "gone fishing",
    ]);
    assert_eq!(
        set["data"]["last"]["setLast"],
        json!({"user": alice.jid, "timestamp": "2024-05-06T07:08:09.000000Z", "status": "gone fishing"})
    );
    assert_eq!(
        user_query(&alice, "{ last { getLast { timestamp status } } }"),
        json!({"last": {"getLast": {"timestamp": "2024-05-06T07:08:09.000000Z", "status": "gone fishing"}}})
    );
}

#[test]
fn stanza_send_message_reaches_the_live_subscription_and_the_archive() {
    use mimql_client::sse::{Opened, SseSubscription};
    use mimql_client::user::stanza::{SubscribeForMessages, subscribe_for_messages};
    let s = common::server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let mut sub = match SseSubscription::open(&s.client(&bob), &subscribe_for_messages()).unwrap() {
        Opened::Stream(st) => st,
        Opened::Refused { status, body, .. } => panic!("refused: {status} {body}"),
    };
    // Live once the session is listed.
    wait_for_a_session(s, &bob);
    let sent = ok(&[
        "stanza",
        "sendMessage",
        "--from",
        &alice.jid,
        "--to",
        &bob.jid,
        "--body",
        "hello from the shell",
    ]);
    let id = sent["data"]["stanza"]["sendMessage"]["id"]
        .as_str()
        .expect("an id");
    // Routed by the running server to the recipient's open subscription.
    let event = sub
        .next::<SubscribeForMessages>(std::time::Duration::from_secs(10))
        .expect("stream open")
        .expect("an event in time");
    let got = event.data.unwrap().message().cloned().expect("a message");
    assert_eq!(got.sender.unwrap().0, alice.jid);
    let xml = got.stanza.unwrap().0;
    assert!(xml.contains(&format!("id='{id}'")), "{xml}");
    sub.close();
    let (messages, _) = common::archive(&s.client(&bob), Some(&alice.jid), None, None);
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]
            .stanza
            .as_ref()
            .expect("a stanza")
            .0
            .contains("<body>hello from the shell</body>")
    );
    let last = ok(&[
        "stanza",
        "getLastMessages",
        "--caller",
        &bob.jid,
        "--limit",
        "5",
    ]);
    let stanzas = &last["data"]["stanza"]["getLastMessages"]["stanzas"];
    assert_eq!(stanzas.as_array().unwrap().len(), 1, "{last}");
    assert_eq!(stanzas[0]["sender"], json!(alice.jid));
}

#[test]
fn raw_documents_with_and_without_variables() {
    assert_eq!(
        ok(&["graphql", "{ checkAuth { authType authStatus } }"]),
        json!({"data": {"checkAuth": {"authType": "ADMIN", "authStatus": "AUTHORIZED"}}})
    );
    let counted = ok(&[
        "graphql",
        "query Count($d: DomainName!) { account { countUsers(domain: $d) } }",
        "--variables",
        r#"{"d": "listing.test"}"#,
    ]);
    assert!(
        counted["data"]["account"]["countUsers"].is_i64(),
        "{counted}"
    );
    // A document the server refuses: its answer printed, exit 1.
    let out = admin(&["graphql", "{ account { countUsers("]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(common::code(&body), "parser_error", "{body}");
}

#[test]
fn graphql_errors_are_printed_whole_with_status_1() {
    let out = admin(&[
        "roster",
        "addContact",
        "--user",
        "alice@unknown.test",
        "--contact",
        "bob@localhost",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(text(&out.stderr), "");
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(common::code(&body), "unknown_domain", "{body}");
    assert_eq!(body["data"], json!({"roster": {"addContact": null}}));
    // Pretty: one member per line.
    assert!(
        text(&out.stdout).starts_with("{\n  \""),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn usage_errors_have_the_references_texts_and_status_2() {
    let err = usage_error(&["coffee"], "Unknown category 'coffee'");
    assert!(err.contains("\n  roster "), "{err}");
    let err = usage_error(&["account", "makeCoffee"], "Unknown command 'makeCoffee'");
    assert!(err.contains("\n  countUsers "), "{err}");
    usage_error(
        &["account", "makeCoffee", "--strength", "medium"],
        "Unknown command 'makeCoffee'",
    );
    for args in [
        &["account", "countUsers", "now"][..],
        &["account", "countUsers", "--domain"],
        &["account", "countUsers", "domain", "localhost"],
    ] {
        let err = usage_error(args, "Could not parse the command arguments");
        assert!(err.contains("\n  domain  DomainName!\n"), "{err}");
    }
    usage_error(
        &["account", "countUsers", "--domain", "localhost", "--x", "y"],
        "Unknown argument 'x' for command 'countUsers'",
    );
    let err = usage_error(
        &[
            "vcard",
            "setVcard",
            "--user",
            "user@localhost",
            "--vcard",
            "x",
        ],
        "Invalid value 'x' of argument 'vcard' for command 'setVcard'",
    );
    assert!(err.contains("\n  vcard  VcardInput!\n"), "{err}");
    usage_error(
        &[
            "stanza",
            "getLastMessages",
            "--caller",
            "a@localhost",
            "--limit",
            "many",
        ],
        "Invalid value 'many' of argument 'limit' for command 'getLastMessages'",
    );
    usage_error(
        &[
            "roster",
            "deleteContacts",
            "--user",
            "a@localhost",
            "--contacts",
            "b@localhost",
        ],
        "Invalid value 'b@localhost' of argument 'contacts' for command 'deleteContacts'",
    );
    usage_error(
        &["roster", "addContact", "--name", "x"],
        "Missing mandatory arguments for command 'addContact': 'user', 'contact'",
    );
    usage_error(
        &["graphql"],
        "This command requires one string type argument!",
    );
    usage_error(
        &["graphql", "{ a }", "{ b }"],
        "This command requires one string type argument!",
    );
    usage_error(
        &["graphql", "{ a }", "--variables", "1"],
        "Invalid value '1' of argument 'variables' for command 'graphql'",
    );
}

#[test]
fn listings_and_help() {
    let out = admin(&[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let all = text(&out.stdout);
    assert!(all.starts_with("Usage: mimql admin [--config FILE] category command [arguments]\n"));
    let categories = mimql::generated::admin_commands::CATEGORIES;
    let width = categories.iter().map(|c| c.name.len()).max().unwrap();
    for c in categories {
        assert!(
            all.contains(&format!("\n  {:<width$}  {}\n", c.name, c.description)),
            "{}: {all}",
            c.name
        );
    }
    assert!(!all.contains("checkAuth"));
    assert_eq!(text(&admin(&["--help"]).stdout), all);

    let out = admin(&["roster"]);
    assert_eq!(out.status.code(), Some(0));
    let roster = text(&out.stdout);
    assert!(roster.contains("The following commands are available in the category 'roster':\n"));
    assert!(roster.contains(
        "\n  addContact             Add a contact to the user's roster, leaving the subscription as it is\n"
    ), "{roster}");
    assert!(roster.contains("\n  listContacts           The user's whole roster\n"));

    let out = admin(&["roster", "addContact", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(
        help.starts_with("Usage: mimql admin roster addContact arguments\n"),
        "{help}"
    );
    assert!(
        help.contains(
            "\n  user     JID!\n  contact  JID!\n  name     String\n  groups   [String!]\n"
        ),
        "{help}"
    );
}

#[test]
fn the_password_comes_from_the_config_or_the_file_beside_the_database() {
    let s = common::server();
    let dir = tempfile::tempdir().unwrap();
    let address = s.admin_url.trim_start_matches("http://");
    let write = |name: &str, admin: &str, db: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!("[database]\nurl = {db:?}\n\n[listen.admin]\naddress = {address:?}\n{admin}"),
        )
        .unwrap();
        path
    };
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("mimql.db").display()
    );
    let auth = ["graphql", "{ checkAuth { authType } }"];
    let expected = json!({"data": {"checkAuth": {"authType": "ADMIN"}}});

    // In the config.
    let inline = write("inline.toml", "password = \"secret\"\n", &db);
    let out = admin_with(&inline, &auth);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        expected
    );

    // Generated: `admin-password` beside the SQLite file, which must exist.
    let generated = write("generated.toml", "", &db);
    let out = admin_with(&generated, &auth);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(
        err.starts_with(
            "mimql: [listen.admin] sets no password and the generated one cannot be read from "
        ),
        "{err}"
    );
    common::write_private(&dir.path().join("admin-password"), "secret\n");
    let out = admin_with(&generated, &auth);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        expected
    );

    // Wrong credentials: the server's answer, exit 1.
    let wrong = write("wrong.toml", "password = \"wrong\"\n", &db);
    let out = admin_with(&wrong, &auth);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(body["errors"].is_array(), "{body}");

    // Nobody listening.
    let gone = dir.path().join("gone.toml");
    std::fs::write(
        &gone,
        format!(
            "[listen.admin]\naddress = \"{}\"\npassword = \"secret\"\n",
            common::free_addr()
        ),
    )
    .unwrap();
    let out = admin_with(&gone, &auth);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out.stderr).starts_with("mimql: cannot reach the admin API at http://127.0.0.1:"),
        "{out:?}"
    );
}

/// A value of `ty` that the input checks accept.
fn sample(ty: &mimql::schema_meta::TypeRef) -> Value {
    use mimql::schema_meta::TypeRef;
    let meta = &mimql::generated::admin::META;
    match ty {
        TypeRef::NonNull(t) => sample(t),
        TypeRef::List(t) => json!([sample(t)]),
        TypeRef::Named(name) => {
            if let Some(e) = meta.enumeration(name) {
                return json!(e.values[0]);
            }
            if let Some(input) = meta.input(name) {
                // The required fields (an input object may hold itself through optional ones).
                let fields: serde_json::Map<String, Value> = input
                    .fields
                    .iter()
                    .filter(|f| matches!(f.ty, TypeRef::NonNull(_)) && !f.has_default)
                    .map(|f| (f.name.to_string(), sample(&f.ty)))
                    .collect();
                return Value::Object(fields);
            }
            match *name {
                "JID" | "BareJID" => json!("alice@localhost"),
                "FullJID" => json!("alice@localhost/res"),
                "UserName" => json!("alice"),
                "RoomName" => json!("room"),
                "DomainName" => json!("localhost"),
                "ResourceName" => json!("res"),
                "Int" | "PosInt" | "NonNegInt" => json!(1),
                "Float" => json!(1.5),
                "Boolean" => json!(true),
                "DateTime" => json!("2024-01-02T03:04:05Z"),
                "XmlElement" => json!("<x xmlns='urn:x'/>"),
                _ => json!("x"),
            }
        }
    }
}

#[test]
fn every_commands_document_passes_the_servers_cost_bound_and_validation() {
    let s = common::server();
    let meta = &mimql::generated::admin::META;
    let mut checked = 0;
    for category in mimql::generated::admin_commands::CATEGORIES {
        for command in category.commands {
            let root = match command.operation {
                "query" => meta.query,
                "mutation" => meta.mutation.unwrap(),
                _ => meta.subscription.unwrap(),
            };
            let field = meta
                .object(root)
                .and_then(|r| r.field(category.name))
                .and_then(|c| meta.object(c.ty))
                .and_then(|c| c.field(command.name))
                .expect("the command is a field of its category");
            // Every argument given, lists with one item.
            let variables: serde_json::Map<String, Value> = field
                .args
                .iter()
                .map(|a| (a.name.to_string(), sample(&a.ty)))
                .collect();
            let variables = async_graphql::Variables::from_json(Value::Object(variables));
            if let Err(e) = mimql::fuzzing::admin_pre_execution(
                &s.state.config.limits,
                command.document,
                variables,
            ) {
                panic!(
                    "{} {}: {e:?}\n{}",
                    category.name, command.name, command.document
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked}");
}

/// A subscription command streams: each event printed as it comes, over the admin listener's
/// SSE, until the server ends the stream (here: the caller's account removed).
#[test]
fn a_subscription_command_prints_each_event_until_the_stream_ends() {
    use std::io::{BufRead, BufReader};
    let s = common::server();
    let (alice, bob) = (s.new_user("alice"), s.new_user("bob"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimql"))
        .args(["admin", "--config"])
        .arg(config())
        .args(["stanza", "subscribeForMessages", "--caller", &bob.jid])
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the mimql binary runs");
    wait_for_a_session(s, &bob);
    ok(&[
        "stanza",
        "sendMessage",
        "--from",
        &alice.jid,
        "--to",
        &bob.jid,
        "--body",
        "streamed",
    ]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut event = String::new();
    for line in lines.by_ref() {
        let line = line.expect("stdout");
        event.push_str(&line);
        event.push('\n');
        if line == "}" {
            break;
        }
    }
    let event: Value = serde_json::from_str(&event).expect("one pretty JSON event");
    let message = &event["data"]["stanza"]["subscribeForMessages"];
    assert_eq!(message["sender"], json!(alice.jid), "{event}");
    assert!(message["stanza"].as_str().unwrap().contains("streamed"));
    ok(&["account", "removeUser", "--user", &bob.jid]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the command did not end with its stream");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}

/// Waits until `user` has a session (its subscription is open).
fn wait_for_a_session(s: &common::TestServer, user: &common::User) {
    assert!(common::eventually(10, || {
        common::sessions(&s.client(user))
            .list_sessions
            .is_some_and(|l| !l.is_empty())
    }));
}
