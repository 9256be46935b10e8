//! The L1's registry judges each minitia kind with the engine its node runs: a real node of
//! each kind (`minitia-cosmos`, `minitia-evm`, `minitia-move`) finalizes a bridge deposit
//! (`MsgFinalizeTokenDeposit`, a message of the `opchild` module only the minitia app has) in
//! a block; the proof of that honest block is judged `NoFault` by the registry's verifier for
//! the bridge's registered kind, and a tampered post-state root is proven a fault. The bare
//! Cosmos module set (`cosmos`) judges the same honest block a fault, which is why a bridge
//! must name its minitia's kind.

use std::sync::Arc;

use cosmrs::{
    crypto::secp256k1::SigningKey,
    tx::{self, Fee, SignDoc, SignerInfo},
    AccountId,
};
use minitia_chain::{
    app::{auth, AppConfig},
    node::{
        clock::SystemClock, genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits,
        ChainApp, Node, NodeOptions,
    },
};
use minitia_core::{opinit::output_root, Address, BlockContext, ChainId, Hash32, Height};
use minitia_engines::{cosmos_minitia_app, evm_minitia_app, move_minitia_app, registry};
use minitia_fraud_proofs::{
    block_context, build_proof, Anchor, EngineRegistry, EngineSpec, Fault, Verdict,
};
use minitia_store::{Store, StoreConfig};
use minitia_template::bridge::proto::MsgFinalizeTokenDeposit;
use prost::Message;
use tendermint::block::Header;

const CHAIN: &str = "judge-1";
const DENOM: &str = "umin";
const BRIDGE: u64 = 3;

fn executor() -> SigningKey {
    SigningKey::from_slice(&[9u8; 32]).unwrap()
}

fn executor_addr() -> AccountId {
    executor().public_key().account_id("init").unwrap()
}

fn genesis_json() -> serde_json::Value {
    serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z",
        "chain_id": CHAIN,
        "consensus_params": {},
        "validators": [],
        "app_state": {
            "chain": {"bech32_prefix": "init", "fee_denom": DENOM},
            "bank": {"balances": [{"address": executor_addr().to_string(), "coins": [{"denom": DENOM, "amount": "1000"}]}]},
            "opchild": {
                "params": {"bridge_executors": [executor_addr().to_string()]},
                "bridge_info": {"bridge_id": BRIDGE, "l1_chain_id": "l1-1"}
            }
        }
    })
}

/// `MsgFinalizeTokenDeposit` of L1 deposit `sequence`, signed by the executor.
fn deposit_tx(doc: &GenesisDoc, node_view: &dyn minitia_core::StateView, sequence: u64) -> Vec<u8> {
    let k = executor();
    let me = Address::from_slice(executor_addr().to_bytes().as_slice()).unwrap();
    let account = cosmrs::proto::cosmos::auth::v1beta1::BaseAccount::decode(
        node_view
            .get(&auth::account_key(&me))
            .unwrap()
            .expect("executor account")
            .as_slice(),
    )
    .unwrap();
    let l2_denom = minitia_core::opinit::l2_denom(BRIDGE, "uinit");
    let msg = MsgFinalizeTokenDeposit {
        sender: executor_addr().to_string(),
        from: "init1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".into(),
        to: executor_addr().to_string(),
        amount: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: l2_denom,
            amount: "250".into(),
        }),
        sequence,
        height: 10 + sequence,
        base_denom: "uinit".into(),
        data: vec![],
    };
    let any = cosmrs::Any {
        type_url: "/opinit.opchild.v1.MsgFinalizeTokenDeposit".into(),
        value: msg.encode_to_vec(),
    };
    let body = tx::Body::new(vec![any], "", 0u32);
    let fee = Fee {
        amount: vec![],
        gas_limit: 300_000,
        payer: None,
        granter: None,
    };
    let auth_info =
        SignerInfo::single_direct(Some(k.public_key()), account.sequence).auth_info(fee);
    let doc = SignDoc::new(
        &body,
        &auth_info,
        &doc.chain_id.parse().unwrap(),
        account.account_number,
    )
    .unwrap();
    doc.sign(&k).unwrap().to_bytes().unwrap()
}

fn hash(h: &Header) -> Hash32 {
    Hash32::from_slice(h.hash().as_bytes()).unwrap()
}

/// Runs a node of `make`'s engine through two blocks with a deposit each, replays them into a
/// challenger store, and judges the proofs with the registry's verifier for `kind`.
fn judge<E: ChainApp + Send + Sync + 'static>(kind: &str, make: fn(AppConfig) -> E) {
    let json = genesis_json();
    let doc: GenesisDoc = serde_json::from_value(json.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = Node::open(
        make(doc.app_config().unwrap()),
        NodeOptions {
            data_dir: dir.path().join("data"),
            genesis: doc.clone(),
            genesis_json: json,
            validator: ValidatorKey::from_seed([5; 32]),
            mempool: MempoolLimits::default(),
            max_block_txs: 100,
            max_block_bytes: 1 << 20,
            create_empty_blocks: true,
            moniker: kind.into(),
            rpc_address: String::new(),
            retained_versions: 100,
            clock: Arc::new(SystemClock::new()),
        },
    )
    .unwrap();
    for seq in 1..=2 {
        let raw = deposit_tx(&doc, &node.latest_view().unwrap(), seq);
        let out = node.submit_tx(raw).unwrap();
        assert_eq!(out.code, 0, "{kind}: {}", out.log);
        node.produce_block().unwrap();
    }
    node.produce_block().unwrap();
    let header = |h: u64| node.blocks().block(h).unwrap().unwrap().header;
    let txs = |h: u64| node.blocks().block(h).unwrap().unwrap().data;
    assert_eq!((txs(1).len(), txs(2).len()), (1, 1), "{kind}");

    // The challenger replays with its own copy of the engine.
    let engine = make(doc.app_config().unwrap());
    let cdir = tempfile::tempdir().unwrap();
    let mut store = Store::open(cdir.path().join("c.redb"), StoreConfig::default()).unwrap();
    let g = engine
        .init_genesis(
            &doc.app_state,
            &BlockContext {
                chain_id: ChainId::new(CHAIN).unwrap(),
                height: Height(0),
                time_unix_nanos: doc.genesis_time.unix_timestamp_nanos(),
                proposer: Address::default(),
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
            assert_eq!(root.0, header(h + 1).app_hash.as_bytes(), "{kind}: replay");
        }
    }

    let spec = |kind: &str| EngineSpec {
        kind: kind.into(),
        chain_id: CHAIN.into(),
        chain: doc.params().unwrap(),
    };
    let reg = registry();
    let verifier = reg.verifier(&spec(kind)).unwrap();
    let storage_root = Hash32([1; 32]);
    let anchor_for = |last: &Header| Anchor {
        chain_id: CHAIN.into(),
        output_root: output_root(1, &storage_root, &hash(last)),
        l2_block_number: 3,
        first_block: 1,
    };

    // Honest: block 2 (a deposit) is judged right by the minitia's own engine...
    let headers: Vec<Header> = (2..=3).map(header).collect();
    let anchor = anchor_for(&headers[1]);
    let built = build_proof(&engine, &store, headers, txs(2), storage_root).unwrap();
    assert!(!built.is_fault(), "{kind}");
    assert_eq!(
        verifier.verify(&built.proof, &anchor),
        Verdict::NoFault,
        "{kind}"
    );
    // ...and wrong by an engine without the bridge module (it cannot even decode the
    // deposit: an honest output would be deleted).
    let bare = reg.verifier(&spec("cosmos")).unwrap();
    let v = bare.verify(&built.proof, &anchor);
    assert!(
        matches!(
            v,
            Verdict::Fault(Fault::UndecodableTx {
                height: 2,
                index: 0,
                ..
            })
        ),
        "{kind}: the bank-only engine must disagree with the minitia's, got {v:?}"
    );

    // A claimed post-state root of block 2 that is not what it gives is proven.
    let mut headers: Vec<Header> = (2..=3).map(header).collect();
    let mut claimed = headers[1].app_hash.as_bytes().to_vec();
    claimed[0] ^= 0x80;
    headers[1].app_hash = claimed.try_into().unwrap();
    let anchor = anchor_for(&headers[1]);
    let built = build_proof(&engine, &store, headers, txs(2), storage_root).unwrap();
    match verifier.verify(&built.proof, &anchor) {
        Verdict::Fault(Fault::StateRoot { height: 2, .. }) => {}
        v => panic!("{kind}: expected a state-root fault of block 2, got {v:?}"),
    }
}

#[test]
fn cosmos_minitia_is_judged_with_its_bridge_module() {
    judge("minitia-cosmos", cosmos_minitia_app);
}

#[test]
fn evm_minitia_is_judged_with_its_engine() {
    judge("minitia-evm", evm_minitia_app);
}

#[test]
fn move_minitia_is_judged_with_its_engine() {
    judge("minitia-move", move_minitia_app);
}
