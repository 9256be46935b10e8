//! Benchmark (issue #8): time from a wrong output root landing on the L1 to the L1 deleting
//! it, on the in-process network of the fault tests (`tests/faults_net`): L1 blocks every
//! 40 ms, DA blocks every 100 ms, minitia blocks every 100 ms, bridge submission interval
//! 3 s; the executor proposes output 2 with a wrong root (`--fault.wrong-output-root-at 2`),
//! the challenger derives the chain from the L1 and DA, re-executes it, sees the mismatch and
//! sends `MsgDeleteOutput`.
//!
//! With `fraud` the fault is a wrong state transition instead: the sequencer writes one bogus
//! key in a block past output 1, the executor's next output commits to that state, and the
//! challenger proves the block wrong with `MsgSubmitFraudProof` (the L1 re-executes it,
//! deletes the output and every later one, and slashes the proposer).
//!
//! Prints, per run and as min/median/max: wall time from the first poll that sees the wrong
//! output on the L1 to the first that sees it gone (polled every 10 ms), and the L1 blocks
//! from the proposal's block to the deleting tx's block.
//!
//! `cargo run --release -p minitia-template --example time_to_deletion [RUNS] [fraud]`
//! (default 5 runs, wrong output root).

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
    let fraud = std::env::args().nth(2).is_some_and(|a| a == "fraud");
    let mut wall = Vec::new();
    let mut blocks = Vec::new();
    for run in 1..=runs {
        let net = start(Faults {
            wrong_root_at: (!fraud).then_some(2),
            ..Default::default()
        })
        .await;
        let deadline = Instant::now() + Duration::from_secs(120);
        // Which output is wrong: 2 (wrong root), or the first over the bad block (fraud).
        let index = if fraud {
            while output(&net, 1).await.is_none() {
                assert!(Instant::now() < deadline, "output 1 never proposed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let bad = net.node().height() + 3;
            net.node()
                .inject_wrong_state(minitia_chain::node::InjectedWrite {
                    height: bad,
                    key: b"bank/bogus".to_vec(),
                    value: b"minted from nothing".to_vec(),
                });
            // Outputs are contiguous: the first whose L2 block reaches `bad` is the wrong one.
            let mut i = 1;
            loop {
                match net.outputs().await.iter().find(|o| o.0 == i) {
                    Some(o) if o.1 >= bad => break i,
                    Some(_) => i += 1,
                    None => {
                        assert!(Instant::now() < deadline, "no output over block {bad}");
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }
        } else {
            2
        };
        // The wrong output appears ...
        let (wrong_root, proposed_at) = loop {
            if let Some(o) = output(&net, index).await {
                break o;
            }
            assert!(Instant::now() < deadline, "output {index} never proposed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let seen = Instant::now();
        // ... and goes (deleted; maybe already re-proposed with the right root).
        loop {
            match output(&net, index).await {
                Some((root, _)) if root == wrong_root => {}
                _ => break,
            }
            assert!(Instant::now() < deadline, "output {index} never deleted");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let took = seen.elapsed();
        // The challenger's MsgDeleteOutput or fraud proof did it: the block of that tx.
        let hash = loop {
            let st = net.status();
            let h = if fraud {
                st.proofs
                    .iter()
                    .find(|p| p.fault_proven == Some(true))
                    .and_then(|p| p.tx_hash.clone())
            } else {
                st.deletions
                    .iter()
                    .find(|d| d.output_index == index)
                    .and_then(|d| d.tx_hash.clone())
            };
            if let Some(h) = h {
                break h;
            }
            assert!(
                Instant::now() < deadline,
                "output {index} went without the challenger's tx: {:?} {:?}",
                st.deletions,
                st.proofs
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
            "run {run}: wrong output {index} (L1 block {proposed_at}) deleted in L1 block {} after {:.0} ms, {b} L1 blocks",
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
        "time to deletion ({}) over {runs} runs: min {:.0} ms, median {:.0} ms, max {:.0} ms \
         (L1 blocks: min {}, median {}, max {}); submission interval {INTERVAL_SECS} s",
        if fraud {
            "fraud proof of a wrong state transition"
        } else {
            "wrong output root"
        },
        wall[0].as_secs_f64() * 1e3,
        wall[mid].as_secs_f64() * 1e3,
        wall[wall.len() - 1].as_secs_f64() * 1e3,
        blocks[0],
        blocks[mid],
        blocks[blocks.len() - 1],
    );
}
