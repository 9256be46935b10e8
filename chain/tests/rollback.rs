//! Rolling a stopped node back past a wrong state transition: the replay is checked against
//! the chain's own app hashes, every tx of the discarded blocks comes back through the
//! mempool, the new chain equals a clean replay, and a crash in the middle of the file swap
//! is finished by the next open. Refusals (above the tip, past the divergence, node running)
//! change nothing.

mod bank_node;

use std::path::Path;

use bank_node::{account, app, key};
use minitia_chain::node::{
    keys::ValidatorKey,
    replay_roots,
    rollback::{finish_pending, rollback, RollbackError},
    InjectedWrite, Node, NodeOptions,
};
use minitia_core::Hash32;

const CHAIN_ID: &str = "minitia-rollback-1";

fn options(dir: &Path) -> NodeOptions {
    bank_node::options(
        CHAIN_ID,
        dir,
        ValidatorKey::from_seed([9; 32]),
        &account(&key(1)),
    )
}

/// The send of account sequence `seq` from the funded account, to one of three recipients.
fn send_tx(seq: u64) -> Vec<u8> {
    let to = account(&key(10 + (seq % 3) as u8));
    bank_node::send_tx(CHAIN_ID, &key(1), &to, 1000 + u128::from(seq), seq)
}

/// Six blocks of two sends each, a wrong state transition injected at block 4, and one
/// more send left pending in the mempool. Returns the roots after heights 0..=6.
fn bad_chain(dir: &Path) -> Vec<Hash32> {
    let opts = options(dir);
    let node = Node::open(app(&opts), opts).unwrap();
    node.inject_wrong_state(InjectedWrite {
        height: 4,
        key: b"bank/bogus".to_vec(),
        value: b"minted from nothing".to_vec(),
    });
    for h in 1..=6u64 {
        for j in 0..2 {
            let r = node.submit_tx(send_tx((h - 1) * 2 + j)).unwrap();
            assert_eq!(r.code, 0, "{}", r.log);
        }
        assert_eq!(node.produce_block().unwrap(), Some(h));
    }
    assert_eq!(node.submit_tx(send_tx(12)).unwrap().code, 0);
    (0..=6).map(|h| node.root_at(h).unwrap()).collect()
}

/// What a node opened on `dir` holds: tip, the root after every height, mempool size.
fn files(dir: &Path) -> (u64, Vec<Hash32>, usize) {
    let opts = options(dir);
    let node = Node::open(app(&opts), opts).unwrap();
    let roots = (0..=node.height())
        .map(|h| node.root_at(h).unwrap())
        .collect();
    (node.height(), roots, node.mempool_len())
}

#[test]
fn rollback_discards_a_wrong_state_transition_and_keeps_every_tx() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bad = bad_chain(dir);
    let opts = options(dir);
    let before = files(dir);

    // Past the divergence: refused, naming the height, and nothing changes.
    match rollback(&app(&opts), &opts.genesis, dir, 5) {
        Err(RollbackError::Diverged {
            height: 4,
            below: 4,
            ..
        }) => {}
        other => panic!("expected divergence at 4, got {other:?}"),
    }
    match rollback(&app(&opts), &opts.genesis, dir, 7) {
        Err(RollbackError::AboveTip { to: 7, tip: 6 }) => {}
        other => panic!("expected above tip, got {other:?}"),
    }
    assert!(files(dir) == before, "a refused rollback changes nothing");
    assert!(!dir.join("rollback").exists());

    let report = rollback(&app(&opts), &opts.genesis, dir, 3).unwrap();
    assert_eq!((report.from_height, report.to_height), (6, 3));
    assert_eq!(report.root, bad[3]);
    assert_eq!((report.requeued_txs, report.pending_txs), (6, 1));
    assert!(
        !report.diverged_after_target,
        "block 4 recorded the right root after 3"
    );
    assert!(
        files(&report.backup_dir) == before,
        "the old chain is kept in the backup"
    );

    let node = Node::open(app(&opts), opts.clone()).unwrap();
    assert_eq!(node.height(), 3);
    for (h, root) in bad.iter().enumerate().take(4) {
        assert_eq!(&node.root_at(h as u64).unwrap(), root, "root {h} unchanged");
    }
    assert_eq!(node.mempool_len(), 7, "discarded and pending txs are back");
    while node.produce_block().unwrap().is_some() {}
    let mut txs = Vec::new();
    for h in 4..=node.height() {
        let results = node.blocks().results(h).unwrap().unwrap();
        assert!(results.tx_results.iter().all(|r| r.code == 0), "block {h}");
        txs.extend(node.blocks().block(h).unwrap().unwrap().data);
    }
    assert_eq!(
        txs,
        (6..13).map(send_tx).collect::<Vec<_>>(),
        "every tx, in order"
    );
    assert_eq!(node.mempool_len(), 0);
    assert_ne!(
        node.root_at(4).unwrap(),
        bad[4],
        "the wrong transition is gone"
    );

    // The new chain is exactly what a clean replay of its blocks gives.
    let scratch = tempfile::tempdir().unwrap();
    let replayed = replay_roots(&app(&opts), &opts.genesis, node.blocks(), scratch.path()).unwrap();
    let roots: Vec<Hash32> = (0..=node.height())
        .map(|h| node.root_at(h).unwrap())
        .collect();
    assert_eq!(replayed, roots);
}

#[test]
fn rollback_is_refused_while_the_node_runs() {
    let tmp = tempfile::tempdir().unwrap();
    bad_chain(tmp.path());
    let opts = options(tmp.path());
    let before = files(tmp.path());
    let node = Node::open(app(&opts), opts.clone()).unwrap();
    let err = rollback(&app(&opts), &opts.genesis, tmp.path(), 2).unwrap_err();
    assert!(matches!(err, RollbackError::Node(_)), "{err}");
    assert_eq!(node.height(), 6);
    drop(node);
    assert!(files(tmp.path()) == before);
}

#[test]
fn a_swap_interrupted_by_a_crash_is_finished_by_the_next_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bad = bad_chain(dir);
    let opts = options(dir);
    let report = rollback(&app(&opts), &opts.genesis, dir, 2).unwrap();

    // Rebuild the state a crash leaves after the marker was written and `state.redb` was
    // moved to the backup, before the staged `state.redb` was moved in: live `blocks.redb`
    // still the old one, both new files staged.
    let staging = dir.join("rollback");
    std::fs::create_dir(&staging).unwrap();
    for f in ["state.redb", "blocks.redb"] {
        std::fs::rename(dir.join(f), staging.join(f)).unwrap();
    }
    std::fs::rename(
        report.backup_dir.join("blocks.redb"),
        dir.join("blocks.redb"),
    )
    .unwrap();
    std::fs::write(
        staging.join("COMPLETE"),
        serde_json::to_vec(&report).unwrap(),
    )
    .unwrap();

    let node = Node::open(app(&opts), opts.clone()).unwrap();
    assert_eq!(node.height(), 2);
    assert_eq!(node.root_at(2).unwrap(), bad[2]);
    assert_eq!(node.mempool_len(), 9);
    assert!(!staging.exists());
    assert!(report.backup_dir.join("blocks.redb").exists());
    assert!(report.backup_dir.join("state.redb").exists());
    drop(node);

    // A staging dir without the marker (a crash while building) is ignored by open and
    // discarded by the next rollback.
    std::fs::create_dir(&staging).unwrap();
    std::fs::write(staging.join("state.redb"), b"half written").unwrap();
    assert_eq!(finish_pending(dir).unwrap(), None);
    let node = Node::open(app(&opts), opts.clone()).unwrap();
    assert_eq!(node.height(), 2);
    drop(node);
    let again = rollback(&app(&opts), &opts.genesis, dir, 1).unwrap();
    assert!(!again.diverged_after_target);
    assert_eq!((again.from_height, again.to_height), (2, 1));
    assert!(!staging.exists());
}

#[test]
fn rollback_to_the_height_of_the_wrong_transition_repairs_its_state() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bad = bad_chain(dir);
    let opts = options(dir);
    let report = rollback(&app(&opts), &opts.genesis, dir, 4).unwrap();
    assert!(
        report.diverged_after_target,
        "block 5 recorded the bogus root"
    );
    assert_ne!(report.root, bad[4]);
    assert_eq!((report.requeued_txs, report.pending_txs), (4, 1));
    let node = Node::open(app(&opts), opts.clone()).unwrap();
    assert_eq!(node.height(), 4);
    assert_eq!(node.root_at(3).unwrap(), bad[3]);
    assert_eq!(node.root_at(4).unwrap(), report.root);
    node.produce_block().unwrap();
    let next = node.blocks().block(5).unwrap().unwrap();
    assert_eq!(next.header.app_hash.as_bytes(), report.root.as_bytes());
}
