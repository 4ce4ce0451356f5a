//! Durability: a message whose id was acknowledged is in both archives after the server is
//! killed with SIGKILL mid-run and started again.

mod common;

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{free_port, unique};
use mimql_client::Client;
use mimql_client::user::stanza;

struct Node {
    child: Child,
    user_url: String,
}

/// Starts the `mimql` binary on `config` and waits until it answers.
fn spawn(config: &std::path::Path, user_port: u16) -> Node {
    let child = Command::new(env!("CARGO_BIN_EXE_mimql"))
        .args(["serve", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mimql starts");
    let user_url = format!("http://127.0.0.1:{user_port}");
    let probe = Client::new(&user_url).with_timeout(Duration::from_secs(2));
    let deadline = Instant::now() + Duration::from_secs(60);
    while probe.run(mimql_client::user::check_auth()).is_err() {
        assert!(Instant::now() < deadline, "mimql did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    Node { child, user_url }
}

/// Every stanza id in `owner`'s archive of the conversation with `with`, paging back with
/// `before` (inclusive, microsecond timestamps).
fn archived_ids(c: &Client, with: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    let mut before: Option<String> = None;
    loop {
        let page = c
            .run(stanza::get_last_messages(
                Some(with),
                Some(50),
                before.as_deref(),
            ))
            .unwrap()
            .into_data()
            .expect("getLastMessages")
            .stanza
            .and_then(|s| s.get_last_messages)
            .and_then(|p| p.stanzas)
            .unwrap_or_default();
        let Some(oldest) = page.first().and_then(|m| m.clone()) else {
            return ids;
        };
        for m in page.iter().flatten() {
            let xml = &m.stanza.as_ref().unwrap().0;
            let start = xml.find("id='").unwrap() + 4;
            ids.insert(xml[start..start + 16].to_string());
        }
        let ts = chrono::DateTime::parse_from_rfc3339(&oldest.timestamp.unwrap().0).unwrap();
        let prev = ts - chrono::Duration::microseconds(1);
        before = Some(prev.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        if page.len() < 50 {
            return ids;
        }
    }
}

#[test]
fn acknowledged_messages_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (user_port, admin_port) = (free_port(), free_port());
    let db_url = std::env::var("MIMQL_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("crash.db").display()
            )
        });
    let config = dir.path().join("mimql.toml");
    std::fs::write(
        &config,
        format!(
            "[general]\nhosts = [\"localhost\"]\nlog_level = \"error\"\n\
             [database]\nurl = \"{db_url}\"\npool_size = 8\n\
             [listen.user]\naddress = \"127.0.0.1:{user_port}\"\n\
             [listen.admin]\naddress = \"127.0.0.1:{admin_port}\"\npassword = \"secret\"\n\
             [listen.metrics]\nenabled = false\n[listen.c2s]\nenabled = false\n"
        ),
    )
    .unwrap();
    let mut node = spawn(&config, user_port);
    let admin =
        Client::new(&format!("http://127.0.0.1:{admin_port}")).with_basic_auth("admin", "secret");
    const PAIRS: usize = 16;
    let users: Vec<(String, String)> = (0..PAIRS * 2)
        .map(|_| {
            let name = unique("crash");
            let resp = admin
                .run(mimql_client::admin::register_user(
                    "localhost",
                    Some(&name),
                    "pw",
                ))
                .unwrap();
            assert!(resp.errors.is_empty(), "{:?}", resp.errors);
            (format!("{name}@localhost"), "pw".to_string())
        })
        .collect();
    let acked: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..PAIRS)
        .map(|p| {
            let (from, pw) = users[2 * p].clone();
            let to = users[2 * p + 1].0.clone();
            let url = node.user_url.clone();
            let (acked, stop) = (acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let c = Client::new(&url)
                    .with_basic_auth(&from, &pw)
                    .with_timeout(Duration::from_secs(5));
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    match c.run(stanza::send_message(None, &to, &format!("m{n}"))) {
                        Ok(resp) => {
                            if let Some(id) = resp
                                .data
                                .and_then(|d| d.stanza)
                                .and_then(|s| s.send_message)
                                .and_then(|p| p.id)
                            {
                                acked.lock().unwrap().push((p, id.into_inner()));
                            }
                        }
                        // The server is gone: whatever was in flight was never acknowledged.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // Let the senders get going, then pull the plug mid-run.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    node.child.kill().expect("SIGKILL");
    node.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 200,
        "only {} messages were acknowledged",
        acked.len()
    );

    let node = spawn(&config, user_port);
    let mut missing = Vec::new();
    for p in 0..PAIRS {
        let (from, pw) = &users[2 * p];
        let (to, to_pw) = &users[2 * p + 1];
        let received = archived_ids(
            &Client::new(&node.user_url).with_basic_auth(to, to_pw),
            from,
        );
        let sent = archived_ids(&Client::new(&node.user_url).with_basic_auth(from, pw), to);
        for (_, id) in acked.iter().filter(|(q, _)| *q == p) {
            if !received.contains(id) || !sent.contains(id) {
                missing.push(id.clone());
            }
        }
    }
    let mut node = node;
    node.child.kill().ok();
    node.child.wait().ok();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged messages are missing after kill -9: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
}
