//! Protobuf messages of OPinit's `opinit.ophost.v1` package, written by hand with the field
//! numbers and names of `proto/opinit/ophost/v1/{types,tx,query}.proto` (initia-labs/OPinit),
//! so txs built by `@initia/opinit.proto`, initia.js or opinit-bots decode unchanged.
//!
//! They live in the shared chain layer (not in `l1-orchestrator`) because the L1, the
//! minitia's bots and the challenger all speak them; `l1_orchestrator::proto` re-exports them.
//! Attestor and migration messages are left out: this L1 has no IBC.

use cosmrs::proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmrs::proto::cosmos::base::v1beta1::Coin;

/// `google.protobuf.Duration`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Duration {
    /// Whole seconds.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Duration {
    /// The duration in nanoseconds (negative durations count as zero).
    pub fn as_nanos(&self) -> i128 {
        (i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanos)).max(0)
    }
    /// A duration of whole seconds.
    pub fn from_secs(seconds: i64) -> Self {
        Self { seconds, nanos: 0 }
    }
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Timestamp {
    /// From nanoseconds since the epoch.
    pub fn from_unix_nanos(n: i128) -> Self {
        Self {
            seconds: n.div_euclid(1_000_000_000) as i64,
            nanos: n.rem_euclid(1_000_000_000) as i32,
        }
    }
    /// Nanoseconds since the epoch.
    pub fn as_unix_nanos(&self) -> i128 {
        i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanos)
    }
}

/// `BatchInfo`: where batches go.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatchInfo {
    /// Batch submitter address (on the DA chain).
    #[prost(string, tag = "1")]
    pub submitter: String,
    /// `ChainType`: 0 unspecified, 1 INITIA, 2 CELESTIA.
    #[prost(int32, tag = "2")]
    pub chain_type: i32,
}

/// `BatchInfo.ChainType` names, as OPinit prints them in events.
pub fn chain_type_name(t: i32) -> &'static str {
    match t {
        1 => "INITIA",
        2 => "CELESTIA",
        _ => "UNSPECIFIED",
    }
}

/// `BridgeConfig`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BridgeConfig {
    /// Challenger address.
    #[prost(string, tag = "1")]
    pub challenger: String,
    /// Proposer address.
    #[prost(string, tag = "2")]
    pub proposer: String,
    /// Batch info.
    #[prost(message, optional, tag = "3")]
    pub batch_info: Option<BatchInfo>,
    /// Interval between outputs.
    #[prost(message, optional, tag = "4")]
    pub submission_interval: Option<Duration>,
    /// Time an output waits before withdrawals against it can be finalized.
    #[prost(message, optional, tag = "5")]
    pub finalization_period: Option<Duration>,
    /// First L2 height recorded on the L1.
    #[prost(uint64, tag = "6")]
    pub submission_start_height: u64,
    /// Oracle flag.
    #[prost(bool, tag = "7")]
    pub oracle_enabled: bool,
    /// Free-form metadata.
    #[prost(bytes = "vec", tag = "8")]
    pub metadata: Vec<u8>,
    /// Set once the bridge is disabled.
    #[prost(bool, tag = "9")]
    pub bridge_disabled: bool,
    /// When it was disabled.
    #[prost(message, optional, tag = "10")]
    pub bridge_disabled_at: Option<Timestamp>,
    /// IBC channel (unused here).
    #[prost(string, tag = "12")]
    pub channel_id: String,
}

/// `TokenPair`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TokenPair {
    /// L1 denom.
    #[prost(string, tag = "1")]
    pub l1_denom: String,
    /// L2 denom.
    #[prost(string, tag = "2")]
    pub l2_denom: String,
}

/// `Output`: a proposed L2 output.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Output {
    /// Output root.
    #[prost(bytes = "vec", tag = "1")]
    pub output_root: Vec<u8>,
    /// L1 height it was proposed at.
    #[prost(uint64, tag = "2")]
    pub l1_block_number: u64,
    /// L1 block time it was proposed at; finalization counts from it.
    #[prost(message, optional, tag = "3")]
    pub l1_block_time: Option<Timestamp>,
    /// Last L2 block it covers.
    #[prost(uint64, tag = "4")]
    pub l2_block_number: u64,
}

/// `BatchInfoWithOutput`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatchInfoWithOutput {
    /// Batch info.
    #[prost(message, optional, tag = "1")]
    pub batch_info: Option<BatchInfo>,
    /// The finalized output at the time of the change.
    #[prost(message, optional, tag = "2")]
    pub output: Option<Output>,
}

/// `Params`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Params {
    /// Fee for creating a bridge.
    #[prost(message, repeated, tag = "1")]
    pub registration_fee: Vec<Coin>,
}

// ---- Msgs ----

/// `MsgRecordBatch`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgRecordBatch {
    /// Submitter.
    #[prost(string, tag = "1")]
    pub submitter: String,
    /// Bridge.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// Batch bytes.
    #[prost(bytes = "vec", tag = "3")]
    pub batch_bytes: Vec<u8>,
}

/// `MsgCreateBridge`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgCreateBridge {
    /// Creator (signer).
    #[prost(string, tag = "1")]
    pub creator: String,
    /// Config.
    #[prost(message, optional, tag = "2")]
    pub config: Option<BridgeConfig>,
}

/// `MsgCreateBridgeResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgCreateBridgeResponse {
    /// New bridge id.
    #[prost(uint64, tag = "1")]
    pub bridge_id: u64,
}

/// `MsgProposeOutput`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgProposeOutput {
    /// Proposer (signer).
    #[prost(string, tag = "1")]
    pub proposer: String,
    /// Bridge.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// Expected next output index.
    #[prost(uint64, tag = "3")]
    pub output_index: u64,
    /// Last L2 block covered.
    #[prost(uint64, tag = "4")]
    pub l2_block_number: u64,
    /// Output root (32 bytes).
    #[prost(bytes = "vec", tag = "5")]
    pub output_root: Vec<u8>,
}

/// `MsgDeleteOutput`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgDeleteOutput {
    /// Challenger (signer).
    #[prost(string, tag = "1")]
    pub challenger: String,
    /// Bridge.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// First output to delete.
    #[prost(uint64, tag = "3")]
    pub output_index: u64,
}

/// `MsgInitiateTokenDeposit`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgInitiateTokenDeposit {
    /// Sender (signer).
    #[prost(string, tag = "1")]
    pub sender: String,
    /// Bridge.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// L2 recipient (any address format).
    #[prost(string, tag = "3")]
    pub to: String,
    /// Amount.
    #[prost(message, optional, tag = "4")]
    pub amount: Option<Coin>,
    /// Hook data.
    #[prost(bytes = "vec", tag = "5")]
    pub data: Vec<u8>,
}

/// `MsgInitiateTokenDepositResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgInitiateTokenDepositResponse {
    /// The deposit's L1 sequence.
    #[prost(uint64, tag = "1")]
    pub sequence: u64,
}

/// `MsgFinalizeTokenWithdrawal`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgFinalizeTokenWithdrawal {
    /// Sender (signer; anyone).
    #[prost(string, tag = "1")]
    pub sender: String,
    /// Bridge.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// Output the proof is against.
    #[prost(uint64, tag = "3")]
    pub output_index: u64,
    /// Sibling hashes, bottom-up.
    #[prost(bytes = "vec", repeated, tag = "4")]
    pub withdrawal_proofs: Vec<Vec<u8>>,
    /// L2 sender.
    #[prost(string, tag = "5")]
    pub from: String,
    /// L1 receiver.
    #[prost(string, tag = "6")]
    pub to: String,
    /// L2 withdrawal sequence.
    #[prost(uint64, tag = "7")]
    pub sequence: u64,
    /// Amount in the L1 denom.
    #[prost(message, optional, tag = "8")]
    pub amount: Option<Coin>,
    /// Output version (1 byte).
    #[prost(bytes = "vec", tag = "9")]
    pub version: Vec<u8>,
    /// Withdrawal tree root.
    #[prost(bytes = "vec", tag = "10")]
    pub storage_root: Vec<u8>,
    /// Last L2 block hash of the output.
    #[prost(bytes = "vec", tag = "11")]
    pub last_block_hash: Vec<u8>,
}

/// `MsgUpdateProposer`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUpdateProposer {
    /// Authority or current proposer.
    #[prost(string, tag = "1")]
    pub authority: String,
    /// Bridge.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// New proposer.
    #[prost(string, tag = "3")]
    pub new_proposer: String,
}

/// `MsgUpdateChallenger`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUpdateChallenger {
    /// Authority or current challenger.
    #[prost(string, tag = "1")]
    pub authority: String,
    /// Bridge.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// New challenger.
    #[prost(string, tag = "3")]
    pub challenger: String,
}

/// `MsgUpdateBatchInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUpdateBatchInfo {
    /// Authority or current proposer.
    #[prost(string, tag = "1")]
    pub authority: String,
    /// Bridge.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// New batch info.
    #[prost(message, optional, tag = "3")]
    pub new_batch_info: Option<BatchInfo>,
}

/// `MsgUpdateFinalizationPeriod`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUpdateFinalizationPeriod {
    /// Authority.
    #[prost(string, tag = "1")]
    pub authority: String,
    /// Bridge.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
    /// New period.
    #[prost(message, optional, tag = "3")]
    pub finalization_period: Option<Duration>,
}

/// `MsgDisableBridge`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgDisableBridge {
    /// Authority.
    #[prost(string, tag = "1")]
    pub authority: String,
    /// Bridge.
    #[prost(uint64, tag = "2")]
    pub bridge_id: u64,
}

/// Response of the update messages: the last finalized output at the time of the change.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgUpdateResponse {
    /// Last finalized output index (0 if none).
    #[prost(uint64, tag = "1")]
    pub output_index: u64,
    /// Its L2 block number.
    #[prost(uint64, tag = "2")]
    pub l2_block_number: u64,
}

// ---- Queries ----

/// `QueryBridgeRequest` (also the request of every per-bridge query without more fields).
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryBridgeRequest {
    /// Bridge.
    #[prost(uint64, tag = "1")]
    pub bridge_id: u64,
}

/// `QueryBridgeResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryBridgeResponse {
    /// Bridge.
    #[prost(uint64, tag = "1")]
    pub bridge_id: u64,
    /// Escrow account.
    #[prost(string, tag = "2")]
    pub bridge_addr: String,
    /// Config.
    #[prost(message, optional, tag = "3")]
    pub bridge_config: Option<BridgeConfig>,
}

/// `QueryBridgesRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryBridgesRequest {
    /// Page.
    #[prost(message, optional, tag = "1")]
    pub pagination: Option<PageRequest>,
}

/// `QueryBridgesResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryBridgesResponse {
    /// Bridges.
    #[prost(message, repeated, tag = "1")]
    pub bridges: Vec<QueryBridgeResponse>,
    /// Page.
    #[prost(message, optional, tag = "2")]
    pub pagination: Option<PageResponse>,
}

/// `QueryTokenPairByL1DenomRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryTokenPairByL1DenomRequest {
    /// Bridge.
    #[prost(uint64, tag = "1")]
    pub bridge_id: u64,
    /// L1 denom.
    #[prost(string, tag = "2")]
    pub l1_denom: String,
}

/// `QueryTokenPairByL2DenomRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryTokenPairByL2DenomRequest {
    /// Bridge.
    #[prost(uint64, tag = "1")]
    pub bridge_id: u64,
    /// L2 denom.
    #[prost(string, tag = "2")]
    pub l2_denom: String,
}

/// `QueryTokenPairByL1DenomResponse` / `...ByL2DenomResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryTokenPairResponse {
    /// The pair.
    #[prost(message, optional, tag = "1")]
    pub token_pair: Option<TokenPair>,
}

/// `QueryTokenPairsRequest`, `QueryOutputProposalsRequest`, `QueryBatchInfosRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryBridgePageRequest {
    /// Bridge.
    #[prost(uint64, tag = "1")]
    pub bridge_id: u64,
    /// Page.
    #[prost(message, optional, tag = "2")]
    pub pagination: Option<PageRequest>,
}

/// `QueryTokenPairsResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryTokenPairsResponse {
    /// Pairs.
    #[prost(message, repeated, tag = "1")]
    pub token_pairs: Vec<TokenPair>,
    /// Page.
    #[prost(message, optional, tag = "2")]
    pub pagination: Option<PageResponse>,
}

/// `QueryLastFinalizedOutputResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryLastFinalizedOutputResponse {
    /// Index (0 if none is finalized).
    #[prost(uint64, tag = "1")]
    pub output_index: u64,
    /// The output.
    #[prost(message, optional, tag = "2")]
    pub output_proposal: Option<Output>,
}

/// `QueryOutputProposalRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryOutputProposalRequest {
    /// Bridge.
    #[prost(uint64, tag = "1")]
    pub bridge_id: u64,
    /// Output index.
    #[prost(uint64, tag = "2")]
    pub output_index: u64,
}

/// `QueryOutputProposalResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryOutputProposalResponse {
    /// Bridge.
    #[prost(uint64, tag = "1")]
    pub bridge_id: u64,
    /// Output index.
    #[prost(uint64, tag = "2")]
    pub output_index: u64,
    /// The output.
    #[prost(message, optional, tag = "3")]
    pub output_proposal: Option<Output>,
}

/// `QueryOutputProposalsResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryOutputProposalsResponse {
    /// Outputs.
    #[prost(message, repeated, tag = "1")]
    pub output_proposals: Vec<QueryOutputProposalResponse>,
    /// Page.
    #[prost(message, optional, tag = "2")]
    pub pagination: Option<PageResponse>,
}

/// `QueryParamsResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryParamsResponse {
    /// Params.
    #[prost(message, optional, tag = "1")]
    pub params: Option<Params>,
}

/// `QueryClaimedRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryClaimedRequest {
    /// Bridge.
    #[prost(uint64, tag = "1")]
    pub bridge_id: u64,
    /// Withdrawal leaf hash.
    #[prost(bytes = "vec", tag = "2")]
    pub withdrawal_hash: Vec<u8>,
}

/// `QueryClaimedResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryClaimedResponse {
    /// Whether it was paid out.
    #[prost(bool, tag = "1")]
    pub claimed: bool,
}

/// `QueryNextL1SequenceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryNextL1SequenceResponse {
    /// Next deposit sequence.
    #[prost(uint64, tag = "1")]
    pub next_l1_sequence: u64,
}

/// `QueryBatchInfosResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryBatchInfosResponse {
    /// Batch infos in order of change.
    #[prost(message, repeated, tag = "1")]
    pub batch_infos: Vec<BatchInfoWithOutput>,
    /// Page.
    #[prost(message, optional, tag = "2")]
    pub pagination: Option<PageResponse>,
}
