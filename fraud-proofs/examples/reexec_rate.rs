//! Challenger re-execution rate against the sequencer's block production rate, on the same
//! blocks of bank transfers: the sequencer's `produce_block` (execute with signature checks,
//! commit state, store the block) against the challenger replaying them from genesis into
//! its own store (decode, execute with signature checks, commit). Signing and admission are
//! timed separately and excluded from both. The goal: challenger ≥ 2x.
//! `cargo run -p minitia-fraud-proofs --release --example reexec_rate -- BLOCKS TXS_PER_BLOCK`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Chain, Challenger};

fn main() {
    let mut args = std::env::args().skip(1);
    let blocks: u64 = args.next().map_or(10, |a| a.parse().expect("BLOCKS"));
    let per_block: usize = args
        .next()
        .map_or(1000, |a| a.parse().expect("TXS_PER_BLOCK"));
    let chain = Chain::with_accounts(None, 2001);
    let (mut admit, mut produce) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..blocks {
        let t = Instant::now();
        chain.transfers(per_block);
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
    let t = Instant::now();
    let (_, bad) = Challenger::replay(&chain, tip);
    let replay = t.elapsed();
    assert_eq!(bad, None, "an honest chain replays to the same roots");
    let rate = |d: Duration| txs as f64 / d.as_secs_f64();
    println!("{blocks} blocks x {per_block} bank transfers ({txs} txs, 2001 accounts)");
    println!(
        "sign + admit (excluded):   {admit:?} ({:.0} tx/s)",
        rate(admit)
    );
    println!(
        "sequencer produce_block:   {produce:?} ({:.0} tx/s)",
        rate(produce)
    );
    println!(
        "challenger replay:         {replay:?} ({:.0} tx/s)",
        rate(replay)
    );
    println!(
        "challenger / sequencer:    {:.2}x (goal >= 2x: {})",
        rate(replay) / rate(produce),
        if rate(replay) >= 2.0 * rate(produce) {
            "met"
        } else {
            "NOT met"
        }
    );
}
