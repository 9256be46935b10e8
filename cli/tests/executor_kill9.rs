//! `minitia executor` as a real process, killed with SIGKILL at arbitrary moments during a
//! burst of L1 deposits and L2 withdrawals and restarted on the same home, against an
//! in-process L1 (dev clock) and minitia node: every deposit is finalized on the L2 exactly
//! once, every withdrawal is provable exactly once through the executor's HTTP API and
//! claimable exactly once on the L1, and supply is conserved (L1 escrow = L2 supply +
//! withdrawals initiated but not claimed).

use std::{
    collections::BTreeSet,
    process::{Child, Command},
    time::Duration,
};

use cosmrs::{crypto::secp256k1::SigningKey, proto::cosmos::base::v1beta1::Coin as PCoin};
use l1_orchestrator::{ophost, proto as l1p, start_on, GenesisSpec, L1Handle, L1Options};
use minitia_chain::client::{RemoteChain, SubmitError, SubmitterConfig, TxSubmitter};
use minitia_core::opinit::l2_denom;
use minitia_template::{
    bridge::{
        executor::{any_msg, fetch_proof, http_get, next_l1_sequence, WithdrawalProof},
        load_signing_key, opchild, proto as p2,
    },
    config::NodeConfig,
    home::{create_home, HomeOptions},
};
use tendermint_rpc::Client as _;

const L1_CHAIN: &str = "initiation-exk9-1";
const FINALIZATION: u64 = 3600;
/// Deposits in the burst (after the one that funds the withdrawer).
const N: u64 = 60;
/// Withdrawals in the burst.
const W: u64 = 30;
/// The funding deposit.
const FUND: u128 = 1_000_000;

fn deposit_amount(i: u64) -> u128 {
    10 + i as u128
}
fn withdrawal_amount(i: u64) -> u128 {
    100 + i as u128
}

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

fn submitter(chain: &RemoteChain, chain_id: &str, k: SigningKey, denom: &str) -> TxSubmitter {
    let mut cfg = SubmitterConfig::new(chain_id, "init", format!("0{denom}").parse().unwrap());
    cfg.retry_for = Duration::from_secs(20);
    cfg.low_balance = 0;
    TxSubmitter::new(chain.clone(), k, cfg).unwrap()
}

async fn deposit(s: &TxSubmitter, bridge_id: u64, to: &str, amount: u128) -> u64 {
    let tx = s
        .submit(
            vec![any_msg(
                ophost::msg::INITIATE_DEPOSIT,
                &l1p::MsgInitiateTokenDeposit {
                    sender: s.address(),
                    bridge_id,
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

async fn withdraw(s: &TxSubmitter, denom: &str, to: &str, amount: u128) -> u64 {
    let tx = s
        .submit(
            vec![any_msg(
                opchild::msg::INITIATE_WITHDRAWAL,
                &p2::MsgInitiateTokenWithdrawal {
                    sender: s.address(),
                    to: to.into(),
                    amount: coin(amount, denom),
                },
            )],
            "",
        )
        .await
        .unwrap();
    tx.attr("initiate_token_withdrawal", "l2_sequence")
        .unwrap()
        .parse()
        .unwrap()
}

async fn claim(
    s: &TxSubmitter,
    proof: &l1p::MsgFinalizeTokenWithdrawal,
) -> Result<(), SubmitError> {
    s.submit(vec![any_msg(ophost::msg::FINALIZE_WITHDRAWAL, proof)], "")
        .await
        .map(|_| ())
}

async fn l2_supply(l2c: &RemoteChain, denom: &str) -> u128 {
    use cosmrs::proto::cosmos::bank::v1beta1::{QuerySupplyOfRequest, QuerySupplyOfResponse};
    let r: QuerySupplyOfResponse = l2c
        .query_proto(
            "/cosmos.bank.v1beta1.Query/SupplyOf",
            &QuerySupplyOfRequest {
                denom: denom.into(),
            },
            None,
        )
        .await
        .unwrap();
    r.amount.map_or(0, |c| c.amount.parse().unwrap())
}

/// Escrow on the L1 = L2 supply + withdrawals initiated and not claimed.
async fn assert_conserved(l1c: &RemoteChain, l2c: &RemoteChain, bridge_id: u64, in_flight: u128) {
    let escrow = l1c
        .balance(
            &ophost::bridge_address(bridge_id).to_bech32("init"),
            "uinit",
        )
        .await
        .unwrap();
    let supply = l2_supply(l2c, &l2_denom(bridge_id, "uinit")).await;
    assert_eq!(
        escrow,
        supply + in_flight,
        "escrow {escrow} vs L2 supply {supply} + in flight {in_flight}"
    );
}

/// Advances the L1 dev clock and waits for a block stamped after it.
async fn advance(l1: &L1Handle, l1c: &RemoteChain, seconds: u64) {
    use minitia_chain::node::clock::Clock;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = l1.url.trim_start_matches("http://").to_string();
    let body = format!("{{\"seconds\":{seconds}}}");
    let req = format!(
        "POST /dev/advance_time HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert!(
        String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200"),
        "advance_time: {}",
        String::from_utf8_lossy(&out)
    );
    let target = l1.clock.now();
    for _ in 0..500 {
        let t = l1c
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

/// The proof of withdrawal `seq` from a running executor: only "not yet" (404) is retried.
async fn proof_when_ready(api: &str, seq: u64) -> WithdrawalProof {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `minitia executor`; SIGKILLed when dropped (also when the test panics).
struct Exec(Child);

impl Drop for Exec {
    fn drop(&mut self) {
        let _ = self.0.kill(); // SIGKILL
        let _ = self.0.wait();
    }
}

fn kill9(child: Exec) {
    drop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn executor_process_survives_kill_9_mid_burst() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    // The minitia home: keys/{executor,proposer}.json, the executor key in opchild's genesis.
    let home = dir.path().join("mini");
    let opts = HomeOptions::new("exk9");
    let l2_chain = opts.chain_id.clone();
    create_home(&home, &opts, &mut |_| {}).unwrap();
    let mut cfg = NodeConfig::load(&home).unwrap();
    cfg.sequencer.create_empty_blocks = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let l2_url = format!("http://{}", listener.local_addr().unwrap());
    let node = minitia_template::run::open_node(&home, &cfg).unwrap();
    let (stop_l2, rx) = tokio::sync::oneshot::channel::<()>();
    let l2_task = tokio::spawn(node.run(listener, Duration::from_millis(50), async move {
        let _ = rx.await;
    }));

    // The L1: the home's proposer creates (and bonds for) the bridge.
    let proposer = load_signing_key(&home, "proposer").unwrap();
    let proposer_addr = addr(&proposer);
    let (user_key, recipient) = (11u8, addr(&key(15)));
    let l1_home = dir.path().join("l1");
    l1_orchestrator::init_home(
        &l1_home,
        &GenesisSpec {
            chain_id: L1_CHAIN.into(),
            balances: vec![
                (proposer_addr.clone(), 100_000_000),
                (addr(&key(user_key)), 100_000_000),
            ],
            unbonding_period_secs: 100,
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
    let l1c = RemoteChain::new(&l1.url).unwrap();
    let l2c = RemoteChain::new(&l2_url).unwrap();
    let p = submitter(&l1c, L1_CHAIN, proposer, "uinit");
    let create = l1p::MsgCreateBridge {
        creator: p.address(),
        config: Some(l1p::BridgeConfig {
            challenger: addr(&key(13)),
            proposer: p.address(),
            batch_info: Some(l1p::BatchInfo {
                submitter: p.address(),
                chain_type: 1,
            }),
            submission_interval: Some(l1p::Duration::from_secs(1)),
            finalization_period: Some(l1p::Duration::from_secs(FINALIZATION as i64)),
            submission_start_height: 1,
            ..Default::default()
        }),
    };
    let t = p
        .submit(vec![any_msg(ophost::msg::CREATE_BRIDGE, &create)], "")
        .await
        .unwrap();
    let bridge: u64 = t
        .attr("create_bridge", "bridge_id")
        .unwrap()
        .parse()
        .unwrap();
    let denom = l2_denom(bridge, "uinit");

    let api_addr = format!("127.0.0.1:{}", free_port());
    let api = format!("http://{api_addr}");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_minitia"))
            .args(["executor", "--home"])
            .arg(&home)
            .env("MINITIA_L1_RPC", &l1.url)
            .env("MINITIA_L1_BRIDGE_ID", bridge.to_string())
            .env("MINITIA_L1_GAS_PRICE", "0uinit")
            .env("MINITIA_BRIDGE_API_LISTEN", &api_addr)
            .env("MINITIA_BRIDGE_L2_RPC", &l2_url)
            .env("MINITIA_BRIDGE_POLL_INTERVAL", "100ms")
            .env("MINITIA_LOG_LEVEL", "warn")
            .spawn()
            .map(Exec)
            .unwrap()
    };

    // Fund the withdrawer through the bridge (first life of the executor).
    let l1u = submitter(&l1c, L1_CHAIN, key(user_key), "uinit");
    let user = l1u.address();
    let l2u = submitter(&l2c, &l2_chain, key(user_key), "umin");
    let mut child = spawn();
    assert_eq!(deposit(&l1u, bridge, &user, FUND).await, 1);
    wait_for("the funding deposit on the L2", 30, || async {
        l2c.balance(&user, &denom).await.unwrap() == FUND
    })
    .await;

    // The burst: deposits on the L1 and withdrawals on the L2, concurrently, while the
    // executor is SIGKILLed and restarted underneath.
    let deposits = tokio::spawn({
        let recipient = recipient.clone();
        async move {
            let mut seqs = Vec::new();
            for i in 1..=N {
                seqs.push(deposit(&l1u, bridge, &recipient, deposit_amount(i)).await);
            }
            (l1u, seqs)
        }
    });
    let withdrawals = tokio::spawn({
        let (denom, user) = (denom.clone(), user.clone());
        async move {
            let mut seqs = Vec::new();
            for i in 1..=W {
                seqs.push(withdraw(&l2u, &denom, &user, withdrawal_amount(i)).await);
            }
            seqs
        }
    });
    let schedule = [450u64, 900, 250, 1300, 600, 150, 1000, 350, 750];
    let mut kills = 0;
    let mut kills_in_burst = 0;
    let mut mid_relay_kills = 0;
    loop {
        let burst_on = !deposits.is_finished() || !withdrawals.is_finished();
        if !burst_on && kills >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(schedule[kills % schedule.len()])).await;
        let next = next_l1_sequence(&l2c).await.unwrap();
        kill9(child);
        kills += 1;
        if burst_on {
            kills_in_burst += 1;
        }
        // Killed after it relayed part of the burst but not all of it.
        if next > 2 && next < N + 2 {
            mid_relay_kills += 1;
        }
        if kills % 3 == 0 {
            // Down for a while: work piles up on both chains.
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        child = spawn();
        assert!(kills < 60, "the burst never finished");
    }
    let (l1u, dep_seqs) = deposits.await.unwrap();
    let wd_seqs = withdrawals.await.unwrap();
    assert_eq!(dep_seqs, (2..=N + 1).collect::<Vec<_>>());
    assert_eq!(wd_seqs, (1..=W).collect::<Vec<_>>());
    assert!(
        kills_in_burst >= 3,
        "only {kills_in_burst} of {kills} kills hit the burst"
    );
    assert!(
        mid_relay_kills >= 1,
        "no kill landed between two deposits of the burst being relayed"
    );

    // The last life: everything relayed exactly once.
    wait_for("the executor API", 20, || async {
        matches!(http_get(&api, "/status").await, Ok((200, _)))
    })
    .await;
    wait_for("every deposit finalized", 40, || async {
        next_l1_sequence(&l2c).await.unwrap() == N + 2
    })
    .await;
    let deposited: u128 = (1..=N).map(deposit_amount).sum();
    let withdrawn: u128 = (1..=W).map(withdrawal_amount).sum();
    assert_eq!(
        l2c.balance(&recipient, &denom).await.unwrap(),
        deposited,
        "each deposit minted exactly once"
    );
    assert_eq!(l2c.balance(&user, &denom).await.unwrap(), FUND - withdrawn);
    assert_conserved(&l1c, &l2c, bridge, withdrawn).await;

    // Every withdrawal has exactly one proof, with its own amount; nothing beyond them.
    let mut proofs = Vec::new();
    for s in 1..=W {
        let pr = proof_when_ready(&api, s).await;
        assert_eq!(
            (
                pr.sequence,
                pr.from.as_str(),
                pr.to.as_str(),
                pr.amount.denom.as_str(),
                pr.amount.amount.clone()
            ),
            (
                s,
                user.as_str(),
                user.as_str(),
                "uinit",
                withdrawal_amount(s).to_string()
            ),
        );
        proofs.push(pr);
    }
    let e = fetch_proof(&api, W + 1).await.unwrap_err();
    assert!(e.contains("HTTP 404") && e.contains("not found"), "{e}");
    let (code, body) = http_get(&api, "/status").await.unwrap();
    assert_eq!(code, 200);
    let status: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status["next_l2_sequence"], W + 1, "{status}");
    let outputs: BTreeSet<u64> = proofs.iter().map(|p| p.output_index).collect();
    assert!(
        outputs.len() > 1,
        "the burst's withdrawals should span several outputs: {outputs:?}"
    );

    // Each claimed once after finalization; a second claim is refused.
    advance(&l1, &l1c, FINALIZATION + 1).await;
    let before = l1c.balance(&user, "uinit").await.unwrap();
    for pr in &proofs {
        claim(&l1u, &pr.to_msg(&user).unwrap()).await.unwrap();
    }
    assert_eq!(
        l1c.balance(&user, "uinit").await.unwrap(),
        before + withdrawn
    );
    assert_conserved(&l1c, &l2c, bridge, 0).await;
    for pr in &proofs {
        let e = claim(&l1u, &pr.to_msg(&user).unwrap()).await.unwrap_err();
        assert!(
            e.to_string().contains("withdrawal already finalized"),
            "{e}"
        );
    }
    assert_eq!(
        l1c.balance(&user, "uinit").await.unwrap(),
        before + withdrawn
    );
    assert_conserved(&l1c, &l2c, bridge, 0).await;

    kill9(child);
    eprintln!(
        "{kills} kills ({kills_in_burst} during the burst, {mid_relay_kills} mid-relay) in {:?}",
        started.elapsed()
    );
    let _ = stop_l2.send(());
    let _ = l2_task.await;
    l1.shutdown().await;
}
