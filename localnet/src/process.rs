//! Child processes: spawn with a log file, a pid file and a parent-death signal; stop with a
//! signal and a SIGKILL after a timeout; find and stop them again from another process.
//!
//! Children are spawned in their own process group, so a Ctrl-C in the terminal reaches only
//! `localnet up`, which then stops them in order. Each child also gets
//! `PR_SET_PDEATHSIG(SIGKILL)`: if `up` dies without cleaning up (kill -9), the kernel kills
//! the children. The kernel sends that signal when the *thread* that forked the child exits,
//! so children must be spawned from a thread that lives as long as `up` (the main thread:
//! `up` runs on a current-thread runtime).

use std::{
    fs::OpenOptions,
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use eyre::{eyre, WrapErr};

/// How long a component gets to exit after its stop signal before SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running child.
#[derive(Debug)]
pub struct Running {
    /// Component name.
    pub name: String,
    /// The process.
    pub child: Child,
    /// Signal that asks it to stop cleanly.
    pub stop_signal: i32,
    /// Its pid file.
    pub pid_file: PathBuf,
    /// Its log file.
    pub log_file: PathBuf,
}

/// Where logs and pid files live.
pub fn log_path(home: &Path, name: &str) -> PathBuf {
    home.join("logs").join(format!("{name}.log"))
}

/// `<home>/run/<name>.pid`.
pub fn pid_path(home: &Path, name: &str) -> PathBuf {
    home.join("run").join(format!("{name}.pid"))
}

/// Spawns `program args` with stdout and stderr appended to `<home>/logs/<name>.log`.
pub fn spawn(
    home: &Path,
    name: &str,
    program: &Path,
    args: &[String],
    env: &[(String, String)],
    stop_signal: i32,
) -> eyre::Result<Running> {
    let log_file = log_path(home, name);
    let pid_file = pid_path(home, name);
    for dir in [log_file.parent(), pid_file.parent()].into_iter().flatten() {
        std::fs::create_dir_all(dir)
            .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    }
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_file)
        .wrap_err_with(|| format!("cannot open {}", log_file.display()))?;
    writeln!(
        log,
        "==> localnet: starting {name}: {} {}",
        program.display(),
        args.join(" ")
    )?;
    let err_log = log.try_clone()?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err_log);
    child_setup(&mut cmd);
    let child = cmd.spawn().map_err(|e| {
        eyre!(
            "cannot start {name} ({}): {e}; check that the binary exists and is executable",
            program.display()
        )
    })?;
    std::fs::write(&pid_file, format!("{}\n", child.id()))
        .wrap_err_with(|| format!("cannot write {}", pid_file.display()))?;
    Ok(Running {
        name: name.to_string(),
        child,
        stop_signal,
        pid_file,
        log_file,
    })
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn child_setup(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe system calls (prctl, getppid, raise); it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl.
            if libc::getppid() != parent {
                libc::raise(libc::SIGKILL);
            }
            Ok(())
        });
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn child_setup(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
}

/// Sends `sig` to `pid`; false if there is no such process.
#[allow(unsafe_code)]
pub fn signal(pid: u32, sig: i32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill(2) with a positive pid touches no memory of ours.
    unsafe { libc::kill(pid, sig) == 0 }
}

/// Whether `pid` is a live (not zombie) process.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "pid (comm) S ...": the state follows the last ')'.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|s| s != "Z" && s != "X"),
        Err(_) => false,
    }
}

/// The command line of `pid`, arguments joined by spaces.
pub fn cmdline(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

impl Running {
    /// The pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` if it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stop signal, then SIGKILL after `timeout`; removes the pid file. Blocking.
    pub fn stop(&mut self, timeout: Duration) {
        if self.exited().is_none() {
            signal(self.pid(), self.stop_signal);
            let deadline = Instant::now() + timeout;
            while self.exited().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if self.exited().is_none() {
                tracing::warn!(
                    component = %self.name,
                    "did not stop within {timeout:?}, sending SIGKILL"
                );
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

/// Reads a pid file; `None` if it is missing or unreadable.
pub fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Stops the process of a pid file written by another `localnet up`, if it is still ours
/// (its command line mentions `marker`, so a reused pid is left alone). Returns its pid if a
/// process was stopped.
pub fn stop_pid_file(path: &Path, marker: &str, sig: i32, timeout: Duration) -> Option<u32> {
    let pid = read_pid(path)?;
    let ours = alive(pid) && cmdline(pid).is_some_and(|c| c.contains(marker));
    if ours {
        signal(pid, sig);
        let deadline = Instant::now() + timeout;
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if alive(pid) {
            signal(pid, libc::SIGKILL);
            let deadline = Instant::now() + Duration::from_secs(2);
            while alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    let _ = std::fs::remove_file(path);
    ours.then_some(pid)
}

/// The last `n` lines of a log file (for error messages).
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawn_stop_and_pid_files() {
        let tmp = tempfile::tempdir().unwrap();
        let mut r = spawn(
            tmp.path(),
            "sleeper",
            Path::new("/bin/sh"),
            &["-c".into(), "echo hello; exec sleep 30".into()],
            &[],
            libc::SIGTERM,
        )
        .unwrap();
        let pid = r.pid();
        assert_eq!(read_pid(&pid_path(tmp.path(), "sleeper")), Some(pid));
        assert!(alive(pid));
        std::thread::sleep(Duration::from_millis(200));
        assert!(tail(&r.log_file, 5).contains("hello"));
        r.stop(Duration::from_secs(5));
        assert!(!alive(pid));
        assert!(!pid_path(tmp.path(), "sleeper").exists());
    }

    #[test]
    fn stop_pid_file_leaves_foreign_processes_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let mut other = Command::new("sleep").arg("30").spawn().unwrap();
        // Between fork and exec the child still shows this test's command line.
        let start = Instant::now();
        while !cmdline(other.id()).is_some_and(|c| c.contains("sleep 30")) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "sleep never started"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let pf = tmp.path().join("x.pid");
        std::fs::write(&pf, other.id().to_string()).unwrap();
        assert_eq!(
            stop_pid_file(&pf, "/no/such/home", libc::SIGTERM, Duration::from_secs(1)),
            None
        );
        assert!(alive(other.id()));
        std::fs::write(&pf, other.id().to_string()).unwrap();
        assert_eq!(
            stop_pid_file(&pf, "sleep 30", libc::SIGTERM, Duration::from_secs(5)),
            Some(other.id())
        );
        other.wait().unwrap();
        assert!(!pf.exists());
    }
}
