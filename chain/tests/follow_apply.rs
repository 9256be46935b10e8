//! Follower mode: a second node applies the blocks a sequencer produced (real cosmrs-signed
//! bank txs, some failing) and ends with the same root at every height and the same block
//! hashes; forged or corrupted blocks are rejected with a precise error and change nothing.

mod bank_node;

use std::sync::Arc;

use bank_node::{account, app, key};
use cosmrs::{crypto::secp256k1::SigningKey, AccountId};
use minitia_chain::{
    app::CosmosApp,
    node::{
        follow::{Applied, FollowError, READ_ONLY_CODE},
        keys::ValidatorKey,
        Node, NodeOptions,
    },
};
use tendermint::{
    block::{self, Block, Commit, CommitSig},
    vote::{self, ValidatorIndex, Vote},
    AppHash, Signature,
};

const CHAIN_ID: &str = "minitia-follow-1";
const SEQUENCER_SEED: [u8; 32] = [9; 32];

fn options(dir: &std::path::Path, validator: ValidatorKey, funded: &AccountId) -> NodeOptions {
    bank_node::options(CHAIN_ID, dir, validator, funded)
}

fn send_tx(from: &SigningKey, to: &AccountId, amount: u128, seq: u64) -> Vec<u8> {
    bank_node::send_tx(CHAIN_ID, from, to, amount, seq)
}

/// Produces `blocks` blocks of bank sends on a fresh sequencer; every third block also holds
/// a send that fails (more than the balance).
fn sequencer(dir: &std::path::Path, blocks: u64) -> Arc<Node<CosmosApp>> {
    let alice = key(1);
    let opts = options(
        dir,
        ValidatorKey::from_seed(SEQUENCER_SEED),
        &account(&alice),
    );
    let node = Node::open(app(&opts), opts).unwrap();
    let mut seq = 0;
    for i in 0..blocks {
        for j in 0..2u8 {
            let amount = if i % 3 == 2 && j == 1 {
                1 << 100
            } else {
                1000 + u128::from(j)
            };
            let raw = send_tx(&alice, &account(&key(10 + j)), amount, seq);
            let r = node.submit_tx(raw).unwrap();
            assert_eq!(r.code, 0, "{}", r.log);
            seq += 1;
        }
        assert_eq!(node.produce_block().unwrap(), Some(i + 1));
    }
    node
}

fn follower(dir: &std::path::Path) -> Arc<Node<CosmosApp>> {
    let opts = options(dir, ValidatorKey::from_seed([3; 32]), &account(&key(1)));
    let seq_key = ValidatorKey::from_seed(SEQUENCER_SEED).public_key();
    Node::open_follower(app(&opts), opts, seq_key).unwrap()
}

fn block_and_commit(n: &Node<CosmosApp>, h: u64) -> (Block, Commit) {
    (
        n.blocks().block(h).unwrap().unwrap(),
        n.blocks().commit(h).unwrap().unwrap(),
    )
}

/// What a dishonest sequencer does: signs whatever header it likes with its real key.
fn resign(block: &Block, key: &ValidatorKey) -> Commit {
    let bytes =
        tendermint_proto::Protobuf::<tendermint_proto::types::Block>::encode_vec(block.clone());
    let part = tendermint::merkle::simple_hash_from_byte_vectors::<
        tendermint::crypto::default::Sha256,
    >(&bytes.chunks(65536).map(<[u8]>::to_vec).collect::<Vec<_>>());
    let block_id = block::Id {
        hash: block.header.hash(),
        part_set_header: block::parts::Header::new(
            bytes.len().div_ceil(65536) as u32,
            tendermint::Hash::Sha256(part),
        )
        .unwrap(),
    };
    let vote = Vote {
        vote_type: vote::Type::Precommit,
        height: block.header.height,
        round: block::Round::default(),
        block_id: Some(block_id),
        timestamp: Some(block.header.time),
        validator_address: key.address(),
        validator_index: ValidatorIndex::try_from(0u32).unwrap(),
        signature: None,
        extension: vec![],
        extension_signature: None,
    };
    let sig = key.sign(&vote.into_signable_vec(block.header.chain_id.clone()));
    Commit {
        height: block.header.height,
        round: block::Round::default(),
        block_id,
        signatures: vec![CommitSig::BlockIdFlagCommit {
            validator_address: key.address(),
            timestamp: block.header.time,
            signature: Signature::new(sig).unwrap(),
        }],
    }
}

fn mismatch_field(e: &FollowError) -> &'static str {
    match e {
        FollowError::Mismatch { what, .. } => what,
        FollowError::BadSignature { .. } => "signature",
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn follower_reaches_the_sequencers_root_at_every_height() {
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let seq = sequencer(dirs.0.path(), 9);
    let top = seq.height();
    assert_eq!(top, 9);
    let failing = (1..=top)
        .flat_map(|h| seq.blocks().results(h).unwrap().unwrap().tx_results)
        .filter(|r| r.code != 0)
        .count();
    assert_eq!(failing, 3, "every third block holds one failing send");

    let f = follower(dirs.1.path());
    assert!(f.is_follower());
    assert_eq!(
        f.root_at(0).unwrap(),
        seq.root_at(0).unwrap(),
        "genesis root"
    );
    for h in 1..=top {
        let (b, c) = block_and_commit(&seq, h);
        let applied = f.apply_block(&b, &c).unwrap();
        assert_eq!(
            applied,
            Applied::New {
                height: h,
                root: seq.root_at(h).unwrap()
            }
        );
    }
    for h in 0..=top {
        assert_eq!(
            f.root_at(h).unwrap(),
            seq.root_at(h).unwrap(),
            "root after {h}"
        );
    }
    for h in 1..=top {
        assert_eq!(
            f.block_id(h).unwrap(),
            seq.block_id(h).unwrap(),
            "block id {h}"
        );
        assert_eq!(
            f.blocks().results(h).unwrap(),
            seq.blocks().results(h).unwrap(),
            "results {h}"
        );
    }
    assert_eq!(f.follow_error(), None);

    // A re-posted identical block is accepted once and changes nothing.
    let (b1, c1) = block_and_commit(&seq, 1);
    assert_eq!(
        f.apply_block(&b1, &c1).unwrap(),
        Applied::Known { height: 1 }
    );
    // The producer refuses to produce on a follower; submitted txs get a read-only answer.
    assert!(f.produce_block().is_err());
    let r = f
        .submit_tx(send_tx(&key(1), &account(&key(2)), 1, 18))
        .unwrap();
    assert_eq!(r.code, READ_ONLY_CODE);
    assert!(r.log.contains("read-only follower"), "{}", r.log);
    assert_eq!(f.height(), top);
}

#[test]
fn forged_or_corrupted_blocks_are_rejected_and_change_nothing() {
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let seq = sequencer(dirs.0.path(), 6);
    let seq_key = ValidatorKey::from_seed(SEQUENCER_SEED);
    let f = follower(dirs.1.path());
    for h in 1..=3 {
        let (b, c) = block_and_commit(&seq, h);
        f.apply_block(&b, &c).unwrap();
    }
    let root3 = f.root_at(3).unwrap();
    let (b4, c4) = block_and_commit(&seq, 4);
    let other_tx = seq.blocks().block(5).unwrap().unwrap().data[0].clone();

    let rejected = |b: &Block, c: &Commit| {
        let e = f.apply_block(b, c).unwrap_err();
        assert!(e.is_fault(), "{e}");
        assert!(e.to_string().starts_with("block 4: "), "{e}");
        assert_eq!(f.height(), 3, "{e}");
        assert_eq!(f.root_at(3).unwrap(), root3);
        assert!(f.blocks().block(4).unwrap().is_none());
        assert_eq!(f.follow_error(), Some(e.to_string()));
        e
    };

    // A changed tx: the data hash no longer matches.
    let mut b = b4.clone();
    b.data[0] = other_tx.clone();
    let e = rejected(&b, &c4);
    assert_eq!(mismatch_field(&e), "data_hash");
    let FollowError::Mismatch { expected, got, .. } = &e else {
        unreachable!()
    };
    assert_ne!(expected, got);
    assert_eq!(got, &b4.header.data_hash.unwrap().to_string());

    // The same change with a matching data hash: the header hash changes, so the
    // sequencer's commit no longer signs it.
    let mut h = b4.header.clone();
    h.data_hash = Some(tendermint::Hash::Sha256(
        tendermint::merkle::simple_hash_from_byte_vectors::<tendermint::crypto::default::Sha256>(
            &[&other_tx, &b4.data[1]]
                .iter()
                .map(|t| minitia_core::sha256(t).0.to_vec())
                .collect::<Vec<_>>(),
        ),
    ));
    let b = Block::new(
        h,
        vec![other_tx.clone(), b4.data[1].clone()],
        Default::default(),
        b4.last_commit.clone(),
    );
    assert_eq!(mismatch_field(&rejected(&b, &c4)), "signature");

    // A flipped signature byte.
    let mut c = c4.clone();
    if let CommitSig::BlockIdFlagCommit { signature, .. } = &mut c.signatures[0] {
        let mut bytes = signature.as_ref().unwrap().as_bytes().to_vec();
        bytes[7] ^= 1;
        *signature = Signature::new(bytes).unwrap();
    }
    let e = rejected(&b4, &c);
    assert!(e.to_string().contains("does not verify"), "{e}");

    // Signed by another key.
    let intruder = ValidatorKey::from_seed([77; 32]);
    assert_eq!(
        mismatch_field(&rejected(&b4, &resign(&b4, &intruder))),
        "signature"
    );

    // A wrong app hash, properly signed by the sequencer (a fraudulent state transition).
    let mut h = b4.header.clone();
    h.app_hash = AppHash::try_from(vec![0xab; 32]).unwrap();
    let b = Block::new(
        h,
        b4.data.clone(),
        Default::default(),
        b4.last_commit.clone(),
    );
    let e = rejected(&b, &resign(&b, &seq_key));
    assert_eq!(
        mismatch_field(&e),
        "app_hash (state root after the previous block)"
    );
    let FollowError::Mismatch { expected, got, .. } = &e else {
        unreachable!()
    };
    assert_eq!(expected, &hex::encode_upper(root3.0));
    assert_eq!(got, &"AB".repeat(32));

    // A block that skips a height is a gap, not a fault.
    let (b5, c5) = block_and_commit(&seq, 5);
    assert!(matches!(
        f.apply_block(&b5, &c5).unwrap_err(),
        FollowError::Gap {
            expected: 4,
            got: 5
        }
    ));
    // A different block at an applied height is a fault.
    let (b3, _) = block_and_commit(&seq, 3);
    let mut h = b3.header.clone();
    h.time = (h.time + std::time::Duration::from_millis(1)).unwrap();
    let forked = Block::new(
        h,
        b3.data.clone(),
        Default::default(),
        b3.last_commit.clone(),
    );
    let e = f
        .apply_block(&forked, &resign(&forked, &seq_key))
        .unwrap_err();
    assert_eq!(mismatch_field(&e), "already applied block hash");

    // The honest block still applies, and the follower survives a restart.
    f.apply_block(&b4, &c4).unwrap();
    assert_eq!(f.follow_error(), None);
    drop(f);
    let f = follower(dirs.1.path());
    assert_eq!(f.height(), 4);
    for h in 5..=6 {
        let (b, c) = block_and_commit(&seq, h);
        f.apply_block(&b, &c).unwrap();
        assert_eq!(f.root_at(h).unwrap(), seq.root_at(h).unwrap());
    }
}
