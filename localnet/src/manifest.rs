//! `<home>/localnet.json`: the endpoints and dev accounts of a running localnet, in the shape
//! scripts rely on (documented in the crate docs and `docs/localnet.md`), and the private
//! run state (`<home>/run/state.json`) that `status`, `down` and `logs` read.

use std::path::{Path, PathBuf};

use eyre::{eyre, WrapErr};
use serde::{Deserialize, Serialize};

/// File name of the manifest inside the localnet home.
pub const MANIFEST_FILE: &str = "localnet.json";

/// `localnet.json`. Field names and nesting are a public contract: add fields, never rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The settlement L1.
    pub l1: L1Info,
    /// The DA node.
    pub da: DaInfo,
    /// One entry per minitia.
    pub minitias: Vec<MinitiaInfo>,
    /// Funded accounts (DEV ONLY: their mnemonics are public).
    pub accounts: Vec<AccountInfo>,
}

/// `l1` in `localnet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1Info {
    /// Chain id.
    pub chain_id: String,
    /// CometBFT RPC URL, e.g. `http://127.0.0.1:26657`.
    pub rpc: String,
    /// Fee and bond denom.
    pub denom: String,
    /// Bech32 account prefix.
    pub prefix: String,
}

/// `da` in `localnet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaInfo {
    /// celestia-node compatible JSON-RPC URL, e.g. `http://127.0.0.1:26658`.
    pub rpc: String,
    /// Bearer token the DA node requires.
    pub auth_token: String,
    /// Celestia namespace (29 bytes, hex) the minitias' batches use.
    pub namespace: String,
}

/// One entry of `minitias` in `localnet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinitiaInfo {
    /// Name (also the component name for `logs`).
    pub name: String,
    /// `evm` or `move`.
    pub vm: String,
    /// Chain id.
    pub chain_id: String,
    /// CometBFT RPC URL.
    pub rpc: String,
    /// Ethereum JSON-RPC URL (EVM minitias only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub json_rpc: Option<String>,
    /// The OPinit bridge id on the L1 (`null` until the bridge exists).
    pub bridge_id: Option<u64>,
    /// The bridge executor's HTTP API (`/status`, withdrawal proofs) while the localnet is up.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub executor_api: Option<String>,
    /// The challenger's status server (`/status`, `/metrics`) while the localnet is up.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub challenger: Option<String>,
    /// The batcher's `/status` and `/metrics` while the localnet is up.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub batcher: Option<String>,
    /// Fee denom.
    pub denom: String,
    /// Bech32 account prefix.
    pub prefix: String,
}

/// One entry of `accounts` in `localnet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// Key name: `dev`, or `<minitia>-<role>` for operator accounts.
    pub name: String,
    /// BIP39 mnemonic (path `m/44'/118'/0'/0/0`).
    pub mnemonic: String,
    /// Bech32 address (same bytes on the L1 and every minitia, all use prefix `init`).
    pub address: String,
    /// The same 20 bytes as `0x` hex.
    pub evm_address: String,
    /// secp256k1 private key, `0x` hex (for viem/ethers).
    pub private_key: String,
}

impl Manifest {
    /// Reads `<home>/localnet.json`.
    pub fn load(home: &Path) -> eyre::Result<Self> {
        let path = home.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                eyre!(
                    "{} not found: no localnet in {}; start one with `minitia localnet up --home {}`",
                    path.display(),
                    home.display(),
                    home.display()
                )
            } else {
                eyre!("cannot read {}: {e}", path.display())
            }
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            eyre!(
                "{} is corrupt ({e}); run `minitia localnet reset --home {}` to start afresh",
                path.display(),
                home.display()
            )
        })
    }

    /// Writes `<home>/localnet.json` atomically (temp file + rename).
    pub fn save(&self, home: &Path) -> eyre::Result<()> {
        write_json_atomic(&home.join(MANIFEST_FILE), self)
    }

    /// The minitia called `name`.
    pub fn minitia(&self, name: &str) -> Option<&MinitiaInfo> {
        self.minitias.iter().find(|m| m.name == name)
    }
}

/// Writes `value` as pretty JSON to `path` through a temp file, fsync and rename, so a reader
/// never sees half a file and a crash leaves the old one.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> eyre::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    let tmp: PathBuf = path.with_extension("json.tmp");
    let mut json = serde_json::to_vec_pretty(value)?;
    json.push(b'\n');
    let mut f =
        std::fs::File::create(&tmp).wrap_err_with(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(&json)
        .and_then(|_| f.sync_all())
        .wrap_err_with(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).wrap_err_with(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_the_documented_one() {
        let m = Manifest {
            l1: L1Info {
                chain_id: "l1-1".into(),
                rpc: "http://127.0.0.1:26657".into(),
                denom: "uinit".into(),
                prefix: "init".into(),
            },
            da: DaInfo {
                rpc: "http://127.0.0.1:26658".into(),
                auth_token: "t".into(),
                namespace: "00".into(),
            },
            minitias: vec![MinitiaInfo {
                name: "move".into(),
                vm: "move".into(),
                chain_id: "m-1".into(),
                rpc: "http://127.0.0.1:26767".into(),
                json_rpc: None,
                bridge_id: Some(1),
                executor_api: None,
                challenger: None,
                batcher: None,
                denom: "umin".into(),
                prefix: "init".into(),
            }],
            accounts: vec![],
        };
        let v = serde_json::to_value(&m).unwrap();
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(&v), ["accounts", "da", "l1", "minitias"]);
        assert_eq!(keys(&v["l1"]), ["chain_id", "denom", "prefix", "rpc"]);
        assert_eq!(keys(&v["da"]), ["auth_token", "namespace", "rpc"]);
        // json_rpc is EVM only.
        assert_eq!(
            keys(&v["minitias"][0]),
            [
                "bridge_id",
                "chain_id",
                "denom",
                "name",
                "prefix",
                "rpc",
                "vm"
            ]
        );
        let tmp = tempfile::tempdir().unwrap();
        m.save(tmp.path()).unwrap();
        assert_eq!(Manifest::load(tmp.path()).unwrap(), m);
        std::fs::write(tmp.path().join(MANIFEST_FILE), b"{").unwrap();
        let e = Manifest::load(tmp.path()).unwrap_err().to_string();
        assert!(e.contains("corrupt") && e.contains("reset"), "{e}");
    }
}
