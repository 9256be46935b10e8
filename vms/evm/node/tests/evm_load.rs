//! The load generator against a spawned dev node: every transfer it signs (value transfers
//! and ERC-20 calls) is accepted, included and succeeds, its counts add up, and the chain
//! agrees (each sender's nonce moved by its txs).

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use minitia_evm_node::load::{run, sender, LoadConfig, LoadReport, TxType};
use minitia_vm_evm::wallet::Wallet;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_minitia-evm");

/// Kills the node when the test ends, pass or fail.
struct NodeProcess(Child);

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn call(url: &str, method: &str, params: Value) -> Option<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let r = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .ok()?;
    let v: Value = r.json().await.ok()?;
    v.get("result").cloned()
}

async fn start(home: &Path, funder: &Wallet) -> (NodeProcess, String) {
    let init = Command::new(BIN)
        .args(["init-dev", "--home"])
        .arg(home)
        .args(["--chain-id", "load-1", "--min-gas-price", "1000000000"])
        .args(["--block-time", "100ms"])
        .args([
            "--fund",
            &format!("{:#x}=1000000000000000000000", funder.address()),
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(init.success());
    let (eth, comet) = (free_port(), free_port());
    let node = NodeProcess(
        Command::new(BIN)
            .args(["start", "--home"])
            .arg(home)
            .args(["--json-rpc.listen", &format!("127.0.0.1:{eth}")])
            .args(["--rpc.listen", &format!("127.0.0.1:{comet}")])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("http://127.0.0.1:{eth}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while call(&url, "eth_blockNumber", json!([])).await.is_none() {
        assert!(Instant::now() < deadline, "node did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (node, url)
}

fn assert_all_included(r: &LoadReport, total: usize) {
    assert_eq!(r.signed, total, "{r}");
    assert_eq!(r.accepted, total, "{r}");
    assert_eq!(r.rejected_total(), 0, "{r}");
    assert_eq!(r.unsent, 0, "{r}");
    assert_eq!(r.included, total, "{r}");
    assert_eq!(r.reverted, 0, "{r}");
    assert_eq!(r.latencies.len(), total, "{r}");
    assert!(!r.timed_out, "{r}");
    assert!(r.blocks >= 1 && r.max_block_txs <= total, "{r}");
    assert!(r.latency(0.5) <= r.latency(0.99) && r.latency(0.99) <= r.latency(1.0));
}

async fn nonce(url: &str, who: &Wallet) -> u64 {
    let v = call(
        url,
        "eth_getTransactionCount",
        json!([format!("{:#x}", who.address()), "latest"]),
    )
    .await
    .unwrap();
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_signed_transfer_is_accepted_and_included() {
    let dir = tempfile::tempdir().unwrap();
    let funder = Wallet::from_index(1);
    let (_node, url) = start(&dir.path().join("home"), &funder).await;
    let (senders, per_sender) = (4, 5);
    let mut cfg = LoadConfig {
        rpc: url.clone(),
        funder,
        senders,
        txs_per_sender: per_sender,
        // Batches that split nonce rounds, and a short last one.
        batch: 3,
        concurrency: 2,
        timeout: Duration::from_secs(60),
        seed: 7,
        ..LoadConfig::default()
    };
    let first = run(&cfg).await.unwrap();
    assert_all_included(&first, senders * per_sender);
    for i in 0..senders as u64 {
        assert_eq!(nonce(&url, &sender(7, i)).await, per_sender as u64);
    }

    // The same senders again, as single EIP-1559 calls: they continue from their nonces.
    cfg.batch = 1;
    cfg.tx_type = TxType::Eip1559;
    cfg.rate = 200.0;
    let second = run(&cfg).await.unwrap();
    assert_all_included(&second, senders * per_sender);
    for i in 0..senders as u64 {
        assert_eq!(nonce(&url, &sender(7, i)).await, 2 * per_sender as u64);
    }

    // ERC-20 transfers on a token the funder deploys, from fresh senders.
    cfg.erc20 = true;
    cfg.seed = 8;
    cfg.batch = 4;
    cfg.rate = 0.0;
    let third = run(&cfg).await.unwrap();
    assert!(third.token.is_some());
    assert_all_included(&third, senders * per_sender);
    for i in 0..senders as u64 {
        assert_eq!(nonce(&url, &sender(8, i)).await, per_sender as u64);
    }
}
