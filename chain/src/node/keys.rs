//! The block producer's ed25519 key, stored in CometBFT's `priv_validator_key.json` format so
//! operators can reuse their tooling.

use std::path::Path;

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use serde::{Deserialize, Serialize};
use tendermint::{account, validator, PublicKey};

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Read or write failed.
    #[error("key file {path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Contents are not a valid key.
    #[error("key file {path} is invalid: {reason}; regenerate it with `minitia keys add --validator` or restore it from backup")]
    Invalid {
        /// File.
        path: String,
        /// Reason.
        reason: String,
    },
}

#[derive(Serialize, Deserialize)]
struct TypedValue {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    address: String,
    pub_key: TypedValue,
    priv_key: TypedValue,
}

/// The validator (sequencer) signing key.
#[derive(Clone)]
pub struct ValidatorKey {
    signing: ed25519_consensus::SigningKey,
}

impl std::fmt::Debug for ValidatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ValidatorKey({})", self.address())
    }
}

impl ValidatorKey {
    /// A key from a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            signing: ed25519_consensus::SigningKey::from(seed),
        }
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand_core_fill(&mut seed);
        Self::from_seed(seed)
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        // 32 bytes from a valid verification key always parse.
        PublicKey::from_raw_ed25519(self.signing.verification_key().as_bytes())
            .expect("ed25519 verification key is 32 bytes")
    }

    /// The validator address (sha256(pubkey)[..20]).
    pub fn address(&self) -> account::Id {
        account::Id::from(self.public_key())
    }

    /// The validator as a set member with `power`.
    pub fn validator_info(&self, power: u64) -> validator::Info {
        validator::Info::new(self.public_key(), power.try_into().unwrap_or_default())
    }

    /// Signs `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }

    /// Writes the key in CometBFT's format with mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        let vk = self.signing.verification_key();
        let mut priv_bytes = self.signing.as_bytes().to_vec();
        priv_bytes.extend_from_slice(vk.as_bytes());
        let file = KeyFile {
            address: self.address().to_string(),
            pub_key: TypedValue {
                kind: "tendermint/PubKeyEd25519".into(),
                value: B64.encode(vk.as_bytes()),
            },
            priv_key: TypedValue {
                kind: "tendermint/PrivKeyEd25519".into(),
                value: B64.encode(priv_bytes),
            },
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| io(std::io::Error::other(e)))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(path, json).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
        Ok(())
    }

    /// Reads a key written by [`ValidatorKey::save`] or by CometBFT.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let p = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| KeyError::Io {
            path: p.clone(),
            source,
        })?;
        let invalid = |reason: String| KeyError::Invalid {
            path: p.clone(),
            reason,
        };
        let file: KeyFile = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        if file.priv_key.kind != "tendermint/PrivKeyEd25519" {
            return Err(invalid(format!(
                "unsupported key type {}",
                file.priv_key.kind
            )));
        }
        let raw = B64
            .decode(&file.priv_key.value)
            .map_err(|e| invalid(e.to_string()))?;
        let seed: [u8; 32] = raw
            .get(..32)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| invalid("private key must be 64 bytes".into()))?;
        let key = Self::from_seed(seed);
        if key.address().to_string() != file.address.to_uppercase() {
            return Err(invalid(format!(
                "address {} does not match the key ({})",
                file.address,
                key.address()
            )));
        }
        Ok(key)
    }
}

fn rand_core_fill(buf: &mut [u8]) {
    use rand::RngCore;
    rand::rngs::OsRng.fill_bytes(buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_round_trip_and_tamper_detection() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        let k = ValidatorKey::generate();
        k.save(&p).unwrap();
        let l = ValidatorKey::load(&p).unwrap();
        assert_eq!(k.address(), l.address());
        let mut j: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        j["address"] = serde_json::json!("00".repeat(20));
        std::fs::write(&p, serde_json::to_vec(&j).unwrap()).unwrap();
        assert!(matches!(
            ValidatorKey::load(&p),
            Err(KeyError::Invalid { .. })
        ));
    }
}
