//! Builds the `ExtendedHeader` of each local DA block: a CometBFT header whose `data_hash` is
//! the DAH hash, a commit signed by the node's single ed25519 validator key, that validator
//! set, and the DAH — the four parts celestia-types' `ExtendedHeader::validate` checks.
//!
//! What a light node would and would not accept: `validate()` and `verify_adjacent()` pass
//! (consistent hashes, a +2/3 signed commit, strictly increasing time, `last_block_id` chained
//! to the previous header). A celestia light node syncing from its own trusted hash of a real
//! network would still reject these headers: the chain id and validator set are local, there
//! are no PayForBlobs txs in the square, and nothing can be sampled over shwap/bitswap.

use celestia_types::block::CommitExt;
use celestia_types::consts::version::BLOCK_PROTOCOL;
use celestia_types::hash::Hash;
use celestia_types::{DataAvailabilityHeader, ExtendedHeader};
use ed25519_consensus::SigningKey;
use sha2::{Digest, Sha256};
use tendermint::block::header::Version;
use tendermint::block::parts::Header as PartSetHeader;
use tendermint::block::{Commit, CommitSig, Header, Height, Id as BlockId, Round};
use tendermint::hash::AppHash;
use tendermint::validator::{Info, Set};
use tendermint::{account, chain, PublicKey, Signature, Time};

use crate::error::LocalDaError;

/// The celestia-app version advertised in headers.
pub const APP_VERSION: u64 = 6;

fn internal(e: impl std::fmt::Display) -> LocalDaError {
    LocalDaError::Internal(e.to_string())
}

fn sha(data: &[u8]) -> Hash {
    Hash::Sha256(Sha256::digest(data).into())
}

/// The local validator: one ed25519 key holding all voting power.
pub struct Validator {
    key: SigningKey,
    info: Info,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("address", &self.info.address)
            .finish()
    }
}

impl Validator {
    /// A validator from a 32-byte ed25519 seed.
    pub fn from_seed(seed: [u8; 32]) -> Result<Self, LocalDaError> {
        let key = SigningKey::from(seed);
        let pk = PublicKey::from_raw_ed25519(key.verification_key().as_bytes())
            .ok_or_else(|| internal("ed25519 public key rejected"))?;
        let info = Info::new(pk, 100u32.into());
        Ok(Self { key, info })
    }

    fn set(&self) -> Set {
        Set::new(vec![self.info.clone()], Some(self.info.clone()))
    }

    /// The validator's address.
    pub fn address(&self) -> account::Id {
        self.info.address
    }

    /// Builds and signs the header at `height`, chained to `prev` (None at height 1).
    pub fn extended_header(
        &self,
        chain_id: &chain::Id,
        height: u64,
        time: Time,
        prev: Option<&ExtendedHeader>,
        dah: DataAvailabilityHeader,
    ) -> Result<ExtendedHeader, LocalDaError> {
        let set = self.set();
        let last_block_id = prev.map(|p| p.commit.block_id);
        let last_commit_hash = prev.map(|p| {
            // a stand-in for CometBFT's merkle root of the last commit's signatures
            let bytes: Vec<u8> = p
                .commit
                .signatures
                .iter()
                .filter_map(|s| match s {
                    CommitSig::BlockIdFlagCommit {
                        signature: Some(sig),
                        ..
                    } => Some(sig.as_bytes().to_vec()),
                    _ => None,
                })
                .flatten()
                .collect();
            sha(&bytes)
        });
        let header = Header {
            version: Version {
                block: BLOCK_PROTOCOL,
                app: APP_VERSION,
            },
            chain_id: chain_id.clone(),
            height: Height::try_from(height).map_err(internal)?,
            time,
            last_block_id,
            last_commit_hash,
            data_hash: Some(dah.hash()),
            validators_hash: set.hash(),
            next_validators_hash: set.hash(),
            consensus_hash: sha(b"minitia-da consensus params"),
            app_hash: AppHash::default(),
            last_results_hash: Some(sha(&[])),
            evidence_hash: Some(sha(&[])),
            proposer_address: self.info.address,
        };
        let header_hash = header.hash();
        let block_id = BlockId {
            hash: header_hash,
            part_set_header: PartSetHeader::new(1, sha(header_hash.as_bytes()))
                .map_err(internal)?,
        };
        let placeholder = Signature::new([0u8; 64])
            .map_err(internal)?
            .ok_or_else(|| internal("empty signature"))?;
        let mut commit = Commit {
            height: header.height,
            round: Round::default(),
            block_id,
            signatures: vec![CommitSig::BlockIdFlagCommit {
                validator_address: self.info.address,
                timestamp: time,
                signature: Some(placeholder),
            }],
        };
        let sign_bytes = commit.vote_sign_bytes(chain_id, 0).map_err(internal)?;
        let sig = self.key.sign(&sign_bytes);
        let signature = Signature::new(sig.to_bytes())
            .map_err(internal)?
            .ok_or_else(|| internal("empty signature"))?;
        commit.signatures = vec![CommitSig::BlockIdFlagCommit {
            validator_address: self.info.address,
            timestamp: time,
            signature: Some(signature),
        }];
        Ok(ExtendedHeader {
            header,
            commit,
            validator_set: set,
            dah,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use celestia_types::ExtendedDataSquare;

    #[test]
    fn headers_validate_and_chain() {
        let v = Validator::from_seed([7; 32]).unwrap();
        let chain: chain::Id = "minitia-da-test".parse().unwrap();
        let dah = DataAvailabilityHeader::from_eds(&ExtendedDataSquare::empty());
        let t1 = Time::from_unix_timestamp(1_700_000_000, 0).unwrap();
        let h1 = v.extended_header(&chain, 1, t1, None, dah.clone()).unwrap();
        h1.validate().unwrap();
        let t2 = Time::from_unix_timestamp(1_700_000_006, 0).unwrap();
        let h2 = v.extended_header(&chain, 2, t2, Some(&h1), dah).unwrap();
        h2.validate().unwrap();
        h1.verify_adjacent(&h2).unwrap();
        // JSON round trip through celestia-types' own serde, as celestia-rpc parses it
        let json = serde_json::to_string(&h2).unwrap();
        let back: ExtendedHeader = serde_json::from_str(&json).unwrap();
        assert_eq!(back, h2);
    }

    #[test]
    fn tampered_header_fails_validation() {
        let v = Validator::from_seed([7; 32]).unwrap();
        let chain: chain::Id = "minitia-da-test".parse().unwrap();
        let dah = DataAvailabilityHeader::from_eds(&ExtendedDataSquare::empty());
        let t1 = Time::from_unix_timestamp(1_700_000_000, 0).unwrap();
        let mut h = v.extended_header(&chain, 1, t1, None, dah).unwrap();
        h.header.app_hash = AppHash::try_from(vec![1u8; 32]).unwrap();
        assert!(h.validate().is_err());
        // a commit signed by another key does not verify either
        let other = Validator::from_seed([8; 32]).unwrap();
        let dah = DataAvailabilityHeader::from_eds(&ExtendedDataSquare::empty());
        let mut h = v.extended_header(&chain, 1, t1, None, dah.clone()).unwrap();
        h.commit = other
            .extended_header(&chain, 1, t1, None, dah)
            .unwrap()
            .commit;
        assert!(h.validate().is_err());
    }
}
