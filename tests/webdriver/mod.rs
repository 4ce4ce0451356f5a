//! A headless Chromium driven over the W3C WebDriver protocol by Debian's `chromedriver`: the
//! few commands the browser tests use, as JSON over HTTP with the client tests already have.
//!
//! `.ci/run` installs `chromium` and `chromium-driver`. Elsewhere `CHROMIUM` and `CHROMEDRIVER`
//! name the binaries; `MIMQL_SKIP_BROWSER_TEST=1` skips browser tests on a machine without them.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

/// W3C's key for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn binary(var: &str, default: &str) -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var(var).unwrap_or_else(|_| default.to_string()));
    path.exists().then_some(path)
}

/// A browser session; the driver and the browser end when it is dropped.
pub struct Browser {
    driver: Child,
    base: String,
    agent: ureq::Agent,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or answers `None` when browser tests are
    /// skipped (`MIMQL_SKIP_BROWSER_TEST=1`) on a machine without them.
    pub fn start() -> Option<Browser> {
        let (Some(chromium), Some(chromedriver)) = (
            binary("CHROMIUM", "/usr/bin/chromium"),
            binary("CHROMEDRIVER", "/usr/bin/chromedriver"),
        ) else {
            if std::env::var("MIMQL_SKIP_BROWSER_TEST").is_ok_and(|v| v == "1") {
                eprintln!("browser test skipped: no chromium/chromedriver");
                return None;
            }
            panic!(
                "browser tests need Chromium and ChromeDriver: `apt-get install chromium \
                 chromium-driver` (or set CHROMIUM and CHROMEDRIVER, or \
                 MIMQL_SKIP_BROWSER_TEST=1 to skip them)"
            );
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            agent,
            _profile: profile,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !browser.ready() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        // Flags for a closed network: no background connections, no component updates.
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let session = browser.command(
            "POST",
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium, "args": args},
            }}}),
        );
        let id = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_string();
        browser.base = format!("{}/session/{id}", browser.base);
        Some(browser)
    }

    fn ready(&self) -> bool {
        self.agent
            .get(format!("{}/status", self.base))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_json::<Json>().ok())
            .is_some_and(|v| v["value"]["ready"] == true)
    }

    /// Sends a command; answers its `value`, panicking on a WebDriver error.
    fn command(&self, method: &str, path: &str, body: Json) -> Json {
        let url = format!("{}{path}", self.base);
        let resp = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self.agent.post(&url).send_json(&body),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let value: Json = resp.body_mut().read_json().unwrap();
        let value = value["value"].clone();
        assert!(status < 400, "{method} {path}: {status} {value}");
        value
    }

    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", json!({ "url": url }));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub fn eval(&self, script: &str, args: Json) -> Json {
        self.command(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    /// The first element matching `css`, waiting up to `timeout` for it to appear.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Element<'_> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.eval(
                "return document.querySelector(arguments[0]) !== null",
                json!([css]),
            );
            if found == true {
                let value = self.command(
                    "POST",
                    "/element",
                    json!({"using": "css selector", "value": css}),
                );
                let id = value[ELEMENT].as_str().unwrap().to_string();
                return Element { browser: self, id };
            }
            assert!(
                Instant::now() < deadline,
                "{css} did not appear; the page shows: {}",
                self.eval("return document.body.innerText", json!([]))
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls `script` until it returns something other than `null`.
    pub fn wait_until(&self, what: &str, script: &str, timeout: Duration) -> Json {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.eval(script, json!([]));
            if !value.is_null() {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of the window, for looking at a failure.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let png = self.command("GET", "/screenshot", Json::Null);
        base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.base.contains("/session/") {
            let _ = self.agent.delete(&self.base).call();
        }
        self.driver.kill().ok();
        self.driver.wait().ok();
    }
}

pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Element<'_> {
    pub fn type_text(&self, text: &str) {
        self.browser.command(
            "POST",
            &format!("/element/{}/value", self.id),
            json!({ "text": text }),
        );
    }

    pub fn click(&self) {
        self.browser
            .command("POST", &format!("/element/{}/click", self.id), json!({}));
    }
}
