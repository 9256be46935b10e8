//! Figures for a fraud proof of one block of `N` bank transfers (default 1000) between
//! distinct accounts, on a real Cosmos minitia node: proof size by part, and the time to
//! build, decode and verify it. `cargo run -p minitia-fraud-proofs --release --example
//! proof_size -- 1000`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{Chain, Challenger, CHAIN_ID};
use minitia_core::{opinit::output_root, Hash32};
use minitia_fraud_proofs::{build_proof, verify, Anchor, FraudProof, Verdict};
use tendermint_proto::Protobuf;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N: number of transfers"))
        .unwrap_or(1000);
    let accounts = (2 * n + 1).min(u16::MAX as usize) as u16;
    let chain = Chain::with_accounts(Some(1), accounts);
    // Each sender sends once, to an account that receives once: 2N accounts touched.
    let t = Instant::now();
    for i in 0..n as u16 {
        chain.submit(chain.send_tx(i + 1, n as u16 + i + 1, 1));
    }
    println!("signed and admitted {n} transfers in {:?}", t.elapsed());
    chain.produce();
    chain.produce();
    assert_eq!(chain.txs(1).len(), n, "all transfers in block 1");
    let (ch, bad) = Challenger::replay(&chain, 2);
    assert_eq!(bad, Some(1));
    let storage_root = Hash32::ZERO;
    let t = Instant::now();
    let built = build_proof(
        &ch.app,
        &ch.store,
        chain.headers(1, 2),
        chain.txs(1),
        storage_root,
    )
    .unwrap();
    let build = t.elapsed();
    let bytes = built.proof.encode();
    let txs: usize = built.proof.txs.iter().map(Vec::len).sum();
    let witness = built.proof.witness.encode().len();
    let headers: usize = built
        .proof
        .headers
        .iter()
        .map(|h| Protobuf::<tendermint_proto::types::Header>::encode_vec(h.clone()).len())
        .sum();
    let s = built.proof.witness.stats();
    println!(
        "proof: {} bytes = txs {txs} + witness {witness} ({} leaves, {} stubs, {} hashes, {} inner) + {} headers {headers} + framing",
        bytes.len(),
        s.leaves,
        s.stubs,
        s.hashes,
        s.inners,
        built.proof.headers.len(),
    );
    let anchor = Anchor {
        chain_id: CHAIN_ID.into(),
        output_root: output_root(
            1,
            &storage_root,
            &Hash32::from_slice(chain.header(2).hash().as_bytes()).unwrap(),
        ),
        l2_block_number: 2,
        first_block: 1,
    };
    let t = Instant::now();
    let proof = FraudProof::decode(&bytes).unwrap();
    let decode = t.elapsed();
    let t = Instant::now();
    let v = verify(&proof, &ch.app, &anchor);
    let verify_time = t.elapsed();
    assert!(matches!(v, Verdict::Fault(_)), "{v:?}");
    println!("build {build:?}, decode {decode:?}, verify {verify_time:?} (re-executes {n} txs)");
}
