//! This process (and others) as Linux's `/proc` tells: memory in use and at peak.

/// A memory figure (`VmHWM:`, `VmRSS:` …) of `/proc/<pid>/status`, in MiB (Linux).
pub fn status_mib(pid: &str, key: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(key))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The resident memory of this process, in bytes (0 where `/proc` is missing).
pub fn resident_bytes() -> u64 {
    status_mib("self", "VmRSS:").map_or(0, |mib| (mib * 1024.0 * 1024.0) as u64)
}
