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

use std::{sync::Arc, time::Duration};

use l1_orchestrator::{ophost, proto as l1p, L1Handle};
use minitia_chain::{
    client::{RemoteChain, TxSubmitter},
    node::{genesis::GenesisDoc, Node},
};
use minitia_da::{batch::namespace_for_chain, CelestiaDaConfig, LocalDaServer};
use minitia_fraud_proofs::EngineSpec;
use minitia_template::{
    batcher::{self, signing_key, LazyCelestiaDa, StatusHandle},
    bridge::{
        self,
        executor::{any_msg, Executor, ExecutorFaults},
        load_signing_key,
    },
    challenger::{self, Challenger, ChallengerOptions, ChallengerStatus, SharedStatus},
    config::NodeConfig,
    follower::{self, L1Records},
    home::{create_home, AccountKey, HomeOptions},
};

const L1_CHAIN: &str = "initiation-faults-1";
const DA_TOKEN: &str = "faults-test-token";
const BOND: u128 = 1_000_000;
/// The bridge's submission interval: the executor closes an output every 2/3 of it.
const INTERVAL_SECS: i64 = 3;
const FINALIZATION_SECS: i64 = 3600;

#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    wrong_root_at: Option<u64>,
    skip_deposit: Option<u64>,
    withhold_from: Option<u64>,
}

struct Stop(
    Option<tokio::sync::oneshot::Sender<()>>,
    tokio::task::JoinHandle<()>,
);

impl Stop {
    async fn stop(mut self) {
        if let Some(s) = self.0.take() {
            let _ = s.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(15), &mut self.1).await;
    }
}

fn spawn_until_stopped<F>(f: impl FnOnce(tokio::sync::oneshot::Receiver<()>) -> F) -> Stop
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    Stop(Some(tx), tokio::spawn(f(rx)))
}

struct Net {
    dir: tempfile::TempDir,
    l1: L1Handle,
    l1c: RemoteChain,
    bridge: u64,
    seq_home: std::path::PathBuf,
    chain_id: String,
    node: Arc<Node<minitia_chain::app::CosmosApp>>,
    user: TxSubmitter,
    csub: Arc<TxSubmitter>,
    da_url: String,
    batcher: StatusHandle,
    tasks: Vec<Stop>,
    challenger: Option<(SharedStatus, Stop)>,
    _da: LocalDaServer,
}

fn lazy_da(url: &str, chain_id: &str) -> LazyCelestiaDa {
    let mut c = CelestiaDaConfig::new(url, namespace_for_chain(chain_id));
    c.auth_token = Some(DA_TOKEN.into());
    c.timeout = Duration::from_secs(15);
    LazyCelestiaDa::new(c)
}

async fn start(faults: Faults) -> Net {
    let dir = tempfile::tempdir().unwrap();
    // The sequencer: a dev chain (fault injection allowed).
    let seq_home = dir.path().join("seq");
    let created = create_home(&seq_home, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
    minitia_template::challenger::mark_dev_chain(&seq_home.join("genesis.json")).unwrap();
    bridge::require_dev_chain(&seq_home).unwrap();
    let mut cfg = NodeConfig::load(&seq_home).unwrap();
    cfg.sequencer.create_empty_blocks = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    cfg.rpc.listen = listener.local_addr().unwrap();
    let node = minitia_template::run::open_node(&seq_home, &cfg).unwrap();
    let n = node.clone();
    let seq_task = spawn_until_stopped(|rx| async move {
        n.run(listener, Duration::from_millis(100), async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });

    // The L1: batch submitter = sequencer key, proposer = the home's proposer key, and a
    // bonded challenger that the bridge names.
    let seq_key =
        AccountKey::load(&minitia_template::home::key_path(&seq_home, "sequencer")).unwrap();
    let proposer = load_signing_key(&seq_home, "proposer").unwrap();
    let challenger_key = AccountKey::generate("challenger", "init").unwrap();
    let user_key = AccountKey::generate("user", "init").unwrap();
    let proposer_addr = proposer
        .public_key()
        .account_id("init")
        .unwrap()
        .to_string();
    let l1 = common::start_l1(
        L1_CHAIN,
        BOND,
        &dir.path().join("l1"),
        &[
            seq_key.address.clone(),
            proposer_addr.clone(),
            challenger_key.address.clone(),
            user_key.address.clone(),
        ],
    )
    .await;
    let l1c = RemoteChain::new(&l1.url).unwrap();
    let bsub = Arc::new(common::l1_submitter(
        L1_CHAIN,
        &l1.url,
        signing_key(&seq_key).unwrap(),
    ));
    let psub = common::l1_submitter(L1_CHAIN, &l1.url, proposer);
    let csub = Arc::new(common::l1_submitter(
        L1_CHAIN,
        &l1.url,
        signing_key(&challenger_key).unwrap(),
    ));
    let user = common::l1_submitter(L1_CHAIN, &l1.url, signing_key(&user_key).unwrap());
    let g = GenesisDoc::load(&seq_home.join("genesis.json")).unwrap();
    let spec = EngineSpec {
        kind: "cosmos".into(),
        chain_id: g.chain_id.clone(),
        chain: g.params().unwrap(),
    };
    let t = psub
        .submit(
            vec![any_msg(
                ophost::msg::CREATE_BRIDGE,
                &l1p::MsgCreateBridge {
                    creator: proposer_addr.clone(),
                    config: Some(l1p::BridgeConfig {
                        challenger: csub.address(),
                        proposer: proposer_addr.clone(),
                        batch_info: Some(l1p::BatchInfo {
                            submitter: bsub.address(),
                            chain_type: 2,
                        }),
                        submission_interval: Some(l1p::Duration::from_secs(INTERVAL_SECS)),
                        finalization_period: Some(l1p::Duration::from_secs(FINALIZATION_SECS)),
                        submission_start_height: 1,
                        metadata: spec.to_bridge_metadata(),
                        ..Default::default()
                    }),
                },
            )],
            "",
        )
        .await
        .unwrap();
    let bridge: u64 = t
        .attr("create_bridge", "bridge_id")
        .unwrap()
        .parse()
        .unwrap();
    common::bond(&psub, BOND).await;
    common::bond(&csub, BOND).await;

    // DA and the batch submitter.
    let da = LocalDaServer::start(
        common::da_config(DA_TOKEN, &dir.path().join("da")),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let da_url = format!("http://{}", da.addr());
    let bcfg = batcher::BatcherConfig {
        l2_rpc: format!("http://{}", cfg.rpc.listen),
        bridge_id: bridge,
        namespace: namespace_for_chain(&created.chain_id),
        interval: Duration::from_millis(300),
        max_blocks: 15,
        max_blob_bytes: minitia_da::MAX_BLOB_SIZE,
        inline_chunk_bytes: 2_048,
        retry: minitia_da::retry::RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(400),
            failover_after: Some(Duration::from_secs(30)),
        },
        wal_dir: seq_home.join("data/batcher"),
        first_height: 1,
        poll: Duration::from_millis(50),
        withhold_from: None,
    };
    let mut b =
        batcher::Batcher::new(bcfg, bsub, Some(lazy_da(&da_url, &created.chain_id))).unwrap();
    b.set_withhold_from(faults.withhold_from);
    let bstatus = b.status_handle();
    let batcher_task = spawn_until_stopped(|rx| async move {
        b.run(async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });

    // The executor, from the home as `minitia executor` builds it.
    cfg.l1.rpc = l1.url.clone();
    cfg.l1.chain_id = L1_CHAIN.into();
    cfg.l1.bridge_id = bridge;
    cfg.l1.gas_price = "0uinit".into();
    cfg.bridge.proposer = true;
    cfg.bridge.executor = true;
    cfg.bridge.poll_interval = Duration::from_millis(100);
    let mut opts = bridge::executor_options(&seq_home, &cfg).unwrap();
    opts.faults = ExecutorFaults {
        wrong_output_root_at: faults.wrong_root_at,
        skip_deposit: faults.skip_deposit,
    };
    let ex = Executor::connect(opts).await.unwrap();
    let api = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let exec_task = spawn_until_stopped(|rx| async move {
        ex.run(api, async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });

    let mut net = Net {
        dir,
        l1,
        l1c,
        bridge,
        seq_home,
        chain_id: created.chain_id.clone(),
        node,
        user,
        csub,
        da_url,
        batcher: bstatus,
        tasks: vec![exec_task, batcher_task, seq_task],
        challenger: None,
        _da: da,
    };
    net.start_challenger().await;
    net
}

impl Net {
    /// Starts (or restarts) the challenger on its own home and data dir.
    async fn start_challenger(&mut self) {
        let chome = self.dir.path().join("challenger");
        if !chome.exists() {
            create_home(&chome, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
            std::fs::copy(
                self.seq_home.join("genesis.json"),
                chome.join("genesis.json"),
            )
            .unwrap();
        }
        let mut ccfg = NodeConfig::load(&chome).unwrap();
        ccfg.l1.rpc = self.l1.url.clone();
        ccfg.l1.bridge_id = self.bridge;
        let cnode = follower::open_follower_node(&chome, &ccfg, |c| {
            minitia_template::run::cosmos_app(c, vec![])
        })
        .unwrap();
        let chain_id = self.chain_id.clone();
        let source = L1Records::for_bridge(self.l1c.clone(), self.bridge)
            .await
            .unwrap();
        let c = Challenger::new(
            cnode,
            source,
            Some(lazy_da(&self.da_url, &chain_id)),
            self.l1c.clone(),
            self.bridge,
            Some(self.csub.clone()),
        )
        .unwrap()
        .with_cursor_file(ccfg.data_dir(&chome).join(challenger::CURSOR_FILE))
        .unwrap();
        let status = c.status();
        let task = spawn_until_stopped(|rx| async move {
            c.run(
                ChallengerOptions {
                    poll_interval: Duration::from_millis(100),
                    max_backoff: Duration::from_millis(400),
                    deposit_window: Duration::from_secs(3),
                    data_window: Duration::from_secs(4),
                },
                async move {
                    let _ = rx.await;
                },
            )
            .await
            .unwrap();
        });
        self.challenger = Some((status, task));
    }

    fn status(&self) -> ChallengerStatus {
        self.challenger.as_ref().unwrap().0.lock().unwrap().clone()
    }

    async fn wait(&self, what: &str, secs: u64, f: impl Fn(&ChallengerStatus) -> bool) {
        let s = self.challenger.as_ref().unwrap().0.clone();
        common::wait_for(what, secs, || f(&s.lock().unwrap())).await;
    }

    async fn deposit(&self, amount: u128) -> u64 {
        let to = self.user.address();
        let tx = self
            .user
            .submit(
                vec![any_msg(
                    ophost::msg::INITIATE_DEPOSIT,
                    &l1p::MsgInitiateTokenDeposit {
                        sender: self.user.address(),
                        bridge_id: self.bridge,
                        to,
                        amount: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
                            denom: "uinit".into(),
                            amount: amount.to_string(),
                        }),
                        data: vec![],
                    },
                )],
                "",
            )
            .await
            .unwrap();
        tx.attr("initiate_token_deposit", "l1_sequence")
            .unwrap()
            .parse()
            .unwrap()
    }

    /// The L1's outputs: (index, l2_block_number, root).
    async fn outputs(&self) -> Vec<(u64, u64, Vec<u8>)> {
        let o: l1p::QueryOutputProposalsResponse = self
            .l1c
            .query_proto(
                ophost::query::OUTPUT_PROPOSALS,
                &l1p::QueryBridgePageRequest {
                    bridge_id: self.bridge,
                    pagination: None,
                },
                None,
            )
            .await
            .unwrap();
        o.output_proposals
            .into_iter()
            .map(|o| {
                let p = o.output_proposal.unwrap();
                (o.output_index, p.l2_block_number, p.output_root)
            })
            .collect()
    }

    async fn last_finalized(&self) -> u64 {
        let r: l1p::QueryLastFinalizedOutputResponse = self
            .l1c
            .query_proto(
                ophost::query::LAST_FINALIZED_OUTPUT,
                &l1p::QueryBridgeRequest {
                    bridge_id: self.bridge,
                },
                None,
            )
            .await
            .unwrap();
        r.output_index
    }

    async fn shutdown(mut self) -> ChallengerStatus {
        let st = self.status();
        if let Some((_, t)) = self.challenger.take() {
            t.stop().await;
        }
        for t in self.tasks.drain(..) {
            t.stop().await;
        }
        st
    }
}

fn kinds(st: &ChallengerStatus) -> Vec<(String, u64)> {
    st.alarms
        .iter()
        .map(|a| (a.kind.clone(), a.subject))
        .collect()
}

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
        net.node.height() > 8,
        "the sequencer is at {}",
        net.node.height()
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

#[test]
fn fault_injection_is_refused_on_a_chain_that_is_not_a_dev_chain() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("prod");
    create_home(&home, &HomeOptions::new("prod"), &mut |_| {}).unwrap();
    let e = bridge::require_dev_chain(&home).unwrap_err();
    assert!(e.contains("not a dev chain"), "{e}");
}
