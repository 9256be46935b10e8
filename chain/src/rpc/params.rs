//! JSON-RPC parameter decoding with CometBFT's conventions.
//!
//! Parameters come as a named object, a positional array (in the order of CometBFT's route
//! definitions), or, for URI-style `GET /method?k=v`, as raw query strings. Encodings follow
//! CometBFT: 64-bit integers as numbers or decimal strings; `[]byte` (`tx`, `hash`) as base64
//! in JSON bodies; `HexBytes` (`abci_query`'s `data`) as hex; in URIs, bytes are `0x`-prefixed
//! hex or a quoted string, and strings are quoted (quotes optional here).

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use serde_json::{Map, Value};
use tendermint::Hash;

use super::jsonrpc::RpcFail;

/// Positional parameter names of each method, as CometBFT's `rpc/core/routes.go` lists them.
pub(crate) fn positional_names(method: &str) -> &'static [&'static str] {
    match method {
        "blockchain" => &["minHeight", "maxHeight"],
        "block" | "block_results" | "commit" | "header" => &["height"],
        "block_by_hash" | "header_by_hash" => &["hash"],
        "genesis_chunked" => &["chunk"],
        "tx" => &["hash", "prove"],
        "tx_search" => &["query", "prove", "page", "per_page", "order_by"],
        "validators" => &["height", "page", "per_page"],
        "abci_query" => &["path", "data", "height", "prove"],
        "broadcast_tx_sync" | "broadcast_tx_async" | "broadcast_tx_commit" => &["tx"],
        "subscribe" | "unsubscribe" => &["query"],
        _ => &[],
    }
}

/// The parameters of one call.
#[derive(Debug, Clone)]
pub(crate) enum Params {
    /// JSON body, named (`{"height":"3"}`).
    Named(Map<String, Value>),
    /// JSON body, positional (`["3"]`), with the method's parameter names.
    Positional(Vec<Value>, &'static [&'static str]),
    /// URI query (`?height=3&hash=0xAB`), raw values.
    Uri(Map<String, Value>),
}

fn invalid(msg: impl Into<String>) -> RpcFail {
    RpcFail::invalid_params(msg)
}

fn strip_quotes(s: &str) -> &str {
    let s = s.trim();
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

fn strip_0x(s: &str) -> Option<&str> {
    s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))
}

impl Params {
    /// Builds the parameters of a JSON-RPC request (`params` absent or `null` = none).
    pub(crate) fn from_json(method: &str, params: Option<Value>) -> Result<Self, RpcFail> {
        match params {
            None | Some(Value::Null) => Ok(Params::Named(Map::new())),
            Some(Value::Object(m)) => Ok(Params::Named(m)),
            Some(Value::Array(a)) => {
                let names = positional_names(method);
                if a.len() > names.len() {
                    return Err(invalid(format!(
                        "expected at most {} parameters ({}), got {}",
                        names.len(),
                        names.join(", "),
                        a.len()
                    )));
                }
                Ok(Params::Positional(a, names))
            }
            Some(other) => Err(invalid(format!(
                "params must be an object or an array, got {other}"
            ))),
        }
    }

    /// Builds the parameters of a URI request from its decoded query pairs.
    pub(crate) fn from_uri(pairs: Vec<(String, String)>) -> Self {
        let mut m = Map::new();
        for (k, v) in pairs {
            m.insert(k, Value::String(v));
        }
        Params::Uri(m)
    }

    fn is_uri(&self) -> bool {
        matches!(self, Params::Uri(_))
    }

    /// The raw value of a parameter; `null` counts as absent.
    fn get(&self, name: &str) -> Option<&Value> {
        let v = match self {
            Params::Named(m) | Params::Uri(m) => m.get(name),
            Params::Positional(a, names) => {
                names.iter().position(|n| *n == name).and_then(|i| a.get(i))
            }
        };
        v.filter(|v| !v.is_null())
    }

    /// A string parameter (URI values may be quoted).
    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, RpcFail> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if self.is_uri() => Ok(Some(strip_quotes(s).to_string())),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(invalid(format!("{name}: expected a string, got {other}"))),
        }
    }

    /// An unsigned integer parameter given as a number or a decimal string (empty = absent).
    pub(crate) fn u64(&self, name: &str) -> Result<Option<u64>, RpcFail> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| {
                invalid(format!("{name}: expected a non-negative integer, got {n}"))
            }),
            Some(Value::String(s)) => {
                let s = strip_quotes(s);
                if s.is_empty() {
                    return Ok(None);
                }
                s.parse::<u64>().map(Some).map_err(|e| {
                    invalid(format!(
                        "{name}: expected a non-negative integer, got {s:?}: {e}"
                    ))
                })
            }
            Some(other) => Err(invalid(format!("{name}: expected an integer, got {other}"))),
        }
    }

    /// A boolean parameter (`true`, or `"true"` in URIs and lenient JSON).
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, RpcFail> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match strip_quotes(s) {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                "" => Ok(None),
                other => Err(invalid(format!(
                    "{name}: expected a boolean, got {other:?}"
                ))),
            },
            Some(other) => Err(invalid(format!("{name}: expected a boolean, got {other}"))),
        }
    }

    /// A `[]byte` parameter: base64 in JSON bodies; in URIs `0x`-hex or a quoted string.
    pub(crate) fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, RpcFail> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let Value::String(s) = v else {
            return Err(invalid(format!("{name}: expected a string, got {v}")));
        };
        if self.is_uri() {
            return uri_bytes(name, s).map(Some);
        }
        B64.decode(s.trim())
            .map(Some)
            .map_err(|e| invalid(format!("{name}: invalid base64: {e}")))
    }

    /// A `HexBytes` parameter (`abci_query`'s `data`): hex in JSON bodies (optional `0x`);
    /// in URIs `0x`-hex or a quoted string.
    pub(crate) fn hex_bytes(&self, name: &str) -> Result<Option<Vec<u8>>, RpcFail> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let Value::String(s) = v else {
            return Err(invalid(format!("{name}: expected a string, got {v}")));
        };
        if self.is_uri() {
            return uri_bytes(name, s).map(Some);
        }
        let s = s.trim();
        let h = strip_0x(s).unwrap_or(s);
        hex::decode(h)
            .map(Some)
            .map_err(|e| invalid(format!("{name}: invalid hex: {e}")))
    }

    /// A sha256 hash: base64 in JSON bodies (CometBFT's `[]byte`), also accepted as 64 hex
    /// digits (optionally `0x`-prefixed); in URIs hex with or without `0x`.
    pub(crate) fn hash(&self, name: &str) -> Result<Option<Hash>, RpcFail> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let Value::String(s) = v else {
            return Err(invalid(format!("{name}: expected a string, got {v}")));
        };
        let s = strip_quotes(s);
        let bytes = if let Some(h) = strip_0x(s) {
            hex::decode(h).map_err(|e| invalid(format!("{name}: invalid hex: {e}")))?
        } else if self.is_uri() || (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())) {
            hex::decode(s).map_err(|e| invalid(format!("{name}: invalid hex: {e}")))?
        } else {
            B64.decode(s)
                .map_err(|e| invalid(format!("{name}: invalid base64: {e}")))?
        };
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            invalid(format!(
                "{name}: expected a 32-byte hash, got {} bytes",
                bytes.len()
            ))
        })?;
        Ok(Some(Hash::Sha256(arr)))
    }
}

fn uri_bytes(name: &str, raw: &str) -> Result<Vec<u8>, RpcFail> {
    let s = raw.trim();
    if let Some(h) = strip_0x(s) {
        return hex::decode(h).map_err(|e| invalid(format!("{name}: invalid hex: {e}")));
    }
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        return Ok(s.as_bytes()[1..s.len() - 1].to_vec());
    }
    Err(invalid(format!(
        "{name}: expected 0x-prefixed hex or a quoted string, got {s:?}"
    )))
}
