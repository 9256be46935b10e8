//! `eth_getProof` answered from the chain's one commitment, and its verifier.
//!
//! This is **not** an Ethereum Merkle-Patricia proof. An EVM minitia keeps accounts, code and
//! storage in the same sparse Merkle tree as every other module (see [`minitia_vm_evm::keys`]), so:
//!
//! - `storageHash` is the chain's state root after the block (the `stateRoot` of
//!   `eth_getBlockByNumber` for that block), not a per-account storage trie root;
//! - `accountProof` is three hex-encoded ICS-23 `CommitmentProof`s (protobuf), in this order:
//!   the bank balance key, the auth account key (its `sequence` is the nonce), the code-hash
//!   key. Each is an existence proof (its `ExistenceProof.value` is the stored value) or a
//!   non-existence proof (absent key: balance 0, nonce 0, no code);
//! - each `storageProof[i].proof` is one ICS-23 `CommitmentProof` of the slot's key
//!   (`evm/st/` ‖ address ‖ slot), whose value is the 32-byte word.
//!
//! All proofs verify under ICS-23's `smt_spec()` against `storageHash`. [`verify`] checks a
//! whole response and returns the values it proves.

use cosmrs::proto::cosmos::auth::v1beta1::BaseAccount;
use minitia_core::Hash32;
use minitia_store::ics23::{commitment_proof::Proof, CommitmentProof};
use prost::Message;
use revm::primitives::{Address, B256, KECCAK_EMPTY, U256};
use serde_json::Value;

use super::types::{parse_address, parse_b256, parse_bytes, parse_u256, parse_u64};
use minitia_vm_evm::keys;

/// Why a proof response was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// A field is missing or malformed.
    #[error("malformed proof response: {0}")]
    Malformed(String),
    /// A proof does not verify against the root.
    #[error("proof of {0} does not verify against the state root")]
    Invalid(String),
    /// The proven value differs from the value the response claims.
    #[error("{what}: response claims {claimed}, proof shows {proven}")]
    Mismatch {
        /// Which field.
        what: String,
        /// Claimed value.
        claimed: String,
        /// Proven value.
        proven: String,
    },
}

/// What a verified `eth_getProof` response proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenAccount {
    /// The account.
    pub address: Address,
    /// Native balance.
    pub balance: u128,
    /// Nonce.
    pub nonce: u64,
    /// Code hash (`KECCAK_EMPTY` without code).
    pub code_hash: B256,
    /// Proven storage slots.
    pub storage: Vec<(U256, U256)>,
}

fn malformed(m: impl Into<String>) -> ProofError {
    ProofError::Malformed(m.into())
}

fn field<'a>(v: &'a Value, k: &str) -> Result<&'a str, ProofError> {
    v.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(format!("missing {k}")))
}

/// Verifies one ICS-23 proof of `key` under `root`; returns the proven value (`None` = absent).
pub fn verify_key(
    proof_hex: &str,
    root: &Hash32,
    key: &[u8],
) -> Result<Option<Vec<u8>>, ProofError> {
    let what = || format!("key 0x{}", hex::encode(key));
    let bytes = parse_bytes(proof_hex).map_err(|e| malformed(e.message))?;
    let proof = CommitmentProof::decode(bytes.as_slice())
        .map_err(|e| malformed(format!("proof of {}: {e}", what())))?;
    match &proof.proof {
        Some(Proof::Exist(e)) => {
            if e.key != key {
                return Err(ProofError::Invalid(what()));
            }
            if minitia_store::verify_membership(&proof, root, key, &e.value) {
                Ok(Some(e.value.clone()))
            } else {
                Err(ProofError::Invalid(what()))
            }
        }
        Some(Proof::Nonexist(_)) => {
            if minitia_store::verify_non_membership(&proof, root, key) {
                Ok(None)
            } else {
                Err(ProofError::Invalid(what()))
            }
        }
        _ => Err(malformed(format!(
            "proof of {} is neither exist nor nonexist",
            what()
        ))),
    }
}

fn check<T: PartialEq + std::fmt::Debug>(
    what: &str,
    claimed: T,
    proven: T,
) -> Result<(), ProofError> {
    if claimed == proven {
        Ok(())
    } else {
        Err(ProofError::Mismatch {
            what: what.into(),
            claimed: format!("{claimed:?}"),
            proven: format!("{proven:?}"),
        })
    }
}

/// Verifies an `eth_getProof` response against `root` (the trusted state root of the block),
/// for a chain whose native denom is `denom`.
pub fn verify(resp: &Value, root: &Hash32, denom: &str) -> Result<ProvenAccount, ProofError> {
    let address = parse_address(field(resp, "address")?).map_err(|e| malformed(e.message))?;
    let storage_hash = parse_b256(field(resp, "storageHash")?).map_err(|e| malformed(e.message))?;
    check("storageHash", storage_hash.0, root.0)?;
    let proofs = resp
        .get("accountProof")
        .and_then(Value::as_array)
        .filter(|a| a.len() == 3)
        .ok_or_else(|| malformed("accountProof must hold 3 proofs"))?;
    let proof = |i: usize| {
        proofs[i]
            .as_str()
            .ok_or_else(|| malformed("proof is not a string"))
    };
    let bal = verify_key(proof(0)?, root, &keys::balance_key(&address, denom))?;
    let acc = verify_key(proof(1)?, root, &keys::account_key(&address))?;
    let ch = verify_key(proof(2)?, root, &keys::code_hash_key(&address))?;
    let balance = match bal {
        None => 0,
        Some(b) => <[u8; 16]>::try_from(b.as_slice())
            .map(u128::from_be_bytes)
            .map_err(|_| malformed("proven balance is not 16 bytes"))?,
    };
    let nonce = match acc {
        None => 0,
        Some(b) => {
            BaseAccount::decode(b.as_slice())
                .map_err(|e| malformed(format!("proven account: {e}")))?
                .sequence
        }
    };
    let code_hash = match ch {
        None => KECCAK_EMPTY,
        Some(b) if b.len() == 32 => B256::from_slice(&b),
        Some(_) => return Err(malformed("proven code hash is not 32 bytes")),
    };
    let claimed_balance = parse_u256(field(resp, "balance")?).map_err(|e| malformed(e.message))?;
    check("balance", claimed_balance, U256::from(balance))?;
    check(
        "nonce",
        parse_u64(field(resp, "nonce")?).map_err(|e| malformed(e.message))?,
        nonce,
    )?;
    check(
        "codeHash",
        parse_b256(field(resp, "codeHash")?).map_err(|e| malformed(e.message))?,
        code_hash,
    )?;
    let mut storage = Vec::new();
    for s in resp
        .get("storageProof")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("missing storageProof"))?
    {
        let key = parse_u256(field(s, "key")?).map_err(|e| malformed(e.message))?;
        let value = parse_u256(field(s, "value")?).map_err(|e| malformed(e.message))?;
        let p = s
            .get("proof")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("storage proof missing"))?;
        let proven = verify_key(p, root, &keys::storage_key(&address, &key))?
            .map_or(U256::ZERO, |b| U256::from_be_slice(&b));
        check("storage value", value, proven)?;
        storage.push((key, value));
    }
    Ok(ProvenAccount {
        address,
        balance,
        nonce,
        code_hash,
        storage,
    })
}
