//! Shared by the localnet tests: find (or build) the real binaries, run `minitia localnet`
//! as a child process in a temp home, and read what it wrote.

#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// The three binaries: `$MINITIA_BIN`, `$MINITIA_L1_BIN`, `$MINITIA_DA_BIN`, else those in
/// this test's target dir (built with cargo if missing).
pub struct Bins {
    pub minitia: PathBuf,
    pub l1: PathBuf,
    pub da: PathBuf,
}

fn target_debug_dir() -> PathBuf {
    // target/debug/deps/<test binary>
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

pub fn bins() -> Bins {
    static BUILT: std::sync::OnceLock<Bins> = std::sync::OnceLock::new();
    let b = BUILT.get_or_init(|| {
        let from_env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if let (Some(minitia), Some(l1), Some(da)) = (
            from_env("MINITIA_BIN"),
            from_env("MINITIA_L1_BIN"),
            from_env("MINITIA_DA_BIN"),
        ) {
            return Bins { minitia, l1, da };
        }
        // Binaries of this target dir (scripts/test.sh builds them with `cargo build
        // --workspace --bins` before the tests); built here only when missing, because a
        // build with another package set can unify features differently and rebuild a lot.
        let dir = target_debug_dir();
        let names = ["minitia", "minitia-l1", "minitia-da"];
        if names.iter().any(|n| !dir.join(n).is_file()) {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let target = dir.parent().unwrap();
            let st = Command::new(cargo)
                .args([
                    "build",
                    "-p",
                    "minitia-cli",
                    "-p",
                    "l1-orchestrator",
                    "-p",
                    "minitia-da",
                    "--bins",
                ])
                .env("CARGO_TARGET_DIR", target)
                .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
                .status()
                .expect("cannot run cargo build");
            assert!(st.success(), "cargo build of the localnet binaries failed");
        }
        Bins {
            minitia: dir.join("minitia"),
            l1: dir.join("minitia-l1"),
            da: dir.join("minitia-da"),
        }
    });
    Bins {
        minitia: b.minitia.clone(),
        l1: b.l1.clone(),
        da: b.da.clone(),
    }
}

/// `minitia localnet <args>` with the binaries' env set.
pub fn cli(args: &[&str]) -> Command {
    let b = bins();
    let mut c = Command::new(&b.minitia);
    c.arg("localnet")
        .args(args)
        .env("MINITIA_BIN", &b.minitia)
        .env("MINITIA_L1_BIN", &b.l1)
        .env("MINITIA_DA_BIN", &b.da)
        .env_remove("MINITIA_LOCALNET_HOME");
    c
}

/// Runs a short `minitia localnet` command; (success, stdout, stderr).
pub fn run(args: &[&str]) -> (bool, String, String) {
    let out = cli(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A running `minitia localnet up`.
pub struct Up {
    pub child: Child,
    pub home: PathBuf,
    pub out: mpsc::Receiver<String>,
    pub printed: Vec<String>,
}

impl Up {
    /// Starts `up` on free ports with fast blocks and waits for "localnet is up".
    pub fn start(home: &Path, extra: &[&str]) -> Up {
        let mut args = vec![
            "up",
            "--home",
            home.to_str().unwrap(),
            "--free-ports",
            "--l1.block-time",
            "300ms",
            "--minitia.block-time",
            "300ms",
            "--da.block-time",
            "500ms",
        ];
        args.extend_from_slice(extra);
        let mut child = cli(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut up = Up {
            child,
            home: home.to_path_buf(),
            out: rx,
            printed: vec![],
        };
        let started = Instant::now();
        loop {
            match up.out.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    let ready = line.starts_with("localnet is up");
                    up.printed.push(line);
                    if ready {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("localnet up exited:\n{}", up.printed.join("\n"))
                }
            }
            if let Some(st) = up.child.try_wait().unwrap() {
                panic!("localnet up exited ({st}):\n{}", up.printed.join("\n"));
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "localnet not up within 120 s:\n{}",
                up.printed.join("\n")
            );
        }
        // The rest of the table.
        std::thread::sleep(Duration::from_millis(200));
        while let Ok(l) = up.out.try_recv() {
            up.printed.push(l);
        }
        up
    }

    pub fn manifest(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.home.join("localnet.json")).unwrap()).unwrap()
    }

    pub fn status_url(&self) -> String {
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.home.join("run/state.json")).unwrap())
                .unwrap();
        s["status_url"].as_str().unwrap().to_string()
    }

    /// Pids of the components from their pid files.
    pub fn component_pids(&self) -> Vec<(String, u32)> {
        let mut v = vec![];
        for e in std::fs::read_dir(self.home.join("run")).unwrap().flatten() {
            let p = e.path();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            if p.extension().is_some_and(|x| x == "pid") && name != "up" {
                let pid = std::fs::read_to_string(&p).unwrap().trim().parse().unwrap();
                v.push((name, pid));
            }
        }
        v.sort();
        v
    }

    /// Waits for `up` to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(
                start.elapsed() < timeout,
                "localnet up did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        // Never leave a localnet behind a failed test.
        let _ = self.child.kill();
        let _ = self.child.wait();
        for (_, pid) in self.component_pids_quiet() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}

impl Up {
    fn component_pids_quiet(&self) -> Vec<(String, u32)> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.component_pids()))
            .unwrap_or_default()
    }
}

/// Whether a live (non-zombie) process has `needle` in its command line.
pub fn processes_mentioning(needle: &str) -> Vec<(u32, String)> {
    let mut v = vec![];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, r)| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if cmd.contains(needle) && !zombie {
            v.push((pid, cmd));
        }
    }
    v
}

pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, r)| !r.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    f()
}

/// `http://127.0.0.1:N` → GET path, body as text.
pub fn http_get(url: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { reqwest::get(url).await.unwrap().text().await.unwrap() })
}
