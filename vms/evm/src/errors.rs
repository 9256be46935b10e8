//! Tx rejection codes of the `evm` codespace, with the messages Ethereum clients match on
//! (geth's txpool and core errors: viem, ethers and web3.py classify errors by these strings).

use minitia_core::TxError;

/// The codespace of EVM tx errors.
pub const CODESPACE: &str = "evm";

/// Codes within [`CODESPACE`].
pub mod code {
    /// Bytes are not a valid EIP-2718 tx.
    pub const DECODE: u32 = 1;
    /// Chain id differs from the chain's.
    pub const WRONG_CHAIN_ID: u32 = 2;
    /// Nonce already used.
    pub const NONCE_TOO_LOW: u32 = 3;
    /// Gas limit below the intrinsic cost.
    pub const INTRINSIC_GAS: u32 = 4;
    /// Fee cap below the base fee.
    pub const UNDERPRICED: u32 = 5;
    /// Balance below gas * price + value.
    pub const INSUFFICIENT_FUNDS: u32 = 6;
    /// Gas limit above the block gas limit.
    pub const GAS_LIMIT: u32 = 7;
    /// Tx larger than allowed.
    pub const OVERSIZED: u32 = 8;
    /// Signature malformed or unrecoverable.
    pub const INVALID_SIGNATURE: u32 = 9;
    /// Blob and set-code txs.
    pub const UNSUPPORTED_TYPE: u32 = 10;
    /// Legacy tx without EIP-155 chain id.
    pub const UNPROTECTED: u32 = 11;
    /// Execution reverted (REVERT).
    pub const REVERTED: u32 = 12;
    /// Execution halted (out of gas, invalid opcode, ...).
    pub const HALTED: u32 = 13;
    /// The tx became invalid before execution (e.g. a preceding tx in the block spent the funds).
    pub const INVALID_AT_EXECUTION: u32 = 14;
    /// Tip above fee cap.
    pub const TIP_ABOVE_FEE_CAP: u32 = 15;
    /// Init code larger than allowed.
    pub const INITCODE_SIZE: u32 = 16;
}

/// A tx error in the `evm` codespace.
pub fn err(code: u32, message: impl Into<String>) -> TxError {
    TxError::new(CODESPACE, code, message)
}
