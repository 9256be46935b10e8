//! A node's home directory: config, genesis, keys and a Cargo skeleton for custom code.
//!
//! ```text
//! <home>/
//!   minitia.toml                    node configuration (see minitia.toml.example)
//!   genesis.json                    CometBFT genesis; app_state.chain, .bank, .minitia
//!   keys/priv_validator_key.json    sequencer ed25519 key (CometBFT format)
//!   keys/{sequencer,proposer,executor,challenger}.json   operator accounts (secp256k1)
//!   keys/dev.json                   DEV ONLY: the well-known test account, funded
//!   Cargo.toml, src/main.rs         a node binary to extend with your own Rust code
//!   README.md
//! ```
//!
//! Operator and dev accounts are derived like the Cosmos SDK and CosmJS do: BIP39 mnemonic,
//! path `m/44'/118'/0'/0/0`, address = ripemd160(sha256(compressed public key)). The same 20
//! bytes are the account's EVM address.

use std::{
    fmt,
    io::Write,
    path::{Path, PathBuf},
};

use minitia_chain::node::{
    genesis::{ChainParams, GenesisDoc, GenesisValidator},
    keys::ValidatorKey,
};
use minitia_core::{Address, ChainId};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::config::{NodeConfig, CONFIG_FILE};

/// The CosmJS / Cosmos SDK test mnemonic. **Dev only**: everyone knows its keys.
pub const DEV_MNEMONIC: &str = "notice oak worry limit wrap speak medal online prefer cluster roof addict wrist behave treat actual wasp year salad speed social layer crew genius";

/// Genesis balance of the dev account, in the fee denom.
pub const DEV_BALANCE: u128 = 1_000_000_000_000;

/// Genesis balance of each operator account, in the fee denom (they pay fees on the minitia).
pub const OPERATOR_BALANCE: u128 = 1_000_000_000;

/// The operator roles that get an account at `new`.
pub const OPERATOR_ROLES: [&str; 4] = ["sequencer", "proposer", "executor", "challenger"];

/// Cosmos SDK HD path for account 0.
pub const COSMOS_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// Folder of key files inside a home.
pub const KEYS_DIR: &str = "keys";

/// Voting power of the sequencer in genesis.
pub const SEQUENCER_POWER: u64 = 10;

const REFERENCE_CONFIG: &str = include_str!("../minitia.toml.example");

/// Why a home (or a key in it) could not be created or read.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// The target already exists.
    #[error("{0} already exists; choose another name or --home-dir, or delete it first")]
    Exists(PathBuf),
    /// A bad name, chain id, prefix or denom.
    #[error("{0}")]
    Invalid(String),
    /// A mnemonic that is not valid English BIP39.
    #[error("invalid mnemonic: {0}")]
    Mnemonic(String),
    /// Filesystem failure.
    #[error("{path}: {source}")]
    Io {
        /// File or folder.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A key file is missing or malformed.
    #[error("key file {path}: {reason}")]
    Key {
        /// File.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> HomeError + '_ {
    move |source| HomeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What `create_home` writes.
#[derive(Debug, Clone)]
pub struct HomeOptions {
    /// Minitia name (also the Cargo package name).
    pub name: String,
    /// Chain id.
    pub chain_id: String,
    /// Execution engine.
    /// The execution engine, as genesis names it (`app_state.minitia.vm`: `evm`, `move`,
    /// `none`); `minitia new` checks it against the engine registry.
    pub vm: String,
    /// Bech32 prefix of accounts.
    pub bech32_prefix: String,
    /// Fee denom.
    pub fee_denom: String,
    /// Mnemonic of the funded dev account; `None` uses [`DEV_MNEMONIC`].
    pub dev_mnemonic: Option<String>,
    /// Where the generated crate finds the SDK.
    pub sdk: SdkSource,
}

/// Where a new home's Cargo crate finds the Minitia SDK.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SdkSource {
    /// The SDK source this binary was built from ([`sdk_source_dir`]), if it is still there.
    #[default]
    BuiltFrom,
    /// A checkout of the SDK (the folder holding its workspace `Cargo.toml`).
    Path(PathBuf),
    /// A git repository of the SDK (cargo fetches it on the first build).
    Git(String),
}

/// The SDK source this binary was built from: the workspace folder above `minitia-template`.
pub fn sdk_source_dir() -> PathBuf {
    template_crate_dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// How a generated crate depends on the SDK.
struct SdkDeps {
    /// `Cargo.toml` placeholder → dependency value, one per SDK crate.
    deps: Vec<(&'static str, String)>,
    /// Where they come from, for a comment.
    from: String,
    /// The SDK folder, when it is local (its lock file is copied).
    dir: Option<PathBuf>,
}

/// The `Cargo.toml` dependency values for the SDK's crates, or why `sdk` does not resolve.
fn sdk_deps(sdk: &SdkSource) -> Result<SdkDeps, HomeError> {
    const CRATES: [(&str, &str); 4] = [
        ("@SDK_ENGINES@", "engines"),
        ("@SDK_APP@", "app"),
        ("@SDK_CORE@", "core"),
        ("@SDK_TEMPLATE@", "minitia-template"),
    ];
    let from_dir = |dir: &Path, what: &str| -> Result<_, HomeError> {
        let dir = dir.canonicalize().map_err(|e| {
            HomeError::Invalid(format!(
                "{what} {} cannot be read ({e}); pass --sdk-path with a checkout of the Minitia SDK, or --sdk-git with its repository",
                dir.display()
            ))
        })?;
        for (_, sub) in CRATES {
            if !dir.join(sub).join("Cargo.toml").is_file() {
                return Err(HomeError::Invalid(format!(
                    "{what} {} is not the Minitia SDK (no {sub}/Cargo.toml); pass --sdk-path with a checkout of it, or --sdk-git with its repository",
                    dir.display()
                )));
            }
        }
        let deps = CRATES
            .iter()
            .map(|(k, sub)| {
                let p = toml::Value::String(dir.join(sub).display().to_string());
                (*k, format!("{{ path = {p} }}"))
            })
            .collect();
        Ok(SdkDeps {
            deps,
            from: format!("path {}", dir.display()),
            dir: Some(dir),
        })
    };
    match sdk {
        SdkSource::BuiltFrom => from_dir(
            &sdk_source_dir(),
            "the SDK source this binary was built from,",
        ),
        SdkSource::Path(p) => from_dir(p, "--sdk-path"),
        SdkSource::Git(url) => {
            if url.trim().is_empty() {
                return Err(HomeError::Invalid(
                    "--sdk-git needs a repository URL".into(),
                ));
            }
            let u = toml::Value::String(url.clone());
            let deps = CRATES
                .iter()
                .map(|(k, _)| (*k, format!("{{ git = {u} }}")))
                .collect();
            Ok(SdkDeps {
                deps,
                from: format!("git {url}"),
                dir: None,
            })
        }
    }
}

impl HomeOptions {
    /// Defaults for `name`: chain id `<name>-1`, Move VM, prefix `init`, denom `umin`.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            chain_id: format!("{name}-1"),
            name,
            vm: "move".into(),
            sdk: SdkSource::default(),
            bech32_prefix: "init".into(),
            fee_denom: "umin".into(),
            dev_mnemonic: None,
        }
    }
}

/// An account key file: `keys/<name>.json`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountKey {
    /// Key name.
    pub name: String,
    /// Bech32 address.
    pub address: String,
    /// The same 20 bytes as `0x` hex.
    pub evm_address: String,
    /// BIP39 mnemonic (path `m/44'/118'/0'/0/0`).
    pub mnemonic: String,
    /// `{"@type": "/cosmos.crypto.secp256k1.PubKey", "key": base64}`.
    pub public_key: serde_json::Value,
    /// Set on keys that must never hold real funds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the mnemonic by accident.
        f.debug_struct("AccountKey")
            .field("name", &self.name)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl AccountKey {
    /// Derives the account of `mnemonic` at [`COSMOS_HD_PATH`].
    pub fn from_mnemonic(name: &str, mnemonic: &str, prefix: &str) -> Result<Self, HomeError> {
        let phrase =
            bip32::Mnemonic::new(mnemonic.trim(), bip32::Language::English).map_err(|e| {
                HomeError::Mnemonic(format!("{e}; expected 12 or 24 English BIP39 words"))
            })?;
        let seed = phrase.to_seed("");
        let path: bip32::DerivationPath = COSMOS_HD_PATH
            .parse()
            .map_err(|e| HomeError::Invalid(format!("hd path: {e}")))?;
        let sk = cosmrs::crypto::secp256k1::SigningKey::derive_from_path(seed.as_bytes(), &path)
            .map_err(|e| HomeError::Mnemonic(format!("key derivation failed: {e}")))?;
        let pk = sk.public_key();
        let address = account_address(&pk.to_bytes());
        let public_key = serde_json::from_str(&pk.to_json())
            .map_err(|e| HomeError::Invalid(format!("public key json: {e}")))?;
        Ok(Self {
            name: name.into(),
            address: address.to_bech32(prefix),
            evm_address: address.to_hex(),
            mnemonic: phrase.phrase().to_string(),
            public_key,
            warning: None,
        })
    }

    /// A new account from a fresh 24-word mnemonic.
    pub fn generate(name: &str, prefix: &str) -> Result<Self, HomeError> {
        let phrase = bip32::Mnemonic::random(rand::rngs::OsRng, bip32::Language::English);
        Self::from_mnemonic(name, phrase.phrase(), prefix)
    }

    /// The 20 address bytes.
    pub fn address_bytes(&self) -> Result<Address, HomeError> {
        Address::parse_bech32_any(&self.address)
            .map(|(_, a)| a)
            .map_err(|e| HomeError::Invalid(e.to_string()))
    }

    /// Writes the key with mode 0600, refusing to replace an existing file.
    pub fn save(&self, path: &Path) -> Result<(), HomeError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| HomeError::Invalid(format!("key json: {e}")))?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                HomeError::Exists(path.to_path_buf())
            } else {
                HomeError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        f.write_all(&json).map_err(io_err(path))?;
        f.write_all(b"\n").map_err(io_err(path))?;
        f.sync_all().map_err(io_err(path))
    }

    /// Reads a key file written by [`AccountKey::save`].
    pub fn load(path: &Path) -> Result<Self, HomeError> {
        let bytes = std::fs::read(path).map_err(io_err(path))?;
        serde_json::from_slice(&bytes).map_err(|e| HomeError::Key {
            path: path.to_path_buf(),
            reason: format!("not an account key file ({e})"),
        })
    }
}

/// ripemd160(sha256(compressed secp256k1 public key)), the Cosmos SDK account address.
pub fn account_address(compressed_pubkey: &[u8]) -> Address {
    let sha = sha2::Sha256::digest(compressed_pubkey);
    let rip = ripemd::Ripemd160::digest(sha);
    let mut a = [0u8; 20];
    a.copy_from_slice(&rip);
    Address(a)
}

/// What `create_home` made, for the CLI to print.
#[derive(Debug, Clone)]
pub struct CreatedHome {
    /// The home directory.
    pub path: PathBuf,
    /// Chain id.
    pub chain_id: String,
    /// The sequencer's validator address (hex).
    pub validator_address: String,
    /// The funded dev account (dev only).
    pub dev: AccountKey,
    /// Operator accounts, in [`OPERATOR_ROLES`] order.
    pub operators: Vec<AccountKey>,
}

/// Checks a minitia name: it becomes a folder, a Cargo package and the default chain id.
pub fn validate_name(name: &str) -> Result<(), HomeError> {
    let ok_first = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let ok_rest = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok_first || !ok_rest || name.len() > 40 {
        return Err(HomeError::Invalid(format!(
            "invalid name {name:?}: use 1-40 letters, digits, '-' or '_', starting with a letter"
        )));
    }
    Ok(())
}

/// Creates a home at `path` (which must not exist, or be an empty folder). Steps are reported
/// to `progress` as they start.
pub fn create_home(
    path: &Path,
    opts: &HomeOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<CreatedHome, HomeError> {
    validate_name(&opts.name)?;
    ChainId::new(opts.chain_id.clone()).map_err(|e| HomeError::Invalid(e.to_string()))?;
    let prefix_ok = opts
        .bech32_prefix
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !prefix_ok || opts.bech32_prefix.is_empty() || opts.bech32_prefix.len() > 20 {
        return Err(HomeError::Invalid(format!(
            "invalid bech32 prefix {:?}: use lower-case letters such as \"init\"",
            opts.bech32_prefix
        )));
    }
    let bridged = opts
        .fee_denom
        .strip_prefix(minitia_core::opinit::L2_DENOM_PREFIX)
        .is_some_and(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()));
    if !bridged
        && (opts.fee_denom.len() < 3 || !opts.fee_denom.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(HomeError::Invalid(format!(
            "invalid fee denom {:?}: use 3 or more letters or digits such as \"umin\", or the L2 denom of a bridged L1 token (l2/<64 hex>)",
            opts.fee_denom
        )));
    }
    if path.exists() {
        let empty_dir = std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none());
        if !empty_dir {
            return Err(HomeError::Exists(path.to_path_buf()));
        }
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    // Build in a sibling folder and rename at the end, so a failure leaves nothing behind.
    let staging = parent.join(format!(".{}.partial-{}", opts.name, std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = write_home(&staging, path, opts, progress);
    match result {
        Ok(mut created) => {
            std::fs::rename(&staging, path).map_err(|e| {
                let _ = std::fs::remove_dir_all(&staging);
                HomeError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            })?;
            created.path = path.to_path_buf();
            Ok(created)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

fn write_file(path: &Path, contents: &str) -> Result<(), HomeError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    std::fs::write(path, contents).map_err(io_err(path))
}

fn write_home(
    dir: &Path,
    final_path: &Path,
    opts: &HomeOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<CreatedHome, HomeError> {
    let keys_dir = dir.join(KEYS_DIR);
    std::fs::create_dir_all(&keys_dir).map_err(io_err(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&keys_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err(&keys_dir))?;
    }

    progress("writing minitia.toml");
    write_file(&dir.join(CONFIG_FILE), REFERENCE_CONFIG)?;
    let config = NodeConfig::default();

    progress("generating the sequencer's validator key");
    let validator = ValidatorKey::generate();
    let vk_path = config.validator_key_path(dir);
    validator.save(&vk_path).map_err(|e| HomeError::Key {
        path: vk_path.clone(),
        reason: e.to_string(),
    })?;

    let mut operators = Vec::new();
    for role in OPERATOR_ROLES {
        progress(&format!("generating the {role} account"));
        let key = AccountKey::generate(role, &opts.bech32_prefix)?;
        key.save(&dir.join(KEYS_DIR).join(format!("{role}.json")))?;
        operators.push(key);
    }

    progress("deriving the dev account");
    let mut dev = AccountKey::from_mnemonic(
        "dev",
        opts.dev_mnemonic.as_deref().unwrap_or(DEV_MNEMONIC),
        &opts.bech32_prefix,
    )?;
    dev.warning =
        Some("DEV ONLY: this mnemonic is public; never send real funds to this account".into());
    dev.save(&dir.join(KEYS_DIR).join("dev.json"))?;

    progress("writing genesis.json");
    let genesis = build_genesis(opts, &validator, &dev, &operators)?;
    let json = serde_json::to_string_pretty(&genesis)
        .map_err(|e| HomeError::Invalid(format!("genesis json: {e}")))?;
    write_file(&config.genesis_path(dir), &(json + "\n"))?;

    progress("writing the Cargo crate (src/main.rs, an example module) and README.md");
    let SdkDeps {
        deps,
        from: sdk_where,
        dir: sdk_dir,
    } = sdk_deps(&opts.sdk)?;
    let mut cargo = SKELETON_CARGO
        .replace("@NAME@", &opts.name)
        .replace("@SDK_WHERE@", &sdk_where);
    for (k, v) in deps {
        cargo = cargo.replace(k, &v);
    }
    write_file(&dir.join("Cargo.toml"), &cargo)?;
    write_file(
        &dir.join("src").join("main.rs"),
        &SKELETON_MAIN.replace("@NAME@", &opts.name),
    )?;
    write_file(&dir.join("src").join("counter.rs"), SKELETON_COUNTER)?;
    // Start from the SDK's lock file so the crate builds with the versions the SDK is tested
    // with (and reuses a shared target dir's artifacts); cargo adds the new package.
    if let Some(lock) = sdk_dir.map(|d| d.join("Cargo.lock")) {
        if lock.is_file() {
            std::fs::copy(&lock, dir.join("Cargo.lock")).map_err(io_err(&lock))?;
        }
    }
    write_file(&dir.join(".gitignore"), "/target\n/data\n/keys\n")?;
    write_file(&dir.join("README.md"), &home_readme(opts, final_path))?;

    Ok(CreatedHome {
        path: dir.to_path_buf(),
        chain_id: opts.chain_id.clone(),
        validator_address: validator.address().to_string(),
        dev,
        operators,
    })
}

/// The genesis document of a new minitia.
pub fn build_genesis(
    opts: &HomeOptions,
    validator: &ValidatorKey,
    dev: &AccountKey,
    operators: &[AccountKey],
) -> Result<GenesisDoc, HomeError> {
    let params = ChainParams {
        bech32_prefix: opts.bech32_prefix.clone(),
        fee_denom: opts.fee_denom.clone(),
        min_gas_price: Default::default(),
        max_tx_bytes: 1024 * 1024,
        max_tx_gas: 100_000_000,
    };
    // A bridged fee token (`l2/…`) only enters through deposits, so every unit on the L2 is
    // backed by the L1 escrow: no genesis balances then.
    let bridged = opts
        .fee_denom
        .starts_with(minitia_core::opinit::L2_DENOM_PREFIX);
    let mut balances: Vec<(String, u128)> = Vec::new();
    if !bridged {
        balances.extend(
            operators
                .iter()
                .map(|k| (k.address.clone(), OPERATOR_BALANCE)),
        );
        balances.push((dev.address.clone(), DEV_BALANCE));
    }
    let executors: Vec<&str> = operators
        .iter()
        .filter(|k| k.name == "executor")
        .map(|k| k.address.as_str())
        .collect();
    // The SDK keeps genesis balances sorted by address.
    balances.sort();
    let balances: Vec<serde_json::Value> = balances
        .into_iter()
        .map(|(address, amount)| {
            serde_json::json!({
                "address": address,
                "coins": [{"denom": opts.fee_denom, "amount": amount.to_string()}],
            })
        })
        .collect();
    let display = opts
        .fee_denom
        .strip_prefix('u')
        .filter(|d| !d.is_empty())
        .unwrap_or(&opts.fee_denom)
        .to_string();
    let mut denom_units =
        vec![serde_json::json!({"denom": opts.fee_denom, "exponent": 0, "aliases": []})];
    if display != opts.fee_denom {
        denom_units.push(serde_json::json!({"denom": display, "exponent": 6, "aliases": []}));
    }
    let metadata = serde_json::json!({
        "description": format!("The fee token of {}", opts.name),
        "denom_units": denom_units,
        "base": opts.fee_denom,
        "display": display,
        "name": display.to_uppercase(),
        "symbol": display.to_uppercase(),
        "uri": "",
        "uri_hash": "",
    });
    let pk = validator.public_key();
    let pub_key = serde_json::json!({
        "type": "tendermint/PubKeyEd25519",
        "value": base64_encode(&pk.to_bytes()),
    });
    let app_state = serde_json::json!({
        "chain": serde_json::to_value(&params)
            .map_err(|e| HomeError::Invalid(format!("chain params: {e}")))?,
        "bank": {
            "params": {"send_enabled": [], "default_send_enabled": true},
            "balances": balances,
            "supply": [],
            "denom_metadata": [metadata],
            "send_enabled": [],
        },
        "minitia": {"name": opts.name, "vm": opts.vm},
        "opchild": {"params": {"bridge_executors": executors}},
    });
    Ok(GenesisDoc {
        genesis_time: tendermint::Time::now(),
        chain_id: opts.chain_id.clone(),
        initial_height: "1".into(),
        consensus_params: GenesisDoc::default_consensus_params(params.max_tx_bytes),
        validators: vec![GenesisValidator {
            address: validator.address().to_string(),
            pub_key,
            power: SEQUENCER_POWER.to_string(),
            name: "sequencer".into(),
        }],
        app_hash: String::new(),
        app_state,
    })
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The repository's `minitia-template` folder, as built into this binary.
pub fn template_crate_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(|repo| repo.join("minitia-template"))
        .unwrap_or_else(|| manifest.to_path_buf())
}

const SKELETON_CARGO: &str = include_str!("../skeleton/Cargo.toml.in");
const SKELETON_MAIN: &str = include_str!("../skeleton/src/main.rs");
const SKELETON_COUNTER: &str = include_str!("../skeleton/src/counter.rs");

fn home_readme(opts: &HomeOptions, path: &Path) -> String {
    format!(
        r#"# {name}

Home of the `{name}` minitia (chain id `{chain_id}`, VM `{vm}`), created by `minitia new`.

| Path | What |
|------|------|
| `minitia.toml` | node configuration; every field is commented |
| `genesis.json` | genesis: chain parameters (`app_state.chain`), balances (`app_state.bank`) |
| `keys/priv_validator_key.json` | the sequencer's block-signing key — back it up, keep it secret |
| `keys/{{sequencer,proposer,executor,challenger}}.json` | operator accounts with their mnemonics — keep them secret |
| `keys/dev.json` | **dev only**: the public CosmJS test mnemonic, funded with {dev} {denom} |
| `data/` | chain data, created by `minitia start` |
| `Cargo.toml`, `src/main.rs` | this chain's own node binary: the SDK's node plus your modules |
| `src/counter.rs` | an example module of your own: a Msg, a query and an event, with tests |

Run the node:

```sh
minitia start --home {path}
```

or build your own binary from this folder: `cargo run -- --home .` (the same node with your
modules; `--rpc.listen`, `--json-rpc.listen` and `--follow` as for `minitia start`).

## Your own modules

`src/counter.rs` is a module: it names its message type URLs (`/counter.v1.MsgIncrement`)
and query paths (`/counter.v1.Query/Count`), says who signs each message, executes through a
metered context over the chain's state (under its own key prefix, so the app hash commits to
it) and emits events. To add one, write a type implementing `minitia_app::Module` and add it
to the `with_modules(vec![...])` list in `src/main.rs`; `cargo test` runs its unit tests.
Clients send its messages in ordinary Cosmos txs (CosmJS with the type in its registry) and
query it with `abci_query`.

**What custom modules mean for fraud proofs.** A fraud proof is judged by the L1
re-executing the disputed block with the chain's engine. The L1 knows the SDK's engines
(`none`, `evm`, `move`), not your modules, so it cannot judge a chain that adds any: such a
chain must settle through a *permissioned* bridge, whose outputs the bridge's challenger
can delete without a proof (as in Initia), and it must not register the engine kind of the
VM it extends (the L1 would "prove" every block that uses your module wrong). Chains with
no custom modules, run with `minitia start`, are judged permissionlessly.
"#,
        name = opts.name,
        chain_id = opts.chain_id,
        vm = opts.vm,
        dev = DEV_BALANCE,
        denom = opts.fee_denom,
        path = path.display(),
    )
}

/// The bech32 prefix of a home's chain (from its genesis), or `"init"` if it has none.
pub fn home_bech32_prefix(home: &Path) -> String {
    NodeConfig::load(home)
        .ok()
        .and_then(|c| GenesisDoc::load(&c.genesis_path(home)).ok())
        .and_then(|g| g.params().ok())
        .map(|p| p.bech32_prefix)
        .unwrap_or_else(|| "init".into())
}

/// The path of key `name` in `home`.
pub fn key_path(home: &Path, name: &str) -> PathBuf {
    home.join(KEYS_DIR).join(format!("{name}.json"))
}

/// Creates account key `name` in `home` from `mnemonic` (or a fresh one).
pub fn add_key(home: &Path, name: &str, mnemonic: Option<&str>) -> Result<AccountKey, HomeError> {
    validate_name(name)?;
    if name == "priv_validator_key" {
        return Err(HomeError::Invalid(
            "\"priv_validator_key\" is the sequencer's key file; choose another name".into(),
        ));
    }
    let path = key_path(home, name);
    if path.exists() {
        return Err(HomeError::Exists(path));
    }
    let prefix = home_bech32_prefix(home);
    let key = match mnemonic {
        Some(m) => AccountKey::from_mnemonic(name, m, &prefix)?,
        None => AccountKey::generate(name, &prefix)?,
    };
    key.save(&path)?;
    Ok(key)
}

/// Account keys in `home`, sorted by name (the validator key is not an account).
pub fn list_keys(home: &Path) -> Result<Vec<AccountKey>, HomeError> {
    let dir = home.join(KEYS_DIR);
    let entries = std::fs::read_dir(&dir).map_err(io_err(&dir))?;
    let mut keys = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err(&dir))?;
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "json")
            && p.file_name()
                .is_some_and(|n| n != "priv_validator_key.json")
        {
            keys.push(AccountKey::load(&p)?);
        }
    }
    keys.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(keys)
}

/// Reads account key `name` from `home`.
pub fn show_key(home: &Path, name: &str) -> Result<AccountKey, HomeError> {
    let path = key_path(home, name);
    if !path.exists() {
        return Err(HomeError::Key {
            path,
            reason: format!("no key named {name:?}; see `minitia keys list`"),
        });
    }
    AccountKey::load(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet(_: &str) {}

    #[test]
    fn derivation_matches_cosmjs_and_the_sdk() {
        // CosmJS's faucet vector: this mnemonic → cosmos1pkptre7... at m/44'/118'/0'/0/0.
        let faucet = "economy stock theory fatal elder harbor betray wasp final emotion task \
                      crumble siren bottom lizard educate guess current outdoor pair theory \
                      focus wife stone";
        let (_, bytes) =
            Address::parse_bech32_any("cosmos1pkptre7fdkl6gfrzlesjjvhxhlc3r4gmmk8rs6").unwrap();
        let k = AccountKey::from_mnemonic("faucet", faucet, "init").unwrap();
        assert_eq!(k.address, bytes.to_bech32("init"));
        assert_eq!(k.evm_address, bytes.to_hex());
        assert_eq!(k.public_key["@type"], "/cosmos.crypto.secp256k1.PubKey");
        assert_eq!(
            k.public_key["key"],
            "A08EGB7ro1ORuFhjOnZcSgwYlpe0DSFjVNUIkNNQxwKQ"
        );

        // The dev mnemonic is LocalOsmosis' `test1` (osmo1cyyzpxplx...), same bytes.
        let (_, bytes) =
            Address::parse_bech32_any("osmo1cyyzpxplxdzkeea7kwsydadg87357qnahakaks").unwrap();
        let dev = AccountKey::from_mnemonic("dev", DEV_MNEMONIC, "init").unwrap();
        assert_eq!(dev.address, bytes.to_bech32("init"));
        assert_eq!(dev.address, "init1cyyzpxplxdzkeea7kwsydadg87357qna3s97tq");
        assert_eq!(
            dev.public_key["key"],
            "AuwYyCUBxQiBGSUWebU46c+OrlApVsyGLHd4qhSDZeiG"
        );
        assert!(AccountKey::from_mnemonic("x", "not a mnemonic", "init").is_err());
    }

    #[test]
    fn created_home_loads() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("mini");
        let mut steps = Vec::new();
        let opts = HomeOptions {
            vm: "evm".into(),
            ..HomeOptions::new("mini")
        };
        let created = create_home(&home, &opts, &mut |s| steps.push(s.to_string())).unwrap();
        assert!(steps.len() >= 5);
        assert_eq!(created.path, home);
        assert_eq!(created.chain_id, "mini-1");

        let config = NodeConfig::load_with_env(&home, |_| None).unwrap();
        assert_eq!(config, NodeConfig::default());
        let genesis = GenesisDoc::load(&config.genesis_path(&home)).unwrap();
        assert_eq!(genesis.chain_id, "mini-1");
        assert_eq!(genesis.params().unwrap().bech32_prefix, "init");
        assert_eq!(genesis.validators[0].power, "10");
        assert_eq!(genesis.app_state["minitia"]["vm"], "evm");
        let v = ValidatorKey::load(&config.validator_key_path(&home)).unwrap();
        assert_eq!(v.address().to_string(), genesis.validators[0].address);
        assert_eq!(v.address().to_string(), created.validator_address);

        let balances = genesis.app_state["bank"]["balances"].as_array().unwrap();
        assert_eq!(balances.len(), 5);
        let dev = balances
            .iter()
            .find(|b| b["address"] == created.dev.address.as_str())
            .unwrap();
        assert_eq!(dev["coins"][0]["amount"], "1000000000000");
        assert_eq!(dev["coins"][0]["denom"], "umin");

        let keys = list_keys(&home).unwrap();
        let names: Vec<_> = keys.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            ["challenger", "dev", "executor", "proposer", "sequencer"]
        );
        for k in &keys {
            let again = AccountKey::from_mnemonic(&k.name, &k.mnemonic, "init").unwrap();
            assert_eq!(again.address, k.address);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(key_path(&home, &k.name))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{}", k.name);
            }
        }
        assert!(keys
            .iter()
            .find(|k| k.name == "dev")
            .unwrap()
            .warning
            .is_some());

        let cargo = std::fs::read_to_string(home.join("Cargo.toml")).unwrap();
        let parsed: toml::Table = cargo.parse().unwrap();
        let dep = parsed["dependencies"]["minitia-template"]["path"]
            .as_str()
            .unwrap();
        assert!(Path::new(dep).join("src/home.rs").exists(), "{dep}");
        let engines = parsed["dependencies"]["minitia-engines"]["path"]
            .as_str()
            .unwrap();
        assert!(Path::new(engines).join("src/lib.rs").exists(), "{engines}");
        let main = std::fs::read_to_string(home.join("src/main.rs")).unwrap();
        assert!(main.contains("minitia_engines::registry()"), "{main}");
        assert!(!main.contains("@NAME@"));
        assert!(home.join("src/counter.rs").is_file());
        assert!(home.join("Cargo.lock").is_file());

        // No overwrite, no leftovers.
        assert!(matches!(
            create_home(&home, &opts, &mut quiet),
            Err(HomeError::Exists(_))
        ));
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn keys_add_show() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("k");
        create_home(&home, &HomeOptions::new("k"), &mut quiet).unwrap();
        let k = add_key(&home, "alice", None).unwrap();
        assert!(k.address.starts_with("init1"));
        assert_eq!(show_key(&home, "alice").unwrap(), k);
        assert!(matches!(
            add_key(&home, "alice", None),
            Err(HomeError::Exists(_))
        ));
        assert!(add_key(&home, "priv_validator_key", None).is_err());
        assert!(add_key(&home, "../x", None).is_err());
        let e = show_key(&home, "bob").unwrap_err().to_string();
        assert!(e.contains("minitia keys list"), "{e}");
        let imported = add_key(&home, "dev2", Some(DEV_MNEMONIC)).unwrap();
        assert_eq!(imported.address, show_key(&home, "dev").unwrap().address);
    }

    #[test]
    fn bad_options_are_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        for opts in [
            HomeOptions::new("1bad"),
            HomeOptions {
                chain_id: "has space".into(),
                ..HomeOptions::new("ok")
            },
            HomeOptions {
                bech32_prefix: "".into(),
                ..HomeOptions::new("ok")
            },
            HomeOptions {
                fee_denom: "u".into(),
                ..HomeOptions::new("ok")
            },
        ] {
            assert!(create_home(&tmp.path().join("x"), &opts, &mut quiet).is_err());
        }
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}
