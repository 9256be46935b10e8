//! `minitia localnet up` end to end, through the real CLI and real clients: the documented
//! `localnet.json` with live URLs, an L1 query with tendermint-rpc, the bridge on the L1,
//! `eth_chainId` on the EVM JSON-RPC, the status JSON, metrics, `time advance`, `logs`,
//! `down` leaving no process, a restart that keeps the chain and bridge, and `reset`.

mod common;

use std::time::Duration;

use common::*;
use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use l1_orchestrator::{bond, ophost, proto};
use prost::Message;
use tendermint_rpc::{client::CompatMode, Client, HttpClient};

fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn account<'a>(m: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    m["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no account {name} in {m}"))
}

async fn query<R: Message + Default>(c: &HttpClient, path: &str, req: impl Message) -> R {
    let r = c
        .abci_query(Some(path.into()), req.encode_to_vec(), None, false)
        .await
        .unwrap();
    assert!(r.code.is_ok(), "{path}: {}", r.log);
    R::decode(r.value.as_slice()).unwrap()
}

async fn eth(url: &str, method: &str) -> serde_json::Value {
    let v: serde_json::Value = reqwest::Client::new()
        .post(url)
        .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["result"].clone()
}

#[test]
fn up_serves_the_documented_endpoints_and_down_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("net");
    let mut up = Up::start(
        &home,
        &[
            "--bridge.finalization-period",
            "1h",
            "--bridge.submission-interval",
            "4s",
        ],
    );
    let printed = up.printed.join("\n");
    assert!(printed.contains("DEV ONLY"), "{printed}");
    assert!(
        printed.contains(minitia_template::home::DEV_MNEMONIC),
        "{printed}"
    );

    // localnet.json in the documented shape, with full URLs.
    let m = up.manifest();
    assert_eq!(keys(&m), ["accounts", "da", "l1", "minitias"]);
    assert_eq!(keys(&m["l1"]), ["chain_id", "denom", "prefix", "rpc"]);
    assert_eq!(keys(&m["da"]), ["auth_token", "namespace", "rpc"]);
    assert_eq!(m["minitias"].as_array().unwrap().len(), 1);
    let mi = &m["minitias"][0];
    assert_eq!(
        keys(mi),
        [
            "batcher",
            "bridge_id",
            "chain_id",
            "challenger",
            "denom",
            "executor_api",
            "json_rpc",
            "name",
            "prefix",
            "rpc",
            "vm"
        ]
    );
    assert_eq!(mi["vm"], "evm");
    for a in m["accounts"].as_array().unwrap() {
        assert_eq!(
            keys(a),
            ["address", "evm_address", "mnemonic", "name", "private_key"]
        );
        assert_eq!(a["private_key"].as_str().unwrap().len(), 66);
    }
    for url in [
        &m["l1"]["rpc"],
        &m["da"]["rpc"],
        &mi["rpc"],
        &mi["json_rpc"],
        &mi["executor_api"],
        &mi["challenger"],
    ] {
        assert!(
            url.as_str().unwrap().starts_with("http://127.0.0.1:"),
            "{url}"
        );
    }
    assert_eq!(m["da"]["namespace"].as_str().unwrap().len(), 58);
    let dev = account(&m, "dev");
    assert_eq!(dev["mnemonic"], minitia_template::home::DEV_MNEMONIC);
    let bridge_id = mi["bridge_id"].as_u64().expect("bridge id");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let l1_url = m["l1"]["rpc"].as_str().unwrap().to_string();
    let l1 = HttpClient::builder(l1_url.parse().unwrap())
        .compat_mode(CompatMode::V0_38)
        .build()
        .unwrap();
    rt.block_on(async {
        // An L1 query: the dev account's genesis balance.
        let st = l1.status().await.unwrap();
        assert_eq!(
            st.node_info.network.as_str(),
            m["l1"]["chain_id"].as_str().unwrap()
        );
        let b: QueryBalanceResponse = query(
            &l1,
            "/cosmos.bank.v1beta1.Query/Balance",
            QueryBalanceRequest {
                address: dev["address"].as_str().unwrap().into(),
                denom: m["l1"]["denom"].as_str().unwrap().into(),
            },
        )
        .await;
        assert!(b.balance.unwrap().amount.parse::<u128>().unwrap() > 0);

        // The bridge exists with the minitia's proposer and challenger, both bonded.
        let br: proto::QueryBridgeResponse = query(
            &l1,
            ophost::query::BRIDGE,
            proto::QueryBridgeRequest { bridge_id },
        )
        .await;
        let cfg = br.bridge_config.unwrap();
        assert_eq!(cfg.proposer, account(&m, "evm-proposer")["address"]);
        assert_eq!(cfg.challenger, account(&m, "evm-challenger")["address"]);
        assert_eq!(cfg.finalization_period.unwrap().seconds, 3600);
        // The metadata registers the engine the L1's fraud judge reads.
        let spec = minitia_fraud_proofs::EngineSpec::from_bridge_metadata(&cfg.metadata).unwrap();
        assert_eq!(spec.kind, "minitia-evm");
        assert_eq!(spec.chain_id, mi["chain_id"].as_str().unwrap());
        for who in ["evm-proposer", "evm-challenger"] {
            let bd: bond::QueryBondResponse = query(
                &l1,
                bond::Q_BOND,
                bond::QueryBondRequest {
                    address: account(&m, who)["address"].as_str().unwrap().into(),
                },
            )
            .await;
            assert!(bd.bonded.unwrap().amount.parse::<u128>().unwrap() >= 1_000_000);
        }

        // The minitia: CometBFT RPC and Ethereum JSON-RPC.
        let mc = HttpClient::builder(mi["rpc"].as_str().unwrap().parse().unwrap())
            .compat_mode(CompatMode::V0_38)
            .build()
            .unwrap();
        assert_eq!(
            mc.status().await.unwrap().node_info.network.as_str(),
            mi["chain_id"].as_str().unwrap()
        );
        let id = eth(mi["json_rpc"].as_str().unwrap(), "eth_chainId").await;
        let id = u64::from_str_radix(id.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        assert!(id > 0);
    });

    // Status JSON served by up: every component healthy, heights moving.
    let status_url = up.status_url();
    let first: serde_json::Value =
        serde_json::from_str(&http_get(&format!("{status_url}/status"))).unwrap();
    assert_eq!(first["healthy"], true, "{first:#}");
    assert_eq!(first["minitias"][0]["bridge"]["bridge_id"], bridge_id);
    // Its bridge registers the EVM engine, which the L1 judges: settled by fraud proofs.
    assert_eq!(
        first["minitias"][0]["settlement"],
        "fraud proofs (minitia-evm)"
    );
    assert!(wait_until(Duration::from_secs(20), || {
        let s: serde_json::Value =
            serde_json::from_str(&http_get(&format!("{status_url}/status"))).unwrap();
        s["l1"]["height"].as_u64() > first["l1"]["height"].as_u64()
            && s["minitias"][0]["chain"]["height"].as_u64()
                > first["minitias"][0]["chain"]["height"].as_u64()
            && s["da"]["height"].as_u64() > first["da"]["height"].as_u64()
    }));
    let names: Vec<_> = first["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["running"], true, "{c}");
            assert_eq!(c["reachable"], true, "{c}");
            c["name"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "da",
            "l1",
            "evm",
            "evm-batcher",
            "evm-executor",
            "evm-challenger"
        ]
    );

    // The bots: the batcher records batches of the minitia on the L1 (found with tx_search on
    // the L1's events), the executor answers on its API.
    rt.block_on(async {
        let q: tendermint_rpc::query::Query = format!("record_batch.bridge_id='{bridge_id}'")
            .parse()
            .unwrap();
        let start = std::time::Instant::now();
        loop {
            let r = l1
                .tx_search(q.clone(), false, 1, 10, tendermint_rpc::Order::Ascending)
                .await
                .unwrap();
            if r.total_count > 0 {
                assert!(r.txs[0].tx_result.code.is_ok());
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no MsgRecordBatch for bridge {bridge_id} on the L1 within 60s; batcher log:\n{}",
                std::fs::read_to_string(home.join("logs/evm-batcher.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });

    // A deposit on the L1 (`minitia bridge deposit`, signed by the dev key of the minitia
    // home) is relayed by the executor and lands as the bridge's L2 denom on the minitia.
    let mhome = home.join("minitias/evm");
    let out = std::process::Command::new(&bins().minitia)
        .args(["bridge", "deposit", "--home", mhome.to_str().unwrap()])
        .args(["--from", "dev", "1234uinit"])
        .env("MINITIA_L1_RPC", &l1_url)
        .env("MINITIA_L1_CHAIN_ID", m["l1"]["chain_id"].as_str().unwrap())
        .env("MINITIA_L1_BRIDGE_ID", bridge_id.to_string())
        .env("MINITIA_L1_GAS_PRICE", "0uinit")
        .env("MINITIA_BRIDGE_L2_RPC", mi["rpc"].as_str().unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The EVM minitia's fee token is the bridged L1 token: the deposit is native balance.
    let l2_denom = minitia_core::opinit::l2_denom(bridge_id, "uinit");
    assert_eq!(mi["denom"], l2_denom.as_str());
    let deposit_height = rt.block_on(async {
        let mc = HttpClient::builder(mi["rpc"].as_str().unwrap().parse().unwrap())
            .compat_mode(CompatMode::V0_38)
            .build()
            .unwrap();
        let start = std::time::Instant::now();
        loop {
            let b: QueryBalanceResponse = query(
                &mc,
                "/cosmos.bank.v1beta1.Query/Balance",
                QueryBalanceRequest {
                    address: dev["address"].as_str().unwrap().into(),
                    denom: l2_denom.clone(),
                },
            )
            .await;
            if b.balance.is_some_and(|c| c.amount == "1234") {
                break mc
                    .status()
                    .await
                    .unwrap()
                    .sync_info
                    .latest_block_height
                    .value();
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "deposit not on the L2 within 30s; executor log:\n{}",
                std::fs::read_to_string(home.join("logs/evm-executor.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });

    // The challenger (bonded key, the EVM engine) re-executes the chain from the L1 and DA and
    // agrees with an output past the deposit's block: an honest run raises no challenge.
    let challenger = mi["challenger"].as_str().unwrap();
    let start = std::time::Instant::now();
    loop {
        let st: serde_json::Value =
            serde_json::from_str(&http_get(&format!("{challenger}/status"))).unwrap();
        assert_eq!(st["bridge_id"], bridge_id, "{st}");
        assert_eq!(
            st["challenger"],
            account(&m, "evm-challenger")["address"],
            "{st}"
        );
        assert_eq!(st["output_mismatches"], 0, "{st}");
        assert_eq!(st["faults"], serde_json::json!([]), "{st}");
        assert_eq!(st["proofs"], serde_json::json!([]), "{st}");
        let past = st["outputs"].as_array().unwrap().iter().any(|o| {
            o["matches"] == true && o["l2_block_number"].as_u64().unwrap() >= deposit_height
        });
        if past {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the challenger checked no output past L2 block {deposit_height} within 90s: {st}\nlog:\n{}",
            std::fs::read_to_string(home.join("logs/evm-challenger.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // Every process serves Prometheus metrics of its own.
    let own = [
        (
            format!("{}/metrics", m["l1"]["rpc"].as_str().unwrap()),
            "minitia_chain_height{chain_id=\"localnet-l1-1\"} ",
        ),
        (
            format!("{}/metrics", mi["rpc"].as_str().unwrap()),
            "minitia_chain_mempool_txs{chain_id=\"localnet-evm-1\"} ",
        ),
        (
            format!("{}/metrics", m["da"]["rpc"].as_str().unwrap()),
            "minitia_da_height ",
        ),
        (
            format!("{}/metrics", mi["batcher"].as_str().unwrap()),
            "minitia_batcher_lag_blocks ",
        ),
        (
            format!("{}/metrics", mi["executor_api"].as_str().unwrap()),
            "minitia_executor_last_proposed_output{bridge_id=",
        ),
        (
            format!("{}/metrics", mi["challenger"].as_str().unwrap()),
            "minitia_challenger_challenges{bridge_id=",
        ),
    ];
    for (url, sample) in own {
        let text = http_get(&url);
        assert!(text.contains(sample), "{url} lacks {sample:?}:\n{text}");
        // Every sample line parses as `name{labels} value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let v = line.rsplit_once(' ').map(|(_, v)| v.parse::<f64>());
            assert!(matches!(v, Some(Ok(_))), "{url}: bad sample line {line:?}");
        }
    }
    let batches = http_get(&format!("{}/metrics", mi["batcher"].as_str().unwrap()));
    assert!(
        batches
            .lines()
            .any(|l| l.starts_with("minitia_batcher_batches{route=\"da\"}") && !l.ends_with(" 0")),
        "the batcher recorded no DA batch: {batches}"
    );

    let metrics = http_get(&format!("{status_url}/metrics"));
    assert!(metrics.contains("minitia_localnet_healthy 1"), "{metrics}");
    assert!(
        metrics.contains("minitia_localnet_block_height{chain=\"localnet-l1-1\",role=\"l1\"}"),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "minitia_localnet_bridge_outputs{{minitia=\"evm\",bridge_id=\"{bridge_id}\"}} "
    )));

    // The CLI reads the same.
    let h = home.to_str().unwrap();
    let (ok, out, err) = run(&["status", "--home", h, "--json"]);
    assert!(ok, "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["healthy"], true);
    // The bots' own view: the challenger has re-executed and checked outputs by now.
    let bots = &s["minitias"][0]["bots"];
    assert!(
        bots["challenger"]["outputs_checked"].as_u64().unwrap() >= 1,
        "{bots}"
    );
    assert_eq!(bots["challenger"]["output_mismatches"], 0, "{bots}");
    assert_eq!(bots["executor"]["deposits_pending"], 0, "{bots}");
    assert!(
        bots["batcher"]["batches_da"].as_u64().unwrap() >= 1,
        "{bots}"
    );
    let (ok, out, _) = run(&["status", "--home", h]);
    assert!(
        ok && out.contains("localnet: healthy")
            && out.contains("bridge 1")
            && out.contains("challenger: derived to")
            && out.contains("batcher: lag"),
        "{out}"
    );

    // time advance moves the L1 clock.
    let (ok, out, err) = run(&["time", "advance", "2h", "--home", h]);
    assert!(ok, "{err}");
    assert!(out.contains("advanced by 7200s"), "{out}");
    rt.block_on(async {
        let t = l1.status().await.unwrap().sync_info.latest_block_time;
        let now = tendermint::Time::now();
        let ahead = t
            .duration_since(now)
            .expect("L1 time is ahead of the wall clock");
        assert!(ahead >= Duration::from_secs(7000), "{ahead:?}");
    });
    let (ok, _, err) = run(&["time", "advance", "soon", "--home", h]);
    assert!(!ok && err.contains("invalid duration"), "{err}");

    // logs
    let (ok, out, err) = run(&["logs", "l1", "--home", h, "-n", "50"]);
    assert!(ok, "{err}");
    assert!(out.contains("advanced L1 time"), "{out}");
    let (ok, _, err) = run(&["logs", "sequencer", "--home", h]);
    assert!(
        !ok && err.contains("da, evm, evm-batcher, evm-challenger, evm-executor, l1"),
        "{err}"
    );

    // One localnet per home.
    let (ok, _, err) = run(&["up", "--home", h, "--free-ports"]);
    assert!(!ok && err.contains("already running"), "{err}");

    // down stops up, which stops every child; nothing is left.
    let pids = up.component_pids();
    assert_eq!(
        pids.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
        [
            "da",
            "evm",
            "evm-batcher",
            "evm-challenger",
            "evm-executor",
            "l1"
        ]
    );
    let (ok, out, err) = run(&["down", "--home", h]);
    assert!(ok, "{err}");
    assert!(out.contains("stopped: up"), "{out}");
    assert!(up.wait_exit(Duration::from_secs(30)).success());
    for (name, pid) in &pids {
        assert!(!alive(*pid), "{name} (pid {pid}) still runs after down");
    }
    assert_eq!(processes_mentioning(h), vec![]);
    let (ok, _, err) = run(&["status", "--home", h, "--json"]);
    assert!(ok, "{err}");

    // up again continues the same chains and bridge.
    let height_before = first["l1"]["height"].as_u64().unwrap();
    let up2 = Up::start(&home, &[]);
    let m2 = up2.manifest();
    assert_eq!(m2["minitias"][0]["bridge_id"], bridge_id);
    assert_eq!(m2["accounts"], m["accounts"]);
    let s: serde_json::Value =
        serde_json::from_str(&http_get(&format!("{}/status", up2.status_url()))).unwrap();
    assert!(s["l1"]["height"].as_u64().unwrap() > height_before, "{s:#}");
    assert_eq!(s["healthy"], true, "{s:#}");
    let pids = up2.component_pids();

    // reset stops it and deletes the home.
    let (ok, _, err) = run(&["reset", "--home", h]);
    assert!(ok, "{err}");
    assert!(!home.exists());
    for (name, pid) in &pids {
        assert!(!alive(*pid), "{name} (pid {pid}) still runs after reset");
    }
    drop(up2);
    assert_eq!(processes_mentioning(h), vec![]);
}

#[test]
fn bad_input_is_one_line_and_starts_nothing() {
    let tmp = tempfile::tempdir().unwrap();

    // An occupied port: nothing created, nothing started.
    let home = tmp.path().join("busy");
    let h = home.to_str().unwrap();
    let offset: u16 = 20_000 + (std::process::id() % 5000) as u16;
    let held = std::net::TcpListener::bind(("127.0.0.1", 26657 + offset));
    if let Ok(_held) = held {
        let (ok, _, err) = run(&["up", "--home", h, "--port-offset", &offset.to_string()]);
        assert!(!ok);
        assert!(
            err.contains(&format!("port {} (L1 RPC) is in use", 26657 + offset)),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!home.exists());
        assert_eq!(processes_mentioning(h), vec![]);
    }

    // A missing binary.
    let out = cli(&["up", "--home", h, "--free-ports"])
        .env("MINITIA_L1_BIN", tmp.path().join("no-such-binary"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("MINITIA_L1_BIN")
            && err.contains("cargo build -p minitia-cli --bin minitia-l1"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!home.exists());

    // A corrupt data dir.
    let home = tmp.path().join("corrupt");
    let h = home.to_str().unwrap();
    std::fs::create_dir_all(home.join("l1")).unwrap();
    std::fs::write(home.join("localnet.json"), b"{\"l1\": 7").unwrap();
    let (ok, _, err) = run(&["up", "--home", h, "--free-ports"]);
    assert!(!ok);
    assert!(
        err.contains("corrupt") && err.contains("localnet reset"),
        "{err}"
    );
    assert_eq!(processes_mentioning(h), vec![]);

    // A folder that is not a localnet.
    let home = tmp.path().join("other");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("notes.txt"), b"mine").unwrap();
    let h = home.to_str().unwrap();
    let (ok, _, err) = run(&["up", "--home", h, "--free-ports"]);
    assert!(!ok && err.contains("not a localnet home"), "{err}");
    let (ok, _, err) = run(&["reset", "--home", h]);
    assert!(!ok && err.contains("not deleting"), "{err}");
    assert!(home.join("notes.txt").exists());

    // Commands against a home with no localnet.
    let none = tmp.path().join("none");
    let (ok, _, err) = run(&["status", "--home", none.to_str().unwrap()]);
    assert!(!ok && err.contains("localnet up"), "{err}");
    let (ok, _, err) = run(&["time", "advance", "1h", "--home", none.to_str().unwrap()]);
    assert!(!ok && err.contains("localnet up"), "{err}");
}
