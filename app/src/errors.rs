//! Error codes: the Cosmos SDK's `sdk` codespace where one fits, so clients that switch on
//! codes (CosmJS, Keplr, explorers) behave as they do against a Cosmos SDK chain.

use minitia_core::{EngineError, StateError, TxError};

/// Cosmos SDK `sdk` codespace codes (types/errors/errors.go).
pub mod code {
    /// Tx bytes could not be decoded.
    pub const TX_DECODE: u32 = 2;
    /// Signature or signer checks failed.
    pub const UNAUTHORIZED: u32 = 4;
    /// Not enough balance.
    pub const INSUFFICIENT_FUNDS: u32 = 5;
    /// Unknown message type or query path.
    pub const UNKNOWN_REQUEST: u32 = 6;
    /// Malformed address.
    pub const INVALID_ADDRESS: u32 = 7;
    /// Malformed or unsupported public key.
    pub const INVALID_PUBKEY: u32 = 8;
    /// Account does not exist.
    pub const UNKNOWN_ADDRESS: u32 = 9;
    /// Malformed coins.
    pub const INVALID_COINS: u32 = 10;
    /// Gas limit exceeded.
    pub const OUT_OF_GAS: u32 = 11;
    /// Memo over the limit.
    pub const MEMO_TOO_LARGE: u32 = 12;
    /// Fee below the minimum.
    pub const INSUFFICIENT_FEE: u32 = 13;
    /// More signatures than allowed.
    pub const TOO_MANY_SIGNATURES: u32 = 14;
    /// No signatures.
    pub const NO_SIGNATURES: u32 = 15;
    /// Malformed request.
    pub const INVALID_REQUEST: u32 = 18;
    /// Same tx already in the mempool.
    pub const TX_IN_MEMPOOL: u32 = 19;
    /// Mempool full.
    pub const MEMPOOL_FULL: u32 = 20;
    /// Tx over the size limit.
    pub const TX_TOO_LARGE: u32 = 21;
    /// Past the timeout height.
    pub const TX_TIMEOUT_HEIGHT: u32 = 30;
    /// Unknown extension options.
    pub const UNKNOWN_EXTENSION_OPTIONS: u32 = 31;
    /// Sequence mismatch.
    pub const WRONG_SEQUENCE: u32 = 32;
    /// Invalid gas limit.
    pub const INVALID_GAS_LIMIT: u32 = 41;
}

/// A `sdk`-codespace tx error.
pub fn sdk(code: u32, message: impl Into<String>) -> TxError {
    TxError::new("sdk", code, message)
}

/// Errors inside tx execution: either the tx fails (a receipt with an error code) or the
/// block must abort (state could not be read; never treated as "absent").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The tx fails; its message writes are discarded.
    #[error(transparent)]
    Tx(#[from] TxError),
    /// The block cannot be executed.
    #[error(transparent)]
    Fatal(#[from] EngineError),
}

impl From<StateError> for ExecError {
    fn from(e: StateError) -> Self {
        Self::Fatal(EngineError::State(e))
    }
}

/// Shorthand for execution results.
pub type ExecResult<T> = Result<T, ExecError>;
