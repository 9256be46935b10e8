//! The proof type and its canonical encoding.

use minitia_core::Hash32;
use minitia_store::Witness;
use prost::Message;
use tendermint::block::Header;
use tendermint_proto::Protobuf;

/// Encoding version.
pub const PROOF_VERSION: u32 = 1;
/// Largest encoded proof accepted (decoding refuses more before allocating anything).
pub const MAX_PROOF_BYTES: usize = 32 * 1024 * 1024;

/// A fraud proof against block `headers[0]`'s state transition; see the crate docs.
#[derive(Debug, Clone, PartialEq)]
pub struct FraudProof {
    /// Headers `N ..= M`: the disputed block first, the output's last block last. At least
    /// two (`N+1` carries the claimed post-state root).
    pub headers: Vec<Header>,
    /// The raw txs of block `N`, in block order.
    pub txs: Vec<Vec<u8>>,
    /// The pre-state witness of block `N`.
    pub witness: Witness,
    /// The output's withdrawal storage root.
    pub storage_root: Hash32,
}

/// The wire form: `minitia.fraud.v1.FraudProof`.
#[derive(Clone, PartialEq, prost::Message)]
struct RawProof {
    #[prost(uint32, tag = "1")]
    version: u32,
    #[prost(bytes = "vec", repeated, tag = "2")]
    headers: Vec<Vec<u8>>,
    #[prost(bytes = "vec", repeated, tag = "3")]
    txs: Vec<Vec<u8>>,
    #[prost(bytes = "vec", tag = "4")]
    witness: Vec<u8>,
    #[prost(bytes = "vec", tag = "5")]
    storage_root: Vec<u8>,
}

/// Why proof bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofDecodeError {
    /// Over [`MAX_PROOF_BYTES`].
    #[error("fraud proof of {0} bytes exceeds the {MAX_PROOF_BYTES}-byte limit")]
    TooLarge(usize),
    /// Not a `FraudProof` message.
    #[error("fraud proof is not decodable: {0}")]
    Protobuf(String),
    /// Unknown version.
    #[error("fraud proof version {0} is not supported (expected {PROOF_VERSION})")]
    Version(u32),
    /// A header is not a valid CometBFT header.
    #[error("header {index} of the fraud proof is invalid: {reason}")]
    Header {
        /// Position in the proof.
        index: usize,
        /// Decoder error.
        reason: String,
    },
    /// The witness is not decodable.
    #[error("fraud proof witness: {0}")]
    Witness(#[from] minitia_store::WitnessError),
    /// `storage_root` is not 32 bytes.
    #[error("fraud proof storage_root must be 32 bytes, got {0}")]
    StorageRoot(usize),
    /// The bytes decode but are not the canonical encoding of what they decode to.
    #[error("fraud proof is not canonically encoded (re-encoding differs)")]
    NonCanonical,
}

impl FraudProof {
    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        RawProof {
            version: PROOF_VERSION,
            headers: self
                .headers
                .iter()
                .map(|h| Protobuf::<tendermint_proto::types::Header>::encode_vec(h.clone()))
                .collect(),
            txs: self.txs.clone(),
            witness: self.witness.encode(),
            storage_root: self.storage_root.0.to_vec(),
        }
        .encode_to_vec()
    }

    /// Decodes a canonical encoding (anything else is refused, so a proof has one encoding).
    pub fn decode(bytes: &[u8]) -> Result<Self, ProofDecodeError> {
        if bytes.len() > MAX_PROOF_BYTES {
            return Err(ProofDecodeError::TooLarge(bytes.len()));
        }
        let raw = RawProof::decode(bytes).map_err(|e| ProofDecodeError::Protobuf(e.to_string()))?;
        if raw.version != PROOF_VERSION {
            return Err(ProofDecodeError::Version(raw.version));
        }
        let headers = raw
            .headers
            .iter()
            .enumerate()
            .map(|(index, h)| {
                <Header as Protobuf<tendermint_proto::types::Header>>::decode_vec(h).map_err(|e| {
                    ProofDecodeError::Header {
                        index,
                        reason: e.to_string(),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let witness = Witness::decode(&raw.witness)?;
        let storage_root = Hash32::from_slice(&raw.storage_root)
            .ok_or(ProofDecodeError::StorageRoot(raw.storage_root.len()))?;
        let proof = Self {
            headers,
            txs: raw.txs,
            witness,
            storage_root,
        };
        if proof.encode() != bytes {
            return Err(ProofDecodeError::NonCanonical);
        }
        Ok(proof)
    }

    /// The disputed height `N` (0 for a proof without headers).
    pub fn height(&self) -> u64 {
        self.headers.first().map_or(0, |h| h.height.value())
    }
}
