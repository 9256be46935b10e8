//! kill -9 under load: every tx that `broadcast_tx_sync` accepted ends up in a block after
//! restart, and the committed state equals a clean replay of the blocks.
//!
//! The node runs in a child process: this test binary re-executes itself with
//! `MINITIA_CRASH_CHILD` set, which makes `child_process_entry` run a node until killed.

use std::{process::Command, time::Duration};

use cosmrs::{
    bank::MsgSend,
    crypto::secp256k1::SigningKey,
    tx::{self, Fee, Msg, SignDoc, SignerInfo},
    AccountId, Coin,
};
use minitia_chain::{
    app::CosmosApp,
    node::{
        blockstore::BlockStore, genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits,
        replay_roots, Node, NodeOptions,
    },
};
use tendermint_rpc::{client::CompatMode, Client, HttpClient};

const CHAIN_ID: &str = "crash-test-1";
const SENDERS: u8 = 8;

fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

fn addr(k: &SigningKey) -> AccountId {
    k.public_key().account_id("init").unwrap()
}

fn genesis_json() -> serde_json::Value {
    let balances: Vec<_> = (1..=SENDERS)
        .map(|i| serde_json::json!({"address": addr(&key(i)).to_string(), "coins": [{"denom": "umin", "amount": "1000000000"}]}))
        .collect();
    serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z",
        "chain_id": CHAIN_ID,
        "consensus_params": {},
        "validators": [],
        "app_state": {"chain": {"bech32_prefix": "init", "fee_denom": "umin"}, "bank": {"balances": balances}}
    })
}

fn options(dir: &std::path::Path) -> (CosmosApp, NodeOptions) {
    let json = genesis_json();
    let doc: GenesisDoc = serde_json::from_value(json.clone()).unwrap();
    let app = CosmosApp::new(doc.app_config().unwrap(), vec![]);
    let opts = NodeOptions {
        data_dir: dir.join("data"),
        genesis: doc,
        genesis_json: json,
        validator: ValidatorKey::from_seed([5; 32]),
        mempool: MempoolLimits::default(),
        max_block_txs: 50,
        max_block_bytes: 1 << 20,
        create_empty_blocks: false,
        moniker: "crash".into(),
        rpc_address: String::new(),
        retained_versions: 10,
        event_index: true,
        clock: std::sync::Arc::new(minitia_chain::node::clock::SystemClock::new()),
    };
    (app, opts)
}

/// Runs a node in this process when re-executed as the child; a no-op otherwise.
#[test]
fn child_process_entry() {
    let (Ok(dir), Ok(port)) = (
        std::env::var("MINITIA_CRASH_CHILD"),
        std::env::var("MINITIA_CRASH_PORT"),
    ) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (app, opts) = options(std::path::Path::new(&dir));
        let node = Node::open(app, opts).unwrap();
        let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
            .await
            .unwrap();
        node.run(listener, Duration::from_millis(20), std::future::pending())
            .await
            .unwrap();
    });
}

/// Kills the child node when the test ends, however it ends.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_child(dir: &std::path::Path, port: u16) -> ChildGuard {
    ChildGuard(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_process_entry",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("MINITIA_CRASH_CHILD", dir)
            .env("MINITIA_CRASH_PORT", port.to_string())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_up(c: &HttpClient) {
    for _ in 0..400 {
        if c.health().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("node did not come up");
}

fn signed_send(from: u8, seq: u64, acc_num: u64) -> Vec<u8> {
    let k = key(from);
    let to = addr(&key(100 + from));
    let msg = MsgSend {
        from_address: addr(&k),
        to_address: to,
        amount: vec![Coin {
            denom: "umin".parse().unwrap(),
            amount: 1 + seq as u128,
        }],
    }
    .to_any()
    .unwrap();
    let body = tx::Body::new(vec![msg], "", 0u32);
    let auth =
        SignerInfo::single_direct(Some(k.public_key()), seq).auth_info(Fee::from_amount_and_gas(
            Coin {
                denom: "umin".parse().unwrap(),
                amount: 1,
            },
            100_000u64,
        ));
    SignDoc::new(&body, &auth, &CHAIN_ID.parse().unwrap(), acc_num)
        .unwrap()
        .sign(&k)
        .unwrap()
        .to_bytes()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_under_load_loses_no_accepted_tx() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let client = HttpClient::builder(url.parse().unwrap())
        .compat_mode(CompatMode::V0_38)
        .build()
        .unwrap();
    let mut child = spawn_child(dir.path(), port);
    wait_up(&client).await;

    // Every sender fires txs with increasing sequences; we kill the node mid-stream.
    let mut accepted = Vec::new();
    let mut seqs = vec![0u64; SENDERS as usize];
    let kill_after = 120;
    'load: for round in 0..40 {
        for s in 1..=SENDERS {
            let i = (s - 1) as usize;
            match client
                .broadcast_tx_sync(signed_send(s, seqs[i], i as u64))
                .await
            {
                Ok(r) if r.code.is_ok() => {
                    accepted.push(r.hash);
                    seqs[i] += 1;
                }
                Ok(r) => panic!("tx rejected in round {round}: {}", r.log),
                Err(_) => break 'load,
            }
            if accepted.len() == kill_after {
                child.0.kill().unwrap(); // SIGKILL
                child.0.wait().unwrap();
                break 'load;
            }
        }
    }
    assert_eq!(
        accepted.len(),
        kill_after,
        "load did not reach the kill point"
    );

    let child = spawn_child(dir.path(), port);
    wait_up(&client).await;
    for h in &accepted {
        let mut found = false;
        for _ in 0..400 {
            if let Ok(r) = client.tx(*h, false).await {
                assert!(
                    r.tx_result.code.is_ok(),
                    "accepted tx {h} failed: {}",
                    r.tx_result.log
                );
                found = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(found, "accepted tx {h} was lost");
    }
    let height = client
        .latest_block()
        .await
        .unwrap()
        .block
        .header
        .height
        .value();
    drop(child);

    // The node's state equals a clean replay of its blocks.
    let (app, opts) = options(dir.path());
    let blocks = BlockStore::open(&dir.path().join("data/blocks.redb")).unwrap();
    assert!(blocks.height().unwrap() >= height);
    let scratch = tempfile::tempdir().unwrap();
    let roots = replay_roots(&app, &opts.genesis, &blocks, scratch.path()).unwrap();
    drop(blocks);
    let node = Node::open(app, opts).unwrap();
    for (h, root) in roots.iter().enumerate() {
        assert_eq!(
            node.root_at(h as u64).unwrap(),
            *root,
            "root at height {h} differs from replay"
        );
    }
}
