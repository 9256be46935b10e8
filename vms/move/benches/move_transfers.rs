//! Move coin transfers through the minitia node: each tx carries two `MsgExecute`s of the
//! test module `0x42::bank` (`withdraw` from the sender, `deposit` to the next account),
//! admitted with CheckTx and then executed in produced blocks (state committed, blocks
//! stored). Prints figures; asserts only that every tx succeeded.
//!
//! `cargo bench -p minitia-vm-move --bench move_transfers` (env: BENCH_ACCOUNTS, BENCH_TXS,
//! BENCH_BLOCK_TXS).

use std::{path::PathBuf, sync::Arc, time::Instant};

use cosmrs::{
    crypto::secp256k1::SigningKey,
    tx::{self, Fee, SignDoc, SignerInfo},
    AccountId, Any, Coin,
};
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

fn b64(data: &[u8]) -> String {
    String::from_utf8(minitia_vm_move::interpreter::framework::base64_encode_bytes(data))
        .expect("base64 is ascii")
}

/// Every module of tests/move-build (the `0x1` shims and the `0x42` test modules).
fn genesis_modules() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/move-build");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/move-build")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "mv"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| b64(&std::fs::read(p).expect("module")))
        .collect()
}

fn move_addr(a: &AccountId) -> Vec<u8> {
    let mut out = vec![0u8; 12];
    out.extend_from_slice(&a.to_bytes());
    out
}

fn exec(sender: &AccountId, function: &str, args: Vec<Vec<u8>>) -> Any {
    Any {
        type_url: MSG_EXECUTE.into(),
        value: MsgExecute {
            sender: sender.to_string(),
            module_address: "0x42".into(),
            module_name: "bank".into(),
            function_name: function.into(),
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
            "move": {"modules": genesis_modules()}
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
            clock: Arc::new(SystemClock::new()),
        },
    )
    .expect("node");

    // Setup: every account opens a Move account holding 1_000_000.
    for (i, k) in keys.iter().enumerate() {
        let raw = sign(
            k,
            vec![exec(
                &addrs[i],
                "open",
                vec![1_000_000u64.to_le_bytes().to_vec()],
            )],
            0,
            i as u64,
        );
        let r = node.submit_tx(raw).expect("submit");
        assert_eq!(r.code, 0, "open rejected: {}", r.log);
    }
    drain(&node);

    let per_account = total.div_ceil(accounts);
    let mut txs = Vec::with_capacity(total);
    'outer: for round in 0..per_account as u64 {
        for (i, k) in keys.iter().enumerate() {
            if txs.len() == total {
                break 'outer;
            }
            let to = move_addr(&addrs[(i + 1) % accounts]);
            let msgs = vec![
                exec(&addrs[i], "withdraw", vec![1u64.to_le_bytes().to_vec()]),
                exec(&addrs[i], "deposit", vec![to, 1u64.to_le_bytes().to_vec()]),
            ];
            txs.push(sign(k, msgs, round + 1, i as u64));
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
        "admission (decode, signature, CheckTx running both Move calls, fsync'd mempool): {:.0} tx/s",
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
