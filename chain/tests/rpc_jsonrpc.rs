//! Raw JSON checks of the RPC server: error shapes, batches, positional/named params, URI
//! GETs, the exact CometBFT v0.38 encodings clients depend on, and the websocket envelope.

mod rpc_common;

use std::time::Duration;

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use minitia_chain::rpc::NodeEvent;
use rpc_common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn req(id: Value, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn hex_hash(b: &[u8]) -> String {
    hex::encode_upper(sha256(b).as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_shapes() {
    let srv = start(TestNode::new()).await;
    let a = srv.addr;

    let (st, v) = post_json(a, req(json!(7), "no_such_method", json!({}))).await;
    assert_eq!(st, 200);
    assert_eq!(
        v,
        json!({"jsonrpc": "2.0", "id": 7, "error": {"code": -32601, "message": "Method not found"}})
    );

    let (_, v) = post_json(a, req(json!("s"), "block", json!({"height": "abc"}))).await;
    assert_eq!(v["id"], "s");
    assert_eq!(v["error"]["code"], -32602);
    assert_eq!(v["error"]["message"], "Invalid params");
    assert!(v["error"]["data"]
        .as_str()
        .is_some_and(|d| d.contains("height")));
    assert!(v.get("result").is_none());

    let missing = sha256(b"missing");
    let (_, v) = post_json(
        a,
        req(
            json!(1),
            "tx",
            json!({"hash": B64.encode(missing.as_bytes())}),
        ),
    )
    .await;
    assert_eq!(
        v["error"],
        json!({"code": -32603, "message": "Internal error",
               "data": format!("tx ({}) not found", hex_hash(b"missing"))})
    );

    let (_, v) = post_json(a, req(json!(2), "block", json!({"height": "9"}))).await;
    assert_eq!(v["error"]["code"], -32603);
    assert_eq!(
        v["error"]["data"],
        "height 9 must be less than or equal to the current blockchain height 2"
    );

    // Bad hash: a short, readable message (no backtraces from tendermint's errors).
    let (_, v) = post_json(a, req(json!(3), "tx", json!({"hash": "AAAA"}))).await;
    assert_eq!(v["error"]["code"], -32602);
    let data = v["error"]["data"].as_str().expect("data");
    assert!(data.contains("32-byte"), "{data}");
    assert!(!data.contains('\n'), "{data}");

    let (_, v) = post_json(
        a,
        req(json!(4), "tx_search", json!({"query": "a.b ==== 1"})),
    )
    .await;
    assert_eq!(v["error"]["code"], -32603);
    let data = v["error"]["data"].as_str().expect("data");
    assert!(data.starts_with("failed to parse query"), "{data}");
    assert!(!data.contains("Location"), "{data}");

    // Websocket-only methods do not exist over HTTP.
    let (_, v) = post_json(
        a,
        req(json!(5), "subscribe", json!({"query": "tm.event='Tx'"})),
    )
    .await;
    assert_eq!(v["error"]["code"], -32601);

    // Parse error: no id, HTTP 500 as CometBFT.
    let (st, body) = http(a, "POST", "/", "{not json").await;
    assert_eq!(st, 500);
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["error"]["code"], -32700);
    assert_eq!(v["error"]["message"], "Parse error");
    assert!(v.get("id").is_none());

    // Invalid request (no method); a missing `jsonrpc` member is tolerated as in CometBFT.
    let (_, v) = post_json(a, json!({"jsonrpc": "2.0", "id": 9})).await;
    assert_eq!(v["error"]["code"], -32600);
    assert_eq!(v["id"], 9);
    let (_, v) = post_json(a, json!({"id": 10, "method": "health"})).await;
    assert_eq!(v, json!({"jsonrpc": "2.0", "id": 10, "result": {}}));

    // A notification (no id) gets no response body.
    let (st, body) = http(
        a,
        "POST",
        "/",
        &json!({"jsonrpc": "2.0", "method": "status"}).to_string(),
    )
    .await;
    assert_eq!(st, 200);
    assert!(body.is_empty());

    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_and_param_forms() {
    let srv = start(TestNode::new()).await;
    let a = srv.addr;

    let batch = json!([
        req(json!(1), "health", Value::Null),
        req(json!("two"), "block", json!(["1"])),
        req(json!(3), "nope", json!([])),
        {"jsonrpc": "2.0", "method": "status"},
        req(json!(4), "block", json!({"height": 99})),
    ]);
    let (st, v) = post_json(a, batch).await;
    assert_eq!(st, 200);
    let arr = v.as_array().expect("batch response is an array");
    assert_eq!(arr.len(), 4, "notifications get no response: {v}");
    assert_eq!(arr[0], json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    assert_eq!(arr[1]["id"], "two");
    assert_eq!(arr[1]["result"]["block"]["header"]["height"], "1");
    assert_eq!(arr[2]["id"], 3);
    assert_eq!(arr[2]["error"]["code"], -32601);
    assert_eq!(arr[3]["id"], 4);
    assert_eq!(arr[3]["error"]["code"], -32603);

    let (_, v) = post_json(a, json!([])).await;
    assert_eq!(v["error"]["code"], -32600);

    // Heights as numbers or strings, named or positional.
    for params in [
        json!([2]),
        json!(["2"]),
        json!({"height": 2}),
        json!({"height": "2"}),
    ] {
        let (_, v) = post_json(a, req(json!(1), "block", params.clone())).await;
        assert_eq!(v["result"]["block"]["header"]["height"], "2", "{params}");
    }
    // No height = latest.
    let (_, v) = post_json(a, req(json!(1), "block_results", json!({}))).await;
    assert_eq!(v["result"]["height"], "2");
    let (_, v) = post_json(a, req(json!(1), "block", json!([0]))).await;
    assert_eq!(v["error"]["code"], -32603);

    // Hashes: base64 (CometBFT's []byte), also hex.
    let b64 = B64.encode(sha256(TX1).as_bytes());
    for params in [
        json!({"hash": b64}),
        json!([b64, false]),
        json!({"hash": hex_hash(TX1)}),
        json!({"hash": format!("0x{}", hex_hash(TX1))}),
    ] {
        let (_, v) = post_json(a, req(json!(1), "tx", params.clone())).await;
        assert_eq!(v["result"]["hash"], hex_hash(TX1), "{params}");
    }

    // abci_query positional; data is HexBytes (hex) in JSON bodies.
    let (_, v) = post_json(
        a,
        req(json!(1), "abci_query", json!(["/p", "0a0B", "0", false])),
    )
    .await;
    assert_eq!(
        v["result"]["response"]["value"],
        B64.encode(b"value-of:\x0a\x0b")
    );
    assert_eq!(
        srv.node
            .calls
            .lock()
            .expect("lock")
            .abci_query
            .last()
            .cloned(),
        Some(("/p".to_string(), vec![0x0a, 0x0b], 0, false))
    );

    // broadcast: tx is base64.
    let (_, v) = post_json(
        a,
        req(
            json!(1),
            "broadcast_tx_sync",
            json!({"tx": B64.encode(b"bad-1")}),
        ),
    )
    .await;
    assert_eq!(v["result"]["code"], 13);
    assert_eq!(v["result"]["hash"], hex_hash(b"bad-1"));

    // tx_search paging.
    let (_, v) = post_json(
        a,
        req(
            json!(1),
            "tx_search",
            json!({"query": "tx.height=2", "page": "1", "per_page": "5", "order_by": "desc"}),
        ),
    )
    .await;
    assert_eq!(v["result"]["total_count"], "1");
    let (_, v) = post_json(
        a,
        req(
            json!(1),
            "tx_search",
            json!({"query": "tx.height=2", "page": "3"}),
        ),
    )
    .await;
    assert_eq!(v["error"]["code"], -32603);
    assert_eq!(
        v["error"]["data"],
        "page should be within [1, 1] range, given 3"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uri_get_forms() {
    let srv = start(TestNode::new()).await;
    let a = srv.addr;

    let (st, v) = get_json(a, "/status").await;
    assert_eq!(st, 200);
    assert_eq!(v["id"], -1);
    assert_eq!(v["jsonrpc"], "2.0");
    assert_eq!(v["result"]["sync_info"]["latest_block_height"], "2");

    let (_, v) = get_json(a, "/block?height=1").await;
    assert_eq!(v["result"]["block"]["header"]["height"], "1");

    let (st, v) = get_json(
        a,
        "/abci_query?path=%22/x%22&data=0xabcd&height=5&prove=false",
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["result"]["response"]["height"], "5");
    assert_eq!(
        srv.node
            .calls
            .lock()
            .expect("lock")
            .abci_query
            .last()
            .cloned(),
        Some(("/x".to_string(), vec![0xab, 0xcd], 5, false))
    );
    // A quoted string as data.
    let (_, _) = get_json(a, "/abci_query?path=%22/y%22&data=%22hi%22").await;
    assert_eq!(
        srv.node
            .calls
            .lock()
            .expect("lock")
            .abci_query
            .last()
            .cloned(),
        Some(("/y".to_string(), b"hi".to_vec(), 0, false))
    );

    let (_, v) = get_json(a, &format!("/tx?hash=0x{}", hex_hash(TX1))).await;
    assert_eq!(v["result"]["hash"], hex_hash(TX1));
    assert_eq!(v["result"]["height"], "2");

    let bh = srv.node.blocks[1].block_id.hash.to_string();
    let (_, v) = get_json(a, &format!("/block_by_hash?hash=0x{bh}")).await;
    assert_eq!(v["result"]["block_id"]["hash"], bh);

    let (_, v) = get_json(
        a,
        "/tx_search?query=%22transfer.recipient%3D%27init1abc%27%22&prove=false",
    )
    .await;
    assert_eq!(v["result"]["total_count"], "1");
    assert_eq!(v["result"]["txs"][0]["hash"], hex_hash(TX1));

    let (_, v) = get_json(a, "/blockchain?minHeight=1&maxHeight=1").await;
    assert_eq!(v["result"]["block_metas"].as_array().map(Vec::len), Some(1));

    let (_, v) = get_json(a, "/broadcast_tx_sync?tx=0x626164").await;
    assert_eq!(v["result"]["hash"], hex_hash(b"bad"));
    assert_eq!(v["result"]["code"], 13);

    let (st, v) = get_json(a, "/nope").await;
    assert_eq!(st, 404);
    assert_eq!(v["error"]["code"], -32601);
    assert_eq!(v["id"], -1);

    let (st, v) = get_json(a, "/block?height=abc").await;
    assert_eq!(st, 500);
    assert_eq!(v["error"]["code"], -32602);
    srv.stop().await;
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cometbft_v038_encodings() {
    let srv = start(TestNode::new()).await;
    let a = srv.addr;
    let call = |m: &'static str, p: Value| async move {
        let (_, v) = post_json(a, req(json!(1), m, p)).await;
        assert!(v.get("error").is_none(), "{m}: {v}");
        v["result"].clone()
    };

    // status: the version clients pick their dialect from; CometBFT's validator_info keys.
    let st = call("status", Value::Null).await;
    assert!(st["node_info"]["version"]
        .as_str()
        .is_some_and(|v| v.starts_with("0.38.")));
    assert_eq!(
        keys(&st["validator_info"]),
        vec!["address", "pub_key", "voting_power"]
    );
    assert_eq!(st["validator_info"]["voting_power"], "10");
    assert_eq!(
        st["validator_info"]["pub_key"]["type"],
        "tendermint/PubKeyEd25519"
    );

    // block: header encodings, block_id with parts, last_commit signatures.
    let b2 = call("block", json!({"height": "2"})).await;
    let h = &b2["block"]["header"];
    assert_eq!(h["version"], json!({"block": "11", "app": "1"}));
    assert_eq!(h["height"], "2");
    assert_eq!(h["app_hash"], "02".repeat(32), "header app_hash is hex");
    assert_eq!(h["time"], "2023-11-14T22:13:22.123Z");
    assert_eq!(b2["block_id"]["parts"]["total"], 1);
    assert_eq!(b2["block_id"]["parts"]["hash"], "68".repeat(32));
    assert_eq!(b2["block"]["data"]["txs"][0], B64.encode(TX1));
    let lc = &b2["block"]["last_commit"];
    assert_eq!(lc["height"], "1");
    assert_eq!(lc["round"], 0);
    assert_eq!(lc["block_id"]["hash"], h["last_block_id"]["hash"]);
    let sigs = lc["signatures"].as_array().expect("signatures");
    assert_eq!(sigs[0]["block_id_flag"], 2);
    assert_eq!(sigs[0]["signature"], B64.encode([0x5a; 64]));
    assert_eq!(sigs[0]["timestamp"], "2023-11-14T22:13:21.123Z");
    assert_eq!(sigs[1]["block_id_flag"], 1);
    assert_eq!(sigs[1]["validator_address"], "");
    assert_eq!(sigs[1]["signature"], Value::Null);
    assert_eq!(sigs[1]["timestamp"], "0001-01-01T00:00:00Z");

    // First block: zero-valued last_block_id and last_commit, as Go prints them.
    let b1 = call("block", json!({"height": "1"})).await;
    assert_eq!(
        b1["block"]["header"]["last_block_id"],
        json!({"hash": "", "parts": {"total": 0, "hash": ""}})
    );
    assert_eq!(b1["block"]["last_commit"]["height"], "0");
    assert_eq!(b1["block"]["last_commit"]["block_id"]["hash"], "");
    assert_eq!(b1["block"]["last_commit"]["signatures"], json!([]));
    assert_eq!(b1["block"]["data"], json!({"txs": []}));
    assert_eq!(b1["block"]["evidence"], json!({"evidence": []}));

    // block_results: 0.38 shape.
    let r = call("block_results", json!({"height": "2"})).await;
    assert_eq!(
        keys(&r),
        vec![
            "app_hash",
            "consensus_param_updates",
            "finalize_block_events",
            "height",
            "txs_results",
            "validator_updates"
        ]
    );
    assert_eq!(r["height"], "2");
    assert_eq!(r["app_hash"], B64.encode([0xA2; 32]), "app_hash is base64");
    assert_eq!(
        r["finalize_block_events"][0],
        json!({"type": "mint", "attributes": [
            {"key": "amount", "value": "1000umin", "index": true},
            {"key": "height", "value": "2", "index": true}]})
    );
    let tr = &r["txs_results"][0];
    assert_eq!(
        keys(tr),
        vec![
            "code",
            "codespace",
            "data",
            "events",
            "gas_used",
            "gas_wanted",
            "info",
            "log"
        ]
    );
    assert_eq!(tr["code"], 0);
    assert_eq!(tr["gas_wanted"], "200000");
    assert_eq!(tr["gas_used"], "123456");
    assert_eq!(
        tr["events"][0]["attributes"][0],
        json!({"key": "recipient", "value": "init1abc", "index": true}),
        "0.38 attributes are plain strings"
    );
    let pk = match srv.node.validator.pub_key {
        tendermint::PublicKey::Ed25519(k) => B64.encode(k.as_bytes()),
        _ => panic!("ed25519 test key"),
    };
    assert_eq!(
        r["validator_updates"],
        json!([{"pub_key": {"Sum": {"type": "tendermint.crypto.PublicKey_Ed25519",
                                    "value": {"ed25519": pk}}},
                "power": "12"}])
    );
    let cp = &r["consensus_param_updates"];
    assert_eq!(
        cp["block"],
        json!({"max_bytes": "22020096", "max_gas": "50000000"})
    );
    assert_eq!(cp["validator"]["pub_key_types"], json!(["ed25519"]));
    assert_eq!(cp["evidence"]["max_age_duration"], "172800000000000");
    let r1 = call("block_results", json!({"height": "1"})).await;
    assert_eq!(r1["txs_results"], Value::Null);
    assert_eq!(r1["validator_updates"], Value::Null);
    assert_eq!(r1["consensus_param_updates"], Value::Null);
    assert_eq!(r1["finalize_block_events"][0]["type"], "mint");

    // tx
    let t = call("tx", json!({"hash": B64.encode(sha256(TX1).as_bytes())})).await;
    assert_eq!(keys(&t), vec!["hash", "height", "index", "tx", "tx_result"]);
    assert_eq!(t["hash"], hex_hash(TX1));
    assert_eq!(t["height"], "2");
    assert_eq!(t["index"], 0);
    assert_eq!(t["tx"], B64.encode(TX1));
    assert_eq!(t["tx_result"]["gas_used"], "123456");

    let t = call("tx", json!({"hash": hex_hash(TX1), "prove": true})).await;
    assert_eq!(
        t["proof"],
        json!({"root_hash": "77".repeat(32), "data": B64.encode(TX1),
               "proof": {"total": "2", "index": "0", "leaf_hash": B64.encode([0x78; 32]),
                         "aunts": [B64.encode([0x79; 32])]}})
    );

    // tx_search
    let s = call("tx_search", json!({"query": "tx.height=2"})).await;
    assert_eq!(s["total_count"], "1");
    assert_eq!(s["txs"][0]["hash"], hex_hash(TX1));

    // validators: count and total as strings.
    let v = call("validators", json!({})).await;
    assert_eq!(v["block_height"], "2");
    assert_eq!(v["count"], "1");
    assert_eq!(v["total"], "1");
    assert_eq!(v["validators"][0]["voting_power"], "10");
    assert_eq!(v["validators"][0]["proposer_priority"], "0");

    // commit
    let c = call("commit", json!({"height": 1})).await;
    assert_eq!(c["canonical"], true);
    assert_eq!(c["signed_header"]["header"]["height"], "1");
    assert_eq!(
        c["signed_header"]["header"]["last_block_id"]["parts"]["total"],
        0
    );
    assert_eq!(c["signed_header"]["commit"]["round"], 0);

    // blockchain
    let bc = call("blockchain", json!({"minHeight": "1", "maxHeight": "2"})).await;
    assert_eq!(bc["last_height"], "2");
    assert_eq!(bc["block_metas"][0]["block_size"], "1002");
    assert_eq!(bc["block_metas"][0]["num_txs"], "1");
    assert_eq!(bc["block_metas"][1]["header"]["last_block_id"]["hash"], "");

    // abci_info / abci_query
    let i = call("abci_info", Value::Null).await;
    assert_eq!(
        i["response"],
        json!({"data": "minitia", "version": "1.2.3", "app_version": "1",
               "last_block_height": "2", "last_block_app_hash": B64.encode([0xA2; 32])})
    );
    let qp = call(
        "abci_query",
        json!({"path": "/q", "data": "ff", "prove": true}),
    )
    .await;
    assert_eq!(
        qp["response"]["proofOps"],
        json!({"ops": [{"type": "ics23:iavl", "key": "aw==", "data": "AQID"}]})
    );
    let q = call("abci_query", json!({"path": "/q", "data": "ff"})).await;
    assert_eq!(
        q["response"],
        json!({"code": 0, "log": "", "info": "", "index": "0", "key": "aw==",
               "value": B64.encode(b"value-of:\xff"), "proofOps": null, "height": "2",
               "codespace": ""})
    );

    // broadcast
    let b = call("broadcast_tx_sync", json!({"tx": B64.encode(b"bad-x")})).await;
    assert_eq!(
        b,
        json!({"code": 13, "data": "", "log": "insufficient fee", "codespace": "sdk",
               "hash": hex_hash(b"bad-x")})
    );
    let bc = call("broadcast_tx_commit", json!({"tx": B64.encode(TX_NEW)})).await;
    assert_eq!(bc["height"], "3");
    assert_eq!(bc["hash"], hex_hash(TX_NEW));
    assert_eq!(
        keys(&bc["check_tx"]),
        vec![
            "code",
            "codespace",
            "data",
            "events",
            "gas_used",
            "gas_wanted",
            "info",
            "log"
        ]
    );
    assert_eq!(bc["tx_result"]["gas_used"], "5000");
    assert!(bc.get("deliver_tx").is_none());

    // genesis passes the document through.
    let g = call("genesis", Value::Null).await;
    assert_eq!(g["genesis"], genesis_json());

    // health
    assert_eq!(call("health", Value::Null).await, json!({}));
    srv.stop().await;
}

/// A minimal websocket client (masked text frames out, unmasked frames in).
struct Ws(tokio::net::TcpStream);

impl Ws {
    async fn connect(addr: std::net::SocketAddr) -> Ws {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let req = format!(
            "GET /websocket HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.expect("write");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            s.read_exact(&mut byte).await.expect("handshake");
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        Ws(s)
    }

    async fn send(&mut self, v: &Value) {
        let payload = v.to_string().into_bytes();
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        let mut frame = vec![0x81u8];
        if payload.len() < 126 {
            frame.push(0x80 | payload.len() as u8);
        } else {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.0.write_all(&frame).await.expect("send frame");
    }

    /// The next text message as JSON (skips control frames); `None` on close.
    async fn recv(&mut self) -> Option<Value> {
        loop {
            let mut h = [0u8; 2];
            self.0.read_exact(&mut h).await.ok()?;
            let op = h[0] & 0x0f;
            let mut len = u64::from(h[1] & 0x7f);
            if len == 126 {
                let mut b = [0u8; 2];
                self.0.read_exact(&mut b).await.ok()?;
                len = u64::from(u16::from_be_bytes(b));
            } else if len == 127 {
                let mut b = [0u8; 8];
                self.0.read_exact(&mut b).await.ok()?;
                len = u64::from_be_bytes(b);
            }
            let mut payload = vec![0u8; len as usize];
            self.0.read_exact(&mut payload).await.ok()?;
            match op {
                0x1 => return Some(serde_json::from_slice(&payload).expect("json message")),
                0x8 => return None,
                _ => continue,
            }
        }
    }

    async fn recv_timeout(&mut self, ms: u64) -> Option<Value> {
        tokio::time::timeout(Duration::from_millis(ms), self.recv())
            .await
            .ok()
            .flatten()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_envelopes_and_subscription_management() {
    let srv = start(TestNode::new()).await;
    let node = srv.node.clone();
    let mut ws = Ws::connect(srv.addr).await;

    // Requests over the websocket.
    ws.send(&req(json!(1), "health", Value::Null)).await;
    assert_eq!(
        ws.recv_timeout(5000).await,
        Some(json!({"jsonrpc": "2.0", "id": 1, "result": {}}))
    );
    ws.send(&req(json!(2), "nope", Value::Null)).await;
    assert_eq!(
        ws.recv_timeout(5000)
            .await
            .map(|v| v["error"]["code"].clone()),
        Some(json!(-32601))
    );
    ws.send(&req(json!(3), "unsubscribe_all", Value::Null))
        .await;
    assert_eq!(
        ws.recv_timeout(5000)
            .await
            .map(|v| v["error"]["data"].clone()),
        Some(json!("subscription not found"))
    );

    let q = "tm.event='Tx' AND transfer.amount >= 7";
    ws.send(&req(json!("sub-tx"), "subscribe", json!({"query": q})))
        .await;
    assert_eq!(
        ws.recv_timeout(5000).await,
        Some(json!({"jsonrpc": "2.0", "id": "sub-tx", "result": {}}))
    );
    ws.send(&req(json!(5), "subscribe", json!([q]))).await;
    assert_eq!(
        ws.recv_timeout(5000)
            .await
            .map(|v| v["error"]["code"].clone()),
        Some(json!(-32603)),
        "duplicate subscription is refused"
    );
    ws.send(&req(
        json!(6),
        "subscribe",
        json!({"query": "tm.event='NewBlock'"}),
    ))
    .await;
    assert_eq!(
        ws.recv_timeout(5000).await.map(|v| v["id"].clone()),
        Some(json!(6))
    );

    node.events
        .send(node.tx_event(TX_NEW, 3, "init1xyz"))
        .expect("publish");
    let ev = ws.recv_timeout(5000).await.expect("tx event");
    assert_eq!(ev["jsonrpc"], "2.0");
    assert_eq!(
        ev["id"], "sub-tx",
        "events carry the subscribe request's id"
    );
    let res = &ev["result"];
    assert_eq!(res["query"], q, "the query string is echoed verbatim");
    assert_eq!(res["data"]["type"], "tendermint/event/Tx");
    let txr = &res["data"]["value"]["TxResult"];
    assert_eq!(txr["height"], "3");
    assert!(txr.get("index").is_none(), "zero index omitted: {txr}");
    assert_eq!(
        keys(&txr["result"]),
        vec!["events", "gas_used", "gas_wanted", "log"],
        "zero-valued fields omitted in events"
    );
    assert_eq!(txr["tx"], B64.encode(TX_NEW));
    assert_eq!(txr["result"]["gas_used"], "5000");
    assert_eq!(
        txr["result"]["events"][0]["attributes"][2],
        json!({"key": "amount", "value": "7umin", "index": true})
    );
    assert_eq!(res["events"]["tx.hash"], json!([hex_hash(TX_NEW)]));
    assert_eq!(res["events"]["tx.height"], json!(["3"]));
    assert_eq!(res["events"]["tm.event"], json!(["Tx"]));
    assert_eq!(res["events"]["transfer.amount"], json!(["7umin"]));

    node.events
        .send(NodeEvent::NewBlock {
            block: Box::new(node.blocks[0].block.clone()),
            results: Box::new(node.results[0].clone()),
        })
        .expect("publish");
    let ev = ws.recv_timeout(5000).await.expect("block event");
    assert_eq!(ev["id"], 6);
    let data = &ev["result"]["data"];
    assert_eq!(data["type"], "tendermint/event/NewBlock");
    assert_eq!(data["value"]["block"]["header"]["height"], "1");
    assert_eq!(
        data["value"]["block_id"]["hash"],
        node.blocks[0].block_id.hash.to_string()
    );
    assert_eq!(data["value"]["block_id"]["parts"]["total"], 1);
    let fb = &data["value"]["result_finalize_block"];
    assert_eq!(fb["app_hash"], B64.encode([0xA1; 32]));
    assert_eq!(fb["events"][0]["type"], "mint");
    assert!(fb.get("tx_results").is_none(), "{fb}");
    assert_eq!(fb["validator_updates"], json!([]));
    assert_eq!(data["value"]["block"]["data"]["txs"], json!([]));
    assert_eq!(data["value"]["block"]["evidence"]["evidence"], json!([]));
    assert_eq!(ev["result"]["events"]["mint.height"], json!(["1"]));

    // Unsubscribe from the tx query: no more tx events; blocks still arrive.
    ws.send(&req(json!(7), "unsubscribe", json!({"query": q})))
        .await;
    assert_eq!(
        ws.recv_timeout(5000).await,
        Some(json!({"jsonrpc": "2.0", "id": 7, "result": {}}))
    );
    node.events
        .send(node.tx_event(b"another", 3, "init1xyz"))
        .expect("publish");
    node.events
        .send(NodeEvent::NewBlock {
            block: Box::new(node.blocks[1].block.clone()),
            results: Box::new(node.results[1].clone()),
        })
        .expect("publish");
    let ev = ws.recv_timeout(5000).await.expect("next event");
    assert_eq!(
        ev["result"]["data"]["type"], "tendermint/event/NewBlock",
        "the tx event must not be delivered after unsubscribe"
    );
    // Below the amount threshold: no match even when subscribed again.
    ws.send(&req(json!(8), "subscribe", json!({"query": q})))
        .await;
    assert_eq!(
        ws.recv_timeout(5000).await.map(|v| v["id"].clone()),
        Some(json!(8))
    );
    let mut small = node.tx_event(b"small", 3, "init1xyz");
    if let NodeEvent::Tx { tx } = &mut small {
        tx.tx_result = tx_result("init1xyz", "6umin", 1);
    }
    node.events.send(small).expect("publish");
    assert_eq!(ws.recv_timeout(300).await, None);

    // Shutdown closes open websocket sessions.
    srv.stop().await;
    assert_eq!(ws.recv_timeout(5000).await, None);
}
