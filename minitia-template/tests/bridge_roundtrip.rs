//! The bridge end to end with real servers and real clients: the L1 (l1-orchestrator, dev
//! clock) and a minitia node (with the opchild module) serve CometBFT RPC on localhost; the
//! executor runs in-process against both over RPC; users sign with cosmrs through the same
//! `TxSubmitter` the bots use. Supply is checked at every step: L1 escrow = L2 supply of the
//! bridged denom + withdrawals initiated but not yet claimed.

use std::{path::Path, sync::Arc, time::Duration};

use cosmrs::{crypto::secp256k1::SigningKey, proto::cosmos::base::v1beta1::Coin as PCoin};
use l1_orchestrator::{ophost, proto as l1p, start_on, GenesisSpec, L1Handle, L1Options};
use minitia_chain::{
    client::{RemoteChain, SubmitError, SubmitterConfig, TxSubmitter},
    node::keys::ValidatorKey,
};
use minitia_core::opinit::l2_denom;
use minitia_template::{
    bridge::{
        executor::{any_msg, fetch_proof, Executor, ExecutorOptions},
        opchild, proto as p2,
    },
    config::NodeConfig,
};

const L1_CHAIN: &str = "l1-test-1";
const L2_CHAIN: &str = "mini-test-1";
const FINALIZATION: u64 = 3600;

fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}
fn addr(k: &SigningKey) -> String {
    k.public_key().account_id("init").unwrap().to_string()
}
fn coin(amount: u128, denom: &str) -> Option<PCoin> {
    Some(PCoin {
        denom: denom.into(),
        amount: amount.to_string(),
    })
}

struct Keys {
    user: u8,
    proposer: u8,
    challenger: u8,
    executor: u8,
}
const K: Keys = Keys {
    user: 11,
    proposer: 12,
    challenger: 13,
    executor: 14,
};

struct L2 {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl L2 {
    async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

fn write_l2_home(home: &Path, extra_balances: &[(String, u128, String)]) {
    std::fs::create_dir_all(home.join("keys")).unwrap();
    let balances: Vec<_> = extra_balances
        .iter()
        .map(|(a, n, d)| serde_json::json!({"address": a, "coins": [{"denom": d, "amount": n.to_string()}]}))
        .collect();
    let genesis = serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z",
        "chain_id": L2_CHAIN,
        "initial_height": "1",
        "consensus_params": minitia_chain::node::genesis::GenesisDoc::default_consensus_params(1 << 20),
        "validators": [],
        "app_hash": "",
        "app_state": {
            "chain": {"bech32_prefix": "init", "fee_denom": "umin", "min_gas_price": "0", "max_tx_bytes": 1048576, "max_tx_gas": 100000000},
            "bank": {"balances": balances},
            "opchild": {"params": {"bridge_executors": [addr(&key(K.executor))]}},
        }
    });
    std::fs::write(
        home.join("genesis.json"),
        serde_json::to_vec_pretty(&genesis).unwrap(),
    )
    .unwrap();
    let mut cfg = NodeConfig::default();
    cfg.sequencer.block_time = Duration::from_millis(50);
    cfg.sequencer.create_empty_blocks = true;
    std::fs::write(home.join("minitia.toml"), cfg.to_toml()).unwrap();
    ValidatorKey::generate()
        .save(&cfg.validator_key_path(home))
        .unwrap();
}

async fn start_l2(home: &Path) -> L2 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut cfg = NodeConfig::load(home).unwrap();
    cfg.rpc.listen = addr;
    let node = minitia_template::run::open_node(home, &cfg).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        node.run(listener, Duration::from_millis(50), async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    L2 {
        url: format!("http://{addr}"),
        stop: Some(tx),
        task: Some(task),
    }
}

struct ExecHandle {
    api: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl ExecHandle {
    /// Stops it the hard way: the task is aborted wherever it is (mid-tx, mid-write).
    fn kill(self) {
        self.task.abort();
        drop(self.stop);
    }
}

struct Net {
    l1: Option<L1Handle>,
    l1c: RemoteChain,
    l2: L2,
    l2c: RemoteChain,
    bridge_id: u64,
    l2_denom: String,
    dir: tempfile::TempDir,
}

fn submitter(chain: &RemoteChain, chain_id: &str, k: u8, denom: &str) -> TxSubmitter {
    let mut cfg = SubmitterConfig::new(chain_id, "init", format!("0{denom}").parse().unwrap());
    cfg.retry_for = Duration::from_secs(20);
    cfg.low_balance = 0;
    TxSubmitter::new(chain.clone(), key(k), cfg).unwrap()
}

impl Net {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let l1_home = dir.path().join("l1");
        let spec = GenesisSpec {
            chain_id: L1_CHAIN.into(),
            balances: [K.user, K.proposer, K.challenger]
                .iter()
                .map(|k| (addr(&key(*k)), 100_000_000))
                .collect(),
            unbonding_period_secs: 100,
            ..GenesisSpec::default()
        };
        l1_orchestrator::init_home(&l1_home, &spec).unwrap();
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
        let l1c = RemoteChain::new(&l1.url).unwrap();
        // The proposer creates (and so bonds for) the bridge.
        let p = submitter(&l1c, L1_CHAIN, K.proposer, "uinit");
        let config = l1p::BridgeConfig {
            challenger: addr(&key(K.challenger)),
            proposer: addr(&key(K.proposer)),
            batch_info: Some(l1p::BatchInfo {
                submitter: addr(&key(K.proposer)),
                chain_type: 1,
            }),
            submission_interval: Some(l1p::Duration::from_secs(1)),
            finalization_period: Some(l1p::Duration::from_secs(FINALIZATION as i64)),
            submission_start_height: 1,
            ..Default::default()
        };
        let tx = p
            .submit(
                vec![any_msg(
                    ophost::msg::CREATE_BRIDGE,
                    &l1p::MsgCreateBridge {
                        creator: addr(&key(K.proposer)),
                        config: Some(config),
                    },
                )],
                "",
            )
            .await
            .unwrap();
        let bridge_id: u64 = tx
            .attr("create_bridge", "bridge_id")
            .unwrap()
            .parse()
            .unwrap();
        let l2_home = dir.path().join("l2");
        write_l2_home(&l2_home, &[]);
        let l2 = start_l2(&l2_home).await;
        let l2c = RemoteChain::new(&l2.url).unwrap();
        Self {
            l1: Some(l1),
            l1c,
            l2,
            l2c,
            bridge_id,
            l2_denom: l2_denom(bridge_id, "uinit"),
            dir,
        }
    }

    async fn start_executor(&self) -> ExecHandle {
        let opts = ExecutorOptions {
            l1_rpc: self.l1c.url().to_string(),
            l1_chain_id: String::new(),
            l1_prefix: "init".into(),
            l1_gas_price: "0uinit".parse().unwrap(),
            bridge_id: self.bridge_id,
            l2_rpc: self.l2.url.clone(),
            l2_prefix: "init".into(),
            l2_gas_price: "0umin".parse().unwrap(),
            executor_key: key(K.executor),
            proposer_key: Some(key(K.proposer)),
            relay_deposits: true,
            db_path: self.dir.path().join("l2/data/bridge/executor.redb"),
            poll: Duration::from_millis(100),
            faults: Default::default(),
        };
        let ex = Executor::connect(opts).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            ex.run(listener, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        ExecHandle {
            api,
            stop: Some(tx),
            task,
        }
    }

    fn l1_user(&self) -> TxSubmitter {
        submitter(&self.l1c, L1_CHAIN, K.user, "uinit")
    }
    fn l2_user(&self) -> TxSubmitter {
        submitter(&self.l2c, L2_CHAIN, K.user, "umin")
    }

    async fn deposit(&self, s: &TxSubmitter, to: &str, amount: u128) -> u64 {
        let tx = s
            .submit(
                vec![any_msg(
                    ophost::msg::INITIATE_DEPOSIT,
                    &l1p::MsgInitiateTokenDeposit {
                        sender: s.address(),
                        bridge_id: self.bridge_id,
                        to: to.into(),
                        amount: coin(amount, "uinit"),
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

    async fn withdraw(&self, s: &TxSubmitter, to: &str, amount: u128) -> Result<u64, SubmitError> {
        let tx = s
            .submit(
                vec![any_msg(
                    opchild::msg::INITIATE_WITHDRAWAL,
                    &p2::MsgInitiateTokenWithdrawal {
                        sender: s.address(),
                        to: to.into(),
                        amount: coin(amount, &self.l2_denom),
                    },
                )],
                "",
            )
            .await?;
        Ok(tx
            .attr("initiate_token_withdrawal", "l2_sequence")
            .unwrap()
            .parse()
            .unwrap())
    }

    async fn claim(
        &self,
        s: &TxSubmitter,
        proof: &l1p::MsgFinalizeTokenWithdrawal,
    ) -> Result<(), SubmitError> {
        s.submit(vec![any_msg(ophost::msg::FINALIZE_WITHDRAWAL, proof)], "")
            .await
            .map(|_| ())
    }

    async fn l1_balance(&self, a: &str) -> u128 {
        self.l1c.balance(a, "uinit").await.unwrap()
    }
    async fn l2_balance(&self, a: &str) -> u128 {
        self.l2c.balance(a, &self.l2_denom).await.unwrap()
    }
    async fn escrow(&self) -> u128 {
        self.l1_balance(&ophost::bridge_address(self.bridge_id).to_bech32("init"))
            .await
    }
    async fn l2_supply(&self) -> u128 {
        use cosmrs::proto::cosmos::bank::v1beta1::{QuerySupplyOfRequest, QuerySupplyOfResponse};
        let r: QuerySupplyOfResponse = self
            .l2c
            .query_proto(
                "/cosmos.bank.v1beta1.Query/SupplyOf",
                &QuerySupplyOfRequest {
                    denom: self.l2_denom.clone(),
                },
                None,
            )
            .await
            .unwrap();
        r.amount.map_or(0, |c| c.amount.parse().unwrap())
    }
    async fn next_l1_sequence(&self) -> u64 {
        minitia_template::bridge::executor::next_l1_sequence(&self.l2c)
            .await
            .unwrap()
    }

    /// Escrow on the L1 = L2 supply + withdrawals in flight (initiated, not claimed), once the
    /// executor has caught up with the deposits.
    async fn assert_conserved(&self, in_flight: u128) {
        let escrow = self.escrow().await;
        let supply = self.l2_supply().await;
        assert_eq!(
            escrow,
            supply + in_flight,
            "escrow {escrow} vs L2 supply {supply} + in flight {in_flight}"
        );
    }

    /// Advances the L1 dev clock and waits for a block stamped after it.
    async fn advance(&self, seconds: u64) {
        use minitia_chain::node::clock::Clock;
        let url = self.l1c.url().to_string();
        let host = url.trim_start_matches("http://").to_string();
        let body = format!("{{\"seconds\":{seconds}}}");
        let req = format!(
            "POST /dev/advance_time HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        assert!(
            String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"),
            "advance_time: {}",
            String::from_utf8_lossy(&out)
        );
        let target = self.l1.as_ref().unwrap().clock.now();
        for _ in 0..500 {
            let t = self
                .l1c
                .rpc()
                .status()
                .await
                .unwrap()
                .sync_info
                .latest_block_time;
            if t >= target {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no L1 block reached the advanced time");
    }
}

async fn wait_for<F, Fut>(what: &str, secs: u64, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn proof_when_ready(
    api: &str,
    seq: u64,
) -> minitia_template::bridge::executor::WithdrawalProof {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match fetch_proof(api, seq).await {
            Ok(p) => return p,
            Err(e) if tokio::time::Instant::now() < deadline => {
                assert!(e.contains("HTTP 404"), "unexpected API error: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("no proof for withdrawal {seq}: {e}"),
        }
    }
}

use tendermint_rpc::Client as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deposit_withdraw_claim_round_trip() {
    let mut net = Net::start().await;
    let ex = net.start_executor().await;
    let (l1u, l2u) = (net.l1_user(), net.l2_user());
    let user = l1u.address();
    let l1_start = net.l1_balance(&user).await;

    // Deposit 1000 → L2 balance.
    let seq = net.deposit(&l1u, &user, 1000).await;
    assert_eq!(seq, 1);
    wait_for("deposit on L2", 30, || async {
        net.l2_balance(&user).await == 1000
    })
    .await;
    net.assert_conserved(0).await;
    assert_eq!(net.l1_balance(&user).await, l1_start - 1000);

    // Withdrawal above the balance: refused at CheckTx, nothing moves.
    let e = net.withdraw(&l2u, &user, 5000).await.unwrap_err();
    assert!(e.to_string().contains("insufficient funds"), "{e}");
    assert_eq!(net.l2_balance(&user).await, 1000);
    net.assert_conserved(0).await;

    // Withdraw 400 via the Cosmos path.
    let w1 = net.withdraw(&l2u, &user, 400).await.unwrap();
    assert_eq!(w1, 1);
    assert_eq!(net.l2_balance(&user).await, 600);
    net.assert_conserved(400).await;

    // The proof is served once the interval closed and its output is on the L1.
    let p1 = proof_when_ready(&ex.api, w1).await;
    assert_eq!(
        (
            p1.sequence,
            p1.amount.denom.as_str(),
            p1.amount.amount.as_str()
        ),
        (1, "uinit", "400")
    );
    assert_eq!(p1.from, user);
    let claim1 = p1.to_msg(&user).unwrap();

    // Claim before finalization: the L1's error, nothing moves.
    let before = net.l1_balance(&user).await;
    let e = net.claim(&l1u, &claim1).await.unwrap_err();
    assert!(e.to_string().contains("output has not finalized"), "{e}");
    assert_eq!(net.l1_balance(&user).await, before);
    net.assert_conserved(400).await;

    // A second withdrawal lands in a later output.
    let w2 = net.withdraw(&l2u, &user, 100).await.unwrap();
    let p2 = proof_when_ready(&ex.api, w2).await;
    assert!(
        p2.output_index > p1.output_index,
        "{} vs {}",
        p2.output_index,
        p1.output_index
    );
    net.assert_conserved(500).await;

    net.advance(FINALIZATION + 1).await;

    // Proof of withdrawal 2 presented against output 1: rejected, nothing moves.
    let mut wrong = p2.to_msg(&user).unwrap();
    wrong.output_index = p1.output_index;
    let e = net.claim(&l1u, &wrong).await.unwrap_err();
    assert!(e.to_string().contains("failed to verify withdrawal"), "{e}");
    assert_eq!(net.l1_balance(&user).await, before);

    // Claims pay out; supply conserved.
    net.claim(&l1u, &claim1).await.unwrap();
    assert_eq!(net.l1_balance(&user).await, before + 400);
    net.assert_conserved(100).await;
    net.claim(&l1u, &p2.to_msg(&user).unwrap()).await.unwrap();
    assert_eq!(net.l1_balance(&user).await, before + 500);
    net.assert_conserved(0).await;

    // Replay of a finalized withdrawal: rejected.
    let e = net.claim(&l1u, &claim1).await.unwrap_err();
    assert!(
        e.to_string().contains("withdrawal already finalized"),
        "{e}"
    );
    assert_eq!(net.l1_balance(&user).await, before + 500);
    assert_eq!(
        net.l1_balance(&user).await + net.l2_balance(&user).await,
        l1_start
    );

    ex.kill();
    net.l2.stop().await;
    drop(net.l1.take());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_recipient_is_refunded_and_duplicates_change_nothing() {
    let mut net = Net::start().await;
    let ex = net.start_executor().await;
    let l1u = net.l1_user();
    let user = l1u.address();
    let l1_start = net.l1_balance(&user).await;

    // A good deposit, then one to a malformed L2 address: finalized as a refund withdrawal
    // back to `from`, nothing minted to anyone.
    net.deposit(&l1u, &user, 50).await;
    net.deposit(&l1u, "not-an-address", 700).await;
    wait_for("deposits finalized", 30, || async {
        net.next_l1_sequence().await == 3
    })
    .await;
    assert_eq!(net.l2_balance(&user).await, 50);
    assert_eq!(net.l2_supply().await, 50);
    let refund = proof_when_ready(&ex.api, 1).await;
    assert_eq!(refund.to, user);
    assert_eq!(refund.amount.amount, "700");
    net.assert_conserved(700).await;

    // The executor key replaying deposit 1 by hand: precise error, nothing changes.
    let exe = submitter(&net.l2c, L2_CHAIN, K.executor, "umin");
    let dup = p2::MsgFinalizeTokenDeposit {
        sender: exe.address(),
        from: user.clone(),
        to: user.clone(),
        amount: coin(50, &net.l2_denom),
        sequence: 1,
        height: 1,
        base_denom: "uinit".into(),
        data: vec![],
    };
    let e = exe
        .submit(vec![any_msg(opchild::msg::FINALIZE_DEPOSIT, &dup)], "")
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains(
            "deposit 1 was already finalized (next expected is 3): deposit already finalized"
        ),
        "{e}"
    );
    assert_eq!(net.l2_balance(&user).await, 50);
    // Anyone but an executor: unauthorized, nothing changes.
    let other = net.l2_user();
    let mut forged = dup.clone();
    forged.sender = other.address();
    forged.sequence = 3;
    let e = other
        .submit(vec![any_msg(opchild::msg::FINALIZE_DEPOSIT, &forged)], "")
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("expected one of the bridge executors"),
        "{e}"
    );
    assert_eq!(net.l2_balance(&user).await, 50);
    assert_eq!(net.next_l1_sequence().await, 3);
    net.assert_conserved(700).await;

    net.advance(FINALIZATION + 1).await;
    let before = net.l1_balance(&user).await;
    net.claim(&l1u, &refund.to_msg(&user).unwrap())
        .await
        .unwrap();
    assert_eq!(net.l1_balance(&user).await, before + 700);
    assert_eq!(net.l1_balance(&user).await, l1_start - 50);
    net.assert_conserved(0).await;

    ex.kill();
    net.l2.stop().await;
    drop(net.l1.take());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn executor_killed_mid_burst_finalizes_every_deposit_exactly_once() {
    let mut net = Net::start().await;
    let ex = net.start_executor().await;
    let (l1u, l2u) = (Arc::new(net.l1_user()), net.l2_user());
    let user = l1u.address();

    const N: u64 = 24;
    let amount = |i: u64| 10 + i as u128;
    let total: u128 = (1..=N).map(amount).sum();
    // Burst of deposits; the executor is killed in the middle and restarted.
    for i in 1..=N / 2 {
        net.deposit(&l1u, &user, amount(i)).await;
    }
    wait_for("some deposits finalized", 30, || async {
        net.next_l1_sequence().await > 2
    })
    .await;
    ex.kill();
    for i in N / 2 + 1..=N {
        net.deposit(&l1u, &user, amount(i)).await;
    }
    let ex = net.start_executor().await;
    wait_for("every deposit finalized", 60, || async {
        net.next_l1_sequence().await == N + 1
    })
    .await;
    assert_eq!(
        net.l2_balance(&user).await,
        total,
        "each deposit minted exactly once"
    );
    net.assert_conserved(0).await;

    // Withdrawals around another kill: each is provable exactly once.
    let mut seqs = Vec::new();
    for i in 0..3 {
        seqs.push(net.withdraw(&l2u, &user, 5 + i).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    ex.kill();
    for i in 3..6 {
        seqs.push(net.withdraw(&l2u, &user, 5 + i).await.unwrap());
    }
    let ex = net.start_executor().await;
    let withdrawn: u128 = (0..6).map(|i| 5 + i as u128).sum();
    net.assert_conserved(withdrawn).await;
    let mut proofs = Vec::new();
    for s in &seqs {
        proofs.push(proof_when_ready(&ex.api, *s).await);
    }
    net.advance(FINALIZATION + 1).await;
    let before = net.l1_balance(&user).await;
    for p in &proofs {
        net.claim(&l1u, &p.to_msg(&user).unwrap()).await.unwrap();
    }
    assert_eq!(net.l1_balance(&user).await, before + withdrawn);
    for p in &proofs {
        let e = net
            .claim(&l1u, &p.to_msg(&user).unwrap())
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("withdrawal already finalized"),
            "{e}"
        );
    }
    net.assert_conserved(0).await;
    assert_eq!(net.l2_balance(&user).await, total - withdrawn);

    ex.kill();
    net.l2.stop().await;
    drop(net.l1.take());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bridge_client_commands_against_a_home() {
    use minitia_template::{bridge::client::BridgeClient, home::AccountKey};
    let mut net = Net::start().await;
    let ex = net.start_executor().await;
    // A home key, funded on the L1 by the test user.
    let home = net.dir.path().join("l2");
    let alice = AccountKey::generate("alice", "init").unwrap();
    alice.save(&home.join("keys/alice.json")).unwrap();
    let l1u = net.l1_user();
    l1u.submit(
        vec![any_msg(
            "/cosmos.bank.v1beta1.MsgSend",
            &cosmrs::proto::cosmos::bank::v1beta1::MsgSend {
                from_address: l1u.address(),
                to_address: alice.address.clone(),
                amount: vec![coin(5000, "uinit").unwrap()],
            },
        )],
        "",
    )
    .await
    .unwrap();
    let mut cfg = NodeConfig::load(&home).unwrap();
    cfg.l1.rpc = net.l1c.url().to_string();
    cfg.l1.gas_price = "0uinit".into();
    cfg.l1.bridge_id = net.bridge_id;
    cfg.bridge.l2_rpc = net.l2.url.clone();
    cfg.bridge.api_listen = ex.api.trim_start_matches("http://").parse().unwrap();
    let client = BridgeClient::new(&home, cfg).unwrap();

    let d = client.deposit("alice", "1000uinit", None).await.unwrap();
    assert_eq!(
        (d.sequence, d.to.as_str()),
        (Some(1), alice.address.as_str())
    );
    wait_for("deposit", 30, || async {
        net.l2_balance(&alice.address).await == 1000
    })
    .await;
    // Bad input: clear errors, nothing moves.
    let e = client.deposit("alice", "1000", None).await.unwrap_err();
    assert!(e.contains("has no denom"), "{e}");
    let e = client.deposit("nobody", "1uinit", None).await.unwrap_err();
    assert!(e.contains("nobody"), "{e}");
    let e = client
        .withdraw("alice", "99999uinit", None)
        .await
        .unwrap_err();
    assert!(e.contains("insufficient funds"), "{e}");

    let w = client.withdraw("alice", "400uinit", None).await.unwrap();
    assert_eq!(w.sequence, Some(1));
    assert_eq!(net.l2_balance(&alice.address).await, 600);
    proof_when_ready(&ex.api, 1).await;
    let p = client.proof(1, None).await.unwrap();
    assert_eq!(p.amount.amount, "400");
    let e = client.claim("alice", 1, None).await.unwrap_err();
    assert!(e.contains("output has not finalized"), "{e}");
    let e = client.proof(99, None).await.unwrap_err();
    assert!(
        e.contains("HTTP 404") && e.contains("withdrawal 99 not found"),
        "{e}"
    );

    let s = client.status(None).await.unwrap();
    assert_eq!(s["l1_next_deposit_sequence"], 2, "{s}");
    assert_eq!(s["l2_next_expected_deposit_sequence"], 2, "{s}");
    assert_eq!(s["deposits_pending"], 0, "{s}");
    assert_eq!(s["l2_next_withdrawal_sequence"], 2, "{s}");
    assert_eq!(s["executor"]["bridge_id"], net.bridge_id, "{s}");

    net.advance(FINALIZATION + 1).await;
    client.claim("alice", 1, None).await.unwrap();
    assert_eq!(net.l1_balance(&alice.address).await, 5000 - 1000 + 400);
    let e = client.claim("alice", 1, None).await.unwrap_err();
    assert!(e.contains("withdrawal already finalized"), "{e}");
    net.assert_conserved(0).await;

    ex.kill();
    net.l2.stop().await;
    drop(net.l1.take());
}
