//! The bridge on an EVM minitia, with real servers and clients: the L1 and the EVM node
//! (CometBFT RPC + Ethereum JSON-RPC) serve on localhost, the executor runs against them, the
//! user signs an Ethereum tx that calls the withdrawal precompile. The minitia's fee denom is
//! the L2 denom of the L1's `uinit`, so deposits show up as the native (ETH) balance.

use std::time::Duration;

use cosmrs::{crypto::secp256k1::SigningKey, proto::cosmos::base::v1beta1::Coin as PCoin};
use l1_orchestrator::{ophost, proto as l1p, start_on, GenesisSpec, L1Options};
use minitia_chain::client::{RemoteChain, SubmitterConfig, TxSubmitter};
use minitia_core::opinit::l2_denom;
use minitia_template::{
    bridge::executor::{any_msg, fetch_proof, Executor, ExecutorOptions, WithdrawalProof},
    config::NodeConfig,
};
use minitia_vm_evm::{bridge, wallet::Wallet};
use revm::primitives::{Address, U256};
use serde_json::{json, Value};
use tendermint_rpc::Client as _;

const L1_CHAIN: &str = "l1-evm-test-1";
const L2_CHAIN: &str = "minievm-test-1";
const FINALIZATION: u64 = 3600;

fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}
fn addr(k: &SigningKey) -> String {
    k.public_key().account_id("init").unwrap().to_string()
}
fn submitter(chain: &RemoteChain, chain_id: &str, k: u8, denom: &str) -> TxSubmitter {
    let mut cfg = SubmitterConfig::new(chain_id, "init", format!("0{denom}").parse().unwrap());
    cfg.low_balance = 0;
    cfg.retry_for = Duration::from_secs(20);
    TxSubmitter::new(chain.clone(), key(k), cfg).unwrap()
}

async fn post(url: &str, body: &Value) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = url.trim_start_matches("http://");
    let body = body.to_string();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let i = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    serde_json::from_slice(&out[i + 4..])
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)))
}

async fn eth(url: &str, method: &str, params: Value) -> Value {
    let r = post(
        url,
        &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
    )
    .await;
    if let Some(e) = r.get("error") {
        panic!("{method}: {e}");
    }
    r["result"].clone()
}

fn hex_u128(v: &Value) -> u128 {
    u128::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn call_data(to: &str) -> Vec<u8> {
    let mut d = bridge::selector().to_vec();
    d.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    d.extend_from_slice(&U256::from(to.len()).to_be_bytes::<32>());
    d.extend_from_slice(to.as_bytes());
    d.resize(4 + 64 + to.len().div_ceil(32) * 32, 0);
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deposit_to_native_balance_and_withdraw_through_the_precompile() {
    let dir = tempfile::tempdir().unwrap();
    let (user_k, proposer_k, challenger_k, executor_k) = (key(21), key(22), key(23), key(24));
    let user_l1 = addr(&user_k);
    // L1 with a bridge.
    let spec = GenesisSpec {
        chain_id: L1_CHAIN.into(),
        balances: vec![
            (user_l1.clone(), 100_000_000),
            (addr(&proposer_k), 100_000_000),
        ],
        ..GenesisSpec::default()
    };
    l1_orchestrator::init_home(&dir.path().join("l1"), &spec).unwrap();
    // The user also holds a second L1 token, which shows up on the L2 as an ERC-20.
    let l1_gen = dir.path().join("l1/genesis.json");
    let mut lg: Value = serde_json::from_slice(&std::fs::read(&l1_gen).unwrap()).unwrap();
    for b in lg["app_state"]["bank"]["balances"].as_array_mut().unwrap() {
        if b["address"] == user_l1.as_str() {
            b["coins"]
                .as_array_mut()
                .unwrap()
                .push(json!({"denom": "uusdc", "amount": "50000"}));
        }
    }
    std::fs::write(&l1_gen, serde_json::to_vec_pretty(&lg).unwrap()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let l1 = start_on(
        L1Options {
            home: dir.path().join("l1"),
            rpc_listen: listener.local_addr().unwrap(),
            block_time: Duration::from_millis(40),
            dev: true,
        },
        listener,
    )
    .await
    .unwrap();
    let l1c = RemoteChain::new(&l1.url).unwrap();
    let p = submitter(&l1c, L1_CHAIN, 22, "uinit");
    let tx = p
        .submit(
            vec![any_msg(
                ophost::msg::CREATE_BRIDGE,
                &l1p::MsgCreateBridge {
                    creator: addr(&proposer_k),
                    config: Some(l1p::BridgeConfig {
                        challenger: addr(&challenger_k),
                        proposer: addr(&proposer_k),
                        batch_info: Some(l1p::BatchInfo {
                            submitter: addr(&proposer_k),
                            chain_type: 1,
                        }),
                        submission_interval: Some(l1p::Duration::from_secs(1)),
                        finalization_period: Some(l1p::Duration::from_secs(FINALIZATION as i64)),
                        submission_start_height: 1,
                        ..Default::default()
                    }),
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
    let denom = l2_denom(bridge_id, "uinit");

    // The EVM minitia: its fee denom (= native token) is the bridged uinit.
    let home = dir.path().join("evm");
    minitia_evm_node::node::init_dev_home(
        &home,
        L2_CHAIN,
        &denom,
        "0",
        Duration::from_millis(100),
        &[],
    )
    .unwrap();
    let gpath = home.join("genesis.json");
    let mut g: Value = serde_json::from_slice(&std::fs::read(&gpath).unwrap()).unwrap();
    g["app_state"]["opchild"] = json!({"params": {"bridge_executors": [addr(&executor_k)]}});
    std::fs::write(&gpath, serde_json::to_vec_pretty(&g).unwrap()).unwrap();
    let comet = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let eth_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut cfg = NodeConfig::load(&home).unwrap();
    cfg.rpc.listen = comet;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let node = tokio::spawn({
        let home = home.clone();
        async move {
            minitia_evm_node::node::run_node(&home, &cfg, eth_addr, async move {
                let _ = stop_rx.await;
            })
            .await
            .unwrap();
        }
    });
    let l2_url = format!("http://{comet}");
    let eth_url = format!("http://{eth_addr}");
    let l2c = RemoteChain::new(&l2_url).unwrap();
    for _ in 0..100 {
        if l2c.chain_id().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The executor.
    let ex = Executor::connect(ExecutorOptions {
        l1_rpc: l1.url.clone(),
        l1_chain_id: String::new(),
        l1_prefix: "init".into(),
        l1_gas_price: "0uinit".parse().unwrap(),
        bridge_id,
        l2_rpc: l2_url.clone(),
        l2_prefix: "init".into(),
        l2_gas_price: format!("0{denom}").parse().unwrap(),
        executor_key: key(24),
        proposer_key: Some(key(22)),
        relay_deposits: true,
        db_path: home.join("data/bridge/executor.redb"),
        poll: Duration::from_millis(100),
        faults: Default::default(),
    })
    .await
    .unwrap();
    let api_l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", api_l.local_addr().unwrap());
    let (ex_stop, ex_rx) = tokio::sync::oneshot::channel::<()>();
    let ex_task = tokio::spawn(async move {
        ex.run(api_l, async move {
            let _ = ex_rx.await;
        })
        .await
        .unwrap();
    });

    let wallet = Wallet::from_bytes([25; 32]).unwrap();
    let user_evm = wallet.address();
    let escrow = || async {
        l1c.balance(
            &ophost::bridge_address(bridge_id).to_bech32("init"),
            "uinit",
        )
        .await
        .unwrap()
    };
    let native = |a: Address| {
        let eth_url = eth_url.clone();
        async move {
            hex_u128(
                &eth(
                    &eth_url,
                    "eth_getBalance",
                    json!([format!("{a:#x}"), "latest"]),
                )
                .await,
            )
        }
    };
    let supply = || async {
        use cosmrs::proto::cosmos::bank::v1beta1::{QuerySupplyOfRequest, QuerySupplyOfResponse};
        let r: QuerySupplyOfResponse = l2c
            .query_proto(
                "/cosmos.bank.v1beta1.Query/SupplyOf",
                &QuerySupplyOfRequest {
                    denom: denom.clone(),
                },
                None,
            )
            .await
            .unwrap();
        r.amount.map_or(0u128, |c| c.amount.parse().unwrap())
    };

    // Deposit 1_000_000 uinit to the user's 0x address: native balance on the L2.
    let l1u = submitter(&l1c, L1_CHAIN, 21, "uinit");
    let l1_start = l1c.balance(&user_l1, "uinit").await.unwrap();
    l1u.submit(
        vec![any_msg(
            ophost::msg::INITIATE_DEPOSIT,
            &l1p::MsgInitiateTokenDeposit {
                sender: user_l1.clone(),
                bridge_id,
                to: format!("{user_evm:#x}"),
                amount: Some(PCoin {
                    denom: "uinit".into(),
                    amount: "1000000".into(),
                }),
                data: vec![],
            },
        )],
        "",
    )
    .await
    .unwrap();
    for _ in 0..300 {
        if native(user_evm).await == 1_000_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        native(user_evm).await,
        1_000_000,
        "deposit visible as native balance"
    );
    assert_eq!(escrow().await, supply().await);

    // A deposit of another L1 token: an ERC-20 on the L2 that wallets read over JSON-RPC.
    let usdc = l2_denom(bridge_id, "uusdc");
    let token = minitia_vm_evm::erc20::token_address(&usdc);
    assert_eq!(
        eth(&eth_url, "minitia_erc20Address", json!([usdc.clone()])).await,
        Value::Null,
        "no view before the first deposit"
    );
    l1u.submit(
        vec![any_msg(
            ophost::msg::INITIATE_DEPOSIT,
            &l1p::MsgInitiateTokenDeposit {
                sender: user_l1.clone(),
                bridge_id,
                to: format!("{user_evm:#x}"),
                amount: Some(PCoin {
                    denom: "uusdc".into(),
                    amount: "7000".into(),
                }),
                data: vec![],
            },
        )],
        "",
    )
    .await
    .unwrap();
    let erc20_call = |data: Vec<u8>| {
        let eth_url = eth_url.clone();
        async move {
            let r = eth(
                &eth_url,
                "eth_call",
                json!([{"to": format!("{token:#x}"), "data": format!("0x{}", hex::encode(data))}, "latest"]),
            )
            .await;
            hex_u128(&r)
        }
    };
    let balance_of = |a: Address| {
        let mut d = minitia_vm_evm::erc20::selector::BALANCE_OF.to_vec();
        d.extend_from_slice(a.into_word().as_slice());
        erc20_call(d)
    };
    for _ in 0..300 {
        if !eth(&eth_url, "minitia_erc20Address", json!([usdc.clone()]))
            .await
            .is_null()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        eth(&eth_url, "minitia_erc20Address", json!([usdc.clone()])).await,
        json!(format!("{token:#x}"))
    );
    let code = eth(
        &eth_url,
        "eth_getCode",
        json!([format!("{token:#x}"), "latest"]),
    )
    .await;
    assert_ne!(code, json!("0x"), "the token is a contract to wallets");
    assert_eq!(balance_of(user_evm).await, 7_000);
    assert_eq!(
        erc20_call(minitia_vm_evm::erc20::selector::TOTAL_SUPPLY.to_vec()).await,
        7_000
    );
    assert_eq!(
        native(user_evm).await,
        1_000_000,
        "the native balance is untouched"
    );
    let user_l2 = minitia_core::Address(user_evm.into_array()).to_bech32("init");
    assert_eq!(
        l2c.balance(&user_l2, &usdc).await.unwrap(),
        7_000,
        "the Cosmos bank shows the same balance"
    );

    let chain_id = hex_u128(&eth(&eth_url, "eth_chainId", json!([])).await) as u64;
    let send = |nonce: u64, value: u128, data: Vec<u8>| {
        let raw = wallet.eip1559(
            chain_id,
            nonce,
            Some(bridge::BRIDGE_ADDRESS),
            U256::from(value),
            data,
            200_000,
            0,
            0,
        );
        let eth_url = eth_url.clone();
        async move {
            let h = eth(
                &eth_url,
                "eth_sendRawTransaction",
                json!([format!("0x{}", hex::encode(raw))]),
            )
            .await;
            for _ in 0..300 {
                let r = eth(&eth_url, "eth_getTransactionReceipt", json!([h.clone()])).await;
                if !r.is_null() {
                    return r;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("no receipt for {h}");
        }
    };

    // Bad input through the precompile: reverted with a reason, nothing moves.
    let r = send(0, 1000, call_data("not-a-bech32")).await;
    assert_eq!(r["status"], "0x0", "{r}");
    let r2 = send(1, 0, call_data(&user_l1)).await;
    assert_eq!(r2["status"], "0x0", "zero amount: {r2}");
    assert_eq!(native(user_evm).await, 1_000_000);
    assert_eq!(escrow().await, supply().await);

    // Withdraw 400_000 through the precompile with a signed Ethereum tx.
    let r = send(2, 400_000, call_data(&user_l1)).await;
    assert_eq!(r["status"], "0x1", "{r}");
    let logs = r["logs"].as_array().unwrap();
    assert!(
        logs.iter().any(|l| l["address"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case(&format!("{:#x}", bridge::BRIDGE_ADDRESS))),
        "{r}"
    );
    assert_eq!(native(user_evm).await, 600_000);
    assert_eq!(
        native(bridge::BRIDGE_ADDRESS).await,
        0,
        "the precompile holds nothing: burned"
    );
    assert_eq!(escrow().await, supply().await + 400_000);

    // An ERC-20 transfer signed as an Ethereum tx moves the bank balance.
    let friend = Address::repeat_byte(0x5e);
    let mut d = minitia_vm_evm::erc20::selector::TRANSFER.to_vec();
    d.extend_from_slice(friend.into_word().as_slice());
    d.extend_from_slice(&U256::from(2_500).to_be_bytes::<32>());
    let raw = wallet.eip1559(chain_id, 3, Some(token), U256::ZERO, d, 200_000, 0, 0);
    let h = eth(
        &eth_url,
        "eth_sendRawTransaction",
        json!([format!("0x{}", hex::encode(raw))]),
    )
    .await;
    let mut r = Value::Null;
    for _ in 0..300 {
        r = eth(&eth_url, "eth_getTransactionReceipt", json!([h.clone()])).await;
        if !r.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(r["status"], "0x1", "{r}");
    assert_eq!(
        r["logs"][0]["topics"][0],
        json!(format!("{:#x}", minitia_vm_evm::erc20::transfer_topic()))
    );
    assert_eq!(balance_of(friend).await, 2_500);
    assert_eq!(balance_of(user_evm).await, 4_500);
    let friend_l2 = minitia_core::Address(friend.into_array()).to_bech32("init");
    assert_eq!(l2c.balance(&friend_l2, &usdc).await.unwrap(), 2_500);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let proof: WithdrawalProof = loop {
        match fetch_proof(&api, 1).await {
            Ok(p) => break p,
            Err(e) if tokio::time::Instant::now() < deadline => {
                assert!(e.contains("404"), "{e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(
        proof.from,
        minitia_core::Address(user_evm.into_array()).to_bech32("init")
    );
    assert_eq!(
        (proof.to.as_str(), proof.amount.amount.as_str()),
        (user_l1.as_str(), "400000")
    );

    // Finalize on the L1 after the period.
    let before = l1c.balance(&user_l1, "uinit").await.unwrap();
    {
        use minitia_chain::node::clock::Clock;
        let body = format!("{{\"seconds\":{}}}", FINALIZATION + 1);
        let host = l1.url.trim_start_matches("http://").to_string();
        let req = format!("POST /dev/advance_time HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let target = l1.clock.now();
        for _ in 0..500 {
            if l1c
                .rpc()
                .status()
                .await
                .unwrap()
                .sync_info
                .latest_block_time
                >= target
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    l1u.submit(
        vec![any_msg(
            ophost::msg::FINALIZE_WITHDRAWAL,
            &proof.to_msg(&user_l1).unwrap(),
        )],
        "",
    )
    .await
    .unwrap();
    assert_eq!(
        l1c.balance(&user_l1, "uinit").await.unwrap(),
        before + 400_000
    );
    assert_eq!(escrow().await, supply().await);
    assert_eq!(
        l1c.balance(&user_l1, "uinit").await.unwrap() + native(user_evm).await,
        l1_start
    );

    let _ = ex_stop.send(());
    let _ = ex_task.await;
    let _ = stop_tx.send(());
    let _ = node.await;
    drop(l1);
}
