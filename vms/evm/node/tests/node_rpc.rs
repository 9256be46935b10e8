//! The EVM app inside a real node: Ethereum and Cosmos txs in the same blocks, the Ethereum
//! JSON-RPC answering from committed data, and eth_getProof checked by the Rust verifier.

use std::sync::Arc;

use cosmrs::{
    bank::MsgSend,
    crypto::secp256k1::SigningKey,
    tx::{self, Fee, Msg, SignDoc, SignerInfo},
    AccountId, Coin,
};
use minitia_chain::{
    app::CosmosApp,
    node::{genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits, Node, NodeOptions},
};
use minitia_core::Hash32;
use minitia_evm_node::rpc::{proof, EthApi};
use minitia_vm_evm::{wallet::Wallet, EvmApp};
use revm::primitives::{Address, U256};
use serde_json::{json, Value};

const CHAIN_ID: &str = "evm-node-test-1";
const DENOM: &str = "umin";
const BASE_FEE: u128 = 1_000_000_000;

struct TestNode {
    api: Arc<EthApi>,
    node: Arc<Node<EvmApp>>,
    _dir: tempfile::TempDir,
}

fn start(eth: &[Address], cosmos: &[AccountId]) -> TestNode {
    let dir = tempfile::tempdir().unwrap();
    let mut balances: Vec<Value> = eth
        .iter()
        .map(|a| json!({"address": format!("{a:#x}"), "coins": [{"denom": DENOM, "amount": "1000000000000000000000"}]}))
        .collect();
    balances.extend(cosmos.iter().map(|a| json!({"address": a.to_string(), "coins": [{"denom": DENOM, "amount": "1000000000000000000000"}]})));
    let genesis = json!({
        "genesis_time": "2026-01-01T00:00:00Z",
        "chain_id": CHAIN_ID,
        "initial_height": "1",
        "consensus_params": GenesisDoc::default_consensus_params(1 << 20),
        "validators": [],
        "app_hash": "",
        "app_state": {
            "chain": {"bech32_prefix": "init", "fee_denom": DENOM, "min_gas_price": BASE_FEE.to_string(), "max_tx_bytes": 131072, "max_tx_gas": 30000000},
            "bank": {"balances": balances}
        }
    });
    let doc: GenesisDoc = serde_json::from_value(genesis.clone()).unwrap();
    let app = EvmApp::new(CosmosApp::new(doc.app_config().unwrap(), vec![]));
    let node = Node::open(
        app,
        NodeOptions {
            data_dir: dir.path().join("data"),
            genesis: doc,
            genesis_json: genesis,
            validator: ValidatorKey::from_seed([3; 32]),
            mempool: MempoolLimits::default(),
            max_block_txs: 1000,
            max_block_bytes: 4 << 20,
            create_empty_blocks: false,
            moniker: "t".into(),
            rpc_address: "tcp://127.0.0.1:0".into(),
            retained_versions: 10,
            event_index: true,
            clock: Arc::new(minitia_chain::node::clock::SystemClock::new()),
        },
    )
    .unwrap();
    TestNode {
        api: EthApi::new(node.clone()),
        node,
        _dir: dir,
    }
}

fn call(n: &TestNode, method: &str, params: Value) -> Value {
    n.api
        .dispatch(method, &params)
        .unwrap_or_else(|e| panic!("{method}: {e:?}"))
}

fn quantity(v: &Value) -> u128 {
    u128::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn cosmos_send(from: &SigningKey, to: &AccountId, amount: u128, seq: u64, acc_num: u64) -> Vec<u8> {
    let msg = MsgSend {
        from_address: from.public_key().account_id("init").unwrap(),
        to_address: to.clone(),
        amount: vec![Coin {
            denom: DENOM.parse().unwrap(),
            amount,
        }],
    }
    .to_any()
    .unwrap();
    let body = tx::Body::new(vec![msg], "", 0u32);
    let gas = 200_000u64;
    let auth = SignerInfo::single_direct(Some(from.public_key()), seq).auth_info(
        Fee::from_amount_and_gas(
            Coin {
                denom: DENOM.parse().unwrap(),
                amount: u128::from(gas) * BASE_FEE,
            },
            gas,
        ),
    );
    let doc = SignDoc::new(&body, &auth, &CHAIN_ID.parse().unwrap(), acc_num).unwrap();
    doc.sign(from).unwrap().to_bytes().unwrap()
}

#[test]
fn eth_and_cosmos_txs_share_balances_and_rpc_serves_receipts_logs_and_proofs() {
    let w = Wallet::from_index(7);
    let ckey = SigningKey::from_slice(&[5; 32]).unwrap();
    let caddr = ckey.public_key().account_id("init").unwrap();
    let caddr_evm = Address::from_slice(&caddr.to_bytes());
    let n = start(&[w.address()], std::slice::from_ref(&caddr));
    let chain_id = quantity(&call(&n, "eth_chainId", json!([]))) as u64;
    let bal = |a: &Address| {
        quantity(&call(
            &n,
            "eth_getBalance",
            json!([format!("{a:#x}"), "latest"]),
        ))
    };
    let start_cosmos = bal(&caddr_evm);
    assert_eq!(
        start_cosmos,
        10u128.pow(21),
        "a bech32-funded account has the same 0x balance"
    );

    // ETH value transfer to the Cosmos account, and a Cosmos MsgSend to the EVM account, in one block.
    let raw = w.eip1559(
        chain_id,
        0,
        Some(caddr_evm),
        U256::from(777u64),
        vec![],
        21_000,
        2 * BASE_FEE,
        0,
    );
    let r = call(
        &n,
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(&raw))]),
    );
    let eth_hash = r.as_str().unwrap().to_string();
    // The Cosmos account is account number 0 (first genesis balance order: eth first, so 1).
    let acc_num = {
        let view = n.node.latest_view().unwrap();
        minitia_vm_evm::db::read_account(&view, &caddr_evm)
            .unwrap()
            .unwrap()
            .account_number
    };
    let out = n
        .node
        .submit_tx(cosmos_send(
            &ckey,
            &AccountId::new("init", w.address().as_slice()).unwrap(),
            555,
            0,
            acc_num,
        ))
        .unwrap();
    assert_eq!(out.code, 0, "{}", out.log);
    assert_eq!(n.node.produce_block().unwrap(), Some(1));

    let receipt = call(&n, "eth_getTransactionReceipt", json!([eth_hash]));
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["blockNumber"], "0x1");
    let fee_cosmos = 200_000 * BASE_FEE;
    assert_eq!(bal(&caddr_evm), start_cosmos + 777 - 555 - fee_cosmos);
    assert_eq!(
        bal(&w.address()),
        10u128.pow(21) - 777 - 21_000 * BASE_FEE + 555
    );
    // One nonce: the Cosmos tx used sequence 0 of its account, the ETH tx nonce 0 of its own.
    assert_eq!(
        call(
            &n,
            "eth_getTransactionCount",
            json!([format!("{caddr_evm:#x}"), "latest"])
        ),
        "0x1"
    );
    assert_eq!(
        call(
            &n,
            "eth_getTransactionCount",
            json!([format!("{:#x}", w.address()), "latest"])
        ),
        "0x1"
    );

    // The block lists the Ethereum tx only; tx lookup works by keccak hash.
    let block = call(&n, "eth_getBlockByNumber", json!(["0x1", false]));
    assert_eq!(block["transactions"], json!([eth_hash]));
    let tx = call(&n, "eth_getTransactionByHash", json!([eth_hash]));
    assert_eq!(tx["from"], json!(format!("{:#x}", w.address())));
    assert_eq!(
        call(&n, "eth_getBlockByHash", json!([block["hash"], false]))["number"],
        "0x1"
    );

    // Deploy a contract that stores calldata and logs, call it, and read logs/storage/proofs.
    let mut runtime = vec![0x60, 0x00, 0x35, 0x60, 0x00, 0x55, 0x7f];
    runtime.extend_from_slice(&[0xaa; 32]);
    runtime.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0xa1, 0x00]);
    let mut init = vec![
        0x60,
        runtime.len() as u8,
        0x60,
        0x0c,
        0x60,
        0x00,
        0x39,
        0x60,
        runtime.len() as u8,
        0x60,
        0x00,
        0xf3,
    ];
    init.extend_from_slice(&runtime);
    let deploy = w.eip1559(
        chain_id,
        1,
        None,
        U256::ZERO,
        init,
        200_000,
        2 * BASE_FEE,
        0,
    );
    let h = call(
        &n,
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(&deploy))]),
    );
    n.node.produce_block().unwrap();
    let rc = call(&n, "eth_getTransactionReceipt", json!([h]));
    let contract = rc["contractAddress"].as_str().unwrap().to_string();
    let word = format!("0x{:064x}", 0x1234u64);
    let est = quantity(&call(
        &n,
        "eth_estimateGas",
        json!([{"from": format!("{:#x}", w.address()), "to": contract, "data": word}]),
    ));
    assert!(est > 21_000 && est < 100_000, "{est}");
    let calltx = w.eip1559(
        chain_id,
        2,
        Some(contract.parse().unwrap()),
        U256::ZERO,
        hex::decode(&word[2..]).unwrap(),
        est as u64,
        2 * BASE_FEE,
        0,
    );
    let h = call(
        &n,
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(&calltx))]),
    );
    n.node.produce_block().unwrap();
    assert_eq!(
        call(&n, "eth_getTransactionReceipt", json!([h]))["status"],
        "0x1",
        "estimate was enough"
    );
    let trace = call(
        &n,
        "debug_traceTransaction",
        json!([h, {"tracer": "callTracer"}]),
    );
    assert_eq!(trace["type"], "CALL");
    assert_eq!(trace["to"], json!(contract));
    assert_eq!(trace["input"], json!(word));
    assert_eq!(
        trace["gasUsed"],
        call(&n, "eth_getTransactionReceipt", json!([h]))["gasUsed"]
    );
    assert!(trace.get("error").is_none());
    let logs = call(
        &n,
        "eth_getLogs",
        json!([{"fromBlock": "earliest", "address": contract, "topics": [format!("0x{}", "aa".repeat(32))]}]),
    );
    assert_eq!(logs.as_array().unwrap().len(), 1);
    assert_eq!(logs[0]["transactionHash"], h);
    let none = call(
        &n,
        "eth_getLogs",
        json!([{"fromBlock": "0x0", "topics": [format!("0x{}", "bb".repeat(32))]}]),
    );
    assert_eq!(none, json!([]));
    assert_eq!(
        call(&n, "eth_getStorageAt", json!([contract, "0x0", "latest"])),
        json!(word)
    );
    // eth_call at an earlier block sees the earlier state.
    assert_eq!(
        call(&n, "eth_getStorageAt", json!([contract, "0x0", "0x2"])),
        json!(format!("0x{:064x}", 0))
    );

    let head = n.node.height();
    let root = n.node.root_at(head).unwrap();
    let resp = call(
        &n,
        "eth_getProof",
        json!([contract, ["0x0", "0x1"], "latest"]),
    );
    let proven = proof::verify(&resp, &root, DENOM).unwrap();
    assert_eq!(proven.nonce, 1);
    assert_eq!(proven.storage[0].1, U256::from(0x1234u64));
    assert_eq!(proven.storage[1].1, U256::ZERO);
    let proven = proof::verify(
        &call(
            &n,
            "eth_getProof",
            json!([format!("{:#x}", w.address()), [], "latest"]),
        ),
        &root,
        DENOM,
    )
    .unwrap();
    assert_eq!(proven.nonce, 3);
    assert_eq!(
        U256::from(proven.balance),
        U256::from(quantity(&call(
            &n,
            "eth_getBalance",
            json!([format!("{:#x}", w.address())])
        )))
    );
    // A lie about a value, or another root, is caught.
    let mut lie = resp.clone();
    lie["storageProof"][0]["value"] = json!("0x1235");
    assert!(matches!(
        proof::verify(&lie, &root, DENOM),
        Err(proof::ProofError::Mismatch { .. })
    ));
    let mut other_root = resp.clone();
    other_root["storageHash"] = json!(format!("0x{}", "11".repeat(32)));
    assert!(proof::verify(&other_root, &Hash32([0x11; 32]), DENOM).is_err());

    // Filters see the next block.
    let f = call(&n, "eth_newFilter", json!([{"address": contract}]));
    let again = w.eip1559(
        chain_id,
        3,
        Some(contract.parse().unwrap()),
        U256::ZERO,
        vec![0; 32],
        100_000,
        2 * BASE_FEE,
        0,
    );
    call(
        &n,
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(&again))]),
    );
    n.node.produce_block().unwrap();
    assert_eq!(
        call(&n, "eth_getFilterChanges", json!([f]))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        call(&n, "eth_getFilterChanges", json!([f]))
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Replacement by a higher fee, and "already known".
    let low = w.eip1559(
        chain_id,
        4,
        Some(Address::ZERO),
        U256::from(1),
        vec![],
        21_000,
        2 * BASE_FEE,
        0,
    );
    let high = w.eip1559(
        chain_id,
        4,
        Some(Address::ZERO),
        U256::from(1),
        vec![],
        21_000,
        3 * BASE_FEE,
        0,
    );
    let low_hex = format!("0x{}", hex::encode(&low));
    call(&n, "eth_sendRawTransaction", json!([low_hex]));
    let e = n
        .api
        .dispatch("eth_sendRawTransaction", &json!([low_hex]))
        .unwrap_err();
    assert_eq!(e.message, "already known");
    let high_hash = call(
        &n,
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(&high))]),
    );
    n.node.produce_block().unwrap();
    assert_eq!(
        call(&n, "eth_getTransactionReceipt", json!([high_hash]))["status"],
        "0x1"
    );
    assert_eq!(
        call(
            &n,
            "eth_getTransactionByHash",
            json!([format!("{:#x}", revm::primitives::keccak256(&low))])
        ),
        Value::Null
    );
}

#[test]
fn eth_call_reports_revert_reason_with_code_3() {
    let w = Wallet::from_index(8);
    let n = start(&[w.address()], &[]);
    // init code that reverts with Error("nope"): eth_call of a creation.
    let mut payload = vec![0x08, 0xc3, 0x79, 0xa0];
    payload.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    payload.extend_from_slice(&U256::from(4).to_be_bytes::<32>());
    let mut s = b"nope".to_vec();
    s.resize(32, 0);
    payload.extend_from_slice(&s);
    let mut init = vec![
        0x60,
        payload.len() as u8,
        0x60,
        0x0c,
        0x60,
        0x00,
        0x39,
        0x60,
        payload.len() as u8,
        0x60,
        0x00,
        0xfd,
    ];
    init.extend_from_slice(&payload);
    let e = n
        .api
        .dispatch("eth_call", &json!([{"from": format!("{:#x}", w.address()), "data": format!("0x{}", hex::encode(&init))}, "latest"]))
        .unwrap_err();
    assert_eq!(e.code, 3);
    assert_eq!(e.message, "execution reverted: nope");
    assert!(e.data.unwrap().as_str().unwrap().starts_with("0x08c379a0"));
    let e = n.api.dispatch("eth_nope", &json!([])).unwrap_err();
    assert_eq!(e.code, -32601);
    let e = n
        .api
        .dispatch("eth_getBalance", &json!(["0x12"]))
        .unwrap_err();
    assert_eq!(e.code, -32602);
    assert_eq!(
        n.api
            .dispatch("eth_getBlockByNumber", &json!(["0x99", false]))
            .unwrap(),
        Value::Null
    );
    let g = n
        .api
        .dispatch("eth_getBlockByNumber", &json!(["earliest", false]))
        .unwrap();
    assert_eq!(g["number"], "0x0");
}

#[test]
fn safe_and_finalized_tags_follow_the_finality_tracker() {
    let k = SigningKey::from_slice(&[21; 32]).unwrap();
    let a = k.public_key().account_id("init").unwrap();
    let mut n = start(&[], std::slice::from_ref(&a));
    let finality = minitia_template::finality::Finality::tracked();
    n.api = EthApi::with_finality(n.node.clone(), finality.clone());
    assert_eq!(n.node.produce_block().unwrap(), Some(1));
    let acc_num = {
        let view = n.node.latest_view().unwrap();
        let evm_addr = Address::from_slice(&a.to_bytes());
        minitia_vm_evm::db::read_account(&view, &evm_addr)
            .unwrap()
            .unwrap()
            .account_number
    };
    let out = n
        .node
        .submit_tx(cosmos_send(&k, &a, 1, 0, acc_num))
        .unwrap();
    assert_eq!(out.code, 0, "{}", out.log);
    assert_eq!(n.node.produce_block().unwrap(), Some(2));
    assert_eq!(n.node.produce_block().unwrap(), Some(3));
    let number =
        |tag: &str| quantity(&call(&n, "eth_getBlockByNumber", json!([tag, false]))["number"]);
    // Nothing recorded on the L1 yet: both tags are the genesis block.
    assert_eq!((number("safe"), number("finalized")), (0, 0));
    finality.note_safe(2);
    finality.note_finalized(1);
    assert_eq!(number("latest"), 3);
    assert_eq!(number("safe"), 2);
    assert_eq!(number("finalized"), 1);
    // A batch record beyond the head (a follower catching up) is capped at the head.
    finality.note_safe(10);
    assert_eq!(number("safe"), 3);
    // State reads at a tag use that block's state.
    let bal = |tag: &str| {
        quantity(&call(
            &n,
            "eth_getBalance",
            json!([format!("0x{}", hex::encode(a.to_bytes())), tag]),
        ))
    };
    assert_eq!(bal("finalized"), bal("earliest"));
}
