//! The bridge credits a Move minitia's coins as Move fungible assets: a real Move minitia
//! node (`move_minitia_app`: bank, auth, opchild, Move VM) finalizes an L1 deposit of a
//! bridged denom (`l2/<hash>`), Move's `0x1::coin` sees it, moves part of it with
//! `0x1::coin::transfer` (the MsgExecute initia.js builds), and the rest goes back to the L1
//! with `MsgInitiateTokenWithdrawal`. The block with the Move transfer is then proven honest
//! by the L1's fraud-proof verifier for `minitia-move` (the coin natives' bank reads are in
//! the witness), and a tampered root over it is proven a fault.

mod common;

use cosmrs::{crypto::secp256k1::SigningKey, Any};
use minitia_chain::rpc::RpcBackend;
use minitia_engines::{app, registry};

fn move_minitia_app(c: minitia_app::AppConfig) -> minitia_app::CosmosApp {
    app(&minitia_vm_move::ENGINE, c)
}
use minitia_fraud_proofs::{EngineRegistry, EngineSpec, Fault, Verdict};
use minitia_template::bridge::proto::{MsgFinalizeTokenDeposit, MsgInitiateTokenWithdrawal};
use minitia_vm_move::minitia::proto::{
    MsgExecute, QueryViewFunctionRequest, QueryViewFunctionResponse,
};
use prost::Message;

use common::{account_id, open_node, proofs_of_block_2, replay, signed_tx};

const CHAIN: &str = "move-coin-1";
const BRIDGE: u64 = 4;

fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

fn move_addr(k: &SigningKey) -> Vec<u8> {
    [vec![0u8; 12], account_id(k).to_bytes()].concat()
}

fn any<M: Message>(type_url: &str, m: &M) -> Any {
    Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

fn coin(denom: &str, amount: u128) -> Option<cosmrs::proto::cosmos::base::v1beta1::Coin> {
    Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
        denom: denom.into(),
        amount: amount.to_string(),
    })
}

fn bank_balance(node: &dyn RpcBackend, who: &SigningKey, denom: &str) -> u128 {
    use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
    let req = QueryBalanceRequest {
        address: account_id(who).to_string(),
        denom: denom.into(),
    };
    let r = node
        .abci_query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &req.encode_to_vec(),
            0,
            false,
        )
        .unwrap();
    assert!(r.code.is_ok(), "{}", r.log);
    QueryBalanceResponse::decode(r.value.as_slice())
        .unwrap()
        .balance
        .map_or(0, |c| c.amount.parse().unwrap())
}

fn coin_view(node: &dyn RpcBackend, function: &str, args: Vec<Vec<u8>>) -> String {
    let req = QueryViewFunctionRequest {
        address: "0x1".into(),
        module_name: "coin".into(),
        function_name: function.into(),
        type_args: vec![],
        args,
    };
    let r = node
        .abci_query(
            minitia_vm_move::minitia::Q_VIEW_FUNCTION,
            &req.encode_to_vec(),
            0,
            false,
        )
        .unwrap();
    assert!(r.code.is_ok(), "coin::{function}: {}", r.log);
    QueryViewFunctionResponse::decode(r.value.as_slice())
        .unwrap()
        .data
}

#[test]
fn bridged_coins_are_move_fungible_assets_and_their_blocks_are_provable() {
    let (executor, user, friend) = (key(9), key(21), key(22));
    let denom = minitia_core::opinit::l2_denom(BRIDGE, "uinit");
    let json = serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z",
        "chain_id": CHAIN,
        "consensus_params": {},
        "validators": [],
        "app_state": {
            "chain": {"bech32_prefix": "init", "fee_denom": "umin"},
            "bank": {"balances": [{"address": account_id(&executor).to_string(), "coins": [{"denom": "umin", "amount": "1000"}]}]},
            "opchild": {
                "params": {"bridge_executors": [account_id(&executor).to_string()]},
                "bridge_info": {"bridge_id": BRIDGE, "l1_chain_id": "l1-1"}
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (doc, node) = open_node(move_minitia_app, json, dir.path(), "move-coin");
    let submit = |k: &SigningKey, msgs: Vec<Any>| {
        let raw = signed_tx(&doc, &node.latest_view().unwrap(), k, msgs);
        let out = node.submit_tx(raw).unwrap();
        assert_eq!(out.code, 0, "{}", out.log);
        node.produce_block().unwrap();
    };

    // Block 1: the executor finalizes an L1 deposit of 250 uinit to the user.
    submit(
        &executor,
        vec![any(
            "/opinit.opchild.v1.MsgFinalizeTokenDeposit",
            &MsgFinalizeTokenDeposit {
                sender: account_id(&executor).to_string(),
                from: "init1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".into(),
                to: account_id(&user).to_string(),
                amount: coin(&denom, 250),
                sequence: 1,
                height: 11,
                base_denom: "uinit".into(),
                data: vec![],
            },
        )],
    );
    // Move resolves the bridged denom to Initia's metadata address and sees the deposit.
    let metadata = minitia_chain::app::bank::denom_object_address(&denom);
    let bcs_denom = [vec![denom.len() as u8], denom.as_bytes().to_vec()].concat();
    let json: serde_json::Value =
        serde_json::from_str(&coin_view(&*node, "denom_to_metadata", vec![bcs_denom])).unwrap();
    assert_eq!(
        json["inner"],
        minitia_vm_move::types::short_address(&metadata)
    );
    let balance = |k: &SigningKey| {
        let v = coin_view(&*node, "balance", vec![move_addr(k), metadata.to_vec()]);
        serde_json::from_str::<String>(&v)
            .unwrap()
            .parse::<u128>()
            .unwrap()
    };
    assert_eq!(balance(&user), 250);

    // Block 2: the user moves 100 to a friend in Move and withdraws the rest to the L1.
    submit(
        &user,
        vec![
            any(
                minitia_vm_move::minitia::MSG_EXECUTE,
                &MsgExecute {
                    sender: account_id(&user).to_string(),
                    module_address: "0x1".into(),
                    module_name: "coin".into(),
                    function_name: "transfer".into(),
                    type_args: vec![],
                    args: vec![
                        move_addr(&friend),
                        metadata.to_vec(),
                        100u64.to_le_bytes().to_vec(),
                    ],
                },
            ),
            any(
                "/opinit.opchild.v1.MsgInitiateTokenWithdrawal",
                &MsgInitiateTokenWithdrawal {
                    sender: account_id(&user).to_string(),
                    to: account_id(&user).to_string(),
                    amount: coin(&denom, 150),
                },
            ),
        ],
    );
    node.produce_block().unwrap();
    assert_eq!((balance(&user), balance(&friend)), (0, 100));
    assert_eq!(bank_balance(&*node, &friend, &denom), 100);
    assert_eq!(bank_balance(&*node, &user, &denom), 0);

    // The challenger replays the chain, and the L1's verifier for `minitia-move` judges
    // block 2 honest from its witness alone...
    let engine = move_minitia_app(doc.app_config().unwrap());
    let cdir = tempfile::tempdir().unwrap();
    let store = replay(&engine, &doc, &node, 3, cdir.path());
    let verifier = registry()
        .verifier(&EngineSpec {
            kind: "minitia-move".into(),
            chain_id: CHAIN.into(),
            chain: doc.params().unwrap(),
        })
        .unwrap();
    let [(honest, anchor), (built, tampered)] = proofs_of_block_2(&engine, &store, &node, CHAIN);
    assert!(!honest.is_fault());
    assert_eq!(verifier.verify(&honest.proof, &anchor), Verdict::NoFault);

    // ...and a claimed root over it that the Move transfer does not give is proven wrong.
    match verifier.verify(&built.proof, &tampered) {
        Verdict::Fault(Fault::StateRoot { height: 2, .. }) => {}
        v => panic!("expected a state-root fault of block 2, got {v:?}"),
    }
}
