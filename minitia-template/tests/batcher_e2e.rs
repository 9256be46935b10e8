//! The batch submitter against real servers in-process: a minitia node serving CometBFT RPC,
//! the L1 node (l1-orchestrator) with a bridge whose batch submitter is the sequencer key,
//! and a `LocalDa` served over the celestia-node JSON-RPC. Every assertion reads the L1
//! records back with `tx_search`, fetches the batches from DA (celestia-rpc through
//! `CelestiaDa`) or from the inline records, decodes the CometBFT blocks and compares their
//! hashes with what the minitia node serves.

mod common;

use std::{collections::HashSet, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use cosmrs::{bank::MsgSend, Coin};
use l1_orchestrator::L1Handle;
use minitia_chain::client::{RemoteChain, SubmitterConfig, TxSubmitter};
use minitia_core::DaClient;
use minitia_da::{
    batch::{namespace_for_chain, Assembler, BatchRecord},
    retry::RetryPolicy,
    CelestiaDa, CelestiaDaConfig, LocalDaServer, MAX_BLOB_SIZE,
};
use minitia_template::{
    batcher::{
        records::recorded_batches, signing_key, Batcher, BatcherConfig, LazyCelestiaDa,
        StatusHandle,
    },
    config::NodeConfig,
    home::{create_home, AccountKey, HomeOptions},
};
use prost::Message;
use tendermint_rpc::Client;

const L1_CHAIN: &str = "initiation-batch-1";
const DA_TOKEN: &str = "batcher-test-token";

struct L2 {
    url: String,
    chain_id: String,
    dev: AccountKey,
    seq: AccountKey,
    seq_addr: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

async fn start_l2(dir: &Path) -> L2 {
    let home = dir.join("mini");
    let created = create_home(&home, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
    let mut cfg = NodeConfig::load(&home).unwrap();
    cfg.sequencer.create_empty_blocks = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    cfg.rpc.listen = addr;
    let node = minitia_template::run::open_node(&home, &cfg).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        node.run(listener, Duration::from_millis(100), async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let seq = AccountKey::load(&minitia_template::home::key_path(&home, "sequencer")).unwrap();
    L2 {
        url: format!("http://{addr}"),
        chain_id: created.chain_id.clone(),
        dev: created.dev.clone(),
        seq_addr: seq.address.clone(),
        seq,
        stop: Some(tx),
        task: Some(task),
    }
}

impl L2 {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.task.take().unwrap().await;
    }
}

/// Creates the bridge with the sequencer as proposer, challenger and batch submitter.
fn batcher_config(l2: &L2, bridge_id: u64, wal: &Path, failover: Duration) -> BatcherConfig {
    BatcherConfig {
        l2_rpc: l2.url.clone(),
        bridge_id,
        namespace: namespace_for_chain(&l2.chain_id),
        interval: Duration::from_millis(300),
        max_blocks: 15,
        max_blob_bytes: MAX_BLOB_SIZE,
        inline_chunk_bytes: 2_048,
        retry: RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(400),
            failover_after: Some(failover),
        },
        wal_dir: wal.to_path_buf(),
        first_height: 1,
        poll: Duration::from_millis(50),
        withhold_from: None,
    }
}

fn lazy_da(url: &str, l2: &L2) -> LazyCelestiaDa {
    let mut c = CelestiaDaConfig::new(url, namespace_for_chain(&l2.chain_id));
    c.auth_token = Some(DA_TOKEN.into());
    c.timeout = Duration::from_secs(15);
    LazyCelestiaDa::new(c)
}

struct Running {
    status: StatusHandle,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

fn spawn_batcher(cfg: BatcherConfig, sub: Arc<TxSubmitter>, da: Option<LazyCelestiaDa>) -> Running {
    let mut b = Batcher::new(cfg, sub, da).unwrap();
    let status = b.status_handle();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        b.run(async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Running { status, stop, task }
}

impl Running {
    /// Graceful stop.
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }
    /// Drops the batcher wherever it is (the in-process kill -9: no cleanup runs).
    async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Sends `n` bank transfers on the L2 from the dev account.
fn spawn_load(l2: &L2, n: usize) -> tokio::task::JoinHandle<usize> {
    let mut cfg = SubmitterConfig::new(l2.chain_id.clone(), "init", "0.15umin".parse().unwrap());
    cfg.inclusion_timeout = Duration::from_secs(20);
    let sub = TxSubmitter::new(
        RemoteChain::new(&l2.url).unwrap(),
        signing_key(&l2.dev).unwrap(),
        cfg,
    )
    .unwrap();
    let to: cosmrs::AccountId = l2.seq_addr.parse().unwrap();
    tokio::spawn(async move {
        let from: cosmrs::AccountId = sub.address().parse().unwrap();
        let mut ok = 0;
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
            ok += 1;
        }
        ok
    })
}

/// What the L1 records say, checked end to end.
struct Verified {
    /// `(start, end, route)` of every batch, in height order.
    batches: Vec<(u64, u64, &'static str)>,
    txs_in_blocks: usize,
}

/// Reads every record of `bridge` back, fetches and assembles the batches, decodes every
/// block and checks it against the L2 node. Panics on a gap, overlap, duplicate or mismatch.
async fn verify(
    l1_url: &str,
    bridge: u64,
    submitter: &str,
    da_url: &str,
    l2: &L2,
    upto: u64,
) -> Verified {
    let l1 = RemoteChain::new(l1_url).unwrap();
    let records = recorded_batches(l1.rpc(), bridge, Some(submitter), 1)
        .await
        .unwrap();
    let mut seen_bytes = HashSet::new();
    let mut da: Option<CelestiaDa> = None;
    let mut asm = Assembler::new(1 << 30);
    let mut batches = Vec::new();
    let ns = namespace_for_chain(&l2.chain_id);
    for r in &records {
        let rec = r.record.clone().unwrap();
        assert!(
            seen_bytes.insert(rec.to_bytes()),
            "record recorded twice: {:?}",
            rec.range()
        );
        let (blobs, route) = match &rec {
            BatchRecord::Da {
                namespace,
                header,
                chunks,
                ..
            } => {
                assert_eq!(*namespace, ns);
                if da.is_none() {
                    let mut c = CelestiaDaConfig::new(da_url, ns);
                    c.auth_token = Some(DA_TOKEN.into());
                    da = Some(CelestiaDa::connect(c).await.unwrap());
                }
                let d = da.as_ref().unwrap();
                let mut blobs = vec![d.get(ns, *header).await.unwrap()];
                for p in chunks {
                    blobs.push(d.get(ns, *p).await.unwrap());
                }
                (blobs, "da")
            }
            BatchRecord::Inline { blob } => (vec![blob.clone()], "l1"),
        };
        for b in blobs {
            if let Some(batch) = asm.push(&b).unwrap() {
                batches.push((batch, route));
            }
        }
    }
    // A batch the batcher was recording when it was stopped may be partly on the L1 (its WAL
    // finishes it after a restart); every batch up to `upto` must be complete.
    assert!(
        asm.incomplete().iter().all(|(start, _)| *start > upto),
        "incomplete batches: {:?} (checked up to {upto})",
        asm.incomplete()
    );
    batches.sort_by_key(|(b, _)| b.start);
    let mut next = 1;
    let l2c = minitia_template::batcher::rpc_client(&l2.url).unwrap();
    let mut txs = 0;
    let mut out = Vec::new();
    for (b, route) in &batches {
        assert_eq!(
            b.start, next,
            "gap or overlap before batch {}..={}",
            b.start, b.end
        );
        for (i, raw) in b.blocks.iter().enumerate() {
            let h = b.start + i as u64;
            let proto = tendermint_proto::v0_38::types::Block::decode(raw.as_slice()).unwrap();
            let block = tendermint::Block::try_from(proto).unwrap();
            assert_eq!(block.header.height.value(), h);
            let served = l2c
                .block(tendermint::block::Height::try_from(h).unwrap())
                .await
                .unwrap();
            assert_eq!(block.header.hash(), served.block_id.hash, "block {h} hash");
            assert_eq!(block.data, served.block.data, "block {h} txs");
            txs += block.data.len();
        }
        out.push((b.start, b.end, *route));
        next = b.end + 1;
    }
    assert!(
        next > upto,
        "records reach only height {}, want {upto}",
        next - 1
    );
    Verified {
        batches: out,
        txs_in_blocks: txs,
    }
}

struct Net {
    _dir: tempfile::TempDir,
    l2: L2,
    l1: L1Handle,
    bridge: u64,
    sub: Arc<TxSubmitter>,
    da: LocalDaServer,
    da_addr: SocketAddr,
    da_dir: std::path::PathBuf,
    wal: std::path::PathBuf,
}

async fn net() -> Net {
    let dir = tempfile::tempdir().unwrap();
    let l2 = start_l2(dir.path()).await;
    let l1 = common::start_l1(
        L1_CHAIN,
        0,
        &dir.path().join("l1"),
        std::slice::from_ref(&l2.seq_addr),
    )
    .await;
    let sub = Arc::new(common::l1_submitter(
        L1_CHAIN,
        &l1.url,
        signing_key(&l2.seq).unwrap(),
    ));
    let bridge = common::create_bridge(&sub).await;
    let da_dir = dir.path().join("da");
    let da = LocalDaServer::start(
        common::da_config(DA_TOKEN, &da_dir),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let da_addr = da.addr();
    let wal = dir.path().join("mini/data/batcher");
    Net {
        l2,
        l1,
        bridge,
        sub,
        da,
        da_addr,
        da_dir,
        wal,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batcher_records_every_block_once_across_restarts() {
    let n = net().await;
    let da_url = n.da.url();
    let load = spawn_load(&n.l2, 40);
    let cfg = batcher_config(&n.l2, n.bridge, &n.wal, Duration::from_secs(60));
    // Kill the batcher at arbitrary points three times, restarting on the same WAL.
    for (i, after_ms) in [700u64, 1300, 450].into_iter().enumerate() {
        let r = spawn_batcher(cfg.clone(), n.sub.clone(), Some(lazy_da(&da_url, &n.l2)));
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        if i % 2 == 0 {
            r.kill().await;
        } else {
            r.stop().await;
        }
    }
    let sent = load.await.unwrap();
    let r = spawn_batcher(cfg.clone(), n.sub.clone(), Some(lazy_da(&da_url, &n.l2)));
    let l2c = minitia_template::batcher::rpc_client(&n.l2.url).unwrap();
    let target = l2c
        .status()
        .await
        .unwrap()
        .sync_info
        .latest_block_height
        .value();
    let st = r.status.clone();
    common::wait_for("the batcher to pass the load", 60, || {
        st.get().next_height > target
    })
    .await;
    let status = r.status.get();
    r.stop().await;
    assert!(
        status.batches_da > 0 && status.batches_inline == 0,
        "{status:?}"
    );
    assert!(!status.da_failover);
    assert_eq!(status.submitter.address, n.l2_seq_addr());
    let v = verify(
        &n.l1.url,
        n.bridge,
        &n.sub.address(),
        &da_url,
        &n.l2,
        target,
    )
    .await;
    assert!(v.batches.iter().all(|b| b.2 == "da"), "{:?}", v.batches);
    assert!(
        v.txs_in_blocks >= sent,
        "{} txs in blocks, {sent} sent",
        v.txs_in_blocks
    );
    // after a full stop the WAL holds nothing in flight and the blob files are gone
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(n.wal.join("state.json")).unwrap()).unwrap();
    assert!(state["pending"].is_null() || state["next_start"].as_u64().unwrap() > target);
    n.l2.stop().await;
    n.da.shutdown().await;
    n.l1.shutdown().await;
}

impl Net {
    fn l2_seq_addr(&self) -> String {
        self.l2.seq_addr.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batcher_fails_over_to_the_l1_and_comes_back_to_da() {
    let n = net().await;
    let da_url = n.da.url();
    let cfg = batcher_config(&n.l2, n.bridge, &n.wal, Duration::from_millis(800));
    let r = spawn_batcher(cfg.clone(), n.sub.clone(), Some(lazy_da(&da_url, &n.l2)));
    let st = r.status.clone();
    common::wait_for("a batch on DA", 30, || st.get().batches_da >= 2).await;

    // DA goes away: after failover_after the batches land inline on the L1.
    n.da.shutdown().await;
    let load = spawn_load(&n.l2, 10);
    common::wait_for("failover", 30, || st.get().da_failover).await;
    common::wait_for("inline batches", 30, || st.get().batches_inline >= 2).await;
    assert_eq!(load.await.unwrap(), 10);
    // while DA is down a restart keeps going inline
    r.kill().await;
    let r = spawn_batcher(cfg.clone(), n.sub.clone(), Some(lazy_da(&da_url, &n.l2)));
    let st = r.status.clone();
    let inline_before = n_inline(&n.wal);
    common::wait_for("inline batches after restart", 30, || {
        st.get().batches_inline > inline_before
    })
    .await;

    // DA comes back on the same address with the same data: batches go to DA again.
    let da = LocalDaServer::start(common::da_config(DA_TOKEN, &n.da_dir), n.da_addr)
        .await
        .unwrap();
    let da_before = st.get().batches_da;
    common::wait_for("batches back on DA", 60, || {
        st.get().batches_da >= da_before + 2
    })
    .await;
    let status = st.get();
    assert!(!status.da_failover, "{status:?}");
    let l2c = minitia_template::batcher::rpc_client(&n.l2.url).unwrap();
    let target = status.next_height - 1;
    r.stop().await;
    let v = verify(
        &n.l1.url,
        n.bridge,
        &n.sub.address(),
        &da.url(),
        &n.l2,
        target,
    )
    .await;
    let routes: Vec<&str> = v.batches.iter().map(|b| b.2).collect();
    let first_l1 = routes
        .iter()
        .position(|r| *r == "l1")
        .expect("some batch inline");
    let last_l1 = routes.iter().rposition(|r| *r == "l1").unwrap();
    assert!(first_l1 > 0, "started on DA: {routes:?}");
    assert!(
        routes[last_l1 + 1..].iter().all(|r| *r == "da") && last_l1 + 1 < routes.len(),
        "{routes:?}"
    );
    assert!(v.txs_in_blocks >= 10);
    let _ = l2c;
    n.l2.stop().await;
    da.shutdown().await;
    n.l1.shutdown().await;
}

fn n_inline(wal: &Path) -> u64 {
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(wal.join("state.json")).unwrap()).unwrap();
    state["batches_inline"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batcher_without_da_records_every_batch_inline() {
    let n = net().await;
    let mut cfg = batcher_config(&n.l2, n.bridge, &n.wal, Duration::from_secs(60));
    cfg.inline_chunk_bytes = 1_024;
    let r = spawn_batcher(cfg, n.sub.clone(), None::<LazyCelestiaDa>);
    let st = r.status.clone();
    common::wait_for("inline batches", 30, || st.get().batches_inline >= 3).await;
    let status = st.get();
    r.stop().await;
    assert_eq!(status.batches_da, 0);
    assert!(!status.da_configured && !status.da_failover);
    let v = verify(
        &n.l1.url,
        n.bridge,
        &n.sub.address(),
        "",
        &n.l2,
        status.next_height - 1,
    )
    .await;
    assert!(v.batches.iter().all(|b| b.2 == "l1"));
    n.l2.stop().await;
    n.da.shutdown().await;
    n.l1.shutdown().await;
}

/// Puts the last recorded batch back in flight in the WAL, as if the batcher had been killed
/// after the L1 included its record(s) but before the WAL said so.
async fn rewind_last_batch(n: &Net, da_url: &str) -> (u64, u64) {
    use minitia_template::batcher::wal::{Pending, Route, Wal};
    let mut wal = Wal::open(&n.wal, 1).unwrap();
    let last = wal.state().last.clone().unwrap();
    let l1 = RemoteChain::new(&n.l1.url).unwrap();
    let records = recorded_batches(l1.rpc(), n.bridge, Some(&n.sub.address()), 1)
        .await
        .unwrap();
    let mine: Vec<_> = records
        .iter()
        .filter(|r| r.record.as_ref().unwrap().range().unwrap() == (last.start, last.end))
        .collect();
    let floor = mine.iter().map(|r| r.l1_height).min().unwrap() - 1;
    let (blobs, route, pointers) = match mine[0].record.clone().unwrap() {
        BatchRecord::Da {
            namespace,
            header,
            chunks,
            ..
        } => {
            assert_eq!(mine.len(), 1);
            let mut c = CelestiaDaConfig::new(da_url, namespace);
            c.auth_token = Some(DA_TOKEN.into());
            let d = CelestiaDa::connect(c).await.unwrap();
            let mut blobs = Vec::new();
            let mut pointers = chunks.clone();
            pointers.push(header);
            for p in &pointers {
                blobs.push(d.get(namespace, *p).await.unwrap());
            }
            (blobs, Route::Da, Some(pointers))
        }
        BatchRecord::Inline { .. } => {
            // chunks in order, then the header, as the batcher stores them
            let mut blobs: Vec<Vec<u8>> = mine
                .iter()
                .map(|r| match r.record.clone().unwrap() {
                    BatchRecord::Inline { blob } => blob,
                    other => panic!("mixed routes: {other:?}"),
                })
                .collect();
            blobs.sort_by_key(|b| (b[0] == 0, b.get(17..25).map(|x| x.to_vec())));
            (blobs, Route::Inline, None)
        }
    };
    let (file, sum) = wal.store_blobs(last.start, last.end, &blobs).unwrap();
    let recorded = vec![None; if route == Route::Da { 1 } else { blobs.len() }];
    let pending = Pending {
        start: last.start,
        end: last.end,
        route,
        blobs_file: file,
        blobs_sha256: sum,
        blob_count: blobs.len(),
        raw_len: last.raw_len,
        l1_floor: floor,
        da_pointers: pointers,
        recorded,
        record_seq: Some(0),
    };
    wal.update(|s| {
        s.next_start = last.start;
        s.pending = Some(pending);
        match route {
            Route::Da => s.batches_da -= 1,
            Route::Inline => s.batches_inline -= 1,
        }
    })
    .unwrap();
    (last.start, last.end)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batcher_killed_after_the_l1_record_does_not_record_twice() {
    let n = net().await;
    let da_url = n.da.url();
    // DA route
    let cfg = batcher_config(&n.l2, n.bridge, &n.wal, Duration::from_secs(60));
    let r = spawn_batcher(cfg.clone(), n.sub.clone(), Some(lazy_da(&da_url, &n.l2)));
    let st = r.status.clone();
    common::wait_for("two DA batches", 30, || st.get().batches_da >= 2).await;
    r.stop().await;
    let (_, end) = rewind_last_batch(&n, &da_url).await;
    let r = spawn_batcher(cfg.clone(), n.sub.clone(), Some(lazy_da(&da_url, &n.l2)));
    let st = r.status.clone();
    common::wait_for("a batch after the resumed one", 30, || {
        st.get().next_height > end + 1
    })
    .await;
    r.stop().await;
    // inline route (no DA)
    let r = spawn_batcher(cfg.clone(), n.sub.clone(), None::<LazyCelestiaDa>);
    let st = r.status.clone();
    common::wait_for("an inline batch", 30, || st.get().batches_inline >= 1).await;
    r.stop().await;
    let (_, end) = rewind_last_batch(&n, &da_url).await;
    let r = spawn_batcher(cfg.clone(), n.sub.clone(), None::<LazyCelestiaDa>);
    let st = r.status.clone();
    common::wait_for("a batch after the resumed inline one", 30, || {
        st.get().next_height > end + 1
    })
    .await;
    let status = st.get();
    r.stop().await;
    // `verify` fails on any record seen twice, and on gaps
    let v = verify(
        &n.l1.url,
        n.bridge,
        &n.sub.address(),
        &da_url,
        &n.l2,
        status.next_height - 1,
    )
    .await;
    assert!(v.batches.iter().any(|b| b.2 == "l1") && v.batches.iter().any(|b| b.2 == "da"));
    n.l2.stop().await;
    n.da.shutdown().await;
    n.l1.shutdown().await;
}
