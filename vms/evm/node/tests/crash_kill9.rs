//! kill -9 under load: every tx the JSON-RPC accepted is mined after a restart and its
//! receipt served (accepted txs are persisted in the mempool before the answer; receipts are
//! written with the block).

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use minitia_vm_evm::wallet::Wallet;
use revm::primitives::{Address, U256};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_minitia-evm");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn post(port: u16, body: &Value) -> Option<Value> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let b = body.to_string();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
        b.len()
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let (_, body) = out.split_once("\r\n\r\n")?;
    serde_json::from_str(body).ok()
}

fn call(port: u16, method: &str, params: Value) -> Option<Value> {
    post(
        port,
        &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
    )
}

fn start(home: &Path, eth: u16, comet: u16) -> Child {
    let child = Command::new(BIN)
        .args(["start", "--home"])
        .arg(home)
        .args(["--json-rpc.listen", &format!("127.0.0.1:{eth}")])
        .args(["--rpc.listen", &format!("127.0.0.1:{comet}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while call(eth, "eth_blockNumber", json!([])).is_none() {
        assert!(Instant::now() < deadline, "node did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn receipts_of_accepted_txs_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let senders: Vec<Wallet> = (1..=4).map(Wallet::from_index).collect();
    let mut init = Command::new(BIN);
    init.args(["init-dev", "--home"]).arg(&home).args([
        "--chain-id",
        "kill9-1",
        "--min-gas-price",
        "1000000000",
        "--block-time",
        "100ms",
    ]);
    for w in &senders {
        init.args([
            "--fund",
            &format!("{:#x}=1000000000000000000000", w.address()),
        ]);
    }
    assert!(init.status().unwrap().success());
    let (eth, comet) = (free_port(), free_port());
    let mut node = start(&home, eth, comet);
    let chain_id = u64::from_str_radix(
        call(eth, "eth_chainId", json!([])).unwrap()["result"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap();

    let mut accepted = Vec::new();
    let started = Instant::now();
    let mut nonce = 0u64;
    // Send until well past a few blocks, then kill -9 while txs are still arriving.
    while started.elapsed() < Duration::from_millis(1500) {
        for w in &senders {
            let raw = w.eip1559(
                chain_id,
                nonce,
                Some(Address::repeat_byte(9)),
                U256::from(1),
                vec![],
                21_000,
                2_000_000_000,
                0,
            );
            if let Some(r) = call(
                eth,
                "eth_sendRawTransaction",
                json!([format!("0x{}", hex::encode(&raw))]),
            ) {
                if let Some(h) = r["result"].as_str() {
                    accepted.push(h.to_string());
                }
            }
        }
        nonce += 1;
    }
    node.kill().unwrap(); // SIGKILL
    let _ = node.wait();
    assert!(accepted.len() > 8, "only {} txs accepted", accepted.len());

    let mut node = start(&home, eth, comet);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut missing = accepted.clone();
    while !missing.is_empty() && Instant::now() < deadline {
        missing.retain(|h| {
            call(eth, "eth_getTransactionReceipt", json!([h])).is_none_or(|r| r["result"].is_null())
        });
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = node.kill();
    let _ = node.wait();
    assert!(
        missing.is_empty(),
        "{} of {} accepted txs have no receipt after restart",
        missing.len(),
        accepted.len()
    );
}
