//! `down`, `reset`, `logs` and `time advance`.

use std::{
    io::{Read, Seek, SeekFrom, Write},
    path::Path,
    time::{Duration, Instant},
};

use eyre::{eyre, WrapErr};

use crate::{
    manifest::{Manifest, MANIFEST_FILE},
    process,
    status::RunState,
    up::is_localnet_home,
};

/// Stops the localnet of `home`: asks `up` to stop (it stops its children in order), then
/// stops any component left behind by its pid file. Returns the names it stopped.
pub fn down(home: &Path) -> eyre::Result<Vec<String>> {
    let run = home.join("run");
    let mut stopped = Vec::new();
    let marker = home
        .canonicalize()
        .unwrap_or_else(|_| home.to_path_buf())
        .display()
        .to_string();
    // `up` stops its children one after another, each within STOP_TIMEOUT.
    let n = RunState::load(home).map_or(4, |s| s.components.len()) as u32;
    if process::stop_pid_file(
        &process::pid_path(home, "up"),
        "localnet",
        libc::SIGTERM,
        process::STOP_TIMEOUT * (n + 1),
    )
    .is_some()
    {
        stopped.push("up".to_string());
    }
    if let Ok(entries) = std::fs::read_dir(&run) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "pid") {
                let name = p
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let sig = if name == "l1" {
                    libc::SIGINT
                } else {
                    libc::SIGTERM
                };
                if process::stop_pid_file(&p, &marker, sig, process::STOP_TIMEOUT).is_some() {
                    stopped.push(name);
                }
            }
        }
    }
    let _ = std::fs::remove_file(RunState::path(home));
    Ok(stopped)
}

/// `down`, then deletes the localnet home. Refuses a folder that is not a localnet home.
pub fn reset(home: &Path) -> eyre::Result<()> {
    if !home.exists() {
        return Ok(());
    }
    let looks_like = is_localnet_home(home)
        || home.join(MANIFEST_FILE).exists()
        || home.join("l1").is_dir() && home.join("minitias").is_dir();
    if !looks_like {
        return Err(eyre!(
            "{} does not look like a localnet home (no {MANIFEST_FILE}, l1/ or minitias/); not deleting it",
            home.display()
        ));
    }
    down(home)?;
    std::fs::remove_dir_all(home).wrap_err_with(|| format!("cannot delete {}", home.display()))
}

/// Prints the last `lines` lines of a component's log to `out`, then with `follow` keeps
/// printing what is appended until `stop` is set.
pub fn logs(
    home: &Path,
    component: &str,
    lines: usize,
    follow: bool,
    out: &mut dyn Write,
) -> eyre::Result<()> {
    let path = process::log_path(home, component);
    if !path.is_file() {
        let mut names: Vec<String> = std::fs::read_dir(home.join("logs"))
            .map(|d| {
                d.flatten()
                    .filter_map(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .strip_suffix(".log")
                            .map(String::from)
                    })
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        return Err(eyre!(
            "no log for component {component:?} in {}; components with logs: {}",
            home.join("logs").display(),
            if names.is_empty() {
                "none (has the localnet run?)".to_string()
            } else {
                names.join(", ")
            }
        ));
    }
    writeln!(out, "{}", process::tail(&path, lines))?;
    if !follow {
        return Ok(());
    }
    let mut f = std::fs::File::open(&path)?;
    let mut pos = f.seek(SeekFrom::End(0))?;
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if len < pos {
            // Truncated or replaced (reset): start over.
            f = std::fs::File::open(&path)?;
            pos = 0;
        }
        f.seek(SeekFrom::Start(pos))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)?;
        pos += buf.len() as u64;
        out.write_all(&buf)?;
        out.flush()?;
    }
}

/// Parses `30s`, `90m`, `2h`, `7d` (or a sum such as `1d12h`) into seconds.
pub fn parse_duration_secs(s: &str) -> eyre::Result<u64> {
    let bad =
        || eyre!("invalid duration {s:?}: use a number with s, m, h or d, e.g. 30s, 2h, 7d, 1d12h");
    let s = s.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        let mul = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(mul)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(bad)?;
    }
    if !num.is_empty() {
        return Err(bad());
    }
    if total == 0 {
        return Err(eyre!("duration {s:?} is zero: nothing to advance"));
    }
    Ok(total)
}

/// Moves the L1's dev clock forward by `seconds` and waits until a block carries the new time.
pub async fn time_advance(home: &Path, seconds: u64) -> eyre::Result<String> {
    let m = Manifest::load(home)?;
    let before = crate::status::comet_status(&m.l1.rpc).await.map_err(|e| {
        eyre!(
            "the L1 at {} does not answer ({e}); is the localnet up?",
            m.l1.rpc
        )
    })?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let resp = client
        .post(format!("{}/dev/advance_time", m.l1.rpc))
        .json(&serde_json::json!({ "seconds": seconds }))
        .send()
        .await
        .map_err(|e| eyre!("POST {}/dev/advance_time: {e}", m.l1.rpc))?;
    let code = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !code.is_success() {
        return Err(eyre!(
            "the L1 refused to advance its clock (HTTP {code}): {}",
            body.trim()
        ));
    }
    // The next block is stamped at or after the advanced time.
    let target = before.0;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (h, t) = crate::status::comet_status(&m.l1.rpc).await?;
        if h > target + 1 {
            return Ok(format!(
                "L1 clock advanced by {seconds}s; block {h} time {t}"
            ));
        }
        if Instant::now() > deadline {
            return Err(eyre!("the L1 produced no block after advancing its clock"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_secs("30s").unwrap(), 30);
        assert_eq!(parse_duration_secs("2h").unwrap(), 7200);
        assert_eq!(parse_duration_secs("7d").unwrap(), 604_800);
        assert_eq!(parse_duration_secs("1d12h").unwrap(), 129_600);
        for bad in ["", "7", "d", "1w", "-1s", "0s", "99999999999999999999d"] {
            assert!(parse_duration_secs(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reset_refuses_foreign_folders() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("precious.txt"), b"x").unwrap();
        let e = reset(tmp.path()).unwrap_err().to_string();
        assert!(e.contains("not deleting"), "{e}");
        assert!(tmp.path().join("precious.txt").exists());
    }

    #[test]
    fn logs_names_the_known_components() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("logs")).unwrap();
        std::fs::write(tmp.path().join("logs/l1.log"), b"a\nb\nc\n").unwrap();
        let mut out = Vec::new();
        logs(tmp.path(), "l1", 2, false, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "b\nc\n");
        let e = logs(tmp.path(), "evm", 2, false, &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("l1"), "{e}");
    }
}
