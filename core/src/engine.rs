//! The execution-engine seam: decode, check and execute txs against a [`StateView`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    address::Address, hash::Hash32, ids::ChainId, ids::Height, state::StateError, state::StateView,
    state::WriteSet, types::Event, types::TxResult,
};

/// What a block's execution may depend on besides state and txs. Block time comes from the
/// header, never from a clock, so execution is deterministic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockContext {
    /// The chain.
    pub chain_id: ChainId,
    /// Height of the block being executed.
    pub height: Height,
    /// Header time, nanoseconds since the Unix epoch.
    pub time_unix_nanos: i128,
    /// The block producer's account.
    pub proposer: Address,
    /// Max gas the block may use (0 = unlimited).
    pub max_gas: u64,
    /// Hash of the previous block (zero for the first block). Engines record it in state
    /// under a reserved prefix so later state roots commit to the chain's history.
    pub last_block_hash: Hash32,
}

/// A tx rejected before or during execution: a stable numeric code within a codespace (the
/// Cosmos SDK's `sdk` codes where one fits) and a message that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct TxError {
    /// Error namespace (`sdk`, `bank`, `evm`, ...).
    pub codespace: String,
    /// Code within the namespace, never 0.
    pub code: u32,
    /// What went wrong and what to do.
    pub message: String,
}

impl TxError {
    /// A new error.
    pub fn new(codespace: impl Into<String>, code: u32, message: impl Into<String>) -> Self {
        Self {
            codespace: codespace.into(),
            code,
            message: message.into(),
        }
    }
}

/// What the mempool needs to know about a tx that passed `check_tx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTx {
    /// Tx hash as clients see it (sha256 of the bytes for Cosmos txs, keccak for Ethereum).
    pub hash: Hash32,
    /// The account whose nonce/sequence orders it.
    pub sender: Address,
    /// The sender's nonce/sequence this tx uses.
    pub nonce: u64,
    /// The account's next nonce on chain when checked (txs below it are stale).
    pub state_nonce: u64,
    /// Gas limit.
    pub gas_wanted: u64,
    /// Fee per unit of gas offered, for ordering and replacement.
    pub gas_price: u128,
}

/// A failure that aborts a whole block (as opposed to one tx failing, which is a receipt).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Reading state failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// A tx in the block could not be decoded; blocks built by our producer never contain one.
    #[error("tx {index} of block {height} is undecodable: {reason}")]
    BadTx {
        /// Block height.
        height: Height,
        /// Tx position.
        index: usize,
        /// Decoder error.
        reason: String,
    },
    /// The engine's own invariant broke; the node must halt rather than diverge.
    #[error("engine invariant violated: {0}")]
    Invariant(String),
}

/// The result of executing one block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockOutput {
    /// All state writes of the block, to be committed as one version.
    pub writes: WriteSet,
    /// One result per tx, in block order.
    pub tx_results: Vec<TxResult>,
    /// Events not tied to a tx (begin/end block).
    pub block_events: Vec<Event>,
}

/// An execution engine (EVM, Move, Wasm, or the Cosmos module set). Deterministic: the same
/// state and block give the same output on any machine; no IO, clocks or randomness.
pub trait ExecutionEngine: Send + Sync + 'static {
    /// A decoded tx.
    type Tx: Clone + Send + Sync + fmt::Debug + 'static;

    /// Decodes raw tx bytes (stateless checks only: format, size, signature shape).
    fn decode_tx(&self, bytes: &[u8]) -> Result<Self::Tx, TxError>;

    /// Checks a tx against current state for mempool admission: signature, chain id,
    /// nonce not stale, fee and balance.
    /// `ctx` describes the next block (its height and the latest block time).
    fn check_tx(
        &self,
        ctx: &BlockContext,
        state: &dyn StateView,
        tx: &Self::Tx,
    ) -> Result<CheckedTx, TxError>;

    /// Executes a block of txs against `state`, returning the writes and one result per tx.
    fn execute_block(
        &self,
        ctx: &BlockContext,
        state: &dyn StateView,
        txs: &[Self::Tx],
    ) -> Result<BlockOutput, EngineError>;
}

/// The hash CometBFT gives a tx: sha256 of its bytes.
pub fn tx_hash(bytes: &[u8]) -> Hash32 {
    crate::hash::sha256(bytes)
}

impl fmt::Display for CheckedTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from {} nonce {}", self.hash, self.sender, self.nonce)
    }
}
