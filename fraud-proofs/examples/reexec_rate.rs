//! Challenger re-execution rate against the sequencer's rates, on the same blocks of bank
//! transfers. Two challenger figures:
//! - the **challenger node**, what `minitia challenger` runs: a follower node applying each
//!   block with `Node::apply_block` (header and commit-signature checks, execute with
//!   signature checks, commit state, store block + results durably; no event index, as the
//!   challenger opens its node);
//! - the **stateless replay** (execute + commit into a bare store), the floor the verifier's
//!   re-execution works at.
//!
//! Against (a) the sequencer's `produce_block` alone (execute with signature checks, commit
//! state, store block + results + event index) and (b) its sustained rate, what it takes to
//! take every tx in and out: admission of the pre-signed txs by 8 concurrent submitters
//! (decode, CheckTx with the signature check, fsync'd mempool) right after each block, plus
//! block production, one after the other on the same cores. Clients' signing and both
//! sides' genesis are excluded. The goal: challenger ≥ 2x the sequencer's sustained
//! rate; (a) is a stricter bound.
//! `cargo run -p minitia-fraud-proofs --release --example reexec_rate -- BLOCKS TXS_PER_BLOCK`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Chain, Challenger};

/// Concurrent submitters, as RPC clients are: the mempool's fsyncs are group-committed.
const SUBMITTERS: usize = 8;

fn main() {
    let mut args = std::env::args().skip(1);
    let blocks: u64 = args.next().map_or(10, |a| a.parse().expect("BLOCKS"));
    let per_block: usize = args
        .next()
        .map_or(1000, |a| a.parse().expect("TXS_PER_BLOCK"));
    let chain = Chain::with_accounts(None, 2001);
    let (mut admit, mut produce) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..blocks {
        // Each sender appears at most once per block, so submitters need no ordering.
        let signed = chain.signed_transfers(per_block);
        let t = Instant::now();
        std::thread::scope(|s| {
            for part in signed.chunks(per_block.div_ceil(SUBMITTERS)) {
                let chain = &chain;
                s.spawn(move || part.iter().for_each(|raw| chain.submit(raw.clone())));
            }
        });
        admit += t.elapsed();
        let t = Instant::now();
        chain.produce();
        produce += t.elapsed();
    }
    let tip = chain.node.height();
    let txs: usize = (1..=tip).map(|h| chain.txs(h).len()).sum();
    assert_eq!(
        txs,
        blocks as usize * per_block,
        "every transfer in a block"
    );
    // Genesis (2,001 funded accounts) is loaded before the clock starts, as the sequencer's
    // was before its first block.
    let mut challenger = Challenger::at_genesis(&chain);
    let t = Instant::now();
    let bad = challenger.replay_blocks(&chain, 1, tip);
    let replay = t.elapsed();
    assert_eq!(bad, None, "an honest chain replays to the same roots");
    // The shipped challenger's path: a follower node checking each block's header and the
    // sequencer's commit signature, executing it, committing state and storing the block,
    // its results and tx index durably (as the sequencer does), so it can serve RPC, survive a
    // crash and build proofs later. Blocks are read beforehand, as the challenger holds them
    // decoded from DA.
    let (follower, _fdir) = chain.follower();
    let batch: Vec<_> = (1..=tip).map(|h| chain.block_and_commit(h)).collect();
    let t = Instant::now();
    for (b, c) in &batch {
        follower.apply_block(b, c).expect("an honest block applies");
    }
    let derive = t.elapsed();
    assert_eq!(
        follower.root_at(tip).unwrap(),
        chain.node.root_at(tip).unwrap()
    );
    let rate = |d: Duration| txs as f64 / d.as_secs_f64();
    println!("{blocks} blocks x {per_block} bank transfers ({txs} txs, 2001 accounts)");
    let sustained = admit + produce;
    let verdict = |x: f64| if x >= 2.0 { "met" } else { "NOT met" };
    println!(
        "sequencer admission:       {admit:?} ({:.0} tx/s, {SUBMITTERS} submitters)",
        rate(admit)
    );
    println!(
        "sequencer produce_block:   {produce:?} ({:.0} tx/s)",
        rate(produce)
    );
    println!(
        "sequencer sustained:       {sustained:?} ({:.0} tx/s, admission + production)",
        rate(sustained)
    );
    println!(
        "challenger node (apply_block, durable):   {derive:?} ({:.0} tx/s)",
        rate(derive)
    );
    println!(
        "stateless replay (execute + commit only): {replay:?} ({:.0} tx/s)",
        rate(replay)
    );
    for (what, d) in [("challenger node", derive), ("stateless replay", replay)] {
        let (vs_sustained, vs_produce) = (rate(d) / rate(sustained), rate(d) / rate(produce));
        println!(
            "{what} / sustained:     {vs_sustained:.2}x (goal >= 2x: {})",
            verdict(vs_sustained)
        );
        println!(
            "{what} / produce_block: {vs_produce:.2}x (stricter bound >= 2x: {})",
            verdict(vs_produce)
        );
    }
}
