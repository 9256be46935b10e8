//! The module seam: a module owns message types and query paths, the way Cosmos SDK modules
//! register `Msg` and `Query` services.

use cosmrs::Any;
use minitia_core::{Address, StateIter, StateView, TxError};

use super::{config::AppConfig, ctx::Ctx, errors::ExecResult};

/// State access for queries: point reads plus prefix iteration.
pub trait QueryView: StateView + StateIter {}
impl<T: StateView + StateIter + ?Sized> QueryView for T {}

/// What a query handler reads.
pub struct QueryCtx<'a> {
    /// State at the queried height.
    pub view: &'a dyn QueryView,
    /// App parameters.
    pub config: &'a AppConfig,
    /// The queried height.
    pub height: u64,
}

/// gRPC status codes a query can fail with; the ABCI response maps them as the SDK does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrpcCode {
    /// Malformed request.
    InvalidArgument,
    /// No such item.
    NotFound,
    /// No such method.
    Unimplemented,
    /// The node failed.
    Internal,
}

/// A failed query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rpc error: code = {code:?} desc = {message}")]
pub struct QueryError {
    /// gRPC status.
    pub code: GrpcCode,
    /// Description.
    pub message: String,
}

impl QueryError {
    /// Malformed request.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: GrpcCode::InvalidArgument,
            message: message.into(),
        }
    }
    /// Not found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            code: GrpcCode::NotFound,
            message: message.into(),
        }
    }
    /// Internal failure.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            code: GrpcCode::Internal,
            message: message.into(),
        }
    }
    /// The ABCI `(codespace, code)` the SDK reports for this status
    /// (baseapp `gRPCErrorToSDKError`).
    pub fn abci_code(&self) -> (&'static str, u32) {
        match self.code {
            GrpcCode::InvalidArgument => ("sdk", super::errors::code::INVALID_REQUEST),
            GrpcCode::NotFound => ("sdk", 22),
            GrpcCode::Unimplemented => ("sdk", super::errors::code::UNKNOWN_REQUEST),
            GrpcCode::Internal => ("sdk", 1),
        }
    }
}

impl From<minitia_core::StateError> for QueryError {
    fn from(e: minitia_core::StateError) -> Self {
        Self::internal(e.to_string())
    }
}

/// A module: message handlers, query handlers and genesis.
pub trait Module: Send + Sync + 'static {
    /// Module name (`bank`, `ophost`, ...), used in events.
    fn name(&self) -> &'static str;
    /// Message type URLs this module executes.
    fn msg_types(&self) -> &'static [&'static str];
    /// The accounts that must sign `msg`, in order.
    fn signers(&self, msg: &Any, config: &AppConfig) -> Result<Vec<Address>, TxError>;
    /// Executes `msg`, returning its response as `Any` (goes into `TxMsgData`).
    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> ExecResult<Any>;
    /// gRPC query method paths this module answers.
    fn query_paths(&self) -> &'static [&'static str];
    /// Answers a query with a protobuf response.
    fn query(&self, q: &QueryCtx<'_>, path: &str, data: &[u8]) -> Result<Vec<u8>, QueryError>;
    /// Applies the module's section of the genesis `app_state` (absent sections are `null`).
    fn init_genesis(&self, ctx: &mut Ctx<'_>, state: &serde_json::Value) -> ExecResult<()>;
}

/// Decodes a protobuf message from an `Any`, with the SDK's decode error on failure.
pub fn unpack<M: prost::Message + Default>(any: &Any) -> Result<M, TxError> {
    M::decode(any.value.as_slice()).map_err(|e| {
        super::errors::sdk(
            super::errors::code::TX_DECODE,
            format!("cannot decode {}: {e}: tx parse error", any.type_url),
        )
    })
}

/// Decodes a query request.
pub fn decode_query<M: prost::Message + Default>(data: &[u8]) -> Result<M, QueryError> {
    M::decode(data).map_err(|e| QueryError::invalid(format!("cannot decode request: {e}")))
}

/// Parses an address field of a message with the chain's prefix.
pub fn parse_addr(field: &str, value: &str, config: &AppConfig) -> Result<Address, TxError> {
    Address::parse(value, &config.bech32_prefix).map_err(|e| {
        super::errors::sdk(
            super::errors::code::INVALID_ADDRESS,
            format!("invalid {field} address: {e}: invalid address"),
        )
    })
}
