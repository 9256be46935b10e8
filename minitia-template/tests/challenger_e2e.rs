//! The challenger against real servers in-process: the L1 node (l1-orchestrator, bond and
//! fraud modules) with a bridge whose metadata names the `cosmos` engine, a `LocalDa` served
//! over the celestia-node JSON-RPC, a sequencer minitia node, the batch submitter, and an
//! output proposed with `MsgProposeOutput` for the sequencer's chain (root
//! `sha3(1 ‖ empty withdrawal tree ‖ hash(M))`, as the bridge proposer computes it).
//!
//! - With a wrong state transition injected at block `H` (dev chain), the challenger derives
//!   the chain, halts at `H`, proves it, and the L1 deletes the output and slashes the
//!   proposer (half its bond to the challenger).
//! - With an honest sequencer the challenger checks the output, finds it right and submits
//!   nothing; on a non-dev chain fault injection is refused.

mod common;

use std::{path::Path, sync::Arc, time::Duration};

use cosmrs::{bank::MsgSend, Coin};
use l1_orchestrator::{bond, ophost, proto as l1p};
use minitia_chain::{
    app::CosmosApp,
    client::{RemoteChain, SubmitterConfig, TxSubmitter},
    node::{genesis::GenesisDoc, Node},
};
use minitia_core::{
    opinit::{output_root, WithdrawalTree},
    Hash32,
};
use minitia_da::{
    batch::namespace_for_chain, retry::RetryPolicy, CelestiaDaConfig, LocalDaConfig, LocalDaServer,
    MAX_BLOB_SIZE,
};
use minitia_fraud_proofs::EngineSpec;
use minitia_template::{
    batcher::{signing_key, Batcher, BatcherConfig, LazyCelestiaDa, StatusHandle},
    challenger::{self, Challenger, ChallengerOptions, ChallengerStatus},
    config::NodeConfig,
    follower::{self, L1Records},
    home::{create_home, AccountKey, HomeOptions},
};
use prost::Message;

const L1_CHAIN: &str = "initiation-challenge-1";
const DA_TOKEN: &str = "challenger-test-token";
const BOND: u128 = 1_000_000;

struct Sequencer {
    node: Arc<Node<CosmosApp>>,
    home: std::path::PathBuf,
    url: String,
    chain_id: String,
    dev: AccountKey,
    seq: AccountKey,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// A sequencer on a dev chain (`app_state.minitia.dev = true`), with a wrong state
/// transition at `fault_at` if given.
async fn start_sequencer(dir: &Path, fault_at: Option<u64>) -> Sequencer {
    let home = dir.join("seq");
    let created = create_home(&home, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
    let gpath = home.join("genesis.json");
    let mut g: serde_json::Value = serde_json::from_slice(&std::fs::read(&gpath).unwrap()).unwrap();
    g["app_state"]["minitia"]["dev"] = serde_json::Value::Bool(true);
    std::fs::write(&gpath, serde_json::to_vec_pretty(&g).unwrap()).unwrap();
    let mut cfg = NodeConfig::load(&home).unwrap();
    cfg.sequencer.create_empty_blocks = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    cfg.rpc.listen = addr;
    let node = minitia_template::run::open_node(&home, &cfg).unwrap();
    if let Some(h) = fault_at {
        challenger::inject_wrong_state(&node, &g, h).unwrap();
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let n = node.clone();
    let task = tokio::spawn(async move {
        n.run(listener, Duration::from_millis(100), async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let seq = AccountKey::load(&minitia_template::home::key_path(&home, "sequencer")).unwrap();
    Sequencer {
        node,
        home,
        url: format!("http://{addr}"),
        chain_id: created.chain_id.clone(),
        dev: created.dev.clone(),
        seq,
        stop: Some(tx),
        task: Some(task),
    }
}

fn any(type_url: &str, m: impl Message) -> cosmrs::Any {
    cosmrs::Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

async fn bonded(l1: &RemoteChain, a: &str) -> u128 {
    let r: bond::QueryBondResponse = l1
        .query_proto(
            bond::Q_BOND,
            &bond::QueryBondRequest { address: a.into() },
            None,
        )
        .await
        .unwrap();
    r.bonded.map_or(0, |c| c.amount.parse().unwrap())
}

async fn outputs(l1: &RemoteChain, bridge: u64) -> Vec<(u64, u64)> {
    let o: l1p::QueryOutputProposalsResponse = l1
        .query_proto(
            ophost::query::OUTPUT_PROPOSALS,
            &l1p::QueryBridgePageRequest {
                bridge_id: bridge,
                pagination: None,
            },
            None,
        )
        .await
        .unwrap();
    o.output_proposals
        .iter()
        .map(|p| {
            (
                p.output_index,
                p.output_proposal.as_ref().unwrap().l2_block_number,
            )
        })
        .collect()
}

async fn create_bridge(sub: &TxSubmitter, challenger: &str, seq_home: &Path) -> u64 {
    let me = sub.address();
    let g = GenesisDoc::load(&seq_home.join("genesis.json")).unwrap();
    let spec = EngineSpec {
        kind: "cosmos".into(),
        chain_id: g.chain_id.clone(),
        chain: g.params().unwrap(),
    };
    let config = l1p::BridgeConfig {
        challenger: challenger.into(),
        proposer: me.clone(),
        batch_info: Some(l1p::BatchInfo {
            submitter: me.clone(),
            chain_type: 2,
        }),
        submission_interval: Some(l1p::Duration::from_secs(60)),
        finalization_period: Some(l1p::Duration::from_secs(3600)),
        submission_start_height: 1,
        metadata: spec.to_bridge_metadata(),
        ..Default::default()
    };
    let t = sub
        .submit(
            vec![any(
                ophost::msg::CREATE_BRIDGE,
                l1p::MsgCreateBridge {
                    creator: me,
                    config: Some(config),
                },
            )],
            "",
        )
        .await
        .unwrap();
    t.attr("create_bridge", "bridge_id")
        .unwrap()
        .parse()
        .unwrap()
}

fn spawn_batcher(
    seq: &Sequencer,
    bridge: u64,
    sub: Arc<TxSubmitter>,
    da: LazyCelestiaDa,
) -> (
    StatusHandle,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let cfg = BatcherConfig {
        l2_rpc: seq.url.clone(),
        bridge_id: bridge,
        namespace: namespace_for_chain(&seq.chain_id),
        interval: Duration::from_millis(300),
        max_blocks: 15,
        max_blob_bytes: MAX_BLOB_SIZE,
        inline_chunk_bytes: 2_048,
        retry: RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(400),
            failover_after: Some(Duration::from_secs(30)),
        },
        wal_dir: seq.home.join("data/batcher"),
        first_height: 1,
        poll: Duration::from_millis(50),
        withhold_from: None,
    };
    let mut b = Batcher::new(cfg, sub, Some(da)).unwrap();
    let status = b.status_handle();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        b.run(async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (status, stop, task)
}

/// Sends `n` bank transfers on the sequencer from the dev account.
async fn load(s: &Sequencer, n: usize) {
    let mut cfg = SubmitterConfig::new(s.chain_id.clone(), "init", "0.15umin".parse().unwrap());
    cfg.inclusion_timeout = Duration::from_secs(20);
    let sub = TxSubmitter::new(
        RemoteChain::new(&s.url).unwrap(),
        signing_key(&s.dev).unwrap(),
        cfg,
    )
    .unwrap();
    let from: cosmrs::AccountId = sub.address().parse().unwrap();
    let to: cosmrs::AccountId = s.seq.address.parse().unwrap();
    for i in 0..n {
        let msg = MsgSend {
            from_address: from.clone(),
            to_address: to.clone(),
            amount: vec![Coin {
                denom: "umin".parse().unwrap(),
                amount: 1 + i as u128,
            }],
        };
        let any = cosmrs::tx::Msg::to_any(&msg).unwrap();
        sub.submit(vec![any], &format!("load {i}")).await.unwrap();
    }
}

struct Outcome {
    status: ChallengerStatus,
    outputs_after: Vec<(u64, u64)>,
    proposer_bond_before: u128,
    proposer_bond_after: u128,
    challenger_bond_after: u128,
    fault_at: Option<u64>,
}

/// The whole network; the output is proposed at `m` for the sequencer's chain.
async fn scenario(fault_at: Option<u64>, m: u64) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let seq = start_sequencer(dir.path(), fault_at).await;
    let challenger_key = AccountKey::generate("challenger", "init").unwrap();
    let l1 = common::start_l1(
        L1_CHAIN,
        BOND,
        &dir.path().join("l1"),
        &[seq.seq.address.clone(), challenger_key.address.clone()],
    )
    .await;
    let l1c = RemoteChain::new(&l1.url).unwrap();
    let sub = Arc::new(common::l1_submitter(
        L1_CHAIN,
        &l1.url,
        signing_key(&seq.seq).unwrap(),
    ));
    let csub = Arc::new(common::l1_submitter(
        L1_CHAIN,
        &l1.url,
        signing_key(&challenger_key).unwrap(),
    ));
    let bridge = create_bridge(&sub, &csub.address(), &seq.home).await;
    common::bond(&sub, BOND).await;
    common::bond(&csub, BOND).await;
    let mut dc = LocalDaConfig::new(dir.path().join("da"));
    dc.block_time = Duration::from_millis(100);
    dc.auth_token = Some(DA_TOKEN.into());
    dc.wait_timeout = Duration::from_secs(10);
    let da = LocalDaServer::start(dc, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let lazy_da = || {
        let mut c = CelestiaDaConfig::new(
            format!("http://{}", da.addr()),
            namespace_for_chain(&seq.chain_id),
        );
        c.auth_token = Some(DA_TOKEN.into());
        c.timeout = Duration::from_secs(15);
        LazyCelestiaDa::new(c)
    };
    let (bstatus, bstop, btask) = spawn_batcher(&seq, bridge, sub.clone(), lazy_da());
    load(&seq, 3).await;
    let node = seq.node.clone();
    common::wait_for("the sequencer to pass the output height", 60, || {
        node.height() > m + 1
    })
    .await;
    common::wait_for("the batcher to post the output's blocks", 60, || {
        bstatus.get().next_height > m + 1
    })
    .await;

    // The proposer posts the output for block m of the sequencer's chain (no withdrawals).
    let hash_m =
        Hash32::from_slice(seq.node.block_id(m).unwrap().unwrap().hash.as_bytes()).unwrap();
    let root = output_root(1, &WithdrawalTree::new(vec![]).root(), &hash_m);
    sub.submit(
        vec![any(
            ophost::msg::PROPOSE_OUTPUT,
            l1p::MsgProposeOutput {
                proposer: sub.address(),
                bridge_id: bridge,
                output_index: 1,
                l2_block_number: m,
                output_root: root.0.to_vec(),
            },
        )],
        "",
    )
    .await
    .unwrap();
    assert_eq!(outputs(&l1c, bridge).await, vec![(1, m)]);
    let proposer_bond_before = bonded(&l1c, &sub.address()).await;
    assert!(proposer_bond_before >= BOND);

    // The challenger: its own home (the chain's genesis), its own data dir.
    let chome = dir.path().join("challenger");
    create_home(&chome, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
    std::fs::copy(seq.home.join("genesis.json"), chome.join("genesis.json")).unwrap();
    let mut ccfg = NodeConfig::load(&chome).unwrap();
    ccfg.l1.rpc = l1.url.clone();
    ccfg.l1.bridge_id = bridge;
    let cnode = follower::open_follower_node(&chome, &ccfg, |c| {
        minitia_template::run::cosmos_app(c, vec![])
    })
    .unwrap();
    let source = L1Records::for_bridge(l1c.clone(), bridge).await.unwrap();
    let c = Challenger::new(
        cnode.clone(),
        source,
        Some(lazy_da()),
        l1c.clone(),
        bridge,
        Some(csub.clone()),
    )
    .unwrap();
    let status = c.status();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let status_addr = listener.local_addr().unwrap();
    let (sstop, srx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(challenger::serve_status(
        status.clone(),
        listener,
        async move {
            let _ = srx.await;
        },
    ));
    let (cstop, crx) = tokio::sync::oneshot::channel::<()>();
    let ctask = tokio::spawn(c.run(
        ChallengerOptions {
            poll_interval: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            ..Default::default()
        },
        async move {
            let _ = crx.await;
        },
    ));
    let st = status.clone();
    if fault_at.is_some() {
        common::wait_for("the challenger's proof to be judged", 120, || {
            st.lock()
                .unwrap()
                .proofs
                .iter()
                .any(|p| p.fault_proven.is_some() || !p.l1_result.is_empty())
        })
        .await;
    } else {
        common::wait_for("the challenger to check the output", 120, || {
            st.lock().unwrap().outputs_checked >= 1
        })
        .await;
        // Keep deriving a few more blocks past the check: nothing must be flagged.
        let checked_at = st.lock().unwrap().derived_height;
        common::wait_for(
            "the challenger to derive past the checked output",
            60,
            || st.lock().unwrap().derived_height >= checked_at + 3,
        )
        .await;
    }
    // GET /status over HTTP shows the same.
    let body = common::http_get(status_addr, "/status").await;
    let served: ChallengerStatus = serde_json::from_str(&body).unwrap();
    assert_eq!(served.bridge_id, bridge);
    assert_eq!(served.challenger, csub.address());
    let _ = cstop.send(());
    ctask.await.unwrap().unwrap();
    let _ = sstop.send(());
    server.await.unwrap().unwrap();
    let _ = bstop.send(());
    btask.await.unwrap();
    let final_status = status.lock().unwrap().clone();
    let out = Outcome {
        status: final_status,
        outputs_after: outputs(&l1c, bridge).await,
        proposer_bond_before,
        proposer_bond_after: bonded(&l1c, &sub.address()).await,
        challenger_bond_after: bonded(&l1c, &csub.address()).await,
        fault_at,
    };
    let _ = seq.stop.unwrap().send(());
    seq.task.unwrap().await.unwrap();
    drop(da);
    drop(l1);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn challenger_proves_an_injected_wrong_state_transition() {
    let o = scenario(Some(4), 7).await;
    let st = &o.status;
    assert_eq!(st.faults.len(), 1, "{st:?}");
    assert_eq!(Some(st.faults[0].height), o.fault_at, "{st:?}");
    assert!(st.faults[0].state_transition, "{st:?}");
    assert!(st.faults[0].reason.contains("app_hash"), "{st:?}");
    assert_eq!(
        st.derived_height, 4,
        "derivation halts at the faulty block: {st:?}"
    );
    assert_eq!(st.proofs.len(), 1, "{st:?}");
    let p = &st.proofs[0];
    assert_eq!((p.output_index, p.height), (1, 4), "{p:?}");
    assert!(p.local_verdict.starts_with("Fault"), "{p:?}");
    assert_eq!(p.fault_proven, Some(true), "{p:?}");
    assert!(p.tx_hash.is_some(), "{p:?}");
    // The L1 deleted the output and slashed the proposer (half to the challenger).
    assert!(o.outputs_after.is_empty(), "{:?}", o.outputs_after);
    assert_eq!(o.proposer_bond_after, 0);
    assert_eq!(o.challenger_bond_after, BOND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn challenger_finds_no_fault_in_an_honest_chain() {
    let o = scenario(None, 7).await;
    let st = &o.status;
    assert!(st.faults.is_empty(), "{st:?}");
    assert!(st.proofs.is_empty(), "{st:?}");
    assert_eq!(st.outputs_checked, 1, "{st:?}");
    assert_eq!(st.output_mismatches, 0, "{st:?}");
    assert!(st.outputs[0].matches, "{st:?}");
    assert!(st.derived_height >= 7, "{st:?}");
    assert_eq!(o.outputs_after, vec![(1, 7)]);
    assert_eq!(o.proposer_bond_after, o.proposer_bond_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_injection_is_refused_on_a_non_dev_chain() {
    use minitia_core::StateView;
    let dir = tempfile::tempdir().unwrap();
    for dev in [false, true] {
        let home = dir.path().join(format!("seq-{dev}"));
        create_home(&home, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
        let gpath = home.join("genesis.json");
        let mut g: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&gpath).unwrap()).unwrap();
        assert!(!challenger::is_dev_chain(&g));
        if dev {
            g["app_state"]["minitia"]["dev"] = serde_json::Value::Bool(true);
            std::fs::write(&gpath, serde_json::to_vec_pretty(&g).unwrap()).unwrap();
        }
        let mut cfg = NodeConfig::load(&home).unwrap();
        cfg.sequencer.create_empty_blocks = true;
        let node = minitia_template::run::open_node(&home, &cfg).unwrap();
        if !dev {
            // What `minitia start --fault.wrong-state-at` runs: refused before the node opens.
            let e = minitia_template::run::run_sequencer(
                &home,
                &cfg,
                |c| minitia_template::run::cosmos_app(c, vec![]),
                minitia_template::run::no_extra_servers,
                Some(3),
                async {},
            )
            .await
            .unwrap_err();
            assert!(e.to_string().contains("not a dev chain"), "{e}");
        }
        let r = challenger::inject_wrong_state(&node, &g, 3);
        if dev {
            r.unwrap();
        } else {
            let e = r.unwrap_err();
            assert!(e.contains("not a dev chain"), "{e}");
        }
        while node.height() < 4 {
            node.produce_block().unwrap();
        }
        for h in 1..=4 {
            let got = node
                .view_at(h)
                .unwrap()
                .get(challenger::INJECTED_FAULT_KEY)
                .unwrap();
            // Only a dev chain gets the bogus write, and only from block 3 on.
            assert_eq!(got.is_some(), dev && h >= 3, "dev {dev} height {h}");
        }
    }
}
