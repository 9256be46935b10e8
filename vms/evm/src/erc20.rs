//! ERC-20 views of bank denoms: every bridged L1 token other than the fee denom appears to
//! the EVM as an ERC-20 contract that wallets, viem and Solidity use unmodified.
//!
//! **One balance.** A token's balances *are* the bank balances of its denom: `balanceOf(a)`
//! reads `bank/bal/ a denom`, a `transfer` moves bank funds, and a Cosmos `MsgSend` of the
//! denom changes what `balanceOf` returns. There is no second ledger to keep in sync.
//!
//! **Address.** A denom's token lives at [`token_address`]: the ten bytes `erc20/bank`
//! followed by the first ten bytes of `keccak256(denom)`. The address is registered (its
//! denom, an auth account and a marker code, so `eth_getCode` is non-empty) the first time a
//! deposit of the denom finalizes; [`registered_token`] answers the address of a denom.
//!
//! **How it runs.** Calls to a registered token are served by a precompile
//! ([`run`]): `name`, `symbol` (the L1 denom), `decimals` (0: one token unit is one base unit
//! of the denom, exact both ways, as the native token's 1 wei = 1 base unit), `totalSupply`
//! (the bank supply), `balanceOf`, `transfer`, `approve`, `allowance`, `transferFrom`, with
//! the standard `Transfer` / `Approval` logs. Balances are read and written through revm's
//! journal as storage slots of the token account — slot = the holder's 20 bytes, which the
//! state database maps to the bank key (see [`crate::db::StateDb`]) — so a transfer inside
//! a call that later reverts is undone with it, and the engine writes the final balances back
//! as bank balances (see [`crate::engine::EvmEngine::apply_state`]). Allowances are ordinary
//! storage of the token account, at `keccak256(owner ‖ spender)` with the top bit set (never
//! a holder slot).
//!
//! Minievm keeps the opposite arrangement (ERC-20 contracts are the ledger and its bank
//! module reads them); ours keeps the bank as the ledger so the Cosmos tx path, the bridge and
//! fraud-proof witnesses need no EVM at all.

use minitia_core::StateView;
use revm::{
    context_interface::{ContextTr, JournalTr},
    interpreter::{CallInputs, CallScheme, Gas, InstructionResult, InterpreterResult},
    primitives::{keccak256, Address, Bytes, Log, B256, U256},
};

use crate::{
    db::{DbError, TokenDb},
    keys,
};

/// The first ten bytes of every token address: ASCII `erc20/bank`.
pub const TOKEN_PREFIX: [u8; 10] = *b"erc20/bank";

/// The code stored at a token address: `PUSH0 PUSH0 REVERT`. The precompile answers every
/// call before code would run; the code makes the address a contract for `eth_getCode` and
/// for tools that check it.
pub const MARKER_CODE: [u8; 3] = [0x5f, 0x5f, 0xfd];

/// Gas of a read (`balanceOf`, `allowance`, `totalSupply`, `name`, ...).
pub const READ_GAS: u64 = 2_600;
/// Gas of `transfer` and `approve`.
pub const WRITE_GAS: u64 = 30_000;
/// Gas of `transferFrom` (a transfer plus an allowance update).
pub const TRANSFER_FROM_GAS: u64 = 40_000;

/// Function selectors (checked against keccak256 of the signatures in the tests).
pub mod selector {
    /// `name()`
    pub const NAME: [u8; 4] = [0x06, 0xfd, 0xde, 0x03];
    /// `symbol()`
    pub const SYMBOL: [u8; 4] = [0x95, 0xd8, 0x9b, 0x41];
    /// `decimals()`
    pub const DECIMALS: [u8; 4] = [0x31, 0x3c, 0xe5, 0x67];
    /// `totalSupply()`
    pub const TOTAL_SUPPLY: [u8; 4] = [0x18, 0x16, 0x0d, 0xdd];
    /// `balanceOf(address)`
    pub const BALANCE_OF: [u8; 4] = [0x70, 0xa0, 0x82, 0x31];
    /// `transfer(address,uint256)`
    pub const TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
    /// `allowance(address,address)`
    pub const ALLOWANCE: [u8; 4] = [0xdd, 0x62, 0xed, 0x3e];
    /// `approve(address,uint256)`
    pub const APPROVE: [u8; 4] = [0x09, 0x5e, 0xa7, 0xb3];
    /// `transferFrom(address,address,uint256)`
    pub const TRANSFER_FROM: [u8; 4] = [0x23, 0xb8, 0x72, 0xdd];
}

/// `Transfer(address,address,uint256)` topic.
pub fn transfer_topic() -> B256 {
    keccak256(b"Transfer(address,address,uint256)")
}

/// `Approval(address,address,uint256)` topic.
pub fn approval_topic() -> B256 {
    keccak256(b"Approval(address,address,uint256)")
}

/// The token address of `denom` (registered or not).
pub fn token_address(denom: &str) -> Address {
    let h = keccak256(denom.as_bytes());
    let mut a = [0u8; 20];
    a[..10].copy_from_slice(&TOKEN_PREFIX);
    a[10..].copy_from_slice(&h[..10]);
    Address::from(a)
}

/// Whether `a` is in the token address range (cheap; says nothing about registration).
pub fn is_token_address(a: &Address) -> bool {
    a.0[..10] == TOKEN_PREFIX
}

/// The storage slot that holds `holder`'s balance in a token account.
pub fn holder_slot(holder: &Address) -> U256 {
    U256::from_be_slice(holder.as_slice())
}

/// The holder a balance slot stands for, `None` for other slots (allowances).
pub fn slot_holder(slot: &U256) -> Option<Address> {
    if slot.bit_len() > 160 {
        return None;
    }
    let b = slot.to_be_bytes::<32>();
    Some(Address::from_slice(&b[12..]))
}

/// The storage slot of `owner`'s allowance to `spender`.
pub fn allowance_slot(owner: &Address, spender: &Address) -> U256 {
    let h = keccak256([owner.as_slice(), spender.as_slice()].concat());
    let mut s = U256::from_be_bytes(h.0);
    s.set_bit(255, true);
    s
}

/// The denom a registered token address stands for.
pub fn read_denom(view: &dyn StateView, token: &Address) -> Result<Option<String>, DbError> {
    if !is_token_address(token) {
        return Ok(None);
    }
    match view.get(&keys::token_denom_key(token))? {
        None => Ok(None),
        Some(b) => String::from_utf8(b)
            .map(Some)
            .map_err(|_| DbError::Malformed(format!("denom of token {token} is not UTF-8"))),
    }
}

/// The registered token address of `denom`, if any.
pub fn registered_token(view: &dyn StateView, denom: &str) -> Result<Option<Address>, DbError> {
    match view.get(&keys::token_address_key(denom))? {
        None => Ok(None),
        Some(b) if b.len() == 20 => Ok(Some(Address::from_slice(&b))),
        Some(_) => Err(DbError::Malformed(format!(
            "token address of {denom} is not 20 bytes"
        ))),
    }
}

fn abi_word(v: U256) -> Vec<u8> {
    v.to_be_bytes::<32>().to_vec()
}

fn abi_string(s: &str) -> Vec<u8> {
    let mut out = abi_word(U256::from(32));
    out.extend(abi_word(U256::from(s.len())));
    out.extend_from_slice(s.as_bytes());
    out.resize(64 + s.len().div_ceil(32) * 32, 0);
    out
}

/// ABI `Error(string)` revert data.
pub fn revert_data(msg: &str) -> Bytes {
    let mut out = vec![0x08, 0xc3, 0x79, 0xa0];
    out.extend(abi_string(msg));
    out.into()
}

fn arg_word(args: &[u8], i: usize) -> Result<U256, String> {
    args.get(i * 32..i * 32 + 32)
        .map(U256::from_be_slice)
        .ok_or_else(|| "malformed ABI input: too few arguments".to_string())
}

fn arg_address(args: &[u8], i: usize) -> Result<Address, String> {
    let w = arg_word(args, i)?;
    if w.bit_len() > 160 {
        return Err(format!(
            "malformed ABI input: argument {i} is not an address"
        ));
    }
    Ok(Address::from_slice(&w.to_be_bytes::<32>()[12..]))
}

enum Outcome {
    Return(Vec<u8>),
    Revert(String),
}

/// Serves a call to the token at `inputs.bytecode_address`; `Ok(None)` when that address is
/// not a registered token (the call then runs as an ordinary call). `Err` is fatal for the
/// block (a state read failed).
pub fn run<CTX>(context: &mut CTX, inputs: &CallInputs) -> Result<Option<InterpreterResult>, String>
where
    CTX: ContextTr,
    CTX::Db: TokenDb,
{
    let token = inputs.bytecode_address;
    let Some(denom) = context
        .db_mut()
        .token_denom(&token)
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let input = inputs.input.as_bytes(context).to_vec();
    let sel: Option<[u8; 4]> = input.get(..4).and_then(|s| s.try_into().ok());
    let cost = match sel {
        Some(selector::TRANSFER | selector::APPROVE) => WRITE_GAS,
        Some(selector::TRANSFER_FROM) => TRANSFER_FROM_GAS,
        _ => READ_GAS,
    };
    let mut gas = Gas::new(inputs.gas_limit);
    if !gas.record_regular_cost(cost) {
        gas.spend_all();
        return Ok(Some(InterpreterResult::new(
            InstructionResult::PrecompileOOG,
            Bytes::new(),
            gas,
        )));
    }
    let out = match call(context, inputs, &token, &denom, sel, &input) {
        Ok(o) => o,
        Err(Fatal(e)) => return Err(e),
    };
    Ok(Some(match out {
        Outcome::Return(data) => {
            InterpreterResult::new(InstructionResult::Return, data.into(), gas)
        }
        Outcome::Revert(msg) => {
            InterpreterResult::new(InstructionResult::Revert, revert_data(&msg), gas)
        }
    }))
}

struct Fatal(String);

fn call<CTX>(
    context: &mut CTX,
    inputs: &CallInputs,
    token: &Address,
    denom: &str,
    sel: Option<[u8; 4]>,
    input: &[u8],
) -> Result<Outcome, Fatal>
where
    CTX: ContextTr,
    CTX::Db: TokenDb,
{
    macro_rules! bad {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(msg) => return Ok(Outcome::Revert(msg)),
            }
        };
    }
    if inputs.target_address != *token
        || !matches!(inputs.scheme, CallScheme::Call | CallScheme::StaticCall)
    {
        return Ok(Outcome::Revert(format!(
            "the {denom} token only takes CALL and STATICCALL"
        )));
    }
    if !inputs.transfer_value().unwrap_or_default().is_zero() {
        return Ok(Outcome::Revert(format!(
            "the {denom} token does not accept the native token (msg.value must be 0)"
        )));
    }
    let Some(sel) = sel else {
        return Ok(Outcome::Revert(format!(
            "the {denom} token has no fallback: call an ERC-20 function"
        )));
    };
    let args = &input[4..];
    let writes = matches!(
        sel,
        selector::TRANSFER | selector::APPROVE | selector::TRANSFER_FROM
    );
    if writes && inputs.is_static {
        return Ok(Outcome::Revert(format!(
            "the {denom} token cannot change balances in a static call"
        )));
    }
    let fatal = |e: DbError| Fatal(e.to_string());
    // The token account is loaded by the call itself; loading again is a no-op.
    context
        .journal_mut()
        .load_account(*token)
        .map_err(|e| Fatal(e.to_string()))?;
    let sload = |ctx: &mut CTX, slot: U256| -> Result<U256, Fatal> {
        ctx.journal_mut()
            .sload(*token, slot)
            .map(|s| s.data)
            .map_err(|e| Fatal(e.to_string()))
    };
    let out = match sel {
        selector::NAME | selector::SYMBOL => {
            let name = context
                .db_mut()
                .token_base_denom(denom)
                .map_err(fatal)?
                .unwrap_or_else(|| denom.to_string());
            Outcome::Return(abi_string(&name))
        }
        selector::DECIMALS => Outcome::Return(abi_word(U256::ZERO)),
        selector::TOTAL_SUPPLY => {
            let s = context.db_mut().token_supply(denom).map_err(fatal)?;
            Outcome::Return(abi_word(U256::from(s)))
        }
        selector::BALANCE_OF => {
            let holder = bad!(arg_address(args, 0));
            Outcome::Return(abi_word(sload(context, holder_slot(&holder))?))
        }
        selector::ALLOWANCE => {
            let owner = bad!(arg_address(args, 0));
            let spender = bad!(arg_address(args, 1));
            Outcome::Return(abi_word(sload(context, allowance_slot(&owner, &spender))?))
        }
        selector::APPROVE => {
            let spender = bad!(arg_address(args, 0));
            let amount = bad!(arg_word(args, 1));
            sstore(
                context,
                token,
                allowance_slot(&inputs.caller, &spender),
                amount,
            )?;
            log(
                context,
                token,
                approval_topic(),
                &inputs.caller,
                &spender,
                amount,
            );
            Outcome::Return(abi_word(U256::from(1)))
        }
        selector::TRANSFER => {
            let to = bad!(arg_address(args, 0));
            let amount = bad!(arg_word(args, 1));
            bad!(transfer(
                context,
                token,
                denom,
                &inputs.caller,
                &to,
                amount
            )?);
            Outcome::Return(abi_word(U256::from(1)))
        }
        selector::TRANSFER_FROM => {
            let from = bad!(arg_address(args, 0));
            let to = bad!(arg_address(args, 1));
            let amount = bad!(arg_word(args, 2));
            let slot = allowance_slot(&from, &inputs.caller);
            let allowed = sload(context, slot)?;
            if allowed < amount {
                return Ok(Outcome::Revert(format!(
                    "ERC20: insufficient allowance: {allowed} < {amount}"
                )));
            }
            if allowed != U256::MAX {
                sstore(context, token, slot, allowed - amount)?;
            }
            bad!(transfer(context, token, denom, &from, &to, amount)?);
            Outcome::Return(abi_word(U256::from(1)))
        }
        other => Outcome::Revert(format!(
            "the {denom} token has no function with selector 0x{}",
            hex::encode(other)
        )),
    };
    Ok(out)
}

fn sstore<CTX: ContextTr>(
    context: &mut CTX,
    token: &Address,
    slot: U256,
    v: U256,
) -> Result<(), Fatal> {
    context
        .journal_mut()
        .sstore(*token, slot, v)
        .map(|_| ())
        .map_err(|e| Fatal(format!("{e:?}")))
}

fn log<CTX: ContextTr>(
    context: &mut CTX,
    token: &Address,
    topic: B256,
    a: &Address,
    b: &Address,
    amount: U256,
) {
    context.journal_mut().log(Log::new_unchecked(
        *token,
        vec![topic, a.into_word(), b.into_word()],
        abi_word(amount).into(),
    ));
}

/// Moves `amount` of the token from `from` to `to` in the journal; `Ok(Err)` = revert.
fn transfer<CTX: ContextTr>(
    context: &mut CTX,
    token: &Address,
    denom: &str,
    from: &Address,
    to: &Address,
    amount: U256,
) -> Result<Result<(), String>, Fatal> {
    let load = |ctx: &mut CTX, a: &Address| -> Result<U256, Fatal> {
        ctx.journal_mut()
            .sload(*token, holder_slot(a))
            .map(|s| s.data)
            .map_err(|e| Fatal(format!("{e:?}")))
    };
    let have = load(context, from)?;
    if have < amount {
        return Ok(Err(format!(
            "ERC20: transfer amount exceeds balance: {from} has {have}{denom}, wants to send {amount}"
        )));
    }
    if from != to && !amount.is_zero() {
        let theirs = load(context, to)?;
        let Some(new) = theirs.checked_add(amount).filter(|n| n.bit_len() <= 128) else {
            return Ok(Err(format!("ERC20: balance of {to} would overflow")));
        };
        sstore(context, token, holder_slot(from), have - amount)?;
        sstore(context, token, holder_slot(to), new)?;
    }
    log(context, token, transfer_topic(), from, to, amount);
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_keccak_of_the_signatures() {
        for (sig, sel) in [
            ("name()", selector::NAME),
            ("symbol()", selector::SYMBOL),
            ("decimals()", selector::DECIMALS),
            ("totalSupply()", selector::TOTAL_SUPPLY),
            ("balanceOf(address)", selector::BALANCE_OF),
            ("transfer(address,uint256)", selector::TRANSFER),
            ("allowance(address,address)", selector::ALLOWANCE),
            ("approve(address,uint256)", selector::APPROVE),
            (
                "transferFrom(address,address,uint256)",
                selector::TRANSFER_FROM,
            ),
        ] {
            assert_eq!(&keccak256(sig.as_bytes())[..4], &sel[..], "{sig}");
        }
    }

    #[test]
    fn slots_round_trip_and_never_collide() {
        let a = Address::repeat_byte(0xab);
        let b = Address::repeat_byte(0x01);
        assert_eq!(slot_holder(&holder_slot(&a)), Some(a));
        assert_eq!(slot_holder(&allowance_slot(&a, &b)), None);
        assert_ne!(allowance_slot(&a, &b), allowance_slot(&b, &a));
        let t = token_address("l2/abc");
        assert!(is_token_address(&t));
        assert_ne!(t, token_address("l2/abd"));
        assert!(!is_token_address(&a));
    }
}
