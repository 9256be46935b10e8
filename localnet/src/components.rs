//! What a localnet runs, as data: binaries, ports, and the list of components with their
//! command lines and health probes. Adding a process (a bot, the relayer) means adding an
//! entry in [`plan`]; `up`, `down`, `status` and `logs` need no other change.

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    time::Duration,
};

use eyre::eyre;

use crate::manifest::Manifest;

/// Default ports (documented in `docs/localnet.md`).
pub mod ports {
    /// L1 CometBFT RPC.
    pub const L1_RPC: u16 = 26657;
    /// DA JSON-RPC (celestia-node's port).
    pub const DA_RPC: u16 = 26658;
    /// Status page, `/status` JSON and `/metrics`.
    pub const STATUS: u16 = 26600;
    /// CometBFT RPC of the first minitia; the i-th (from 0) uses `MINITIA_RPC + 10 * i`.
    pub const MINITIA_RPC: u16 = 26757;
    /// Ethereum JSON-RPC of the first EVM minitia; the i-th minitia uses `EVM_JSON_RPC + 10 * i`.
    pub const EVM_JSON_RPC: u16 = 8545;
    /// Bridge executor API (`/status`, `/withdrawal/{sequence}`) of the first minitia; the
    /// i-th uses `EXECUTOR_API + 10 * i`.
    pub const EXECUTOR_API: u16 = 26759;
    /// Challenger status (`/status`) of the first minitia; the i-th uses
    /// `CHALLENGER_STATUS + 10 * i`.
    pub const CHALLENGER_STATUS: u16 = 26760;
    /// `BATCHER_METRICS + 10 * i`.
    pub const BATCHER_METRICS: u16 = 26761;
}

/// The three binaries a localnet runs.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `minitia` (runs every minitia with `minitia start`).
    pub minitia: PathBuf,
    /// `minitia-l1`.
    pub l1: PathBuf,
    /// `minitia-da`.
    pub da: PathBuf,
}

impl Binaries {
    /// Finds each binary: its environment variable (`MINITIA_BIN`, `MINITIA_L1_BIN`,
    /// `MINITIA_DA_BIN`), then next to the running executable (the same cargo target dir,
    /// also from `target/debug/deps` for tests), then `$PATH`.
    pub fn locate() -> eyre::Result<Self> {
        Ok(Self {
            minitia: locate("minitia", "MINITIA_BIN", "cargo build -p minitia-cli")?,
            l1: locate(
                "minitia-l1",
                "MINITIA_L1_BIN",
                "cargo build -p minitia-cli --bin minitia-l1",
            )?,
            da: locate(
                "minitia-da",
                "MINITIA_DA_BIN",
                "cargo build -p minitia-da --bin minitia-da",
            )?,
        })
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn locate(name: &str, env: &str, build: &str) -> eyre::Result<PathBuf> {
    if let Some(p) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        return if is_executable(&p) {
            Ok(p)
        } else {
            Err(eyre!(
                "{env}={} is not an executable file; build it with `{build}` or fix {env}",
                p.display()
            ))
        };
    }
    let mut dirs = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            dirs.push(dir.to_path_buf());
            if dir.file_name().is_some_and(|n| n == "deps") {
                dirs.extend(dir.parent().map(Path::to_path_buf));
            }
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.iter()
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
        .ok_or_else(|| {
            eyre!(
                "binary {name} not found (looked at ${env}, next to this executable and in $PATH); \
                 build it with `{build}` or set {env}"
            )
        })
}

/// The addresses a localnet listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ports {
    /// L1 RPC.
    pub l1_rpc: SocketAddr,
    /// DA JSON-RPC.
    pub da_rpc: SocketAddr,
    /// Status server.
    pub status: SocketAddr,
    /// Per minitia: CometBFT RPC and Ethereum JSON-RPC (used by EVM minitias only).
    pub minitias: Vec<(SocketAddr, SocketAddr)>,
    /// Per minitia: the bridge executor's HTTP API.
    pub executor_api: Vec<SocketAddr>,
    /// Per minitia: the challenger's status server.
    pub challenger_status: Vec<SocketAddr>,
    /// Per minitia: the batcher's `/metrics` and `/status`.
    pub batcher_metrics: Vec<SocketAddr>,
}

impl Ports {
    /// The documented defaults for `n` minitias plus `offset`, on 127.0.0.1.
    pub fn defaults(n: usize, offset: u16) -> eyre::Result<Self> {
        let top = ports::L1_RPC.max(ports::MINITIA_RPC + 10 * n as u16);
        if top.checked_add(offset).is_none() {
            return Err(eyre!(
                "--port-offset {offset} pushes ports past 65535; use a smaller offset"
            ));
        }
        let a = |p: u16| SocketAddr::from(([127, 0, 0, 1], p + offset));
        Ok(Self {
            l1_rpc: a(ports::L1_RPC),
            da_rpc: a(ports::DA_RPC),
            status: a(ports::STATUS),
            minitias: (0..n as u16)
                .map(|i| {
                    (
                        a(ports::MINITIA_RPC + 10 * i),
                        a(ports::EVM_JSON_RPC + 10 * i),
                    )
                })
                .collect(),
            executor_api: (0..n as u16)
                .map(|i| a(ports::EXECUTOR_API + 10 * i))
                .collect(),
            challenger_status: (0..n as u16)
                .map(|i| a(ports::CHALLENGER_STATUS + 10 * i))
                .collect(),
            batcher_metrics: (0..n as u16)
                .map(|i| a(ports::BATCHER_METRICS + 10 * i))
                .collect(),
        })
    }

    /// Unused ports picked by the OS, for tests and parallel localnets.
    pub fn free(n: usize) -> eyre::Result<Self> {
        // Hold every listener until all are picked so no port is handed out twice.
        let mut held = Vec::new();
        let mut pick = || -> eyre::Result<SocketAddr> {
            let l = TcpListener::bind("127.0.0.1:0")
                .map_err(|e| eyre!("cannot find a free port: {e}"))?;
            let a = l.local_addr()?;
            held.push(l);
            Ok(a)
        };
        let l1_rpc = pick()?;
        let da_rpc = pick()?;
        let status = pick()?;
        let mut minitias = Vec::new();
        let mut executor_api = Vec::new();
        let mut challenger_status = Vec::new();
        let mut batcher_metrics = Vec::new();
        for _ in 0..n {
            minitias.push((pick()?, pick()?));
            executor_api.push(pick()?);
            challenger_status.push(pick()?);
            batcher_metrics.push(pick()?);
        }
        Ok(Self {
            l1_rpc,
            da_rpc,
            status,
            minitias,
            executor_api,
            challenger_status,
            batcher_metrics,
        })
    }

    /// Every address with what uses it, for minitias `(name, vm)`.
    pub fn all(&self, minitias: &[(String, String)]) -> Vec<(SocketAddr, String)> {
        let mut v = vec![
            (self.da_rpc, "DA RPC".to_string()),
            (self.l1_rpc, "L1 RPC".to_string()),
            (self.status, "localnet status server".to_string()),
        ];
        for ((name, vm), (rpc, json)) in minitias.iter().zip(&self.minitias) {
            v.push((*rpc, format!("minitia {name} RPC")));
            if crate::up::serves_json_rpc(vm) {
                v.push((*json, format!("minitia {name} JSON-RPC")));
            }
        }
        for ((name, _), api) in minitias.iter().zip(&self.executor_api) {
            v.push((*api, format!("minitia {name} bridge executor API")));
        }
        for ((name, _), st) in minitias.iter().zip(&self.challenger_status) {
            v.push((*st, format!("minitia {name} challenger status")));
        }
        for ((name, _), b) in minitias.iter().zip(&self.batcher_metrics) {
            v.push((*b, format!("minitia {name} batcher metrics")));
        }
        v
    }

    /// Fails with a one-line error naming the first address in use.
    pub fn check_free(&self, minitias: &[(String, String)]) -> eyre::Result<()> {
        let mut seen = std::collections::HashSet::new();
        for (addr, what) in self.all(minitias) {
            if !seen.insert(addr) {
                return Err(eyre!("{addr} is given to two components ({what})"));
            }
            if let Err(e) = TcpListener::bind(addr) {
                return Err(eyre!(
                    "port {} ({what}) is in use on {} ({e}); stop what holds it (another localnet: \
                     `minitia localnet down`) or run `minitia localnet up --free-ports`",
                    addr.port(),
                    addr.ip()
                ));
            }
        }
        Ok(())
    }
}

/// What kind of process a component is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The DA node.
    Da,
    /// The settlement L1.
    L1,
    /// A minitia node.
    Minitia,
    /// An OPinit bot (batcher, proposer, executor, challenger) serving a minitia.
    Bot,
}

/// How to tell that a component is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// CometBFT RPC `/status` answers with a height of at least 1.
    CometRpc(String),
    /// celestia-node JSON-RPC `header.NetworkHead` answers (with the bearer token).
    DaRpc {
        /// URL.
        url: String,
        /// Bearer token.
        token: String,
    },
    /// Ethereum JSON-RPC `eth_chainId` answers.
    EthRpc(String),
    /// `GET <url>` answers 200 (the bridge executor's `/status`).
    Http(String),
}

/// One OS process of the localnet.
#[derive(Debug, Clone)]
pub struct Component {
    /// Unique name: `da`, `l1`, a minitia's name, `<minitia>-<bot>`.
    pub name: String,
    /// Kind.
    pub kind: Kind,
    /// Binary.
    pub program: PathBuf,
    /// Arguments.
    pub args: Vec<String>,
    /// Extra environment (`MINITIA_<SECTION>_<FIELD>` config overrides of the bots).
    pub env: Vec<(String, String)>,
    /// Signal that asks it to stop cleanly (the L1 handles SIGINT only).
    pub stop_signal: i32,
    /// Ready when every probe passes.
    pub probes: Vec<Probe>,
    /// Started only once every bridge exists (bots need their bridge id).
    pub after_bridges: bool,
}

/// Options of the processes (block times).
#[derive(Debug, Clone)]
pub struct Timing {
    /// L1 block time.
    pub l1_block_time: Duration,
    /// Minitia block time.
    pub minitia_block_time: Duration,
    /// DA block time.
    pub da_block_time: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            l1_block_time: Duration::from_millis(1000),
            // The node's own default (`[sequencer] block_time`).
            minitia_block_time: minitia_template::config::NodeConfig::default()
                .sequencer
                .block_time,
            da_block_time: Duration::from_millis(2000),
        }
    }
}

/// Data dir of the L1.
pub fn l1_home(home: &Path) -> PathBuf {
    home.join("l1")
}

/// Data dir of the challenger of minitia `name` (it runs from the minitia's home, for its
/// genesis, `[l1]`/`[da]` and `keys/challenger.json`, but derives the chain into its own
/// follower store).
pub fn challenger_data(home: &Path, name: &str) -> PathBuf {
    home.join("challengers").join(name)
}

/// Data dir of the DA node.
pub fn da_home(home: &Path) -> PathBuf {
    home.join("da")
}

/// Home of minitia `name`.
pub fn minitia_home(home: &Path, name: &str) -> PathBuf {
    home.join("minitias").join(name)
}

fn url(a: SocketAddr) -> String {
    format!("http://{a}")
}

/// Every component of the localnet described by `manifest`, in start order.
///
/// Per minitia, after the bridges exist: `<name>-batcher` (`minitia batcher`) and
/// `<name>-executor` (`minitia executor`, which also proposes outputs), configured through
/// [`bot_env`], and `<name>-challenger` (`minitia challenger`, signing with the bonded
/// challenger key, its follower store in [`challenger_data`]). Plan again once the bridges
/// exist: the bots' env carries the bridge id.
pub fn plan(
    home: &Path,
    manifest: &Manifest,
    bins: &Binaries,
    ports: &Ports,
    t: &Timing,
) -> Vec<Component> {
    let h = |p: PathBuf| p.display().to_string();
    let mut v = vec![
        Component {
            name: "da".into(),
            kind: Kind::Da,
            program: bins.da.clone(),
            args: vec![
                "--da.home".into(),
                h(da_home(home)),
                "--da.listen".into(),
                ports.da_rpc.to_string(),
                "--da.block-time-ms".into(),
                t.da_block_time.as_millis().to_string(),
                "--da.auth-token".into(),
                manifest.da.auth_token.clone(),
            ],
            env: vec![],
            stop_signal: libc::SIGTERM,
            probes: vec![Probe::DaRpc {
                url: url(ports.da_rpc),
                token: manifest.da.auth_token.clone(),
            }],
            after_bridges: false,
        },
        Component {
            name: "l1".into(),
            kind: Kind::L1,
            program: bins.l1.clone(),
            args: vec![
                "start".into(),
                "--home".into(),
                h(l1_home(home)),
                "--rpc.listen".into(),
                ports.l1_rpc.to_string(),
                "--block-time-ms".into(),
                t.l1_block_time.as_millis().to_string(),
                "--dev".into(),
            ],
            env: vec![],
            stop_signal: libc::SIGINT,
            probes: vec![Probe::CometRpc(url(ports.l1_rpc))],
            after_bridges: false,
        },
    ];
    for (m, (rpc, json)) in manifest.minitias.iter().zip(&ports.minitias) {
        let mut probes = vec![Probe::CometRpc(url(*rpc))];
        if crate::up::serves_json_rpc(&m.vm) {
            probes.push(Probe::EthRpc(url(*json)));
        }
        v.push(Component {
            name: m.name.clone(),
            kind: Kind::Minitia,
            program: bins.minitia.clone(),
            args: vec![
                "start".into(),
                "--home".into(),
                h(minitia_home(home, &m.name)),
                "--rpc.listen".into(),
                rpc.to_string(),
                "--json-rpc.listen".into(),
                json.to_string(),
                "--sequencer.block-time".into(),
                format!("{}ms", t.minitia_block_time.as_millis()),
                "--sequencer.create-empty-blocks".into(),
                "true".into(),
            ],
            env: vec![],
            stop_signal: libc::SIGTERM,
            probes,
            after_bridges: false,
        });
    }
    for ((((m, (rpc, _)), api), st), bm) in manifest
        .minitias
        .iter()
        .zip(&ports.minitias)
        .zip(&ports.executor_api)
        .zip(&ports.challenger_status)
        .zip(&ports.batcher_metrics)
    {
        let env = bot_env(manifest, m, ports, *rpc, *api);
        let mh = h(minitia_home(home, &m.name));
        let mut challenger_env = env.clone();
        challenger_env.push((
            minitia_template::config::env_var_name("chain", "data_dir"),
            h(challenger_data(home, &m.name)),
        ));
        v.push(Component {
            name: format!("{}-batcher", m.name),
            kind: Kind::Bot,
            program: bins.minitia.clone(),
            args: vec![
                "batcher".into(),
                "--home".into(),
                mh.clone(),
                "--batch.metrics-listen".into(),
                bm.to_string(),
            ],
            env: env.clone(),
            stop_signal: libc::SIGTERM,
            probes: vec![Probe::Http(format!("{}/status", url(*bm)))],
            after_bridges: true,
        });
        v.push(Component {
            name: format!("{}-executor", m.name),
            kind: Kind::Bot,
            program: bins.minitia.clone(),
            args: vec!["executor".into(), "--home".into(), mh.clone()],
            env,
            stop_signal: libc::SIGTERM,
            probes: vec![Probe::Http(format!("{}/status", url(*api)))],
            after_bridges: true,
        });
        v.push(Component {
            name: format!("{}-challenger", m.name),
            kind: Kind::Bot,
            program: bins.minitia.clone(),
            args: vec![
                "challenger".into(),
                "--home".into(),
                mh,
                "--challenger.listen".into(),
                st.to_string(),
            ],
            env: challenger_env,
            stop_signal: libc::SIGTERM,
            probes: vec![Probe::Http(format!("{}/status", url(*st)))],
            after_bridges: true,
        });
    }
    v
}

/// The `MINITIA_<SECTION>_<FIELD>` overrides (see `minitia_template::config`) that point the
/// bots of minitia `m` at this localnet: its node, the L1, its bridge and the DA node. Passed
/// to the bot processes instead of rewriting `minitia.toml`, so the home stays as created.
pub fn bot_settings(
    manifest: &Manifest,
    m: &crate::manifest::MinitiaInfo,
    ports: &Ports,
    rpc: SocketAddr,
    api: SocketAddr,
) -> Vec<(&'static str, &'static str, String)> {
    // The manifest's namespace is a full 29-byte v0 namespace; the config takes its 10-byte id.
    let ns = &manifest.da.namespace;
    let ns_id = ns.get(ns.len().saturating_sub(20)..).unwrap_or_default();
    vec![
        ("rpc", "listen", rpc.to_string()),
        ("l1", "rpc", url(ports.l1_rpc)),
        ("l1", "chain_id", manifest.l1.chain_id.clone()),
        ("l1", "bech32_prefix", manifest.l1.prefix.clone()),
        // The localnet L1 runs with no minimum gas price.
        ("l1", "gas_price", format!("0{}", manifest.l1.denom)),
        (
            "l1",
            "bridge_id",
            m.bridge_id.unwrap_or_default().to_string(),
        ),
        ("da", "rpc", url(ports.da_rpc)),
        ("da", "auth_token", manifest.da.auth_token.clone()),
        ("da", "namespace", ns_id.to_string()),
        ("batch", "node_rpc", url(rpc)),
        ("bridge", "api_listen", api.to_string()),
        ("bridge", "l2_rpc", url(rpc)),
    ]
}

/// [`bot_settings`] as `MINITIA_<SECTION>_<KEY>` environment variables.
pub fn bot_env(
    manifest: &Manifest,
    m: &crate::manifest::MinitiaInfo,
    ports: &Ports,
    rpc: SocketAddr,
    api: SocketAddr,
) -> Vec<(String, String)> {
    bot_settings(manifest, m, ports, rpc, api)
        .into_iter()
        .map(|(s, k, v)| (minitia_template::config::env_var_name(s, k), v))
        .collect()
}

/// Writes [`bot_settings`] (but the node's own `rpc.listen`, which its flags set) into each minitia's `minitia.toml`, so `minitia bridge ...`,
/// `minitia executor` and the rest work against the localnet with just `--home`.
pub fn write_client_config(home: &Path, manifest: &Manifest, ports: &Ports) -> eyre::Result<()> {
    for ((m, (rpc, _)), api) in manifest
        .minitias
        .iter()
        .zip(&ports.minitias)
        .zip(&ports.executor_api)
    {
        let values: Vec<_> = bot_settings(manifest, m, ports, *rpc, *api)
            .into_iter()
            .filter(|(s, _, _)| *s != "rpc")
            .map(|(s, k, v)| {
                let v = match v.parse::<i64>() {
                    Ok(n) if k == "bridge_id" => minitia_template::toml::Value::Integer(n),
                    _ => minitia_template::toml::Value::String(v),
                };
                (s, k, v)
            })
            .collect();
        let mh = minitia_home(home, &m.name);
        minitia_template::config::set_in_file(&mh, &values)
            .map_err(|e| eyre::eyre!("cannot write the {} minitia's config: {e}", m.name))?;
    }
    Ok(())
}
