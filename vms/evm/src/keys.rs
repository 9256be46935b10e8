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
//! | `evm/erc20/denom/` token addr | the denom an ERC-20 view stands for ([`crate::erc20`]) |
//! | `evm/erc20/addr/` denom | the address of the denom's ERC-20 view |
//!
//! An ERC-20 view has no balances of its own: its holder slots are the bank balances.

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

/// Prefix of token address → denom.
pub const TOKEN_DENOM_PREFIX: &[u8] = b"evm/erc20/denom/";
/// Prefix of denom → token address.
pub const TOKEN_ADDRESS_PREFIX: &[u8] = b"evm/erc20/addr/";

/// Key of the denom of the ERC-20 view at `token`.
pub fn token_denom_key(token: &EvmAddress) -> Vec<u8> {
    [TOKEN_DENOM_PREFIX, token.as_slice()].concat()
}

/// Key of the ERC-20 view address of `denom`.
pub fn token_address_key(denom: &str) -> Vec<u8> {
    [TOKEN_ADDRESS_PREFIX, denom.as_bytes()].concat()
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
    minitia_app::bank::balance_key(&to_core(addr), denom)
}

/// Key of the auth account of `addr` (holds the nonce).
pub fn account_key(addr: &EvmAddress) -> Vec<u8> {
    minitia_app::auth::account_key(&to_core(addr))
}

/// Key of the hash of block `height`.
pub fn block_hash_key(height: u64) -> Vec<u8> {
    [minitia_app::BLOCK_HASH_PREFIX, &height.to_be_bytes()].concat()
}

/// The same 20 bytes as a chain address.
pub fn to_core(a: &EvmAddress) -> Address {
    Address(a.0 .0)
}

/// The same 20 bytes as an EVM address.
pub fn to_evm(a: &Address) -> EvmAddress {
    EvmAddress::from(a.0)
}
