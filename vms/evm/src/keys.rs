//! Where EVM state lives in the chain's one committed store.
//!
//! | key | value |
//! | --- | --- |
//! | `bank/bal/` addr denom (the bank module's key) | native balance, u128 BE (1 wei = 1 base unit of the fee denom) |
//! | `auth/acc/` addr (the auth module's key) | `BaseAccount`; its `sequence` is the EVM nonce |
//! | `evm/codehash/` addr | keccak256 of the account's code (absent: no code) |
//! | `evm/code/` code hash | the code bytes |
//! | `evm/st/` addr slot(32) | storage value, 32 bytes BE (absent: zero) |
//! | `sys/block_hash/` height(8, BE) | hash of a past block (written by the app each block) |

use minitia_core::Address;
use revm::primitives::{Address as EvmAddress, B256, U256};

/// Prefix of an account's code hash.
pub const CODE_HASH_PREFIX: &[u8] = b"evm/codehash/";
/// Prefix of code by hash.
pub const CODE_PREFIX: &[u8] = b"evm/code/";
/// Prefix of storage slots.
pub const STORAGE_PREFIX: &[u8] = b"evm/st/";

/// Key of an account's code hash.
pub fn code_hash_key(addr: &EvmAddress) -> Vec<u8> {
    [CODE_HASH_PREFIX, addr.as_slice()].concat()
}

/// Key of code by its hash.
pub fn code_key(hash: &B256) -> Vec<u8> {
    [CODE_PREFIX, hash.as_slice()].concat()
}

/// Key of a storage slot.
pub fn storage_key(addr: &EvmAddress, slot: &U256) -> Vec<u8> {
    [
        STORAGE_PREFIX,
        addr.as_slice(),
        &slot.to_be_bytes::<32>()[..],
    ]
    .concat()
}

/// Key of the bank balance of `addr` in `denom` (the EVM native balance).
pub fn balance_key(addr: &EvmAddress, denom: &str) -> Vec<u8> {
    minitia_chain::app::bank::balance_key(&to_core(addr), denom)
}

/// Key of the auth account of `addr` (holds the nonce).
pub fn account_key(addr: &EvmAddress) -> Vec<u8> {
    minitia_chain::app::auth::account_key(&to_core(addr))
}

/// Key of the hash of block `height`.
pub fn block_hash_key(height: u64) -> Vec<u8> {
    [minitia_chain::app::BLOCK_HASH_PREFIX, &height.to_be_bytes()].concat()
}

/// The same 20 bytes as a chain address.
pub fn to_core(a: &EvmAddress) -> Address {
    Address(a.0 .0)
}

/// The same 20 bytes as an EVM address.
pub fn to_evm(a: &Address) -> EvmAddress {
    EvmAddress::from(a.0)
}
