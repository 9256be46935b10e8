//! `minitia batcher` as a real process, killed with SIGKILL at arbitrary moments and
//! restarted on the same home, against an in-process L1, LocalDa and minitia node: every
//! block range ends up recorded on the L1 exactly once, with no gap.

use std::{collections::HashSet, path::Path, process::Command, time::Duration};

use l1_orchestrator::{ophost, proto as l1p, start_on, GenesisSpec, L1Options};
use minitia_chain::client::{RemoteChain, SubmitterConfig, TxSubmitter};
use minitia_da::{batch::BatchRecord, LocalDaConfig, LocalDaServer};
use minitia_template::{
    batcher::{records::recorded_batches, signing_key, STATUS_FILE},
    config::NodeConfig,
    home::{create_home, key_path, AccountKey, HomeOptions},
};
use prost::Message;

const L1_CHAIN: &str = "initiation-kill-1";
const TOKEN: &str = "kill9-token";

fn status_next(home: &Path) -> u64 {
    std::fs::read(home.join("data/batcher").join(STATUS_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["next_height"].as_u64())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batcher_process_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    // minitia node
    let home = dir.path().join("mini");
    create_home(&home, &HomeOptions::new("mini"), &mut |_| {}).unwrap();
    let mut cfg = NodeConfig::load(&home).unwrap();
    cfg.sequencer.create_empty_blocks = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let l2_url = format!("http://{}", listener.local_addr().unwrap());
    let node = minitia_template::run::open_node(&home, &cfg).unwrap();
    let (stop_l2, rx) = tokio::sync::oneshot::channel::<()>();
    let l2_task = tokio::spawn(node.run(listener, Duration::from_millis(100), async move {
        let _ = rx.await;
    }));
    // L1 with a bridge whose batch submitter is the sequencer key
    let seq = AccountKey::load(&key_path(&home, "sequencer")).unwrap();
    let l1_home = dir.path().join("l1");
    l1_orchestrator::init_home(
        &l1_home,
        &GenesisSpec {
            chain_id: L1_CHAIN.into(),
            balances: vec![(seq.address.clone(), 10_000_000_000)],
            min_proposer_bond: 0,
            min_challenger_bond: 0,
            ..GenesisSpec::default()
        },
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let l1 = start_on(
        L1Options {
            home: l1_home,
            rpc_listen: listener.local_addr().unwrap(),
            block_time: Duration::from_millis(40),
            dev: true,
        },
        listener,
    )
    .await
    .unwrap();
    let sub = TxSubmitter::new(
        RemoteChain::new(&l1.url).unwrap(),
        signing_key(&seq).unwrap(),
        SubmitterConfig::new(L1_CHAIN, "init", "0uinit".parse().unwrap()),
    )
    .unwrap();
    let me = sub.address();
    let create = l1p::MsgCreateBridge {
        creator: me.clone(),
        config: Some(l1p::BridgeConfig {
            challenger: me.clone(),
            proposer: me.clone(),
            batch_info: Some(l1p::BatchInfo {
                submitter: me.clone(),
                chain_type: 2,
            }),
            submission_interval: Some(l1p::Duration::from_secs(60)),
            finalization_period: Some(l1p::Duration::from_secs(60)),
            submission_start_height: 1,
            ..Default::default()
        }),
    };
    let t = sub
        .submit(
            vec![cosmrs::Any {
                type_url: ophost::msg::CREATE_BRIDGE.into(),
                value: create.encode_to_vec(),
            }],
            "",
        )
        .await
        .unwrap();
    let bridge: u64 = t
        .attr("create_bridge", "bridge_id")
        .unwrap()
        .parse()
        .unwrap();
    // DA
    let mut da_cfg = LocalDaConfig::new(dir.path().join("da"));
    da_cfg.block_time = Duration::from_millis(100);
    da_cfg.auth_token = Some(TOKEN.into());
    let da = LocalDaServer::start(da_cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_minitia"))
            .args(["batcher", "--home"])
            .arg(&home)
            .env("MINITIA_L1_RPC", &l1.url)
            .env("MINITIA_L1_BRIDGE_ID", bridge.to_string())
            .env("MINITIA_L1_GAS_PRICE", "0uinit")
            .env("MINITIA_DA_RPC", da.url())
            .env("MINITIA_DA_AUTH_TOKEN", TOKEN)
            .env("MINITIA_BATCH_INTERVAL", "300ms")
            .env("MINITIA_BATCH_MAX_BLOCKS", "10")
            .env("MINITIA_BATCH_NODE_RPC", &l2_url)
            .env("MINITIA_LOG_LEVEL", "warn")
            .spawn()
            .unwrap()
    };
    for ms in [1500u64, 2300, 1100, 1900] {
        let mut child = spawn();
        tokio::time::sleep(Duration::from_millis(ms)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let l2c = minitia_template::batcher::rpc_client(&l2_url).unwrap();
    let target = tendermint_rpc::Client::status(&l2c)
        .await
        .unwrap()
        .sync_info
        .latest_block_height
        .value();
    let mut child = spawn();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while status_next(&home) <= target {
        assert!(
            tokio::time::Instant::now() < deadline,
            "batcher stuck at {} (target {target})",
            status_next(&home)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let records = recorded_batches(
        RemoteChain::new(&l1.url).unwrap().rpc(),
        bridge,
        Some(&me),
        1,
    )
    .await
    .unwrap();
    let mut seen = HashSet::new();
    let mut ranges = Vec::new();
    for r in &records {
        let rec = r.record.clone().unwrap();
        assert!(
            seen.insert(rec.to_bytes()),
            "recorded twice: {:?}",
            rec.range()
        );
        assert!(matches!(rec, BatchRecord::Da { .. }), "DA was up: {rec:?}");
        ranges.push(rec.range().unwrap());
    }
    ranges.sort();
    let mut next = 1;
    for (s, e) in &ranges {
        assert_eq!(*s, next, "gap or overlap at {s}..={e}: {ranges:?}");
        next = e + 1;
    }
    assert!(next > target, "recorded up to {}, want {target}", next - 1);
    let _ = stop_l2.send(());
    let _ = l2_task.await;
    da.shutdown().await;
    l1.shutdown().await;
}
