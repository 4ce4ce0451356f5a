//! The test harness: the real server on free loopback ports, once per test process, on SQLite
//! (a fresh temporary file) or on the PostgreSQL database named by `MIMQL_TEST_DATABASE_URL`
//! (the caller provides a fresh one per run; tests use unique user names, so they can share it).

#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::{Arc, Once, OnceLock};

use mimql::config::{Config, LogFormat};
use mimql::state::AppState;
use mimql_client::Client;

pub struct TestServer {
    pub user_url: String,
    pub admin_url: String,
    /// `None` when the test disabled the metrics listener.
    pub metrics_url: Option<String>,
    /// XMPP clients (`None` when the test disabled c2s).
    pub c2s_addr: Option<std::net::SocketAddr>,
    /// XMPP clients with direct TLS (`None` unless the test set `direct_tls_address`).
    pub c2s_direct_tls_addr: Option<std::net::SocketAddr>,
    /// The certificate the c2s listener presents (generated at start).
    pub c2s_cert: std::path::PathBuf,
    /// The server's database, for tests that must reach under the API (fault injection).
    pub db_url: String,
    /// The server's state, for tests that must reach under the API.
    pub state: Arc<AppState>,
    _dir: Option<tempfile::TempDir>,
}

/// Extra hosts served in tests, for operations that need a domain of their own.
pub const HOSTS: [&str; 3] = ["localhost", "example.com", "listing.test"];

pub fn start(modify: impl FnOnce(&mut Config)) -> TestServer {
    start_on(None, modify)
}

/// The subscriber `mimql serve` installs, once per test process: silent unless `RUST_LOG` is
/// set, and feeding the pool wait metric as in production.
fn init_logging() {
    static LOGGING: Once = Once::new();
    LOGGING.call_once(|| {
        mimql::logging::init("off", LogFormat::Text).ok();
    });
}

/// The configuration tests run with: the test hosts, free ports for the metrics listener, and
/// `db_url`, or the shared test database, or a fresh SQLite file in the returned directory.
pub fn test_config(db_url: Option<&str>) -> (Config, Option<tempfile::TempDir>) {
    let mut config = Config::default();
    config.general.hosts = HOSTS.iter().map(|h| h.to_string()).collect();
    config.general.log_level = "warn".into();
    config.listen.user.workers = 2;
    // A known admin password (without one, `serve` would generate one).
    config.listen.admin.password = "secret".into();
    config.listen.metrics.address = "127.0.0.1:0".into();
    // XMPP clients on a free port, so that parallel test servers do not collide on 5222.
    config.listen.c2s.address = "127.0.0.1:0".into();
    // The suite runs with the document cache on (the default) and, in CI, off too: both must
    // give identical results.
    if let Some(n) = std::env::var("MIMQL_TEST_DOCUMENT_CACHE_ENTRIES")
        .ok()
        .filter(|v| !v.is_empty())
    {
        config.limits.document_cache_entries = n
            .parse()
            .expect("MIMQL_TEST_DOCUMENT_CACHE_ENTRIES is a number");
    }
    let shared = db_url.map(str::to_string).or_else(|| {
        std::env::var("MIMQL_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
    });
    // Uploads (and the SQLite file) go to a directory of this server's own.
    let dir = tempfile::tempdir().expect("temporary directory");
    config.http_upload.local.directory = dir.path().join("uploads");
    // The generated c2s certificate too (not the working directory, on PostgreSQL).
    config.listen.c2s.certificate_dir = dir.path().display().to_string();
    match shared {
        Some(url) => {
            config.database.url = url;
            config.database.pool_size = 4;
        }
        None => {
            config.database.url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("mimql.db").display()
            );
        }
    };
    (config, Some(dir))
}

/// Starts a server on `db_url`, or on its own database when `None`.
pub fn start_on(db_url: Option<&str>, modify: impl FnOnce(&mut Config)) -> TestServer {
    start_inner(db_url, modify, None)
}

/// Stops a server started by [`start_stoppable`].
pub struct Stopper {
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Stopper {
    /// Shuts the server down (as on SIGTERM) and waits until it has stopped.
    pub fn stop(self) {
        self.stop.send(()).ok();
        self.thread.join().expect("server thread");
    }
}

/// A server on its own database (or the shared test database) that the test stops, e.g. to
/// start another on the same database: a restart. The returned server keeps its SQLite file.
pub fn start_stoppable(modify: impl FnOnce(&mut Config)) -> (TestServer, Stopper) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut thread = None;
    let server = start_inner(None, modify, Some((rx, &mut thread)));
    let stopper = Stopper {
        stop: tx,
        thread: thread.expect("server thread"),
    };
    (server, stopper)
}

type StopSignal<'a> = (
    tokio::sync::oneshot::Receiver<()>,
    &'a mut Option<std::thread::JoinHandle<()>>,
);

fn start_inner(
    db_url: Option<&str>,
    modify: impl FnOnce(&mut Config),
    stop: Option<StopSignal<'_>>,
) -> TestServer {
    init_logging();
    let (mut config, dir) = test_config(db_url);
    modify(&mut config);
    let db_url = config.database.url.clone();
    let c2s_cert = match config.listen.c2s.tls_cert.as_str() {
        "" => mimql::c2s::tls::generated_paths(&config).0,
        cert => cert.into(),
    };
    let user = TcpListener::bind("127.0.0.1:0").expect("free port");
    let admin = TcpListener::bind("127.0.0.1:0").expect("free port");
    let (tx, rx) = std::sync::mpsc::channel();
    let (stop_rx, handle_slot) = match stop {
        Some((rx, slot)) => (Some(rx), Some(slot)),
        None => (None, None),
    };
    let handle = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match mimql::server::start(config, Some(user), Some(admin)).await {
                Ok(running) => {
                    let started = (
                        running.user_addr,
                        running.admin_addr,
                        running.metrics_addr,
                        running.c2s_addr,
                        running.c2s_direct_tls_addr,
                        running.state.clone(),
                    );
                    tx.send(Ok(started)).ok();
                    match stop_rx {
                        Some(rx) => {
                            rx.await.ok();
                            running.shutdown().await.ok();
                        }
                        None => {
                            running.wait().await.ok();
                        }
                    }
                }
                Err(e) => {
                    tx.send(Err(e)).ok();
                }
            }
        });
    });
    let (user_addr, admin_addr, metrics_addr, c2s_addr, c2s_direct_tls_addr, state) = rx
        .recv()
        .expect("server thread")
        .unwrap_or_else(|e| panic!("server did not start: {e}"));
    if let Some(slot) = handle_slot {
        *slot = Some(handle);
    }
    TestServer {
        user_url: format!("http://{user_addr}"),
        admin_url: format!("http://{admin_addr}"),
        metrics_url: metrics_addr.map(|a| format!("http://{a}")),
        c2s_addr,
        c2s_direct_tls_addr,
        c2s_cert,
        db_url,
        state,
        _dir: dir,
    }
}

/// The shared server with every module enabled.
pub fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| start(|_| {}))
}

/// A server of its own with a modified configuration (on the shared test database).
pub fn server_with(modify: impl FnOnce(&mut Config)) -> TestServer {
    start(modify)
}

/// A server with every optional module disabled, for `deps_not_loaded`.
pub fn server_without_modules() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        start(|c| {
            for m in mimql::config::MODULES {
                c.modules.insert(
                    m.to_string(),
                    mimql::config::ModuleConfig { enabled: false },
                );
            }
        })
    })
}

/// Two servers on one database (two nodes), the first caching credentials for no time at all,
/// for checks that a change made on one node is seen on the other.
pub fn two_nodes() -> &'static (TestServer, TestServer) {
    static NODES: OnceLock<(TestServer, TestServer)> = OnceLock::new();
    NODES.get_or_init(|| {
        let first = start(|c| c.auth.cache_ttl_secs = 0);
        let second = start_on(Some(&first.db_url), |_| {});
        (first, second)
    })
}

/// Writes a file only its owner may read (as the server writes its generated password).
pub fn write_private(path: &std::path::Path, text: &str) {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("file written");
}

/// A fresh name nobody else uses in this database.
pub fn unique(prefix: &str) -> String {
    let n: u64 = rand::random();
    format!("{prefix}_{n:016x}")
}

/// A registered account.
#[derive(Clone, Debug)]
pub struct User {
    pub jid: String,
    pub password: String,
}

impl User {
    /// The `Authorization` header value of the user's Basic credentials.
    pub fn basic_header(&self) -> String {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.jid, self.password));
        format!("Basic {token}")
    }
}

impl TestServer {
    pub fn anonymous(&self) -> Client {
        Client::new(&self.user_url)
    }

    pub fn admin(&self) -> Client {
        Client::new(&self.admin_url).with_basic_auth("admin", "secret")
    }

    pub fn client(&self, user: &User) -> Client {
        Client::new(&self.user_url).with_basic_auth(&user.jid, &user.password)
    }

    /// Registers the local part of `jid` again (after its account was removed), through the
    /// admin API.
    pub fn register_again(&self, jid: &str, password: &str) {
        let name = jid.split('@').next().unwrap();
        let again = self
            .admin()
            .run(mimql_client::admin::register_user(
                "localhost",
                Some(name),
                password,
            ))
            .unwrap();
        assert!(again.errors.is_empty(), "{:?}", again.errors);
    }

    /// A config file for `mimql admin --config` that reaches this server's admin API: its
    /// address and username, no password in the file but the generated one's file (as `mimql
    /// serve` leaves it, 0600), the server's database; in a directory of its own.
    pub fn admin_cli_config(&self) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let password_file = dir.path().join("admin-password");
        write_private(&password_file, "secret\n");
        let address = self.admin_url.trim_start_matches("http://");
        let config = dir.path().join("mimql.toml");
        std::fs::write(
            &config,
            format!(
                "[general]\nhosts = {hosts:?}\n\n[database]\nurl = {db:?}\n\n[listen.admin]\n\
                 address = {address:?}\nusername = \"admin\"\npassword_file = {file:?}\n",
                hosts = HOSTS,
                db = self.db_url,
                file = password_file.display().to_string(),
            ),
        )
        .expect("config written");
        (dir, config)
    }

    /// Registers a new user on `domain` through the admin API.
    pub fn new_user_on(&self, prefix: &str, domain: &str) -> User {
        let name = unique(prefix);
        let password = unique("pw");
        let resp = self
            .admin()
            .run(mimql_client::admin::register_user(
                domain,
                Some(&name),
                &password,
            ))
            .expect("admin API reachable");
        assert!(
            resp.errors.is_empty(),
            "registerUser failed: {:?}",
            resp.errors
        );
        User {
            jid: format!("{name}@{domain}"),
            password,
        }
    }

    pub fn new_user(&self, prefix: &str) -> User {
        self.new_user_on(prefix, "localhost")
    }

    /// POSTs a raw JSON body as `client`; answers (status, body).
    pub fn post(&self, client: &Client, body: serde_json::Value) -> (u16, serde_json::Value) {
        client
            .post_raw("application/json", body.to_string().as_bytes())
            .expect("server reachable")
    }
}

/// The `extensions.code` of the first error of a raw body.
pub fn code(body: &serde_json::Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

pub fn message(body: &serde_json::Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

/// `checkAuth` through the typed client, for a request that must succeed.
pub fn check_auth(c: &Client) -> mimql_client::user::UserAuthInfo {
    c.run(mimql_client::user::check_auth())
        .expect("server reachable")
        .into_data()
        .expect("checkAuth answers")
        .check_auth
        .expect("checkAuth is never null")
}

/// The caller's whole roster, for a request that must succeed.
pub fn contacts(c: &Client) -> Vec<mimql_client::user::roster::Contact> {
    c.run(mimql_client::user::roster::list_contacts())
        .expect("server reachable")
        .into_data()
        .expect("listContacts answers")
        .roster
        .and_then(|r| r.list_contacts)
        .expect("listContacts is not null")
}

/// The caller's item for `jid`, or `None` when there is none.
pub fn contact(c: &Client, jid: &str) -> Option<mimql_client::user::roster::Contact> {
    c.run(mimql_client::user::roster::get_contact(jid))
        .expect("server reachable")
        .data
        .and_then(|d| d.roster)
        .and_then(|r| r.get_contact)
}

impl TestServer {
    /// (subscription, ask) of `owner`'s item for `jid`, `None` when there is no item.
    pub fn subscription_state(
        &self,
        owner: &User,
        jid: &str,
    ) -> Option<(
        mimql_client::user::roster::ContactSub,
        mimql_client::user::roster::ContactAsk,
    )> {
        contact(&self.client(owner), jid).map(|c| (c.subscription.unwrap(), c.ask.unwrap()))
    }
}

/// Sends a chat message through the typed client; answers its id.
pub fn send(c: &Client, to: &str, body: &str) -> String {
    let resp = c
        .run(mimql_client::user::stanza::send_message(None, to, body))
        .expect("server reachable");
    resp.into_data()
        .expect("sendMessage succeeds")
        .stanza
        .and_then(|s| s.send_message)
        .and_then(|p| p.id)
        .expect("an id")
        .into_inner()
}

/// The caller's newest archive page (`getLastMessages`), for a request that must succeed.
pub fn archive(
    c: &Client,
    with: Option<&str>,
    limit: Option<i64>,
    before: Option<&str>,
) -> (Vec<mimql_client::user::stanza::StanzaMap>, i32) {
    let payload = c
        .run(mimql_client::user::stanza::get_last_messages(
            with, limit, before,
        ))
        .expect("server reachable")
        .into_data()
        .expect("getLastMessages succeeds")
        .stanza
        .and_then(|s| s.get_last_messages)
        .expect("a payload");
    (
        payload
            .stanzas
            .unwrap_or_default()
            .into_iter()
            .map(|m| m.expect("no null items"))
            .collect(),
        payload.limit.expect("a limit"),
    )
}

/// The caller's sessions as `session { listResources countResources listSessions }` shows them.
pub fn sessions(c: &Client) -> mimql_client::user::session::SessionInfo {
    c.run(mimql_client::user::session::sessions())
        .expect("server reachable")
        .into_data()
        .expect("session queries succeed")
        .session
        .expect("session is not null")
}

/// Polls `cond` until it holds or `secs` pass.
pub fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    cond()
}

/// A loopback address with a port nobody listens on (at the time of asking).
pub fn free_addr() -> std::net::SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

pub fn free_port() -> u16 {
    free_addr().port()
}

/// The data of a response that must have no errors.
pub fn ok<T>(resp: mimql_client::Response<T>) -> T {
    resp.into_data().unwrap_or_else(|e| panic!("{e:?}"))
}

/// The only error of `resp`: its code and message as given; answers its `extensions`.
pub fn refused<T: std::fmt::Debug>(
    resp: mimql_client::Response<T>,
    code: &str,
    message: &str,
) -> serde_json::Value {
    assert_eq!(resp.status, 200);
    assert_eq!(resp.errors.len(), 1, "{:?} / {:?}", resp.errors, resp.data);
    let e = &resp.errors[0];
    assert_eq!(e.code.as_deref(), Some(code), "{e:?}");
    assert_eq!(e.message, message);
    e.extensions.clone()
}
