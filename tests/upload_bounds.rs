//! Per-user bounds of `mod_http_upload` (issue 19, item 3): the upload quota (bytes and files,
//! checked and reserved in one transaction), unused URLs that stop counting and are reclaimed,
//! uploads removed with the account (local files; S3 objects with a signed DELETE), the PUT body
//! timeout and the maximum URL timeout.

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::{TestServer, User, eventually, ok, refused};
use mimql_client::user::account;
use mimql_client::user::http_upload::{FileUrls, get_url};
use mimql_entities::upload_file;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// A server with small upload bounds and fast reclaiming.
fn bounded() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        common::start(|c| {
            let u = &mut c.http_upload;
            u.max_file_size = 100;
            u.max_bytes_per_user = 100;
            u.max_files_per_user = 3;
            u.max_url_timeout_secs = 600;
            u.put_timeout_secs = 1;
            u.reclaim_interval_secs = 1;
        })
    })
}

fn urls(s: &TestServer, u: &User, name: &str, size: i64, timeout: i64) -> FileUrls {
    ok(s.client(u)
        .run(get_url(name, size, None, timeout))
        .expect("server reachable"))
    .http_upload
    .and_then(|h| h.get_url)
    .expect("getUrl is not null")
}

/// `getUrl` refused for the quota; answers the limit it names.
fn over_quota(s: &TestServer, u: &User, size: i64, message: &str) -> serde_json::Value {
    let resp = s
        .client(u)
        .run(get_url("f.bin", size, None, 60))
        .expect("server reachable");
    refused(resp, "upload_quota_exceeded", message)["limit"].clone()
}

fn put(url: &str, body: &[u8]) -> u16 {
    let resp = agent().put(url).send(body).expect("server reachable");
    resp.status().as_u16()
}

fn get_status(url: &str) -> u16 {
    agent()
        .get(url)
        .call()
        .expect("server reachable")
        .status()
        .as_u16()
}

/// The upload token of a GET URL (`.../<token>/<name>`).
fn token(get_url: &str) -> String {
    let mut parts = get_url.rsplit('/');
    parts.next();
    parts.next().unwrap().to_string()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The `upload_files` row of a token.
fn row(s: &TestServer, token: &str) -> Option<upload_file::Model> {
    let rt = runtime();
    rt.block_on(async {
        let db = mimql::db::connect(&s.db_url, 1).await.unwrap();
        upload_file::Entity::find()
            .filter(upload_file::Column::Token.eq(token))
            .one(&db)
            .await
            .unwrap()
    })
}

#[test]
fn the_quota_counts_bytes_and_files_per_user() {
    let s = bounded();
    let (a, b) = (s.new_user("quota"), s.new_user("quota"));
    urls(s, &a, "one.bin", 60, 60);
    assert_eq!(
        over_quota(s, &a, 41, "Uploads are limited to 100 bytes per user"),
        json!(100)
    );
    // Up to the limit exactly.
    urls(s, &a, "two.bin", 40, 60);
    assert_eq!(
        over_quota(s, &a, 1, "Uploads are limited to 100 bytes per user"),
        json!(100)
    );
    // Another user has a quota of their own; three files at most.
    for i in 0..3 {
        urls(s, &b, &format!("{i}.bin"), 1, 60);
    }
    assert_eq!(
        over_quota(s, &b, 1, "Uploads are limited to 3 files per user"),
        json!(3)
    );
    // The extensions carry the arguments, as for the reference's errors.
    let resp = s
        .client(&a)
        .run(get_url("f.bin", 1, Some("text/plain"), 60))
        .unwrap();
    let ext = refused(
        resp,
        "upload_quota_exceeded",
        "Uploads are limited to 100 bytes per user",
    );
    assert_eq!(ext["filename"], json!("f.bin"));
    assert_eq!(ext["contentType"], json!("text/plain"));
}

#[test]
fn concurrent_get_urls_do_not_overshoot_the_quota() {
    let s = bounded();
    let u = s.new_user("race");
    let granted: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let u = &u;
                scope.spawn(move || {
                    let resp = s
                        .client(u)
                        .run(get_url(&format!("{i}.bin"), 30, None, 60))
                        .expect("server reachable");
                    match resp.errors.first() {
                        None => 1,
                        Some(e) => {
                            assert_eq!(e.code.as_deref(), Some("upload_quota_exceeded"), "{e:?}");
                            0
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(granted, 3, "30 bytes each within 100");
}

#[test]
fn unused_urls_stop_counting_and_are_reclaimed() {
    let s = bounded();
    let u = s.new_user("expiry");
    let f = urls(s, &u, "late.bin", 100, 1);
    let put_url = f.put_url.unwrap();
    let t = token(&f.get_url.unwrap());
    assert!(row(s, &t).is_some());
    over_quota(s, &u, 1, "Uploads are limited to 100 bytes per user");
    // Once the URL (and a PUT that started in time) can no longer be used, it stops counting
    // and the background pass deletes its row.
    assert!(
        eventually(30, || row(s, &t).is_none()),
        "the unused slot is reclaimed"
    );
    assert_eq!(put(&put_url, &[7; 100]), 403, "the URL is dead");
    let f = urls(s, &u, "again.bin", 100, 60);
    assert_eq!(put(&f.put_url.unwrap(), &[7; 100]), 201);
    assert!(
        row(s, &token(f.get_url.as_ref().unwrap()))
            .unwrap()
            .completed
    );
}

#[test]
fn stored_files_keep_counting_after_their_url_expired() {
    let s = bounded();
    let u = s.new_user("stored");
    let f = urls(s, &u, "kept.bin", 100, 2);
    assert_eq!(put(&f.put_url.unwrap(), &[1; 100]), 201);
    let t = token(f.get_url.as_ref().unwrap());
    // Well past the URL's expiry and the PUT timeout: a reclaiming pass has run meanwhile.
    std::thread::sleep(Duration::from_secs(5));
    assert!(row(s, &t).unwrap().completed);
    over_quota(s, &u, 1, "Uploads are limited to 100 bytes per user");
    assert_eq!(get_status(&f.get_url.unwrap()), 200);
}

/// Sends a PUT's head and part of its body, then stalls; answers the status line's code.
fn stalled_put(url: &str, declared: usize, sent: &[u8]) -> u16 {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut req =
        format!("PUT {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {declared}\r\n\r\n")
            .into_bytes();
    req.extend_from_slice(sent);
    stream.write_all(&req).unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    std::str::from_utf8(&head[9..12]).unwrap().parse().unwrap()
}

#[test]
fn a_stalled_put_is_cut_off_with_408_and_stores_nothing() {
    let s = bounded();
    let u = s.new_user("stall");
    let f = urls(s, &u, "slow.bin", 10, 60);
    let (put_url, get_url) = (f.put_url.unwrap(), f.get_url.unwrap());
    assert_eq!(stalled_put(&put_url, 10, b"abc"), 408);
    assert_eq!(get_status(&get_url), 404);
    assert!(!row(s, &token(&get_url)).unwrap().completed);
    // The URL still works for a client that sends the whole body.
    assert_eq!(put(&put_url, b"0123456789"), 201);
    assert_eq!(get_status(&get_url), 200);
}

#[test]
fn url_timeouts_over_the_maximum_are_refused() {
    let s = bounded();
    let u = s.new_user("timeout");
    let resp = s.client(&u).run(get_url("t.bin", 1, None, 601)).unwrap();
    let ext = refused(
        resp,
        "upload_timeout_too_long",
        "The URL timeout is limited to 600 seconds",
    );
    assert_eq!(ext["limit"], json!(600));
    assert_eq!(ext["timeout"], json!(601));
    urls(s, &u, "t.bin", 1, 600);
}

#[test]
fn uploads_are_removed_with_the_account() {
    let s = bounded();
    let u = s.new_user("doomed");
    let stored = urls(s, &u, "a.bin", 10, 60);
    assert_eq!(put(stored.put_url.as_ref().unwrap(), &[3; 10]), 201);
    let unused = urls(s, &u, "b.bin", 10, 60);
    let get_url = stored.get_url.unwrap();
    assert_eq!(get_status(&get_url), 200);
    ok(s.client(&u).run(account::unregister()).unwrap());
    assert_eq!(get_status(&get_url), 404, "the file went with the account");
    assert!(row(s, &token(&get_url)).is_none());
    assert!(row(s, &token(unused.get_url.as_ref().unwrap())).is_none());
    assert_eq!(put(unused.put_url.as_ref().unwrap(), &[3; 10]), 403);
    let dir = &s.state.config.http_upload.local.directory;
    assert!(!dir.join(token(&get_url)).exists());
}

#[test]
fn admin_removal_deletes_uploads_too() {
    let s = bounded();
    let u = s.new_user("doomed");
    let f = urls(s, &u, "a.bin", 10, 60);
    assert_eq!(put(f.put_url.as_ref().unwrap(), &[3; 10]), 201);
    ok(s.admin()
        .run(mimql_client::admin::remove_user(&u.jid))
        .unwrap());
    assert_eq!(get_status(f.get_url.as_ref().unwrap()), 404);
    assert!(row(s, &token(f.get_url.as_ref().unwrap())).is_none());
}

/// A fresh PostgreSQL database beside `MIMQL_TEST_DATABASE_URL`'s, when that is set (else
/// the server gets a SQLite file of its own).
fn own_database() -> Option<String> {
    let shared = std::env::var("MIMQL_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let (base, _) = shared.rsplit_once('/')?;
    let name = format!("mimql_s3_{}_{:x}", std::process::id(), rand_suffix());
    runtime().block_on(async {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(shared.as_str()).await.unwrap();
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
    });
    Some(format!("{base}/{name}"))
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// A stand-in for S3: objects whose paths are in the returned set exist (`HEAD` 200, else
/// 404); `DELETE` answers 204 and removes the path. Every request's head is reported.
fn fake_s3() -> (
    String,
    Arc<Mutex<HashSet<String>>>,
    std::sync::mpsc::Receiver<String>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let objects = Arc::new(Mutex::new(HashSet::new()));
    let store = objects.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let text = String::from_utf8_lossy(&buf).to_string();
            let mut line = text.lines().next().unwrap_or_default().split(' ');
            let method = line.next().unwrap_or_default();
            let path = line.next().unwrap_or_default().split('?').next().unwrap();
            let status = match method {
                "HEAD" if store.lock().unwrap().contains(path) => "200 OK",
                "HEAD" => "404 Not Found",
                _ => {
                    store.lock().unwrap().remove(path);
                    "204 No Content"
                }
            };
            let _ = conn.write_all(
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            let _ = tx.send(text);
        }
    });
    (format!("http://{addr}/bucket"), objects, rx)
}

#[test]
fn s3_uploads_are_settled_when_their_url_expires_and_deleted_with_the_account() {
    let (bucket_url, objects, requests) = fake_s3();
    // A database of its own: every server on a database reclaims all of its slots with its
    // own backend (nodes sharing a database share the backend too).
    let s = common::start_on(own_database().as_deref(), |c| {
        let u = &mut c.http_upload;
        u.backend = mimql::config::UploadBackend::S3;
        u.max_bytes_per_user = 100;
        u.put_timeout_secs = 1;
        u.reclaim_interval_secs = 1;
        u.s3 = Some(mimql::config::S3Upload {
            bucket_url: bucket_url.clone(),
            region: "eu-west-1".into(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            add_acl: false,
        });
    });
    let u = s.new_user("s3doomed");
    let used = urls(&s, &u, "my file.bin", 60, 1).get_url.unwrap();
    assert!(used.starts_with(&bucket_url));
    let unused = urls(&s, &u, "b.bin", 40, 1).get_url.unwrap();
    let (used_t, unused_t) = (token(&used), token(&unused));
    // The client "uploads" the first one; mimql does not see it.
    objects
        .lock()
        .unwrap()
        .insert(format!("/bucket/{used_t}/my%20file.bin"));
    // Both count while their URLs may be used, and after until the store has been asked.
    over_quota(&s, &u, 1, "Uploads are limited to 100 bytes per user");
    assert!(
        eventually(30, || row(&s, &unused_t).is_none()
            && row(&s, &used_t).is_some_and(|r| r.completed)),
        "the missing object's slot is reclaimed, the existing one is kept"
    );
    // The stored object keeps counting.
    over_quota(&s, &u, 41, "Uploads are limited to 100 bytes per user");
    urls(&s, &u, "c.bin", 40, 60);
    while requests.try_recv().is_ok() {}
    ok(s.client(&u).run(account::unregister()).unwrap());
    let mut deleted = Vec::new();
    while let Ok(req) = requests.recv_timeout(Duration::from_secs(10)) {
        let host = bucket_url
            .strip_prefix("http://")
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        assert!(req.contains(&format!("Host: {host}\r\n")), "{req}");
        let line = req.lines().next().unwrap().to_string();
        assert!(line.contains("X-Amz-Signature="), "{line}");
        // The reclaiming's DELETE of the unused object may be reported late.
        if line.contains(&unused_t) {
            continue;
        }
        deleted.push(line.split('?').next().unwrap().to_string());
        if deleted.len() == 2 {
            break;
        }
    }
    deleted.sort();
    let c_t = deleted
        .iter()
        .find(|l| l.ends_with("/c.bin"))
        .map(|l| l.split('/').nth(2).unwrap().to_string())
        .expect("c.bin deleted");
    let mut want = vec![
        format!("DELETE /bucket/{used_t}/my%20file.bin"),
        format!("DELETE /bucket/{c_t}/c.bin"),
    ];
    want.sort();
    assert_eq!(deleted, want);
    assert!(objects.lock().unwrap().is_empty());
    assert!(row(&s, &used_t).is_none());
    assert!(row(&s, &c_t).is_none());
}
