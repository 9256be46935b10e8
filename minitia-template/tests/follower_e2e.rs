//! The follower against real servers in-process: a sequencer minitia node, the L1 node
//! (l1-orchestrator) with a bridge whose batch submitter is the sequencer's key, a `LocalDa`
//! served over the celestia-node JSON-RPC, and the batch submitter. A follower home made from
//! the same genesis derives the chain from the L1 and DA alone and must reach the sequencer's
//! state root at every height — also across a DA outage during which batches are recorded
//! inline on the L1, and across a restart. A corrupted chunk on DA halts the follower with an
//! error naming the batch.

mod common;

use std::{path::Path, sync::Arc, time::Duration};

use cosmrs::{bank::MsgSend, Coin};
use l1_orchestrator::L1Handle;
use minitia_chain::{
    app::CosmosApp,
    client::{RemoteChain, SubmitterConfig, TxSubmitter},
    node::{follow::READ_ONLY_CODE, Node},
};
use minitia_core::DaClient;
use minitia_da::{
    batch::{namespace_for_chain, BatchRecord},
    retry::RetryPolicy,
    CelestiaDaConfig, LocalDaServer, MAX_BLOB_SIZE,
};
use minitia_template::{
    batcher::{
        block_bytes, records::MsgRecordBatch, signing_key, Batcher, BatcherConfig, LazyCelestiaDa,
        StatusHandle,
    },
    config::NodeConfig,
    follower::{self, FollowerOptions, FollowerStatus, SharedStatus},
    home::{create_home, AccountKey, HomeOptions},
};
use tendermint_rpc::Client;

const L1_CHAIN: &str = "initiation-follow-1";
const DA_TOKEN: &str = "follower-test-token";

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

async fn start_sequencer(dir: &Path) -> Sequencer {
    let home = dir.join("seq");
    let created = create_home(&home, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
    let mut cfg = NodeConfig::load(&home).unwrap();
    cfg.sequencer.create_empty_blocks = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    cfg.rpc.listen = addr;
    let node = minitia_template::run::open_node(&home, &cfg).unwrap();
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

impl Sequencer {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.task.take().unwrap().await;
    }
}

struct Net {
    dir: tempfile::TempDir,
    seq: Sequencer,
    l1: L1Handle,
    bridge: u64,
    sub: Arc<TxSubmitter>,
    da: Option<LocalDaServer>,
    da_addr: std::net::SocketAddr,
}

async fn net() -> Net {
    let dir = tempfile::tempdir().unwrap();
    let seq = start_sequencer(dir.path()).await;
    let l1 = common::start_l1(
        L1_CHAIN,
        0,
        &dir.path().join("l1"),
        std::slice::from_ref(&seq.seq.address),
    )
    .await;
    let sub = Arc::new(common::l1_submitter(
        L1_CHAIN,
        &l1.url,
        signing_key(&seq.seq).unwrap(),
    ));
    let bridge = common::create_bridge(&sub).await;
    let da = LocalDaServer::start(
        common::da_config(DA_TOKEN, &dir.path().join("da")),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let da_addr = da.addr();
    Net {
        dir,
        seq,
        l1,
        bridge,
        sub,
        da: Some(da),
        da_addr,
    }
}

fn da_url(n: &Net) -> String {
    format!("http://{}", n.da_addr)
}

fn lazy_da(n: &Net) -> LazyCelestiaDa {
    let mut c = CelestiaDaConfig::new(da_url(n), namespace_for_chain(&n.seq.chain_id));
    c.auth_token = Some(DA_TOKEN.into());
    c.timeout = Duration::from_secs(15);
    LazyCelestiaDa::new(c)
}

struct RunningBatcher {
    status: StatusHandle,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

fn spawn_batcher(n: &Net, failover: Duration) -> RunningBatcher {
    let cfg = BatcherConfig {
        l2_rpc: n.seq.url.clone(),
        bridge_id: n.bridge,
        namespace: namespace_for_chain(&n.seq.chain_id),
        interval: Duration::from_millis(300),
        max_blocks: 15,
        max_blob_bytes: MAX_BLOB_SIZE,
        inline_chunk_bytes: 2_048,
        retry: RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(400),
            failover_after: Some(failover),
        },
        wal_dir: n.seq.home.join("data/batcher"),
        first_height: 1,
        poll: Duration::from_millis(50),
        withhold_from: None,
    };
    let mut b = Batcher::new(cfg, n.sub.clone(), Some(lazy_da(n))).unwrap();
    let status = b.status_handle();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        b.run(async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    RunningBatcher { status, stop, task }
}

impl RunningBatcher {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
}

/// Sends `n` bank transfers on the sequencer from the dev account.
fn spawn_load(s: &Sequencer, n: usize) -> tokio::task::JoinHandle<usize> {
    let mut cfg = SubmitterConfig::new(s.chain_id.clone(), "init", "0.15umin".parse().unwrap());
    cfg.inclusion_timeout = Duration::from_secs(20);
    let sub = TxSubmitter::new(
        RemoteChain::new(&s.url).unwrap(),
        signing_key(&s.dev).unwrap(),
        cfg,
    )
    .unwrap();
    let to: cosmrs::AccountId = s.seq.address.parse().unwrap();
    tokio::spawn(async move {
        let from: cosmrs::AccountId = sub.address().parse().unwrap();
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
        n
    })
}

/// A follower home: a fresh home whose genesis is replaced by the sequencer's.
fn follower_home(n: &Net, name: &str) -> (std::path::PathBuf, NodeConfig) {
    let home = n.dir.path().join(name);
    create_home(&home, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
    std::fs::copy(n.seq.home.join("genesis.json"), home.join("genesis.json")).unwrap();
    let mut cfg = NodeConfig::load(&home).unwrap();
    cfg.l1.rpc = n.l1.url.clone();
    cfg.l1.bridge_id = n.bridge;
    cfg.da.rpc = da_url(n);
    cfg.da.auth_token = DA_TOKEN.into();
    (home, cfg)
}

struct RunningFollower {
    node: Arc<Node<CosmosApp>>,
    url: String,
    status: SharedStatus,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), minitia_template::run::RunError>>,
    rpc: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn spawn_follower(home: &Path, cfg: &NodeConfig) -> RunningFollower {
    let node =
        follower::open_follower_node(home, cfg, |c| minitia_template::run::cosmos_app(c, vec![]))
            .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let status = SharedStatus::default();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let (rpc_stop, rpc_rx) = tokio::sync::oneshot::channel::<()>();
    let rpc = tokio::spawn(follower::serve_rpc(
        node.clone(),
        status.clone(),
        listener,
        async move {
            let _ = rpc_rx.await;
        },
    ));
    let (n, h, c, st) = (
        node.clone(),
        home.to_path_buf(),
        cfg.clone(),
        status.clone(),
    );
    let task = tokio::spawn(async move {
        let opts = FollowerOptions {
            poll_interval: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
        };
        let r = follower::follow(n, &h, &c, st, opts, async move {
            let _ = rx.await;
        })
        .await;
        let _ = rpc_stop.send(());
        r
    });
    RunningFollower {
        node,
        url,
        status,
        stop,
        task,
        rpc,
    }
}

impl RunningFollower {
    fn status(&self) -> FollowerStatus {
        self.status.lock().unwrap().clone()
    }

    async fn stop(self) -> Arc<Node<CosmosApp>> {
        let _ = self.stop.send(());
        let r = self.task.await.unwrap();
        assert!(r.is_ok(), "{r:?}");
        self.rpc.await.unwrap().unwrap();
        // A block being applied when the stop came finishes on its blocking thread, which
        // holds the node until then; the node's files can be reopened only after that.
        common::wait_for("the follower's node to be released", 30, || {
            Arc::strong_count(&self.node) == 1
        })
        .await;
        self.node
    }
}

fn assert_same_chain(seq: &Node<CosmosApp>, f: &Node<CosmosApp>) -> u64 {
    let top = f.height();
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
            "block {h}"
        );
        assert_eq!(
            f.blocks().results(h).unwrap(),
            seq.blocks().results(h).unwrap(),
            "results {h}"
        );
    }
    top
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn follower_derives_the_sequencers_chain_through_a_da_outage() {
    let mut n = net().await;
    let b = spawn_batcher(&n, Duration::from_millis(800));
    let (fhome, fcfg) = follower_home(&n, "follower");
    let f = spawn_follower(&fhome, &fcfg).await;

    // Phase 1: batches on DA.
    let load = spawn_load(&n.seq, 8);
    let bs = b.status.clone();
    common::wait_for("batches on DA", 60, || bs.get().batches_da >= 2).await;
    assert_eq!(load.await.unwrap(), 8);
    // Stop the batcher so that no DA batch is in flight when DA goes down (a batch recorded
    // on DA whose blobs the follower has not fetched yet would make it wait for DA: it
    // never skips a batch).
    b.stop().await;
    // Every batch on DA must be fetched before DA goes down. The last batched block is
    // applied only with the next block's commit, so it may wait in the follower's buffer:
    // count it there (a height of `next_height - 2` alone does not show that the batch
    // holding the last block was fetched, and then the follower waits for DA forever).
    let da_last = bs.get().next_height - 1;
    common::wait_for("the follower to fetch every DA batch", 60, || {
        f.node.height() + f.status().buffered_blocks as u64 >= da_last
    })
    .await;

    // Phase 2: DA down; the batcher fails over to inline records on the L1, and the
    // follower derives them while DA is still down.
    n.da.take().unwrap().shutdown().await;
    let b = spawn_batcher(&n, Duration::from_millis(800));
    let bs = b.status.clone();
    let load = spawn_load(&n.seq, 8);
    common::wait_for("failover", 30, || bs.get().da_failover).await;
    common::wait_for("inline batches", 30, || bs.get().batches_inline >= 2).await;
    assert_eq!(load.await.unwrap(), 8);
    let inline_target = n.seq.node.height();
    common::wait_for("the load to be batched inline", 60, || {
        bs.get().next_height > inline_target + 1
    })
    .await;
    common::wait_for("the follower to derive the inline batches", 60, || {
        f.node.height() >= inline_target
    })
    .await;
    assert!(
        !bs.get().da_configured || bs.get().da_failover,
        "{:?}",
        bs.get()
    );

    // The follower's RPC is read-only and reports its status.
    let client = minitia_template::batcher::rpc_client(&f.url).unwrap();
    let r = client.broadcast_tx_sync(vec![1, 2, 3]).await.unwrap();
    assert_eq!(r.code.value(), READ_ONLY_CODE);
    assert!(r.log.contains("read-only follower"), "{}", r.log);
    let st = common::http_json(&f.url, "/follower_status").await;
    assert_eq!(st["height"].as_u64().unwrap(), f.node.height(), "{st}");
    assert!(st["l1_cursor"].as_u64().unwrap() > 1, "{st}");
    assert_eq!(st["halted"], false, "{st}");
    assert_eq!(st["submitter"], n.sub.address(), "{st}");
    let served = client.status().await.unwrap();
    assert_eq!(
        served.sync_info.latest_app_hash.as_bytes(),
        n.seq.node.root_at(f.node.height()).unwrap().0
    );

    // Restart the follower while DA is still down: it resumes from its cursor.
    let cursor_before = f.status().l1_cursor;
    let node = f.stop().await;
    let height_before = node.height();
    drop(node);
    let f = spawn_follower(&fhome, &fcfg).await;
    assert_eq!(f.node.height(), height_before);
    common::wait_for("the restarted follower to poll", 30, || {
        let st = f.status();
        st.records > 0 || st.last_error.is_some()
    })
    .await;
    assert!(f.status().l1_cursor >= cursor_before);

    // Phase 3: DA back (same address, same data); batches return to DA.
    let da = LocalDaServer::start(
        common::da_config(DA_TOKEN, &n.dir.path().join("da")),
        n.da_addr,
    )
    .await
    .unwrap();
    let da_before = bs.get().batches_da;
    let load = spawn_load(&n.seq, 5);
    common::wait_for("batches back on DA", 60, || {
        bs.get().batches_da >= da_before + 2
    })
    .await;
    assert_eq!(load.await.unwrap(), 5);
    // every block holding the load is batched, and the one after it (which signs it)
    let final_target = n.seq.node.height();
    common::wait_for("the load to be batched", 60, || {
        bs.get().next_height > final_target + 1
    })
    .await;
    let fs = f.status.clone();
    common::wait_for("the follower to derive everything batched", 60, || {
        f.node.height() >= final_target
    })
    .await;
    let st = fs.lock().unwrap().clone();
    assert_eq!(st.last_error, None, "{st:?}");
    let bstatus = bs.get();
    assert!(
        bstatus.batches_inline >= 2 && bstatus.batches_da >= 4,
        "{bstatus:?}"
    );

    b.stop().await;
    let fnode = f.stop().await;
    let top = assert_same_chain(&n.seq.node, &fnode);
    assert!(top >= final_target && top > 10, "derived {top} blocks");
    let txs: usize = (1..=top)
        .map(|h| fnode.blocks().block(h).unwrap().unwrap().data.len())
        .sum();
    assert!(txs >= 21, "{txs} txs derived");
    n.seq.stop().await;
    da.shutdown().await;
    n.l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn follower_halts_on_a_corrupt_chunk_and_names_the_batch() {
    let n = net().await;
    let load = spawn_load(&n.seq, 3);
    assert_eq!(load.await.unwrap(), 3);
    let top = n.seq.node.height();
    // Batch 1..=top posted by hand with the batcher's encoding; the chunk's data is
    // altered after its checksum went into the header.
    let blocks: Vec<Vec<u8>> = (1..=top)
        .map(|h| block_bytes(n.seq.node.blocks().block(h).unwrap().unwrap()))
        .collect();
    let mut enc = minitia_da::batch::encode(1, &blocks, 1 << 20).unwrap();
    let last = enc.chunks[0].len() - 1;
    enc.chunks[0][last] ^= 0xff;
    let da = lazy_da(&n);
    let ns = namespace_for_chain(&n.seq.chain_id);
    let mut blobs = enc.chunks.clone();
    blobs.push(enc.header.clone());
    let ptrs = da.submit(ns, blobs).await.unwrap();
    let (header, chunks) = ptrs.split_last().unwrap();
    let record = BatchRecord::Da {
        namespace: ns,
        start: 1,
        end: top,
        header: *header,
        chunks: chunks.to_vec(),
    };
    let msg = MsgRecordBatch {
        submitter: n.sub.address(),
        bridge_id: n.bridge,
        batch_bytes: record.to_bytes(),
    };
    let t = n
        .sub
        .submit(
            vec![minitia_template::batcher::records::record_batch_any(&msg)],
            "",
        )
        .await
        .unwrap();

    let (fhome, fcfg) = follower_home(&n, "follower");
    let f = spawn_follower(&fhome, &fcfg).await;
    let st = f.status.clone();
    common::wait_for("the follower to halt", 30, || st.lock().unwrap().halted).await;
    let s = f.status();
    let err = s.last_error.clone().unwrap();
    assert!(
        err.contains(&format!("batch 1..={top}")) && err.contains("chunk 0"),
        "{err}"
    );
    assert!(
        err.contains(&t.hash.to_string().to_uppercase())
            || err.contains(&format!("L1 height {}", t.height)),
        "{err}"
    );
    assert_eq!(f.node.height(), 0, "nothing derived from a bad batch");
    let via_rpc = common::http_json(&f.url, "/follower_status").await;
    assert_eq!(via_rpc["halted"], true);
    assert_eq!(via_rpc["last_error"], err.as_str());
    let _ = f.stop.send(());
    let r = f.task.await.unwrap();
    assert!(r.unwrap_err().to_string().contains("derivation halted"));
    n.seq.stop().await;
    if let Some(d) = n.da {
        d.shutdown().await;
    }
    n.l1.shutdown().await;
}
