//! `pg`: a throwaway PostgreSQL cluster for the tests of the ledger's PostgreSQL backend.
//!
//! `initdb` into a fresh temporary folder, `pg_ctl start` listening on loopback on a free port
//! (and a socket in that folder), `fsync=on`, `synchronous_commit=on`; the wrapped command gets
//! `KUKURUKU_TEST_POSTGRES_URL`; then `pg_ctl stop` and the folder is deleted, whether the
//! command passed or not. PostgreSQL refuses to run as root: as root (CI), the cluster belongs
//! to a system user [`USER`] (created when missing) and its tools run through `runuser`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::process::run;

/// The environment variable the tests read the server's URL from.
pub(crate) const URL_VAR: &str = "KUKURUKU_TEST_POSTGRES_URL";
/// The unprivileged user the cluster runs as when this task runs as root.
const USER: &str = "kukuruku-pg";

/// The folder holding `initdb` and `pg_ctl`: on the `PATH`, else Debian's
/// `/usr/lib/postgresql/<version>/bin` (the newest version there).
pub(crate) fn bin_dir() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("pg_ctl").is_file() && dir.join("initdb").is_file() {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// A running throwaway cluster; stopped and deleted when dropped.
pub(crate) struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    as_user: bool,
    url: String,
}

impl Cluster {
    /// Creates and starts a cluster with the tools in `bin`.
    pub(crate) fn start(bin: &Path) -> Result<Self, String> {
        let as_user = is_root();
        if as_user {
            ensure_user()?;
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("kukuruku-pg-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut cluster = Self {
            bin: bin.to_owned(),
            dir,
            as_user,
            url: String::new(),
        };
        if as_user {
            run(Command::new("chown").arg(USER).arg(&cluster.dir))?;
        }
        let port = free_port()?;
        cluster.url = format!("postgresql://postgres@127.0.0.1:{port}/postgres");
        cluster.initdb()?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={} \
             -c fsync=on -c synchronous_commit=on -c max_connections=300",
            cluster.dir.display()
        );
        let data = cluster.data();
        let log = cluster.dir.join("server.log");
        run(cluster
            .tool("pg_ctl")
            .args([
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
            ])
            .args(["-w", "-s", "-o", &options, "start"]))
        .map_err(|e| format!("{e}; the server's log: {}", log.display()))?;
        Ok(cluster)
    }

    /// The URL the tests connect to (user `postgres`, trusted on loopback).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn initdb(&self) -> Result<(), String> {
        let data = self.data();
        let output = self
            .tool("initdb")
            .args(["-D".as_ref(), data.as_os_str()])
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "initdb failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }

    /// `bin/name`, run as [`USER`] when this task runs as root.
    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_user {
            let mut command = Command::new("runuser");
            command.args(["-u", USER, "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        if data.join("postmaster.pid").exists() {
            let _ = self
                .tool("pg_ctl")
                .args(["-D".as_ref(), data.as_os_str()])
                .args(["-s", "-m", "fast", "-w", "stop"])
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `true` when this process runs as root (`id -u` says 0).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// Creates the system user [`USER`] when it does not exist.
fn ensure_user() -> Result<(), String> {
    let exists = Command::new("id")
        .arg("-u")
        .arg(USER)
        .output()
        .is_ok_and(|output| output.status.success());
    if exists {
        return Ok(());
    }
    run(Command::new("useradd").args([
        "--system",
        "--no-create-home",
        "--shell",
        "/usr/sbin/nologin",
        USER,
    ]))
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| format!("cannot find a free loopback port: {e}"))
}

/// `cargo xtask pg -- COMMAND…`: runs COMMAND with a throwaway cluster's URL in
/// [`URL_VAR`], then stops the cluster.
pub(crate) fn wrap(command: &[String]) -> Result<(), String> {
    let Some((program, args)) = command.split_first() else {
        return Err("give the command to run: cargo xtask pg -- COMMAND…".to_owned());
    };
    let bin = bin_dir().ok_or(
        "no PostgreSQL server binaries (pg_ctl, initdb) on the PATH or under /usr/lib/postgresql: \
         install Debian's `postgresql` package (`.ci/run` does)",
    )?;
    let cluster = Cluster::start(&bin)?;
    println!(
        "xtask pg: PostgreSQL from {} at {}",
        bin.display(),
        cluster.url()
    );
    run(Command::new(program).args(args).env(URL_VAR, cluster.url()))
}
