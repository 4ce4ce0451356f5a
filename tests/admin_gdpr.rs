//! The admin API's `gdpr` category: `retrievePersonalData` writes a zip of one CSV file per
//! data group that has rows, opened here with the system's `unzip`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TestServer, User, refused, server};
use mimql_client::admin::gdpr;
use serde_json::json;

fn retrieve(
    s: &TestServer,
    user: &User,
    path: &Path,
) -> mimql_client::Response<gdpr::RetrievePersonalData> {
    let (name, domain) = user.jid.split_once('@').unwrap();
    s.admin()
        .run(gdpr::retrieve_personal_data(
            name,
            domain,
            path.to_str().unwrap(),
        ))
        .unwrap()
}

/// What `unzip` prints with these arguments before the zip's path (and `entry` after it).
fn unzip(args: &[&str], zip: &Path, entry: Option<&str>) -> String {
    let out = Command::new("unzip")
        .args(args)
        .arg(zip)
        .args(entry)
        .output()
        .expect("unzip runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The names of the zip's entries, sorted, as `unzip -Z1` lists them.
fn entries(zip: &Path) -> Vec<String> {
    let mut names: Vec<String> = unzip(&["-Z1"], zip, None)
        .lines()
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

/// One entry's text, as `unzip -p` extracts it.
fn entry(zip: &Path, name: &str) -> String {
    unzip(&["-p"], zip, Some(name))
}

fn gql(s: &TestServer, user: &User, query: &str) -> serde_json::Value {
    let (status, body) = s.post(&s.client(user), json!({ "query": query }));
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    body
}

fn admin(s: &TestServer, query: &str) {
    let (status, body) = s.post(&s.admin(), json!({ "query": query }));
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
}

#[test]
fn the_zip_holds_exactly_the_users_data() {
    let s = server();
    let (alice, bob, carol) = (
        s.new_user("gdpra"),
        s.new_user("gdprb"),
        s.new_user("gdprc"),
    );
    // Alice's data: a vCard, a contact, a private element, messages (received while offline,
    // sent), a room message.
    gql(
        s,
        &alice,
        r#"mutation { vcard { setVcard(vcard: {formattedName: "Alice Liddell", nameComponents: {family: "Liddell"}}) { formattedName } } }"#,
    );
    admin(
        s,
        &format!(
            r#"mutation {{ roster {{ addContact(user: "{}", contact: "{}", name: "Bob", groups: ["friends", "work"]) }} }}"#,
            alice.jid, bob.jid
        ),
    );
    admin(
        s,
        &format!(
            r#"mutation {{ private {{ setPrivate(user: "{}", elementString: "<mine xmlns='alice:ns'>secret</mine>") }} }}"#,
            alice.jid
        ),
    );
    gql(
        s,
        &bob,
        &format!(
            r#"mutation {{ stanza {{ sendMessage(to: "{}", body: "hello alice") {{ id }} }} }}"#,
            alice.jid
        ),
    );
    gql(
        s,
        &alice,
        &format!(
            r#"mutation {{ stanza {{ sendMessage(to: "{}", body: "hi carol") {{ id }} }} }}"#,
            carol.jid
        ),
    );
    let room = gql(
        s,
        &alice,
        r#"mutation { muc_light { createRoom(mucDomain: "muclight.localhost", name: "r") { jid } } }"#,
    );
    let room = room["data"]["muc_light"]["createRoom"]["jid"]
        .as_str()
        .unwrap()
        .to_string();
    gql(
        s,
        &alice,
        &format!(
            r#"mutation {{ muc_light {{ sendMessageToRoom(room: "{room}", body: "to the room") }} }}"#
        ),
    );
    // Bob's own data must not show.
    admin(
        s,
        &format!(
            r#"mutation {{ roster {{ addContact(user: "{}", contact: "{}", name: "Carol") }} }}"#,
            bob.jid, carol.jid
        ),
    );
    admin(
        s,
        &format!(
            r#"mutation {{ private {{ setPrivate(user: "{}", elementString: "<his xmlns='bob:ns'>bob secret</his>") }} }}"#,
            bob.jid
        ),
    );

    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("alice.zip");
    let r = common::ok(retrieve(s, &alice, &zip))
        .gdpr
        .unwrap()
        .retrieve_personal_data;
    assert_eq!(r.as_deref(), Some("Data retrieved"));
    assert_eq!(
        entries(&zip),
        [
            "inbox.csv",
            "mam_muc.csv",
            "mam_pm.csv",
            "offline.csv",
            "private.csv",
            "roster.csv",
            "vcard.csv"
        ]
    );

    let vcard = entry(&zip, "vcard.csv");
    let lines: Vec<&str> = vcard.lines().collect();
    assert_eq!(lines[0], "jid,vcard");
    assert_eq!(lines.len(), 2, "{vcard}");
    assert!(lines[1].starts_with(&format!("{},", alice.jid)), "{vcard}");
    assert!(lines[1].contains("Alice Liddell"), "{vcard}");

    let roster = entry(&zip, "roster.csv");
    assert_eq!(
        roster,
        format!(
            "jid,name,subscription,ask,groups,askmessage,xs\n{},Bob,none,none,\"friends, work\",,\n",
            bob.jid
        )
    );

    let private = entry(&zip, "private.csv");
    let lines: Vec<&str> = private.lines().collect();
    assert_eq!(lines.len(), 2, "{private}");
    assert_eq!(lines[0], "ns,xml");
    assert!(
        lines[1].starts_with("alice:ns,") && lines[1].contains(">secret</mine>"),
        "{private}"
    );

    let mam = entry(&zip, "mam_pm.csv");
    let lines: Vec<&str> = mam.lines().collect();
    assert_eq!(lines[0], "id,from,message");
    assert_eq!(lines.len(), 3, "{mam}");
    assert!(
        lines[1].contains(&bob.jid) && lines[1].contains("hello alice"),
        "{mam}"
    );
    assert!(
        lines[2].contains(&alice.jid) && lines[2].contains("hi carol"),
        "{mam}"
    );

    let muc = entry(&zip, "mam_muc.csv");
    let lines: Vec<&str> = muc.lines().collect();
    assert_eq!(lines[0], "id,message");
    assert_eq!(lines.len(), 2, "{muc}");
    assert!(lines[1].contains("to the room"), "{muc}");

    let offline = entry(&zip, "offline.csv");
    let lines: Vec<&str> = offline.lines().collect();
    assert_eq!(lines[0], "timestamp,from,to,packet");
    assert_eq!(lines.len(), 2, "{offline}");
    let fields: Vec<&str> = lines[1].splitn(4, ',').collect();
    assert!(
        fields[0].ends_with('Z') && fields[0].len() == 20,
        "{offline}"
    );
    assert!(fields[1].starts_with(&bob.jid), "{offline}");
    assert_eq!(fields[2], alice.jid);
    assert!(fields[3].contains("hello alice"), "{offline}");

    let inbox = entry(&zip, "inbox.csv");
    let lines: Vec<&str> = inbox.lines().collect();
    assert_eq!(lines[0], "jid,content,unread_count,timestamp");
    assert!(lines.iter().any(|l| l.starts_with(&bob.jid)), "{inbox}");
    assert!(lines.iter().any(|l| l.starts_with(&carol.jid)), "{inbox}");
    assert!(!inbox.contains("Carol"), "{inbox}");

    // A user with no data: an empty zip, and the file is replaced.
    let dave = s.new_user("gdprd");
    let r = common::ok(retrieve(s, &dave, &zip))
        .gdpr
        .unwrap()
        .retrieve_personal_data;
    assert_eq!(r.as_deref(), Some("Data retrieved"));
    let out = Command::new("unzip").arg("-l").arg(&zip).output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("zipfile is empty") || !listing.contains(".csv"),
        "{listing}"
    );
}

#[test]
fn the_references_errors() {
    let s = server();
    let alice = s.new_user("gdpre");
    let dir = tempfile::tempdir().unwrap();

    let ghost = User {
        jid: "ghost@localhost".into(),
        password: String::new(),
    };
    let e = refused(
        retrieve(s, &ghost, &dir.path().join("x.zip")),
        "user_does_not_exist_error",
        "User does not exist",
    );
    assert_eq!(e["user"], "ghost");
    assert_eq!(e["domain"], "localhost");

    let missing = dir.path().join("no/such/dir/x.zip");
    refused(
        retrieve(s, &alice, &missing),
        "wrong_filename_error",
        &format!(
            "It is impossible to create file named '{}'",
            missing.display()
        ),
    );
    refused(
        retrieve(s, &alice, dir.path()),
        "location_is_a_directory_error",
        &format!("Given location '{}' is a directory", dir.path().display()),
    );
    // Somewhere nobody may create files (root included).
    let denied = Path::new("/sys/mimql-gdpr.zip");
    refused(
        retrieve(s, &alice, denied),
        "file_creation_permission_denied_error",
        "Permission to create file in location '/sys/mimql-gdpr.zip' denied",
    );
}
