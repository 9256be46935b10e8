//! The L1's registry judges each minitia kind with the engine its node runs: a real node of
//! each kind (`minitia-cosmos`, `minitia-evm`, `minitia-move`) finalizes a bridge deposit
//! (`MsgFinalizeTokenDeposit`, a message of the `opchild` module only the minitia app has) in
//! a block; the proof of that honest block is judged `NoFault` by the registry's verifier for
//! the bridge's registered kind, and a tampered post-state root is proven a fault. The bare
//! Cosmos module set (`cosmos`) judges the same honest block a fault, which is why a bridge
//! must name its minitia's kind.

mod common;

use cosmrs::{crypto::secp256k1::SigningKey, AccountId};
use minitia_app::AppConfig;
use minitia_engines::{app, registry};

fn cosmos_minitia_app(c: AppConfig) -> minitia_app::CosmosApp {
    app(&minitia_app::COSMOS_ENGINE, c)
}
fn evm_minitia_app(c: AppConfig) -> minitia_vm_evm::EvmApp {
    app(&minitia_vm_evm::ENGINE, c)
}
fn move_minitia_app(c: AppConfig) -> minitia_app::CosmosApp {
    app(&minitia_vm_move::ENGINE, c)
}
use minitia_fraud_proofs::{EngineRegistry, EngineSpec, Fault, ProofVerifier, Verdict};
use minitia_template::bridge::proto::MsgFinalizeTokenDeposit;
use prost::Message;

use common::{open_node, proofs_of_block_2, replay, signed_tx};

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
fn deposit_tx(
    doc: &minitia_chain::node::genesis::GenesisDoc,
    node_view: &dyn minitia_core::StateView,
    sequence: u64,
) -> Vec<u8> {
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
    signed_tx(doc, node_view, &executor(), vec![any])
}

/// Runs a node of `make`'s engine through two blocks with a deposit each, replays them into a
/// challenger store, and judges the proofs with the registry's verifier for `kind`.
fn judge<E: minitia_chain::node::ChainApp + Send + Sync + 'static>(
    kind: &str,
    make: fn(minitia_chain::app::AppConfig) -> E,
) {
    let dir = tempfile::tempdir().unwrap();
    let (doc, node) = open_node(make, genesis_json(), dir.path(), kind);
    for seq in 1..=2 {
        let raw = deposit_tx(&doc, &node.latest_view().unwrap(), seq);
        let out = node.submit_tx(raw).unwrap();
        assert_eq!(out.code, 0, "{kind}: {}", out.log);
        node.produce_block().unwrap();
    }
    node.produce_block().unwrap();
    let txs = |h: u64| node.blocks().block(h).unwrap().unwrap().data;
    assert_eq!((txs(1).len(), txs(2).len()), (1, 1), "{kind}");

    // The challenger replays with its own copy of the engine.
    let engine = make(doc.app_config().unwrap());
    let cdir = tempfile::tempdir().unwrap();
    let store = replay(&engine, &doc, &node, 3, cdir.path());

    let spec = |kind: &str| EngineSpec {
        kind: kind.into(),
        chain_id: CHAIN.into(),
        chain: doc.params().unwrap(),
    };
    let reg = registry();
    let verifier = reg.verifier(&spec(kind)).unwrap();
    let [(built, anchor), (tampered, tampered_anchor)] =
        proofs_of_block_2(&engine, &store, &node, CHAIN);

    // Honest: block 2 (a deposit) is judged right by the minitia's own engine...
    assert!(!built.is_fault(), "{kind}");
    assert_eq!(
        verifier.verify(&built.proof, &anchor),
        Verdict::NoFault,
        "{kind}"
    );
    // ...and wrong by an engine without the bridge module (it cannot even decode the
    // deposit: an honest output would be deleted).
    let bare = minitia_fraud_proofs::EngineVerifier(minitia_app::CosmosApp::new(
        spec(kind).app_config().unwrap(),
        vec![],
    ));
    assert!(
        reg.verifier(&spec("cosmos")).is_err(),
        "no bank-only kind in the product registry"
    );
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
    match verifier.verify(&tampered.proof, &tampered_anchor) {
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
