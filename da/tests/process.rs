//! The `minitia-da` binary as a process: served over HTTP, killed with SIGKILL, restarted.
//! Also a DA outage ridden out by `retry::submit_with_retry` through `CelestiaDa`.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use celestia_rpc::{BlobClient, Client, HeaderClient, TxConfig};
use celestia_types::nmt::Namespace;
use celestia_types::Blob;
use minitia_core::{DaClient, DaError};
use minitia_da::retry::{submit_with_retry, Outage, RetryPolicy};
use minitia_da::{CelestiaDa, CelestiaDaConfig, LocalDaConfig, LocalDaServer};

const TOKEN: &str = "process-token";

fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// Kills the child on drop so a failing test leaves no process behind.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(dir: &std::path::Path, addr: SocketAddr) -> Node {
    let child = Command::new(env!("CARGO_BIN_EXE_minitia-da"))
        .args(["--da.home", dir.to_str().unwrap()])
        .args(["--da.listen", &addr.to_string()])
        .args(["--da.block-time-ms", "100"])
        .args(["--da.auth-token", TOKEN])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Node(child)
}

async fn connect(addr: SocketAddr) -> Client {
    let url = format!("http://{addr}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let c = Client::new(&url, Some(TOKEN), None, Some(Duration::from_secs(10)))
            .await
            .unwrap();
        if c.header_network_head().await.is_ok() {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "minitia-da did not come up on {addr}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_blobs_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let ns = Namespace::new_v0(b"kill9").unwrap();
    let blobs: Vec<Blob> = (0..5u8)
        .map(|i| Blob::new(ns, vec![i; 10_000 + i as usize], None).unwrap())
        .collect();

    let mut node = spawn(dir.path(), addr);
    let c = connect(addr).await;
    let mut acked = Vec::new();
    for b in &blobs {
        let h = c
            .blob_submit(std::slice::from_ref(b), TxConfig::default())
            .await
            .unwrap();
        acked.push(h);
    }
    let last = c.header_get_by_height(acked[4]).await.unwrap();
    node.0.kill().unwrap(); // SIGKILL: no shutdown path runs
    node.0.wait().unwrap();
    drop(c);

    let _node = spawn(dir.path(), addr);
    let c = connect(addr).await;
    for (b, h) in blobs.iter().zip(&acked) {
        let got = c.blob_get(*h, ns, b.commitment).await.unwrap();
        assert_eq!(got.data, b.data);
    }
    assert_eq!(c.header_get_by_height(acked[4]).await.unwrap(), last);
    let head = c.header_network_head().await.unwrap().height();
    let next = c.header_wait_for_height(head + 1).await.unwrap();
    c.header_get_by_height(head)
        .await
        .unwrap()
        .verify_adjacent(&next)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_rides_out_a_da_outage() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = LocalDaConfig::new(dir.path());
    cfg.block_time = Duration::from_millis(100);
    cfg.auth_token = Some(TOKEN.into());
    let server = LocalDaServer::start(cfg.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = server.addr();
    let namespace = minitia_da::batch::namespace_for_chain("outage-1");
    let mut da_cfg = CelestiaDaConfig::new(server.url(), namespace);
    da_cfg.auth_token = Some(TOKEN.into());
    da_cfg.timeout = Duration::from_secs(5);
    let da = CelestiaDa::connect(da_cfg).await.unwrap();
    let before = da
        .submit(namespace, vec![b"before".to_vec()])
        .await
        .unwrap();

    server.shutdown().await;
    // down: a retryable error, not a rejection
    let err = da.submit(namespace, vec![b"x".to_vec()]).await.unwrap_err();
    assert!(matches!(err, DaError::Unavailable(_)), "{err:?}");

    let restart = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        LocalDaServer::start(cfg, addr).await.unwrap()
    });
    let policy = RetryPolicy {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
        failover_after: Some(Duration::from_secs(30)),
    };
    let mut outage = Outage::new(policy);
    let ptrs = submit_with_retry(&da, namespace, vec![b"during".to_vec()], &mut outage)
        .await
        .unwrap();
    assert!(!outage.is_down());
    assert!(ptrs[0].height > before[0].height);
    assert_eq!(da.get(namespace, ptrs[0]).await.unwrap(), b"during");
    assert_eq!(da.get(namespace, before[0]).await.unwrap(), b"before");
    let server = restart.await.unwrap();
    drop(da);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_past_the_limit_signals_failover() {
    let addr = free_addr();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = LocalDaConfig::new(dir.path());
    cfg.block_time = Duration::from_millis(100);
    let server = LocalDaServer::start(cfg, addr).await.unwrap();
    let namespace = minitia_da::batch::namespace_for_chain("outage-2");
    let da = CelestiaDa::connect(CelestiaDaConfig::new(server.url(), namespace))
        .await
        .unwrap();
    server.shutdown().await;
    let mut outage = Outage::new(RetryPolicy {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(50),
        failover_after: Some(Duration::from_millis(400)),
    });
    let started = Instant::now();
    let err = submit_with_retry(&da, namespace, vec![b"y".to_vec()], &mut outage)
        .await
        .unwrap_err();
    assert!(
        matches!(err, minitia_da::retry::SubmitError::FailOver { .. }),
        "{err:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(400));
}
