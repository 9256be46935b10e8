//! A test double node behind the RPC server: two real blocks, one tx with events, a
//! validator, and a broadcast channel the tests publish events on.

#![allow(dead_code)]

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use minitia_chain::rpc::{
    event_attributes, query_match, serve, CheckTxOutcome, NodeEvent, RpcBackend, RpcError,
};
use sha2::{Digest, Sha256};
use tendermint::{
    abci::{self, Code, Event},
    account,
    block::{self, parts, Block, Commit, CommitSig, Header, Round},
    chain, evidence,
    public_key::PublicKey,
    validator, AppHash, Hash, Signature, Time,
};
use tendermint_rpc::{
    endpoint::{
        abci_info, abci_query, block as block_ep, block_results, blockchain, commit, status,
        tx as tx_ep, validators,
    },
    query::Query,
    Order,
};
use tokio::sync::{broadcast, oneshot};

pub const CHAIN_ID: &str = "minitia-test";
pub const TX1: &[u8] = b"tx-one: send 100umin to init1abc";
pub const TX_NEW: &[u8] = b"tx-two: send 7umin to init1xyz";

pub fn sha256(b: &[u8]) -> Hash {
    Hash::Sha256(Sha256::digest(b).into())
}

pub fn time(secs: i64) -> Time {
    Time::from_unix_timestamp(1_700_000_000 + secs, 123_000_000).expect("valid time")
}

/// What the test node recorded of the calls it got.
#[derive(Default, Debug)]
pub struct Calls {
    pub abci_query: Vec<(String, Vec<u8>, u64, bool)>,
    pub submitted: Vec<Vec<u8>>,
    pub tx_search: Vec<(String, u32, u8, bool)>,
}

pub struct TestNode {
    pub blocks: Vec<block_ep::Response>,
    pub results: Vec<block_results::Response>,
    pub txs: Mutex<Vec<tx_ep::Response>>,
    pub validator: validator::Info,
    pub events: broadcast::Sender<NodeEvent>,
    pub calls: Mutex<Calls>,
    /// When set, a submitted tx is "committed" at height 3 shortly after CheckTx.
    pub commit_submitted: bool,
}

pub fn tx_result(recipient: &str, amount: &str, gas_used: i64) -> abci::types::ExecTxResult {
    abci::types::ExecTxResult {
        code: Code::Ok,
        data: Default::default(),
        log: "ok".into(),
        info: "".into(),
        gas_wanted: 200_000,
        gas_used,
        events: vec![
            Event::new(
                "transfer",
                [
                    ("recipient", recipient, true),
                    ("sender", "init1sender", true),
                    ("amount", amount, true),
                ],
            ),
            Event::new(
                "message",
                [("action", "/cosmos.bank.v1beta1.MsgSend", true)],
            ),
        ],
        codespace: "".into(),
    }
}

impl TestNode {
    pub fn new() -> Self {
        let sk = ed25519_consensus::SigningKey::from([7u8; 32]);
        let pk = PublicKey::from_raw_ed25519(&sk.verification_key().to_bytes())
            .expect("valid ed25519 key");
        let validator = validator::Info::new(pk, 10u32.into());
        let vset = validator::Set::without_proposer(vec![validator.clone()]);
        let addr = account::Id::from(pk);

        let mut blocks = Vec::new();
        let mut results = Vec::new();
        let mut prev: Option<block::Id> = None;
        for h in 1u32..=2 {
            let txs: Vec<Vec<u8>> = if h == 2 { vec![TX1.to_vec()] } else { vec![] };
            let last_commit = prev.map(|id| Commit {
                height: (h - 1).into(),
                round: Round::from(0u8),
                block_id: id,
                signatures: vec![
                    CommitSig::BlockIdFlagCommit {
                        validator_address: addr,
                        timestamp: time(i64::from(h) - 1),
                        signature: Signature::new(vec![0x5a; 64]).expect("sig"),
                    },
                    CommitSig::BlockIdFlagAbsent,
                ],
            });
            let header = Header {
                version: block::header::Version { block: 11, app: 1 },
                chain_id: chain::Id::try_from(CHAIN_ID).expect("chain id"),
                height: h.into(),
                time: time(i64::from(h)),
                last_block_id: prev,
                last_commit_hash: prev.map(|_| Hash::Sha256([0x11; 32])),
                data_hash: Some(Hash::Sha256([0x22; 32])),
                validators_hash: vset.hash(),
                next_validators_hash: vset.hash(),
                consensus_hash: Hash::Sha256([0x33; 32]),
                app_hash: AppHash::try_from(vec![h as u8; 32]).expect("app hash"),
                last_results_hash: prev.map(|_| Hash::Sha256([0x44; 32])),
                evidence_hash: Some(Hash::Sha256([0x55; 32])),
                proposer_address: addr,
            };
            let id = block::Id {
                hash: header.hash(),
                part_set_header: parts::Header::new(1, Hash::Sha256([0x66 + h as u8; 32]))
                    .expect("parts"),
            };
            let block = Block::new(header, txs, evidence::List::new(Vec::new()), last_commit);
            blocks.push(block_ep::Response {
                block_id: id,
                block,
            });
            results.push(block_results::Response {
                height: h.into(),
                txs_results: if h == 2 {
                    Some(vec![tx_result("init1abc", "100umin", 123_456)])
                } else {
                    None
                },
                finalize_block_events: vec![Event::new(
                    "mint",
                    [
                        ("amount", "1000umin", true),
                        ("height", &*h.to_string(), true),
                    ],
                )],
                begin_block_events: None,
                end_block_events: None,
                validator_updates: if h == 2 {
                    vec![validator::Update {
                        pub_key: validator.pub_key,
                        power: 12u32.into(),
                    }]
                } else {
                    vec![]
                },
                consensus_param_updates: (h == 2).then(consensus_params),
                app_hash: AppHash::try_from(vec![0xA0 + h as u8; 32]).expect("app hash"),
            });
            prev = Some(id);
        }
        let tx1 = tx_ep::Response {
            hash: sha256(TX1),
            height: 2u32.into(),
            index: 0,
            tx_result: tx_result("init1abc", "100umin", 123_456),
            tx: TX1.to_vec(),
            proof: Some(tx1_proof()),
        };
        let (events, _) = broadcast::channel(64);
        Self {
            blocks,
            results,
            txs: Mutex::new(vec![tx1]),
            validator,
            events,
            calls: Mutex::new(Calls::default()),
            commit_submitted: true,
        }
    }

    fn get(&self, height: Option<u64>) -> Result<usize, RpcError> {
        let latest = self.blocks.len() as u64;
        let h = height.unwrap_or(latest);
        if h == 0 || h > latest {
            return Err(RpcError::HeightUnavailable {
                requested: h,
                latest,
            });
        }
        Ok(h as usize - 1)
    }

    pub fn tx_event(&self, tx: &[u8], height: u32, recipient: &str) -> NodeEvent {
        NodeEvent::Tx {
            tx: Box::new(tx_ep::Response {
                hash: sha256(tx),
                height: height.into(),
                index: 0,
                tx_result: tx_result(recipient, "7umin", 5_000),
                tx: tx.to_vec(),
                proof: None,
            }),
        }
    }
}

pub fn consensus_params() -> tendermint::consensus::Params {
    serde_json::from_value(serde_json::json!({
        "block": {"max_bytes": "22020096", "max_gas": "50000000"},
        "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000",
                     "max_bytes": "1048576"},
        "validator": {"pub_key_types": ["ed25519"]},
        "version": {"app": "1"},
        "abci": {"vote_extensions_enable_height": "0"}
    }))
    .expect("consensus params")
}

pub fn tx1_proof() -> tendermint::tx::Proof {
    tendermint::tx::Proof {
        root_hash: Hash::Sha256([0x77; 32]),
        data: TX1.to_vec(),
        proof: tendermint::merkle::Proof {
            total: 2,
            index: 0,
            leaf_hash: Hash::Sha256([0x78; 32]),
            aunts: vec![Hash::Sha256([0x79; 32])],
        },
    }
}

pub fn query_proof() -> tendermint::merkle::proof::ProofOps {
    tendermint::merkle::proof::ProofOps {
        ops: vec![tendermint::merkle::proof::ProofOp {
            field_type: "ics23:iavl".into(),
            key: b"k".to_vec(),
            data: vec![1, 2, 3],
        }],
    }
}

pub fn status_json(node: &TestNode) -> serde_json::Value {
    let latest = node.blocks.last().expect("blocks");
    let first = &node.blocks[0];
    serde_json::json!({
        "node_info": {
            "protocol_version": {"p2p": "8", "block": "11", "app": "1"},
            "id": "9d5b7a1c0f0b6a4ea2ad1a0e5a6a7c5b3b8d2e1f",
            "listen_addr": "tcp://0.0.0.0:26656",
            "network": CHAIN_ID,
            "version": "0.38.17",
            "channels": "40202122233038606100",
            "moniker": "minitia-node",
            "other": {"tx_index": "on", "rpc_address": "tcp://127.0.0.1:26657"}
        },
        "sync_info": {
            "latest_block_hash": latest.block_id.hash.to_string(),
            "latest_app_hash": latest.block.header.app_hash.to_string(),
            "latest_block_height": "2",
            "latest_block_time": latest.block.header.time.to_rfc3339(),
            "earliest_block_hash": first.block_id.hash.to_string(),
            "earliest_app_hash": first.block.header.app_hash.to_string(),
            "earliest_block_height": "1",
            "earliest_block_time": first.block.header.time.to_rfc3339(),
            "catching_up": false
        },
        "validator_info": {
            "address": node.validator.address.to_string(),
            "pub_key": node.validator.pub_key,
            "voting_power": "10"
        }
    })
}

pub fn genesis_json() -> serde_json::Value {
    serde_json::json!({
        "genesis_time": "2023-11-14T22:13:20.123Z",
        "chain_id": CHAIN_ID,
        "initial_height": "1",
        "consensus_params": {
            "block": {"max_bytes": "22020096", "max_gas": "-1"},
            "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
            "validator": {"pub_key_types": ["ed25519"]},
            "version": {"app": "0"}
        },
        "validators": [],
        "app_hash": "",
        "app_state": {"bank": {"denom": "umin"}}
    })
}

impl RpcBackend for TestNode {
    fn status(&self) -> Result<status::Response, RpcError> {
        serde_json::from_value(status_json(self)).map_err(|e| RpcError::Internal(e.to_string()))
    }

    fn genesis(&self) -> Result<serde_json::Value, RpcError> {
        Ok(genesis_json())
    }

    fn abci_info(&self) -> Result<abci_info::Response, RpcError> {
        Ok(abci_info::Response {
            response: abci::response::Info {
                data: "minitia".into(),
                version: "1.2.3".into(),
                app_version: 1,
                last_block_height: 2u32.into(),
                last_block_app_hash: AppHash::try_from(vec![0xA2; 32]).expect("app hash"),
            },
        })
    }

    fn abci_query(
        &self,
        path: &str,
        data: &[u8],
        height: u64,
        prove: bool,
    ) -> Result<abci_query::AbciQuery, RpcError> {
        self.calls.lock().expect("lock").abci_query.push((
            path.to_string(),
            data.to_vec(),
            height,
            prove,
        ));
        if path == "/fail" {
            return Ok(abci_query::AbciQuery {
                code: Code::Err(std::num::NonZeroU32::new(6).expect("nonzero")),
                log: "unknown query path".into(),
                codespace: "sdk".into(),
                height: 2u32.into(),
                ..Default::default()
            });
        }
        Ok(abci_query::AbciQuery {
            code: Code::Ok,
            log: "".into(),
            info: "".into(),
            index: 0,
            key: b"k".to_vec(),
            value: [b"value-of:".as_slice(), data].concat(),
            proof: if prove { Some(query_proof()) } else { None },
            height: (if height == 0 { 2 } else { height as u32 }).into(),
            codespace: "".into(),
        })
    }

    fn submit_tx(&self, tx: Vec<u8>) -> Result<CheckTxOutcome, RpcError> {
        self.calls.lock().expect("lock").submitted.push(tx.clone());
        let hash = sha256(&tx);
        if tx.starts_with(b"bad") {
            return Ok(CheckTxOutcome {
                hash,
                code: 13,
                codespace: "sdk".into(),
                log: "insufficient fee".into(),
            });
        }
        if self.commit_submitted {
            let ev = self.tx_event(&tx, 3, "init1xyz");
            if let NodeEvent::Tx { tx: t } = &ev {
                self.txs.lock().expect("lock").push((**t).clone());
            }
            let sender = self.events.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(150));
                let _ = sender.send(ev);
            });
        }
        Ok(CheckTxOutcome {
            hash,
            code: 0,
            codespace: "".into(),
            log: "".into(),
        })
    }

    fn block(&self, height: Option<u64>) -> Result<block_ep::Response, RpcError> {
        Ok(self.blocks[self.get(height)?].clone())
    }

    fn block_by_hash(&self, hash: Hash) -> Result<Option<block_ep::Response>, RpcError> {
        Ok(self
            .blocks
            .iter()
            .find(|b| b.block_id.hash == hash)
            .cloned())
    }

    fn block_results(&self, height: Option<u64>) -> Result<block_results::Response, RpcError> {
        Ok(self.results[self.get(height)?].clone())
    }

    fn blockchain(&self, min: u64, max: u64) -> Result<blockchain::Response, RpcError> {
        let metas = self
            .blocks
            .iter()
            .rev()
            .filter(|b| (min..=max).contains(&b.block.header.height.value()))
            .map(|b| block::Meta {
                block_id: b.block_id,
                block_size: 1000 + b.block.header.height.value() as i64,
                header: b.block.header.clone(),
                num_txs: b.block.data.len() as i64,
            })
            .collect();
        Ok(blockchain::Response {
            last_height: (self.blocks.len() as u32).into(),
            block_metas: metas,
        })
    }

    fn commit(&self, height: Option<u64>) -> Result<commit::Response, RpcError> {
        let i = self.get(height)?;
        let b = &self.blocks[i];
        let commit = Commit {
            height: b.block.header.height,
            round: Round::from(0u8),
            block_id: b.block_id,
            signatures: vec![CommitSig::BlockIdFlagCommit {
                validator_address: self.validator.address,
                timestamp: b.block.header.time,
                signature: Signature::new(vec![0x6b; 64]).expect("sig"),
            }],
        };
        Ok(commit::Response {
            signed_header: tendermint::block::signed_header::SignedHeader::new(
                b.block.header.clone(),
                commit,
            )
            .map_err(|e| RpcError::Internal(e.to_string()))?,
            canonical: i + 1 < self.blocks.len(),
        })
    }

    fn validators(&self, height: Option<u64>) -> Result<validators::Response, RpcError> {
        let i = self.get(height)?;
        Ok(validators::Response::new(
            ((i + 1) as u32).into(),
            vec![self.validator.clone()],
            1,
        ))
    }

    fn tx(&self, hash: Hash) -> Result<Option<tx_ep::Response>, RpcError> {
        Ok(self
            .txs
            .lock()
            .expect("lock")
            .iter()
            .find(|t| t.hash == hash)
            .cloned())
    }

    fn tx_search(
        &self,
        query: &Query,
        page: u32,
        per_page: u8,
        order: Order,
    ) -> Result<(Vec<tx_ep::Response>, u32), RpcError> {
        self.calls.lock().expect("lock").tx_search.push((
            query.to_string(),
            page,
            per_page,
            matches!(order, Order::Descending),
        ));
        let mut all: Vec<tx_ep::Response> = self
            .txs
            .lock()
            .expect("lock")
            .iter()
            .filter(|t| {
                let ev = NodeEvent::Tx {
                    tx: Box::new((*t).clone()),
                };
                query_match::matches(query, &event_attributes(&ev))
            })
            .cloned()
            .collect();
        if matches!(order, Order::Descending) {
            all.reverse();
        }
        let total = all.len() as u32;
        let skip = (page.saturating_sub(1) as usize) * per_page as usize;
        Ok((
            all.into_iter().skip(skip).take(per_page as usize).collect(),
            total,
        ))
    }

    fn latest_height(&self) -> block::Height {
        (self.blocks.len() as u32).into()
    }

    fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }
}

/// A running server on 127.0.0.1:0.
pub struct Running {
    pub addr: SocketAddr,
    pub node: Arc<TestNode>,
    stop: Option<oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/websocket", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let r = tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("server stops within 10s");
        r.expect("server task").expect("server result");
    }
}

pub async fn start(node: TestNode) -> Running {
    let node = Arc::new(node);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(Arc::clone(&node), listener, async move {
        let _ = rx.await;
    }));
    Running {
        addr,
        node,
        stop: Some(tx),
        task,
    }
}

/// A minimal HTTP/1.1 client (so raw bodies and status codes can be checked exactly).
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8(buf).expect("utf8 response");
    let (head, rest) = text.split_once("\r\n\r\n").expect("http response");
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut r = rest;
        loop {
            let (len, tail) = r.split_once("\r\n").expect("chunk size");
            let n = usize::from_str_radix(len.trim(), 16).expect("chunk hex");
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            r = &tail[n + 2..];
        }
        out
    } else {
        rest.to_string()
    };
    (status, body)
}

pub async fn post_json(addr: SocketAddr, body: serde_json::Value) -> (u16, serde_json::Value) {
    let (st, b) = http(addr, "POST", "/", &body.to_string()).await;
    let v = if b.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&b).unwrap_or_else(|e| panic!("json body {b:?}: {e}"))
    };
    (st, v)
}

pub async fn get_json(addr: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let (st, b) = http(addr, "GET", path, "").await;
    let v = serde_json::from_str(&b).unwrap_or_else(|e| panic!("json body {b:?}: {e}"));
    (st, v)
}
