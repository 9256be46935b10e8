//! Move minitia end to end: a chain node with the Move module, driven through its CometBFT
//! RPC by cosmrs-signed txs carrying Initia's `initia.move.v1` messages.
//!
//! Genesis publishes the built-in `0x1` framework (`vms/move/framework`); the test module
//! `bank` (compiled for `0x42` against the test std shims, which the framework's signatures
//! cover) is re-addressed to Alice's account by editing its address table, then published by
//! Alice, executed and read back by a view query. The chain's coin is a Move fungible asset:
//! `0x1::coin` moves the bank's own balances.

use std::{path::PathBuf, sync::Arc, time::Duration};

use cosmrs::{
    crypto::secp256k1::SigningKey,
    tx::{self, Fee, SignDoc, SignerInfo},
    AccountId, Any, Coin,
};
use minitia_chain::{
    app::CosmosApp,
    node::{genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits, Node, NodeOptions},
};
use minitia_vm_move::minitia::proto::{
    MsgExecute, MsgPublish, MsgScript, QueryViewFunctionRequest, QueryViewFunctionResponse,
};
use minitia_vm_move::minitia::{MoveModule, MSG_EXECUTE, MSG_PUBLISH, MSG_SCRIPT, Q_VIEW_FUNCTION};
use minitia_vm_move::types::address_from_u64;
use minitia_vm_move::{deserialize_module, deserialize_script, serialize_module, serialize_script};
use prost::Message;
use tendermint_rpc::{client::CompatMode, Client, HttpClient};

const CHAIN_ID: &str = "minimove-1";
const DENOM: &str = "umin";
const GAS: u64 = 3_000_000;
const FEE: u128 = 30_000;

fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

fn account(k: &SigningKey) -> AccountId {
    k.public_key().account_id("init").unwrap()
}

/// The 32-byte Move address of an account.
fn move_addr(a: &AccountId) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[12..].copy_from_slice(&a.to_bytes());
    out
}

fn build_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/move-build")
}

/// Base64 of every `0x1` module in tests/move-build.
/// Replaces address `from` by `to` in a module's address table.
fn readdress_module(bytes: &[u8], from: [u8; 32], to: [u8; 32]) -> Vec<u8> {
    let mut m = deserialize_module(bytes).unwrap();
    for a in &mut m.address_identifiers {
        if *a == from {
            *a = to;
        }
    }
    serialize_module(&m)
}

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
            "chain": {"bech32_prefix": "init", "fee_denom": DENOM, "min_gas_price": "0.01", "max_tx_bytes": 1048576, "max_tx_gas": 10000000},
            "bank": {"balances": balances},
            "move": {}
        }
    });
    (serde_json::from_value(json.clone()).unwrap(), json)
}

struct TestNode {
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
    let dir = tempfile::tempdir().unwrap();
    let (doc, json) = genesis(funded);
    let app = CosmosApp::new(doc.app_config().unwrap(), vec![Arc::new(MoveModule::new())]);
    let opts = NodeOptions {
        data_dir: dir.path().join("data"),
        genesis: doc,
        genesis_json: json,
        validator: ValidatorKey::from_seed([9; 32]),
        mempool: MempoolLimits::default(),
        max_block_txs: 5000,
        max_block_bytes: 4 << 20,
        create_empty_blocks: true,
        moniker: "move-test".into(),
        rpc_address: "tcp://127.0.0.1:0".into(),
        retained_versions: 10,
        event_index: true,
        clock: Arc::new(minitia_chain::node::clock::SystemClock::new()),
    };
    let node = Node::open(app, opts).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (tx2, rx2) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = rx.await;
        let _ = tx2.send(true);
    });
    let mut r1 = rx2.clone();
    tokio::spawn(minitia_chain::rpc::serve(
        node.clone(),
        listener,
        async move {
            let _ = r1.wait_for(|v| *v).await;
        },
    ));
    let mut r2 = rx2;
    let producer = node.clone();
    tokio::spawn(async move {
        let r = producer
            .run_producer(Duration::from_millis(50), async move {
                let _ = r2.wait_for(|v| *v).await;
            })
            .await;
        if let Err(e) = r {
            eprintln!("block producer stopped: {e}");
        }
    });
    TestNode {
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

fn sign(from: &SigningKey, msgs: Vec<Any>, seq: u64, acc_num: u64) -> Vec<u8> {
    let body = tx::Body::new(msgs, "", 0u32);
    let auth = SignerInfo::single_direct(Some(from.public_key()), seq).auth_info(
        Fee::from_amount_and_gas(
            Coin {
                denom: DENOM.parse().unwrap(),
                amount: FEE,
            },
            GAS,
        ),
    );
    let doc = SignDoc::new(&body, &auth, &CHAIN_ID.parse().unwrap(), acc_num).unwrap();
    doc.sign(from).unwrap().to_bytes().unwrap()
}

fn any<M: Message>(type_url: &str, m: &M) -> Any {
    Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

fn execute(sender: &AccountId, module_addr: &AccountId, function: &str, args: Vec<Vec<u8>>) -> Any {
    execute_at(sender, module_addr.as_ref(), "bank", function, vec![], args)
}

fn execute_at(
    sender: &AccountId,
    module_address: &str,
    module: &str,
    function: &str,
    type_args: Vec<String>,
    args: Vec<Vec<u8>>,
) -> Any {
    any(
        MSG_EXECUTE,
        &MsgExecute {
            sender: sender.to_string(),
            module_address: module_address.into(),
            module_name: module.into(),
            function_name: function.into(),
            type_args,
            args,
        },
    )
}

/// Broadcasts and waits for inclusion; returns (code, codespace, log) of the block's
/// result, or of CheckTx when the node refuses the tx (CheckTx executes the messages too).
async fn submit(c: &HttpClient, raw: Vec<u8>) -> (u32, String, String) {
    let r = c.broadcast_tx_sync(raw).await.unwrap();
    if r.code.is_err() {
        return (r.code.value(), r.codespace, r.log);
    }
    for _ in 0..400 {
        if let Ok(t) = c.tx(r.hash, false).await {
            return (
                t.tx_result.code.value(),
                t.tx_result.codespace.clone(),
                t.tx_result.log.clone(),
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let status = c.status().await.unwrap();
    panic!(
        "tx {} was not included (height {})",
        r.hash, status.sync_info.latest_block_height
    );
}

async fn view(
    c: &HttpClient,
    module_addr: &AccountId,
    function: &str,
    args: Vec<Vec<u8>>,
) -> String {
    let addr = format!("0x{}", hex(&move_addr(module_addr)));
    view_at(c, &addr, "bank", function, args)
        .await
        .unwrap_or_else(|log| panic!("view failed: {log}"))
}

/// A view function's JSON result, or the query's log when it fails.
async fn view_at(
    c: &HttpClient,
    address: &str,
    module: &str,
    function: &str,
    args: Vec<Vec<u8>>,
) -> Result<String, String> {
    let req = QueryViewFunctionRequest {
        address: address.into(),
        module_name: module.into(),
        function_name: function.into(),
        type_args: vec![],
        args,
    };
    let r = c
        .abci_query(
            Some(Q_VIEW_FUNCTION.into()),
            req.encode_to_vec(),
            None,
            false,
        )
        .await
        .unwrap();
    if r.code.is_err() {
        return Err(r.log);
    }
    Ok(QueryViewFunctionResponse::decode(r.value.as_slice())
        .unwrap()
        .data)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_execute_view_transfer_and_script() {
    let alice_key = key(1);
    let bob_key = key(2);
    let (alice, bob) = (account(&alice_key), account(&bob_key));
    let n = start(&[(alice.clone(), 10_000_000), (bob.clone(), 10_000_000)]).await;
    let c = client(&n.url);
    let x42 = address_from_u64(0x42);

    // Alice publishes `bank` at her address.
    let bank = readdress_module(
        &std::fs::read(build_dir().join("bank.mv")).unwrap(),
        x42,
        move_addr(&alice),
    );
    let publish = any(
        MSG_PUBLISH,
        &MsgPublish {
            sender: alice.to_string(),
            code_bytes: vec![bank.clone()],
            upgrade_policy: 1,
        },
    );
    let (code, _, log) = submit(&c, sign(&alice_key, vec![publish], 0, 0)).await;
    assert_eq!(code, 0, "publish failed: {log}");

    // Publishing a module for another address is refused (already by CheckTx, so Bob's
    // sequence does not advance), nothing stored.
    let foreign = any(
        MSG_PUBLISH,
        &MsgPublish {
            sender: bob.to_string(),
            code_bytes: vec![bank.clone()],
            upgrade_policy: 1,
        },
    );
    let (code, space, log) = submit(&c, sign(&bob_key, vec![foreign], 0, 1)).await;
    assert_eq!((code, space.as_str()), (6, "move"), "{log}");
    assert!(log.contains("must be published by its address"), "{log}");

    // Alice opens an account with 100: `open` moves a resource to her address.
    let open = execute(&alice, &alice, "open", vec![100u64.to_le_bytes().to_vec()]);
    let (code, _, log) = submit(&c, sign(&alice_key, vec![open], 1, 0)).await;
    assert_eq!(code, 0, "open failed: {log}");
    let alice_arg = move_addr(&alice).to_vec();
    assert_eq!(
        view(&c, &alice, "balance", vec![alice_arg.clone()]).await,
        "\"100\""
    );

    // Bob opens through a script (re-addressed like the module), then Alice transfers 30 to
    // Bob atomically: withdraw and deposit in one tx.
    let script = {
        let mut s = deserialize_script(
            &std::fs::read(build_dir().join("scripts/open_and_deposit_0.mv")).unwrap(),
        )
        .unwrap();
        for a in &mut s.address_identifiers {
            if *a == x42 {
                *a = move_addr(&alice);
            }
        }
        serialize_script(&s)
    };
    let msg = any(
        MSG_SCRIPT,
        &MsgScript {
            sender: bob.to_string(),
            code_bytes: script,
            type_args: vec![],
            args: vec![5u64.to_le_bytes().to_vec(), 2u64.to_le_bytes().to_vec()],
        },
    );
    let (code, _, log) = submit(&c, sign(&bob_key, vec![msg], 0, 1)).await;
    assert_eq!(code, 0, "script failed: {log}");
    let bob_arg = move_addr(&bob).to_vec();
    assert_eq!(
        view(&c, &alice, "balance", vec![bob_arg.clone()]).await,
        "\"7\""
    );

    let transfer = vec![
        execute(
            &alice,
            &alice,
            "withdraw",
            vec![30u64.to_le_bytes().to_vec()],
        ),
        execute(
            &alice,
            &alice,
            "deposit",
            vec![bob_arg.clone(), 30u64.to_le_bytes().to_vec()],
        ),
    ];
    let (code, _, log) = submit(&c, sign(&alice_key, transfer, 2, 0)).await;
    assert_eq!(code, 0, "transfer failed: {log}");
    assert_eq!(
        view(&c, &alice, "balance", vec![alice_arg.clone()]).await,
        "\"70\""
    );
    assert_eq!(
        view(&c, &alice, "balance", vec![bob_arg.clone()]).await,
        "\"37\""
    );

    // Overdraft aborts with the module's code 7; the whole tx is discarded.
    let overdraft = vec![
        execute(
            &alice,
            &alice,
            "deposit",
            vec![bob_arg.clone(), 1u64.to_le_bytes().to_vec()],
        ),
        execute(
            &alice,
            &alice,
            "withdraw",
            vec![1000u64.to_le_bytes().to_vec()],
        ),
    ];
    // (Refused by CheckTx, which runs the messages: Alice's sequence stays at 3.)
    let (code, space, log) = submit(&c, sign(&alice_key, overdraft, 3, 0)).await;
    assert_eq!((code, space.as_str()), (4, "move"), "{log}");
    assert!(
        log.contains("code=7") && log.contains("::bank::withdraw"),
        "{log}"
    );
    assert_eq!(
        view(&c, &alice, "balance", vec![bob_arg.clone()]).await,
        "\"37\""
    );

    // Bad arguments are precise errors.
    let bad = execute(&alice, &alice, "withdraw", vec![vec![1, 2]]);
    let (code, _, log) = submit(&c, sign(&alice_key, vec![bad], 3, 0)).await;
    assert_eq!(code, 6, "{log}");
    assert!(log.contains("argument 0 is not valid BCS for u64"), "{log}");

    // Re-publishing with a public function removed is an incompatible upgrade.
    let mut m = deserialize_module(&bank).unwrap();
    for id in &mut m.identifiers {
        if id == "close" {
            *id = "closx".into();
        }
    }
    let upgrade = any(
        MSG_PUBLISH,
        &MsgPublish {
            sender: alice.to_string(),
            code_bytes: vec![serialize_module(&m)],
            upgrade_policy: 1,
        },
    );
    let (code, _, log) = submit(&c, sign(&alice_key, vec![upgrade], 3, 0)).await;
    assert_eq!(code, 8, "{log}");
    assert!(log.contains("public function close was removed"), "{log}");
    // The old code still runs.
    assert_eq!(view(&c, &alice, "balance", vec![alice_arg]).await, "\"70\"");
}

/// BCS of a Move `String`.
fn bcs_string(s: &str) -> Vec<u8> {
    assert!(s.len() < 128, "one-byte ULEB length");
    [vec![s.len() as u8], s.as_bytes().to_vec()].concat()
}

/// The bank's balance of `who` in `DENOM`, through the SDK's bank query.
async fn bank_balance(c: &HttpClient, who: &AccountId) -> u128 {
    use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
    let req = QueryBalanceRequest {
        address: who.to_string(),
        denom: DENOM.into(),
    };
    let r = c
        .abci_query(
            Some("/cosmos.bank.v1beta1.Query/Balance".into()),
            req.encode_to_vec(),
            None,
            false,
        )
        .await
        .unwrap();
    assert!(r.code.is_ok(), "{}", r.log);
    let coin = QueryBalanceResponse::decode(r.value.as_slice())
        .unwrap()
        .balance
        .unwrap();
    coin.amount.parse().unwrap()
}

async fn coin_balance(c: &HttpClient, who: &AccountId, metadata: &[u8; 32]) -> u128 {
    let json = view_at(
        c,
        "0x1",
        "coin",
        "balance",
        vec![move_addr(who).to_vec(), metadata.to_vec()],
    )
    .await
    .unwrap();
    serde_json::from_str::<String>(&json)
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_native_coin_is_a_move_fungible_asset_over_the_bank() {
    let (alice_key, bob_key) = (key(1), key(2));
    let (alice, bob) = (account(&alice_key), account(&bob_key));
    let n = start(&[(alice.clone(), 10_000_000), (bob.clone(), 10_000_000)]).await;
    let c = client(&n.url);

    // The coin's metadata object is Initia's address for `coin::metadata(@0x1, "umin")`.
    let metadata = minitia_app::bank::denom_object_address(DENOM);
    let json = view_at(
        &c,
        "0x1",
        "coin",
        "denom_to_metadata",
        vec![bcs_string(DENOM)],
    )
    .await
    .unwrap();
    let inner: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        inner["inner"],
        minitia_vm_move::types::short_address(&metadata),
        "{json}"
    );
    let json = view_at(
        &c,
        "0x1",
        "coin",
        "metadata_to_denom",
        vec![metadata.to_vec()],
    )
    .await
    .unwrap();
    assert_eq!(json, format!("\"{DENOM}\""));
    // A denom the bank never minted is no coin: `error::not_found(1)`.
    let log = view_at(
        &c,
        "0x1",
        "coin",
        "denom_to_metadata",
        vec![bcs_string("nope")],
    )
    .await
    .unwrap_err();
    assert!(log.contains(&format!("code={}", 0x6_0001)), "{log}");

    // Move sees the bank's balances.
    assert_eq!(coin_balance(&c, &alice, &metadata).await, 10_000_000);
    assert_eq!(bank_balance(&c, &alice).await, 10_000_000);

    // `0x1::coin::transfer` as initia.js builds it moves bank balances.
    let amount: u64 = 1_234_567;
    let transfer = execute_at(
        &alice,
        "0x1",
        "coin",
        "transfer",
        vec![],
        vec![
            move_addr(&bob).to_vec(),
            metadata.to_vec(),
            amount.to_le_bytes().to_vec(),
        ],
    );
    let (code, _, log) = submit(&c, sign(&alice_key, vec![transfer], 0, 0)).await;
    assert_eq!(code, 0, "coin::transfer failed: {log}");
    let alice_now = 10_000_000 - FEE - u128::from(amount);
    let bob_now = 10_000_000 + u128::from(amount);
    assert_eq!(bank_balance(&c, &alice).await, alice_now);
    assert_eq!(bank_balance(&c, &bob).await, bob_now);
    assert_eq!(coin_balance(&c, &bob, &metadata).await, bob_now);

    // More than the balance aborts with `fungible_asset::EINSUFFICIENT_BALANCE` and moves
    // nothing: CheckTx runs the message, so the tx is refused before it takes a fee or a
    // sequence.
    let too_much = execute_at(
        &alice,
        "0x1",
        "coin",
        "transfer",
        vec![],
        vec![
            move_addr(&bob).to_vec(),
            metadata.to_vec(),
            (alice_now as u64).to_le_bytes().to_vec(),
        ],
    );
    let (code, space, log) = submit(&c, sign(&alice_key, vec![too_much], 1, 0)).await;
    assert_eq!((code, space.as_str()), (4, "move"), "{log}");
    assert!(log.contains(&format!("code={}", 0x1_0004)), "{log}");
    assert_eq!(bank_balance(&c, &alice).await, alice_now);
    assert_eq!(bank_balance(&c, &bob).await, bob_now);

    // The generic primary-store API, `transfer<Metadata>(sender, metadata, to, amount)`.
    let back = execute_at(
        &bob,
        "0x1",
        "primary_fungible_store",
        "transfer",
        vec!["0x1::fungible_asset::Metadata".into()],
        vec![
            metadata.to_vec(),
            move_addr(&alice).to_vec(),
            1_000u64.to_le_bytes().to_vec(),
        ],
    );
    let (code, _, log) = submit(&c, sign(&bob_key, vec![back], 0, 1)).await;
    assert_eq!(code, 0, "primary_fungible_store::transfer failed: {log}");
    assert_eq!(bank_balance(&c, &alice).await, alice_now + 1_000);
    assert_eq!(bank_balance(&c, &bob).await, bob_now - FEE - 1_000);

    // A Cosmos MsgSend and Move see one balance.
    let send = cosmrs::bank::MsgSend {
        from_address: alice.clone(),
        to_address: bob.clone(),
        amount: vec![Coin {
            denom: DENOM.parse().unwrap(),
            amount: 5,
        }],
    };
    let (code, _, log) = submit(
        &c,
        sign(
            &alice_key,
            vec![cosmrs::tx::Msg::to_any(&send).unwrap()],
            1,
            0,
        ),
    )
    .await;
    assert_eq!(code, 0, "{log}");
    assert_eq!(
        coin_balance(&c, &alice, &metadata).await,
        alice_now - FEE + 1_000 - 5
    );
}
