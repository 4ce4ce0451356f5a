//! A mimql process under test: its own config file and database, killed when dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mimql_client::Client;

pub struct Server {
    child: Child,
    pub user_url: String,
    pub admin_url: String,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Resident memory of process `pid`, in KiB (0 if it cannot be read).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl Server {
    /// Starts `mimql serve` on `db_url`; waits until it answers.
    pub fn start(mimql: &Path, dir: &Path, name: &str, db_url: &str) -> Server {
        Server::start_with(mimql, dir, name, db_url, "")
    }

    /// [`Server::start`] with more configuration (TOML appended to the file).
    pub fn start_with(mimql: &Path, dir: &Path, name: &str, db_url: &str, extra: &str) -> Server {
        Server::start_full(mimql, dir, name, db_url, extra, None)
    }

    /// [`Server::start_with`], with XMPP clients on `c2s_port` if given.
    pub fn start_full(
        mimql: &Path,
        dir: &Path,
        name: &str,
        db_url: &str,
        extra: &str,
        c2s_port: Option<u16>,
    ) -> Server {
        Server::start_env(mimql, dir, name, db_url, extra, c2s_port, &[])
    }

    /// [`Server::start_full`] with more environment for the server process (`LD_PRELOAD`).
    pub fn start_env(
        mimql: &Path,
        dir: &Path,
        name: &str,
        db_url: &str,
        extra: &str,
        c2s_port: Option<u16>,
        env: &[(String, String)],
    ) -> Server {
        let (user_port, admin_port, metrics_port) = (free_port(), free_port(), free_port());
        let c2s = match c2s_port {
            // Every benchmark client comes from 127.0.0.1: no bound per address.
            Some(port) => format!(
                "address = \"127.0.0.1:{port}\"\ncertificate_dir = \"{}\"\nmax_connections_per_ip = 0",
                dir.display()
            ),
            None => "enabled = false".into(),
        };
        let config: PathBuf = dir.join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!(
                "[general]\nhosts = [\"localhost\"]\nlog_level = \"error\"\n\
                 [database]\nurl = \"{db_url}\"\n\
                 [listen.user]\naddress = \"127.0.0.1:{user_port}\"\n\
                 [listen.admin]\naddress = \"127.0.0.1:{admin_port}\"\npassword = \"secret\"\n\
                 [listen.metrics]\naddress = \"127.0.0.1:{metrics_port}\"\n\
                 [listen.c2s]\n{c2s}\n{extra}"
            ),
        )
        .expect("config written");
        let child = Command::new(mimql)
            .args(["serve", "--config"])
            .arg(&config)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mimql starts");
        let user_url = format!("http://127.0.0.1:{user_port}");
        let probe = Client::new(&user_url).with_timeout(Duration::from_secs(2));
        let deadline = Instant::now() + Duration::from_secs(120);
        while probe.run(mimql_client::user::check_auth()).is_err() {
            assert!(Instant::now() < deadline, "mimql did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        Server {
            child,
            user_url,
            admin_url: format!("http://127.0.0.1:{admin_port}"),
        }
    }

    /// The server process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }

    pub fn client(&self, jid: &str, password: &str) -> Client {
        Client::new(&self.user_url).with_basic_auth(jid, password)
    }
}

impl Drop for Server {
    /// SIGTERM first (mimql shuts down; a profiler wrapping it writes its report), SIGKILL
    /// after 30 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
