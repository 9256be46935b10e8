//! Injected faults against the whole bridge, in-process: the L1 node (bond, ophost, fraud
//! modules; dev clock), a `LocalDa` over the celestia-node JSON-RPC, a dev-chain sequencer,
//! the batch submitter, the bridge executor (deposits, withdrawal tree, output proposer) and
//! the challenger, whose key is the bridge's bonded challenger.
//!
//! - **wrong output root** (executor `--fault.wrong-output-root-at 2`): the challenger finds
//!   output 2's root is not the derived chain's, deletes it with `MsgDeleteOutput`, the
//!   proposer re-proposes the interval with the right root, and later outputs are checked and
//!   finalize once the L1 clock passes the finalization period.
//! - **skipped deposit** (executor `--fault.skip-deposit 2`): `deposit_late` for deposit 2,
//!   nothing about deposit 1.
//! - **withheld batch** (batcher `--fault.withhold-from 8`): `data_unavailable` for the first
//!   output above block 7.
//! - **honest run** of the same shape: zero alarms, deletions, faults and proofs; the
//!   challenger's L1 cursor is saved, and a restarted challenger resumes from it.
//! - fault injection is refused on a chain that is not a dev chain.

mod common;

mod faults_net;

use std::time::Duration;

use faults_net::*;
use l1_orchestrator::{ophost, proto as l1p};
use minitia_template::{
    bridge, challenger,
    config::NodeConfig,
    home::{create_home, HomeOptions},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn honest_run_raises_nothing_and_the_cursor_survives_a_restart() {
    let mut net = start(Faults::default()).await;
    for i in 0..3 {
        assert_eq!(net.deposit(100 + i).await, i as u64 + 1);
    }
    net.wait("three outputs checked", 120, |s| s.outputs_checked >= 3)
        .await;
    net.wait("every deposit seen finalized", 60, |s| s.next_deposit == 4)
        .await;
    let st = net.status();
    assert!(st.alarms.is_empty(), "alarms: {:?}", st.alarms);
    assert!(st.faults.is_empty() && st.proofs.is_empty() && st.deletions.is_empty());
    assert_eq!(st.output_mismatches, 0);
    assert!(st.outputs.iter().all(|o| o.matches));

    // The cursor is saved; a restarted challenger resumes from it (not from L1 height 1)
    // and goes on checking new outputs without a false alarm.
    let chome = net.dir.path().join("challenger");
    let cursor_path = NodeConfig::load(&chome)
        .unwrap()
        .data_dir(&chome)
        .join(challenger::CURSOR_FILE);
    let saved: challenger::Cursor =
        serde_json::from_slice(&std::fs::read(&cursor_path).unwrap()).unwrap();
    assert!(saved.l1_height > 1, "cursor not advanced: {saved:?}");
    let (_, t) = net.challenger.take().unwrap();
    t.stop().await;
    let derived_before = st.derived_height;
    net.start_challenger().await;
    let after = net.outputs().await.len() as u64;
    net.wait("the restarted challenger checks a new output", 120, |s| {
        s.outputs.iter().any(|o| o.index > after) && s.derived_height > derived_before
    })
    .await;
    let st = net.shutdown().await;
    assert!(
        st.alarms.is_empty(),
        "alarms after restart: {:?}",
        st.alarms
    );
    assert!(
        st.faults.is_empty(),
        "faults after restart: {:?}",
        st.faults
    );
    assert!(st.outputs.iter().all(|o| o.matches), "{:?}", st.outputs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_output_root_is_deleted_reproposed_and_later_outputs_finalize() {
    let net = start(Faults {
        wrong_root_at: Some(2),
        ..Default::default()
    })
    .await;
    net.wait("the wrong output 2 deleted", 120, |s| {
        s.deletions
            .iter()
            .any(|d| d.output_index == 2 && d.tx_hash.is_some())
    })
    .await;
    let st = net.status();
    assert_eq!(st.output_mismatches, 1, "{:?}", st.outputs);
    let wrong = st.deletions[0].l1_root.clone();
    // The proposer notices, re-proposes 2 with the derived chain's root, and goes on.
    net.wait(
        "output 2 re-proposed and matching, output 3 checked",
        120,
        |s| {
            s.outputs.iter().any(|o| o.index == 2 && o.matches)
                && s.outputs.iter().any(|o| o.index == 3 && o.matches)
        },
    )
    .await;
    let outs = net.outputs().await;
    let o2 = outs.iter().find(|o| o.0 == 2).unwrap();
    assert_ne!(
        hex::encode(&o2.2),
        wrong,
        "output 2 still has the wrong root"
    );
    assert!(outs.len() >= 3);
    // Later outputs finalize once the finalization period has passed.
    let st = net.status();
    assert!(st.alarms.is_empty(), "alarms: {:?}", st.alarms);
    assert!(st.faults.is_empty() && st.proofs.is_empty());
    assert_eq!(st.deletions.len(), 1, "{:?}", st.deletions);
    assert_eq!(net.last_finalized().await, 0);
    let l1 = &net.l1;
    l1.clock
        .advance(Duration::from_secs(FINALIZATION_SECS as u64 + 1))
        .unwrap();
    let l1c = net.l1c.clone();
    let bridge = net.bridge;
    let mut finalized = 0;
    for _ in 0..200 {
        let r: l1p::QueryLastFinalizedOutputResponse = l1c
            .query_proto(
                ophost::query::LAST_FINALIZED_OUTPUT,
                &l1p::QueryBridgeRequest { bridge_id: bridge },
                None,
            )
            .await
            .unwrap();
        finalized = r.output_index;
        if finalized >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(finalized >= 3, "last finalized output is {finalized}");
    // Deleting a wrong root over a sound chain voids no block: a follower starting now
    // derives the one chain there is, past the deleted output's blocks.
    let past = net.outputs().await.last().expect("outputs").1;
    let (fnode, mut deriver) = net.follower("late-follower").await;
    net.derive_to(&fnode, &mut deriver, past, "the late follower")
        .await;
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn skipped_deposit_is_reported_late() {
    let net = start(Faults {
        skip_deposit: Some(2),
        ..Default::default()
    })
    .await;
    for i in 0..3 {
        net.deposit(10 + i).await;
    }
    net.wait("deposit 2 reported late", 120, |s| {
        s.alarms
            .iter()
            .any(|a| a.kind == "deposit_late" && a.subject == 2)
    })
    .await;
    let st = net.shutdown().await;
    assert_eq!(kinds(&st), vec![("deposit_late".to_string(), 2)]);
    assert_eq!(st.next_deposit, 2);
    assert!(st.faults.is_empty() && st.deletions.is_empty() && st.proofs.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn withheld_batch_is_reported_unavailable() {
    let net = start(Faults {
        withhold_from: Some(8),
        ..Default::default()
    })
    .await;
    net.wait("an output over withheld data reported", 120, |s| {
        s.alarms.iter().any(|a| a.kind == "data_unavailable")
    })
    .await;
    assert!(
        net.node().height() > 8,
        "the sequencer is at {}",
        net.node().height()
    );
    let b = net.batcher.get();
    assert!(
        b.next_height <= 8,
        "the batcher posted past the withheld height: {b:?}"
    );
    let st = net.shutdown().await;
    assert!(st.derived_height < 8, "derived {}", st.derived_height);
    assert!(
        st.alarms.iter().all(|a| a.kind == "data_unavailable"),
        "{:?}",
        st.alarms
    );
    assert!(st.deletions.is_empty() && st.faults.is_empty() && st.proofs.is_empty());
}

/// The whole recovery: the sequencer applies a wrong state transition at block `bad`; the
/// challenger proves it on the L1 (fraud proof: the output over it and every later one
/// deleted, the proposer slashed); the rollup is stopped and rolled back to the last output
/// the L1 still has (`minitia rollback`); the proposer bonds again; the restarted rollup
/// replays its valid blocks, re-includes the discarded txs, re-posts the batches and
/// re-proposes the deleted outputs with honest roots, which finalize.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_state_is_proven_then_the_rollup_rolls_back_reproposes_and_finalizes() {
    use minitia_chain::node::InjectedWrite;
    let mut net = start(Faults::default()).await;
    // A follower that runs through the incident, polling the L1 as a live one does.
    let (enode, mut early) = net.follower("early-follower").await;
    // And a follower process (`minitia start --follow`), which rolls itself back live.
    let live = LiveFollower::start(&net, "live-follower").await;
    // And a second challenger process (`minitia challenger --challenger.watch-only`), which
    // also rolls its node back live.
    let (watcher_url, watcher_stop, watcher) = {
        let (home, cfg) = live_home(&net, "live-challenger");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            challenger::run_challenger(
                &home,
                &cfg,
                None,
                listener,
                challenger::ChallengerOptions {
                    poll_interval: Duration::from_millis(100),
                    max_backoff: Duration::from_millis(400),
                    ..Default::default()
                },
                async move {
                    let _ = rx.await;
                },
            )
            .await
        });
        (url, stop, task)
    };
    let stop_early = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let early_task = {
        let stop = stop_early.clone();
        tokio::spawn(async move {
            let mut last = Ok(0);
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                last = early.poll().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (early, last)
        })
    };
    // A wrong write at a block past the first output, so one output stays valid.
    net.wait("output 1 checked", 120, |s| {
        s.outputs.iter().any(|o| o.index == 1 && o.matches)
    })
    .await;
    let bad = net.node().height() + 25;
    net.node().inject_wrong_state(InjectedWrite {
        height: bad,
        key: b"bank/balances/forged".to_vec(),
        value: b"1000000".to_vec(),
    });
    // The moment the challenger has a proof, stop the rollup: its executor must not
    // re-propose outputs over the bad block.
    let start_wait = std::time::Instant::now();
    loop {
        if !net.status().proofs.is_empty() {
            break;
        }
        assert!(
            start_wait.elapsed() < Duration::from_secs(120),
            "no fraud proof within 120 s: {:?}",
            net.status()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    net.stop_rollup().await;
    net.wait("the fraud proof accepted", 60, |s| {
        s.proofs.iter().any(|p| p.fault_proven == Some(true))
    })
    .await;
    let st = net.status();
    let proof = st
        .proofs
        .iter()
        .find(|p| p.fault_proven == Some(true))
        .unwrap();
    assert_eq!(proof.height, bad, "the proof names the bad block");
    let deleted_from = proof.output_index;
    let left = net.outputs().await;
    assert!(
        left.iter().all(|o| o.0 < deleted_from && o.1 < bad),
        "outputs over the bad block remain: {left:?} (deleted from {deleted_from})"
    );
    let keep = left.last().expect("output 1 stays").1;
    // The early follower derived the chain the L1 held before the deletion, up to the bad
    // block (which it refuses: the next header's root is not what the block gives).
    stop_early.store(true, std::sync::atomic::Ordering::SeqCst);
    let (mut early, early_result) = early_task.await.unwrap();
    let early_tip = enode.height();
    assert!(
        early_tip > keep,
        "the early follower derived only to {early_tip} ({early_result:?}), not past {keep}"
    );

    let mut live = live;
    live.max_height_before_restart = live.height().await.unwrap_or(0);
    // minitia rollback --to-height <last remaining output's L2 block>.
    let (app_config, _) = minitia_template::run::node_options(&net.seq_home, &net.cfg).unwrap();
    let app = minitia_template::run::cosmos_app(app_config, vec![]);
    let r = minitia_template::recovery::rollback_home(&net.seq_home, &net.cfg, &app, keep).unwrap();
    assert_eq!(r.node.to_height, keep, "{r:?}");
    assert_eq!(r.batcher_next_start, Some(keep + 1), "{r:?}");

    // The slashed proposer bonds again; the rollup restarts on the same home.
    let proposer = common::l1_submitter(
        L1_CHAIN,
        &net.l1.url,
        bridge::load_signing_key(&net.seq_home, "proposer").unwrap(),
    );
    common::bond(&proposer, BOND).await;
    net.spawn_rollup().await;
    let l1c = net.l1c.clone();
    let bridge_id = net.bridge;
    // The deleted outputs come back, over the new (honest) blocks.
    let start_wait = std::time::Instant::now();
    let reproposed = loop {
        let outs = net.outputs().await;
        if let Some(o) = outs.iter().find(|o| o.0 == deleted_from + 1) {
            break outs
                .iter()
                .find(|x| x.0 == deleted_from)
                .cloned()
                .unwrap_or(o.clone());
        }
        assert!(
            start_wait.elapsed() < Duration::from_secs(120),
            "outputs {deleted_from} and {} not re-proposed: {outs:?}",
            deleted_from + 1
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(reproposed.0, deleted_from);
    // The new chain is the honest one: its roots equal a clean replay of its blocks.
    let h = net.node().height();
    assert!(
        h > bad,
        "the rollup did not get past the old bad block ({h} <= {bad})"
    );
    let replay = minitia_chain::node::replay_roots(
        &app,
        &minitia_chain::node::genesis::GenesisDoc::load(&net.seq_home.join("genesis.json"))
            .unwrap(),
        net.node().blocks(),
        tempfile::tempdir().unwrap().path(),
    )
    .unwrap();
    for (i, root) in replay.iter().enumerate().take(h as usize).skip(1) {
        assert_eq!(
            net.node().root_at(i as u64).unwrap(),
            *root,
            "root at height {i} differs from a clean replay"
        );
    }
    // The re-proposed outputs finalize once the finalization period passes on the L1.
    net.l1
        .clock
        .advance(Duration::from_secs(FINALIZATION_SECS as u64 + 1))
        .unwrap();
    let mut finalized = 0;
    for _ in 0..200 {
        let r: l1p::QueryLastFinalizedOutputResponse = l1c
            .query_proto(
                ophost::query::LAST_FINALIZED_OUTPUT,
                &l1p::QueryBridgeRequest { bridge_id },
                None,
            )
            .await
            .unwrap();
        finalized = r.output_index;
        if finalized > deleted_from {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        finalized > deleted_from,
        "last finalized output is {finalized}, re-proposed ones start at {deleted_from}"
    );

    // A follower that starts now derives the re-posted chain: the L1 still holds the records
    // of the voided blocks, but they come before the deletion, so they are superseded above
    // the last output left.
    let (fnode, mut deriver) = net.follower("late-follower").await;
    net.derive_to(&fnode, &mut deriver, bad + 3, "the late follower")
        .await;

    // The early follower applied voided blocks above the last output left: it stops with
    // the rollback to run, and after it follows the re-posted chain.
    match early.poll().await {
        Err(minitia_template::follower::FollowerError::RolledBack { rollback_to, .. }) => {
            assert_eq!(rollback_to, keep)
        }
        other => panic!("the early follower should ask for a rollback to {keep}, got {other:?}"),
    }
    drop((early, enode));
    let ehome = net.dir.path().join("early-follower");
    let ecfg = minitia_template::config::NodeConfig::load(&ehome).unwrap();
    minitia_template::recovery::rollback_home(&ehome, &ecfg, &app, keep).unwrap();
    let (enode, mut early) = net.follower("early-follower").await;
    net.derive_to(&enode, &mut early, bad + 3, "the rolled-back follower")
        .await;

    // The follower process had applied voided blocks above `keep` too; it rolled itself
    // back (its RPC shows the sequencer's new blocks at those heights) and kept going.
    assert!(
        live.max_height_before_restart > keep,
        "the live follower derived only to {} before the rollback, not past {keep}",
        live.max_height_before_restart
    );
    live.wait_matches_sequencer(&net, bad + 3).await;
    let st = live.status().await;
    assert_eq!(st["rollbacks"], 1, "{st}");
    assert_eq!(st["halted"], false, "{st}");
    live.stop().await;

    // The watch-only challenger found the fault, rolled back, and checks the new chain: it
    // derives past the old bad block with no new fault, and the re-proposed outputs match.
    let start_wait = std::time::Instant::now();
    loop {
        let st = common::http_json(&watcher_url, "/status").await;
        let matched = st["outputs"].as_array().is_some_and(|o| {
            o.iter()
                .any(|o| o["index"] == deleted_from && o["matches"] == true)
        });
        if st["rollbacks"] == 1 && st["derived_height"].as_u64().unwrap_or(0) > bad + 2 && matched {
            let faults = st["faults"].as_array().unwrap();
            assert_eq!(faults.len(), 1, "only the original fault is kept: {st}");
            assert_eq!(faults[0]["height"], bad, "{st}");
            break;
        }
        assert!(
            start_wait.elapsed() < Duration::from_secs(90),
            "the watch-only challenger did not roll back and check the new chain: {st}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = watcher_stop.send(());
    let r = watcher.await.unwrap();
    assert!(r.is_ok(), "{r:?}");
    net.shutdown().await;
}

/// `minitia start --follow` as a task, on its own home and RPC port.
struct LiveFollower {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), minitia_template::run::RunError>>,
    /// Highest height its RPC reported before the rollup restarted (set by the test).
    max_height_before_restart: u64,
}

/// A home `name` for another process of the minitia ([`Net::home`]) with a free RPC port.
fn live_home(net: &Net, name: &str) -> (std::path::PathBuf, NodeConfig) {
    let (home, mut cfg) = net.home(name);
    cfg.rpc.listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    (home, cfg)
}

impl LiveFollower {
    async fn start(net: &Net, name: &str) -> Self {
        let (home, cfg) = live_home(net, name);
        let url = format!("http://{}", cfg.rpc.listen);
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            minitia_template::follower::run_follower_with(&home, &cfg, vec![], async move {
                let _ = rx.await;
            })
            .await
        });
        Self {
            url,
            stop: Some(stop),
            task,
            max_height_before_restart: 0,
        }
    }

    fn client(&self) -> tendermint_rpc::HttpClient {
        tendermint_rpc::HttpClient::builder(self.url.parse().unwrap())
            .compat_mode(tendermint_rpc::client::CompatMode::V0_38)
            .build()
            .unwrap()
    }

    async fn height(&self) -> Option<u64> {
        use tendermint_rpc::Client;
        let s = self.client().status().await.ok()?;
        Some(s.sync_info.latest_block_height.value())
    }

    async fn status(&self) -> serde_json::Value {
        common::http_json(&self.url, "/follower_status").await
    }

    /// Waits (90 s at most; the RPC is down while it rolls back) until the follower is at
    /// `target` or past it with the sequencer's block at every height.
    async fn wait_matches_sequencer(&self, net: &Net, target: u64) {
        use tendermint_rpc::Client;
        let start = std::time::Instant::now();
        loop {
            let mut ok = false;
            if let Some(h) = self.height().await {
                if h >= target {
                    ok = true;
                    for i in 1..=h {
                        let theirs = self.client().block(i as u32).await.ok().map(|b| b.block_id);
                        if theirs != net.node().block_id(i).unwrap() {
                            ok = false;
                            break;
                        }
                    }
                }
            }
            if ok {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "the live follower is at {:?}, not at {target} with the sequencer's blocks; status {}",
                self.height().await,
                self.status().await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let r = self.task.await.unwrap();
        assert!(r.is_ok(), "{r:?}");
    }
}

#[test]
fn fault_injection_is_refused_on_a_chain_that_is_not_a_dev_chain() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("prod");
    create_home(&home, &HomeOptions::new("prod"), &mut |_| {}).unwrap();
    let e = bridge::require_dev_chain(&home).unwrap_err();
    assert!(e.contains("not a dev chain"), "{e}");
}
