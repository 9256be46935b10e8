//! The withdrawal system contract of EVM minitias: a precompile at [`BRIDGE_ADDRESS`] that
//! Solidity contracts and viem call to send the native token back to the L1.
//!
//! ```solidity
//! interface IMinitiaBridge {
//!     event InitiateTokenWithdrawal(address indexed from, string to, uint256 amount);
//!     /// Withdraws msg.value (the native token, which is the fee denom) to `to` on the L1.
//!     function initiateTokenWithdrawal(string calldata to) external payable;
//! }
//! ```
//!
//! The call moves `msg.value` into the precompile's account like any payable call; the
//! precompile checks the input (a bech32 L1 address, a non-zero amount that fits OPinit's
//! uint64, a native token that was bridged from the L1) and reverts with a reason otherwise,
//! so nothing moves. On success it logs `InitiateTokenWithdrawal`; after the tx succeeds the
//! engine turns each such log into the opchild withdrawal (burn from the precompile account,
//! next L2 sequence, the Cosmos `initiate_token_withdrawal` event the executor indexes) —
//! the same path as `MsgInitiateTokenWithdrawal`. If an enclosing call reverts, its logs are
//! dropped with it and nothing is withdrawn.
//!
//! Only the native token goes through here; other bridged denoms show up as ERC-20 tokens
//! ([`crate::erc20`]) and are withdrawn with the Cosmos message.

use minitia_app::opchild;
use minitia_app::{coin::Coin, ctx::Ctx, errors::ExecError, gas::GasMeter, AppConfig};
use minitia_core::{BlockContext, EngineError, Event, Overlay, StateView};
use revm::{
    context::Cfg,
    context_interface::{ContextTr, JournalTr},
    handler::{EthPrecompiles, PrecompileProvider},
    interpreter::{CallInputs, CallScheme, Gas, InstructionResult, InterpreterResult},
    primitives::{address, keccak256, Address, AddressSet, Bytes, Log, B256, U256},
};

use crate::keys;

/// The withdrawal precompile's address.
pub const BRIDGE_ADDRESS: Address = address!("0000000000000000000000000000000000000f10");

/// Gas one withdrawal call costs (on top of the call itself).
pub const WITHDRAW_GAS: u64 = 40_000;

/// `initiateTokenWithdrawal(string)` selector.
pub fn selector() -> [u8; 4] {
    let h = keccak256(b"initiateTokenWithdrawal(string)");
    [h[0], h[1], h[2], h[3]]
}

/// `InitiateTokenWithdrawal(address,string,uint256)` topic.
pub fn event_topic() -> B256 {
    keccak256(b"InitiateTokenWithdrawal(address,string,uint256)")
}

/// Whether the native token (`denom`) is a bridged L1 token on this chain (read once per tx,
/// before it runs: the pair, once recorded by a deposit, never goes away).
pub fn native_is_bridged(view: &dyn StateView, denom: &str) -> Result<bool, EngineError> {
    Ok(view.get(&opchild::base_denom_key(denom))?.is_some())
}

/// The EVM's precompiles plus the withdrawal precompile.
#[derive(Debug, Clone)]
pub struct BridgePrecompiles {
    eth: EthPrecompiles,
    warm: AddressSet,
    bridged: bool,
}

impl BridgePrecompiles {
    /// `bridged`: whether the native token can be withdrawn.
    pub fn new(eth: EthPrecompiles, bridged: bool) -> Self {
        let mut warm = eth.warm_addresses().clone();
        warm.insert(BRIDGE_ADDRESS);
        Self { eth, warm, bridged }
    }
}

fn abi_string(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(s.len()).to_be_bytes::<32>());
    out.extend_from_slice(s.as_bytes());
    out.resize(64 + s.len().div_ceil(32) * 32, 0);
    out
}

/// ABI `Error(string)` revert data.
fn revert_data(msg: &str) -> Bytes {
    let mut out = vec![0x08, 0xc3, 0x79, 0xa0];
    out.extend(abi_string(msg));
    out.into()
}

/// Decodes the single `string` argument after the selector.
fn decode_string_arg(args: &[u8]) -> Option<String> {
    let word = |i: usize| -> Option<usize> {
        let w = args.get(i..i + 32)?;
        usize::try_from(U256::from_be_slice(w)).ok()
    };
    let off = word(0)?;
    let len = word(off)?;
    let start = off.checked_add(32)?;
    let s = args.get(start..start.checked_add(len)?)?;
    String::from_utf8(s.to_vec()).ok()
}

fn check(inputs: &CallInputs, input: &[u8], bridged: bool) -> Result<(String, u64), String> {
    if inputs.scheme != CallScheme::Call || inputs.target_address != BRIDGE_ADDRESS {
        return Err("the bridge precompile only takes plain calls".into());
    }
    let Some(args) = input.strip_prefix(&selector()[..]) else {
        return Err(
            "unknown function; the bridge precompile has initiateTokenWithdrawal(string)".into(),
        );
    };
    let to = decode_string_arg(args)
        .ok_or("malformed ABI input: expected initiateTokenWithdrawal(string to)")?;
    if minitia_core::Address::parse_bech32_any(&to).is_err() || to.len() > 256 {
        return Err(format!(
            "invalid L1 recipient {to:?}: expected a bech32 address"
        ));
    }
    let value = inputs.transfer_value().unwrap_or_default();
    if value.is_zero() {
        return Err("send the amount to withdraw as msg.value".into());
    }
    let amount = u64::try_from(value)
        .map_err(|_| format!("amount {value} does not fit in 64 bits (OPinit's limit)"))?;
    if !bridged {
        return Err(
            "the native token was never deposited from the L1, so it cannot be withdrawn".into(),
        );
    }
    Ok((to, amount))
}

impl<CTX> PrecompileProvider<CTX> for BridgePrecompiles
where
    CTX: ContextTr,
    CTX::Db: crate::db::TokenDb,
{
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: <CTX::Cfg as Cfg>::Spec) -> bool {
        let changed = <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.eth, spec);
        if changed {
            let mut warm = self.eth.warm_addresses().clone();
            warm.insert(BRIDGE_ADDRESS);
            self.warm = warm;
        }
        changed
    }

    fn run(
        &mut self,
        context: &mut CTX,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        if crate::erc20::is_token_address(&inputs.bytecode_address) {
            return crate::erc20::run(context, inputs);
        }
        if inputs.bytecode_address != BRIDGE_ADDRESS {
            return <EthPrecompiles as PrecompileProvider<CTX>>::run(
                &mut self.eth,
                context,
                inputs,
            );
        }
        let mut gas = Gas::new(inputs.gas_limit);
        if !gas.record_regular_cost(WITHDRAW_GAS) {
            gas.spend_all();
            return Ok(Some(InterpreterResult::new(
                InstructionResult::PrecompileOOG,
                Bytes::new(),
                gas,
            )));
        }
        let input = inputs.input.as_bytes(context).to_vec();
        match check(inputs, &input, self.bridged) {
            Ok((to, amount)) => {
                let mut data = abi_string(&to);
                // (string, uint256): head is [offset 64, amount], then the string.
                let mut enc = Vec::with_capacity(data.len() + 32);
                enc.extend_from_slice(&U256::from(64).to_be_bytes::<32>());
                enc.extend_from_slice(&U256::from(amount).to_be_bytes::<32>());
                enc.extend_from_slice(&data.split_off(32));
                context.journal_mut().log(Log::new_unchecked(
                    BRIDGE_ADDRESS,
                    vec![event_topic(), inputs.caller.into_word()],
                    enc.into(),
                ));
                Ok(Some(InterpreterResult::new(
                    InstructionResult::Return,
                    Bytes::new(),
                    gas,
                )))
            }
            Err(msg) => Ok(Some(InterpreterResult::new(
                InstructionResult::Revert,
                revert_data(&msg),
                gas,
            ))),
        }
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}

/// Decodes an `InitiateTokenWithdrawal` log of the precompile: `(from, to, amount)`.
pub fn decode_log(log: &Log) -> Option<(Address, String, u64)> {
    if log.address != BRIDGE_ADDRESS || log.topics().first() != Some(&event_topic()) {
        return None;
    }
    let from = Address::from_word(*log.topics().get(1)?);
    let data = &log.data.data;
    let amount = u64::try_from(U256::from_be_slice(data.get(32..64)?)).ok()?;
    let to = decode_string_arg(data)?;
    Some((from, to, amount))
}

/// Turns the precompile's logs of a successful tx into opchild withdrawals on `block`,
/// appending the Cosmos events to `events`.
pub fn apply_withdrawals(
    app: &AppConfig,
    ctx: &BlockContext,
    block: &mut Overlay<'_>,
    logs: &[Log],
    events: &mut Vec<Event>,
) -> Result<(), EngineError> {
    for log in logs {
        let Some((from, to, amount)) = decode_log(log) else {
            continue;
        };
        let holder = keys::to_core(&BRIDGE_ADDRESS);
        let from = keys::to_core(&from).to_bech32(&app.bech32_prefix);
        let mut c = Ctx::new(&*block, ctx, app, GasMeter::new(u64::MAX));
        let coin = Coin::new(u128::from(amount), app.fee_denom.clone());
        match opchild::initiate_withdrawal(&mut c, &holder, &from, &to, &coin) {
            Ok(_) => {
                let (writes, evs, _) = c.into_parts();
                block.apply(writes);
                events.extend(evs);
            }
            Err(ExecError::Fatal(e)) => return Err(e),
            Err(ExecError::Tx(e)) => {
                return Err(EngineError::Invariant(format!(
                    "the bridge precompile accepted a withdrawal opchild refuses: {e}"
                )))
            }
        }
    }
    Ok(())
}
