//! `safe` and `finalized` heights read from a real L1 (l1-orchestrator in-process, queried over
//! its CometBFT RPC): a batch record moves `safe`; an output moves `finalized` only once its
//! finalization period has passed on the L1 clock.

use std::time::Duration;

use cosmrs::crypto::secp256k1::SigningKey;
use l1_orchestrator::{ophost, start_on, GenesisSpec, L1Options};
use minitia_chain::{
    client::{GasPrice, RemoteChain, SubmitterConfig, TxSubmitter},
    opinit as l1p,
};
use minitia_core::{BlobPointer, Hash32};
use minitia_da::batch::{namespace_for_chain, BatchRecord};
use minitia_template::finality::{finalized_height, latest_recorded_height, watch_l1, Finality};
use prost::Message;

const L1_CHAIN: &str = "initiation-finality-1";

fn any<M: Message>(type_url: &str, m: &M) -> cosmrs::Any {
    cosmrs::Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safe_and_finalized_follow_the_l1() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::from_slice(&[7; 32]).unwrap();
    let me = key.public_key().account_id("init").unwrap().to_string();
    let spec = GenesisSpec {
        chain_id: L1_CHAIN.into(),
        balances: vec![(me.clone(), 10_000_000_000)],
        min_proposer_bond: 0,
        min_challenger_bond: 0,
        ..GenesisSpec::default()
    };
    l1_orchestrator::init_home(dir.path(), &spec).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let l1 = start_on(
        L1Options {
            home: dir.path().to_path_buf(),
            rpc_listen: listener.local_addr().unwrap(),
            block_time: Duration::from_millis(40),
            dev: true,
        },
        listener,
    )
    .await
    .unwrap();
    let chain = RemoteChain::new(&l1.url).unwrap();
    let sub = TxSubmitter::new(
        chain.clone(),
        key,
        SubmitterConfig::new(L1_CHAIN, "init", "0uinit".parse::<GasPrice>().unwrap()),
    )
    .unwrap();

    let config = l1p::BridgeConfig {
        challenger: me.clone(),
        proposer: me.clone(),
        batch_info: Some(l1p::BatchInfo {
            submitter: me.clone(),
            chain_type: 2,
        }),
        submission_interval: Some(l1p::Duration::from_secs(60)),
        finalization_period: Some(l1p::Duration::from_secs(3600)),
        submission_start_height: 1,
        ..Default::default()
    };
    let t = sub
        .submit(
            vec![any(
                ophost::msg::CREATE_BRIDGE,
                &l1p::MsgCreateBridge {
                    creator: me.clone(),
                    config: Some(config),
                },
            )],
            "",
        )
        .await
        .unwrap();
    let bridge_id: u64 = t
        .attr("create_bridge", "bridge_id")
        .unwrap()
        .parse()
        .unwrap();

    // Nothing recorded or finalized yet.
    assert_eq!(
        latest_recorded_height(&chain, bridge_id).await.unwrap(),
        None
    );
    assert_eq!(finalized_height(&chain, bridge_id).await.unwrap(), 0);

    // Two batch records: blocks 1..=7 on DA, then 8..=9.
    for (start, end) in [(1u64, 7u64), (8, 9)] {
        let record = BatchRecord::Da {
            namespace: namespace_for_chain("mini-1"),
            start,
            end,
            header: BlobPointer {
                height: end,
                commitment: Hash32([start as u8; 32]),
            },
            chunks: vec![BlobPointer {
                height: end,
                commitment: Hash32([end as u8; 32]),
            }],
        };
        sub.submit(
            vec![any(
                ophost::msg::RECORD_BATCH,
                &l1p::MsgRecordBatch {
                    submitter: me.clone(),
                    bridge_id,
                    batch_bytes: record.to_bytes(),
                },
            )],
            "",
        )
        .await
        .unwrap();
    }
    assert_eq!(
        latest_recorded_height(&chain, bridge_id).await.unwrap(),
        Some(9)
    );

    // An output for L2 block 5: proposed, not final until the period passes on the L1 clock.
    sub.submit(
        vec![any(
            ophost::msg::PROPOSE_OUTPUT,
            &l1p::MsgProposeOutput {
                proposer: me.clone(),
                bridge_id,
                output_index: 1,
                l2_block_number: 5,
                output_root: vec![1; 32],
            },
        )],
        "",
    )
    .await
    .unwrap();
    assert_eq!(finalized_height(&chain, bridge_id).await.unwrap(), 0);

    let finality = Finality::tracked();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let watcher = tokio::spawn(watch_l1(
        finality.clone(),
        chain.clone(),
        bridge_id,
        Duration::from_millis(50),
        async move {
            let _ = rx.await;
        },
    ));
    let wait_for = |want_safe: u64, want_final: u64| {
        let f = finality.clone();
        async move {
            for _ in 0..200 {
                let s = f.status();
                if s.safe == want_safe && s.finalized == want_final {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!(
                "finality stuck at {:?}, want safe {want_safe} finalized {want_final}",
                f.status()
            );
        }
    };
    wait_for(9, 0).await;
    // Capped by the chain's own head.
    assert_eq!(finality.safe(6), 6);
    assert_eq!(finality.finalized(100), 0);

    l1.clock.advance(Duration::from_secs(3601)).unwrap();
    wait_for(9, 5).await;
    assert_eq!(finality.finalized(100), 5);

    // Without an L1 both follow the head.
    let standalone = Finality::standalone();
    assert_eq!((standalone.safe(42), standalone.finalized(42)), (42, 42));

    let _ = stop.send(());
    watcher.await.unwrap();
    l1.shutdown().await;
}
