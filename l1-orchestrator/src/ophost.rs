//! The OPinit bridge module (`x/ophost` of initia-labs/OPinit): bridges, output proposals,
//! deletion by the challenger, token deposits into the bridge escrow, withdrawal finalization
//! against finalized outputs, batch records and config updates. Message and query type URLs,
//! fields, event types and attribute keys, error codes and check order follow OPinit's
//! `x/ophost/keeper/msg_server.go`, so opinit-bots and initia.js work against it unchanged.
//!
//! Differences from OPinit, on purpose:
//! - bridge creation and output deletion by the challenger need bonds ([`crate::bond`]);
//! - a zero deposit is refused (OPinit allows it to create an L2 account);
//! - a finalized output cannot be deleted (withdrawals may already have been paid against it);
//! - proposals for a disabled bridge are refused;
//! - the bridge escrow account is 20 bytes (this chain's address size): the first 20 bytes of
//!   the SDK's `address.Module("ophost", bridge_id_be8)` derivation;
//! - the authority (OPinit's gov account) is an address set in genesis (`app_state.ophost.
//!   authority`), since this L1 has no governance.

use std::sync::Arc;

use cosmrs::proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmrs::Any;
use minitia_chain::app::{
    bank,
    coin::Coin,
    ctx::Ctx,
    errors::{code as sdk_code, sdk, ExecError, ExecResult},
    module::{decode_query, parse_addr, unpack},
    AppConfig, Module, QueryCtx, QueryError,
};
use minitia_chain::node::clock::Clock;
use minitia_core::{
    opinit::{l2_denom, node_hash, output_root, withdrawal_leaf},
    sha256, Address, Event, Hash32, TxError,
};
use prost::Message;
use serde::Deserialize;

use crate::{bond, proto::*};

/// Module name, used in events and as the escrow derivation key.
pub const MODULE: &str = "ophost";
/// Codespace of ophost errors.
pub const CODESPACE: &str = "ophost";

/// Message type URLs.
pub mod msg {
    /// `MsgRecordBatch`.
    pub const RECORD_BATCH: &str = "/opinit.ophost.v1.MsgRecordBatch";
    /// `MsgCreateBridge`.
    pub const CREATE_BRIDGE: &str = "/opinit.ophost.v1.MsgCreateBridge";
    /// `MsgProposeOutput`.
    pub const PROPOSE_OUTPUT: &str = "/opinit.ophost.v1.MsgProposeOutput";
    /// `MsgDeleteOutput`.
    pub const DELETE_OUTPUT: &str = "/opinit.ophost.v1.MsgDeleteOutput";
    /// `MsgInitiateTokenDeposit`.
    pub const INITIATE_DEPOSIT: &str = "/opinit.ophost.v1.MsgInitiateTokenDeposit";
    /// `MsgFinalizeTokenWithdrawal`.
    pub const FINALIZE_WITHDRAWAL: &str = "/opinit.ophost.v1.MsgFinalizeTokenWithdrawal";
    /// `MsgUpdateProposer`.
    pub const UPDATE_PROPOSER: &str = "/opinit.ophost.v1.MsgUpdateProposer";
    /// `MsgUpdateChallenger`.
    pub const UPDATE_CHALLENGER: &str = "/opinit.ophost.v1.MsgUpdateChallenger";
    /// `MsgUpdateBatchInfo`.
    pub const UPDATE_BATCH_INFO: &str = "/opinit.ophost.v1.MsgUpdateBatchInfo";
    /// `MsgUpdateFinalizationPeriod`.
    pub const UPDATE_FINALIZATION_PERIOD: &str = "/opinit.ophost.v1.MsgUpdateFinalizationPeriod";
    /// `MsgDisableBridge`.
    pub const DISABLE_BRIDGE: &str = "/opinit.ophost.v1.MsgDisableBridge";
}

/// Query method paths.
pub mod query {
    /// `Query/Bridge`.
    pub const BRIDGE: &str = "/opinit.ophost.v1.Query/Bridge";
    /// `Query/Bridges`.
    pub const BRIDGES: &str = "/opinit.ophost.v1.Query/Bridges";
    /// `Query/TokenPairByL1Denom`.
    pub const TOKEN_PAIR_BY_L1: &str = "/opinit.ophost.v1.Query/TokenPairByL1Denom";
    /// `Query/TokenPairByL2Denom`.
    pub const TOKEN_PAIR_BY_L2: &str = "/opinit.ophost.v1.Query/TokenPairByL2Denom";
    /// `Query/TokenPairs`.
    pub const TOKEN_PAIRS: &str = "/opinit.ophost.v1.Query/TokenPairs";
    /// `Query/LastFinalizedOutput`.
    pub const LAST_FINALIZED_OUTPUT: &str = "/opinit.ophost.v1.Query/LastFinalizedOutput";
    /// `Query/OutputProposal`.
    pub const OUTPUT_PROPOSAL: &str = "/opinit.ophost.v1.Query/OutputProposal";
    /// `Query/OutputProposals`.
    pub const OUTPUT_PROPOSALS: &str = "/opinit.ophost.v1.Query/OutputProposals";
    /// `Query/Params`.
    pub const PARAMS: &str = "/opinit.ophost.v1.Query/Params";
    /// `Query/Claimed`.
    pub const CLAIMED: &str = "/opinit.ophost.v1.Query/Claimed";
    /// `Query/NextL1Sequence`.
    pub const NEXT_L1_SEQUENCE: &str = "/opinit.ophost.v1.Query/NextL1Sequence";
    /// `Query/BatchInfos`.
    pub const BATCH_INFOS: &str = "/opinit.ophost.v1.Query/BatchInfos";
}

/// OPinit's `x/ophost/types/error.go` codes.
pub mod code {
    /// `ErrInvalidBridgeId`.
    pub const INVALID_BRIDGE_ID: u32 = 2;
    /// `ErrInvalidHashLength`.
    pub const INVALID_HASH_LENGTH: u32 = 3;
    /// `ErrInvalidOutputIndex`.
    pub const INVALID_OUTPUT_INDEX: u32 = 4;
    /// `ErrInvalidAmount`.
    pub const INVALID_AMOUNT: u32 = 5;
    /// `ErrInvalidL2BlockNumber`.
    pub const INVALID_L2_BLOCK_NUMBER: u32 = 7;
    /// `ErrNotFinalized`.
    pub const NOT_FINALIZED: u32 = 8;
    /// `ErrAlreadyFinalized`.
    pub const ALREADY_FINALIZED: u32 = 9;
    /// `ErrFailedToVerifyWithdrawal`.
    pub const FAILED_TO_VERIFY_WITHDRAWAL: u32 = 10;
    /// `ErrWithdrawalAlreadyFinalized`.
    pub const WITHDRAWAL_ALREADY_FINALIZED: u32 = 11;
    /// `ErrEmptyBatchInfo`.
    pub const EMPTY_BATCH_INFO: u32 = 12;
    /// `ErrInvalidBridgeMetadata`.
    pub const INVALID_BRIDGE_METADATA: u32 = 13;
    /// `ErrInvalidBatchInfo`.
    pub const INVALID_BATCH_INFO: u32 = 14;
    /// `ErrEmptyBatchBytes`.
    pub const EMPTY_BATCH_BYTES: u32 = 16;
    /// `ErrBridgeNotFound`.
    pub const BRIDGE_NOT_FOUND: u32 = 17;
    /// `ErrInvalidData`.
    pub const INVALID_DATA: u32 = 18;
    /// `ErrBridgeAlreadyDisabled`.
    pub const BRIDGE_ALREADY_DISABLED: u32 = 19;
    /// `ErrBridgeDisabled`.
    pub const BRIDGE_DISABLED: u32 = 20;
}

/// OPinit's `MaxMetadataLength`.
pub const MAX_METADATA_LEN: usize = 5 * 1024;
/// OPinit's `MaxDataLength`.
pub const MAX_DATA_LEN: usize = 10 * 1024;

fn err(code: u32, msg: impl Into<String>) -> ExecError {
    ExecError::Tx(TxError::new(CODESPACE, code, msg))
}

fn unauthorized(msg: impl Into<String>) -> ExecError {
    ExecError::Tx(sdk(
        sdk_code::UNAUTHORIZED,
        format!("{}: unauthorized", msg.into()),
    ))
}

fn fatal(what: impl Into<String>) -> ExecError {
    ExecError::Fatal(minitia_core::EngineError::Invariant(what.into()))
}

// ---- state layout: `ophost/` prefix, big-endian ids so iteration is in order ----

const AUTHORITY: &[u8] = b"ophost/authority";
const NEXT_BRIDGE_ID: &[u8] = b"ophost/next_bridge_id";
const BRIDGE: &[u8] = b"ophost/bridge/";
const NEXT_L1_SEQ: &[u8] = b"ophost/next_l1_seq/";
const PAIR_BY_L1: &[u8] = b"ophost/pair_l1/";
const PAIR_BY_L2: &[u8] = b"ophost/pair_l2/";
const OUTPUT: &[u8] = b"ophost/output/";
const NEXT_OUTPUT: &[u8] = b"ophost/next_output/";
/// The account that proposed each output (OPinit's `Output` has no such field): the one a
/// proven fault in that output slashes, whoever proposes for the bridge by then.
const OUTPUT_PROPOSER: &[u8] = b"ophost/output_proposer/";
const PROVEN: &[u8] = b"ophost/proven/";
const BATCH_INFO: &[u8] = b"ophost/batch_info/";
const BATCH_INFO_N: &[u8] = b"ophost/batch_info_n/";

fn k(prefix: &[u8], id: u64) -> Vec<u8> {
    [prefix, &id.to_be_bytes()].concat()
}
fn k2(prefix: &[u8], id: u64, rest: &[u8]) -> Vec<u8> {
    [prefix, &id.to_be_bytes(), rest].concat()
}

/// The escrow account of a bridge: sha256(sha256("module") ‖ "ophost" ‖ 0 ‖ bridge_id_be8),
/// first 20 bytes (the SDK's `address.Module` derivation cut to this chain's address size).
pub fn bridge_address(bridge_id: u64) -> Address {
    let typ = sha256(b"module");
    let h = sha256(
        &[
            &typ.0[..],
            MODULE.as_bytes(),
            &[0],
            &bridge_id.to_be_bytes(),
        ]
        .concat(),
    );
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[..20]);
    Address(a)
}

fn get_u64(ctx: &mut Ctx<'_>, key: &[u8]) -> ExecResult<Option<u64>> {
    ctx.get(key)?
        .map(|b| {
            <[u8; 8]>::try_from(b.as_slice())
                .map(u64::from_be_bytes)
                .map_err(|_| fatal("stored counter is not 8 bytes"))
        })
        .transpose()
}

fn set_u64(ctx: &mut Ctx<'_>, key: Vec<u8>, v: u64) -> ExecResult<()> {
    ctx.set(key, v.to_be_bytes().to_vec())
}

/// Reads a bridge's config; `ErrBridgeNotFound` if there is none.
pub fn bridge_config(ctx: &mut Ctx<'_>, bridge_id: u64) -> ExecResult<BridgeConfig> {
    match ctx.get(&k(BRIDGE, bridge_id))? {
        Some(b) => BridgeConfig::decode(b.as_slice())
            .map_err(|e| fatal(format!("bridge {bridge_id} config is not decodable: {e}"))),
        None => Err(err(
            code::BRIDGE_NOT_FOUND,
            format!("bridge {bridge_id} does not exist: bridge not found"),
        )),
    }
}

fn set_bridge_config(ctx: &mut Ctx<'_>, bridge_id: u64, c: &BridgeConfig) -> ExecResult<()> {
    ctx.set(k(BRIDGE, bridge_id), c.encode_to_vec())
}

/// Output `index` of a bridge, if proposed and not deleted.
pub fn get_output(ctx: &mut Ctx<'_>, bridge_id: u64, index: u64) -> ExecResult<Option<Output>> {
    ctx.get(&k2(OUTPUT, bridge_id, &index.to_be_bytes()))?
        .map(|b| {
            Output::decode(b.as_slice()).map_err(|e| fatal(format!("output not decodable: {e}")))
        })
        .transpose()
}

/// The index the next proposed output of a bridge gets (1 for a bridge without outputs).
pub fn next_output_index(ctx: &mut Ctx<'_>, bridge_id: u64) -> ExecResult<u64> {
    Ok(get_u64(ctx, &k(NEXT_OUTPUT, bridge_id))?.unwrap_or(1))
}

/// Deletes output `from` and every later output of a bridge, as `MsgDeleteOutput` does (the
/// proposer re-proposes from `from`); returns how many were deleted.
pub fn delete_outputs_from(ctx: &mut Ctx<'_>, bridge_id: u64, from: u64) -> ExecResult<u64> {
    let next = next_output_index(ctx, bridge_id)?;
    if from == 0 || from >= next {
        return Ok(0);
    }
    for i in from..next {
        ctx.delete(k2(OUTPUT, bridge_id, &i.to_be_bytes()))?;
        ctx.delete(k2(OUTPUT_PROPOSER, bridge_id, &i.to_be_bytes()))?;
    }
    set_u64(ctx, k(NEXT_OUTPUT, bridge_id), from)?;
    Ok(next - from)
}

/// The account that proposed output `index` of `bridge_id` (recorded at proposal), or `None`
/// for an output that does not exist.
pub fn output_proposer(
    ctx: &mut Ctx<'_>,
    bridge_id: u64,
    index: u64,
) -> ExecResult<Option<Address>> {
    Ok(ctx
        .get(&k2(OUTPUT_PROPOSER, bridge_id, &index.to_be_bytes()))?
        .and_then(|b| Address::from_slice(&b)))
}

fn authority(ctx: &mut Ctx<'_>) -> ExecResult<Address> {
    Ok(ctx
        .get(AUTHORITY)?
        .and_then(|b| Address::from_slice(&b))
        .unwrap_or_else(|| minitia_chain::app::auth::module_address("gov")))
}

/// OPinit's finalization rule, in whole seconds: `now >= proposed_at + finalization_period`.
pub fn is_finalized(config: &BridgeConfig, output: &Output, now_unix_nanos: i128) -> bool {
    let proposed = output.l1_block_time.map_or(0, |t| t.as_unix_nanos());
    let period = config.finalization_period.map_or(0, |d| d.as_nanos());
    now_unix_nanos.div_euclid(1_000_000_000) >= (proposed + period).div_euclid(1_000_000_000)
}

fn hash32(field: &str, b: &[u8]) -> ExecResult<Hash32> {
    Hash32::from_slice(b).ok_or_else(|| {
        err(
            code::INVALID_HASH_LENGTH,
            format!(
                "{field} must be 32 bytes, got {}: invalid hash length",
                b.len()
            ),
        )
    })
}

fn positive_u64_coin(c: Option<&cosmrs::proto::cosmos::base::v1beta1::Coin>) -> ExecResult<Coin> {
    let c = c.ok_or_else(|| {
        err(
            code::INVALID_AMOUNT,
            "amount is missing: invalid bridge amount",
        )
    })?;
    let coin = Coin::from_proto(c)?;
    if coin.amount == 0 {
        return Err(err(
            code::INVALID_AMOUNT,
            format!("amount must be positive, got {coin}: invalid bridge amount"),
        ));
    }
    if u64::try_from(coin.amount).is_err() {
        return Err(err(
            code::INVALID_AMOUNT,
            format!("amount {coin} does not fit in 64 bits (OPinit hashes amounts as uint64): invalid bridge amount"),
        ));
    }
    Ok(coin)
}

fn validate_batch_info(b: Option<&BatchInfo>) -> ExecResult<BatchInfo> {
    let b = b.ok_or_else(|| {
        err(
            code::EMPTY_BATCH_INFO,
            "batch_info is missing: empty batch info",
        )
    })?;
    if b.submitter.is_empty() || b.chain_type == 0 {
        return Err(err(
            code::INVALID_BATCH_INFO,
            "batch_info needs a submitter and a chain_type (INITIA or CELESTIA): invalid batch info",
        ));
    }
    Ok(b.clone())
}

fn positive_duration(field: &str, d: Option<&Duration>) -> ExecResult<Duration> {
    match d {
        Some(d) if d.as_nanos() > 0 => Ok(*d),
        _ => Err(sdk(
            sdk_code::INVALID_REQUEST,
            format!("{field} must be a positive duration: invalid request"),
        )
        .into()),
    }
}

/// The last finalized output of a bridge as `(index, output)`, scanning from the newest.
fn last_finalized(
    outputs: impl DoubleEndedIterator<Item = (u64, Output)>,
    config: &BridgeConfig,
    now: i128,
) -> Option<(u64, Output)> {
    outputs.rev().find(|(_, o)| is_finalized(config, o, now))
}

/// Genesis section `app_state.ophost`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Genesis {
    /// Address allowed to act as OPinit's gov authority.
    authority: Option<String>,
}

/// The ophost module. It reads the node's clock only to answer `LastFinalizedOutput`
/// (execution uses block time), and the L1's engine registry only to refuse a bridge whose
/// metadata names an engine this L1 cannot judge.
pub struct OphostModule {
    clock: Arc<dyn Clock>,
    engines: Arc<dyn minitia_fraud_proofs::EngineRegistry>,
}

impl std::fmt::Debug for OphostModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OphostModule").finish_non_exhaustive()
    }
}

impl OphostModule {
    /// The module; `clock` is the node's block-time source, `engines` the fraud-proof
    /// judge's registry.
    pub fn new(
        clock: Arc<dyn Clock>,
        engines: Arc<dyn minitia_fraud_proofs::EngineRegistry>,
    ) -> Self {
        Self { clock, engines }
    }

    /// A bridge that registers an engine (`minitia_engine` in its metadata) asks to be judged
    /// by fraud proofs: its engine must be one this L1 can re-execute, or nobody could ever
    /// prove its outputs wrong. A bridge without it is a permissioned one (OPinit's: its
    /// registered challenger deletes outputs).
    fn check_engine_metadata(&self, metadata: &[u8]) -> ExecResult<()> {
        let names_engine = serde_json::from_slice::<serde_json::Value>(metadata)
            .is_ok_and(|v| v.get(minitia_fraud_proofs::METADATA_KEY).is_some());
        if !names_engine {
            return Ok(());
        }
        let refuse = |why: String| {
            err(
                code::INVALID_BRIDGE_METADATA,
                format!(
                    "{why}; register a known engine, or leave \"{}\" out of the metadata for a permissioned bridge: invalid bridge metadata",
                    minitia_fraud_proofs::METADATA_KEY
                ),
            )
        };
        let spec =
            minitia_fraud_proofs::EngineSpec::from_bridge_metadata(metadata).map_err(refuse)?;
        self.engines
            .verifier(&spec)
            .map_err(|e| refuse(e.to_string()))?;
        Ok(())
    }

    fn update_response(
        ctx: &mut Ctx<'_>,
        bridge_id: u64,
        config: &BridgeConfig,
    ) -> ExecResult<(u64, Output)> {
        let next = get_u64(ctx, &k(NEXT_OUTPUT, bridge_id))?.unwrap_or(1);
        let now = ctx.block.time_unix_nanos;
        for i in (1..next).rev() {
            if let Some(o) = get_output(ctx, bridge_id, i)? {
                if is_finalized(config, &o, now) {
                    return Ok((i, o));
                }
            }
        }
        Ok((0, Output::default()))
    }

    fn create_bridge(&self, ctx: &mut Ctx<'_>, m: MsgCreateBridge) -> ExecResult<Any> {
        let p = ctx.config.bech32_prefix.clone();
        let creator = parse_addr("creator", &m.creator, ctx.config)?;
        let mut config = m.config.ok_or_else(|| {
            sdk(
                sdk_code::INVALID_REQUEST,
                "config is missing: invalid request",
            )
        })?;
        let proposer = parse_addr("proposer", &config.proposer, ctx.config)?;
        let challenger = parse_addr("challenger", &config.challenger, ctx.config)?;
        validate_batch_info(config.batch_info.as_ref())?;
        positive_duration("submission_interval", config.submission_interval.as_ref())?;
        positive_duration("finalization_period", config.finalization_period.as_ref())?;
        if config.metadata.len() > MAX_METADATA_LEN {
            return Err(err(
                code::INVALID_BRIDGE_METADATA,
                format!("metadata length exceeds {MAX_METADATA_LEN}: invalid bridge metadata"),
            ));
        }
        self.check_engine_metadata(&config.metadata)?;
        config.bridge_disabled = false;
        config.bridge_disabled_at = None;
        // The proposer's bond: bonded beforehand, or by the creator when it proposes itself.
        let bp = bond::params(ctx)?;
        let have = bond::bonded(ctx, &proposer)?;
        let min = bp.min_proposer();
        if have < min && creator == proposer {
            bond::add_bond(ctx, &proposer, min - have)?;
        }
        bond::require_bond(ctx, &proposer, min, "bridge proposer")?;
        bond::adjust_roles(ctx, &proposer, 1, 0)?;
        bond::adjust_roles(ctx, &challenger, 0, 1)?;

        let bridge_id = get_u64(ctx, NEXT_BRIDGE_ID)?.unwrap_or(1);
        set_u64(ctx, NEXT_BRIDGE_ID.to_vec(), bridge_id + 1)?;
        set_bridge_config(ctx, bridge_id, &config)?;
        let batch_info = config.batch_info.clone();
        ctx.set(
            k2(BATCH_INFO, bridge_id, &0u64.to_be_bytes()),
            BatchInfoWithOutput {
                batch_info: batch_info.clone(),
                output: Some(Output::default()),
            }
            .encode_to_vec(),
        )?;
        minitia_chain::app::auth::ensure_account(ctx, &bridge_address(bridge_id))?;
        let bi = batch_info.unwrap_or_default();
        ctx.emit(
            Event::new("create_bridge")
                .attr("creator", creator.to_bech32(&p))
                .attr("proposer", &config.proposer)
                .attr("challenger", &config.challenger)
                .attr("batch_chain_type", chain_type_name(bi.chain_type))
                .attr("batch_submitter", bi.submitter)
                .attr("bridge_id", bridge_id.to_string())
                .attr("oracle_enabled", config.oracle_enabled.to_string()),
        );
        Ok(any(
            "MsgCreateBridgeResponse",
            MsgCreateBridgeResponse { bridge_id }.encode_to_vec(),
        ))
    }

    fn propose_output(&self, ctx: &mut Ctx<'_>, m: MsgProposeOutput) -> ExecResult<Any> {
        let proposer = parse_addr("proposer", &m.proposer, ctx.config)?;
        let root = hash32("output_root", &m.output_root)?;
        let config = bridge_config(ctx, m.bridge_id)?;
        if config.bridge_disabled {
            return Err(err(
                code::BRIDGE_DISABLED,
                format!("bridge {} is disabled: bridge disabled", m.bridge_id),
            ));
        }
        if m.proposer != config.proposer {
            return Err(unauthorized(format!(
                "invalid proposer; expected {}, got {}",
                config.proposer, m.proposer
            )));
        }
        let min = bond::params(ctx)?.min_proposer();
        bond::require_bond(ctx, &proposer, min, "bridge proposer")?;
        let index = get_u64(ctx, &k(NEXT_OUTPUT, m.bridge_id))?.unwrap_or(1);
        if index != m.output_index {
            return Err(err(
                code::INVALID_OUTPUT_INDEX,
                format!(
                    "expected {index}, got {}: invalid output index",
                    m.output_index
                ),
            ));
        }
        if index > 1 {
            let last = get_output(ctx, m.bridge_id, index - 1)?.ok_or_else(|| {
                fatal(format!(
                    "output {} of bridge {} missing",
                    index - 1,
                    m.bridge_id
                ))
            })?;
            if m.l2_block_number <= last.l2_block_number {
                return Err(err(
                    code::INVALID_L2_BLOCK_NUMBER,
                    format!(
                        "last {}, got {}: invalid l2 block number",
                        last.l2_block_number, m.l2_block_number
                    ),
                ));
            }
        }
        set_u64(ctx, k(NEXT_OUTPUT, m.bridge_id), index + 1)?;
        let out = Output {
            output_root: root.0.to_vec(),
            l1_block_number: ctx.block.height.0,
            l1_block_time: Some(Timestamp::from_unix_nanos(ctx.block.time_unix_nanos)),
            l2_block_number: m.l2_block_number,
        };
        ctx.set(
            k2(OUTPUT, m.bridge_id, &index.to_be_bytes()),
            out.encode_to_vec(),
        )?;
        ctx.set(
            k2(OUTPUT_PROPOSER, m.bridge_id, &index.to_be_bytes()),
            proposer.as_bytes().to_vec(),
        )?;
        ctx.emit(
            Event::new("propose_output")
                .attr("proposer", &m.proposer)
                .attr("bridge_id", m.bridge_id.to_string())
                .attr("output_index", index.to_string())
                .attr("l2_block_number", m.l2_block_number.to_string())
                .attr("output_root", hex::encode(root.0)),
        );
        Ok(any("MsgProposeOutputResponse", vec![]))
    }

    fn delete_output(&self, ctx: &mut Ctx<'_>, m: MsgDeleteOutput) -> ExecResult<Any> {
        let signer = parse_addr("challenger", &m.challenger, ctx.config)?;
        let config = bridge_config(ctx, m.bridge_id)?;
        let auth = authority(ctx)?;
        let p = ctx.config.bech32_prefix.clone();
        let is_auth = signer == auth;
        if !is_auth && m.challenger != config.proposer && m.challenger != config.challenger {
            return Err(unauthorized(format!(
                "invalid challenger; expected {}, {} or {}, got {}",
                auth.to_bech32(&p),
                config.proposer,
                config.challenger,
                m.challenger
            )));
        }
        if !is_auth && m.challenger == config.challenger {
            let min = bond::params(ctx)?.min_challenger();
            bond::require_bond(ctx, &signer, min, "challenger")?;
        }
        let next = get_u64(ctx, &k(NEXT_OUTPUT, m.bridge_id))?.unwrap_or(1);
        if m.output_index == 0 || m.output_index >= next {
            return Err(err(
                code::INVALID_OUTPUT_INDEX,
                format!(
                    "output {} of bridge {} does not exist (next is {next}): invalid output index",
                    m.output_index, m.bridge_id
                ),
            ));
        }
        let target = get_output(ctx, m.bridge_id, m.output_index)?
            .ok_or_else(|| fatal("output below next index missing"))?;
        if is_finalized(&config, &target, ctx.block.time_unix_nanos) {
            return Err(err(
                code::ALREADY_FINALIZED,
                format!(
                    "output {} of bridge {} is finalized and cannot be deleted: output has already finalized",
                    m.output_index, m.bridge_id
                ),
            ));
        }
        delete_outputs_from(ctx, m.bridge_id, m.output_index)?;
        ctx.emit(
            Event::new("delete_output")
                .attr("challenger", &m.challenger)
                .attr("bridge_id", m.bridge_id.to_string())
                .attr("output_index", m.output_index.to_string()),
        );
        Ok(any("MsgDeleteOutputResponse", vec![]))
    }

    fn initiate_deposit(&self, ctx: &mut Ctx<'_>, m: MsgInitiateTokenDeposit) -> ExecResult<Any> {
        let sender = parse_addr("sender", &m.sender, ctx.config)?;
        if m.to.is_empty() {
            return Err(sdk(
                sdk_code::INVALID_ADDRESS,
                "to address cannot be empty: invalid address",
            )
            .into());
        }
        let coin = positive_u64_coin(m.amount.as_ref())?;
        if m.bridge_id == 0 {
            return Err(err(
                code::INVALID_BRIDGE_ID,
                "bridge id 0 is invalid: invalid bridge id",
            ));
        }
        if m.data.len() > MAX_DATA_LEN {
            return Err(err(
                code::INVALID_DATA,
                format!("data length exceeds {MAX_DATA_LEN}: invalid data"),
            ));
        }
        let config = bridge_config(ctx, m.bridge_id)?;
        if config.bridge_disabled {
            return Err(err(
                code::BRIDGE_DISABLED,
                format!("bridge {} is disabled: bridge disabled", m.bridge_id),
            ));
        }
        let seq_key = k(NEXT_L1_SEQ, m.bridge_id);
        let l1_sequence = get_u64(ctx, &seq_key)?.unwrap_or(1);
        set_u64(ctx, seq_key, l1_sequence + 1)?;
        bank::send(
            ctx,
            &sender,
            &bridge_address(m.bridge_id),
            std::slice::from_ref(&coin),
        )?;
        let l2 = l2_denom(m.bridge_id, &coin.denom);
        let by_l1 = k2(PAIR_BY_L1, m.bridge_id, coin.denom.as_bytes());
        if ctx.get(&by_l1)?.is_none() {
            ctx.set(by_l1, l2.as_bytes().to_vec())?;
            ctx.set(
                k2(PAIR_BY_L2, m.bridge_id, l2.as_bytes()),
                coin.denom.as_bytes().to_vec(),
            )?;
        }
        ctx.emit(
            Event::new("initiate_token_deposit")
                .attr("bridge_id", m.bridge_id.to_string())
                .attr("l1_sequence", l1_sequence.to_string())
                .attr("from", &m.sender)
                .attr("to", &m.to)
                .attr("l1_denom", &coin.denom)
                .attr("l2_denom", &l2)
                .attr("amount", coin.amount.to_string())
                .attr("data", hex::encode(&m.data)),
        );
        Ok(any(
            "MsgInitiateTokenDepositResponse",
            MsgInitiateTokenDepositResponse {
                sequence: l1_sequence,
            }
            .encode_to_vec(),
        ))
    }

    fn finalize_withdrawal(
        &self,
        ctx: &mut Ctx<'_>,
        m: MsgFinalizeTokenWithdrawal,
    ) -> ExecResult<Any> {
        parse_addr("sender", &m.sender, ctx.config)?;
        let receiver = parse_addr("to", &m.to, ctx.config)?;
        if m.from.is_empty() {
            return Err(sdk(
                sdk_code::INVALID_ADDRESS,
                "from address cannot be empty: invalid address",
            )
            .into());
        }
        if m.bridge_id == 0 {
            return Err(err(
                code::INVALID_BRIDGE_ID,
                "bridge id 0 is invalid: invalid bridge id",
            ));
        }
        let coin = positive_u64_coin(m.amount.as_ref())?;
        let &[version] = m.version.as_slice() else {
            return Err(sdk(
                sdk_code::INVALID_REQUEST,
                format!(
                    "version must be 1 byte, got {}: invalid request",
                    m.version.len()
                ),
            )
            .into());
        };
        let storage_root = hash32("storage_root", &m.storage_root)?;
        let last_block_hash = hash32("last_block_hash", &m.last_block_hash)?;
        let proofs = m
            .withdrawal_proofs
            .iter()
            .map(|p| hash32("withdrawal proof", p))
            .collect::<ExecResult<Vec<_>>>()?;
        let config = bridge_config(ctx, m.bridge_id)?;
        let Some(output) = get_output(ctx, m.bridge_id, m.output_index)? else {
            return Err(err(
                code::INVALID_OUTPUT_INDEX,
                format!(
                    "output {} of bridge {} does not exist: invalid output index",
                    m.output_index, m.bridge_id
                ),
            ));
        };
        let now = ctx.block.time_unix_nanos;
        if !is_finalized(&config, &output, now) {
            let at = output.l1_block_time.map_or(0, |t| t.seconds)
                + config.finalization_period.map_or(0, |d| d.seconds);
            return Err(err(
                code::NOT_FINALIZED,
                format!(
                    "output {} of bridge {} finalizes at unix time {at}, block time is {}: output has not finalized",
                    m.output_index,
                    m.bridge_id,
                    now.div_euclid(1_000_000_000)
                ),
            ));
        }
        if output.output_root[..] != output_root(version, &storage_root, &last_block_hash).0[..] {
            return Err(err(
                code::FAILED_TO_VERIFY_WITHDRAWAL,
                "invalid output root: failed to verify withdrawal tx",
            ));
        }
        let amount = u64::try_from(coin.amount).unwrap_or(u64::MAX);
        let leaf = withdrawal_leaf(m.bridge_id, m.sequence, &m.from, &m.to, &coin.denom, amount);
        let proven_key = k2(PROVEN, m.bridge_id, &leaf.0);
        if ctx.get(&proven_key)?.is_some() {
            return Err(err(
                code::WITHDRAWAL_ALREADY_FINALIZED,
                format!(
                    "withdrawal {} of bridge {} was already paid out: withdrawal already finalized",
                    m.sequence, m.bridge_id
                ),
            ));
        }
        let root = proofs.iter().fold(leaf, |acc, s| node_hash(&acc, s));
        if root != storage_root {
            return Err(err(
                code::FAILED_TO_VERIFY_WITHDRAWAL,
                "invalid storage root proofs: failed to verify withdrawal tx",
            ));
        }
        ctx.set(proven_key, vec![1])?;
        bank::send(
            ctx,
            &bridge_address(m.bridge_id),
            &receiver,
            std::slice::from_ref(&coin),
        )?;
        ctx.emit(
            Event::new("finalize_token_withdrawal")
                .attr("bridge_id", m.bridge_id.to_string())
                .attr("output_index", m.output_index.to_string())
                .attr("l2_sequence", m.sequence.to_string())
                .attr("from", &m.from)
                .attr("to", &m.to)
                .attr("l1_denom", &coin.denom)
                .attr("l2_denom", l2_denom(m.bridge_id, &coin.denom))
                .attr("amount", coin.amount.to_string()),
        );
        Ok(any("MsgFinalizeTokenWithdrawalResponse", vec![]))
    }

    fn record_batch(&self, ctx: &mut Ctx<'_>, m: MsgRecordBatch) -> ExecResult<Any> {
        parse_addr("submitter", &m.submitter, ctx.config)?;
        if m.batch_bytes.is_empty() {
            return Err(err(
                code::EMPTY_BATCH_BYTES,
                "batch_bytes is empty: empty batch bytes",
            ));
        }
        bridge_config(ctx, m.bridge_id)?;
        ctx.emit(
            Event::new("record_batch")
                .attr("submitter", &m.submitter)
                .attr("bridge_id", m.bridge_id.to_string()),
        );
        Ok(any("MsgRecordBatchResponse", vec![]))
    }

    /// Checks that `signer` is the authority or `current` (the role being changed).
    fn check_authority(ctx: &mut Ctx<'_>, signer: &str, current: Option<&str>) -> ExecResult<()> {
        let a = authority(ctx)?.to_bech32(&ctx.config.bech32_prefix);
        if signer == a || current == Some(signer) {
            return Ok(());
        }
        Err(unauthorized(match current {
            Some(c) => format!("invalid authority; expected {a} or {c}, got {signer}"),
            None => format!("invalid authority; expected {a}, got {signer}"),
        }))
    }

    fn update(&self, ctx: &mut Ctx<'_>, msg: &Any) -> ExecResult<Any> {
        let p = ctx.config.bech32_prefix.clone();
        let (bridge_id, resp_name) = match msg.type_url.as_str() {
            msg::UPDATE_PROPOSER => {
                let m: MsgUpdateProposer = unpack(msg)?;
                let new = parse_addr("new_proposer", &m.new_proposer, ctx.config)?;
                let mut c = bridge_config(ctx, m.bridge_id)?;
                Self::check_authority(ctx, &m.authority, Some(c.proposer.as_str()))?;
                let min = bond::params(ctx)?.min_proposer();
                bond::require_bond(ctx, &new, min, "bridge proposer")?;
                if let Ok(old) = Address::parse(&c.proposer, &p) {
                    bond::adjust_roles(ctx, &old, -1, 0)?;
                }
                bond::adjust_roles(ctx, &new, 1, 0)?;
                c.proposer = m.new_proposer.clone();
                set_bridge_config(ctx, m.bridge_id, &c)?;
                let (i, o) = Self::update_response(ctx, m.bridge_id, &c)?;
                ctx.emit(
                    Event::new("update_proposer")
                        .attr("bridge_id", m.bridge_id.to_string())
                        .attr("proposer", &m.new_proposer)
                        .attr("finalized_output_index", i.to_string())
                        .attr("finalized_l2_block_number", o.l2_block_number.to_string()),
                );
                (m.bridge_id, "MsgUpdateProposerResponse")
            }
            msg::UPDATE_CHALLENGER => {
                let m: MsgUpdateChallenger = unpack(msg)?;
                let new = parse_addr("challenger", &m.challenger, ctx.config)?;
                let mut c = bridge_config(ctx, m.bridge_id)?;
                Self::check_authority(ctx, &m.authority, Some(c.challenger.as_str()))?;
                if let Ok(old) = Address::parse(&c.challenger, &p) {
                    bond::adjust_roles(ctx, &old, 0, -1)?;
                }
                bond::adjust_roles(ctx, &new, 0, 1)?;
                c.challenger = m.challenger.clone();
                set_bridge_config(ctx, m.bridge_id, &c)?;
                let (i, o) = Self::update_response(ctx, m.bridge_id, &c)?;
                ctx.emit(
                    Event::new("update_challenger")
                        .attr("bridge_id", m.bridge_id.to_string())
                        .attr("challenger", &m.challenger)
                        .attr("finalized_output_index", i.to_string())
                        .attr("finalized_l2_block_number", o.l2_block_number.to_string()),
                );
                (m.bridge_id, "MsgUpdateChallengerResponse")
            }
            msg::UPDATE_BATCH_INFO => {
                let m: MsgUpdateBatchInfo = unpack(msg)?;
                let bi = validate_batch_info(m.new_batch_info.as_ref())?;
                let mut c = bridge_config(ctx, m.bridge_id)?;
                Self::check_authority(ctx, &m.authority, Some(c.proposer.as_str()))?;
                c.batch_info = Some(bi.clone());
                set_bridge_config(ctx, m.bridge_id, &c)?;
                let (i, o) = Self::update_response(ctx, m.bridge_id, &c)?;
                let n = get_u64(ctx, &k(BATCH_INFO_N, m.bridge_id))?.unwrap_or(1);
                set_u64(ctx, k(BATCH_INFO_N, m.bridge_id), n + 1)?;
                ctx.set(
                    k2(BATCH_INFO, m.bridge_id, &n.to_be_bytes()),
                    BatchInfoWithOutput {
                        batch_info: Some(bi.clone()),
                        output: Some(o.clone()),
                    }
                    .encode_to_vec(),
                )?;
                ctx.emit(
                    Event::new("update_batch_info")
                        .attr("bridge_id", m.bridge_id.to_string())
                        .attr("batch_chain_type", chain_type_name(bi.chain_type))
                        .attr("batch_submitter", &bi.submitter)
                        .attr("finalized_output_index", i.to_string())
                        .attr("finalized_l2_block_number", o.l2_block_number.to_string()),
                );
                (m.bridge_id, "MsgUpdateBatchInfoResponse")
            }
            msg::UPDATE_FINALIZATION_PERIOD => {
                let m: MsgUpdateFinalizationPeriod = unpack(msg)?;
                let d = positive_duration("finalization_period", m.finalization_period.as_ref())?;
                let mut c = bridge_config(ctx, m.bridge_id)?;
                Self::check_authority(ctx, &m.authority, None)?;
                c.finalization_period = Some(d);
                set_bridge_config(ctx, m.bridge_id, &c)?;
                ctx.emit(
                    Event::new("update_finalization_period")
                        .attr("bridge_id", m.bridge_id.to_string())
                        .attr("finalization_period", format!("{}s", d.seconds)),
                );
                return Ok(any("MsgUpdateFinalizationPeriodResponse", vec![]));
            }
            _ => {
                let m: MsgDisableBridge = unpack(msg)?;
                let mut c = bridge_config(ctx, m.bridge_id)?;
                Self::check_authority(ctx, &m.authority, None)?;
                if c.bridge_disabled {
                    return Err(err(
                        code::BRIDGE_ALREADY_DISABLED,
                        format!(
                            "bridge {} is already disabled: bridge already disabled",
                            m.bridge_id
                        ),
                    ));
                }
                c.bridge_disabled = true;
                c.bridge_disabled_at = Some(Timestamp::from_unix_nanos(ctx.block.time_unix_nanos));
                if let Ok(a) = Address::parse(&c.proposer, &p) {
                    bond::adjust_roles(ctx, &a, -1, 0)?;
                }
                if let Ok(a) = Address::parse(&c.challenger, &p) {
                    bond::adjust_roles(ctx, &a, 0, -1)?;
                }
                set_bridge_config(ctx, m.bridge_id, &c)?;
                ctx.emit(Event::new("disable_bridge").attr("bridge_id", m.bridge_id.to_string()));
                return Ok(any("MsgDisableBridgeResponse", vec![]));
            }
        };
        let c = bridge_config(ctx, bridge_id)?;
        let (i, o) = Self::update_response(ctx, bridge_id, &c)?;
        Ok(any(
            resp_name,
            MsgUpdateResponse {
                output_index: i,
                l2_block_number: o.l2_block_number,
            }
            .encode_to_vec(),
        ))
    }
}

fn any(name: &str, value: Vec<u8>) -> Any {
    Any {
        type_url: format!("/opinit.ophost.v1.{name}"),
        value,
    }
}

// ---- queries ----

fn q_bridge(q: &QueryCtx<'_>, id: u64) -> Result<BridgeConfig, QueryError> {
    let b = q
        .view
        .get(&k(BRIDGE, id))?
        .ok_or_else(|| QueryError::not_found(format!("bridge {id} not found")))?;
    BridgeConfig::decode(b.as_slice()).map_err(|e| QueryError::internal(e.to_string()))
}

fn q_outputs(q: &QueryCtx<'_>, id: u64) -> Result<Vec<(u64, Output)>, QueryError> {
    let prefix = k(OUTPUT, id);
    q.view
        .iter_prefix(&prefix, usize::MAX)?
        .into_iter()
        .map(|(key, v)| {
            let idx = key
                .get(prefix.len()..)
                .and_then(|s| <[u8; 8]>::try_from(s).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| QueryError::internal("malformed output key"))?;
            let o =
                Output::decode(v.as_slice()).map_err(|e| QueryError::internal(e.to_string()))?;
            Ok((idx, o))
        })
        .collect()
}

/// One page of `items` per a Cosmos `PageRequest`: `key` (a `next_key` this function
/// returned) or `offset`, `limit` (100 when 0), `count_total`, `reverse`. `next_key` is set
/// while items remain, so clients that page by `next_key` (CosmJS, cosmrs users) see them
/// all; it is opaque to them (here: the big-endian position of the next item).
fn page<T>(mut items: Vec<T>, p: Option<&PageRequest>) -> (Vec<T>, Option<PageResponse>) {
    let total = items.len();
    let default = PageRequest::default();
    let p = p.unwrap_or(&default);
    if p.reverse {
        items.reverse();
    }
    let start = match <[u8; 8]>::try_from(p.key.as_slice()) {
        Ok(b) => u64::from_be_bytes(b) as usize,
        Err(_) => p.offset as usize,
    };
    let limit = if p.limit == 0 { 100 } else { p.limit as usize };
    let end = start.saturating_add(limit).min(total);
    let out: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    (
        out,
        Some(PageResponse {
            next_key: if end < total {
                (end as u64).to_be_bytes().to_vec()
            } else {
                vec![]
            },
            total: if p.count_total { total as u64 } else { 0 },
        }),
    )
}

impl Module for OphostModule {
    fn name(&self) -> &'static str {
        MODULE
    }

    fn msg_types(&self) -> &'static [&'static str] {
        &[
            msg::RECORD_BATCH,
            msg::CREATE_BRIDGE,
            msg::PROPOSE_OUTPUT,
            msg::DELETE_OUTPUT,
            msg::INITIATE_DEPOSIT,
            msg::FINALIZE_WITHDRAWAL,
            msg::UPDATE_PROPOSER,
            msg::UPDATE_CHALLENGER,
            msg::UPDATE_BATCH_INFO,
            msg::UPDATE_FINALIZATION_PERIOD,
            msg::DISABLE_BRIDGE,
        ]
    }

    fn signers(&self, msg: &Any, config: &AppConfig) -> Result<Vec<Address>, TxError> {
        let (field, s) = match msg.type_url.as_str() {
            msg::RECORD_BATCH => ("submitter", unpack::<MsgRecordBatch>(msg)?.submitter),
            msg::CREATE_BRIDGE => ("creator", unpack::<MsgCreateBridge>(msg)?.creator),
            msg::PROPOSE_OUTPUT => ("proposer", unpack::<MsgProposeOutput>(msg)?.proposer),
            msg::DELETE_OUTPUT => ("challenger", unpack::<MsgDeleteOutput>(msg)?.challenger),
            msg::INITIATE_DEPOSIT => ("sender", unpack::<MsgInitiateTokenDeposit>(msg)?.sender),
            msg::FINALIZE_WITHDRAWAL => {
                ("sender", unpack::<MsgFinalizeTokenWithdrawal>(msg)?.sender)
            }
            msg::UPDATE_PROPOSER => ("authority", unpack::<MsgUpdateProposer>(msg)?.authority),
            msg::UPDATE_CHALLENGER => ("authority", unpack::<MsgUpdateChallenger>(msg)?.authority),
            msg::UPDATE_BATCH_INFO => ("authority", unpack::<MsgUpdateBatchInfo>(msg)?.authority),
            msg::UPDATE_FINALIZATION_PERIOD => (
                "authority",
                unpack::<MsgUpdateFinalizationPeriod>(msg)?.authority,
            ),
            _ => ("authority", unpack::<MsgDisableBridge>(msg)?.authority),
        };
        Ok(vec![parse_addr(field, &s, config)?])
    }

    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> ExecResult<Any> {
        match msg.type_url.as_str() {
            msg::RECORD_BATCH => self.record_batch(ctx, unpack(msg)?),
            msg::CREATE_BRIDGE => self.create_bridge(ctx, unpack(msg)?),
            msg::PROPOSE_OUTPUT => self.propose_output(ctx, unpack(msg)?),
            msg::DELETE_OUTPUT => self.delete_output(ctx, unpack(msg)?),
            msg::INITIATE_DEPOSIT => self.initiate_deposit(ctx, unpack(msg)?),
            msg::FINALIZE_WITHDRAWAL => self.finalize_withdrawal(ctx, unpack(msg)?),
            _ => self.update(ctx, msg),
        }
    }

    fn query_paths(&self) -> &'static [&'static str] {
        &[
            query::BRIDGE,
            query::BRIDGES,
            query::TOKEN_PAIR_BY_L1,
            query::TOKEN_PAIR_BY_L2,
            query::TOKEN_PAIRS,
            query::LAST_FINALIZED_OUTPUT,
            query::OUTPUT_PROPOSAL,
            query::OUTPUT_PROPOSALS,
            query::PARAMS,
            query::CLAIMED,
            query::NEXT_L1_SEQUENCE,
            query::BATCH_INFOS,
        ]
    }

    fn query(&self, q: &QueryCtx<'_>, path: &str, data: &[u8]) -> Result<Vec<u8>, QueryError> {
        let bridge_resp = |id: u64, c: BridgeConfig| QueryBridgeResponse {
            bridge_id: id,
            bridge_addr: bridge_address(id).to_bech32(&q.config.bech32_prefix),
            bridge_config: Some(c),
        };
        match path {
            query::BRIDGE => {
                let r: QueryBridgeRequest = decode_query(data)?;
                let c = q_bridge(q, r.bridge_id)?;
                Ok(bridge_resp(r.bridge_id, c).encode_to_vec())
            }
            query::BRIDGES => {
                let r: QueryBridgesRequest = decode_query(data)?;
                let all = q
                    .view
                    .iter_prefix(BRIDGE, usize::MAX)?
                    .into_iter()
                    .map(|(key, v)| {
                        let id = key
                            .get(BRIDGE.len()..)
                            .and_then(|s| <[u8; 8]>::try_from(s).ok())
                            .map(u64::from_be_bytes)
                            .ok_or_else(|| QueryError::internal("malformed bridge key"))?;
                        let c = BridgeConfig::decode(v.as_slice())
                            .map_err(|e| QueryError::internal(e.to_string()))?;
                        Ok(bridge_resp(id, c))
                    })
                    .collect::<Result<Vec<_>, QueryError>>()?;
                let (bridges, pagination) = page(all, r.pagination.as_ref());
                Ok(QueryBridgesResponse {
                    bridges,
                    pagination,
                }
                .encode_to_vec())
            }
            query::TOKEN_PAIR_BY_L1 => {
                let r: QueryTokenPairByL1DenomRequest = decode_query(data)?;
                let l2 = q
                    .view
                    .get(&k2(PAIR_BY_L1, r.bridge_id, r.l1_denom.as_bytes()))?
                    .ok_or_else(|| {
                        QueryError::not_found(format!(
                            "no token pair for l1 denom {} on bridge {}",
                            r.l1_denom, r.bridge_id
                        ))
                    })?;
                Ok(QueryTokenPairResponse {
                    token_pair: Some(TokenPair {
                        l1_denom: r.l1_denom,
                        l2_denom: String::from_utf8_lossy(&l2).into_owned(),
                    }),
                }
                .encode_to_vec())
            }
            query::TOKEN_PAIR_BY_L2 => {
                let r: QueryTokenPairByL2DenomRequest = decode_query(data)?;
                let l1 = q
                    .view
                    .get(&k2(PAIR_BY_L2, r.bridge_id, r.l2_denom.as_bytes()))?
                    .ok_or_else(|| {
                        QueryError::not_found(format!(
                            "no token pair for l2 denom {} on bridge {}",
                            r.l2_denom, r.bridge_id
                        ))
                    })?;
                Ok(QueryTokenPairResponse {
                    token_pair: Some(TokenPair {
                        l1_denom: String::from_utf8_lossy(&l1).into_owned(),
                        l2_denom: r.l2_denom,
                    }),
                }
                .encode_to_vec())
            }
            query::TOKEN_PAIRS => {
                let r: QueryBridgePageRequest = decode_query(data)?;
                let prefix = k(PAIR_BY_L1, r.bridge_id);
                let all = q
                    .view
                    .iter_prefix(&prefix, usize::MAX)?
                    .into_iter()
                    .map(|(key, v)| TokenPair {
                        l1_denom: String::from_utf8_lossy(&key[prefix.len()..]).into_owned(),
                        l2_denom: String::from_utf8_lossy(&v).into_owned(),
                    })
                    .collect();
                let (token_pairs, pagination) = page(all, r.pagination.as_ref());
                Ok(QueryTokenPairsResponse {
                    token_pairs,
                    pagination,
                }
                .encode_to_vec())
            }
            query::LAST_FINALIZED_OUTPUT => {
                let r: QueryBridgeRequest = decode_query(data)?;
                let c = q_bridge(q, r.bridge_id)?;
                let now = self.clock.now().unix_timestamp_nanos();
                let (output_index, o) =
                    last_finalized(q_outputs(q, r.bridge_id)?.into_iter(), &c, now)
                        .unwrap_or_default();
                Ok(QueryLastFinalizedOutputResponse {
                    output_index,
                    output_proposal: Some(o),
                }
                .encode_to_vec())
            }
            query::OUTPUT_PROPOSAL => {
                let r: QueryOutputProposalRequest = decode_query(data)?;
                let b = q
                    .view
                    .get(&k2(OUTPUT, r.bridge_id, &r.output_index.to_be_bytes()))?
                    .ok_or_else(|| {
                        QueryError::not_found(format!(
                            "output {} of bridge {} not found",
                            r.output_index, r.bridge_id
                        ))
                    })?;
                let o = Output::decode(b.as_slice())
                    .map_err(|e| QueryError::internal(e.to_string()))?;
                Ok(QueryOutputProposalResponse {
                    bridge_id: r.bridge_id,
                    output_index: r.output_index,
                    output_proposal: Some(o),
                }
                .encode_to_vec())
            }
            query::OUTPUT_PROPOSALS => {
                let r: QueryBridgePageRequest = decode_query(data)?;
                let all = q_outputs(q, r.bridge_id)?
                    .into_iter()
                    .map(|(i, o)| QueryOutputProposalResponse {
                        bridge_id: r.bridge_id,
                        output_index: i,
                        output_proposal: Some(o),
                    })
                    .collect();
                let (output_proposals, pagination) = page(all, r.pagination.as_ref());
                Ok(QueryOutputProposalsResponse {
                    output_proposals,
                    pagination,
                }
                .encode_to_vec())
            }
            query::PARAMS => Ok(QueryParamsResponse {
                params: Some(Params::default()),
            }
            .encode_to_vec()),
            query::CLAIMED => {
                let r: QueryClaimedRequest = decode_query(data)?;
                let claimed = q
                    .view
                    .get(&k2(PROVEN, r.bridge_id, &r.withdrawal_hash))?
                    .is_some();
                Ok(QueryClaimedResponse { claimed }.encode_to_vec())
            }
            query::NEXT_L1_SEQUENCE => {
                let r: QueryBridgeRequest = decode_query(data)?;
                q_bridge(q, r.bridge_id)?;
                let next = q
                    .view
                    .get(&k(NEXT_L1_SEQ, r.bridge_id))?
                    .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
                    .map_or(1, u64::from_be_bytes);
                Ok(QueryNextL1SequenceResponse {
                    next_l1_sequence: next,
                }
                .encode_to_vec())
            }
            query::BATCH_INFOS => {
                let r: QueryBridgePageRequest = decode_query(data)?;
                let all = q
                    .view
                    .iter_prefix(&k(BATCH_INFO, r.bridge_id), usize::MAX)?
                    .into_iter()
                    .map(|(_, v)| {
                        BatchInfoWithOutput::decode(v.as_slice())
                            .map_err(|e| QueryError::internal(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let (batch_infos, pagination) = page(all, r.pagination.as_ref());
                Ok(QueryBatchInfosResponse {
                    batch_infos,
                    pagination,
                }
                .encode_to_vec())
            }
            _ => Err(QueryError::invalid(format!("unknown ophost query {path}"))),
        }
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_>, state: &serde_json::Value) -> ExecResult<()> {
        let g: Genesis = if state.is_null() {
            Genesis::default()
        } else {
            serde_json::from_value(state.clone())
                .map_err(|e| TxError::new(CODESPACE, 1, format!("app_state.ophost: {e}")))?
        };
        if let Some(a) = g.authority {
            let addr = parse_addr("authority", &a, ctx.config)?;
            ctx.set(AUTHORITY.to_vec(), addr.as_bytes().to_vec())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_next_key_to_the_end_and_count_and_reverse() {
        let items: Vec<u32> = (0..250).collect();
        let mut seen = vec![];
        let mut key = vec![];
        loop {
            let req = PageRequest {
                key: key.clone(),
                limit: 100,
                count_total: true,
                ..Default::default()
            };
            let (got, resp) = page(items.clone(), Some(&req));
            let resp = resp.unwrap();
            assert_eq!(resp.total, 250);
            seen.extend(got);
            if resp.next_key.is_empty() {
                break;
            }
            key = resp.next_key;
        }
        assert_eq!(seen, items);
        // No request: the first 100 and a key for the rest; offset still works.
        let (first, resp) = page(items.clone(), None);
        assert_eq!(first, (0..100).collect::<Vec<_>>());
        assert!(!resp.unwrap().next_key.is_empty());
        let req = PageRequest {
            offset: 240,
            ..Default::default()
        };
        let (tail, resp) = page(items.clone(), Some(&req));
        assert_eq!(tail, (240..250).collect::<Vec<_>>());
        assert!(resp.unwrap().next_key.is_empty());
        let req = PageRequest {
            limit: 2,
            reverse: true,
            ..Default::default()
        };
        assert_eq!(page(items, Some(&req)).0, vec![249, 248]);
    }

    #[test]
    fn finalization_is_judged_in_whole_seconds_like_opinit() {
        let config = BridgeConfig {
            finalization_period: Some(Duration::from_secs(60)),
            ..Default::default()
        };
        let at = 1_000 * 1_000_000_000i128 + 700_000_000;
        let output = Output {
            l1_block_time: Some(Timestamp::from_unix_nanos(at)),
            ..Default::default()
        };
        // OPinit: BlockTime().Unix() >= (L1BlockTime + period).Unix().
        assert!(!is_finalized(
            &config,
            &output,
            1_059 * 1_000_000_000 + 999_999_999
        ));
        assert!(is_finalized(&config, &output, 1_060 * 1_000_000_000));
        assert!(is_finalized(&config, &output, 2_000 * 1_000_000_000));
    }

    #[test]
    fn bridge_addresses_differ_per_bridge_and_from_module_accounts() {
        let a = bridge_address(1);
        assert_eq!(a, bridge_address(1));
        assert_ne!(a, bridge_address(2));
        assert_ne!(a, minitia_chain::app::auth::module_address(MODULE));
    }

    #[test]
    fn timestamps_round_trip_nanos() {
        for n in [0i128, 1, 1_795_615_943_123_456_789, -1] {
            assert_eq!(Timestamp::from_unix_nanos(n).as_unix_nanos(), n);
        }
    }
}
