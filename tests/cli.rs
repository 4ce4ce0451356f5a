//! The command line, run as an operator runs it: the built binary, output into pipes. Commands
//! print what they did on stdout and nothing else at the default log level; `config check`
//! prints the effective configuration with passwords masked.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use mimql::config::Config;

/// A config file in a fresh directory, on the test database (or a fresh SQLite file there).
struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
    /// Whether the database is this test's own (a fresh SQLite file).
    fresh: bool,
}

/// `general` goes into `[general]`.
fn setup(general: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (url, fresh) = match std::env::var("MIMQL_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => (url, false),
        _ => (
            format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display()),
            true,
        ),
    };
    let config = dir.path().join("mimql.toml");
    std::fs::write(
        &config,
        format!(
            "[general]\nhosts = [\"localhost\"]\n{general}\n[database]\nurl = \"{url}\"\n\
             pool_size = 2\n"
        ),
    )
    .unwrap();
    Setup { dir, config, fresh }
}

fn mimql(args: &[&str], config: &Path, stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimql"));
    cmd.args(args)
        .arg("--config")
        .arg(config)
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the mimql binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Every migration, in the order they apply.
fn migration_names() -> Vec<String> {
    use mimql_migration::MigratorTrait;
    mimql_migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn commands_print_what_they_did_and_nothing_else() {
    let s = setup("");
    let out = mimql(&["migrate"], &s.config, "", &[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stderr), "", "no log lines at the default level");
    let printed = text(&out.stdout);
    if s.fresh {
        let names = migration_names();
        let expected: String = format!("Applied {} migrations:\n", names.len())
            + &names.iter().map(|n| format!("  {n}\n")).collect::<String>();
        assert_eq!(printed, expected);
    } else {
        // A shared database may have been migrated by another test already.
        assert!(
            printed == "Database schema is up to date\n" || printed.starts_with("Applied "),
            "{printed}"
        );
    }
    let again = mimql(&["migrate"], &s.config, "", &[]);
    assert!(again.status.success());
    assert_eq!(text(&again.stdout), "Database schema is up to date\n");
    assert_eq!(text(&again.stderr), "");

    let jid = format!("{}@localhost", common::unique("cli"));
    let added = mimql(&["user", "add", &jid], &s.config, "p4ss word\n", &[]);
    assert!(added.status.success(), "{added:?}");
    assert_eq!(
        text(&added.stdout),
        format!("User {jid} successfully registered\n")
    );
    assert_eq!(text(&added.stderr), "");

    let twice = mimql(&["user", "add", &jid], &s.config, "other\n", &[]);
    assert_eq!(twice.status.code(), Some(1));
    assert_eq!(text(&twice.stdout), "");
    assert_eq!(
        text(&twice.stderr),
        format!("mimql: {jid}: user already registered\n")
    );

    let removed = mimql(&["user", "remove", &jid], &s.config, "", &[]);
    assert!(removed.status.success(), "{removed:?}");
    assert_eq!(
        text(&removed.stdout),
        format!("User {jid} successfully unregistered\n")
    );
    assert_eq!(text(&removed.stderr), "");
    drop(s.dir);
}

#[test]
fn logs_are_plain_text_in_a_pipe_or_json_lines() {
    // RUST_LOG asks for the details; stderr is a pipe, so no colour codes.
    let s = setup("");
    let out = mimql(&["migrate"], &s.config, "", &[("RUST_LOG", "debug")]);
    assert!(out.status.success(), "{out:?}");
    let log = text(&out.stderr);
    assert!(!log.is_empty());
    assert!(!log.contains('\u{1b}'), "ANSI escapes in a pipe: {log:?}");
    assert!(
        log.lines().all(|l| l.contains("DEBUG")
            || l.contains("INFO")
            || l.contains("WARN")
            || l.contains("TRACE")),
        "{log}"
    );

    let s = setup("log_format = \"json\"");
    let out = mimql(&["migrate"], &s.config, "", &[("RUST_LOG", "info")]);
    assert!(out.status.success(), "{out:?}");
    let log = text(&out.stderr);
    let mut lines = 0;
    for line in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(
            v["timestamp"].is_string() && v["level"].is_string(),
            "{line}"
        );
        assert!(
            v["message"].is_string() && v["target"].is_string(),
            "{line}"
        );
        lines += 1;
    }
    if s.fresh {
        assert!(
            log.contains("\"message\":\"Applying migration 'm20261125_000001_users'\""),
            "{log}"
        );
    }
    assert!(lines > 0 || !s.fresh, "{log}");
    assert_eq!(
        text(&out.stdout).lines().count(),
        if s.fresh {
            migration_names().len() + 1
        } else {
            1
        }
    );
}

#[test]
fn config_check_prints_the_effective_configuration_masked() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mimql.toml");
    std::fs::write(
        &config,
        "[database]\nurl = \"postgres://mimql:db-pa55@127.0.0.1:5432/mimql\"\n\n\
         [listen.admin]\npassword = \"very-secret-admin\"\n\n\
         [listen.metrics]\nenabled = false\n\n[modules.mod_last]\nenabled = false\n",
    )
    .unwrap();
    // Checking does not connect: the database need not be reachable.
    let out = mimql(&["config", "check"], &config, "", &[]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stderr), "");
    let printed = text(&out.stdout);
    assert!(
        printed.starts_with(&format!("# {} is valid\n", config.display())),
        "{printed}"
    );
    assert!(!printed.contains("very-secret-admin"), "{printed}");
    assert!(!printed.contains("db-pa55"), "{printed}");
    // What it prints is a complete config file: every default made explicit.
    let effective = Config::parse(&printed).expect("the output is a valid config");
    assert_eq!(effective.listen.admin.password, "********");
    assert_eq!(
        effective.database.url,
        "postgres://mimql:********@127.0.0.1:5432/mimql"
    );
    assert!(!effective.listen.metrics.enabled);
    assert_eq!(effective.listen.metrics.address, "127.0.0.1:9091");
    assert_eq!(effective.general.shutdown_timeout_secs, 30);
    assert_eq!(
        effective.auth.max_concurrent_hashes,
        mimql::auth::password::default_concurrency()
    );
    assert!(!effective.module_enabled("mod_last"));
    assert_eq!(effective.modules.len(), mimql::config::MODULES.len());
    for key in [
        "log_format = \"text\"",
        "[listen.user]",
        "[limits]",
        "[auth]",
        "[modules.mod_vcard]",
    ] {
        assert!(printed.contains(key), "{key} missing from:\n{printed}");
    }
}

#[test]
fn config_check_names_what_is_wrong() {
    for (bad, expected) in [
        ("[general]\nlog_format = \"xml\"\n", "log_format"),
        ("[listen.metrics]\nadress = \"127.0.0.1:1\"\n", "adress"),
        (
            "[listen.metrics]\naddress = \"localhost\"\n",
            "[listen.metrics] address",
        ),
        (
            "[general]\nshutdown_timeout_secs = -1\n",
            "shutdown_timeout_secs",
        ),
        // The admin API off loopback with the former default password.
        (
            "[listen.admin]\naddress = \"0.0.0.0:5551\"\npassword = \"secret\"\n",
            "not a loopback address",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, bad).unwrap();
        let out = mimql(&["config", "check"], &config, "", &[]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert_eq!(text(&out.stdout), "");
        let err = text(&out.stderr);
        assert!(err.starts_with("mimql: "), "{err}");
        assert!(err.contains(expected), "{bad}: {err}");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `serve` itself refuses to start the admin API off loopback with the former default password
/// (`secret`): it exits 1 at once, naming the setting, and listens nowhere.
#[test]
fn serve_refuses_a_weak_admin_password_off_loopback() {
    let s = setup("");
    let (user, admin) = (free_port(), free_port());
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&s.config)
        .unwrap();
    write!(
        file,
        "[listen.user]\naddress = \"127.0.0.1:{user}\"\n\
         [listen.admin]\naddress = \"0.0.0.0:{admin}\"\npassword = \"secret\"\n\
         [listen.metrics]\nenabled = false\n[listen.c2s]\nenabled = false\n"
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimql"))
        .args(["serve", "--config"])
        .arg(&s.config)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mimql binary runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("serve started with the well-known admin password off loopback");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("not a loopback address"), "{err}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", user)).is_err());
    drop(s.dir);
}

/// Without an admin password in the config, the first `serve` generates one into
/// `admin-password` beside the SQLite file (in the working directory for PostgreSQL), readable
/// by its owner only, and says where; the admin API takes it and not the former default; a
/// restart reuses it. Offline commands need no password.
#[test]
fn serve_generates_the_admin_password_once_and_keeps_it() {
    use mimql_client::{Client, admin};
    use std::os::unix::fs::PermissionsExt;

    let s = setup("");
    let (user, admin_port) = (free_port(), free_port());
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&s.config)
        .unwrap();
    write!(
        file,
        "[listen.user]\naddress = \"127.0.0.1:{user}\"\n\
         [listen.admin]\naddress = \"127.0.0.1:{admin_port}\"\n\
         [listen.metrics]\nenabled = false\n[listen.c2s]\nenabled = false\n"
    )
    .unwrap();
    drop(file);
    let password_file = s.dir.path().join("admin-password");

    let jid = format!("{}@localhost", common::unique("pat"));
    let out = mimql(&["user", "add", &jid], &s.config, "pw\n", &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(!password_file.exists(), "an offline command created it");

    let admin_url = format!("http://127.0.0.1:{admin_port}");
    let serve = |log: &str| {
        let log = std::fs::File::create(s.dir.path().join(log)).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_mimql"))
            .args(["serve", "--config"])
            .arg(&s.config)
            // PostgreSQL has no file to put it beside: the working directory.
            .current_dir(s.dir.path())
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the mimql binary runs");
        let probe = Client::new(&admin_url);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while probe.run(admin::check_auth()).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("serve exited: {status}");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "serve did not come up"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        child
    };
    let stop = |mut child: std::process::Child| {
        child.kill().unwrap();
        child.wait().unwrap();
    };
    let status = |password: &str| {
        Client::new(&admin_url)
            .with_basic_auth("admin", password)
            .run(admin::check_auth())
            .unwrap()
            .status
    };

    let child = serve("first.log");
    let mode = std::fs::metadata(&password_file)
        .expect("the password file exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let password = std::fs::read_to_string(&password_file).unwrap();
    let password = password.trim_end();
    assert!(password.len() >= 20, "{password:?}");
    assert_eq!(status(password), 200);
    assert_eq!(status("secret"), 401);
    stop(child);
    let log = std::fs::read_to_string(s.dir.path().join("first.log")).unwrap();
    assert!(
        log.contains(&password_file.display().to_string()),
        "the log does not say where the password is: {log}"
    );
    assert!(!log.contains(password), "the log shows the password: {log}");

    let child = serve("second.log");
    assert_eq!(
        std::fs::read_to_string(&password_file).unwrap().trim_end(),
        password
    );
    assert_eq!(status(password), 200);
    stop(child);
    let log = std::fs::read_to_string(s.dir.path().join("second.log")).unwrap();
    assert!(log.contains("read from its file"), "{log}");
    drop(s.dir);
}
