//! End-to-end: fraud proofs judged by the real L1 node through its CometBFT RPC, with txs
//! signed by cosmrs. A real minitia node (Cosmos module set, cosmrs-signed bank transfers)
//! whose sequencer credits itself at block 3 gets a bad output posted for it; an honest
//! challenger replays the chain, builds the proof and submits `MsgSubmitFraudProof`:
//! the bad output and the later ones are deleted, the proposer slashed (half to the
//! challenger, half burned), and withdrawals against the deleted output cannot finalize. A
//! proof against a correct output costs its challenger the bond; a proof after the
//! finalization period, or from an unbonded account, is refused and changes nothing.

#[path = "../../fraud-proofs/tests/common/mod.rs"]
mod minitia;

use std::time::Duration;

use cosmrs::{
    crypto::secp256k1::SigningKey,
    proto::cosmos::auth::v1beta1::{BaseAccount, QueryAccountRequest, QueryAccountResponse},
    proto::cosmos::bank::v1beta1::{
        QueryBalanceRequest, QueryBalanceResponse, QuerySupplyOfRequest, QuerySupplyOfResponse,
    },
    proto::cosmos::base::v1beta1::Coin as ProtoCoin,
    tx::{self, Fee, SignDoc, SignerInfo},
    Any,
};
use l1_orchestrator::{
    bond,
    fraud::{self, MsgSubmitFraudProof, MsgSubmitFraudProofResponse},
    ophost,
    proto::*,
    start_on_with_engines, GenesisSpec, L1Handle, L1Options,
};
use minitia_core::{opinit::output_root, Hash32};
use minitia_fraud_proofs::build_proof;
use prost::Message;
use tendermint_rpc::{client::CompatMode, Client, HttpClient};

const L1_CHAIN: &str = "initiation-fraud-1";
const DENOM: &str = "uinit";
const MIN_BOND: u128 = 1_000_000;
const FINALIZATION_SECS: i64 = 3600;

fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

fn addr(k: &SigningKey) -> String {
    k.public_key().account_id("init").unwrap().to_string()
}

fn pack(url: &str, m: impl Message) -> Any {
    Any {
        type_url: url.into(),
        value: m.encode_to_vec(),
    }
}

struct L1 {
    l1: Option<L1Handle>,
    c: HttpClient,
    _dir: tempfile::TempDir,
}

impl Drop for L1 {
    fn drop(&mut self) {
        drop(self.l1.take());
    }
}

#[derive(Debug)]
struct TxOut {
    code: u32,
    codespace: String,
    log: String,
    events: Vec<(String, Vec<(String, String)>)>,
    data: Vec<u8>,
}

impl TxOut {
    fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "tx failed: {}", self.log);
        self
    }
    fn fails(&self, codespace: &str, code: u32, text: &str) {
        assert_eq!(
            (self.codespace.as_str(), self.code),
            (codespace, code),
            "unexpected result: {}",
            self.log
        );
        assert!(self.log.contains(text), "log {:?} lacks {text:?}", self.log);
    }
    fn event(&self, kind: &str) -> std::collections::HashMap<String, String> {
        self.events
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, a)| a.iter().cloned().collect())
            .unwrap_or_else(|| panic!("no {kind} event in {:?}", self.events))
    }
    fn fraud_response(&self) -> MsgSubmitFraudProofResponse {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&self.data)
            .unwrap();
        let d =
            cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData::decode(raw.as_slice()).unwrap();
        MsgSubmitFraudProofResponse::decode(d.msg_responses[0].value.as_slice()).unwrap()
    }
}

impl L1 {
    async fn start(funded: &[&SigningKey]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let spec = GenesisSpec {
            chain_id: L1_CHAIN.into(),
            balances: funded.iter().map(|k| (addr(k), 100_000_000)).collect(),
            min_proposer_bond: MIN_BOND,
            min_challenger_bond: MIN_BOND,
            ..GenesisSpec::default()
        };
        l1_orchestrator::init_home(dir.path(), &spec).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let l1 = start_on_with_engines(
            L1Options {
                home: dir.path().to_path_buf(),
                rpc_listen: listener.local_addr().unwrap(),
                block_time: Duration::from_millis(40),
                dev: true,
            },
            listener,
            std::sync::Arc::new(minitia::engines()),
        )
        .await
        .unwrap();
        let c = HttpClient::builder(l1.url.parse().unwrap())
            .compat_mode(CompatMode::V0_38)
            .build()
            .unwrap();
        Self {
            l1: Some(l1),
            c,
            _dir: dir,
        }
    }

    async fn query<R: Message + Default>(
        &self,
        path: &str,
        req: impl Message,
    ) -> Result<R, (u32, String)> {
        let r = self
            .c
            .abci_query(Some(path.into()), req.encode_to_vec(), None, false)
            .await
            .unwrap();
        if r.code.is_err() {
            return Err((r.code.value(), r.log));
        }
        Ok(R::decode(r.value.as_slice()).unwrap())
    }

    async fn balance(&self, a: &str) -> u128 {
        let r: QueryBalanceResponse = self
            .query(
                "/cosmos.bank.v1beta1.Query/Balance",
                QueryBalanceRequest {
                    address: a.into(),
                    denom: DENOM.into(),
                },
            )
            .await
            .unwrap();
        r.balance.unwrap().amount.parse().unwrap()
    }

    async fn supply(&self) -> u128 {
        let r: QuerySupplyOfResponse = self
            .query(
                "/cosmos.bank.v1beta1.Query/SupplyOf",
                QuerySupplyOfRequest {
                    denom: DENOM.into(),
                },
            )
            .await
            .unwrap();
        r.amount.unwrap().amount.parse().unwrap()
    }

    async fn bonded(&self, a: &str) -> u128 {
        let r: bond::QueryBondResponse = self
            .query(bond::Q_BOND, bond::QueryBondRequest { address: a.into() })
            .await
            .unwrap();
        r.bonded.unwrap().amount.parse().unwrap()
    }

    async fn outputs(&self, bridge: u64) -> Vec<(u64, u64)> {
        let o: QueryOutputProposalsResponse = self
            .query(
                ophost::query::OUTPUT_PROPOSALS,
                QueryBridgePageRequest {
                    bridge_id: bridge,
                    pagination: None,
                },
            )
            .await
            .unwrap();
        o.output_proposals
            .iter()
            .map(|p| {
                (
                    p.output_index,
                    p.output_proposal.as_ref().unwrap().l2_block_number,
                )
            })
            .collect()
    }

    async fn tx(&self, k: &SigningKey, msgs: Vec<Any>) -> TxOut {
        let r: QueryAccountResponse = self
            .query(
                "/cosmos.auth.v1beta1.Query/Account",
                QueryAccountRequest { address: addr(k) },
            )
            .await
            .unwrap();
        let acc = BaseAccount::decode(r.account.unwrap().value.as_slice()).unwrap();
        let body = tx::Body::new(msgs, "", 0u32);
        let fee = Fee {
            amount: vec![],
            gas_limit: 20_000_000,
            payer: None,
            granter: None,
        };
        let auth = SignerInfo::single_direct(Some(k.public_key()), acc.sequence).auth_info(fee);
        let doc =
            SignDoc::new(&body, &auth, &L1_CHAIN.parse().unwrap(), acc.account_number).unwrap();
        let raw = doc.sign(k).unwrap().to_bytes().unwrap();
        let r = self.c.broadcast_tx_commit(raw).await.unwrap();
        let (res, events, data) = if r.check_tx.code.is_err() {
            (&r.check_tx.code, vec![], vec![])
        } else {
            (
                &r.tx_result.code,
                r.tx_result
                    .events
                    .iter()
                    .map(|e| {
                        (
                            e.kind.clone(),
                            e.attributes
                                .iter()
                                .map(|a| {
                                    (
                                        a.key_str().unwrap_or_default().to_string(),
                                        a.value_str().unwrap_or_default().to_string(),
                                    )
                                })
                                .collect(),
                        )
                    })
                    .collect(),
                r.tx_result.data.to_vec(),
            )
        };
        let (codespace, log) = if r.check_tx.code.is_err() {
            (r.check_tx.codespace.clone(), r.check_tx.log.clone())
        } else {
            (r.tx_result.codespace.clone(), r.tx_result.log.clone())
        };
        TxOut {
            code: res.value(),
            codespace,
            log,
            events,
            data,
        }
    }

    /// Advances the dev clock and waits for a block stamped at or after the new time.
    async fn advance(&self, seconds: u64) {
        use minitia_chain::node::clock::Clock;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l1 = self.l1.as_ref().unwrap();
        let host = l1.url.trim_start_matches("http://").to_string();
        let body = format!("{{\"seconds\":{seconds}}}");
        let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
        let req = format!(
            "POST /dev/advance_time HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).await.unwrap();
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        let target = l1.clock.now();
        for _ in 0..500 {
            if self.c.status().await.unwrap().sync_info.latest_block_time >= target {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no block reached the advanced time");
    }
}

fn submit(challenger: &SigningKey, bridge: u64, index: u64, proof: Vec<u8>) -> Any {
    pack(
        fraud::MSG_SUBMIT_FRAUD_PROOF,
        MsgSubmitFraudProof {
            challenger: addr(challenger),
            bridge_id: bridge,
            output_index: index,
            proof,
        },
    )
}

fn hash(h: &tendermint::block::Header) -> Hash32 {
    Hash32::from_slice(h.hash().as_bytes()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fraud_proofs_settle_on_the_l1() {
    // The minitia: block 3 of 8 transitions state wrongly.
    let chain = minitia::Chain::new(Some(3));
    for _ in 0..8 {
        chain.transfers(10);
        chain.produce();
    }
    let (challenger_node, bad) = minitia::Challenger::replay(&chain, 8);
    assert_eq!(bad, Some(3));
    let storage_root = Hash32::ZERO;
    let root_at = |h: u64| output_root(1, &storage_root, &hash(&chain.header(h))).0;

    let (proposer, honest, reckless, user) = (key(11), key(12), key(13), key(14));
    let successor = key(15);
    let l1 = L1::start(&[&proposer, &honest, &reckless, &user, &successor]).await;
    // The bridge registers the minitia's engine in its metadata.
    let spec = minitia::spec();
    let r = l1
        .tx(
            &proposer,
            vec![pack(
                ophost::msg::CREATE_BRIDGE,
                MsgCreateBridge {
                    creator: addr(&proposer),
                    config: Some(BridgeConfig {
                        challenger: addr(&honest),
                        proposer: addr(&proposer),
                        batch_info: Some(BatchInfo {
                            submitter: addr(&proposer),
                            chain_type: 1,
                        }),
                        submission_interval: Some(l1_orchestrator::proto::Duration::from_secs(60)),
                        finalization_period: Some(l1_orchestrator::proto::Duration::from_secs(
                            FINALIZATION_SECS,
                        )),
                        submission_start_height: 1,
                        metadata: spec.to_bridge_metadata(),
                        ..Default::default()
                    }),
                },
            )],
        )
        .await;
    r.ok();
    let bridge: u64 = r.event("create_bridge")["bridge_id"].parse().unwrap();
    for k in [&honest, &reckless] {
        l1.tx(
            k,
            vec![pack(
                bond::MSG_BOND,
                bond::MsgBond {
                    bonder: addr(k),
                    amount: Some(ProtoCoin {
                        denom: DENOM.into(),
                        amount: MIN_BOND.to_string(),
                    }),
                },
            )],
        )
        .await
        .ok();
    }
    // Outputs at l2 blocks 2 (correct), 6 (commits block 3's wrong transition) and 8.
    for (i, l2) in [(1u64, 2u64), (2, 6), (3, 8)] {
        l1.tx(
            &proposer,
            vec![pack(
                ophost::msg::PROPOSE_OUTPUT,
                MsgProposeOutput {
                    proposer: addr(&proposer),
                    bridge_id: bridge,
                    output_index: i,
                    l2_block_number: l2,
                    output_root: root_at(l2).to_vec(),
                },
            )],
        )
        .await
        .ok();
    }
    assert_eq!(l1.outputs(bridge).await, vec![(1, 2), (2, 6), (3, 8)]);

    // A proof against a correct output (block 1, committed by output 1): the reckless
    // challenger loses its bond, burned; nothing else changes.
    let honest_block = build_proof(
        &challenger_node.app,
        &challenger_node.store,
        chain.headers(1, 2),
        chain.txs(1),
        storage_root,
    )
    .unwrap();
    assert!(!honest_block.is_fault());
    let supply = l1.supply().await;
    let reckless_balance = l1.balance(&addr(&reckless)).await;
    let r = l1
        .tx(
            &reckless,
            vec![submit(&reckless, bridge, 1, honest_block.proof.encode())],
        )
        .await;
    r.ok();
    let resp = r.fraud_response();
    assert!(!resp.fault_proven);
    assert!(
        resp.verdict.contains("transition is correct"),
        "{}",
        resp.verdict
    );
    assert_eq!(
        r.event("fraud_proof_rejected")["slashed"],
        format!("{MIN_BOND}{DENOM}")
    );
    assert_eq!(l1.bonded(&addr(&reckless)).await, 0);
    assert_eq!(l1.balance(&addr(&reckless)).await, reckless_balance);
    assert_eq!(l1.supply().await, supply - MIN_BOND);
    assert_eq!(l1.outputs(bridge).await, vec![(1, 2), (2, 6), (3, 8)]);

    // Without a bond it cannot try again: refused, nothing changes.
    let r = l1
        .tx(
            &reckless,
            vec![submit(&reckless, bridge, 1, honest_block.proof.encode())],
        )
        .await;
    r.fails("bond", bond::code::INSUFFICIENT_BOND, "insufficient bond");

    // A forged proof (the fault's proof with a tampered claimed root, so its header chain no
    // longer reaches output 2) is rejected too — but first the real one.
    let built = build_proof(
        &challenger_node.app,
        &challenger_node.store,
        chain.headers(3, 6),
        chain.txs(3),
        storage_root,
    )
    .unwrap();
    assert!(built.is_fault());
    let bytes = built.proof.encode();
    println!(
        "fraud proof for a block of 10 transfers, 4 headers: {} bytes",
        bytes.len()
    );

    // The proof of block 3's wrong transition against output 2.
    let supply = l1.supply().await;
    let honest_balance = l1.balance(&addr(&honest)).await;
    let proposer_bond = l1.bonded(&addr(&proposer)).await;
    assert_eq!(proposer_bond, MIN_BOND);
    // The bridge changes hands before the fault is proven: the guilty one is still the
    // account that proposed output 2, not whoever proposes for the bridge by then.
    l1.tx(
        &successor,
        vec![pack(
            bond::MSG_BOND,
            bond::MsgBond {
                bonder: addr(&successor),
                amount: Some(ProtoCoin {
                    denom: DENOM.into(),
                    amount: MIN_BOND.to_string(),
                }),
            },
        )],
    )
    .await
    .ok();
    let update_proposer = |signer: &SigningKey, new: &SigningKey| {
        pack(
            ophost::msg::UPDATE_PROPOSER,
            MsgUpdateProposer {
                authority: addr(signer),
                bridge_id: bridge,
                new_proposer: addr(new),
            },
        )
    };
    l1.tx(&proposer, vec![update_proposer(&proposer, &successor)])
        .await
        .ok();
    let r = l1
        .tx(&honest, vec![submit(&honest, bridge, 2, bytes)])
        .await;
    r.ok();
    let resp = r.fraud_response();
    assert!(resp.fault_proven, "{}", resp.verdict);
    assert!(resp.verdict.contains("block 3"), "{}", resp.verdict);
    assert_eq!(resp.deleted_outputs, 2);
    let ev = r.event("fraud_proven");
    assert_eq!(ev["reward"], format!("{}{DENOM}", MIN_BOND / 2));
    assert_eq!(ev["burned"], format!("{}{DENOM}", MIN_BOND - MIN_BOND / 2));
    assert_eq!(l1.outputs(bridge).await, vec![(1, 2)]);
    assert_eq!(ev["proposer"], addr(&proposer));
    assert_eq!(l1.bonded(&addr(&proposer)).await, 0);
    assert_eq!(
        l1.bonded(&addr(&successor)).await,
        MIN_BOND,
        "the innocent successor keeps its bond"
    );
    assert_eq!(
        l1.balance(&addr(&honest)).await,
        honest_balance + MIN_BOND / 2
    );
    assert_eq!(l1.bonded(&addr(&honest)).await, MIN_BOND);
    assert_eq!(l1.supply().await, supply - (MIN_BOND - MIN_BOND / 2));

    // The slashed proposer cannot be made the bridge's proposer again until it bonds again.
    let r = l1
        .tx(&successor, vec![update_proposer(&successor, &proposer)])
        .await;
    r.fails("bond", bond::code::INSUFFICIENT_BOND, "insufficient bond");

    // The same proof again: output 2 is gone.
    let r = l1
        .tx(
            &honest,
            vec![submit(&honest, bridge, 2, built.proof.encode())],
        )
        .await;
    r.fails("fraud", fraud::code::INVALID_OUTPUT_INDEX, "does not exist");

    // After the finalization period, output 1 can no longer be challenged: refused with a
    // clear error, and the challenger keeps its bond.
    l1.advance(FINALIZATION_SECS as u64 + 10).await;
    let r = l1
        .tx(
            &honest,
            vec![submit(&honest, bridge, 1, honest_block.proof.encode())],
        )
        .await;
    r.fails(
        "fraud",
        fraud::code::ALREADY_FINALIZED,
        "accepted only within the finalization period",
    );
    assert_eq!(l1.bonded(&addr(&honest)).await, MIN_BOND);
    // Withdrawals against the deleted output cannot finalize, even after the period.
    let r = l1
        .tx(
            &user,
            vec![pack(
                ophost::msg::FINALIZE_WITHDRAWAL,
                MsgFinalizeTokenWithdrawal {
                    sender: addr(&user),
                    bridge_id: bridge,
                    output_index: 2,
                    withdrawal_proofs: vec![],
                    from: addr(&user),
                    to: addr(&user),
                    sequence: 1,
                    amount: Some(ProtoCoin {
                        denom: DENOM.into(),
                        amount: "1".into(),
                    }),
                    version: vec![1],
                    storage_root: storage_root.0.to_vec(),
                    last_block_hash: hash(&chain.header(6)).0.to_vec(),
                },
            )],
        )
        .await;
    r.fails(
        ophost::CODESPACE,
        ophost::code::INVALID_OUTPUT_INDEX,
        "does not exist",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_is_refused_when_the_l1_cannot_judge_the_engine_it_names() {
    let proposer = key(21);
    let l1 = L1::start(&[&proposer]).await;
    let create = |metadata: Vec<u8>| {
        pack(
            ophost::msg::CREATE_BRIDGE,
            MsgCreateBridge {
                creator: addr(&proposer),
                config: Some(BridgeConfig {
                    challenger: addr(&proposer),
                    proposer: addr(&proposer),
                    batch_info: Some(BatchInfo {
                        submitter: addr(&proposer),
                        chain_type: 1,
                    }),
                    submission_interval: Some(l1_orchestrator::proto::Duration::from_secs(60)),
                    finalization_period: Some(l1_orchestrator::proto::Duration::from_secs(60)),
                    submission_start_height: 1,
                    metadata,
                    ..Default::default()
                }),
            },
        )
    };
    // An engine kind this L1's judge does not know: nobody could ever prove its outputs
    // wrong, so it is refused and no bridge is created.
    let mut unknown = minitia::spec();
    unknown.kind = "minitia-wasm".into();
    l1.tx(&proposer, vec![create(unknown.to_bridge_metadata())])
        .await
        .fails(
            "ophost",
            13,
            "engine kind \"minitia-wasm\" is not known to this L1",
        );
    l1.tx(
        &proposer,
        vec![create(
            br#"{"minitia_engine": {"kind": "cosmos"}}"#.to_vec(),
        )],
    )
    .await
    .fails("ophost", 13, "missing field `chain_id`");
    // Without engine metadata it is a permissioned bridge (OPinit's own metadata is free).
    let r = l1
        .tx(&proposer, vec![create(b"{\"perm_channels\":[]}".to_vec())])
        .await;
    r.ok();
    assert_eq!(r.event("create_bridge")["bridge_id"], "1");
    // A kind the judge knows is accepted.
    let r = l1
        .tx(
            &proposer,
            vec![create(minitia::spec().to_bridge_metadata())],
        )
        .await;
    r.ok();
    assert_eq!(r.event("create_bridge")["bridge_id"], "2");
}
