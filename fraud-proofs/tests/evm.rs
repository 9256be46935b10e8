//! The verifier with the EVM engine: a real EVM minitia node (revm over the shared bank/auth
//! state) executes signed Ethereum txs — value transfers, a contract deployment and a call
//! that writes contract storage — and the stateless re-execution over the witness agrees
//! with the node; a tampered post-state root is proven.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use minitia_chain::{
    app::CosmosApp,
    node::{
        clock::SystemClock, genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits,
        ChainApp, Node, NodeOptions,
    },
};
use minitia_core::{
    opinit::output_root, Address as CoreAddress, BlockContext, ChainId, ExecutionEngine, Hash32,
    Height,
};
use minitia_fraud_proofs::{block_context, build_proof, verify, Anchor, Fault, Verdict};
use minitia_store::{Store, StoreConfig};
use minitia_vm_evm::{wallet::Wallet, EvmApp};
use tendermint::block::Header;

const CHAIN: &str = "evm-fraud-1";
const DENOM: &str = "umin";
const BASE_FEE: u128 = 1_000_000_000;

fn genesis_json(funded: &[Address]) -> serde_json::Value {
    let balances: Vec<_> = funded
        .iter()
        .map(|a| serde_json::json!({"address": format!("{a:#x}"), "coins": [{"denom": DENOM, "amount": "1000000000000000000000"}]}))
        .collect();
    serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z",
        "chain_id": CHAIN,
        "consensus_params": {},
        "validators": [],
        "app_state": {
            "chain": {"bech32_prefix": "init", "fee_denom": DENOM, "min_gas_price": BASE_FEE.to_string()},
            "bank": {"balances": balances}
        }
    })
}

fn app(doc: &GenesisDoc) -> EvmApp {
    EvmApp::new(CosmosApp::new(doc.app_config().unwrap(), vec![]))
}

/// init code that deploys `runtime`.
fn deploy_code(runtime: &[u8]) -> Vec<u8> {
    let n = u8::try_from(runtime.len()).unwrap();
    let mut c = vec![
        0x60, n, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, n, 0x60, 0x00, 0xf3,
    ];
    c.extend_from_slice(runtime);
    c
}

/// Runtime: sstore(0, calldataload(0)); stop.
fn store_runtime() -> Vec<u8> {
    vec![0x60, 0x00, 0x35, 0x60, 0x00, 0x55, 0x00]
}

fn hash(h: &Header) -> Hash32 {
    Hash32::from_slice(h.hash().as_bytes()).unwrap()
}

#[test]
fn evm_blocks_are_judged_statelessly() {
    let wallets: Vec<Wallet> = (1..=3).map(Wallet::from_index).collect();
    let funded: Vec<Address> = wallets.iter().map(Wallet::address).collect();
    let json = genesis_json(&funded);
    let doc: GenesisDoc = serde_json::from_value(json.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(
        app(&doc),
        NodeOptions {
            data_dir: dir.path().join("data"),
            genesis: doc.clone(),
            genesis_json: json,
            validator: ValidatorKey::from_seed([5; 32]),
            mempool: MempoolLimits::default(),
            max_block_txs: 100,
            max_block_bytes: 1 << 20,
            create_empty_blocks: true,
            moniker: "evm".into(),
            rpc_address: String::new(),
            retained_versions: 100,
            event_index: true,
            clock: Arc::new(SystemClock::new()),
        },
    )
    .unwrap();
    let engine = app(&doc);
    let chain_id = engine.evm().params().chain_id;
    let submit = |raw: Vec<u8>| {
        let out = node.submit_tx(raw).unwrap();
        assert_eq!(out.code, 0, "{}", out.log);
    };
    // Block 1: two transfers and a deployment; block 2: a call writing contract storage.
    submit(wallets[0].eip1559(
        chain_id,
        0,
        Some(funded[1]),
        U256::from(5u64),
        vec![],
        21_000,
        2 * BASE_FEE,
        0,
    ));
    submit(wallets[1].eip1559(
        chain_id,
        0,
        Some(funded[2]),
        U256::from(7u64),
        vec![],
        21_000,
        2 * BASE_FEE,
        0,
    ));
    submit(wallets[2].eip1559(
        chain_id,
        0,
        None,
        U256::ZERO,
        deploy_code(&store_runtime()),
        200_000,
        2 * BASE_FEE,
        0,
    ));
    node.produce_block().unwrap();
    let contract = funded[2].create(0);
    let mut arg = [0u8; 32];
    arg[31] = 42;
    submit(wallets[0].eip1559(
        chain_id,
        1,
        Some(contract),
        U256::ZERO,
        arg.to_vec(),
        100_000,
        2 * BASE_FEE,
        0,
    ));
    node.produce_block().unwrap();
    node.produce_block().unwrap();
    let header = |h: u64| node.blocks().block(h).unwrap().unwrap().header;
    let txs = |h: u64| node.blocks().block(h).unwrap().unwrap().data;
    assert_eq!(txs(1).len(), 3);
    assert_eq!(txs(2).len(), 1);

    // The challenger replays with its own engine into its own store.
    let cdir = tempfile::tempdir().unwrap();
    let mut store = Store::open(cdir.path().join("c.redb"), StoreConfig::default()).unwrap();
    let g = engine
        .init_genesis(
            &doc.app_state,
            &BlockContext {
                chain_id: ChainId::new(CHAIN).unwrap(),
                height: Height(0),
                time_unix_nanos: doc.genesis_time.unix_timestamp_nanos(),
                proposer: CoreAddress::default(),
                max_gas: 0,
                last_block_hash: Hash32::ZERO,
            },
        )
        .unwrap();
    store.commit_writes(1, &g).unwrap();
    for h in 1..=3 {
        let t: Vec<_> = txs(h)
            .iter()
            .map(|r| engine.decode_tx(r).unwrap())
            .collect();
        let view = store.view(h).unwrap();
        let out = engine
            .execute_block(&block_context(&header(h)).unwrap(), &view, &t)
            .unwrap();
        drop(view);
        let root = store.commit_writes(h + 1, &out.writes).unwrap();
        if h < 3 {
            assert_eq!(root.0, header(h + 1).app_hash.as_bytes(), "honest chain");
        }
    }
    let storage_root = Hash32([1; 32]);
    for n in 1..=2 {
        let headers: Vec<Header> = (n..=3).map(header).collect();
        let anchor = Anchor {
            chain_id: CHAIN.into(),
            output_root: output_root(1, &storage_root, &hash(headers.last().unwrap())),
            l2_block_number: 3,
            first_block: 1,
        };
        let built = build_proof(&engine, &store, headers, txs(n), storage_root).unwrap();
        assert!(!built.is_fault());
        assert_eq!(verify(&built.proof, &engine, &anchor), Verdict::NoFault);
        println!(
            "EVM block {n}: {} txs, proof {} bytes, witness {} leaves",
            built.proof.txs.len(),
            built.proof.encode().len(),
            built.proof.witness.stats().leaves
        );
    }
    // A claimed post-state root that is not what block 2 gives.
    let mut headers: Vec<Header> = (2..=3).map(header).collect();
    let mut claimed = headers[1].app_hash.as_bytes().to_vec();
    claimed[31] ^= 1;
    headers[1].app_hash = claimed.try_into().unwrap();
    let anchor = Anchor {
        chain_id: CHAIN.into(),
        output_root: output_root(1, &storage_root, &hash(&headers[1])),
        l2_block_number: 3,
        first_block: 1,
    };
    let built = build_proof(&engine, &store, headers, txs(2), storage_root).unwrap();
    match verify(&built.proof, &engine, &anchor) {
        Verdict::Fault(Fault::StateRoot {
            height: 2,
            computed,
            ..
        }) => {
            assert_eq!(computed, store.root_of(3).unwrap())
        }
        v => panic!("{v:?}"),
    }
}
