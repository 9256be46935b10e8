//! Move coin transfers through the minitia node: each tx is one `MsgExecute` of the built-in
//! `0x1::coin::transfer(sender, recipient, metadata, 1)` (the chain's coin as a Move
//! fungible asset over the bank's balances, as initia.js builds it), admitted with CheckTx
//! and then executed in produced blocks (state committed, blocks stored). Prints figures;
//! asserts that every tx succeeded and every account ended with its genesis balance minus
//! fees (each sent 1 and received 1).
//!
//! `cargo bench -p minitia-vm-move --bench move_transfers` (env: BENCH_ACCOUNTS, BENCH_TXS,
//! BENCH_BLOCK_TXS).

use std::{sync::Arc, time::Instant};

use cosmrs::{
    crypto::secp256k1::SigningKey,
    tx::{self, Fee, SignDoc, SignerInfo},
    AccountId, Any, Coin,
};
use minitia_chain::rpc::backend::RpcBackend;
use minitia_chain::{
    app::CosmosApp,
    node::{
        clock::SystemClock, genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits, Node,
        NodeOptions,
    },
};
use minitia_vm_move::minitia::{proto::MsgExecute, MoveModule, MSG_EXECUTE};
use prost::Message;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn move_addr(a: &AccountId) -> Vec<u8> {
    let mut out = vec![0u8; 12];
    out.extend_from_slice(&a.to_bytes());
    out
}

fn transfer(sender: &AccountId, args: Vec<Vec<u8>>) -> Any {
    Any {
        type_url: MSG_EXECUTE.into(),
        value: MsgExecute {
            sender: sender.to_string(),
            module_address: "0x1".into(),
            module_name: "coin".into(),
            function_name: "transfer".into(),
            type_args: vec![],
            args,
        }
        .encode_to_vec(),
    }
}

fn sign(k: &SigningKey, msgs: Vec<Any>, seq: u64, acc: u64) -> Vec<u8> {
    let body = tx::Body::new(msgs, "", 0u32);
    let auth =
        SignerInfo::single_direct(Some(k.public_key()), seq).auth_info(Fee::from_amount_and_gas(
            Coin {
                denom: "umin".parse().expect("denom"),
                amount: 2_000,
            },
            2_000_000u64,
        ));
    SignDoc::new(
        &body,
        &auth,
        &"bench-move-1".parse().expect("chain id"),
        acc,
    )
    .expect("sign doc")
    .sign(k)
    .expect("sign")
    .to_bytes()
    .expect("bytes")
}

fn drain(node: &Node<CosmosApp>) -> usize {
    let mut blocks = 0;
    while node.mempool_len() > 0 {
        node.produce_block()
            .expect("block")
            .expect("non-empty block");
        blocks += 1;
    }
    blocks
}

fn main() {
    let accounts = env("BENCH_ACCOUNTS", 200);
    let total = env("BENCH_TXS", 2_000);
    let block_txs = env("BENCH_BLOCK_TXS", 1_000);
    let keys: Vec<SigningKey> = (0..accounts)
        .map(|i| {
            let mut seed = [5u8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            SigningKey::from_slice(&seed).expect("valid key")
        })
        .collect();
    let addrs: Vec<AccountId> = keys
        .iter()
        .map(|k| k.public_key().account_id("init").expect("address"))
        .collect();
    let balances: Vec<_> = addrs
        .iter()
        .map(|a| serde_json::json!({"address": a.to_string(), "coins": [{"denom": "umin", "amount": "1000000000000"}]}))
        .collect();
    let json = serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z", "chain_id": "bench-move-1", "consensus_params": {}, "validators": [],
        "app_state": {
            "chain": {"bech32_prefix": "init", "fee_denom": "umin", "min_gas_price": "0.001", "max_tx_gas": 10000000},
            "bank": {"balances": balances},
            "move": {}
        }
    });
    let doc: GenesisDoc = serde_json::from_value(json.clone()).expect("genesis");
    let dir = tempfile::tempdir().expect("tempdir");
    let app = CosmosApp::new(
        doc.app_config().expect("config"),
        vec![Arc::new(MoveModule::new())],
    );
    let node = Node::open(
        app,
        NodeOptions {
            data_dir: dir.path().join("data"),
            genesis: doc,
            genesis_json: json,
            validator: ValidatorKey::from_seed([1; 32]),
            mempool: MempoolLimits {
                max_txs: total + accounts + 1,
                max_bytes: usize::MAX,
            },
            max_block_txs: block_txs,
            max_block_bytes: usize::MAX,
            create_empty_blocks: false,
            moniker: "bench".into(),
            rpc_address: String::new(),
            retained_versions: 4,
            event_index: true,
            clock: Arc::new(SystemClock::new()),
        },
    )
    .expect("node");

    let metadata = minitia_app::bank::denom_object_address("umin");
    let per_account = total.div_ceil(accounts);
    let mut txs = Vec::with_capacity(total);
    'outer: for round in 0..per_account as u64 {
        for (i, k) in keys.iter().enumerate() {
            if txs.len() == total {
                break 'outer;
            }
            let to = move_addr(&addrs[(i + 1) % accounts]);
            let args = vec![to, metadata.to_vec(), 1u64.to_le_bytes().to_vec()];
            txs.push(sign(k, vec![transfer(&addrs[i], args)], round, i as u64));
        }
    }
    let start_height = node.height();

    let t = Instant::now();
    for raw in &txs {
        let r = node.submit_tx(raw.clone()).expect("submit");
        assert_eq!(r.code, 0, "CheckTx rejected: {}", r.log);
    }
    let admit = t.elapsed().as_secs_f64();
    println!(
        "admission (decode, signature, CheckTx running coin::transfer, fsync'd mempool): {:.0} tx/s",
        txs.len() as f64 / admit
    );

    let t = Instant::now();
    let blocks = drain(&node);
    let produce = t.elapsed().as_secs_f64();
    let mut ok = 0;
    for h in start_height + 1..=node.height() {
        ok += node
            .blocks()
            .results(h)
            .expect("results")
            .expect("stored")
            .tx_results
            .iter()
            .filter(|r| r.code == 0)
            .count();
    }
    assert_eq!(ok, txs.len(), "every transfer must succeed");
    // Every account sent as many transfers of 1 as it received (a ring), so only fees left.
    if total.is_multiple_of(accounts) {
        use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
        let sent = (total / accounts) as u128;
        for a in &addrs {
            let req = QueryBalanceRequest {
                address: a.to_string(),
                denom: "umin".into(),
            };
            let r = RpcBackend::abci_query(
                &*node,
                "/cosmos.bank.v1beta1.Query/Balance",
                &req.encode_to_vec(),
                0,
                false,
            )
            .expect("query");
            let b: u128 = QueryBalanceResponse::decode(r.value.as_slice())
                .expect("balance")
                .balance
                .expect("coin")
                .amount
                .parse()
                .expect("amount");
            assert_eq!(b, 1_000_000_000_000 - sent * 2_000, "balance of {a}");
        }
    }
    println!(
        "block production (Move execution, state commit, block store): {:.0} transfers/s ({blocks} blocks of up to {block_txs})",
        txs.len() as f64 / produce
    );
    println!(
        "end to end: {:.0} Move transfers/s ({} txs, {accounts} accounts)",
        txs.len() as f64 / (admit + produce),
        txs.len()
    );
}
