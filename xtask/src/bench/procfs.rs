//! What Linux says about a process: CPU time from `/proc/<pid>/stat` (utime + stime, in clock
//! ticks), resident memory from `/proc/<pid>/status` (VmRSS, VmHWM, in KiB).

use std::process::Command;

/// The CPU time `stat` text gives: utime + stime, fields 14 and 15 (counted from 1), read after
/// the command name's closing parenthesis (the name may hold spaces and parentheses).
pub(crate) fn cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    // After the name: field 3 (state) is the first; utime is field 14, stime field 15.
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// A `Vm…:` line of `status` text, in KiB.
pub(crate) fn status_kib(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// A running process's counters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Proc(pub(crate) u32);

impl Proc {
    /// Its CPU time so far, in seconds.
    pub(crate) fn cpu_seconds(self) -> Result<f64, String> {
        let path = format!("/proc/{}/stat", self.0);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let ticks = cpu_ticks(&text).ok_or_else(|| format!("{path}: no utime/stime"))?;
        #[allow(clippy::cast_precision_loss)]
        Ok(ticks as f64 / clock_ticks())
    }

    /// VmRSS and VmHWM, in KiB.
    pub(crate) fn memory_kib(self) -> Result<(u64, u64), String> {
        let path = format!("/proc/{}/status", self.0);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let get = |key| status_kib(&text, key).ok_or_else(|| format!("{path}: no {key}"));
        Ok((get("VmRSS")?, get("VmHWM")?))
    }
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 where it cannot be asked).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

#[cfg(test)]
mod tests {
    use super::{Proc, cpu_ticks, status_kib};

    #[test]
    fn reads_cpu_time_after_a_tricky_name() {
        let stat = "4242 (kuku ru) (x)) S 1 4242 4242 0 -1 4194560 1200 0 0 0 731 69 0 0 20 0 1 0 \
                    9000 12345678 1024 18446744073709551615";
        assert_eq!(cpu_ticks(stat), Some(800));
        assert_eq!(cpu_ticks("1 (short) S 1 2"), None);
        assert_eq!(cpu_ticks("no parenthesis"), None);
    }

    #[test]
    fn reads_memory_lines() {
        let status =
            "Name:\tkukuruku\nVmPeak:\t  99999 kB\nVmHWM:\t   43820 kB\nVmRSS:\t   41000 kB\n";
        assert_eq!(status_kib(status, "VmRSS"), Some(41_000));
        assert_eq!(status_kib(status, "VmHWM"), Some(43_820));
        assert_eq!(status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn reads_this_process() {
        let me = Proc(std::process::id());
        let (rss, hwm) = me.memory_kib().unwrap();
        assert!(rss > 0 && hwm >= rss);
        assert!(me.cpu_seconds().unwrap() >= 0.0);
    }
}
