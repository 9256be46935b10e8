//! `x/opchild` of OPinit, the L2 half of the bridge: deposits relayed by the bridge executor
//! are minted strictly in L1 sequence order, withdrawals burn and get the next L2 sequence.
//! Type URLs, fields and event attributes follow OPinit's `x/opchild/keeper/msg_server.go`.
//!
//! - `MsgFinalizeTokenDeposit` (executors only, listed in `app_state.opchild.params.
//!   bridge_executors`): the sequence must be exactly the next expected L1 sequence; a lower
//!   one is a duplicate and fails with [`code::DEPOSIT_ALREADY_FINALIZED`] without changing
//!   anything. The coins are minted in `l2_denom(bridge_id, base_denom)`; when `to` is not
//!   a valid L2 address, or the deposit carries hook `data` (this chain runs no deposit hooks,
//!   so a hook always fails), the minted coins are withdrawn back to the L1 `from` instead —
//!   the deposit still consumes its sequence, as in OPinit.
//! - `MsgInitiateTokenWithdrawal`: burns a bridged token and emits `initiate_token_withdrawal`
//!   with the L2 sequence; [`initiate_withdrawal`] is the same path for the EVM system contract.
//! - `MsgSetBridgeInfo` (executors only): records the L1 bridge; its id can never change.
//!
//! Everything is read and written through [`Ctx`], so the fraud-proof verifier re-runs it.

use crate::{
    auth, bank,
    coin::Coin,
    ctx::Ctx,
    errors::{code as sdk_code, sdk, ExecError, ExecResult},
    module::{decode_query, parse_addr, unpack},
    AppConfig, Module, QueryCtx, QueryError,
};
use cosmrs::Any;
use minitia_core::{opinit::l2_denom, Address, Event, TxError};
use prost::Message;
use serde::Deserialize;

pub mod proto;

use proto::*;

/// Module name (events, genesis section `app_state.opchild`).
pub const MODULE: &str = "opchild";
/// Error codespace.
pub const CODESPACE: &str = "opchild";

/// Message type URLs.
pub mod msg {
    /// `MsgFinalizeTokenDeposit`.
    pub const FINALIZE_DEPOSIT: &str = "/opinit.opchild.v1.MsgFinalizeTokenDeposit";
    /// `MsgInitiateTokenWithdrawal`.
    pub const INITIATE_WITHDRAWAL: &str = "/opinit.opchild.v1.MsgInitiateTokenWithdrawal";
    /// `MsgSetBridgeInfo`.
    pub const SET_BRIDGE_INFO: &str = "/opinit.opchild.v1.MsgSetBridgeInfo";
}

/// Query paths.
pub mod query {
    /// Next L1 sequence.
    pub const NEXT_L1_SEQUENCE: &str = "/opinit.opchild.v1.Query/NextL1Sequence";
    /// Next L2 sequence.
    pub const NEXT_L2_SEQUENCE: &str = "/opinit.opchild.v1.Query/NextL2Sequence";
    /// Bridge info.
    pub const BRIDGE_INFO: &str = "/opinit.opchild.v1.Query/BridgeInfo";
    /// Params.
    pub const PARAMS: &str = "/opinit.opchild.v1.Query/Params";
}

/// Error codes of the `opchild` codespace.
pub mod code {
    /// The deposit's sequence is above the next expected one.
    pub const INVALID_SEQUENCE: u32 = 2;
    /// The deposit's sequence was already finalized.
    pub const DEPOSIT_ALREADY_FINALIZED: u32 = 3;
    /// The amount's denom does not match `l2_denom(bridge_id, base_denom)`.
    pub const INVALID_DENOM: u32 = 4;
    /// Zero, missing or over-64-bit amount.
    pub const INVALID_AMOUNT: u32 = 5;
    /// The bridge info is not set yet, or a different bridge id was given.
    pub const BRIDGE_INFO: u32 = 6;
    /// The token was not bridged from the L1.
    pub const NOT_BRIDGED: u32 = 7;
}

const NEXT_L1_SEQ: &[u8] = b"opchild/next_l1_seq";
const NEXT_L2_SEQ: &[u8] = b"opchild/next_l2_seq";
const PARAMS: &[u8] = b"opchild/params";
const BRIDGE_INFO: &[u8] = b"opchild/bridge_info";
const BASE_DENOM: &[u8] = b"opchild/base_denom/";

fn err(code: u32, msg: impl Into<String>) -> ExecError {
    ExecError::Tx(TxError::new(CODESPACE, code, msg))
}

fn fatal(what: impl Into<String>) -> ExecError {
    ExecError::Fatal(minitia_core::EngineError::Invariant(what.into()))
}

fn get_u64(ctx: &mut Ctx<'_>, key: &[u8]) -> ExecResult<u64> {
    match ctx.get(key)? {
        None => Ok(1),
        Some(b) => <[u8; 8]>::try_from(b.as_slice())
            .map(u64::from_be_bytes)
            .map_err(|_| fatal("stored opchild sequence is not 8 bytes")),
    }
}

fn params(ctx: &mut Ctx<'_>) -> ExecResult<Params> {
    match ctx.get(PARAMS)? {
        None => Ok(Params::default()),
        Some(b) => Params::decode(b.as_slice()).map_err(|e| fatal(format!("opchild params: {e}"))),
    }
}

/// The bridge info, if the executor set it.
pub fn bridge_info(ctx: &mut Ctx<'_>) -> ExecResult<Option<BridgeInfo>> {
    ctx.get(BRIDGE_INFO)?
        .map(|b| {
            BridgeInfo::decode(b.as_slice()).map_err(|e| fatal(format!("opchild bridge info: {e}")))
        })
        .transpose()
}

/// State key of the L1 denom of bridged L2 denom `l2` (set by its first deposit, never removed).
pub fn base_denom_key(l2: &str) -> Vec<u8> {
    [BASE_DENOM, l2.as_bytes()].concat()
}

/// The L1 denom of a bridged L2 denom, if any deposit of it was finalized.
pub fn base_denom(ctx: &mut Ctx<'_>, l2: &str) -> ExecResult<Option<String>> {
    Ok(ctx
        .get(&base_denom_key(l2))?
        .map(|b| String::from_utf8_lossy(&b).into_owned()))
}

fn require_executor(ctx: &mut Ctx<'_>, sender: &str) -> ExecResult<()> {
    let p = params(ctx)?;
    if !p.bridge_executors.iter().any(|e| e == sender) {
        return Err(ExecError::Tx(sdk(
            sdk_code::UNAUTHORIZED,
            format!(
                "expected one of the bridge executors [{}], got {sender}: unauthorized",
                p.bridge_executors.join(", ")
            ),
        )));
    }
    Ok(())
}

/// Checks a bridge amount: present, positive, fits OPinit's uint64.
pub fn bridge_coin(c: Option<&cosmrs::proto::cosmos::base::v1beta1::Coin>) -> ExecResult<Coin> {
    let c = c.ok_or_else(|| err(code::INVALID_AMOUNT, "amount is missing: invalid amount"))?;
    let coin = Coin::from_proto(c)?;
    if coin.amount == 0 || u64::try_from(coin.amount).is_err() {
        return Err(err(
            code::INVALID_AMOUNT,
            format!("amount must be positive and fit in 64 bits, got {coin}: invalid amount"),
        ));
    }
    Ok(coin)
}

/// A withdrawal of `coin` (an L2 denom) from `from` to the L1 address `to`: burns the coins
/// held by `holder` and assigns the next L2 sequence. `from` is the sender as the withdrawal
/// leaf hashes it (the bech32 string). Shared by the Cosmos message, deposit refunds and the
/// EVM system contract.
pub fn initiate_withdrawal(
    ctx: &mut Ctx<'_>,
    holder: &Address,
    from: &str,
    to: &str,
    coin: &Coin,
) -> ExecResult<u64> {
    if to.is_empty() || to.len() > 256 || Address::parse_bech32_any(to).is_err() {
        return Err(ExecError::Tx(sdk(
            sdk_code::INVALID_ADDRESS,
            format!("invalid L1 recipient {to:?}: expected a bech32 address: invalid address"),
        )));
    }
    if coin.amount == 0 || u64::try_from(coin.amount).is_err() {
        return Err(err(
            code::INVALID_AMOUNT,
            format!("amount must be positive and fit in 64 bits, got {coin}: invalid amount"),
        ));
    }
    let Some(base) = base_denom(ctx, &coin.denom)? else {
        return Err(err(
            code::NOT_BRIDGED,
            format!(
                "{} was never deposited from the L1, so it cannot be withdrawn: token not bridged",
                coin.denom
            ),
        ));
    };
    bank::burn(ctx, holder, std::slice::from_ref(coin))?;
    let seq = get_u64(ctx, NEXT_L2_SEQ)?;
    ctx.set(NEXT_L2_SEQ.to_vec(), (seq + 1).to_be_bytes().to_vec())?;
    ctx.emit(
        Event::new("initiate_token_withdrawal")
            .attr("from", from)
            .attr("to", to)
            .attr("denom", &coin.denom)
            .attr("base_denom", base)
            .attr("amount", coin.amount.to_string())
            .attr("l2_sequence", seq.to_string()),
    );
    Ok(seq)
}

/// The opchild module account (holds refunded deposits for the instant they are burned).
pub fn module_address() -> Address {
    auth::module_address(MODULE)
}

fn any(name: &str, value: Vec<u8>) -> Any {
    Any {
        type_url: format!("/opinit.opchild.v1.{name}"),
        value,
    }
}

/// Genesis section `app_state.opchild`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Genesis {
    params: GenesisParams,
    bridge_info: Option<GenesisBridgeInfo>,
    next_l1_sequence: Option<u64>,
    next_l2_sequence: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct GenesisParams {
    bridge_executors: Vec<String>,
    admin: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenesisBridgeInfo {
    bridge_id: u64,
    #[serde(default)]
    bridge_addr: String,
    #[serde(default)]
    l1_chain_id: String,
}

/// The opchild module.
#[derive(Debug, Default, Clone, Copy)]
pub struct OpchildModule;

impl OpchildModule {
    fn finalize_deposit(&self, ctx: &mut Ctx<'_>, m: MsgFinalizeTokenDeposit) -> ExecResult<Any> {
        parse_addr("sender", &m.sender, ctx.config)?;
        require_executor(ctx, &m.sender)?;
        let coin = bridge_coin(m.amount.as_ref())?;
        let Some(info) = bridge_info(ctx)? else {
            return Err(err(
                code::BRIDGE_INFO,
                "the bridge info is not set; the executor sends MsgSetBridgeInfo first: bridge info not set",
            ));
        };
        let want = l2_denom(info.bridge_id, &m.base_denom);
        if coin.denom != want {
            return Err(err(
                code::INVALID_DENOM,
                format!(
                    "expected {want} (l2 denom of {} on bridge {}), got {}: invalid denom",
                    m.base_denom, info.bridge_id, coin.denom
                ),
            ));
        }
        let next = get_u64(ctx, NEXT_L1_SEQ)?;
        if m.sequence < next {
            return Err(err(
                code::DEPOSIT_ALREADY_FINALIZED,
                format!(
                    "deposit {} was already finalized (next expected is {next}): deposit already finalized",
                    m.sequence
                ),
            ));
        }
        if m.sequence > next {
            return Err(err(
                code::INVALID_SEQUENCE,
                format!(
                    "expected sequence {next}, got {}: deposits finalize strictly in order: invalid sequence",
                    m.sequence
                ),
            ));
        }
        ctx.set(NEXT_L1_SEQ.to_vec(), (next + 1).to_be_bytes().to_vec())?;
        let pair = base_denom_key(&coin.denom);
        if ctx.get(&pair)?.is_none() {
            ctx.set(pair, m.base_denom.as_bytes().to_vec())?;
        }
        let recipient = Address::parse(&m.to, &ctx.config.bech32_prefix);
        let failure = match (&recipient, m.data.is_empty()) {
            (Err(e), _) => Some(format!("invalid recipient: {e}")),
            (Ok(_), false) => Some("deposit hooks are not supported on this chain".to_string()),
            (Ok(_), true) => None,
        };
        let mut ev = Event::new("finalize_token_deposit")
            .attr("l1_sequence", m.sequence.to_string())
            .attr("sender", &m.from)
            .attr("recipient", &m.to)
            .attr("denom", &coin.denom)
            .attr("base_denom", &m.base_denom)
            .attr("amount", coin.amount.to_string())
            .attr("finalize_height", m.height.to_string());
        match (recipient, failure) {
            (Ok(to), None) => {
                bank::mint(ctx, &to, std::slice::from_ref(&coin))?;
                ev = ev.attr("success", "true");
                ctx.emit(ev);
            }
            (_, reason) => {
                // Refund: mint to the module account and withdraw back to the L1 sender.
                let holder = module_address();
                bank::mint(ctx, &holder, std::slice::from_ref(&coin))?;
                ev = ev
                    .attr("success", "false")
                    .attr("reason", reason.unwrap_or_default());
                ctx.emit(ev);
                let from = holder.to_bech32(&ctx.config.bech32_prefix);
                initiate_withdrawal(ctx, &holder, &from, &m.from, &coin)?;
            }
        }
        Ok(any(
            "MsgFinalizeTokenDepositResponse",
            MsgFinalizeTokenDepositResponse {}.encode_to_vec(),
        ))
    }

    fn initiate(&self, ctx: &mut Ctx<'_>, m: MsgInitiateTokenWithdrawal) -> ExecResult<Any> {
        let sender = parse_addr("sender", &m.sender, ctx.config)?;
        let coin = bridge_coin(m.amount.as_ref())?;
        let from = sender.to_bech32(&ctx.config.bech32_prefix);
        let sequence = initiate_withdrawal(ctx, &sender, &from, &m.to, &coin)?;
        Ok(any(
            "MsgInitiateTokenWithdrawalResponse",
            MsgInitiateTokenWithdrawalResponse { sequence }.encode_to_vec(),
        ))
    }

    fn set_bridge_info(&self, ctx: &mut Ctx<'_>, m: MsgSetBridgeInfo) -> ExecResult<Any> {
        parse_addr("sender", &m.sender, ctx.config)?;
        require_executor(ctx, &m.sender)?;
        let info = m.bridge_info.ok_or_else(|| {
            err(
                code::BRIDGE_INFO,
                "bridge_info is missing: invalid bridge info",
            )
        })?;
        if info.bridge_id == 0 {
            return Err(err(
                code::BRIDGE_INFO,
                "bridge id 0 is invalid: invalid bridge info",
            ));
        }
        if let Some(old) = bridge_info(ctx)? {
            if old.bridge_id != info.bridge_id {
                return Err(err(
                    code::BRIDGE_INFO,
                    format!(
                        "this minitia is bridged by bridge {}; it cannot move to bridge {}: invalid bridge info",
                        old.bridge_id, info.bridge_id
                    ),
                ));
            }
        }
        ctx.set(BRIDGE_INFO.to_vec(), info.encode_to_vec())?;
        ctx.emit(
            Event::new("update_bridge_info")
                .attr("bridge_id", info.bridge_id.to_string())
                .attr("bridge_addr", &info.bridge_addr)
                .attr("l1_chain_id", &info.l1_chain_id),
        );
        Ok(any(
            "MsgSetBridgeInfoResponse",
            MsgSetBridgeInfoResponse {}.encode_to_vec(),
        ))
    }
}

fn view_u64(q: &QueryCtx<'_>, key: &[u8]) -> Result<u64, QueryError> {
    match q.view.get(key)? {
        None => Ok(1),
        Some(b) => <[u8; 8]>::try_from(b.as_slice())
            .map(u64::from_be_bytes)
            .map_err(|_| QueryError::internal("stored opchild sequence is not 8 bytes")),
    }
}

impl Module for OpchildModule {
    fn name(&self) -> &'static str {
        MODULE
    }

    fn msg_types(&self) -> &'static [&'static str] {
        &[
            msg::FINALIZE_DEPOSIT,
            msg::INITIATE_WITHDRAWAL,
            msg::SET_BRIDGE_INFO,
        ]
    }

    fn signers(&self, m: &Any, config: &AppConfig) -> Result<Vec<Address>, TxError> {
        let sender = match m.type_url.as_str() {
            msg::FINALIZE_DEPOSIT => unpack::<MsgFinalizeTokenDeposit>(m)?.sender,
            msg::INITIATE_WITHDRAWAL => unpack::<MsgInitiateTokenWithdrawal>(m)?.sender,
            msg::SET_BRIDGE_INFO => unpack::<MsgSetBridgeInfo>(m)?.sender,
            other => {
                return Err(sdk(
                    sdk_code::UNKNOWN_REQUEST,
                    format!("unrecognized message type: {other}: unknown request"),
                ))
            }
        };
        Ok(vec![parse_addr("sender", &sender, config)?])
    }

    fn deliver(&self, ctx: &mut Ctx<'_>, m: &Any) -> ExecResult<Any> {
        match m.type_url.as_str() {
            msg::FINALIZE_DEPOSIT => self.finalize_deposit(ctx, unpack(m)?),
            msg::INITIATE_WITHDRAWAL => self.initiate(ctx, unpack(m)?),
            msg::SET_BRIDGE_INFO => self.set_bridge_info(ctx, unpack(m)?),
            other => Err(sdk(
                sdk_code::UNKNOWN_REQUEST,
                format!("unrecognized message type: {other}: unknown request"),
            )
            .into()),
        }
    }

    fn query_paths(&self) -> &'static [&'static str] {
        &[
            query::NEXT_L1_SEQUENCE,
            query::NEXT_L2_SEQUENCE,
            query::BRIDGE_INFO,
            query::PARAMS,
        ]
    }

    fn query(&self, q: &QueryCtx<'_>, path: &str, data: &[u8]) -> Result<Vec<u8>, QueryError> {
        let _: EmptyRequest = decode_query(data)?;
        match path {
            query::NEXT_L1_SEQUENCE => Ok(QueryNextL1SequenceResponse {
                next_l1_sequence: view_u64(q, NEXT_L1_SEQ)?,
            }
            .encode_to_vec()),
            query::NEXT_L2_SEQUENCE => Ok(QueryNextL2SequenceResponse {
                next_l2_sequence: view_u64(q, NEXT_L2_SEQ)?,
            }
            .encode_to_vec()),
            query::BRIDGE_INFO => {
                let b = q.view.get(BRIDGE_INFO)?.ok_or_else(|| {
                    QueryError::not_found("bridge info not found: the executor has not set it yet")
                })?;
                let info = BridgeInfo::decode(b.as_slice())
                    .map_err(|e| QueryError::internal(format!("bridge info: {e}")))?;
                Ok(QueryBridgeInfoResponse {
                    bridge_info: Some(info),
                }
                .encode_to_vec())
            }
            query::PARAMS => {
                let p = match q.view.get(PARAMS)? {
                    None => Params::default(),
                    Some(b) => Params::decode(b.as_slice())
                        .map_err(|e| QueryError::internal(format!("params: {e}")))?,
                };
                Ok(QueryParamsResponse { params: Some(p) }.encode_to_vec())
            }
            other => Err(QueryError::invalid(format!("unknown query path {other}"))),
        }
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_>, state: &serde_json::Value) -> ExecResult<()> {
        if state.is_null() {
            return Ok(());
        }
        let g: Genesis = serde_json::from_value(state.clone()).map_err(|e| {
            ExecError::Tx(sdk(
                sdk_code::INVALID_REQUEST,
                format!("invalid app_state.opchild: {e}"),
            ))
        })?;
        for e in &g.params.bridge_executors {
            // Executors sign from the first block, even on a chain whose fee token only
            // arrives through deposits (fees may be zero): their accounts exist from genesis.
            let a = parse_addr("bridge executor", e, ctx.config)?;
            auth::ensure_account(ctx, &a)?;
        }
        let p = Params {
            bridge_executors: g.params.bridge_executors,
            admin: g.params.admin,
        };
        ctx.set(PARAMS.to_vec(), p.encode_to_vec())?;
        if let Some(b) = g.bridge_info {
            let info = BridgeInfo {
                bridge_id: b.bridge_id,
                bridge_addr: b.bridge_addr,
                l1_chain_id: b.l1_chain_id,
                l1_client_id: String::new(),
                bridge_config: None,
            };
            ctx.set(BRIDGE_INFO.to_vec(), info.encode_to_vec())?;
        }
        if let Some(n) = g.next_l1_sequence {
            ctx.set(NEXT_L1_SEQ.to_vec(), n.to_be_bytes().to_vec())?;
        }
        if let Some(n) = g.next_l2_sequence {
            ctx.set(NEXT_L2_SEQ.to_vec(), n.to_be_bytes().to_vec())?;
        }
        Ok(())
    }
}
