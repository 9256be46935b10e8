//! `minitia localnet up`: create the homes on first use, start every component as its own OS
//! process, wait until each is healthy, bond the operators and create the bridges, write
//! `localnet.json`, serve the status page, and stop everything on Ctrl-C or SIGTERM.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use eyre::{eyre, WrapErr};
use minitia_app::NativeToken;
use minitia_template::home::{self, AccountKey, HomeOptions};
use sha2::Digest;

use crate::{
    components::{self, Binaries, Component, Ports, Probe, Timing},
    l1::{self, L1},
    manifest::{self, AccountInfo, DaInfo, L1Info, Manifest, MinitiaInfo},
    process::{self, Running},
    server,
    status::{self, RunState},
};

/// L1 chain id of a localnet.
pub const L1_CHAIN_ID: &str = "localnet-l1-1";
/// L1 denom.
pub const L1_DENOM: &str = l1_orchestrator::node::DENOM;
/// Account prefix (the L1 and every minitia).
pub const PREFIX: &str = "init";
/// Minitia fee denom.
pub const MINITIA_DENOM: &str = "umin";
/// What each operator account gets on the L1.
pub const OPERATOR_L1_BALANCE: u128 = 1_000_000_000_000;
/// What the proposer and challenger bond.
pub const BOND: u128 = 1_000_000;

/// Options of `up`.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// Localnet home.
    pub home: PathBuf,
    /// VMs of a new home (one minitia each); `None` keeps an existing home's, or `[evm]`.
    pub vms: Option<Vec<String>>,
    /// Pick unused ports instead of the documented defaults.
    pub free_ports: bool,
    /// Added to every default port (to run two localnets side by side).
    pub port_offset: u16,
    /// Block times.
    pub timing: Timing,
    /// How long each component may take to become healthy.
    pub ready_timeout: Duration,
    /// Bridge submission interval.
    pub submission_interval: Duration,
    /// Bridge finalization period (advance it with `time advance`).
    pub finalization_period: Duration,
    /// Binaries; `None` locates them (see [`Binaries::locate`]).
    pub binaries: Option<Binaries>,
    /// Restart a component that exits (crash, kill -9) instead of stopping the localnet;
    /// a component that keeps failing (non-zero exit, a crash signal) within
    /// [`CRASH_LOOP_WINDOW`] of its start [`CRASH_LOOP_LIMIT`] times in a row still stops it.
    pub restart: bool,
}

/// A restarted component that exits again within this time counts towards a crash loop.
pub const CRASH_LOOP_WINDOW: Duration = Duration::from_secs(10);
/// Exits in a row, each within [`CRASH_LOOP_WINDOW`] of its start, that stop the localnet
/// even with [`UpOptions::restart`].
pub const CRASH_LOOP_LIMIT: u32 = 5;

impl UpOptions {
    /// Defaults for `home`.
    pub fn new(home: impl Into<PathBuf>) -> Self {
        Self {
            home: home.into(),
            vms: None,
            free_ports: false,
            port_offset: 0,
            timing: Timing::default(),
            ready_timeout: Duration::from_secs(60),
            submission_interval: Duration::from_secs(30),
            finalization_period: Duration::from_secs(300),
            binaries: None,
            restart: false,
        }
    }
}

/// The default localnet home: `$MINITIA_LOCALNET_HOME`, else `~/.minitia/localnet`.
pub fn default_home() -> PathBuf {
    if let Some(h) = std::env::var_os("MINITIA_LOCALNET_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h);
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".minitia")
        .join("localnet")
}

fn absolute(p: &Path) -> eyre::Result<PathBuf> {
    if p.is_absolute() {
        Ok(p.to_path_buf())
    } else {
        Ok(std::env::current_dir()?.join(p))
    }
}

/// Whether `home` holds a localnet (its manifest and L1 dir).
pub fn is_localnet_home(home: &Path) -> bool {
    home.join(manifest::MANIFEST_FILE).is_file() && components::l1_home(home).is_dir()
}

fn account_info(name: &str, key: &AccountKey) -> eyre::Result<AccountInfo> {
    Ok(AccountInfo {
        name: name.into(),
        mnemonic: key.mnemonic.clone(),
        address: key.address.clone(),
        evm_address: key.evm_address.clone(),
        private_key: format!("0x{}", hex::encode(l1::private_key_bytes(&key.mnemonic)?)),
    })
}

fn namespace() -> String {
    // A Celestia version-0 namespace: 1 version byte, 18 zero bytes, 10 id bytes.
    let id = sha2::Sha256::digest(b"minitia-localnet");
    let mut ns = [0u8; 29];
    ns[19..].copy_from_slice(&id[..10]);
    hex::encode(ns)
}

/// Minitia names for `vms`: the VM's name, then `evm2`, `evm3`... for repeats.
pub fn minitia_names(vms: &[String]) -> Vec<(String, String)> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    vms.iter()
        .map(|vm| {
            let n = seen.entry(vm.to_string()).or_default();
            *n += 1;
            let name = if *n == 1 {
                vm.to_string()
            } else {
                format!("{vm}{n}")
            };
            (name, vm.clone())
        })
        .collect()
}

/// Fee denom of the `i`-th minitia (from 0). An EVM minitia's fee token is the L1 fee token
/// bridged over its own bridge, `l2_denom(i + 1, uinit)`, so deposits become native balance
/// and every unit on the L2 is backed by the L1 escrow (such a home has no genesis
/// balances). Bridge ids of a fresh localnet L1 are 1, 2, … in minitia order (only `up`
/// creates bridges on it); [`create_bridges`] checks it. Engines with their own native token
/// (Move, plain Cosmos) keep [`MINITIA_DENOM`].
pub fn minitia_fee_denom(i: usize, native_token: NativeToken) -> String {
    match native_token {
        NativeToken::BridgedL1FeeToken => minitia_core::opinit::l2_denom(i as u64 + 1, L1_DENOM),
        NativeToken::Own => MINITIA_DENOM.into(),
    }
}

/// Creates a new localnet home: one minitia home per VM, the L1 genesis funding the dev and
/// operator accounts, and a manifest with no bridges yet. Writes nothing outside `home`;
/// on failure removes what it wrote.
pub fn init(
    home: &Path,
    vms: &[String],
    bins: &Binaries,
    progress: &mut dyn FnMut(&str),
) -> eyre::Result<Manifest> {
    let existed = home.exists();
    let r = init_inner(home, vms, bins, progress);
    if r.is_err() {
        if existed {
            for sub in ["l1", "da", "minitias", manifest::MANIFEST_FILE] {
                let p = home.join(sub);
                let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
            }
        } else {
            let _ = std::fs::remove_dir_all(home);
        }
    }
    r
}

fn init_inner(
    home: &Path,
    vms: &[String],
    bins: &Binaries,
    progress: &mut dyn FnMut(&str),
) -> eyre::Result<Manifest> {
    std::fs::create_dir_all(home).wrap_err_with(|| format!("cannot create {}", home.display()))?;
    // Keys and chain data of a local network never belong in git.
    std::fs::write(home.join(".gitignore"), "*\n")?;
    let mut minitias = Vec::new();
    let mut accounts = Vec::new();
    let mut funded: Vec<(String, u128)> = Vec::new();
    for (i, (name, vm)) in minitia_names(vms).into_iter().enumerate() {
        let registry = minitia_engines::registry();
        let engine = registry.engine(&vm)?;
        engine.available().map_err(|e| eyre!("--vms {vm}: {e}"))?;
        let fee_denom = minitia_fee_denom(i, engine.native_token());
        let opts = HomeOptions {
            chain_id: format!("localnet-{name}-1"),
            vm: vm.clone(),
            bech32_prefix: PREFIX.into(),
            fee_denom: fee_denom.clone(),
            ..HomeOptions::new(name.clone())
        };
        progress(&format!(
            "creating minitia {name} ({vm}, chain id {})",
            opts.chain_id
        ));
        let created = home::create_home(&components::minitia_home(home, &name), &opts, &mut |_| {})
            .map_err(|e| eyre!("cannot create the {name} minitia home: {e}"))?;
        if accounts.is_empty() {
            accounts.push(account_info("dev", &created.dev)?);
            funded.push((created.dev.address.clone(), home::DEV_BALANCE));
        }
        for k in &created.operators {
            accounts.push(account_info(&format!("{name}-{}", k.name), k)?);
            funded.push((k.address.clone(), OPERATOR_L1_BALANCE));
        }
        minitias.push(MinitiaInfo {
            name: name.clone(),
            vm: vm.to_string(),
            chain_id: created.chain_id,
            rpc: String::new(),
            json_rpc: None,
            bridge_id: None,
            executor_api: None,
            challenger: None,
            batcher: None,
            denom: fee_denom,
            prefix: PREFIX.into(),
        });
    }
    progress(&format!("creating the L1 genesis ({L1_CHAIN_ID})"));
    let l1_home = components::l1_home(home);
    let mut args: Vec<String> = vec![
        "init".into(),
        "--home".into(),
        l1_home.display().to_string(),
        "--chain-id".into(),
        L1_CHAIN_ID.into(),
        "--min-proposer-bond".into(),
        BOND.to_string(),
        "--min-challenger-bond".into(),
        BOND.to_string(),
    ];
    if let Some(dev) = accounts.first() {
        args.extend(["--authority".into(), dev.address.clone()]);
    }
    for (a, n) in &funded {
        args.extend(["--fund".into(), format!("{a}={n}")]);
    }
    let out = std::process::Command::new(&bins.l1)
        .args(&args)
        .output()
        .wrap_err_with(|| format!("cannot run {}", bins.l1.display()))?;
    if !out.status.success() {
        return Err(eyre!(
            "`minitia-l1 init` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let token: [u8; 16] = rand::random();
    let m = Manifest {
        l1: L1Info {
            chain_id: L1_CHAIN_ID.into(),
            rpc: String::new(),
            denom: L1_DENOM.into(),
            prefix: PREFIX.into(),
        },
        da: DaInfo {
            rpc: String::new(),
            auth_token: hex::encode(token),
            namespace: namespace(),
        },
        minitias,
        accounts,
    };
    m.save(home)?;
    Ok(m)
}

/// A started child and what started it.
struct Supervised {
    component: Component,
    running: Running,
    /// When the current process was started.
    since: Instant,
    /// Exits in a row, each soon after its start (crash loop detection).
    quick_exits: u32,
    /// Restarts so far.
    restarts: u32,
}

/// Children started so far; dropping it stops them (so an error leaves nothing running).
struct Supervisor {
    running: Vec<Supervised>,
}

impl Supervisor {
    fn stop_all(&mut self) {
        while let Some(mut s) = self.running.pop() {
            tracing::info!(component = %s.running.name, pid = s.running.pid(), "stopping");
            s.running.stop(process::STOP_TIMEOUT);
        }
    }

    /// A child that exited: its name, status and log tail.
    fn exited(&mut self) -> Option<String> {
        self.running.iter_mut().find_map(|s| {
            let r = &mut s.running;
            r.exited().map(|st| exit_report(r, st))
        })
    }

    /// Restarts every child that exited; `Err` with the report of one in a crash loop.
    fn restart_exited(
        &mut self,
        home: &Path,
        progress: &mut dyn FnMut(&str),
    ) -> Result<(), String> {
        for s in &mut self.running {
            let Some(st) = s.running.exited() else {
                continue;
            };
            // A clean exit or one by a stop/kill signal from outside (an operator, a test)
            // is restarted without counting; a failure soon after its start counts.
            if failed(st) {
                s.quick_exits = if s.since.elapsed() < CRASH_LOOP_WINDOW {
                    s.quick_exits + 1
                } else {
                    1
                };
            }
            if s.quick_exits >= CRASH_LOOP_LIMIT {
                return Err(format!(
                    "{} (exited {} times in a row within {CRASH_LOOP_WINDOW:?} of its start)",
                    exit_report(&s.running, st),
                    s.quick_exits
                ));
            }
            s.restarts += 1;
            progress(&format!(
                "{} exited ({st}); restarting it (restart {})",
                s.component.name, s.restarts
            ));
            s.running = spawn_component(home, &s.component).map_err(|e| {
                format!(
                    "{} exited ({st}) and cannot be restarted: {e}",
                    s.component.name
                )
            })?;
            s.since = Instant::now();
        }
        Ok(())
    }
}

/// An exit that is the process's own failure: a non-zero code or a signal other than
/// SIGKILL, SIGTERM and SIGINT (a crash such as SIGSEGV or SIGABRT).
fn failed(st: std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (Some(code), _) => code != 0,
        (None, Some(sig)) => ![libc::SIGKILL, libc::SIGTERM, libc::SIGINT].contains(&sig),
        (None, None) => true,
    }
}

fn exit_report(r: &Running, st: std::process::ExitStatus) -> String {
    format!(
        "{} exited ({st}); last lines of {}:\n{}",
        r.name,
        r.log_file.display(),
        process::tail(&r.log_file, 15)
    )
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop_all();
    }
}

async fn probe_ok(p: &Probe) -> Result<(), String> {
    match p {
        Probe::CometRpc(url) => match status::comet_status(url).await {
            Ok((h, _)) if h >= 1 => Ok(()),
            Ok((h, _)) => Err(format!("{url} is at height {h}")),
            Err(e) => Err(e.to_string()),
        },
        Probe::DaRpc { url, token } => status::da_height(url, token)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Probe::EthRpc(url) => status::eth_chain_id(url)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Probe::Http(url) => {
            let r = reqwest::Client::new()
                .get(url)
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .map_err(|e| format!("GET {url}: {e}"))?;
            if r.status().is_success() {
                Ok(())
            } else {
                Err(format!("GET {url}: HTTP {}", r.status()))
            }
        }
    }
}

async fn wait_ready(c: &Component, r: &mut Running, timeout: Duration) -> eyre::Result<()> {
    let start = Instant::now();
    let mut last = String::new();
    loop {
        if let Some(st) = r.exited() {
            return Err(eyre!(
                "{} exited during startup ({st}); last lines of {}:\n{}",
                c.name,
                r.log_file.display(),
                process::tail(&r.log_file, 15)
            ));
        }
        let mut ok = true;
        for p in &c.probes {
            if let Err(e) = probe_ok(p).await {
                last = e;
                ok = false;
                break;
            }
        }
        if ok {
            return Ok(());
        }
        if start.elapsed() > timeout {
            return Err(eyre!(
                "{} did not become healthy within {timeout:?} (last probe: {last}); last lines of {}:\n{}",
                c.name,
                r.log_file.display(),
                process::tail(&r.log_file, 15)
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn key_of(m: &Manifest, name: &str) -> eyre::Result<cosmrs::crypto::secp256k1::SigningKey> {
    let a = m.accounts.iter().find(|a| a.name == name).ok_or_else(|| {
        eyre!("localnet.json has no account {name}; run `minitia localnet reset`")
    })?;
    l1::signing_key(&a.mnemonic)
}

fn address_of(m: &Manifest, name: &str) -> eyre::Result<String> {
    m.accounts
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.address.clone())
        .ok_or_else(|| eyre!("localnet.json has no account {name}; run `minitia localnet reset`"))
}

/// The bridge metadata of a minitia: `{"minitia_engine": EngineSpec, "chain_id", "vm"}`, the
/// spec built from the minitia's genesis `app_state.chain`.
fn bridge_metadata(home: &Path, mi: &MinitiaInfo) -> eyre::Result<Vec<u8>> {
    let mh = components::minitia_home(home, &mi.name);
    let cfg = minitia_template::config::NodeConfig::load(&mh)
        .map_err(|e| eyre!("cannot read the {} minitia config: {e}", mi.name))?;
    let gpath = cfg.genesis_path(&mh);
    let genesis: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&gpath).wrap_err_with(|| format!("cannot read {}", gpath.display()))?,
    )
    .wrap_err_with(|| format!("{} is not JSON", gpath.display()))?;
    let spec: minitia_fraud_proofs::EngineSpec = serde_json::from_value(serde_json::json!({
        "kind": minitia_engines::registry().engine(&mi.vm).map_err(|e| eyre!("minitia {}: {e}", mi.name))?.kind(),
        "chain_id": mi.chain_id,
        "chain": genesis["app_state"]["chain"],
    }))
    .wrap_err_with(|| format!("{}: app_state.chain", gpath.display()))?;
    let mut meta: serde_json::Value = serde_json::from_slice(&spec.to_bridge_metadata())?;
    meta["chain_id"] = mi.chain_id.clone().into();
    meta["vm"] = mi.vm.clone().into();
    Ok(serde_json::to_vec(&meta)?)
}

/// Bonds each minitia's proposer and challenger and creates its bridge, saving each bridge
/// id to `localnet.json` as soon as the L1 has committed it.
pub async fn create_bridges(
    home: &Path,
    m: &mut Manifest,
    opts: &UpOptions,
    progress: &mut dyn FnMut(&str),
) -> eyre::Result<()> {
    let l1 = L1::new(&m.l1.rpc, &m.l1.chain_id, &m.l1.prefix)?;
    for i in 0..m.minitias.len() {
        if m.minitias[i].bridge_id.is_some() {
            continue;
        }
        let name = m.minitias[i].name.clone();
        let proposer = key_of(m, &format!("{name}-proposer"))?;
        let challenger = key_of(m, &format!("{name}-challenger"))?;
        progress(&format!(
            "bonding the {name} proposer and challenger on the L1"
        ));
        let (a, b) = tokio::join!(
            l1.ensure_bond(&proposer, &m.l1.denom, BOND),
            l1.ensure_bond(&challenger, &m.l1.denom, BOND)
        );
        a?;
        b?;
        let metadata = bridge_metadata(home, &m.minitias[i])?;
        let config = l1_orchestrator::proto::BridgeConfig {
            proposer: address_of(m, &format!("{name}-proposer"))?,
            challenger: address_of(m, &format!("{name}-challenger"))?,
            batch_info: Some(l1_orchestrator::proto::BatchInfo {
                // Batches go to the Celestia-compatible DA node, posted by the sequencer key.
                submitter: address_of(m, &format!("{name}-sequencer"))?,
                chain_type: 2,
            }),
            submission_interval: Some(l1_orchestrator::proto::Duration::from_secs(
                opts.submission_interval.as_secs().max(1) as i64,
            )),
            finalization_period: Some(l1_orchestrator::proto::Duration::from_secs(
                opts.finalization_period.as_secs().max(1) as i64,
            )),
            submission_start_height: 1,
            metadata,
            ..Default::default()
        };
        progress(&format!("creating the bridge of {name} on the L1"));
        let id = l1.create_bridge(&key_of(m, "dev")?, config).await?;
        let denom = &m.minitias[i].denom;
        if denom.starts_with(minitia_core::opinit::L2_DENOM_PREFIX)
            && *denom != minitia_core::opinit::l2_denom(id, &m.l1.denom)
        {
            return Err(eyre!(
                "the L1 gave the {name} minitia bridge id {id}, but its fee denom {denom} was made                  for another bridge id (were bridges created on this L1 by hand?); run                  `minitia localnet reset --home {}`",
                home.display()
            ));
        }
        m.minitias[i].bridge_id = Some(id);
        m.save(home)?;
    }
    Ok(())
}

/// Everything `up` learned, for printing.
#[derive(Debug, Clone)]
pub struct Started {
    /// The manifest as written.
    pub manifest: Manifest,
    /// Status page URL.
    pub status_url: String,
}

/// The table `up` prints.
pub fn endpoints_table(s: &Started, home: &Path) -> String {
    use std::fmt::Write;
    let m = &s.manifest;
    let mut o = String::new();
    let _ = writeln!(o, "localnet is up ({})", home.display());
    let _ = writeln!(o);
    let _ = writeln!(o, "  {:<22} {:<22} ENDPOINT", "COMPONENT", "CHAIN ID");
    let _ = writeln!(o, "  {:<22} {:<22} {}", "l1 rpc", m.l1.chain_id, m.l1.rpc);
    let _ = writeln!(o, "  {:<22} {:<22} {}", "da rpc", "", m.da.rpc);
    for mi in &m.minitias {
        let _ = writeln!(
            o,
            "  {:<22} {:<22} {}",
            format!("{} rpc", mi.name),
            mi.chain_id,
            mi.rpc
        );
        if let Some(j) = &mi.json_rpc {
            let _ = writeln!(
                o,
                "  {:<22} {:<22} {}",
                format!("{} json-rpc", mi.name),
                mi.chain_id,
                j
            );
        }
        if let Some(b) = mi.bridge_id {
            let _ = writeln!(
                o,
                "  {:<22} {:<22} bridge id {b} on the L1",
                format!("{} bridge", mi.name),
                ""
            );
        }
        for (what, u) in [
            ("executor api", &mi.executor_api),
            ("challenger", &mi.challenger),
        ] {
            if let Some(u) = u {
                let _ = writeln!(
                    o,
                    "  {:<22} {:<22} {u}/status",
                    format!("{} {what}", mi.name),
                    ""
                );
            }
        }
    }
    let _ = writeln!(o, "  {:<22} {:<22} {}", "status page", "", s.status_url);
    let _ = writeln!(
        o,
        "  {:<22} {:<22} {}/status",
        "status json", "", s.status_url
    );
    let _ = writeln!(o, "  {:<22} {:<22} {}/metrics", "metrics", "", s.status_url);
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "  DEV ONLY: these accounts use PUBLIC mnemonics; never send real funds to them."
    );
    if let Some(dev) = m.accounts.iter().find(|a| a.name == "dev") {
        let _ = writeln!(
            o,
            "  dev address     {}  ({})",
            dev.address, dev.evm_address
        );
        let _ = writeln!(o, "  dev mnemonic    {}", dev.mnemonic);
        let _ = writeln!(o, "  dev private key {}", dev.private_key);
        let _ = writeln!(
            o,
            "  funded with {} {} on the L1 and {} {} on each Move minitia; EVM minitias pay \
             fees in bridged {} (deposit with `minitia bridge deposit`)",
            home::DEV_BALANCE,
            m.l1.denom,
            home::DEV_BALANCE,
            MINITIA_DENOM,
            m.l1.denom
        );
    }
    let _ = writeln!(
        o,
        "  operator accounts (bonded proposer/challenger, sequencer, executor): {}",
        m.accounts
            .iter()
            .filter(|a| a.name != "dev")
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "  endpoints and keys: {}",
        home.join(manifest::MANIFEST_FILE).display()
    );
    let _ = writeln!(o, "  Ctrl-C stops everything.");
    o
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
}

/// Runs a localnet until `shutdown` resolves. `on_ready` gets what was started once every
/// component is healthy and every bridge exists. Must run on a current-thread runtime in
/// the thread that lives as long as the localnet (children get a parent-death signal tied
/// to the thread that spawned them).
pub async fn run(
    opts: UpOptions,
    shutdown: impl std::future::Future<Output = ()>,
    progress: &mut dyn FnMut(&str),
    on_ready: &mut dyn FnMut(&Started),
) -> eyre::Result<()> {
    let home = absolute(&opts.home)?;
    let bins = match &opts.binaries {
        Some(b) => b.clone(),
        None => Binaries::locate()?,
    };
    // One localnet per home.
    let up_pid_file = process::pid_path(&home, "up");
    if let Some(pid) = process::read_pid(&up_pid_file) {
        if pid != std::process::id()
            && process::alive(pid)
            && process::cmdline(pid).is_some_and(|c| c.contains("localnet"))
        {
            return Err(eyre!(
                "a localnet is already running from {} (pid {pid}); stop it with `minitia localnet down --home {}`",
                home.display(),
                home.display()
            ));
        }
    }
    // Children left by an `up` that was killed with SIGKILL died with it (parent-death
    // signal), but clear stale pid files.
    let existing = if is_localnet_home(&home) {
        let m = Manifest::load(&home)?;
        if let Some(vms) = &opts.vms {
            let have: Vec<String> = m.minitias.iter().map(|x| x.vm.clone()).collect();
            let want: Vec<String> = vms.iter().map(|v| v.to_string()).collect();
            if have != want {
                return Err(eyre!(
                    "{} already holds a localnet with --vms {}; run `minitia localnet reset --home {}` to change VMs",
                    home.display(),
                    have.join(","),
                    home.display()
                ));
            }
        }
        for mi in &m.minitias {
            let h = components::minitia_home(&home, &mi.name);
            if !h.join(minitia_template::config::CONFIG_FILE).is_file() {
                return Err(eyre!(
                    "{} is incomplete (no {}); run `minitia localnet reset --home {}`",
                    home.display(),
                    h.join(minitia_template::config::CONFIG_FILE).display(),
                    home.display()
                ));
            }
        }
        if !components::l1_home(&home).join("genesis.json").is_file() {
            return Err(eyre!(
                "{} is incomplete (no l1/genesis.json); run `minitia localnet reset --home {}`",
                home.display(),
                home.display()
            ));
        }
        Some(m)
    } else {
        let empty = std::fs::read_dir(&home).map_or(true, |mut d| {
            d.all(|e| {
                e.is_ok_and(|e| {
                    e.file_name() == "logs"
                        || e.file_name() == "run"
                        || e.file_name() == ".gitignore"
                })
            })
        });
        if !empty {
            return Err(eyre!(
                "{} exists and is not a localnet home (no {} and l1/); pass another --home or run \
                 `minitia localnet reset --home {}` if it is a broken localnet",
                home.display(),
                manifest::MANIFEST_FILE,
                home.display()
            ));
        }
        if opts.vms.as_ref().is_some_and(Vec::is_empty) {
            return Err(eyre!("--vms is empty; pass at least one of evm, move"));
        }
        None
    };
    let new_vms = opts.vms.clone().unwrap_or_else(|| vec!["evm".to_string()]);
    let names: Vec<(String, String)> = match &existing {
        Some(m) => m
            .minitias
            .iter()
            .map(|x| (x.name.clone(), x.vm.clone()))
            .collect(),
        None => minitia_names(&new_vms)
            .into_iter()
            .map(|(n, v)| (n, v.to_string()))
            .collect(),
    };
    // Ports first, so an occupied port changes nothing on disk.
    let ports = if opts.free_ports {
        Ports::free(names.len())?
    } else {
        Ports::defaults(names.len(), opts.port_offset)?
    };
    ports.check_free(&names)?;
    let mut manifest = match existing {
        Some(m) => m,
        None => init(&home, &new_vms, &bins, progress)?,
    };

    // Component command lines name the canonical home, which `down` looks for.
    let home = home
        .canonicalize()
        .wrap_err_with(|| format!("cannot resolve {}", home.display()))?;
    let up_pid_file = process::pid_path(&home, "up");
    // Hold the status port from now on.
    let status_listener = tokio::net::TcpListener::bind(ports.status)
        .await
        .map_err(|e| {
            eyre!(
                "cannot listen on {} for the status server: {e}",
                ports.status
            )
        })?;
    let status_addr: SocketAddr = status_listener.local_addr()?;
    let status_url = format!("http://{status_addr}");

    manifest.l1.rpc = format!("http://{}", ports.l1_rpc);
    manifest.da.rpc = format!("http://{}", ports.da_rpc);
    for (i, mi) in manifest.minitias.iter_mut().enumerate() {
        let (rpc, json) = ports.minitias[i];
        mi.rpc = format!("http://{rpc}");
        mi.json_rpc = serves_json_rpc(&mi.vm).then(|| format!("http://{json}"));
        mi.executor_api = Some(format!("http://{}", ports.executor_api[i]));
        mi.challenger = Some(format!("http://{}", ports.challenger_status[i]));
        mi.batcher = Some(format!("http://{}", ports.batcher_metrics[i]));
    }
    manifest.save(&home)?;

    std::fs::create_dir_all(home.join("run"))?;
    std::fs::write(&up_pid_file, format!("{}\n", std::process::id()))?;
    let plan = components::plan(&home, &manifest, &bins, &ports, &opts.timing);
    manifest::write_json_atomic(
        &RunState::path(&home),
        &RunState {
            up_pid: std::process::id(),
            status_url: status_url.clone(),
            components: plan
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        serde_json::to_value(&c.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(String::from))
                            .unwrap_or_default(),
                    )
                })
                .collect(),
        },
    )?;

    let replan = |m: &Manifest| -> eyre::Result<Vec<Component>> {
        components::write_client_config(&home, m, &ports)?;
        Ok(components::plan(&home, m, &bins, &ports, &opts.timing))
    };
    let result = run_started(
        &home,
        &mut manifest,
        &opts,
        &plan,
        &replan,
        status_listener,
        &status_url,
        shutdown,
        progress,
        on_ready,
    )
    .await;
    let _ = std::fs::remove_file(RunState::path(&home));
    let _ = std::fs::remove_file(&up_pid_file);
    result
}

#[allow(clippy::too_many_arguments)]
async fn run_started(
    home: &Path,
    manifest: &mut Manifest,
    opts: &UpOptions,
    plan: &[Component],
    replan: &dyn Fn(&Manifest) -> eyre::Result<Vec<Component>>,
    status_listener: tokio::net::TcpListener,
    status_url: &str,
    shutdown: impl std::future::Future<Output = ()>,
    progress: &mut dyn FnMut(&str),
    on_ready: &mut dyn FnMut(&Started),
) -> eyre::Result<()> {
    let mut sup = Supervisor { running: vec![] };
    tokio::pin!(shutdown);
    let started = async {
        for c in plan.iter().filter(|c| !c.after_bridges) {
            start_one(home, c, &mut sup, opts, progress).await?;
        }
        create_bridges(home, manifest, opts, progress).await?;
        // The bots' environment names the bridge ids, known only now.
        let bots = replan(manifest)?;
        for c in bots.iter().filter(|c| c.after_bridges) {
            start_one(home, c, &mut sup, opts, progress).await?;
        }
        eyre::Ok(())
    };
    tokio::select! {
        r = started => r?,
        _ = &mut shutdown => {
            progress("interrupted during startup, stopping");
            sup.stop_all();
            return Ok(());
        }
    }

    let app = server::router(home.to_path_buf());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(status_listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });
    on_ready(&Started {
        manifest: manifest.clone(),
        status_url: status_url.to_string(),
    });

    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let outcome = loop {
        tokio::select! {
            _ = &mut shutdown => break Ok(()),
            _ = tick.tick() => {
                if opts.restart {
                    if let Err(why) = sup.restart_exited(home, progress) {
                        break Err(eyre!("{why}\nstopping the localnet"));
                    }
                } else if let Some(why) = sup.exited() {
                    break Err(eyre!("{why}\nstopping the localnet"));
                }
            }
        }
    };
    progress("stopping the localnet");
    let _ = stop_tx.send(());
    let _ = server.await;
    sup.stop_all();
    progress("stopped");
    outcome
}

async fn start_one(
    home: &Path,
    c: &Component,
    sup: &mut Supervisor,
    opts: &UpOptions,
    progress: &mut dyn FnMut(&str),
) -> eyre::Result<()> {
    progress(&format!(
        "starting {} (log: {})",
        c.name,
        process::log_path(home, &c.name).display()
    ));
    let r = spawn_component(home, c)?;
    sup.running.push(Supervised {
        component: c.clone(),
        running: r,
        since: Instant::now(),
        quick_exits: 0,
        restarts: 0,
    });
    let r = &mut sup
        .running
        .last_mut()
        .ok_or_else(|| eyre!("no child"))?
        .running;
    wait_ready(c, r, opts.ready_timeout).await?;
    progress(&format!("{} is healthy (pid {})", c.name, r.pid()));
    Ok(())
}

fn spawn_component(home: &Path, c: &Component) -> eyre::Result<Running> {
    // Plain logs in the log files.
    let mut env = vec![("NO_COLOR".to_string(), "1".to_string())];
    env.extend(c.env.iter().cloned());
    process::spawn(home, &c.name, &c.program, &c.args, &env, c.stop_signal)
}

/// Whether minitias of `vm` serve an Ethereum JSON-RPC (the engine registry knows).
pub fn serves_json_rpc(vm: &str) -> bool {
    minitia_engines::registry()
        .engine(vm)
        .is_ok_and(|e| e.serves_json_rpc())
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    #[test]
    fn only_failures_count_towards_a_crash_loop() {
        let exit = |code: i32| std::process::ExitStatus::from_raw(code << 8);
        let killed = |sig: i32| std::process::ExitStatus::from_raw(sig);
        assert!(!failed(exit(0)));
        assert!(failed(exit(1)));
        for sig in [libc::SIGKILL, libc::SIGTERM, libc::SIGINT] {
            assert!(!failed(killed(sig)), "signal {sig}");
        }
        for sig in [libc::SIGSEGV, libc::SIGABRT, libc::SIGBUS] {
            assert!(failed(killed(sig)), "signal {sig}");
        }
    }
}
