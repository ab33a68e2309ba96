//! Headless Debian Chromium through chromedriver, spoken to with the W3C WebDriver protocol
//! (JSON over HTTP on loopback, a dozen commands) over the `hyper-util` client the tests already
//! use: no WebDriver crate (fantoccini 0.22 pulls `webdriver` 0.53, and with it http 0.2,
//! cookie 0.16 and ICU 1 beside the tree's http 1, cookie 0.18 and ICU 2).
//!
//! [`Browser::launch`] finds `chromium` and `chromedriver` on `PATH`, starts chromedriver on a
//! free port and a session with the flags that work on these machines and a fresh
//! `--user-data-dir`; dropping the [`Browser`] kills chromedriver and every Chromium process
//! started with that folder, by pid, whether the test passed or not.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// The W3C name of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long one WebDriver command may take (a new session starts Chromium).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`Browser::wait_for`] polls by default.
pub(super) const WAIT: Duration = Duration::from_secs(10);

/// Where the programs are, if both are on `PATH`.
pub(super) fn find_programs() -> Result<(PathBuf, PathBuf), String> {
    let find = |names: &[&str]| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
            .find(|candidate| candidate.is_file())
    };
    let chromium = find(&["chromium", "chromium-browser"]);
    let driver = find(&["chromedriver"]);
    match (chromium, driver) {
        (Some(chromium), Some(driver)) => Ok((chromium, driver)),
        (chromium, driver) => Err(format!(
            "not on PATH:{}{} (Debian: apt-get install chromium chromium-driver)",
            if chromium.is_none() { " chromium" } else { "" },
            if driver.is_none() {
                " chromedriver"
            } else {
                ""
            },
        )),
    }
}

/// A running chromedriver and its Chromium session; both are killed on drop.
pub(super) struct Browser {
    http: Client<HttpConnector, Full<Bytes>>,
    session: String,
    driver: Child,
    profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        kill_chromium_using(self.profile.path());
    }
}

/// Kills the processes whose command line names `profile` (the Chromium we started: its
/// browser, renderers and helpers), by pid.
fn kill_chromium_using(profile: &Path) {
    let needle = profile.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(&needle) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session.
    pub(super) async fn launch(chromium: &Path, driver: &Path) -> Result<Self, String> {
        let port = free_port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|err| format!("chromedriver did not start: {err}"))?;
        let profile = tempfile::tempdir().map_err(|err| err.to_string())?;
        let mut browser = Self {
            http: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
            session: format!("http://127.0.0.1:{port}"),
            driver: child,
            profile,
        };
        let status = format!("{}/status", browser.session);
        let ready = browser
            .poll(WAIT, || async {
                let answer = browser.raw(Method::GET, &status, None).await.ok()?;
                answer["value"]["ready"].as_bool().filter(|ready| *ready)
            })
            .await;
        ready.ok_or("chromedriver did not become ready")?;
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            &format!("--user-data-dir={}", browser.profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let url = format!("{}/session", browser.session);
        let created = browser.raw(Method::POST, &url, Some(capabilities)).await?;
        let id = created["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session: {created}"))?;
        browser.session = format!("{url}/{id}");
        Ok(browser)
    }

    async fn raw(&self, method: Method, url: &str, body: Option<Value>) -> Result<Value, String> {
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let request = Request::builder()
            .method(method)
            .uri(url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|err| err.to_string())?;
        let response = tokio::time::timeout(COMMAND_TIMEOUT, self.http.request(request))
            .await
            .map_err(|_| format!("{url}: no answer within {COMMAND_TIMEOUT:?}"))?
            .map_err(|err| format!("{url}: {err}"))?;
        let ok = response.status().is_success();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_slice(&body.to_bytes()).map_err(|e| e.to_string())?;
        if ok {
            Ok(value)
        } else {
            Err(format!("{url}: {value}"))
        }
    }

    /// One command of the session (`path` after `/session/{id}`); its `value`.
    async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.session);
        match self.raw(method, &url, body).await {
            Ok(mut value) => value["value"].take(),
            Err(err) => panic!("WebDriver {path}: {err}"),
        }
    }

    /// Polls `check` until it gives a value or `within` has passed.
    pub(super) async fn poll<T, F, Fut>(&self, within: Duration, mut check: F) -> Option<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + within;
        loop {
            if let Some(value) = check().await {
                return Some(value);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(super) async fn goto(&self, url: &str) {
        self.command(Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub(super) async fn url(&self) -> String {
        self.command(Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page; its result.
    pub(super) async fn run(&self, script: &str, args: Value) -> Value {
        let body = json!({ "script": script, "args": args });
        self.command(Method::POST, "/execute/sync", Some(body))
            .await
    }

    /// The element matching `css`, if any.
    async fn find(&self, css: &str) -> Option<String> {
        let url = format!("{}/element", self.session);
        let body = json!({ "using": "css selector", "value": css });
        let found = self.raw(Method::POST, &url, Some(body)).await.ok()?;
        found["value"][ELEMENT].as_str().map(str::to_owned)
    }

    /// Clicks the element matching `css` (waiting for it to exist).
    pub(super) async fn click(&self, css: &str) {
        let element = self.poll(WAIT, || self.find(css)).await;
        let element = element.unwrap_or_else(|| panic!("no element {css}"));
        self.command(
            Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// The page's visible text.
    pub(super) async fn text(&self) -> String {
        let text = self
            .run(
                "return document.body ? document.body.innerText : '';",
                json!([]),
            )
            .await;
        text.as_str().unwrap_or("").to_owned()
    }

    /// Waits until the page's text contains `needle`; the text.
    pub(super) async fn wait_for_text(&self, needle: &str) -> String {
        let found = self
            .poll(WAIT, || async {
                let text = self.text().await;
                text.contains(needle).then_some(text)
            })
            .await;
        match found {
            Some(text) => text,
            None => panic!("{needle:?} never appeared in: {}", self.text().await),
        }
    }

    /// Makes the page `width` CSS pixels wide (a phone at 360, a desktop at 1400).
    pub(super) async fn set_width(&self, width: u32) {
        let params =
            json!({ "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600 });
        let body = json!({ "cmd": "Emulation.setDeviceMetricsOverride", "params": params });
        self.command(Method::POST, "/goog/cdp/execute", Some(body))
            .await;
    }

    /// Saves a PNG of the viewport at `path`.
    pub(super) async fn screenshot(&self, path: &Path) {
        let data = self.command(Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or(""))
            .unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Ends the session (Chromium quits); the drop kills what is left.
    pub(super) async fn quit(self) {
        let _ = self.raw(Method::DELETE, &self.session, None).await;
    }
}
