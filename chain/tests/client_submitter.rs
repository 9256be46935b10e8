//! `TxSubmitter` against a real node over its CometBFT RPC: plain submissions, a sequence
//! that drifted because another process used the same key, a gas price below the chain's
//! minimum (fee bump from the chain's answer), a rejected message (no retry, precise error),
//! an unfunded signer, and an unreachable node (bounded retries, then a clear error).

use std::{sync::Arc, time::Duration};

use cosmrs::{bank::MsgSend, crypto::secp256k1::SigningKey, tx::Msg, AccountId, Coin};
use minitia_chain::{
    app::CosmosApp,
    client::{GasPrice, RemoteChain, SubmitError, SubmitterConfig, TxSubmitter},
    node::{genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits, Node, NodeOptions},
};

const CHAIN_ID: &str = "submitter-test-1";
const DENOM: &str = "umin";

fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

fn account(k: &SigningKey) -> AccountId {
    k.public_key().account_id("init").unwrap()
}

struct TestNode {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _node: Arc<Node<CosmosApp>>,
    _dir: tempfile::TempDir,
}

impl Drop for TestNode {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn start(funded: &[(AccountId, u128)]) -> TestNode {
    let balances: Vec<_> = funded
        .iter()
        .map(|(a, amt)| serde_json::json!({"address": a.to_string(), "coins": [{"denom": DENOM, "amount": amt.to_string()}]}))
        .collect();
    let json = serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z",
        "chain_id": CHAIN_ID,
        "initial_height": "1",
        "consensus_params": GenesisDoc::default_consensus_params(1 << 20),
        "validators": [],
        "app_hash": "",
        "app_state": {
            "chain": {"bech32_prefix": "init", "fee_denom": DENOM, "min_gas_price": "0.01", "max_tx_bytes": 65536, "max_tx_gas": 10000000},
            "bank": {"balances": balances}
        }
    });
    let doc: GenesisDoc = serde_json::from_value(json.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = CosmosApp::new(doc.app_config().unwrap(), vec![]);
    let opts = NodeOptions {
        data_dir: dir.path().join("data"),
        genesis: doc,
        genesis_json: json,
        validator: ValidatorKey::from_seed([9; 32]),
        mempool: MempoolLimits::default(),
        max_block_txs: 5000,
        max_block_bytes: 4 << 20,
        create_empty_blocks: false,
        moniker: "test".into(),
        rpc_address: "tcp://127.0.0.1:0".into(),
        retained_versions: 10,
        event_index: true,
        clock: Arc::new(minitia_chain::node::clock::SystemClock::new()),
    };
    let node = Node::open(app, opts).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(
        node.clone()
            .run(listener, Duration::from_millis(50), async move {
                let _ = rx.await;
            }),
    );
    TestNode {
        url,
        stop: Some(tx),
        _node: node,
        _dir: dir,
    }
}

fn send(from: &SigningKey, to: &AccountId, amount: u128) -> cosmrs::Any {
    MsgSend {
        from_address: account(from),
        to_address: to.clone(),
        amount: vec![Coin {
            denom: DENOM.parse().unwrap(),
            amount,
        }],
    }
    .to_any()
    .unwrap()
}

fn submitter(url: &str, k: SigningKey, gas_price: &str) -> TxSubmitter {
    let mut cfg = SubmitterConfig::new(CHAIN_ID, "init", gas_price.parse::<GasPrice>().unwrap());
    cfg.retry_for = Duration::from_secs(5);
    cfg.inclusion_timeout = Duration::from_secs(10);
    cfg.low_balance = 500_000_000;
    TxSubmitter::new(RemoteChain::new(url).unwrap(), k, cfg).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submits_resyncs_bumps_and_reports() {
    let (a, b) = (key(1), key(2));
    let node = start(&[(account(&a), 1_000_000_000)]).await;
    let chain = RemoteChain::new(&node.url).unwrap();
    let s1 = submitter(&node.url, key(1), "0.01umin");
    let t = s1
        .submit(vec![send(&a, &account(&b), 10)], "first")
        .await
        .unwrap();
    assert_eq!(t.code, 0);
    assert_eq!(t.attr("transfer", "amount"), Some("10umin"));
    assert_eq!(
        chain.balance(account(&b).as_ref(), DENOM).await.unwrap(),
        10
    );

    // Another process uses the same key: s1's cached sequence is now stale.
    let s2 = submitter(&node.url, key(1), "0.01umin");
    s2.submit(vec![send(&a, &account(&b), 1)], "")
        .await
        .unwrap();
    s1.submit(vec![send(&a, &account(&b), 2)], "")
        .await
        .unwrap();
    let st = s1.status();
    assert!(st.resyncs >= 1, "{st:?}");
    assert_eq!(st.succeeded, 2);
    assert_eq!(
        chain.balance(account(&b).as_ref(), DENOM).await.unwrap(),
        13
    );
    assert_eq!(
        chain
            .account(account(&a).as_ref())
            .await
            .unwrap()
            .unwrap()
            .1,
        3
    );

    // A gas price under the chain's minimum: the chain says what it requires; the fee is bumped.
    let cheap = submitter(&node.url, key(1), "0.0001umin");
    cheap
        .submit(vec![send(&a, &account(&b), 4)], "")
        .await
        .unwrap();
    assert!(cheap.status().fee_bumps >= 1, "{:?}", cheap.status());
    assert_eq!(
        chain.balance(account(&b).as_ref(), DENOM).await.unwrap(),
        17
    );

    // The balance is under the alarm threshold (500M) after spending? No: 1e9 - small. Low
    // balance is reported for an account that has less than the threshold.
    assert!(!s1.status().low_balance);
    let lowcfg = {
        let mut c = SubmitterConfig::new(CHAIN_ID, "init", "0.01umin".parse().unwrap());
        c.low_balance = 2_000_000_000;
        c
    };
    let low = TxSubmitter::new(chain.clone(), key(1), lowcfg).unwrap();
    low.submit(vec![send(&a, &account(&b), 1)], "")
        .await
        .unwrap();
    assert!(low.status().low_balance);

    // A message the chain refuses: no retries, the chain's code and log, nothing moves.
    let before = chain.balance(account(&b).as_ref(), DENOM).await.unwrap();
    let err = s1
        .submit(vec![send(&a, &account(&b), 10_000_000_000)], "")
        .await
        .unwrap_err();
    // Simulation refuses it; CheckTx gives the bank module's own code.
    assert_eq!(err.code(), Some(("sdk", 5)), "{err}");
    assert!(err.to_string().contains("insufficient funds"), "{err}");
    assert_eq!(
        chain.balance(account(&b).as_ref(), DENOM).await.unwrap(),
        before
    );
    assert_eq!(s1.status().failed, 1);
    // ... and the submitter still works after it.
    s1.submit(vec![send(&a, &account(&b), 1)], "")
        .await
        .unwrap();

    // An unfunded signer gets an account error that says what to do.
    let ghost = submitter(&node.url, key(3), "0.01umin");
    let err = ghost
        .submit(vec![send(&key(3), &account(&b), 1)], "")
        .await
        .unwrap_err();
    assert!(matches!(err, SubmitError::Account { .. }), "{err}");
    assert!(err.to_string().contains("fund it"), "{err}");
}

/// A tx that lands after the submitter stopped waiting for it is found by its hash and
/// reported as the success it is; the messages (a non-idempotent MsgSend) are not sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tx_that_lands_after_the_inclusion_timeout_is_not_sent_twice() {
    let (a, b) = (key(1), key(2));
    let node = start(&[(account(&a), 1_000_000_000)]).await;
    let chain = RemoteChain::new(&node.url).unwrap();
    let mut cfg = SubmitterConfig::new(CHAIN_ID, "init", "0.01umin".parse().unwrap());
    // Never wait: every broadcast is "not in a block" at once and then lands during the
    // backoff, so each submission has to recognise its own earlier attempt.
    cfg.inclusion_timeout = Duration::ZERO;
    cfg.retry_for = Duration::from_secs(20);
    let s = TxSubmitter::new(chain.clone(), key(1), cfg).unwrap();
    for i in 1..=5u128 {
        let t = s
            .submit(vec![send(&a, &account(&b), 7)], &format!("late {i}"))
            .await
            .unwrap();
        assert_eq!(t.code, 0);
        assert_eq!(
            chain.balance(account(&b).as_ref(), DENOM).await.unwrap(),
            7 * i,
            "submission {i} moved the coins once"
        );
    }
    let st = s.status();
    assert!(st.resyncs >= 5, "every submission timed out once: {st:?}");
    assert_eq!((st.succeeded, st.failed), (5, 0));
    assert_eq!(
        chain
            .account(account(&a).as_ref())
            .await
            .unwrap()
            .unwrap()
            .1,
        5,
        "one tx per submission"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_node_gives_up_after_the_retry_window() {
    // A port with nothing listening.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let a = key(1);
    let mut cfg = SubmitterConfig::new(CHAIN_ID, "init", "0.01umin".parse().unwrap());
    cfg.retry_for = Duration::from_millis(800);
    cfg.initial_backoff = Duration::from_millis(50);
    let s = TxSubmitter::new(RemoteChain::new(&url).unwrap(), key(1), cfg).unwrap();
    let err = s
        .submit(vec![send(&a, &account(&key(2)), 1)], "")
        .await
        .unwrap_err();
    assert!(matches!(err, SubmitError::Unavailable { .. }), "{err}");
    assert!(s.status().retries >= 2, "{:?}", s.status());
}
