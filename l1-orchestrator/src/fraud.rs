//! Fraud proofs on the L1 (`/minitia.fraud.v1`): any bonded challenger submits a proof that
//! an output commits to a wrong state transition; the L1 judges it with the shared pure
//! verifier (`minitia_fraud_proofs::verify`) and settles it.
//!
//! - **Who**: any account with at least `min_challenger_bond` bonded ([`crate::bond`]), not
//!   only the bridge's registered challenger: challenging is permissionless.
//! - **When**: only while the output is within its finalization period; a proof against a
//!   finalized output is refused (error [`code::ALREADY_FINALIZED`], nothing changes).
//! - **Which engine**: the bridge's metadata names it ([`EngineSpec`], key
//!   [`minitia_fraud_proofs::METADATA_KEY`]), set by the creator at `MsgCreateBridge`; a
//!   bridge without one cannot be challenged ([`code::NO_ENGINE`]). The node's
//!   [`EngineRegistry`] turns the spec into a verifier (the `minitia-l1` binary judges with
//!   `minitia_engines::registry`; a library L1 started without one judges no engine).
//! - **The anchor**: the output's root, its `l2_block_number`, and the previous output's
//!   `l2_block_number` (the first block this output is the first to commit).
//! - **Fault proven**: the output and every later one are deleted (what `MsgDeleteOutput`
//!   does), so no withdrawal can be finalized against them; the proposer's whole stake
//!   (bond and unbonding entries) is slashed, [`CHALLENGER_REWARD_PERCENT`] of it to the
//!   challenger and the rest burned.
//! - **No fault, or a proof that proves nothing**: the challenger's whole stake is slashed
//!   and burned (nobody profits from a frivolous challenge). The tx succeeds so that the
//!   slash is kept; the response and the `fraud_proof_rejected` event say why.
//!
//! Malformed messages (unknown bridge or output, missing engine, empty proof, no bond, late)
//! fail with precise errors and change nothing.

use std::sync::Arc;

use cosmrs::Any;
use minitia_chain::app::{
    ctx::Ctx,
    errors::{ExecError, ExecResult},
    module::{parse_addr, unpack},
    AppConfig, Module, QueryCtx, QueryError,
};
use minitia_core::{Address, Event, Hash32, TxError};
use minitia_fraud_proofs::{Anchor, EngineRegistry, EngineSpec, Fault, FraudProof, Verdict};
use prost::Message;

use crate::{bond, ophost};

/// Codespace of fraud errors.
pub const CODESPACE: &str = "fraud";
/// `/minitia.fraud.v1.MsgSubmitFraudProof`.
pub const MSG_SUBMIT_FRAUD_PROOF: &str = "/minitia.fraud.v1.MsgSubmitFraudProof";
/// Share of a slashed proposer's stake paid to the challenger who proved the fault; the rest
/// is burned. Burning part keeps a proposer from "proving" its own fault to recover its bond.
pub const CHALLENGER_REWARD_PERCENT: u8 = 50;
/// Gas charged for verifying a proof, on top of the tx's size gas: a flat part plus a part
/// per proof byte (re-execution and hashing grow with the proof).
pub const VERIFY_GAS_FLAT: u64 = 100_000;
/// See [`VERIFY_GAS_FLAT`].
pub const VERIFY_GAS_PER_BYTE: u64 = 2;

/// Error codes of the `fraud` codespace.
pub mod code {
    /// The bridge names no engine, or one this node does not know.
    pub const NO_ENGINE: u32 = 2;
    /// The output is finalized: too late to challenge.
    pub const ALREADY_FINALIZED: u32 = 3;
    /// No such output.
    pub const INVALID_OUTPUT_INDEX: u32 = 4;
    /// The proof field is empty.
    pub const EMPTY_PROOF: u32 = 5;
}

fn err(code: u32, msg: impl Into<String>) -> ExecError {
    ExecError::Tx(TxError::new(CODESPACE, code, msg))
}

/// `MsgSubmitFraudProof`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgSubmitFraudProof {
    /// Signer: a bonded challenger.
    #[prost(string, tag = "1")]
    pub challenger: String,
    /// Bridge of the challenged output.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// Index of the challenged output.
    #[prost(uint64, tag = "3")]
    pub output_index: u64,
    /// The encoded `minitia_fraud_proofs::FraudProof`.
    #[prost(bytes = "vec", tag = "4")]
    pub proof: Vec<u8>,
}

/// `MsgSubmitFraudProofResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgSubmitFraudProofResponse {
    /// Whether the fault was proven (outputs deleted, proposer slashed).
    #[prost(bool, tag = "1")]
    pub fault_proven: bool,
    /// The verdict in words (the fault, or why the proof was rejected).
    #[prost(string, tag = "2")]
    pub verdict: String,
    /// Outputs deleted.
    #[prost(uint64, tag = "3")]
    pub deleted_outputs: u64,
    /// Amount slashed (from the proposer on a fault, from the challenger otherwise).
    #[prost(string, tag = "4")]
    pub slashed: String,
}

/// The fraud module.
#[derive(Clone)]
pub struct FraudModule {
    engines: Arc<dyn EngineRegistry>,
}

impl std::fmt::Debug for FraudModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FraudModule").finish_non_exhaustive()
    }
}

impl FraudModule {
    /// The module, judging proofs with the engines of `engines`.
    pub fn new(engines: Arc<dyn EngineRegistry>) -> Self {
        Self { engines }
    }

    fn submit(&self, ctx: &mut Ctx<'_>, m: MsgSubmitFraudProof) -> ExecResult<Any> {
        let prefix = ctx.config.bech32_prefix.clone();
        let challenger = parse_addr("challenger", &m.challenger, ctx.config)?;
        if m.proof.is_empty() {
            return Err(err(code::EMPTY_PROOF, "proof is empty: empty fraud proof"));
        }
        let config = ophost::bridge_config(ctx, m.bridge_id)?;
        let min = bond::params(ctx)?.min_challenger();
        bond::require_bond(ctx, &challenger, min, "challenger")?;
        let Some(output) = ophost::get_output(ctx, m.bridge_id, m.output_index)? else {
            let next = ophost::next_output_index(ctx, m.bridge_id)?;
            return Err(err(
                code::INVALID_OUTPUT_INDEX,
                format!(
                    "output {} of bridge {} does not exist (next is {next}): invalid output index",
                    m.output_index, m.bridge_id
                ),
            ));
        };
        let now = ctx.block.time_unix_nanos;
        if ophost::is_finalized(&config, &output, now) {
            let at = output.l1_block_time.map_or(0, |t| t.seconds)
                + config.finalization_period.map_or(0, |d| d.seconds);
            return Err(err(
                code::ALREADY_FINALIZED,
                format!(
                    "output {} of bridge {} finalized at unix time {at} (block time is {}); fraud proofs are accepted only within the finalization period: output already finalized",
                    m.output_index,
                    m.bridge_id,
                    now.div_euclid(1_000_000_000)
                ),
            ));
        }
        let spec = EngineSpec::from_bridge_metadata(&config.metadata).map_err(|e| {
            err(
                code::NO_ENGINE,
                format!("bridge {}: {e}: no engine", m.bridge_id),
            )
        })?;
        let verifier = self.engines.verifier(&spec).map_err(|e| {
            err(
                code::NO_ENGINE,
                format!("bridge {}: {e}: no engine", m.bridge_id),
            )
        })?;
        let first_block = match m.output_index {
            0 | 1 => 1,
            i => ophost::get_output(ctx, m.bridge_id, i - 1)?.map_or(1, |o| o.l2_block_number),
        };
        let anchor = Anchor {
            chain_id: spec.chain_id.clone(),
            output_root: Hash32::from_slice(&output.output_root).unwrap_or_default(),
            l2_block_number: output.l2_block_number,
            first_block,
        };
        ctx.gas.charge(
            VERIFY_GAS_FLAT
                .saturating_add(VERIFY_GAS_PER_BYTE.saturating_mul(m.proof.len() as u64)),
            "verify fraud proof",
        )?;
        let verdict = match FraudProof::decode(&m.proof) {
            Ok(proof) => verifier.verify(&proof, &anchor),
            Err(e) => Verdict::Invalid(e.into()),
        };
        let denom = bond::params(ctx)?.denom;
        let resp = match verdict {
            Verdict::Fault(fault) => {
                // The guilty one is whoever proposed the proven output, even if the bridge
                // has another proposer by now.
                let proposer = ophost::output_proposer(ctx, m.bridge_id, m.output_index)?
                    .ok_or_else(|| {
                        ExecError::Fatal(minitia_core::EngineError::Invariant(format!(
                            "output {} of bridge {} has no recorded proposer",
                            m.output_index, m.bridge_id
                        )))
                    })?;
                let deleted = ophost::delete_outputs_from(ctx, m.bridge_id, m.output_index)?;
                let s = bond::slash(ctx, &proposer, Some(&challenger), CHALLENGER_REWARD_PERCENT)?;
                let what = describe(&fault);
                ctx.emit(
                    Event::new("fraud_proven")
                        .attr("bridge_id", m.bridge_id.to_string())
                        .attr("output_index", m.output_index.to_string())
                        .attr("challenger", &m.challenger)
                        .attr("proposer", proposer.to_bech32(&prefix))
                        .attr("fault", &what)
                        .attr("deleted_outputs", deleted.to_string())
                        .attr("slashed", format!("{}{denom}", s.total))
                        .attr("reward", format!("{}{denom}", s.reward))
                        .attr("burned", format!("{}{denom}", s.burned)),
                );
                ctx.emit(
                    Event::new("delete_output")
                        .attr("challenger", &m.challenger)
                        .attr("bridge_id", m.bridge_id.to_string())
                        .attr("output_index", m.output_index.to_string()),
                );
                MsgSubmitFraudProofResponse {
                    fault_proven: true,
                    verdict: what,
                    deleted_outputs: deleted,
                    slashed: format!("{}{denom}", s.total),
                }
            }
            other => {
                let why = match other {
                    Verdict::NoFault => {
                        "the proof is sound and the block's transition is correct".to_string()
                    }
                    Verdict::Invalid(e) => format!("invalid proof: {e}"),
                    Verdict::Fault(_) => unreachable!("handled above"),
                };
                let s = bond::slash(ctx, &challenger, None, 0)?;
                ctx.emit(
                    Event::new("fraud_proof_rejected")
                        .attr("bridge_id", m.bridge_id.to_string())
                        .attr("output_index", m.output_index.to_string())
                        .attr("challenger", &m.challenger)
                        .attr("reason", &why)
                        .attr("slashed", format!("{}{denom}", s.total)),
                );
                MsgSubmitFraudProofResponse {
                    fault_proven: false,
                    verdict: why,
                    deleted_outputs: 0,
                    slashed: format!("{}{denom}", s.total),
                }
            }
        };
        Ok(Any {
            type_url: "/minitia.fraud.v1.MsgSubmitFraudProofResponse".into(),
            value: resp.encode_to_vec(),
        })
    }
}

fn describe(f: &Fault) -> String {
    match f {
        Fault::StateRoot {
            height,
            computed,
            claimed,
        } => format!("block {height} transitions state to {computed}, the chain claims {claimed}"),
        Fault::UndecodableTx {
            height,
            index,
            reason,
        } => format!("block {height} holds undecodable tx {index}: {reason}"),
    }
}

impl Module for FraudModule {
    fn name(&self) -> &'static str {
        "fraud"
    }

    fn msg_types(&self) -> &'static [&'static str] {
        &[MSG_SUBMIT_FRAUD_PROOF]
    }

    fn signers(&self, msg: &Any, config: &AppConfig) -> Result<Vec<Address>, TxError> {
        let m: MsgSubmitFraudProof = unpack(msg)?;
        Ok(vec![parse_addr("challenger", &m.challenger, config)?])
    }

    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> ExecResult<Any> {
        let m: MsgSubmitFraudProof = unpack(msg)?;
        self.submit(ctx, m)
    }

    fn query_paths(&self) -> &'static [&'static str] {
        &[]
    }

    fn query(&self, _q: &QueryCtx<'_>, path: &str, _data: &[u8]) -> Result<Vec<u8>, QueryError> {
        Err(QueryError::invalid(format!("unknown fraud query {path}")))
    }

    fn init_genesis(&self, _ctx: &mut Ctx<'_>, _state: &serde_json::Value) -> ExecResult<()> {
        Ok(())
    }
}
