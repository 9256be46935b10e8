//! The in-process network of the fault tests (`faults_e2e.rs`) and the time-to-deletion
//! benchmark (`examples/time_to_deletion.rs`): the L1 node (bond, ophost, fraud modules; dev
//! clock), a `LocalDa`, a dev-chain sequencer, the batcher, the bridge executor and the
//! challenger holding the bridge's bonded challenger key, with faults injected on request.

#![allow(dead_code)]

use crate::common;
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

pub const L1_CHAIN: &str = "initiation-faults-1";
pub const DA_TOKEN: &str = "faults-test-token";
pub const BOND: u128 = 1_000_000;
/// The bridge's submission interval: the executor closes an output every 2/3 of it.
pub const INTERVAL_SECS: i64 = 3;
pub const FINALIZATION_SECS: i64 = 3600;

#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub wrong_root_at: Option<u64>,
    pub skip_deposit: Option<u64>,
    pub withhold_from: Option<u64>,
}

pub struct Stop(
    pub Option<tokio::sync::oneshot::Sender<()>>,
    pub tokio::task::JoinHandle<()>,
);

impl Stop {
    pub async fn stop(mut self) {
        if let Some(s) = self.0.take() {
            let _ = s.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(15), &mut self.1).await;
    }
}

pub fn spawn_until_stopped<F>(f: impl FnOnce(tokio::sync::oneshot::Receiver<()>) -> F) -> Stop
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    Stop(Some(tx), tokio::spawn(f(rx)))
}

pub struct Net {
    pub dir: tempfile::TempDir,
    pub l1: L1Handle,
    pub l1c: RemoteChain,
    pub bridge: u64,
    pub seq_home: std::path::PathBuf,
    pub chain_id: String,
    pub node: Option<Arc<Node<minitia_chain::app::CosmosApp>>>,
    pub cfg: NodeConfig,
    pub bsub: Arc<TxSubmitter>,
    pub faults: Faults,
    pub user: TxSubmitter,
    pub csub: Arc<TxSubmitter>,
    pub da_url: String,
    pub batcher: StatusHandle,
    pub tasks: Vec<Stop>,
    pub challenger: Option<(SharedStatus, Stop)>,
    pub _da: LocalDaServer,
}

pub fn lazy_da(url: &str, chain_id: &str) -> LazyCelestiaDa {
    let mut c = CelestiaDaConfig::new(url, namespace_for_chain(chain_id));
    c.auth_token = Some(DA_TOKEN.into());
    c.timeout = Duration::from_secs(15);
    LazyCelestiaDa::new(c)
}

pub async fn start(faults: Faults) -> Net {
    let dir = tempfile::tempdir().unwrap();
    // The sequencer: a dev chain (fault injection allowed).
    let seq_home = dir.path().join("seq");
    let created = create_home(&seq_home, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
    minitia_template::challenger::mark_dev_chain(&seq_home.join("genesis.json")).unwrap();
    bridge::require_dev_chain(&seq_home).unwrap();
    let mut cfg = NodeConfig::load(&seq_home).unwrap();
    cfg.sequencer.create_empty_blocks = true;
    cfg.rpc.listen = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();

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

    // The executor's settings, from the home as `minitia executor` builds them.
    cfg.l1.rpc = l1.url.clone();
    cfg.l1.chain_id = L1_CHAIN.into();
    cfg.l1.bridge_id = bridge;
    cfg.l1.gas_price = "0uinit".into();
    cfg.bridge.proposer = true;
    cfg.bridge.executor = true;
    cfg.bridge.poll_interval = Duration::from_millis(100);

    let mut net = Net {
        dir,
        l1,
        l1c,
        bridge,
        seq_home,
        chain_id: created.chain_id.clone(),
        node: None,
        cfg,
        bsub,
        faults,
        user,
        csub,
        da_url,
        batcher: StatusHandle::default(),
        tasks: vec![],
        challenger: None,
        _da: da,
    };
    net.spawn_rollup().await;
    net.start_challenger().await;
    net
}

impl Net {
    /// The running sequencer node.
    pub fn node(&self) -> &Arc<Node<minitia_chain::app::CosmosApp>> {
        self.node.as_ref().expect("the rollup is running")
    }

    /// Starts the rollup on the sequencer home: the node, the batch submitter and the bridge
    /// executor (with the injected faults), as `minitia start|batcher|executor` would; after
    /// [`Net::stop_rollup`] it resumes from what they persisted.
    pub async fn spawn_rollup(&mut self) {
        let cfg = self.cfg.clone();
        // The same RPC address as before a restart (the old listener is closed by then).
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(cfg.rpc.listen).await {
                Ok(l) => break l,
                Err(e) if tries == 50 => panic!("cannot bind {}: {e}", cfg.rpc.listen),
                Err(_) => tries += 1,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let node = minitia_template::run::open_node(&self.seq_home, &cfg).unwrap();
        let n = node.clone();
        let seq_task = spawn_until_stopped(|rx| async move {
            n.run(listener, Duration::from_millis(100), async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let bcfg = batcher::BatcherConfig {
            l2_rpc: format!("http://{}", cfg.rpc.listen),
            bridge_id: self.bridge,
            namespace: namespace_for_chain(&self.chain_id),
            interval: Duration::from_millis(300),
            max_blocks: 15,
            max_blob_bytes: minitia_da::MAX_BLOB_SIZE,
            inline_chunk_bytes: 2_048,
            retry: minitia_da::retry::RetryPolicy {
                initial: Duration::from_millis(100),
                max: Duration::from_millis(400),
                failover_after: Some(Duration::from_secs(30)),
            },
            wal_dir: self.seq_home.join("data/batcher"),
            first_height: 1,
            poll: Duration::from_millis(50),
            withhold_from: None,
        };
        let mut b = batcher::Batcher::new(
            bcfg,
            self.bsub.clone(),
            Some(lazy_da(&self.da_url, &self.chain_id)),
        )
        .unwrap();
        b.set_withhold_from(self.faults.withhold_from);
        self.batcher = b.status_handle();
        let batcher_task = spawn_until_stopped(|rx| async move {
            b.run(async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let mut opts = bridge::executor_options(&self.seq_home, &cfg).unwrap();
        opts.faults = ExecutorFaults {
            wrong_output_root_at: self.faults.wrong_root_at,
            skip_deposit: self.faults.skip_deposit,
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
        self.tasks = vec![exec_task, batcher_task, seq_task];
        self.node = Some(node);
    }

    /// Stops the executor first (so it proposes nothing more), then the batcher and the
    /// sequencer, and closes the node.
    pub async fn stop_rollup(&mut self) {
        for t in self.tasks.drain(..) {
            t.stop().await;
        }
        let node = self.node.take().expect("the rollup is running");
        // The node's files close when the last handle goes (its RPC tasks end with it).
        let start = std::time::Instant::now();
        while Arc::strong_count(&node) > 1 {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "the node is still held after its tasks stopped"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(node);
    }

    /// Another process's home `name` (created once, genesis copied from the sequencer), with
    /// the net's L1 and DA.
    pub fn home(&self, name: &str) -> (std::path::PathBuf, NodeConfig) {
        let home = self.dir.path().join(name);
        if !home.exists() {
            create_home(&home, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
            std::fs::copy(
                self.seq_home.join("genesis.json"),
                home.join("genesis.json"),
            )
            .unwrap();
        }
        let mut cfg = NodeConfig::load(&home).unwrap();
        cfg.l1 = self.cfg.l1.clone();
        cfg.da.rpc = self.da_url.clone();
        cfg.da.auth_token = DA_TOKEN.into();
        (home, cfg)
    }

    /// Starts (or restarts) the challenger on its own home and data dir.
    pub async fn start_challenger(&mut self) {
        let (chome, ccfg) = self.home("challenger");
        // On a restart, a block the stopped challenger was applying finishes on its blocking
        // thread and holds the node's files until then.
        let started = std::time::Instant::now();
        let cnode = loop {
            match follower::open_follower_node(&chome, &ccfg, |c| {
                minitia_template::run::cosmos_app(c, vec![])
            }) {
                Ok(n) => break n,
                Err(e) if started.elapsed() < Duration::from_secs(10) => {
                    assert!(e.to_string().contains("already open"), "{e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("challenger node: {e}"),
            }
        };
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

    /// A follower on its own home `name` (genesis copied from the sequencer), deriving from
    /// the L1 and DA when polled.
    pub async fn follower(
        &self,
        name: &str,
    ) -> (
        Arc<Node<minitia_chain::app::CosmosApp>>,
        follower::Deriver<minitia_chain::app::CosmosApp, L1Records, LazyCelestiaDa>,
    ) {
        let (home, cfg) = self.home(name);
        let node = follower::open_follower_node(&home, &cfg, |c| {
            minitia_template::run::cosmos_app(c, vec![])
        })
        .unwrap();
        let source = L1Records::for_bridge(self.l1c.clone(), self.bridge)
            .await
            .unwrap();
        let deriver = follower::Deriver::new(
            node.clone(),
            source,
            Some(lazy_da(&self.da_url, &self.chain_id)),
            &cfg.data_dir(&home),
        )
        .unwrap();
        (node, deriver)
    }

    /// Polls `deriver` until `node` is at `target` or past it (60 s at most, halting on a
    /// non-retryable error), then checks it has the sequencer's block at every height.
    pub async fn derive_to(
        &self,
        node: &Arc<Node<minitia_chain::app::CosmosApp>>,
        deriver: &mut follower::Deriver<minitia_chain::app::CosmosApp, L1Records, LazyCelestiaDa>,
        target: u64,
        who: &str,
    ) {
        let start = std::time::Instant::now();
        while node.height() < target {
            if let Err(e) = deriver.poll().await {
                assert!(e.is_retryable(), "{who} halted: {e}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{who} is at {} after 60 s, not {target}",
                node.height()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for h in 1..=node.height() {
            assert_eq!(
                node.block_id(h).unwrap(),
                self.node().block_id(h).unwrap(),
                "{who}'s block {h} is not the sequencer's"
            );
        }
    }

    pub fn status(&self) -> ChallengerStatus {
        self.challenger.as_ref().unwrap().0.lock().unwrap().clone()
    }

    pub async fn wait(&self, what: &str, secs: u64, f: impl Fn(&ChallengerStatus) -> bool) {
        let s = self.challenger.as_ref().unwrap().0.clone();
        common::wait_for(what, secs, || f(&s.lock().unwrap())).await;
    }

    pub async fn deposit(&self, amount: u128) -> u64 {
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
    pub async fn outputs(&self) -> Vec<(u64, u64, Vec<u8>)> {
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

    pub async fn last_finalized(&self) -> u64 {
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

    pub async fn shutdown(mut self) -> ChallengerStatus {
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

pub fn kinds(st: &ChallengerStatus) -> Vec<(String, u64)> {
    st.alarms
        .iter()
        .map(|a| (a.kind.clone(), a.subject))
        .collect()
}
