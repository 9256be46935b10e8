//! Initia's `initia.move.v1` messages, hand-written with the field numbers of
//! initia-labs/initia `proto/initia/move/v1/tx.proto` and `query.proto`, so that
//! initia.js and cosmrs clients build them unchanged.

/// `UpgradePolicy` (`types.proto`): 0 unspecified, 1 compatible, 2 immutable.
pub mod upgrade_policy {
    /// Not set.
    pub const UNSPECIFIED: i32 = 0;
    /// Upgrades must keep layouts and public signatures.
    pub const COMPATIBLE: i32 = 1;
    /// No upgrades.
    pub const IMMUTABLE: i32 = 2;
}

/// `/initia.move.v1.MsgPublish`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgPublish {
    /// Signer; the modules' address.
    #[prost(string, tag = "1")]
    pub sender: String,
    /// Module binaries.
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub code_bytes: Vec<Vec<u8>>,
    /// Upgrade policy for later publishes.
    #[prost(int32, tag = "3")]
    pub upgrade_policy: i32,
}

/// `/initia.move.v1.MsgPublishResponse`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgPublishResponse {}

/// `/initia.move.v1.MsgExecute`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgExecute {
    /// Signer, passed to leading `signer` parameters.
    #[prost(string, tag = "1")]
    pub sender: String,
    /// Module address (`0x..` hex or bech32).
    #[prost(string, tag = "2")]
    pub module_address: String,
    /// Module name.
    #[prost(string, tag = "3")]
    pub module_name: String,
    /// Entry function name.
    #[prost(string, tag = "4")]
    pub function_name: String,
    /// Type arguments, e.g. `0x1::string::String`, `u64`.
    #[prost(string, repeated, tag = "5")]
    pub type_args: Vec<String>,
    /// BCS-encoded arguments (after the signers).
    #[prost(bytes = "vec", repeated, tag = "6")]
    pub args: Vec<Vec<u8>>,
}

/// `/initia.move.v1.MsgExecuteResponse`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgExecuteResponse {}

/// `/initia.move.v1.MsgScript`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgScript {
    /// Signer, passed to leading `signer` parameters.
    #[prost(string, tag = "1")]
    pub sender: String,
    /// Script binary.
    #[prost(bytes = "vec", tag = "2")]
    pub code_bytes: Vec<u8>,
    /// Type arguments.
    #[prost(string, repeated, tag = "3")]
    pub type_args: Vec<String>,
    /// BCS-encoded arguments (after the signers).
    #[prost(bytes = "vec", repeated, tag = "4")]
    pub args: Vec<Vec<u8>>,
}

/// `/initia.move.v1.MsgScriptResponse`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct MsgScriptResponse {}

/// `initia.move.v1.QueryViewFunctionRequest`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryViewFunctionRequest {
    /// Module address.
    #[prost(string, tag = "1")]
    pub address: String,
    /// Module name.
    #[prost(string, tag = "2")]
    pub module_name: String,
    /// Function name.
    #[prost(string, tag = "3")]
    pub function_name: String,
    /// Type arguments.
    #[prost(string, repeated, tag = "4")]
    pub type_args: Vec<String>,
    /// BCS-encoded arguments.
    #[prost(bytes = "vec", repeated, tag = "5")]
    pub args: Vec<Vec<u8>>,
}

/// `initia.move.v1.VMEvent`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct VmEvent {
    /// Event type tag.
    #[prost(string, tag = "1")]
    pub type_tag: String,
    /// Event data as JSON.
    #[prost(string, tag = "2")]
    pub data: String,
}

/// `initia.move.v1.QueryViewFunctionResponse`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct QueryViewFunctionResponse {
    /// Return values as JSON (one value as itself, several as an array).
    #[prost(string, tag = "1")]
    pub data: String,
    /// Events the view emitted (discarded).
    #[prost(message, repeated, tag = "2")]
    pub events: Vec<VmEvent>,
    /// Gas used.
    #[prost(uint64, tag = "3")]
    pub gas_used: u64,
}
