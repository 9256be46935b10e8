//! Protobuf messages of OPinit's `opinit.opchild.v1` package that the bridge uses, written by
//! hand with the field numbers of `proto/opinit/opchild/v1/{tx,query,types}.proto`
//! (initia-labs/OPinit), so txs built by initia.js or opinit-bots decode unchanged.

pub use crate::opinit::BridgeConfig;
use cosmrs::proto::cosmos::base::v1beta1::Coin;

/// `MsgFinalizeTokenDeposit`: the bridge executor relays one L1 deposit.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgFinalizeTokenDeposit {
    /// The executor (signer).
    #[prost(string, tag = "1")]
    pub sender: String,
    /// L1 sender.
    #[prost(string, tag = "2")]
    pub from: String,
    /// L2 recipient.
    #[prost(string, tag = "3")]
    pub to: String,
    /// Amount in the L2 denom.
    #[prost(message, optional, tag = "4")]
    pub amount: Option<Coin>,
    /// L1 sequence of the deposit.
    #[prost(uint64, tag = "5")]
    pub sequence: u64,
    /// L1 height of the deposit.
    #[prost(uint64, tag = "6")]
    pub height: u64,
    /// L1 denom.
    #[prost(string, tag = "7")]
    pub base_denom: String,
    /// Hook data.
    #[prost(bytes = "vec", tag = "8")]
    pub data: Vec<u8>,
}

/// `MsgFinalizeTokenDepositResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgFinalizeTokenDepositResponse {}

/// `MsgInitiateTokenWithdrawal`: a user burns L2 tokens to claim them on the L1.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgInitiateTokenWithdrawal {
    /// L2 sender (signer).
    #[prost(string, tag = "1")]
    pub sender: String,
    /// L1 recipient.
    #[prost(string, tag = "2")]
    pub to: String,
    /// Amount in the L2 denom.
    #[prost(message, optional, tag = "4")]
    pub amount: Option<Coin>,
}

/// `MsgInitiateTokenWithdrawalResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgInitiateTokenWithdrawalResponse {
    /// The L2 sequence assigned to the withdrawal.
    #[prost(uint64, tag = "1")]
    pub sequence: u64,
}

/// `BridgeInfo`: which L1 bridge this minitia settles on.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BridgeInfo {
    /// Bridge id on the L1.
    #[prost(uint64, tag = "1")]
    pub bridge_id: u64,
    /// Escrow address of the bridge on the L1.
    #[prost(string, tag = "2")]
    pub bridge_addr: String,
    /// L1 chain id.
    #[prost(string, tag = "3")]
    pub l1_chain_id: String,
    /// IBC client id (unused here).
    #[prost(string, tag = "4")]
    pub l1_client_id: String,
    /// The bridge config as the L1 holds it.
    #[prost(message, optional, tag = "5")]
    pub bridge_config: Option<BridgeConfig>,
}

/// `MsgSetBridgeInfo`: the executor records the bridge on the L2 (once; the id never changes).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgSetBridgeInfo {
    /// The executor (signer).
    #[prost(string, tag = "1")]
    pub sender: String,
    /// The bridge.
    #[prost(message, optional, tag = "2")]
    pub bridge_info: Option<BridgeInfo>,
}

/// `MsgSetBridgeInfoResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MsgSetBridgeInfoResponse {}

/// `Params` (the fields this module uses).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Params {
    /// Addresses allowed to finalize deposits and set the bridge info.
    #[prost(string, repeated, tag = "4")]
    pub bridge_executors: Vec<String>,
    /// Admin address.
    #[prost(string, tag = "5")]
    pub admin: String,
}

/// Empty request of the opchild queries.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EmptyRequest {}

/// `QueryNextL1SequenceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryNextL1SequenceResponse {
    /// Next L1 sequence the module accepts.
    #[prost(uint64, tag = "1")]
    pub next_l1_sequence: u64,
}

/// `QueryNextL2SequenceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryNextL2SequenceResponse {
    /// Sequence the next withdrawal gets.
    #[prost(uint64, tag = "1")]
    pub next_l2_sequence: u64,
}

/// `QueryBridgeInfoResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryBridgeInfoResponse {
    /// The bridge.
    #[prost(message, optional, tag = "1")]
    pub bridge_info: Option<BridgeInfo>,
}

/// `QueryParamsResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryParamsResponse {
    /// Params.
    #[prost(message, optional, tag = "1")]
    pub params: Option<Params>,
}
