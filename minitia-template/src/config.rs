//! The node's `minitia.toml`: one section per component, every field optional.
//!
//! Precedence, lowest to highest: built-in defaults, `<home>/minitia.toml`, environment
//! variables, command-line flags (applied by the CLI on the loaded [`NodeConfig`]).
//!
//! Every field can be overridden from the environment as `MINITIA_<SECTION>_<FIELD>`, upper
//! case, e.g. `MINITIA_RPC_LISTEN=0.0.0.0:26657`, `MINITIA_SEQUENCER_BLOCK_TIME=1s`,
//! `MINITIA_SEQUENCER_CREATE_EMPTY_BLOCKS=true`, `MINITIA_MEMPOOL_MAX_TXS=5000`.
//!
//! Relative paths are relative to the home directory ([`NodeConfig::resolve`]).

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize, Serializer};

/// Name of the config file inside a home directory.
pub const CONFIG_FILE: &str = "minitia.toml";

/// Prefix of environment overrides.
pub const ENV_PREFIX: &str = "MINITIA_";

/// Smallest accepted block time.
pub const MIN_BLOCK_TIME: Duration = Duration::from_millis(10);
/// Largest accepted block time.
pub const MAX_BLOCK_TIME: Duration = Duration::from_secs(60);

/// Why the configuration could not be loaded. Messages name the source, the field and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{path} is not valid TOML: {message}")]
    Syntax {
        /// File.
        path: PathBuf,
        /// Parser message (with line and column).
        message: String,
    },
    /// A field has a bad value, or is unknown.
    #[error("{source_name}: {field}{value}: {message}", value = fmt_value(.value))]
    Field {
        /// `minitia.toml` or the environment variable.
        source_name: String,
        /// `section.field`.
        field: String,
        /// The value given, as written.
        value: Option<String>,
        /// What was expected.
        message: String,
    },
}

fn fmt_value(v: &Option<String>) -> String {
    v.as_ref().map(|v| format!(" = {v}")).unwrap_or_default()
}

/// The node configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Genesis and data locations.
    pub chain: ChainConfig,
    /// Block production.
    pub sequencer: SequencerConfig,
    /// Pending transactions.
    pub mempool: MempoolConfig,
    /// CometBFT-compatible RPC server.
    pub rpc: RpcConfig,
    /// Logging.
    pub log: LogConfig,
    /// The settlement L1 (bridge, outputs, batch records).
    pub l1: L1Config,
    /// The data-availability layer batches go to.
    pub da: DaConfig,
    /// The batch submitter.
    pub batch: BatchConfig,
    /// The bridge bots (output proposer, executor).
    pub bridge: BridgeConfig,
}

/// `[chain]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChainConfig {
    /// Genesis file, home-relative unless absolute.
    pub genesis: PathBuf,
    /// Data directory (block store, state, mempool), home-relative unless absolute.
    pub data_dir: PathBuf,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            genesis: "genesis.json".into(),
            data_dir: "data".into(),
        }
    }
}

/// `[sequencer]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SequencerConfig {
    /// Time between blocks, e.g. `"500ms"`, `"2s"`.
    #[serde(
        serialize_with = "serialize_duration",
        deserialize_with = "deserialize_block_time"
    )]
    pub block_time: Duration,
    /// Seal blocks that carry no transactions.
    pub create_empty_blocks: bool,
    /// The sequencer's ed25519 key (CometBFT format), home-relative unless absolute.
    pub validator_key: PathBuf,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self {
            block_time: Duration::from_millis(500),
            create_empty_blocks: false,
            validator_key: "keys/priv_validator_key.json".into(),
        }
    }
}

/// `[mempool]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MempoolConfig {
    /// Most pending transactions.
    pub max_txs: usize,
    /// Most pending bytes.
    pub max_bytes: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 10_000,
            max_bytes: 100 * 1024 * 1024,
        }
    }
}

/// `[rpc]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RpcConfig {
    /// Listen address of the CometBFT JSON-RPC server.
    #[serde(deserialize_with = "deserialize_socket_addr")]
    pub listen: SocketAddr,
    /// Tx event indexing, as CometBFT's `[tx_index] indexer`: `"kv"` indexes every event for
    /// `tx_search`, `"null"` does not (blocks store faster; `tx` by hash still works).
    /// `"auto"`: `"kv"`, except for `minitia challenger`, which never searches its own node.
    pub tx_index: TxIndexer,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 26657)),
            tx_index: TxIndexer::Auto,
        }
    }
}

/// `[rpc] tx_index`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxIndexer {
    /// `Kv`, or `Null` for a challenger.
    #[default]
    Auto,
    /// Index events (CometBFT's `kv`).
    Kv,
    /// No event index.
    Null,
}

/// `[l1]`: the settlement L1. An empty `rpc` runs the minitia without an L1: no batch records,
/// no outputs, no deposits (a standalone chain, as `minitia new` creates it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct L1Config {
    /// CometBFT RPC URL of the L1, e.g. `http://127.0.0.1:26657`; empty = no L1.
    pub rpc: String,
    /// The L1's chain id; empty = asked from the node at start.
    pub chain_id: String,
    /// Bech32 prefix of L1 addresses.
    pub bech32_prefix: String,
    /// Gas price of L1 txs, e.g. `0.15uinit`.
    pub gas_price: String,
    /// This minitia's bridge id on the L1; 0 = not registered yet (bots wait).
    pub bridge_id: u64,
}

impl Default for L1Config {
    fn default() -> Self {
        Self {
            rpc: String::new(),
            chain_id: String::new(),
            bech32_prefix: "init".into(),
            gas_price: "0.15uinit".into(),
            bridge_id: 0,
        }
    }
}

/// `[da]`: a celestia-node JSON-RPC endpoint (our `minitia-da` or a real light/bridge node).
/// An empty `rpc` posts batches to the L1 (`MsgRecordBatch` data), like OPinit's INITIA DA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaConfig {
    /// celestia-node RPC URL, e.g. `http://127.0.0.1:26658`; empty = batches go to the L1.
    pub rpc: String,
    /// Bearer token for the node's auth; empty = none.
    pub auth_token: String,
    /// Namespace id as hex (up to 10 bytes, v0 namespace); empty = sha256(chain_id)[..10].
    pub namespace: String,
    /// Celestia gas price in utia per gas, e.g. `"0.002"`; empty = the node's estimate.
    pub gas_price: String,
    /// After DA has been unreachable this long, batches go to the L1 until it recovers.
    #[serde(
        serialize_with = "serialize_duration",
        deserialize_with = "deserialize_duration"
    )]
    pub failover_after: Duration,
}

impl Default for DaConfig {
    fn default() -> Self {
        Self {
            rpc: String::new(),
            auth_token: String::new(),
            namespace: String::new(),
            gas_price: String::new(),
            failover_after: Duration::from_secs(300),
        }
    }
}

/// `[batch]`: the batch submitter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchConfig {
    /// Run the batch submitter (needs `[l1] rpc`).
    pub enabled: bool,
    /// Post at least this often when there are new blocks.
    #[serde(
        serialize_with = "serialize_duration",
        deserialize_with = "deserialize_duration"
    )]
    pub interval: Duration,
    /// Most blocks in one batch.
    pub max_blocks: u64,
    /// CometBFT RPC of the minitia node the batcher reads blocks from; empty = this home's
    /// `[rpc] listen`.
    pub node_rpc: String,
    /// Largest blob of a batch recorded inline on the L1 (failover, or no DA); keep it under
    /// the L1's max tx bytes minus ~1 KiB of envelope.
    pub inline_chunk_bytes: u64,
    /// Serve `GET /metrics` (Prometheus) and `GET /status` on this address, e.g.
    /// `127.0.0.1:26761`; empty = no server.
    pub metrics_listen: String,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            interval: Duration::from_secs(2),
            max_blocks: 500,
            node_rpc: String::new(),
            inline_chunk_bytes: 300_000,
            metrics_listen: String::new(),
        }
    }
}

/// `[bridge]`: the output proposer and the bridge executor (need `[l1] rpc` and `bridge_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BridgeConfig {
    /// Propose outputs (with the `proposer` key).
    pub proposer: bool,
    /// Relay deposits and serve withdrawal proofs (with the `executor` key).
    pub executor: bool,
    /// Listen address of the executor's HTTP API (`/withdrawal/{sequence}`, `/status`).
    #[serde(deserialize_with = "deserialize_socket_addr")]
    pub api_listen: SocketAddr,
    /// CometBFT RPC URL of the minitia the executor serves; empty = this home's `[rpc] listen`.
    pub l2_rpc: String,
    /// How often the executor polls both chains when idle.
    #[serde(
        serialize_with = "serialize_duration",
        deserialize_with = "deserialize_duration"
    )]
    pub poll_interval: Duration,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        Self {
            proposer: true,
            executor: true,
            api_listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            l2_rpc: String::new(),
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing` filter: a level (`info`) or directives (`info,minitia_chain=debug`).
    /// `RUST_LOG`, when set, wins.
    pub level: String,
    /// Output format.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(format!(
                "unknown log format {s:?}: expected \"text\" or \"json\""
            )),
        }
    }
}

/// Parses `"500ms"`, `"2s"`, `"1m"` (an integer and a unit: `ms`, `s` or `m`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let expected = || format!("expected a duration like \"500ms\" or \"2s\", got {s:?}");
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(expected)?;
    let (num, unit) = s.split_at(split);
    if num.is_empty() {
        return Err(expected());
    }
    let n: u64 = num.parse().map_err(|_| expected())?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => n
            .checked_mul(60)
            .map(Duration::from_secs)
            .ok_or_else(expected),
        _ => Err(expected()),
    }
}

/// Parses a block time and checks it lies within [`MIN_BLOCK_TIME`]..=[`MAX_BLOCK_TIME`].
pub fn parse_block_time(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < MIN_BLOCK_TIME || d > MAX_BLOCK_TIME {
        return Err(format!(
            "block time {s:?} is out of range: use between {} and {}",
            format_duration(MIN_BLOCK_TIME),
            format_duration(MAX_BLOCK_TIME)
        ));
    }
    Ok(d)
}

/// Formats a duration the way [`parse_duration`] reads it.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms > 0 && ms.checked_rem(60_000) == Some(0) {
        format!("{}m", ms / 60_000)
    } else if ms > 0 && ms.checked_rem(1000) == Some(0) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Parses `host:port` with a numeric IP.
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("expected an address like \"127.0.0.1:26657\", got {s:?}"))
}

fn serialize_duration<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_duration(*d))
}

fn deserialize_block_time<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d).map_err(|_| {
        serde::de::Error::custom("expected a duration like \"500ms\" or \"2s\" (a quoted string)")
    })?;
    parse_block_time(&s).map_err(serde::de::Error::custom)
}

fn deserialize_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d).map_err(|_| {
        serde::de::Error::custom("expected a duration like \"500ms\" or \"2s\" (a quoted string)")
    })?;
    parse_duration(&s).map_err(serde::de::Error::custom)
}

fn deserialize_socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let s = String::deserialize(d).map_err(|_| {
        serde::de::Error::custom("expected an address like \"127.0.0.1:26657\" (a quoted string)")
    })?;
    parse_listen(&s).map_err(serde::de::Error::custom)
}

impl NodeConfig {
    /// Reads `<home>/minitia.toml` (defaults if it is absent), then applies `MINITIA_*`
    /// environment overrides.
    pub fn load(home: &Path) -> Result<Self, ConfigError> {
        Self::load_with_env(home, |k| std::env::var(k).ok())
    }

    /// [`NodeConfig::load`] with an injectable environment (for tests).
    pub fn load_with_env(
        home: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let path = home.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(ConfigError::Io { path, source }),
        };
        let mut cfg = Self::parse(&text).map_err(|e| match e {
            ConfigError::Syntax { message, .. } => ConfigError::Syntax {
                path: path.clone(),
                message,
            },
            other => other,
        })?;
        cfg.apply_env(env)?;
        Ok(cfg)
    }

    /// Parses the text of a `minitia.toml`. Errors name `minitia.toml` and the field.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let root: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                path: CONFIG_FILE.into(),
                message: e.to_string(),
            })?;
        let mut cfg = Self::default();
        for (section, value) in &root {
            let field_err =
                |field: String, value: Option<String>, message: String| ConfigError::Field {
                    source_name: CONFIG_FILE.into(),
                    field,
                    value,
                    message,
                };
            let Some(table) = value.as_table() else {
                return Err(field_err(
                    section.clone(),
                    Some(value.to_string()),
                    format!("expected a section: write it as [{section}]"),
                ));
            };
            match section.as_str() {
                "chain" => cfg.chain = parse_section(section, table)?,
                "sequencer" => cfg.sequencer = parse_section(section, table)?,
                "mempool" => cfg.mempool = parse_section(section, table)?,
                "rpc" => cfg.rpc = parse_section(section, table)?,
                "log" => cfg.log = parse_section(section, table)?,
                "l1" => cfg.l1 = parse_section(section, table)?,
                "da" => cfg.da = parse_section(section, table)?,
                "batch" => cfg.batch = parse_section(section, table)?,
                "bridge" => cfg.bridge = parse_section(section, table)?,
                _ => {
                    return Err(field_err(
                        format!("[{section}]"),
                        None,
                        format!(
                            "unknown section; known sections are {}",
                            SECTIONS.map(|s| format!("[{s}]")).join(", ")
                        ),
                    ))
                }
            }
        }
        Ok(cfg)
    }

    /// Applies `MINITIA_<SECTION>_<FIELD>` overrides read through `env`.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let defaults = toml::Table::try_from(&*self).map_err(|e| ConfigError::Field {
            source_name: "environment".into(),
            field: String::new(),
            value: None,
            message: e.to_string(),
        })?;
        for (section, fields) in &defaults {
            let Some(fields) = fields.as_table() else {
                continue;
            };
            let mut overrides = toml::Table::new();
            for (field, current) in fields {
                let var = env_var_name(section, field);
                let Some(raw) = env(&var) else { continue };
                let bad = |message: String| ConfigError::Field {
                    source_name: format!("environment variable {var}"),
                    field: format!("{section}.{field}"),
                    value: Some(format!("{raw:?}")),
                    message,
                };
                let v = match current {
                    toml::Value::Boolean(_) => match raw.trim() {
                        "true" | "1" => toml::Value::Boolean(true),
                        "false" | "0" => toml::Value::Boolean(false),
                        _ => return Err(bad("expected true or false".into())),
                    },
                    toml::Value::Integer(_) => toml::Value::Integer(
                        raw.trim()
                            .parse()
                            .map_err(|_| bad("expected a non-negative integer".into()))?,
                    ),
                    _ => toml::Value::String(raw.clone()),
                };
                overrides.insert(field.clone(), v);
            }
            if overrides.is_empty() {
                continue;
            }
            // Merge the overrides over the current section, then re-validate it.
            let mut merged = fields.clone();
            let mut source = String::new();
            for (k, v) in overrides {
                source = env_var_name(section, &k);
                merged.insert(k, v);
            }
            let relabel = |e: ConfigError| match e {
                ConfigError::Field {
                    field,
                    value,
                    message,
                    ..
                } => ConfigError::Field {
                    source_name: format!(
                        "environment variable {}",
                        env_var_name_from_path(&field).unwrap_or(source.clone())
                    ),
                    field,
                    value,
                    message,
                },
                other => other,
            };
            match section.as_str() {
                "chain" => self.chain = parse_section(section, &merged).map_err(relabel)?,
                "sequencer" => self.sequencer = parse_section(section, &merged).map_err(relabel)?,
                "mempool" => self.mempool = parse_section(section, &merged).map_err(relabel)?,
                "rpc" => self.rpc = parse_section(section, &merged).map_err(relabel)?,
                "log" => self.log = parse_section(section, &merged).map_err(relabel)?,
                "l1" => self.l1 = parse_section(section, &merged).map_err(relabel)?,
                "da" => self.da = parse_section(section, &merged).map_err(relabel)?,
                "batch" => self.batch = parse_section(section, &merged).map_err(relabel)?,
                "bridge" => self.bridge = parse_section(section, &merged).map_err(relabel)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// `path` resolved against `home` unless it is absolute.
    pub fn resolve(home: &Path, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            home.join(path)
        }
    }

    /// The genesis file.
    pub fn genesis_path(&self, home: &Path) -> PathBuf {
        Self::resolve(home, &self.chain.genesis)
    }

    /// The data directory.
    pub fn data_dir(&self, home: &Path) -> PathBuf {
        Self::resolve(home, &self.chain.data_dir)
    }

    /// The sequencer's validator key file.
    pub fn validator_key_path(&self, home: &Path) -> PathBuf {
        Self::resolve(home, &self.sequencer.validator_key)
    }

    /// The configuration as TOML (no comments; the commented reference is
    /// `minitia.toml.example`).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// The sections of `minitia.toml`, in file order.
pub const SECTIONS: [&str; 9] = [
    "chain",
    "sequencer",
    "mempool",
    "rpc",
    "log",
    "l1",
    "da",
    "batch",
    "bridge",
];

/// `MINITIA_<SECTION>_<FIELD>`.
pub fn env_var_name(section: &str, field: &str) -> String {
    format!("{ENV_PREFIX}{}_{}", section, field).to_uppercase()
}

fn env_var_name_from_path(path: &str) -> Option<String> {
    let (s, f) = path.split_once('.')?;
    Some(env_var_name(s, f))
}

/// Deserializes a section key by key, so an error names `section.field` and its value.
fn parse_section<T: DeserializeOwned>(
    section: &str,
    table: &toml::Table,
) -> Result<T, ConfigError> {
    for (key, value) in table {
        let mut one = toml::Table::new();
        one.insert(key.clone(), value.clone());
        if let Err(e) = T::deserialize(toml::Value::Table(one)) {
            return Err(ConfigError::Field {
                source_name: CONFIG_FILE.into(),
                field: format!("{section}.{key}"),
                value: Some(value.to_string()),
                message: clean_serde_message(e.message()),
            });
        }
    }
    T::deserialize(toml::Value::Table(table.clone())).map_err(|e| ConfigError::Field {
        source_name: CONFIG_FILE.into(),
        field: format!("[{section}]"),
        value: None,
        message: clean_serde_message(e.message()),
    })
}

/// Turns serde's wording into advice ("unknown field `x`, expected one of ..." stays; type
/// errors say what to write).
fn clean_serde_message(m: &str) -> String {
    // toml appends "\nin `key`"; the caller already names the field.
    let m = m.split("\nin `").next().unwrap_or(m).trim();
    if let Some(rest) = m.strip_prefix("unknown field ") {
        return format!("unknown field {rest}");
    }
    if let Some(rest) = m.strip_prefix("invalid type: ") {
        if let Some((got, want)) = rest.split_once(", expected ") {
            let want = match want {
                "usize" | "u64" | "u32" => "a non-negative integer",
                "a boolean" => "true or false",
                other => other,
            };
            return format!("expected {want}, got {got}");
        }
    }
    m.to_string()
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Json => "json",
        })
    }
}

/// Sets `section.key = value` in `<home>/minitia.toml`, keeping every other line (comments
/// included): an existing `key = ...` line of the section is replaced, else the line is added
/// at the section's end (the section is appended when missing). The result must load.
pub fn set_in_file(home: &Path, values: &[(&str, &str, toml::Value)]) -> Result<(), ConfigError> {
    let path = home.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
        path: path.clone(),
        source,
    })?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (section, key, value) in values {
        let line = format!("{key} = {value}");
        let header = format!("[{section}]");
        let start = lines.iter().position(|l| l.trim() == header);
        let Some(start) = start else {
            lines.push(String::new());
            lines.push(header);
            lines.push(line);
            continue;
        };
        let end = lines[start + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with('['))
            .map_or(lines.len(), |i| start + 1 + i);
        let existing = (start + 1..end).find(|&i| {
            let l = lines[i].trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        });
        match existing {
            Some(i) => lines[i] = line,
            None => {
                // After the section's last non-blank line.
                let mut at = end;
                while at > start + 1 && lines[at - 1].trim().is_empty() {
                    at -= 1;
                }
                lines.insert(at, line);
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    toml::from_str::<toml::Table>(&out).map_err(|e| ConfigError::Syntax {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, &out)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|source| ConfigError::Io { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(NodeConfig::parse("").unwrap(), NodeConfig::default());
        let d = NodeConfig::default();
        assert_eq!(d.sequencer.block_time, Duration::from_millis(500));
        assert_eq!(d.rpc.listen.to_string(), "127.0.0.1:26657");
        assert_eq!(d.mempool.max_bytes, 104_857_600);
    }

    #[test]
    fn example_file_parses_to_defaults() {
        let text = include_str!("../minitia.toml.example");
        assert_eq!(NodeConfig::parse(text).unwrap(), NodeConfig::default());
    }

    #[test]
    fn defaults_round_trip_through_toml() {
        let d = NodeConfig::default();
        assert_eq!(NodeConfig::parse(&d.to_toml()).unwrap(), d);
    }

    #[test]
    fn fields_parse() {
        let c = NodeConfig::parse(
            "[sequencer]\nblock_time = \"2s\"\ncreate_empty_blocks = true\n\
             [rpc]\nlisten = \"0.0.0.0:1234\"\n[log]\nformat = \"json\"\n[mempool]\nmax_txs = 5\n",
        )
        .unwrap();
        assert_eq!(c.sequencer.block_time, Duration::from_secs(2));
        assert!(c.sequencer.create_empty_blocks);
        assert_eq!(c.rpc.listen.port(), 1234);
        assert_eq!(c.log.format, LogFormat::Json);
        assert_eq!(c.mempool.max_txs, 5);
        assert_eq!(c.mempool.max_bytes, MempoolConfig::default().max_bytes);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("50ms").unwrap(), Duration::from_millis(50));
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        for bad in ["5", "", "ms", "1.5s", "5 hours", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        let e = parse_block_time("5ms").unwrap_err();
        assert!(e.contains("between 10ms and 1m"), "{e}");
        assert!(parse_block_time("2m").is_err());
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
    }

    #[test]
    fn bad_duration_names_file_field_and_fix() {
        let e = NodeConfig::parse("[sequencer]\nblock_time = \"5\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "minitia.toml: sequencer.block_time = \"5\": expected a duration like \"500ms\" or \"2s\", got \"5\""
        );
        let e = NodeConfig::parse("[sequencer]\nblock_time = 5\n").unwrap_err();
        assert!(e.to_string().contains("sequencer.block_time = 5"), "{e}");
        assert!(e.to_string().contains("quoted string"), "{e}");
        let e = NodeConfig::parse("[sequencer]\nblock_time = \"1ms\"\n").unwrap_err();
        assert!(e.to_string().contains("use between 10ms and 1m"), "{e}");
    }

    #[test]
    fn typos_are_named() {
        let e = NodeConfig::parse("[sequencer]\nblok_time = \"1s\"\n").unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("minitia.toml: sequencer.blok_time"), "{s}");
        assert!(s.contains("unknown field `blok_time`"), "{s}");
        assert!(s.contains("block_time"), "{s}");
        let e = NodeConfig::parse("[sequncer]\n").unwrap_err();
        assert!(e.to_string().contains("[sequncer]: unknown section"), "{e}");
        let e = NodeConfig::parse("[mempool]\nmax_txs = \"many\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "minitia.toml: mempool.max_txs = \"many\": expected a non-negative integer, got string \"many\""
        );
        let e = NodeConfig::parse("[log]\nformat = \"yaml\"\n").unwrap_err();
        assert!(e.to_string().contains("log.format"), "{e}");
        assert!(e.to_string().contains("text"), "{e}");
        let e = NodeConfig::parse("[rpc]\nlisten = \"localhost\"\n").unwrap_err();
        assert!(e.to_string().contains("127.0.0.1:26657"), "{e}");
        let e = NodeConfig::parse("rpc = 1\n").unwrap_err();
        assert!(e.to_string().contains("[rpc]"), "{e}");
        let e = NodeConfig::parse("[rpc\n").unwrap_err();
        assert!(matches!(e, ConfigError::Syntax { .. }));
    }

    #[test]
    fn env_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "[rpc]\nlisten = \"127.0.0.1:1\"\n[sequencer]\nblock_time = \"2s\"\n",
        )
        .unwrap();
        let c = NodeConfig::load_with_env(dir.path(), no_env).unwrap();
        assert_eq!(c.rpc.listen.port(), 1);
        let env: HashMap<&str, &str> = [
            ("MINITIA_RPC_LISTEN", "127.0.0.1:2"),
            ("MINITIA_SEQUENCER_CREATE_EMPTY_BLOCKS", "true"),
            ("MINITIA_MEMPOOL_MAX_TXS", "7"),
            ("MINITIA_CHAIN_DATA_DIR", "/var/lib/m"),
            ("MINITIA_RPC_TX_INDEX", "null"),
        ]
        .into();
        let c =
            NodeConfig::load_with_env(dir.path(), |k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(c.rpc.listen.port(), 2);
        assert_eq!(
            c.sequencer.block_time,
            Duration::from_secs(2),
            "file value kept"
        );
        assert!(c.sequencer.create_empty_blocks);
        assert_eq!(c.mempool.max_txs, 7);
        assert_eq!(c.rpc.tx_index, TxIndexer::Null);
        assert_eq!(c.data_dir(dir.path()), PathBuf::from("/var/lib/m"));
        assert_eq!(c.genesis_path(dir.path()), dir.path().join("genesis.json"));

        let e = NodeConfig::load_with_env(dir.path(), |k| {
            (k == "MINITIA_SEQUENCER_BLOCK_TIME").then(|| "5".to_string())
        })
        .unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with(
                "environment variable MINITIA_SEQUENCER_BLOCK_TIME: sequencer.block_time"
            ),
            "{s}"
        );
        let e = NodeConfig::load_with_env(dir.path(), |k| {
            (k == "MINITIA_MEMPOOL_MAX_TXS").then(|| "x".to_string())
        })
        .unwrap_err();
        assert!(e.to_string().contains("non-negative integer"), "{e}");
    }

    #[test]
    fn missing_file_is_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            NodeConfig::load_with_env(dir.path(), no_env).unwrap(),
            NodeConfig::default()
        );
    }

    #[test]
    fn set_in_file_replaces_adds_and_keeps_comments() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "# top\n[l1]\n# the L1\nrpc = \"\"\nbridge_id = 0\n\n[bridge]\napi_listen = \"127.0.0.1:3000\"\n",
        )
        .unwrap();
        set_in_file(
            dir.path(),
            &[
                (
                    "l1",
                    "rpc",
                    toml::Value::String("http://127.0.0.1:1".into()),
                ),
                ("l1", "bridge_id", toml::Value::Integer(7)),
                ("l1", "chain_id", toml::Value::String("l1-x".into())),
                (
                    "bridge",
                    "l2_rpc",
                    toml::Value::String("http://127.0.0.1:2".into()),
                ),
                (
                    "da",
                    "rpc",
                    toml::Value::String("http://127.0.0.1:3".into()),
                ),
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap();
        assert!(
            text.contains(
                "# the L1\nrpc = \"http://127.0.0.1:1\"\nbridge_id = 7\nchain_id = \"l1-x\"\n"
            ),
            "{text}"
        );
        let cfg = NodeConfig::load(dir.path()).unwrap();
        assert_eq!(cfg.l1.bridge_id, 7);
        assert_eq!(cfg.bridge.api_listen.to_string(), "127.0.0.1:3000");
        assert!(text.starts_with("# top\n"));
        assert!(
            text.ends_with("[da]\nrpc = \"http://127.0.0.1:3\"\n"),
            "{text}"
        );
    }
}
