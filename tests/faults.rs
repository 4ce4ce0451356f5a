//! The database goes away under a running server: requests that need it get 503
//! `database_unavailable`, the server stays up (requests that need no database are served),
//! and once the database is back it serves again without a restart.
//!
//! PostgreSQL: a private server of the test's own (initdb and pg_ctl from
//! /usr/lib/postgresql/*/bin, as the `postgres` user when the test runs as root), on its own
//! port, stopped and started again. SQLite: the database file and its write-ahead log are made
//! immutable (`chattr +i`), which refuses writes even to root and even through the file
//! descriptors SQLite already holds (file permissions would not: root ignores them).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{TestServer, code};
use serde_json::json;

/// A PostgreSQL server of this test's own.
struct PrivatePg {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

impl PrivatePg {
    /// initdb and start; `Err` says why it cannot be done here.
    fn start() -> Result<PrivatePg, String> {
        let bin = pg_bin().ok_or("no PostgreSQL binaries under /usr/lib/postgresql")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        // initdb refuses to run as root: the cluster belongs to the `postgres` user then.
        let as_postgres = is_root();
        if as_postgres {
            let chown = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .map_err(|e| e.to_string())?;
            if !chown.success() {
                return Err("cannot give the data directory to the postgres user".into());
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let pg = PrivatePg {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        pg.pg_ctl_start()?;
        Ok(pg)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let tool = self.bin.join(tool);
        let out = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&tool)
                .args(args)
                .output()
        } else {
            Command::new(&tool).args(args).output()
        }
        .map_err(|e| format!("{}: {e}", tool.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed: {}{}",
                tool.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        )
    }

    fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"])
            .expect("pg_ctl stop");
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        )
        .ok();
    }
}

fn patient(c: mimql_client::Client) -> mimql_client::Client {
    c.with_timeout(Duration::from_secs(20))
}

const LIST: &str = "{ roster { listContacts { jid } } }";
const SET_LAST: &str = "mutation { last { setLast(status: \"here\") { status } } }";
const SET_OTHER: &str = "mutation { last { setLast(status: \"elsewhere\") { status } } }";

fn health(s: &TestServer) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into();
    let resp = agent
        .get(format!("{}/health", s.user_url))
        .call()
        .expect("server reachable");
    resp.status().as_u16()
}

/// While the database is away: requests that need it get 503 `database_unavailable` with a
/// JSON body; those that do not are served.
fn assert_unavailable(s: &TestServer, c: &mimql_client::Client, query: &str, user: &common::User) {
    let (status, body) = s.post(c, json!({ "query": query }));
    assert_eq!(status, 503, "{body}");
    assert_eq!(code(&body), "database_unavailable", "{body}");
    // A login that is not cached needs the database too.
    let stranger = patient(
        mimql_client::Client::new(&s.user_url).with_basic_auth(&user.jid, "not the password"),
    );
    let (status, body) = s.post(
        &stranger,
        json!({ "query": "{ checkAuth { authStatus } }" }),
    );
    assert_eq!(status, 503, "{body}");
    assert_eq!(code(&body), "database_unavailable", "{body}");
    // The server itself is up.
    let (status, body) = s.post(
        &patient(s.anonymous()),
        json!({ "query": "{ checkAuth { authStatus } }" }),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn postgresql_going_away_and_coming_back() {
    let pg = match PrivatePg::start() {
        Ok(pg) => pg,
        Err(why) => {
            eprintln!("skipped: a private PostgreSQL cannot be started here: {why}");
            return;
        }
    };
    let url = pg.url();
    let s = common::start_on(Some(&url), |c| {
        c.database.acquire_timeout_secs = 2;
        c.database.pool_size = 2;
    });
    let user = s.new_user("pgfault");
    let c = patient(s.client(&user));
    let (status, body) = s.post(&c, json!({ "query": LIST }));
    assert_eq!(status, 200, "{body}");
    assert_eq!(health(&s), 200);

    pg.stop();
    assert_unavailable(&s, &c, LIST, &user);
    assert_unavailable(&s, &c, SET_LAST, &user);
    // `/health` keeps its last answer for up to a second.
    assert!(common::eventually(5, || health(&s) == 503));

    pg.pg_ctl_start().expect("PostgreSQL starts again");
    assert!(
        common::eventually(30, || s.post(&c, json!({ "query": LIST })).0 == 200),
        "the server serves again once the database is back"
    );
    let (status, body) = s.post(&c, json!({ "query": SET_LAST }));
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert!(common::eventually(5, || health(&s) == 200));
}

fn chattr(flag: &str, files: &[PathBuf]) -> Result<(), String> {
    let out = Command::new("chattr")
        .arg(flag)
        .args(files)
        .output()
        .map_err(|e| format!("chattr: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "chattr {flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The SQLite file of a `sqlite://path?mode=rwc` URL.
fn sqlite_path(url: &str) -> PathBuf {
    let path = url.trim_start_matches("sqlite://");
    Path::new(path.split('?').next().unwrap_or(path)).to_path_buf()
}

#[test]
fn sqlite_turning_read_only_and_back() {
    if std::env::var("MIMQL_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        eprintln!("skipped: the SQLite case runs when the tests run on SQLite");
        return;
    }
    let s = common::start_on(None, |c| c.database.acquire_timeout_secs = 2);
    let user = s.new_user("litefault");
    let c = patient(s.client(&user));
    let (status, body) = s.post(&c, json!({ "query": SET_LAST }));
    assert_eq!(status, 200, "{body}");

    let db = sqlite_path(&s.db_url);
    // The database and its write-ahead log; not the shared-memory index, which SQLite maps
    // into memory (a write fault there would be a signal, not an error).
    let files: Vec<PathBuf> = [db.clone(), PathBuf::from(format!("{}-wal", db.display()))]
        .into_iter()
        .filter(|f| f.exists())
        .collect();
    if let Err(why) = chattr("+i", &files) {
        eprintln!("skipped: cannot make the SQLite file read-only here: {why}");
        return;
    }
    struct Mutable(Vec<PathBuf>);
    impl Drop for Mutable {
        fn drop(&mut self) {
            chattr("-i", &self.0).ok();
        }
    }
    let guard = Mutable(files.clone());

    // A change (writing the same values again may write nothing at all).
    let (status, body) = s.post(&c, json!({ "query": SET_OTHER }));
    assert_eq!(status, 503, "{body}");
    assert_eq!(code(&body), "database_unavailable", "{body}");
    // Reading still works, and so does the server.
    let (status, body) = s.post(&c, json!({ "query": LIST }));
    assert_eq!(status, 200, "{body}");
    let (status, _) = s.post(
        &patient(s.anonymous()),
        json!({ "query": "{ checkAuth { authStatus } }" }),
    );
    assert_eq!(status, 200);

    chattr("-i", &files).expect("chattr -i");
    drop(guard);
    assert!(
        common::eventually(30, || {
            let (status, body) = s.post(&c, json!({ "query": SET_OTHER }));
            status == 200 && body.get("errors").is_none()
        }),
        "writes work again once the file is writable"
    );
}
