//! JSON encodings of RPC results exactly as CometBFT v0.38 emits them.
//!
//! CometBFT serializes its Go result types (`rpc/core/types/responses.go`) with its own
//! `libs/json`: 64-bit integers as decimal strings, `[]byte` as base64, `HexBytes` as
//! upper-case hex, and (since 0.37) event attributes as plain strings. tendermint-rs' serde
//! impls of its endpoint types follow that for blocks, headers, commits and node info but not
//! everywhere (e.g. `/block_results` carries 0.34's `begin_block_events`, `/validators` lacks
//! `count`, ABCI `data` bytes), so the results that differ are built by hand here; the rest
//! go through serde.

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use serde_json::{json, Map, Value};
use tendermint::{abci, block, validator, Hash};
use tendermint_rpc::endpoint::{
    abci_info, abci_query, block as block_ep, block_results, blockchain, commit, status,
    tx as tx_ep, validators,
};

use super::backend::CheckTxOutcome;

/// Serializes with serde, mapping a (never expected) failure to a JSON-RPC internal error
/// message.
pub(crate) fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, String> {
    serde_json::to_value(v).map_err(|e| format!("failed to encode result: {e}"))
}

/// Go's `[]byte` in JSON: base64, `null` when empty (a nil slice).
fn bytes_b64(b: &[u8]) -> Value {
    if b.is_empty() {
        Value::Null
    } else {
        Value::String(B64.encode(b))
    }
}

/// Upper-case hex of a hash (`HexBytes`); empty string for an empty hash.
pub(crate) fn hash_hex(h: &Hash) -> String {
    hex::encode_upper(h.as_bytes())
}

/// An ABCI event with 0.38 string attributes: `{"type","attributes":[{"key","value","index"}]}`.
pub(crate) fn event(e: &abci::Event) -> Value {
    let attrs: Vec<Value> = e
        .attributes
        .iter()
        .map(|a| {
            let key = String::from_utf8_lossy(a.key_bytes()).into_owned();
            let value = String::from_utf8_lossy(a.value_bytes()).into_owned();
            json!({"key": key, "value": value, "index": a.index()})
        })
        .collect();
    json!({"type": e.kind, "attributes": attrs})
}

pub(crate) fn events(es: &[abci::Event]) -> Value {
    Value::Array(es.iter().map(event).collect())
}

/// `abci.ExecTxResult`.
pub(crate) fn exec_tx_result(r: &abci::types::ExecTxResult) -> Value {
    json!({
        "code": r.code.value(),
        "data": bytes_b64(&r.data),
        "log": r.log,
        "info": r.info,
        "gas_wanted": r.gas_wanted.to_string(),
        "gas_used": r.gas_used.to_string(),
        "events": events(&r.events),
        "codespace": r.codespace,
    })
}

/// `abci.ExecTxResult` as embedded in events (`Tx` events, `result_finalize_block`), where
/// CometBFT omits zero-valued fields (captured 0.38 events carry e.g. only `events`).
pub(crate) fn exec_tx_result_compact(r: &abci::types::ExecTxResult) -> Value {
    let mut m = Map::new();
    if r.code.value() != 0 {
        m.insert("code".into(), json!(r.code.value()));
    }
    if !r.data.is_empty() {
        m.insert("data".into(), Value::String(B64.encode(&r.data)));
    }
    if !r.log.is_empty() {
        m.insert("log".into(), Value::String(r.log.clone()));
    }
    if !r.info.is_empty() {
        m.insert("info".into(), Value::String(r.info.clone()));
    }
    if r.gas_wanted != 0 {
        m.insert("gas_wanted".into(), Value::String(r.gas_wanted.to_string()));
    }
    if r.gas_used != 0 {
        m.insert("gas_used".into(), Value::String(r.gas_used.to_string()));
    }
    if !r.events.is_empty() {
        m.insert("events".into(), events(&r.events));
    }
    if !r.codespace.is_empty() {
        m.insert("codespace".into(), Value::String(r.codespace.clone()));
    }
    Value::Object(m)
}

/// The `TxResult` of a `tendermint/event/Tx` event (`index` omitted when 0, as CometBFT does).
pub(crate) fn tx_event_result(r: &tx_ep::Response) -> Value {
    let mut m = Map::new();
    m.insert("height".into(), Value::String(r.height.value().to_string()));
    if r.index != 0 {
        m.insert("index".into(), json!(r.index));
    }
    m.insert("tx".into(), Value::String(B64.encode(&r.tx)));
    m.insert("result".into(), exec_tx_result_compact(&r.tx_result));
    Value::Object(m)
}

/// `types.TxProof`: `root_hash` hex, `data` base64, merkle `total`/`index` as strings,
/// `leaf_hash`/`aunts` base64.
fn tx_proof(p: &tendermint::tx::Proof) -> Value {
    let aunts: Vec<Value> = p
        .proof
        .aunts
        .iter()
        .map(|a| Value::String(B64.encode(a.as_bytes())))
        .collect();
    json!({
        "root_hash": hash_hex(&p.root_hash),
        "data": B64.encode(&p.data),
        "proof": {
            "total": p.proof.total.to_string(),
            "index": p.proof.index.to_string(),
            "leaf_hash": B64.encode(p.proof.leaf_hash.as_bytes()),
            "aunts": aunts,
        }
    })
}

/// `crypto.ProofOps` (`{"ops":[{"type","key","data"}]}`, bytes base64).
fn proof_ops(p: &tendermint::merkle::proof::ProofOps) -> Value {
    let ops: Vec<Value> = p
        .ops
        .iter()
        .map(|op| {
            json!({
                "type": op.field_type,
                "key": B64.encode(&op.key),
                "data": B64.encode(&op.data),
            })
        })
        .collect();
    json!({ "ops": ops })
}

/// `ResultTx` (`/tx`, and each entry of `/tx_search`); the proof only when asked for.
pub(crate) fn tx(r: &tx_ep::Response, prove: bool) -> Result<Value, String> {
    let mut m = Map::new();
    m.insert("hash".into(), Value::String(hash_hex(&r.hash)));
    m.insert("height".into(), Value::String(r.height.value().to_string()));
    m.insert("index".into(), json!(r.index));
    m.insert("tx_result".into(), exec_tx_result(&r.tx_result));
    m.insert("tx".into(), Value::String(B64.encode(&r.tx)));
    if let Some(p) = r.proof.as_ref().filter(|_| prove) {
        m.insert("proof".into(), tx_proof(p));
    }
    Ok(Value::Object(m))
}

/// `ResultTxSearch`.
pub(crate) fn tx_search(txs: &[tx_ep::Response], total: u32, prove: bool) -> Result<Value, String> {
    let txs = txs
        .iter()
        .map(|t| tx(t, prove))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({"txs": txs, "total_count": total.to_string()}))
}

/// `abci.ValidatorUpdate`s. CometBFT prints the protobuf `crypto.PublicKey` oneof as
/// `{"Sum":{"type":"tendermint.crypto.PublicKey_Ed25519","value":{"ed25519":"<base64>"}}}`
/// (CosmJS and tendermint-rs both read this form) and the power as a string.
fn validator_updates(us: &[validator::Update]) -> Value {
    if us.is_empty() {
        return Value::Null;
    }
    Value::Array(
        us.iter()
            .map(|u| {
                let (kind, field) = match u.pub_key {
                    tendermint::PublicKey::Ed25519(_) => {
                        ("tendermint.crypto.PublicKey_Ed25519", "ed25519")
                    }
                    _ => ("tendermint.crypto.PublicKey_Secp256K1", "secp256k1"),
                };
                let mut value = Map::new();
                value.insert(
                    field.into(),
                    Value::String(B64.encode(u.pub_key.to_bytes())),
                );
                json!({
                    "pub_key": {"Sum": {"type": kind, "value": value}},
                    "power": u.power.value().to_string(),
                })
            })
            .collect(),
    )
}

/// `ConsensusParams` updates (tendermint-rs adds 0.34's `block.time_iota_ms`, which CometBFT
/// 0.38 no longer has).
fn consensus_params(p: &tendermint::consensus::Params) -> Result<Value, String> {
    let mut v = to_value(p)?;
    if let Some(b) = v.get_mut("block").and_then(Value::as_object_mut) {
        b.remove("time_iota_ms");
    }
    Ok(v)
}

/// `ResultBlockResults` (0.38: `finalize_block_events` and a base64 `app_hash`, no
/// begin/end-block events).
pub(crate) fn block_results(r: &block_results::Response) -> Result<Value, String> {
    let txs = r
        .txs_results
        .as_ref()
        .map(|v| Value::Array(v.iter().map(exec_tx_result).collect()))
        .unwrap_or(Value::Null);
    let cp = match &r.consensus_param_updates {
        Some(p) => consensus_params(p)?,
        None => Value::Null,
    };
    Ok(json!({
        "height": r.height.value().to_string(),
        "txs_results": txs,
        "finalize_block_events": if r.finalize_block_events.is_empty() {
            Value::Null
        } else {
            events(&r.finalize_block_events)
        },
        "validator_updates": validator_updates(&r.validator_updates),
        "consensus_param_updates": cp,
        "app_hash": B64.encode(r.app_hash.as_bytes()),
    }))
}

/// `abci.FinalizeBlockResponse` as carried by the `NewBlock` event: empty `events`,
/// `tx_results` and nil `consensus_param_updates` are omitted, `validator_updates` is always
/// a list, `app_hash` is base64 (as in CometBFT 0.38 captures).
pub(crate) fn result_finalize_block(r: &block_results::Response) -> Result<Value, String> {
    let mut m = Map::new();
    if !r.finalize_block_events.is_empty() {
        m.insert("events".into(), events(&r.finalize_block_events));
    }
    let txs = r.txs_results.as_deref().unwrap_or_default();
    if !txs.is_empty() {
        m.insert(
            "tx_results".into(),
            Value::Array(txs.iter().map(exec_tx_result_compact).collect()),
        );
    }
    let vu = match validator_updates(&r.validator_updates) {
        Value::Null => Value::Array(Vec::new()),
        v => v,
    };
    m.insert("validator_updates".into(), vu);
    if let Some(p) = &r.consensus_param_updates {
        m.insert("consensus_param_updates".into(), consensus_params(p)?);
    }
    m.insert(
        "app_hash".into(),
        Value::String(B64.encode(r.app_hash.as_bytes())),
    );
    Ok(Value::Object(m))
}

/// `ResultBroadcastTx` (`broadcast_tx_sync` / `broadcast_tx_async`; `data` is `HexBytes`).
pub(crate) fn broadcast_tx(o: &CheckTxOutcome) -> Value {
    json!({
        "code": o.code,
        "data": "",
        "log": o.log,
        "codespace": o.codespace,
        "hash": hash_hex(&o.hash),
    })
}

/// `abci.CheckTxResponse` as embedded in `ResultBroadcastTxCommit`.
pub(crate) fn check_tx(o: &CheckTxOutcome) -> Value {
    json!({
        "code": o.code,
        "data": Value::Null,
        "log": o.log,
        "info": "",
        "gas_wanted": "0",
        "gas_used": "0",
        "events": [],
        "codespace": o.codespace,
    })
}

/// `ResultBroadcastTxCommit`. `result` is `None` when CheckTx rejected the tx (CometBFT then
/// returns a zero `tx_result` and height 0).
pub(crate) fn broadcast_tx_commit(o: &CheckTxOutcome, result: Option<&tx_ep::Response>) -> Value {
    let (tx_result, height) = match result {
        Some(r) => (exec_tx_result(&r.tx_result), r.height.value()),
        None => (exec_tx_result(&abci::types::ExecTxResult::default()), 0),
    };
    json!({
        "check_tx": check_tx(o),
        "tx_result": tx_result,
        "hash": hash_hex(&o.hash),
        "height": height.to_string(),
    })
}

/// `ResultABCIInfo`.
pub(crate) fn abci_info(r: &abci_info::Response) -> Value {
    let i = &r.response;
    json!({"response": {
        "data": i.data,
        "version": i.version,
        "app_version": i.app_version.to_string(),
        "last_block_height": i.last_block_height.value().to_string(),
        "last_block_app_hash": B64.encode(i.last_block_app_hash.as_bytes()),
    }})
}

/// `ResultABCIQuery`.
pub(crate) fn abci_query(q: &abci_query::AbciQuery) -> Result<Value, String> {
    let proof = match &q.proof {
        Some(p) => proof_ops(p),
        None => Value::Null,
    };
    Ok(json!({"response": {
        "code": q.code.value(),
        "log": q.log,
        "info": q.info,
        "index": q.index.to_string(),
        "key": bytes_b64(&q.key),
        "value": bytes_b64(&q.value),
        "proofOps": proof,
        "height": q.height.value().to_string(),
        "codespace": q.codespace,
    }}))
}

/// A validator as `/validators` lists it.
fn validator_info(v: &validator::Info) -> Result<Value, String> {
    Ok(json!({
        "address": v.address.to_string(),
        "pub_key": to_value(&v.pub_key)?,
        "voting_power": v.power.value().to_string(),
        "proposer_priority": v.proposer_priority.value().to_string(),
    }))
}

/// `ResultValidators` (with `count`, which tendermint-rs' type lacks).
pub(crate) fn validators(r: &validators::Response) -> Result<Value, String> {
    let vals = r
        .validators
        .iter()
        .map(validator_info)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "block_height": r.block_height.value().to_string(),
        "validators": vals,
        "count": r.validators.len().to_string(),
        "total": r.total.to_string(),
    }))
}

/// `ResultStatus`. CometBFT's `validator_info` is `{"address","pub_key","voting_power"}`
/// (tendermint-rs would print `power`, `name` and `proposer_priority`).
pub(crate) fn status(r: &status::Response) -> Result<Value, String> {
    let mut v = to_value(r)?;
    let vi = &r.validator_info;
    v["validator_info"] = json!({
        "address": vi.address.to_string(),
        "pub_key": to_value(&vi.pub_key)?,
        "voting_power": vi.power.value().to_string(),
    });
    Ok(v)
}

/// Go prints a nil `BlockID` as its zero value.
fn empty_block_id() -> Value {
    json!({"hash": "", "parts": {"total": 0, "hash": ""}})
}

/// Rewrites what tendermint-rs prints as `null` where Go prints zero values: a header's
/// `last_block_id` (first block).
fn fix_header(h: &mut Value) {
    if let Some(obj) = h.as_object_mut() {
        if obj.get("last_block_id").is_none_or(Value::is_null) {
            obj.insert("last_block_id".into(), empty_block_id());
        }
    }
}

/// A commit's absent signatures are `null` in Go (nil `[]byte`), not `""`.
fn fix_commit(c: &mut Value) {
    if let Some(sigs) = c.get_mut("signatures").and_then(Value::as_array_mut) {
        for sig in sigs {
            if sig.get("signature").and_then(Value::as_str) == Some("") {
                sig["signature"] = Value::Null;
            }
        }
    }
}

/// A block as CometBFT prints it: the first block's `last_commit` is the zero commit
/// (`{"height":"0","round":0,"block_id":{..},"signatures":[]}`), not `null`.
pub(crate) fn block_value(b: &tendermint::Block) -> Result<Value, String> {
    let mut v = to_value(b)?;
    if let Some(h) = v.get_mut("header") {
        fix_header(h);
    }
    // Empty tx and evidence lists are `[]` in CometBFT's output, not `null`.
    if v.pointer("/data/txs").is_none_or(Value::is_null) {
        v["data"] = json!({"txs": []});
    }
    if v.pointer("/evidence/evidence").is_none_or(Value::is_null) {
        v["evidence"] = json!({"evidence": []});
    }
    match v.get_mut("last_commit") {
        Some(c) if !c.is_null() => fix_commit(c),
        _ => {
            v["last_commit"] = json!({
                "height": "0",
                "round": 0,
                "block_id": empty_block_id(),
                "signatures": [],
            });
        }
    }
    Ok(v)
}

/// `block_id` as CometBFT prints it (`{"hash","parts":{"total","hash"}}`).
pub(crate) fn block_id(id: &block::Id) -> Result<Value, String> {
    to_value(id)
}

/// `ResultBlock`.
pub(crate) fn block(r: &block_ep::Response) -> Result<Value, String> {
    Ok(json!({"block_id": block_id(&r.block_id)?, "block": block_value(&r.block)?}))
}

/// `ResultHeader`.
pub(crate) fn header(h: &tendermint::block::Header) -> Result<Value, String> {
    let mut v = to_value(h)?;
    fix_header(&mut v);
    Ok(json!({"header": v}))
}

/// `ResultBlock` for an unknown hash: CometBFT answers an empty block id and `block: null`.
pub(crate) fn block_not_found() -> Value {
    json!({"block_id": empty_block_id(), "block": null})
}

/// `ResultCommit`.
pub(crate) fn commit(r: &commit::Response) -> Result<Value, String> {
    let mut v = to_value(r)?;
    if let Some(sh) = v.get_mut("signed_header") {
        if let Some(h) = sh.get_mut("header") {
            fix_header(h);
        }
        if let Some(c) = sh.get_mut("commit") {
            fix_commit(c);
        }
    }
    Ok(v)
}

/// `ResultBlockchainInfo`.
pub(crate) fn blockchain(r: &blockchain::Response) -> Result<Value, String> {
    let mut v = to_value(r)?;
    if let Some(metas) = v.get_mut("block_metas").and_then(Value::as_array_mut) {
        for m in metas {
            if let Some(h) = m.get_mut("header") {
                fix_header(h);
            }
        }
    }
    Ok(v)
}

/// The first line of an error's text (tendermint's errors append a trace).
pub(crate) fn short_error(e: &impl std::fmt::Display) -> String {
    let s = e.to_string();
    s.split("\n\n")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}
