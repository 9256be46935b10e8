//! Drives a `LocalDa` server with the unmodified celestia-rpc / celestia-client crates.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use celestia_rpc::{BlobClient, Client, HeaderClient, StateClient, TxConfig};
use celestia_types::nmt::Namespace;
use celestia_types::{Blob, Commitment};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::core::ClientError;
use jsonrpsee::rpc_params;
use minitia_core::{BlobPointer, DaClient, DaError};
use minitia_da::{CelestiaDa, CelestiaDaConfig, LocalDaConfig, LocalDaServer, MAX_BLOB_SIZE};
use serde_json::json;

const TOKEN: &str = "test-token-123";

fn config(dir: &std::path::Path) -> LocalDaConfig {
    let mut cfg = LocalDaConfig::new(dir);
    cfg.block_time = Duration::from_millis(100);
    cfg.auth_token = Some(TOKEN.into());
    cfg.wait_timeout = Duration::from_secs(10);
    cfg
}

async fn start(dir: &std::path::Path) -> LocalDaServer {
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    LocalDaServer::start(config(dir), listen).await.unwrap()
}

async fn client(server: &LocalDaServer, token: Option<&str>) -> Client {
    Client::new(&server.url(), token, None, Some(Duration::from_secs(30)))
        .await
        .unwrap()
}

fn ns(s: &[u8]) -> Namespace {
    Namespace::new_v0(s).unwrap()
}

fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn call_message(e: ClientError) -> (i32, String) {
    match e {
        ClientError::Call(obj) => (obj.code(), obj.message().to_string()),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn celestia_rpc_submit_get_get_all_proof_included() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let c = client(&server, Some(TOKEN)).await;

    let (ns_a, ns_b, ns_c) = (ns(b"aaaa"), ns(b"bbbb"), ns(b"cccc"));
    let a1 = Blob::new(ns_a, b"first blob in a".to_vec(), None).unwrap();
    let a2 = Blob::new(ns_a, pseudo_random(3_000, 1), None).unwrap();
    let big = Blob::new(ns_b, pseudo_random(300_000, 2), None).unwrap();
    let single = Blob::new(ns_c, pseudo_random(400, 3), None).unwrap();
    let balance_before = c.state_balance().await.unwrap();

    let height = c
        .blob_submit(
            &[big.clone(), a1.clone(), a2.clone()],
            TxConfig::default().with_gas_price(0.004),
        )
        .await
        .unwrap();
    assert!(height >= 2, "genesis is height 1, got {height}");
    // one share, alone in its block: one row
    let single_height = c
        .blob_submit(std::slice::from_ref(&single), TxConfig::default())
        .await
        .unwrap();
    assert!(single_height > height);

    // Get: data, commitment and a square index come back, and celestia-types validates it
    let got = c.blob_get(height, ns_b, big.commitment).await.unwrap();
    assert_eq!(got.data, big.data);
    got.validate_with_commitment(&big.commitment).unwrap();
    assert!(got.index.is_some());

    // GetAll: both blobs of ns_a, in submission order within the namespace; none elsewhere
    let all = c.blob_get_all(height, &[ns_a]).await.unwrap().unwrap();
    assert_eq!(
        all.iter().map(|b| b.data.clone()).collect::<Vec<_>>(),
        vec![a1.data.clone(), a2.data.clone()]
    );
    assert!(c
        .blob_get_all(height, &[ns(b"none")])
        .await
        .unwrap()
        .is_none());
    let earlier = c.blob_get_all(height - 1, &[ns_a]).await.unwrap();
    assert!(earlier.is_none());

    // Header: valid ExtendedHeader whose DAH holds the rows the blob proofs verify against
    let header = c.header_get_by_height(height).await.unwrap();
    header.validate().unwrap();
    assert_eq!(header.height(), height);
    let prev = c.header_get_by_height(height - 1).await.unwrap();
    prev.verify_adjacent(&header).unwrap();

    // GetProof: a one-row blob alone in its namespace has a complete-namespace proof
    let proofs = c
        .blob_get_proof(single_height, ns_c, single.commitment)
        .await
        .unwrap();
    assert_eq!(proofs.len(), 1);
    let placed = c
        .blob_get(single_height, ns_c, single.commitment)
        .await
        .unwrap();
    let single_header = c.header_get_by_height(single_height).await.unwrap();
    // the index counts shares of the extended square, row-major
    let row = (placed.index.unwrap() / single_header.dah.square_width() as u64) as u16;
    proofs[0]
        .verify_complete_namespace(
            &single_header.dah.row_root(row).unwrap(),
            &single.to_shares().unwrap(),
            *ns_c,
        )
        .unwrap();
    // a multi-row blob gets one proof per row
    let big_proofs = c
        .blob_get_proof(height, ns_b, big.commitment)
        .await
        .unwrap();
    assert!(big_proofs.len() > 1);

    // Included: true for the right blob, false for another commitment or a wrong proof
    assert!(c
        .blob_included(single_height, ns_c, &proofs[0], single.commitment)
        .await
        .unwrap());
    for p in &big_proofs {
        assert!(c
            .blob_included(height, ns_b, p, big.commitment)
            .await
            .unwrap());
    }
    // not at that height: false, like celestia-node
    assert!(!c
        .blob_included(height, ns_c, &proofs[0], single.commitment)
        .await
        .unwrap());
    // another blob's proof does not verify against this blob's rows
    assert!(!c
        .blob_included(height, ns_b, &proofs[0], big.commitment)
        .await
        .unwrap());
    let other = Commitment::new([7; 32]);
    assert!(!c
        .blob_included(single_height, ns_c, &proofs[0], other)
        .await
        .unwrap());

    // Get of an unknown commitment / wrong namespace: celestia-node's "blob: not found"
    let (code, msg) = call_message(c.blob_get(height, ns_a, big.commitment).await.unwrap_err());
    assert_eq!((code, msg.as_str()), (1, "blob: not found"));

    // NetworkHead moves on; WaitForHeight blocks until the block exists
    let head = c.header_network_head().await.unwrap();
    assert!(head.height() >= height);
    let later = c.header_wait_for_height(head.height() + 3).await.unwrap();
    later.validate().unwrap();
    assert_eq!(later.height(), head.height() + 3);
    // the next height is waited for, as celestia-node does
    let head = c.header_network_head().await.unwrap().height();
    let next = c.header_get_by_height(head + 1).await.unwrap();
    assert_eq!(next.height(), head + 1);
    let (_, msg) = call_message(
        c.header_get_by_height(later.height() + 1000)
            .await
            .unwrap_err(),
    );
    assert!(msg.contains("from the future"), "{msg}");

    // the fee was paid
    let balance_after = c.state_balance().await.unwrap();
    assert!(balance_after.amount() < balance_before.amount());

    drop(c);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn celestia_da_backend_against_local_da() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let namespace = minitia_da::batch::namespace_for_chain("minitia-test-1");
    let mut cfg = CelestiaDaConfig::new(server.url(), namespace);
    cfg.auth_token = Some(TOKEN.into());
    cfg.gas_price = Some(0.002);
    let da = CelestiaDa::connect(cfg).await.unwrap();
    assert_eq!(da.chain_id(), "minitia-da-local");

    let blobs = vec![b"batch header".to_vec(), pseudo_random(500_000, 9)];
    let ptrs = da.submit(namespace, blobs.clone()).await.unwrap();
    assert_eq!(ptrs.len(), 2);
    assert_eq!(ptrs[0].height, ptrs[1].height);
    assert_eq!(da.get(namespace, ptrs[1]).await.unwrap(), blobs[1]);
    let all = da.get_all(namespace, ptrs[0].height).await.unwrap();
    assert_eq!(all, blobs);
    assert!(da.head().await.unwrap() >= ptrs[0].height);

    // a pointer to nothing is NotFound, a height beyond the head is retryable
    let missing = BlobPointer {
        height: ptrs[0].height,
        commitment: minitia_core::Hash32([1; 32]),
    };
    assert_eq!(
        da.get(namespace, missing).await.unwrap_err(),
        DaError::NotFound(ptrs[0].height)
    );
    let future = da.get_all(namespace, 1_000_000).await.unwrap_err();
    assert!(future.is_retryable(), "{future:?}");

    // the in-process LocalDa handle serves the same data through the same trait
    let local = server.da().clone();
    assert_eq!(
        DaClient::get(&local, namespace, ptrs[1]).await.unwrap(),
        blobs[1]
    );

    // a wrong token is refused at connect, and not as a retryable error
    let mut bad = CelestiaDaConfig::new(server.url(), namespace);
    bad.auth_token = Some("wrong".into());
    let err = CelestiaDa::connect(bad).await.unwrap_err();
    assert!(matches!(err, DaError::Rejected(_)), "{err:?}");

    drop(da);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_precisely_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let c = client(&server, Some(TOKEN)).await;
    let first = c.header_network_head().await.unwrap().height();
    let balance = c.state_balance().await.unwrap();
    let victim = ns(b"victim");

    // one byte over the mainnet max blob size
    let too_big = Blob::new(victim, vec![5; MAX_BLOB_SIZE + 1], None).unwrap();
    let (code, msg) = call_message(
        c.blob_submit(&[too_big], TxConfig::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 1);
    assert_eq!(
        msg,
        format!(
            "blob 0 is {} bytes, over the maximum blob size of {MAX_BLOB_SIZE} bytes; split it into smaller blobs",
            MAX_BLOB_SIZE + 1
        )
    );
    // exactly the max is fine
    let max = Blob::new(victim, vec![6; MAX_BLOB_SIZE], None).unwrap();
    let h_max = c
        .blob_submit(std::slice::from_ref(&max), TxConfig::default())
        .await
        .unwrap();
    assert_eq!(
        c.blob_get(h_max, victim, max.commitment)
            .await
            .unwrap()
            .data
            .len(),
        MAX_BLOB_SIZE
    );

    // raw requests with namespaces celestia-types would not even build
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let valid = Blob::new(victim, b"x".to_vec(), None).unwrap();
    let raw_submit = |namespace: Vec<u8>| {
        json!([{
            "namespace": b64(&namespace),
            "data": b64(b"x"),
            "share_version": 0,
            "commitment": b64(valid.commitment.hash()),
        }])
    };
    let mut short = victim.as_bytes().to_vec();
    short.pop();
    let err = c
        .request::<u64, _>("blob.Submit", rpc_params![raw_submit(short), json!({})])
        .await
        .unwrap_err();
    assert_eq!(
        call_message(err),
        (1, "invalid namespace: namespace must be 29 bytes (1 version byte + 28-byte id), got 28 bytes".to_string())
    );
    let mut v1 = victim.as_bytes().to_vec();
    v1[0] = 1;
    let err = c
        .request::<u64, _>("blob.Submit", rpc_params![raw_submit(v1), json!({})])
        .await
        .unwrap_err();
    assert_eq!(
        call_message(err),
        (
            1,
            "invalid namespace: unsupported namespace version 1: user blobs must use version 0"
                .to_string()
        )
    );
    let err = c
        .request::<u64, _>(
            "blob.Submit",
            rpc_params![
                raw_submit(Namespace::PAY_FOR_BLOB.as_bytes().to_vec()),
                json!({})
            ],
        )
        .await
        .unwrap_err();
    assert!(call_message(err).1.contains("is reserved"));
    // a commitment that does not match the data
    let mut wrong = serde_json::to_value(&valid).unwrap();
    wrong["commitment"] = json!(b64(&[9u8; 32]));
    let err = c
        .request::<u64, _>("blob.Submit", rpc_params![json!([wrong]), json!({})])
        .await
        .unwrap_err();
    assert!(call_message(err).1.contains("commitment does not match"));

    // a wrong token: HTTP 401, as go-jsonrpc's auth handler answers
    let bad = client(&server, Some("not-the-token")).await;
    match bad
        .blob_submit(std::slice::from_ref(&valid), TxConfig::default())
        .await
    {
        Err(ClientError::Transport(e)) => assert!(e.to_string().contains("401"), "{e}"),
        other => panic!("expected 401, got {other:?}"),
    }
    assert!(bad.header_network_head().await.is_err());
    // no token at all: a per-call permission error
    let anon = client(&server, None).await;
    let (code, msg) = call_message(anon.header_network_head().await.unwrap_err());
    assert_eq!(code, 1);
    assert!(
        msg.starts_with("missing permission to invoke 'header.NetworkHead'"),
        "{msg}"
    );

    // nothing of the refused blobs landed: only the max-size blob is in `victim`
    let head = c.header_wait_for_height(h_max + 2).await.unwrap().height();
    for h in first..=head {
        let got = c
            .blob_get_all(h, &[victim])
            .await
            .unwrap()
            .unwrap_or_default();
        if h == h_max {
            assert_eq!(got.len(), 1);
        } else {
            assert!(got.is_empty(), "unexpected blobs at height {h}");
        }
    }
    let after = c.state_balance().await.unwrap();
    let fee = balance.amount() - after.amount();
    let expected = (minitia_da::estimate_gas(&[max]) as f64 * 0.002).ceil() as u64;
    assert_eq!(fee, expected, "only the accepted blob was charged");

    drop((c, bad, anon));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let blob = Blob::new(ns(b"persist"), pseudo_random(50_000, 4), None).unwrap();
    let (height, header, old_head) = {
        let server = start(dir.path()).await;
        let c = client(&server, Some(TOKEN)).await;
        let height = c
            .blob_submit(std::slice::from_ref(&blob), TxConfig::default())
            .await
            .unwrap();
        let header = c.header_get_by_height(height).await.unwrap();
        drop(c);
        let da = server.da().clone();
        server.shutdown().await;
        let head = da.head_height();
        drop(da);
        (height, header, head)
    };
    assert!(old_head >= height);

    let server = start(dir.path()).await;
    let c = client(&server, Some(TOKEN)).await;
    // same blob, same header (same validator key), chain continues from the stored head
    let got = c
        .blob_get(height, blob.namespace, blob.commitment)
        .await
        .unwrap();
    assert_eq!(got.data, blob.data);
    assert_eq!(c.header_get_by_height(height).await.unwrap(), header);
    let proofs = c
        .blob_get_proof(height, blob.namespace, blob.commitment)
        .await
        .unwrap();
    assert!(c
        .blob_included(height, blob.namespace, &proofs[0], blob.commitment)
        .await
        .unwrap());
    let stored_head = c.header_get_by_height(old_head).await.unwrap();
    let next = c.header_wait_for_height(old_head + 1).await.unwrap();
    stored_head.verify_adjacent(&next).unwrap();
    drop(c);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_has_celestia_node_field_names() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let c = client(&server, Some(TOKEN)).await;
    let namespace = ns(b"shape");
    let blob = Blob::new(namespace, b"shape".to_vec(), None).unwrap();
    let h = c
        .blob_submit(std::slice::from_ref(&blob), TxConfig::default())
        .await
        .unwrap();

    let header: serde_json::Value = c
        .request("header.GetByHeight", rpc_params![h])
        .await
        .unwrap();
    for key in ["header", "validator_set", "commit", "dah"] {
        assert!(
            header.get(key).is_some(),
            "ExtendedHeader lacks {key}: {header}"
        );
    }
    assert_eq!(header["header"]["height"], json!(h.to_string()));
    assert!(header["dah"]["row_roots"].is_array());
    assert!(header["dah"]["column_roots"].is_array());
    assert!(header["commit"]["signatures"][0]["signature"].is_string());

    let b64 = base64::engine::general_purpose::STANDARD;
    let got: serde_json::Value = c
        .request(
            "blob.Get",
            rpc_params![
                h,
                b64.encode(namespace.as_bytes()),
                b64.encode(blob.commitment.hash())
            ],
        )
        .await
        .unwrap();
    for key in ["namespace", "data", "share_version", "commitment", "index"] {
        assert!(got.get(key).is_some(), "Blob lacks {key}: {got}");
    }
    assert_eq!(got["data"], json!(b64.encode(b"shape")));

    let proof: serde_json::Value = c
        .request(
            "blob.GetProof",
            rpc_params![
                h,
                b64.encode(namespace.as_bytes()),
                b64.encode(blob.commitment.hash())
            ],
        )
        .await
        .unwrap();
    assert!(proof[0].get("end").is_some(), "nmt proof shape: {proof}");
    assert_eq!(proof[0]["is_max_namespace_ignored"], json!(true));

    let balance: serde_json::Value = c.request("state.Balance", rpc_params![]).await.unwrap();
    assert_eq!(balance["denom"], json!("utia"));

    let err = c
        .request::<serde_json::Value, _>("blob.Nope", rpc_params![])
        .await
        .unwrap_err();
    assert_eq!(call_message(err).0, -32601);
    drop(c);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_posted_to_local_da_reassembles_from_get_all() {
    use minitia_da::batch::{encode_for_celestia, namespace_for_chain, Assembler};
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let da = server.da().clone();
    let namespace = namespace_for_chain("minitia-batch-1");
    // blocks that need two max-size chunks after compression
    let blocks: Vec<Vec<u8>> = (0..6).map(|i| pseudo_random(400_000, 100 + i)).collect();
    let batch = encode_for_celestia(41, &blocks).unwrap();
    assert!(batch.chunks.len() >= 2);
    assert!(batch.chunks.iter().all(|c| c.len() <= MAX_BLOB_SIZE));
    // chunks in one submission, the header in a later one (as OPinit posts them)
    let chunk_ptrs = da.submit(namespace, batch.chunks.clone()).await.unwrap();
    let header_ptr = da
        .submit(namespace, vec![batch.header.clone()])
        .await
        .unwrap();
    assert!(header_ptr[0].height > chunk_ptrs[0].height);

    // a follower scanning heights in the namespace gets the blocks back
    let mut asm = Assembler::new(64 << 20);
    let mut out = None;
    for h in chunk_ptrs[0].height..=header_ptr[0].height {
        for blob in da.get_all(namespace, h).await.unwrap() {
            if let Some(done) = asm.push(&blob).unwrap() {
                out = Some(done);
            }
        }
    }
    let out = out.expect("batch completed");
    assert_eq!((out.start, out.end), (41, 46));
    assert_eq!(out.blocks, blocks);
    drop(da);
    server.shutdown().await;
}
