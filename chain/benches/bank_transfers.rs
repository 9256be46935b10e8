//! Cosmos bank transfers through the node: CheckTx + persisted mempool admission, then block
//! production (execution, state commit, block store) — prints figures, asserts nothing but
//! that every tx succeeded.
//!
//! `cargo bench -p minitia-chain --bench bank_transfers` (env: BENCH_ACCOUNTS, BENCH_TXS,
//! BENCH_BLOCK_TXS, BENCH_SUBMITTERS).

use std::{sync::Arc, time::Instant};

use cosmrs::{
    bank::MsgSend,
    crypto::secp256k1::SigningKey,
    tx::{self, Fee, Msg, SignDoc, SignerInfo},
    Coin,
};
use minitia_chain::{
    app::CosmosApp,
    node::{
        clock::SystemClock, genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits, Node,
        NodeOptions,
    },
};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let accounts = env("BENCH_ACCOUNTS", 2000);
    let total = env("BENCH_TXS", 20_000);
    let block_txs = env("BENCH_BLOCK_TXS", 5000);
    let per_account = total.div_ceil(accounts);
    let keys: Vec<SigningKey> = (0..accounts)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            SigningKey::from_slice(&seed).expect("valid key")
        })
        .collect();
    let addrs: Vec<_> = keys
        .iter()
        .map(|k| k.public_key().account_id("init").expect("address"))
        .collect();
    let balances: Vec<_> = addrs
        .iter()
        .map(|a| serde_json::json!({"address": a.to_string(), "coins": [{"denom": "umin", "amount": "1000000000000"}]}))
        .collect();
    let json = serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z", "chain_id": "bench-1", "consensus_params": {}, "validators": [],
        "app_state": {"chain": {"bech32_prefix": "init", "fee_denom": "umin", "min_gas_price": "0.001"}, "bank": {"balances": balances}}
    });
    let doc: GenesisDoc = serde_json::from_value(json.clone()).expect("genesis");
    let dir = tempfile::tempdir().expect("tempdir");
    let app = CosmosApp::new(doc.app_config().expect("config"), vec![]);
    let node = Node::open(
        app,
        NodeOptions {
            data_dir: dir.path().join("data"),
            genesis: doc,
            genesis_json: json,
            validator: ValidatorKey::from_seed([1; 32]),
            mempool: MempoolLimits {
                max_txs: total + 1,
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

    let t = Instant::now();
    let mut txs = Vec::with_capacity(total);
    'outer: for seq in 0..per_account as u64 {
        for (i, k) in keys.iter().enumerate() {
            if txs.len() == total {
                break 'outer;
            }
            let to = addrs[(i + 1) % accounts].clone();
            let msg = MsgSend {
                from_address: addrs[i].clone(),
                to_address: to,
                amount: vec![Coin {
                    denom: "umin".parse().expect("denom"),
                    amount: 1,
                }],
            }
            .to_any()
            .expect("any");
            let body = tx::Body::new(vec![msg], "", 0u32);
            let auth = SignerInfo::single_direct(Some(k.public_key()), seq).auth_info(
                Fee::from_amount_and_gas(
                    Coin {
                        denom: "umin".parse().expect("denom"),
                        amount: 200,
                    },
                    200_000u64,
                ),
            );
            let raw = SignDoc::new(
                &body,
                &auth,
                &"bench-1".parse().expect("chain id"),
                i as u64,
            )
            .expect("sign doc")
            .sign(k)
            .expect("sign")
            .to_bytes()
            .expect("bytes");
            txs.push(raw);
        }
    }
    println!(
        "signed {} txs from {accounts} accounts in {:.2} s (client side, not counted)",
        txs.len(),
        t.elapsed().as_secs_f64()
    );

    // Concurrent submitters (as RPC clients would be): each owns a slice of the accounts so
    // per-account sequence order is kept; their mempool writes share fsyncs.
    let submitters = env("BENCH_SUBMITTERS", 8).max(1);
    let t = Instant::now();
    std::thread::scope(|s| {
        for w in 0..submitters {
            let (node, txs) = (&node, &txs);
            s.spawn(move || {
                for (j, raw) in txs.iter().enumerate() {
                    if (j % accounts) % submitters != w {
                        continue;
                    }
                    let r = node.submit_tx(raw.clone()).expect("submit");
                    assert_eq!(r.code, 0, "CheckTx rejected: {}", r.log);
                }
            });
        }
    });
    let admit = t.elapsed().as_secs_f64();
    println!(
        "admission with {submitters} concurrent submitters (decode, signature check, CheckTx incl. message dry-run, group-committed fsync'd mempool write): {:.0} tx/s",
        txs.len() as f64 / admit
    );

    let t = Instant::now();
    let mut blocks = 0;
    while node.mempool_len() > 0 {
        node.produce_block()
            .expect("block")
            .expect("non-empty block");
        blocks += 1;
    }
    let produce = t.elapsed().as_secs_f64();
    let mut ok = 0;
    for h in 1..=node.height() {
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
    assert_eq!(ok, txs.len(), "every tx must succeed");
    println!(
        "block production (execute with signature re-check, commit state, store block + results + indexes): {:.0} tx/s ({blocks} blocks of up to {block_txs}, {:.0} ms/block)",
        txs.len() as f64 / produce,
        produce * 1000.0 / blocks as f64
    );
    println!(
        "end to end: {:.0} tx/s",
        txs.len() as f64 / (admit + produce)
    );
}
