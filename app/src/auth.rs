//! `x/auth`: accounts with numbers, sequences and public keys.

use cosmrs::proto::cosmos::auth::v1beta1::BaseAccount;
use minitia_core::{sha256, Address};
use prost::Message;

use super::{
    ctx::Ctx,
    errors::{ExecError, ExecResult},
};

/// Key prefix of accounts: `auth/acc/` + 20-byte address → `BaseAccount` protobuf.
pub const ACCOUNT_PREFIX: &[u8] = b"auth/acc/";
/// Key of the next account number (u64 big-endian).
pub const NEXT_ACCOUNT_NUMBER: &[u8] = b"auth/next_account_number";
/// Type URL of a secp256k1 public key.
pub const SECP256K1_PUBKEY_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// The state key of an account.
pub fn account_key(addr: &Address) -> Vec<u8> {
    [ACCOUNT_PREFIX, addr.as_bytes()].concat()
}

/// A module account's address, as the SDK derives it: sha256(name)[..20].
pub fn module_address(name: &str) -> Address {
    let h = sha256(name.as_bytes());
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[..20]);
    Address(a)
}

/// Reads an account.
pub fn get_account(ctx: &mut Ctx<'_>, addr: &Address) -> ExecResult<Option<BaseAccount>> {
    match ctx.get(&account_key(addr))? {
        None => Ok(None),
        Some(b) => BaseAccount::decode(b.as_slice()).map(Some).map_err(|e| {
            ExecError::Fatal(minitia_core::EngineError::Invariant(format!(
                "account {addr} is not decodable: {e}"
            )))
        }),
    }
}

/// Writes an account.
pub fn set_account(ctx: &mut Ctx<'_>, addr: &Address, acc: &BaseAccount) -> ExecResult<()> {
    ctx.set(account_key(addr), acc.encode_to_vec())
}

/// Returns the account, creating it with the next account number if it does not exist (as
/// the SDK does when an address first receives funds).
pub fn ensure_account(ctx: &mut Ctx<'_>, addr: &Address) -> ExecResult<BaseAccount> {
    if let Some(acc) = get_account(ctx, addr)? {
        return Ok(acc);
    }
    let next = ctx
        .get(NEXT_ACCOUNT_NUMBER)?
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0);
    ctx.set(
        NEXT_ACCOUNT_NUMBER.to_vec(),
        (next + 1).to_be_bytes().to_vec(),
    )?;
    let acc = BaseAccount {
        address: addr.to_bech32(&ctx.config.bech32_prefix),
        pub_key: None,
        account_number: next,
        sequence: 0,
    };
    set_account(ctx, addr, &acc)?;
    Ok(acc)
}

/// The stored account of `addr`, read directly from `state` (unmetered; for mempool checks,
/// nonce lookups and signature checks outside execution). `None` when it does not exist.
pub fn stored_account(
    state: &dyn minitia_core::StateView,
    addr: &Address,
) -> Result<Option<BaseAccount>, minitia_core::StateError> {
    Ok(state
        .get(&account_key(addr))?
        .and_then(|b| BaseAccount::decode(b.as_slice()).ok()))
}

/// The stored sequence of `addr` ([`stored_account`]).
pub fn stored_sequence(
    state: &dyn minitia_core::StateView,
    addr: &Address,
) -> Result<Option<u64>, minitia_core::StateError> {
    Ok(stored_account(state, addr)?.map(|a| a.sequence))
}

/// The compressed secp256k1 key an account has on record, if any.
pub fn account_pubkey(acc: &BaseAccount) -> Option<[u8; 33]> {
    let any = acc.pub_key.as_ref()?;
    let k = cosmrs::proto::cosmos::crypto::secp256k1::PubKey::decode(any.value.as_slice()).ok()?;
    <[u8; 33]>::try_from(k.key.as_slice()).ok()
}
