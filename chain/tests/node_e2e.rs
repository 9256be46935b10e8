//! End-to-end tests of the chain node through its real CometBFT RPC with real clients:
//! cosmrs builds and signs txs, tendermint-rpc's `HttpClient` talks to the server, and
//! tendermint-light-client-verifier checks the headers.

mod bank_node;

use std::{sync::Arc, time::Duration};

use bank_node::{account, key, signed_send as send_tx, DENOM};

use cosmrs::{
    bank::MsgSend,
    proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse},
    tx::{self, Fee, Msg, SignDoc, SignerInfo},
    AccountId, Coin,
};
use minitia_chain::{
    app::CosmosApp,
    node::{genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits, Node, NodeOptions},
};
use prost::Message;
use tendermint_rpc::{client::CompatMode, Client, HttpClient};

const CHAIN_ID: &str = "minitia-test-1";

fn genesis(funded: &[(AccountId, u128)]) -> (GenesisDoc, serde_json::Value) {
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
    (serde_json::from_value(json.clone()).unwrap(), json)
}

struct TestNode {
    node: Arc<Node<CosmosApp>>,
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
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
    start_with(funded, true).await
}

async fn start_with(funded: &[(AccountId, u128)], create_empty_blocks: bool) -> TestNode {
    start_opts(funded, create_empty_blocks, true).await
}

async fn start_opts(
    funded: &[(AccountId, u128)],
    create_empty_blocks: bool,
    event_index: bool,
) -> TestNode {
    let dir = tempfile::tempdir().unwrap();
    let (doc, json) = genesis(funded);
    let app = CosmosApp::new(doc.app_config().unwrap(), vec![]);
    let opts = NodeOptions {
        data_dir: dir.path().join("data"),
        genesis: doc,
        genesis_json: json,
        validator: ValidatorKey::from_seed([9; 32]),
        mempool: MempoolLimits::default(),
        max_block_txs: 5000,
        max_block_bytes: 4 << 20,
        create_empty_blocks,
        moniker: "test".into(),
        rpc_address: "tcp://127.0.0.1:0".into(),
        retained_versions: 10,
        event_index,
        clock: std::sync::Arc::new(minitia_chain::node::clock::SystemClock::new()),
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
        node,
        url,
        stop: Some(tx),
        _dir: dir,
    }
}

fn client(url: &str) -> HttpClient {
    HttpClient::builder(url.parse().unwrap())
        .compat_mode(CompatMode::V0_38)
        .build()
        .unwrap()
}

async fn balance(c: &HttpClient, addr: &AccountId) -> u128 {
    let req = QueryBalanceRequest {
        address: addr.to_string(),
        denom: DENOM.into(),
    }
    .encode_to_vec();
    let r = c
        .abci_query(
            Some("/cosmos.bank.v1beta1.Query/Balance".into()),
            req,
            None,
            false,
        )
        .await
        .unwrap();
    assert!(r.code.is_ok(), "balance query failed: {}", r.log);
    QueryBalanceResponse::decode(r.value.as_slice())
        .unwrap()
        .balance
        .unwrap()
        .amount
        .parse()
        .unwrap()
}

async fn wait_tx(c: &HttpClient, hash: tendermint::Hash) -> tendermint_rpc::endpoint::tx::Response {
    for _ in 0..200 {
        if let Ok(r) = c.tx(hash, false).await {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("tx {hash} was not included");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmrs_send_and_query_through_rpc() {
    let alice = key(1);
    let bob = account(&key(2));
    let n = start(&[(account(&alice), 1_000_000)]).await;
    let c = client(&n.url);
    let status = c.status().await.unwrap();
    assert_eq!(status.node_info.network.as_str(), CHAIN_ID);
    assert_eq!(balance(&c, &account(&alice)).await, 1_000_000);
    assert_eq!(balance(&c, &bob).await, 0);

    let raw = send_tx(&alice, &bob, 1234, 2000, 200_000, 0, 0, CHAIN_ID);
    let r = c.broadcast_tx_sync(raw.clone()).await.unwrap();
    assert!(r.code.is_ok(), "rejected: {}", r.log);
    let tx = wait_tx(&c, r.hash).await;
    assert!(tx.tx_result.code.is_ok(), "{}", tx.tx_result.log);
    assert!(tx.tx_result.gas_used > 0 && tx.tx_result.gas_used <= 200_000);
    assert_eq!(balance(&c, &bob).await, 1234);
    assert_eq!(balance(&c, &account(&alice)).await, 1_000_000 - 1234 - 2000);

    // Replaying the same signed tx is refused with the SDK's sequence error.
    let r = c.broadcast_tx_sync(raw).await.unwrap();
    assert_eq!(r.code.value(), 32, "{}", r.log);
    assert!(
        r.log
            .contains("account sequence mismatch, expected 1, got 0"),
        "{}",
        r.log
    );

    // Found by tx_search on an indexed event.
    let q: tendermint_rpc::query::Query = format!("transfer.recipient='{bob}'").parse().unwrap();
    let found = c
        .tx_search(q, false, 1, 10, tendermint_rpc::Order::Ascending)
        .await
        .unwrap();
    assert_eq!(found.total_count, 1);
    assert_eq!(found.txs[0].hash, tx.hash);
}

/// `tx_index = "null"` (a challenger's node): txs are found by hash and by height, an event
/// search is refused with an error that says why and what works instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_the_event_index_refuses_event_searches_precisely() {
    let alice = key(1);
    let bob = account(&key(2));
    let n = start_opts(&[(account(&alice), 1_000_000)], true, false).await;
    let c = client(&n.url);
    let raw = send_tx(&alice, &bob, 77, 2000, 200_000, 0, 0, CHAIN_ID);
    let r = c.broadcast_tx_sync(raw).await.unwrap();
    assert!(r.code.is_ok(), "rejected: {}", r.log);
    let tx = wait_tx(&c, r.hash).await;
    assert!(tx.tx_result.code.is_ok(), "{}", tx.tx_result.log);
    assert_eq!(balance(&c, &bob).await, 77);

    let q: tendermint_rpc::query::Query = format!("transfer.recipient='{bob}'").parse().unwrap();
    let e = c
        .tx_search(q, false, 1, 10, tendermint_rpc::Order::Ascending)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not index tx events"), "{e}");
    let q: tendermint_rpc::query::Query =
        format!("tx.height={}", tx.height.value()).parse().unwrap();
    let found = c
        .tx_search(q, false, 1, 10, tendermint_rpc::Order::Ascending)
        .await
        .unwrap();
    assert_eq!(found.total_count, 1);
    assert_eq!(found.txs[0].hash, tx.hash);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_precisely_and_changes_nothing() {
    let alice = key(1);
    let poor = key(3);
    let bob = account(&key(2));
    let n = start(&[(account(&alice), 1_000_000), (account(&poor), 100)]).await;
    let c = client(&n.url);
    let root_before = n.node.root_at(n.node.height()).unwrap();
    let cases: Vec<(&str, Vec<u8>, u32, &str)> = vec![
        ("garbage", vec![0xff, 0x00, 0x13], 2, "tx parse error"),
        (
            "wrong chain id",
            send_tx(&alice, &bob, 1, 2000, 200_000, 0, 0, "other-chain"),
            4,
            "signature verification failed",
        ),
        (
            "bad signature",
            {
                let mut raw = cosmrs::proto::cosmos::tx::v1beta1::TxRaw::decode(
                    send_tx(&alice, &bob, 1, 2000, 200_000, 0, 0, CHAIN_ID).as_slice(),
                )
                .unwrap();
                raw.signatures[0][5] ^= 1;
                raw.encode_to_vec()
            },
            4,
            "signature verification failed",
        ),
        (
            "wrong account number",
            send_tx(&alice, &bob, 1, 2000, 200_000, 0, 7, CHAIN_ID),
            4,
            "account number (0)",
        ),
        (
            "insufficient funds",
            send_tx(&poor, &bob, 50, 2000, 200_000, 0, 1, CHAIN_ID),
            5,
            "insufficient funds",
        ),
        (
            "insufficient funds for amount",
            send_tx(&alice, &bob, 10_000_000, 2000, 200_000, 0, 0, CHAIN_ID),
            5,
            "insufficient funds",
        ),
        (
            "fee below minimum",
            send_tx(&alice, &bob, 1, 10, 200_000, 0, 0, CHAIN_ID),
            13,
            "insufficient fees; got: 10umin required: 2000umin",
        ),
        (
            "gas limit too low",
            send_tx(&alice, &bob, 1, 2000, 1000, 0, 0, CHAIN_ID),
            11,
            "out of gas",
        ),
        (
            "gas limit above block limit",
            send_tx(&alice, &bob, 1, 200_000, 20_000_000, 0, 0, CHAIN_ID),
            41,
            "exceeds the block gas limit",
        ),
        (
            "oversized",
            {
                let msg = MsgSend {
                    from_address: account(&alice),
                    to_address: bob.clone(),
                    amount: vec![Coin {
                        denom: DENOM.parse().unwrap(),
                        amount: 1,
                    }],
                }
                .to_any()
                .unwrap();
                let body = tx::Body::new(vec![msg], "x".repeat(200), 0u32);
                let mut b = cosmrs::proto::cosmos::tx::v1beta1::TxRaw {
                    body_bytes: body.into_bytes().unwrap(),
                    auth_info_bytes: vec![],
                    signatures: vec![vec![0; 64]],
                };
                b.body_bytes.extend(std::iter::repeat_n(0u8, 70_000));
                b.encode_to_vec()
            },
            21,
            "tx too large",
        ),
        (
            "unknown message",
            {
                let any = cosmrs::Any {
                    type_url: "/cosmos.gov.v1.MsgVote".into(),
                    value: vec![],
                };
                let body = tx::Body::new(vec![any], "", 0u32);
                let auth = SignerInfo::single_direct(Some(alice.public_key()), 0).auth_info(
                    Fee::from_amount_and_gas(
                        Coin {
                            denom: DENOM.parse().unwrap(),
                            amount: 2000,
                        },
                        200_000u64,
                    ),
                );
                SignDoc::new(&body, &auth, &CHAIN_ID.parse().unwrap(), 0)
                    .unwrap()
                    .sign(&alice)
                    .unwrap()
                    .to_bytes()
                    .unwrap()
            },
            6,
            "unrecognized message type: /cosmos.gov.v1.MsgVote",
        ),
    ];
    for (name, raw, code, needle) in cases {
        let r = c.broadcast_tx_sync(raw).await.unwrap();
        assert_eq!(r.code.value(), code, "{name}: {}", r.log);
        assert!(
            r.log.contains(needle),
            "{name}: {:?} lacks {needle:?}",
            r.log
        );
    }
    assert_eq!(n.node.mempool_len(), 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Blocks kept coming (empty), yet no tx changed state: balances intact.
    assert_eq!(balance(&c, &account(&alice)).await, 1_000_000);
    assert_eq!(balance(&c, &account(&poor)).await, 100);
    assert_eq!(balance(&c, &bob).await, 0);
    let _ = root_before;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn light_client_verifies_consecutive_headers() {
    use tendermint_light_client_verifier::{
        options::Options,
        types::{TrustThreshold, TrustedBlockState, UntrustedBlockState},
        ProdVerifier, Verdict, Verifier,
    };
    let n = start(&[]).await;
    let c = client(&n.url);
    while n.node.height() < 4 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for h in 1u32..3 {
        let trusted = c.commit(h).await.unwrap().signed_header;
        let untrusted = c.commit(h + 1).await.unwrap().signed_header;
        let vals = c
            .validators(h + 1, tendermint_rpc::Paging::All)
            .await
            .unwrap()
            .validators;
        let set = tendermint::validator::Set::new(vals.clone(), None);
        let tvals = tendermint::validator::Set::new(
            c.validators(h, tendermint_rpc::Paging::All)
                .await
                .unwrap()
                .validators,
            None,
        );
        let opts = Options {
            trust_threshold: TrustThreshold::TWO_THIRDS,
            trusting_period: Duration::from_secs(3600),
            clock_drift: Duration::from_secs(5),
        };
        let now = (untrusted.header.time + Duration::from_secs(1)).unwrap();
        let verdict = ProdVerifier::default().verify_update_header(
            UntrustedBlockState {
                signed_header: &untrusted,
                validators: &set,
                next_validators: Some(&set),
            },
            TrustedBlockState {
                chain_id: &trusted.header.chain_id,
                header_time: trusted.header.time,
                height: trusted.header.height,
                next_validators: &tvals,
                next_validators_hash: trusted.header.next_validators_hash,
            },
            &opts,
            now,
        );
        assert_eq!(verdict, Verdict::Success, "header {} not verified", h + 1);
        // A tampered header must fail.
        let mut bad = untrusted.clone();
        bad.header.app_hash = tendermint::AppHash::try_from(vec![7u8; 32]).unwrap();
        let bad = tendermint::block::signed_header::SignedHeader::new(
            bad.header,
            untrusted.commit.clone(),
        );
        if let Ok(bad) = bad {
            let v = ProdVerifier::default().verify_update_header(
                UntrustedBlockState {
                    signed_header: &bad,
                    validators: &set,
                    next_validators: Some(&set),
                },
                TrustedBlockState {
                    chain_id: &trusted.header.chain_id,
                    header_time: trusted.header.time,
                    height: trusted.header.height,
                    next_validators: &tvals,
                    next_validators_hash: trusted.header.next_validators_hash,
                },
                &opts,
                now,
            );
            assert_ne!(v, Verdict::Success);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_empty_blocks_the_chain_still_commits_every_app_hash() {
    let alice = key(1);
    let n = start_with(&[(account(&alice), 1_000_000)], false).await;
    let c = client(&n.url);
    // Block 1 is made at start even with no txs, so clients see a latest block.
    for _ in 0..200 {
        if n.node.height() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(n.node.height(), 1, "no txs: exactly the first block");
    let r = c
        .broadcast_tx_sync(send_tx(
            &alice,
            &account(&key(2)),
            5,
            2000,
            200_000,
            0,
            0,
            CHAIN_ID,
        ))
        .await
        .unwrap();
    assert!(r.code.is_ok(), "{}", r.log);
    let tx = wait_tx(&c, r.hash).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let h = tx.height.value();
    // One more (empty) block carries the post-state root of the tx's block, then it stops.
    assert_eq!(n.node.height(), h + 1);
    let next = c
        .block(tendermint::block::Height::try_from(h + 1).unwrap())
        .await
        .unwrap();
    assert_eq!(
        next.block.header.app_hash.as_bytes(),
        n.node.root_at(h).unwrap().0.as_slice()
    );
    assert!(next.block.data.is_empty());
}
