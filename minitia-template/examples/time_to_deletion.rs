//! Benchmark (issue #8): time from a wrong output root landing on the L1 to the L1 deleting
//! it, on the in-process network of the fault tests (`tests/faults_net`): L1 blocks every
//! 40 ms, DA blocks every 100 ms, minitia blocks every 100 ms, bridge submission interval
//! 3 s; the executor proposes output 2 with a wrong root (`--fault.wrong-output-root-at 2`),
//! the challenger derives the chain from the L1 and DA, re-executes it, sees the mismatch and
//! sends `MsgDeleteOutput`.
//!
//! Prints, per run and as min/median/max: wall time from the first poll that sees the wrong
//! output on the L1 to the first that sees it gone (polled every 10 ms), and the L1 blocks
//! from the proposal's block to the deletion tx's block.
//!
//! `cargo run --release -p minitia-template --example time_to_deletion [RUNS]` (default 5).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/faults_net/mod.rs"]
mod faults_net;

use std::time::{Duration, Instant};

use faults_net::{start, Faults, INTERVAL_SECS};
use l1_orchestrator::{ophost, proto as l1p};
use minitia_core::Hash32;

async fn output(net: &faults_net::Net, index: u64) -> Option<(Vec<u8>, u64)> {
    let r: Result<l1p::QueryOutputProposalResponse, _> = net
        .l1c
        .query_proto(
            ophost::query::OUTPUT_PROPOSAL,
            &l1p::QueryOutputProposalRequest {
                bridge_id: net.bridge,
                output_index: index,
            },
            None,
        )
        .await;
    let p = r.ok()?.output_proposal?;
    Some((p.output_root, p.l1_block_number))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let mut wall = Vec::new();
    let mut blocks = Vec::new();
    for run in 1..=runs {
        let net = start(Faults {
            wrong_root_at: Some(2),
            ..Default::default()
        })
        .await;
        // The wrong output appears ...
        let deadline = Instant::now() + Duration::from_secs(120);
        let (wrong_root, proposed_at) = loop {
            if let Some(o) = output(&net, 2).await {
                break o;
            }
            assert!(Instant::now() < deadline, "output 2 never proposed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let seen = Instant::now();
        // ... and goes (deleted; maybe already re-proposed with the right root).
        loop {
            match output(&net, 2).await {
                Some((root, _)) if root == wrong_root => {}
                _ => break,
            }
            assert!(Instant::now() < deadline, "output 2 never deleted");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let took = seen.elapsed();
        // The challenger's MsgDeleteOutput did it: the block of that tx.
        let hash = loop {
            let st = net.status();
            if let Some(h) = st
                .deletions
                .iter()
                .find(|d| d.output_index == 2)
                .and_then(|d| d.tx_hash.clone())
            {
                break h;
            }
            assert!(
                Instant::now() < deadline,
                "output 2 went without the challenger's deletion: {:?}",
                st.deletions
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let bytes: [u8; 32] = hex::decode(&hash).unwrap().try_into().unwrap();
        let tx = net
            .l1c
            .tx(Hash32(bytes))
            .await
            .unwrap()
            .expect("deletion tx on the L1");
        assert_eq!(tx.code, 0, "deletion failed: {}", tx.log);
        let b = tx.height.saturating_sub(proposed_at);
        println!(
            "run {run}: wrong output 2 (L1 block {proposed_at}) deleted in L1 block {} after {:.0} ms, {b} L1 blocks",
            tx.height,
            took.as_secs_f64() * 1e3
        );
        wall.push(took);
        blocks.push(b);
        net.shutdown().await;
    }
    wall.sort();
    blocks.sort();
    let mid = wall.len() / 2;
    println!(
        "time to deletion over {runs} runs: min {:.0} ms, median {:.0} ms, max {:.0} ms \
         (L1 blocks: min {}, median {}, max {}); submission interval {INTERVAL_SECS} s",
        wall[0].as_secs_f64() * 1e3,
        wall[mid].as_secs_f64() * 1e3,
        wall[wall.len() - 1].as_secs_f64() * 1e3,
        blocks[0],
        blocks[mid],
        blocks[blocks.len() - 1],
    );
}
