//! Tx results and events, shaped like ABCI's so they map 1:1 onto CometBFT RPC responses.

use serde::{Deserialize, Serialize};

/// One key/value attribute of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAttribute {
    /// Attribute key.
    pub key: String,
    /// Attribute value.
    pub value: String,
    /// Whether `tx_search` indexes it.
    pub index: bool,
}

/// A typed event with attributes (ABCI `Event`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Event type, e.g. `transfer`.
    pub kind: String,
    /// Attributes in emission order.
    pub attributes: Vec<EventAttribute>,
}

impl Event {
    /// A new event with no attributes.
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            attributes: Vec::new(),
        }
    }

    /// Adds an indexed attribute.
    pub fn attr(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push(EventAttribute {
            key: key.into(),
            value: value.into(),
            index: true,
        });
        self
    }

    /// The first value of `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

/// The outcome of one tx in a block (ABCI `ExecTxResult`). `code == 0` is success.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxResult {
    /// 0 on success, else an error code within `codespace`.
    pub code: u32,
    /// Error namespace (`sdk`, `bank`, `evm`, ...), empty on success.
    pub codespace: String,
    /// Human-readable log; the error message on failure.
    pub log: String,
    /// Result data (protobuf `TxMsgData` for Cosmos txs).
    pub data: Vec<u8>,
    /// Gas limit the tx asked for.
    pub gas_wanted: u64,
    /// Gas consumed.
    pub gas_used: u64,
    /// Events emitted (none survive a failed tx, except fee events).
    pub events: Vec<Event>,
}

impl TxResult {
    /// True when the tx succeeded.
    pub fn is_ok(&self) -> bool {
        self.code == 0
    }
}
