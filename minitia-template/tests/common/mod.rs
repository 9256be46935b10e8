//! Set-up shared by the bot end-to-end tests: a real L1 node in-process, the bots' tx
//! submitter on it, a `LocalDa` configuration, and polling with a deadline.
#![allow(dead_code)] // each test binary uses its own subset

use std::{path::Path, time::Duration};

use cosmrs::crypto::secp256k1::SigningKey;
use l1_orchestrator::{ophost, proto as l1p};
use l1_orchestrator::{start_on_with_engines, GenesisSpec, L1Handle, L1Options};
use minitia_chain::client::{GasPrice, RemoteChain, SubmitterConfig, TxSubmitter};
use minitia_da::LocalDaConfig;
use prost::Message;

/// Starts a dev L1 (`chain_id`, 40 ms blocks, time advance allowed) in `dir`, funding each of
/// `funded` with 10,000,000,000 uinit; proposers and challengers need at least `min_bond`.
pub async fn start_l1(chain_id: &str, min_bond: u128, dir: &Path, funded: &[String]) -> L1Handle {
    let spec = GenesisSpec {
        chain_id: chain_id.into(),
        balances: funded.iter().map(|a| (a.clone(), 10_000_000_000)).collect(),
        min_proposer_bond: min_bond,
        min_challenger_bond: min_bond,
        ..GenesisSpec::default()
    };
    l1_orchestrator::init_home(dir, &spec).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    start_on_with_engines(
        L1Options {
            home: dir.to_path_buf(),
            rpc_listen: listener.local_addr().unwrap(),
            block_time: Duration::from_millis(40),
            dev: true,
        },
        listener,
        std::sync::Arc::new(bank_only_engines()),
    )
    .await
    .unwrap()
}

/// The test L1's judge: the bank-only `cosmos` kind the template tests register (their
/// disputed blocks hold bank transfers only).
pub fn bank_only_engines() -> minitia_fraud_proofs::EngineSet {
    minitia_fraud_proofs::EngineSet::new().with("cosmos", |s: &minitia_fraud_proofs::EngineSpec| {
        Ok(minitia_chain::app::CosmosApp::new(s.app_config()?, vec![]))
    })
}

/// A submitter for `key` on the L1 at `url` (zero gas price, as the test L1 charges none).
pub fn l1_submitter(chain_id: &str, url: &str, key: SigningKey) -> TxSubmitter {
    let mut cfg = SubmitterConfig::new(chain_id, "init", "0uinit".parse::<GasPrice>().unwrap());
    cfg.inclusion_timeout = Duration::from_secs(20);
    TxSubmitter::new(RemoteChain::new(url).unwrap(), key, cfg).unwrap()
}

/// A `LocalDa` in `dir` with 100 ms blocks and bearer token `token`.
pub fn da_config(token: &str, dir: &Path) -> LocalDaConfig {
    let mut c = LocalDaConfig::new(dir);
    c.block_time = Duration::from_millis(100);
    c.auth_token = Some(token.into());
    c.wait_timeout = Duration::from_secs(10);
    c
}

/// Polls `f` every 50 ms; panics naming `what` after `secs` seconds.
pub async fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates a bridge whose proposer, challenger and batch submitter are `sub`'s key (60 s
/// submission interval and finalization period); returns its id.
pub async fn create_bridge(sub: &TxSubmitter) -> u64 {
    let me = sub.address();
    let config = l1p::BridgeConfig {
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
    };
    let msg = cosmrs::Any {
        type_url: ophost::msg::CREATE_BRIDGE.into(),
        value: l1p::MsgCreateBridge {
            creator: me,
            config: Some(config),
        }
        .encode_to_vec(),
    };
    let t = sub.submit(vec![msg], "").await.unwrap();
    t.attr("create_bridge", "bridge_id")
        .unwrap()
        .parse()
        .unwrap()
}

/// Bonds `amount` uinit of `sub`'s account (proposers and challengers must be bonded).
pub async fn bond(sub: &TxSubmitter, amount: u128) {
    use l1_orchestrator::bond;
    let msg = bond::MsgBond {
        bonder: sub.address(),
        amount: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: "uinit".into(),
            amount: amount.to_string(),
        }),
    };
    sub.submit(
        vec![cosmrs::Any {
            type_url: bond::MSG_BOND.into(),
            value: msg.encode_to_vec(),
        }],
        "",
    )
    .await
    .unwrap();
}

/// `GET path` from the HTTP server at `host` (`127.0.0.1:port`, or an `http://` URL); the
/// response body.
pub async fn http_get(host: impl std::fmt::Display, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = host.to_string();
    let host = host.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).await.unwrap();
    body[body.find("\r\n\r\n").unwrap() + 4..].to_string()
}

/// [`http_get`] of a JSON document.
pub async fn http_json(host: impl std::fmt::Display, path: &str) -> serde_json::Value {
    let body = http_get(host, path).await;
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}
