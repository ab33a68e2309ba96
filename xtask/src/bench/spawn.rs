//! The processes a run starts: servers that print one ready line and serve until killed, and
//! drivers that print one JSON line and exit.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::procfs::Proc;

/// A server this run started; killed (by its own pid) when dropped.
pub(crate) struct Server {
    child: Child,
    /// Its ready line.
    pub(crate) ready: String,
}

impl Server {
    /// Starts `command` and waits up to 60 s for its first line on stdout.
    pub(crate) fn start(mut command: Command) -> Result<Server, String> {
        let shown = format!("{command:?}");
        let mut child = command
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {shown}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = send.send(line);
        });
        let mut server = Server {
            child,
            ready: String::new(),
        };
        match receive.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if !line.trim().is_empty() => {
                line.trim().clone_into(&mut server.ready);
                Ok(server)
            }
            _ => Err(format!("{shown} printed no ready line")),
        }
    }

    /// Its `/proc` counters.
    pub(crate) fn proc(&self) -> Proc {
        Proc(self.child.id())
    }

    /// The URL of a `listening on URL` ready line.
    pub(crate) fn url(&self) -> String {
        self.ready.trim_start_matches("listening on ").to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` to its end and reads the JSON line it printed last.
pub(crate) fn json(command: &mut Command) -> Result<serde_json::Value, String> {
    let shown = format!("{command:?}");
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{shown} failed ({})", out.status));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_default();
    serde_json::from_str(line).map_err(|e| format!("{shown}: {e} in {text:?}"))
}

/// Runs `command` to its end; its stdout.
pub(crate) fn output(command: &mut Command) -> Result<String, String> {
    let shown = format!("{command:?}");
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("{shown} failed ({})", out.status))
    }
}

/// A command for the release-built bench program.
pub(crate) fn bench_program(root: &Path) -> Command {
    let mut command = Command::new(root.join("target/release/kukuruku-bench"));
    command
        .env("KUKURUKU_SECRET_KEY", super::SECRET)
        .current_dir(root);
    command
}

/// A number field of a JSON line (NaN when missing).
pub(crate) fn num(value: &serde_json::Value, key: &str) -> f64 {
    value[key].as_f64().unwrap_or(f64::NAN)
}
