//! The unified status of a localnet: every component's process and height, each bridge's
//! outputs, batches and deposits on the L1, operator balances and bonds, and alarms. The same
//! document is printed by `minitia localnet status`, served at `/status`, drawn by the status
//! page and flattened into Prometheus metrics at `/metrics`.

use std::{path::Path, time::Duration};

use eyre::eyre;
use l1_orchestrator::{ophost, proto};
use serde::Serialize;
use tendermint_rpc::Client;

use crate::{
    l1::{rpc_client, L1},
    manifest::Manifest,
    process,
};

/// The whole picture.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Unix time of the snapshot, milliseconds.
    pub time_unix_ms: u128,
    /// True when every component runs and answers, and there are no alarms.
    pub healthy: bool,
    /// Processes.
    pub components: Vec<ComponentStatus>,
    /// The L1.
    pub l1: ChainStatus,
    /// The DA node.
    pub da: DaStatus,
    /// The minitias.
    pub minitias: Vec<MinitiaStatus>,
    /// Accounts localnet funded, with their L1 balances and bonds.
    pub accounts: Vec<AccountStatus>,
    /// Conditions that need attention, one sentence each.
    pub alarms: Vec<String>,
}

/// One process.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentStatus {
    /// Name (as for `logs`).
    pub name: String,
    /// `da`, `l1`, `minitia`, `bot`.
    pub kind: String,
    /// Pid from its pid file.
    pub pid: Option<u32>,
    /// The pid is a live process.
    pub running: bool,
    /// Its endpoint answered.
    pub reachable: bool,
    /// Latest height where it has one.
    pub height: Option<u64>,
}

/// A CometBFT chain.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ChainStatus {
    /// Chain id.
    pub chain_id: String,
    /// RPC URL.
    pub rpc: String,
    /// Latest block height.
    pub height: Option<u64>,
    /// Latest block time (RFC 3339).
    pub time: Option<String>,
    /// Why it could not be read.
    pub error: Option<String>,
}

/// The DA node.
#[derive(Debug, Clone, Serialize, Default)]
pub struct DaStatus {
    /// JSON-RPC URL.
    pub rpc: String,
    /// Head height.
    pub height: Option<u64>,
    /// Why it could not be read.
    pub error: Option<String>,
}

/// A minitia.
#[derive(Debug, Clone, Serialize)]
pub struct MinitiaStatus {
    /// Name.
    pub name: String,
    /// VM.
    pub vm: String,
    /// How its outputs are settled: `fraud proofs (<engine kind>)` when the L1's judge knows
    /// its engine and its bridge registers it, `permissioned` otherwise.
    pub settlement: String,
    /// The chain.
    pub chain: ChainStatus,
    /// `eth_blockNumber` (EVM only).
    pub evm_block: Option<u64>,
    /// Its bridge on the L1.
    pub bridge: Option<BridgeStatus>,
    /// Its bots, from their own `/status`.
    pub bots: BotsStatus,
}

/// What a minitia's bots report (`None` where a bot does not answer).
#[derive(Debug, Clone, Serialize, Default)]
pub struct BotsStatus {
    /// The batcher.
    pub batcher: Option<BatcherSummary>,
    /// The bridge executor.
    pub executor: Option<ExecutorSummary>,
    /// The challenger.
    pub challenger: Option<ChallengerSummary>,
}

/// The batcher's view.
#[derive(Debug, Clone, Serialize, Default)]
pub struct BatcherSummary {
    /// L2 blocks not yet recorded in a batch.
    pub lag_blocks: u64,
    /// The last recorded batch: `start-end via route`.
    pub last_batch: Option<String>,
    /// Batches recorded through DA and inline on the L1.
    pub batches_da: u64,
    /// Batches recorded inline on the L1.
    pub batches_l1: u64,
    /// Batches go to the L1 because DA is down.
    pub da_failover: bool,
    /// The last error, if the last attempt failed.
    pub last_error: Option<String>,
}

/// The executor's view.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ExecutorSummary {
    /// L1 deposits not yet finalized on the L2 (L1 next sequence - L2 next expected).
    pub deposits_pending: u64,
    /// Withdrawals initiated on the L2.
    pub withdrawals: u64,
    /// Highest output index it proposed.
    pub last_proposed_output: u64,
    /// Loops whose last attempt failed.
    pub errors: Vec<String>,
}

/// The challenger's view.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ChallengerSummary {
    /// L2 height derived from the L1 and DA and re-executed.
    pub derived_height: u64,
    /// Outputs checked.
    pub outputs_checked: u64,
    /// Outputs whose root disagrees.
    pub output_mismatches: u64,
    /// Wrong state transitions found.
    pub faults: u64,
    /// Challenges submitted (fraud proofs and output deletions).
    pub challenges: u64,
    /// Liveness and availability alarms, `kind subject`.
    pub alarms: Vec<String>,
}

async fn bot_status(url: Option<&str>) -> Option<serde_json::Value> {
    let r = http().get(format!("{}/status", url?)).send().await.ok()?;
    r.json().await.ok()
}

async fn bots(mi: &crate::manifest::MinitiaInfo, l1_next_deposit: Option<u64>) -> BotsStatus {
    let u = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(0);
    let (b, e, c) = tokio::join!(
        bot_status(mi.batcher.as_deref()),
        bot_status(mi.executor_api.as_deref()),
        bot_status(mi.challenger.as_deref()),
    );
    BotsStatus {
        batcher: b.map(|b| BatcherSummary {
            lag_blocks: minitia_template::batcher::lag_blocks(
                u(&b, "l2_height"),
                u(&b, "next_height"),
            ),
            last_batch: b["last_batch"].as_object().map(|l| {
                format!(
                    "{}-{} via {}",
                    l.get("start").and_then(|v| v.as_u64()).unwrap_or(0),
                    l.get("end").and_then(|v| v.as_u64()).unwrap_or(0),
                    l.get("route").and_then(|v| v.as_str()).unwrap_or("?")
                )
            }),
            batches_da: u(&b, "batches_da"),
            batches_l1: u(&b, "batches_inline"),
            da_failover: b["da_failover"].as_bool().unwrap_or(false),
            last_error: b["last_error"].as_str().map(String::from),
        }),
        executor: e.map(|e| ExecutorSummary {
            deposits_pending: l1_next_deposit
                .unwrap_or(0)
                .saturating_sub(u(&e, "next_l1_sequence").max(1)),
            withdrawals: u(&e, "next_l2_sequence").saturating_sub(1),
            last_proposed_output: u(&e, "last_proposed_output"),
            errors: e["errors"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or("")))
                        .collect()
                })
                .unwrap_or_default(),
        }),
        challenger: c.map(|c| {
            let n = |k: &str| c[k].as_array().map_or(0, |a| a.len() as u64);
            ChallengerSummary {
                derived_height: u(&c, "derived_height"),
                outputs_checked: u(&c, "outputs_checked"),
                output_mismatches: u(&c, "output_mismatches"),
                faults: n("faults"),
                challenges: n("proofs") + n("deletions"),
                alarms: c["alarms"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|x| {
                                format!(
                                    "{} {}",
                                    x["kind"].as_str().unwrap_or("?"),
                                    x["subject"].as_u64().unwrap_or(0)
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        }),
    }
}

/// A bridge as the L1 sees it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct BridgeStatus {
    /// Bridge id.
    pub bridge_id: u64,
    /// Escrow address.
    pub bridge_addr: String,
    /// Proposer.
    pub proposer: String,
    /// Challenger.
    pub challenger: String,
    /// Submission interval, seconds.
    pub submission_interval_secs: i64,
    /// Finalization period, seconds.
    pub finalization_period_secs: i64,
    /// Number of output proposals.
    pub outputs: u64,
    /// The latest output proposal.
    pub last_output: Option<OutputStatus>,
    /// Index of the latest finalized output (0: none).
    pub last_finalized_output_index: u64,
    /// Batch-info records (the first is the bridge's initial one).
    pub batch_infos: u64,
    /// Where batches go: chain type and submitter of the latest batch info.
    pub batch_chain_type: String,
    /// Submitter of the latest batch info.
    pub batch_submitter: String,
    /// Deposits initiated on the L1 (next L1 sequence - 1).
    pub deposits: u64,
    /// Why part of it could not be read.
    pub error: Option<String>,
}

/// One output proposal.
#[derive(Debug, Clone, Serialize)]
pub struct OutputStatus {
    /// Index.
    pub index: u64,
    /// L2 block it covers up to.
    pub l2_block_number: u64,
    /// L1 block it was proposed in.
    pub l1_block_number: u64,
    /// Finalized (its finalization period has passed on the L1 clock).
    pub finalized: bool,
}

/// An account localnet funded.
#[derive(Debug, Clone, Serialize)]
pub struct AccountStatus {
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// L1 balance in the L1 denom.
    pub l1_balance: Option<String>,
    /// Bonded on the L1.
    pub bonded: Option<String>,
}

/// Names and kinds of the components of a run, from `<home>/run/state.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, Default)]
pub struct RunState {
    /// Pid of `localnet up`.
    pub up_pid: u32,
    /// Status server URL.
    pub status_url: String,
    /// `(name, kind)` of each component in start order.
    pub components: Vec<(String, String)>,
}

impl RunState {
    /// `<home>/run/state.json`.
    pub fn path(home: &Path) -> std::path::PathBuf {
        home.join("run").join("state.json")
    }

    /// Reads it; `None` when no localnet runs from `home`.
    pub fn load(home: &Path) -> Option<Self> {
        serde_json::from_slice(&std::fs::read(Self::path(home)).ok()?).ok()
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap_or_default()
}

async fn json_rpc(
    url: &str,
    token: Option<&str>,
    method: &str,
    params: serde_json::Value,
) -> eyre::Result<serde_json::Value> {
    let mut req = http().post(url).json(&serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": method, "params": params
    }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.map_err(|e| eyre!("{method}: {e}"))?;
    let status = resp.status();
    let v: serde_json::Value = resp
        .json()
        .await
        .map_err(|e| eyre!("{method}: HTTP {status}: {e}"))?;
    if let Some(e) = v.get("error").filter(|e| !e.is_null()) {
        return Err(eyre!("{method}: {e}"));
    }
    Ok(v["result"].clone())
}

/// `header.NetworkHead` height of a celestia-node compatible DA node.
pub async fn da_height(url: &str, token: &str) -> eyre::Result<u64> {
    let h = json_rpc(
        url,
        Some(token),
        "header.NetworkHead",
        serde_json::json!([]),
    )
    .await?;
    h["header"]["height"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| h["header"]["height"].as_u64())
        .ok_or_else(|| eyre!("header.NetworkHead: no header.height in {h}"))
}

/// `eth_chainId`.
pub async fn eth_chain_id(url: &str) -> eyre::Result<u64> {
    hex_quantity(&json_rpc(url, None, "eth_chainId", serde_json::json!([])).await?)
}

/// `eth_blockNumber`.
pub async fn eth_block_number(url: &str) -> eyre::Result<u64> {
    hex_quantity(&json_rpc(url, None, "eth_blockNumber", serde_json::json!([])).await?)
}

fn hex_quantity(v: &serde_json::Value) -> eyre::Result<u64> {
    v.as_str()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .ok_or_else(|| eyre!("expected a hex quantity, got {v}"))
}

/// CometBFT `/status`: height and time.
pub async fn comet_status(url: &str) -> eyre::Result<(u64, String)> {
    let s = rpc_client(url)?
        .status()
        .await
        .map_err(|e| eyre!("{url}/status: {e}"))?;
    Ok((
        s.sync_info.latest_block_height.value(),
        s.sync_info.latest_block_time.to_rfc3339(),
    ))
}

async fn chain(chain_id: &str, rpc: &str) -> ChainStatus {
    let mut c = ChainStatus {
        chain_id: chain_id.into(),
        rpc: rpc.into(),
        ..Default::default()
    };
    match comet_status(rpc).await {
        Ok((h, t)) => {
            c.height = Some(h);
            c.time = Some(t);
        }
        Err(e) => c.error = Some(e.to_string()),
    }
    c
}

fn page(
    offset: u64,
    limit: u64,
) -> Option<cosmrs::proto::cosmos::base::query::v1beta1::PageRequest> {
    Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
        key: vec![],
        offset,
        limit,
        count_total: true,
        reverse: false,
    })
}

async fn bridge(l1: &L1, id: u64) -> eyre::Result<BridgeStatus> {
    let b: proto::QueryBridgeResponse = l1
        .query(
            ophost::query::BRIDGE,
            proto::QueryBridgeRequest { bridge_id: id },
        )
        .await?;
    let cfg = b.bridge_config.unwrap_or_default();
    let mut s = BridgeStatus {
        bridge_id: id,
        bridge_addr: b.bridge_addr,
        proposer: cfg.proposer.clone(),
        challenger: cfg.challenger.clone(),
        submission_interval_secs: cfg.submission_interval.map_or(0, |d| d.seconds),
        finalization_period_secs: cfg.finalization_period.map_or(0, |d| d.seconds),
        ..Default::default()
    };
    let first: proto::QueryOutputProposalsResponse = l1
        .query(
            ophost::query::OUTPUT_PROPOSALS,
            proto::QueryBridgePageRequest {
                bridge_id: id,
                pagination: page(0, 1),
            },
        )
        .await?;
    s.outputs = first.pagination.map_or(0, |p| p.total);
    let fin: proto::QueryLastFinalizedOutputResponse = l1
        .query(
            ophost::query::LAST_FINALIZED_OUTPUT,
            proto::QueryBridgeRequest { bridge_id: id },
        )
        .await?;
    s.last_finalized_output_index = fin.output_index;
    if s.outputs > 0 {
        let last: proto::QueryOutputProposalsResponse = l1
            .query(
                ophost::query::OUTPUT_PROPOSALS,
                proto::QueryBridgePageRequest {
                    bridge_id: id,
                    pagination: page(s.outputs - 1, 1),
                },
            )
            .await?;
        s.last_output = last.output_proposals.into_iter().last().map(|o| {
            let p = o.output_proposal.unwrap_or_default();
            OutputStatus {
                index: o.output_index,
                l2_block_number: p.l2_block_number,
                l1_block_number: p.l1_block_number,
                finalized: o.output_index <= fin.output_index,
            }
        });
    }
    let bi: proto::QueryBatchInfosResponse = l1
        .query(
            ophost::query::BATCH_INFOS,
            proto::QueryBridgePageRequest {
                bridge_id: id,
                pagination: page(0, 1000),
            },
        )
        .await?;
    s.batch_infos = bi.pagination.map_or(bi.batch_infos.len() as u64, |p| {
        p.total.max(bi.batch_infos.len() as u64)
    });
    if let Some(info) = bi.batch_infos.last().and_then(|b| b.batch_info.clone()) {
        s.batch_chain_type = proto::chain_type_name(info.chain_type).to_string();
        s.batch_submitter = info.submitter;
    }
    let n: proto::QueryNextL1SequenceResponse = l1
        .query(
            ophost::query::NEXT_L1_SEQUENCE,
            proto::QueryBridgeRequest { bridge_id: id },
        )
        .await?;
    s.deposits = n.next_l1_sequence.saturating_sub(1);
    Ok(s)
}

/// Collects the status of the localnet in `home` described by `m`.
pub async fn collect(home: &Path, m: &Manifest) -> Status {
    let l1_chain = chain(&m.l1.chain_id, &m.l1.rpc);
    let da = async {
        let mut d = DaStatus {
            rpc: m.da.rpc.clone(),
            ..Default::default()
        };
        match da_height(&m.da.rpc, &m.da.auth_token).await {
            Ok(h) => d.height = Some(h),
            Err(e) => d.error = Some(e.to_string()),
        }
        d
    };
    let l1c = L1::new(&m.l1.rpc, &m.l1.chain_id, &m.l1.prefix).ok();
    let minitias = futures::future::join_all(m.minitias.iter().map(|mi| {
        let l1c = l1c.as_ref();
        async move {
            let chain = chain(&mi.chain_id, &mi.rpc).await;
            let evm_block = match &mi.json_rpc {
                Some(u) => eth_block_number(u).await.ok(),
                None => None,
            };
            let bridge = match (mi.bridge_id, l1c) {
                (Some(id), Some(l1)) => {
                    Some(bridge(l1, id).await.unwrap_or_else(|e| BridgeStatus {
                        bridge_id: id,
                        error: Some(e.to_string()),
                        ..Default::default()
                    }))
                }
                _ => None,
            };
            let bots = bots(mi, bridge.as_ref().map(|b| b.deposits + 1)).await;
            MinitiaStatus {
                name: mi.name.clone(),
                vm: mi.vm.clone(),
                settlement: settlement(&mi.vm),
                chain,
                evm_block,
                bridge,
                bots,
            }
        }
    }));
    let accounts = futures::future::join_all(m.accounts.iter().map(|a| {
        let l1c = l1c.as_ref();
        async move {
            let (bal, bonded) = match l1c {
                Some(l1) => (
                    l1.balance(&a.address, &m.l1.denom).await.ok(),
                    l1.bonded(&a.address).await.ok(),
                ),
                None => (None, None),
            };
            AccountStatus {
                name: a.name.clone(),
                address: a.address.clone(),
                l1_balance: bal.map(|b| b.to_string()),
                bonded: bonded.map(|b| b.to_string()),
            }
        }
    }));
    let (l1, da, minitias, accounts) = tokio::join!(l1_chain, da, minitias, accounts);

    let state = RunState::load(home);
    let mut components = Vec::new();
    let mut alarms = Vec::new();
    let names: Vec<(String, String)> = match &state {
        Some(s) => s.components.clone(),
        None => {
            alarms.push(
                "localnet is not running (no run/state.json); start it with `minitia localnet up`"
                    .into(),
            );
            let mut v = vec![("da".into(), "da".into()), ("l1".into(), "l1".into())];
            v.extend(
                m.minitias
                    .iter()
                    .map(|x| (x.name.clone(), "minitia".into())),
            );
            v
        }
    };
    for (name, kind) in names {
        let pid = process::read_pid(&process::pid_path(home, &name));
        let running = pid.is_some_and(process::alive);
        let (reachable, height) = match kind.as_str() {
            "da" => (da.height.is_some(), da.height),
            "l1" => (l1.height.is_some(), l1.height),
            "minitia" => minitias
                .iter()
                .find(|x| x.name == name)
                .map_or((false, None), |x| {
                    (x.chain.height.is_some(), x.chain.height)
                }),
            _ => (running, None),
        };
        if state.is_some() && !running {
            alarms.push(format!(
                "{name} is not running; see `minitia localnet logs {name}`"
            ));
        } else if running && !reachable {
            alarms.push(format!("{name} runs but does not answer"));
        }
        components.push(ComponentStatus {
            name,
            kind,
            pid,
            running,
            reachable,
            height,
        });
    }
    for mi in &minitias {
        match (&mi.bridge, m.minitia(&mi.name).and_then(|x| x.bridge_id)) {
            (None, _) => alarms.push(format!("{} has no bridge on the L1 yet", mi.name)),
            (Some(b), _) if b.error.is_some() => alarms.push(format!(
                "bridge {} of {}: {}",
                b.bridge_id,
                mi.name,
                b.error.as_deref().unwrap_or_default()
            )),
            _ => {}
        }
        if let Some(c) = &mi.bots.challenger {
            if c.output_mismatches > 0 || c.faults > 0 || c.challenges > 0 {
                alarms.push(format!(
                    "the challenger of {} found {} wrong output(s) and {} wrong state transition(s) and submitted {} challenge(s); see `minitia localnet logs {}-challenger`",
                    mi.name, c.output_mismatches, c.faults, c.challenges, mi.name
                ));
            }
        }
        if mi.bots.batcher.as_ref().is_some_and(|b| b.da_failover) {
            alarms.push(format!(
                "the batcher of {} posts batches to the L1: DA has been down past its failover limit",
                mi.name
            ));
        }
    }
    let healthy = alarms.is_empty() && components.iter().all(|c| c.running && c.reachable);
    Status {
        time_unix_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
        healthy,
        components,
        l1,
        da,
        minitias,
        accounts,
        alarms,
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The status in Prometheus text exposition format (version 0.0.4).
pub fn metrics(s: &Status) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let mut family = |name: &str, help: &str, kind: &str, samples: Vec<(String, f64)>| {
        let _ = writeln!(o, "# HELP {name} {help}");
        let _ = writeln!(o, "# TYPE {name} {kind}");
        for (labels, v) in samples {
            if labels.is_empty() {
                let _ = writeln!(o, "{name} {v}");
            } else {
                let _ = writeln!(o, "{name}{{{labels}}} {v}");
            }
        }
    };
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    family(
        "minitia_localnet_healthy",
        "1 when every component runs and answers and there are no alarms.",
        "gauge",
        vec![(String::new(), b(s.healthy))],
    );
    family(
        "minitia_localnet_component_up",
        "1 when the component's process is alive and its endpoint answers.",
        "gauge",
        s.components
            .iter()
            .map(|c| {
                (
                    format!("component=\"{}\",kind=\"{}\"", esc(&c.name), esc(&c.kind)),
                    b(c.running && c.reachable),
                )
            })
            .collect(),
    );
    let mut heights = Vec::new();
    if let Some(h) = s.l1.height {
        heights.push((
            format!("chain=\"{}\",role=\"l1\"", esc(&s.l1.chain_id)),
            h as f64,
        ));
    }
    if let Some(h) = s.da.height {
        heights.push(("chain=\"da\",role=\"da\"".to_string(), h as f64));
    }
    for m in &s.minitias {
        if let Some(h) = m.chain.height {
            heights.push((
                format!("chain=\"{}\",role=\"minitia\"", esc(&m.chain.chain_id)),
                h as f64,
            ));
        }
    }
    family(
        "minitia_localnet_block_height",
        "Latest block height of each chain.",
        "gauge",
        heights,
    );
    let bridges: Vec<_> = s
        .minitias
        .iter()
        .filter_map(|m| m.bridge.as_ref().map(|b| (m, b)))
        .collect();
    let label = |m: &MinitiaStatus, b: &BridgeStatus| {
        format!("minitia=\"{}\",bridge_id=\"{}\"", esc(&m.name), b.bridge_id)
    };
    family(
        "minitia_localnet_bridge_outputs",
        "Output proposals on the L1.",
        "gauge",
        bridges
            .iter()
            .map(|(m, b)| (label(m, b), b.outputs as f64))
            .collect(),
    );
    family(
        "minitia_localnet_bridge_last_finalized_output",
        "Index of the latest finalized output (0: none).",
        "gauge",
        bridges
            .iter()
            .map(|(m, b)| (label(m, b), b.last_finalized_output_index as f64))
            .collect(),
    );
    family(
        "minitia_localnet_output_lag_blocks",
        "L2 blocks produced since the last proposed output.",
        "gauge",
        bridges
            .iter()
            .filter_map(|(m, b)| {
                let h = m.chain.height?;
                let covered = b.last_output.as_ref().map_or(0, |o| o.l2_block_number);
                Some((label(m, b), h.saturating_sub(covered) as f64))
            })
            .collect(),
    );
    family(
        "minitia_localnet_bridge_batch_infos",
        "Batch-info records of the bridge.",
        "gauge",
        bridges
            .iter()
            .map(|(m, b)| (label(m, b), b.batch_infos as f64))
            .collect(),
    );
    family(
        "minitia_localnet_bridge_deposits",
        "Deposits initiated on the L1.",
        "counter",
        bridges
            .iter()
            .map(|(m, b)| (label(m, b), b.deposits as f64))
            .collect(),
    );
    family(
        "minitia_localnet_account_l1_balance",
        "L1 balance of each funded account, in the L1 denom.",
        "gauge",
        s.accounts
            .iter()
            .filter_map(|a| {
                Some((
                    format!("account=\"{}\"", esc(&a.name)),
                    a.l1_balance.as_ref()?.parse().ok()?,
                ))
            })
            .collect(),
    );
    family(
        "minitia_localnet_account_bonded",
        "Bonded amount of each funded account on the L1.",
        "gauge",
        s.accounts
            .iter()
            .filter_map(|a| {
                Some((
                    format!("account=\"{}\"", esc(&a.name)),
                    a.bonded.as_ref()?.parse().ok()?,
                ))
            })
            .collect(),
    );
    family(
        "minitia_localnet_alarms",
        "Number of active alarms.",
        "gauge",
        vec![(String::new(), s.alarms.len() as f64)],
    );
    o
}

/// A human-readable summary (what `minitia localnet status` prints).
pub fn summary(s: &Status) -> String {
    use std::fmt::Write;
    let opt = |v: Option<u64>| v.map_or("-".to_string(), |h| h.to_string());
    let mut o = String::new();
    let _ = writeln!(
        o,
        "localnet: {}",
        if s.healthy { "healthy" } else { "UNHEALTHY" }
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "  {:<12} {:<8} {:>8} {:<8} {:<8} {:>8}",
        "COMPONENT", "KIND", "PID", "RUNNING", "ANSWERS", "HEIGHT"
    );
    for c in &s.components {
        let _ = writeln!(
            o,
            "  {:<12} {:<8} {:>8} {:<8} {:<8} {:>8}",
            c.name,
            c.kind,
            c.pid.map_or("-".into(), |p| p.to_string()),
            if c.running { "yes" } else { "no" },
            if c.reachable { "yes" } else { "no" },
            opt(c.height)
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "  L1 {} height {} ({})",
        s.l1.chain_id,
        opt(s.l1.height),
        s.l1.rpc
    );
    let _ = writeln!(o, "  DA height {} ({})", opt(s.da.height), s.da.rpc);
    for m in &s.minitias {
        let _ = writeln!(
            o,
            "  {} ({}, {}, {}) height {}{} ({})",
            m.name,
            m.vm,
            m.settlement,
            m.chain.chain_id,
            opt(m.chain.height),
            m.evm_block
                .map_or(String::new(), |b| format!(", eth block {b}")),
            m.chain.rpc
        );
        if let Some(b) = &m.bridge {
            let last = b.last_output.as_ref().map_or("none".to_string(), |x| {
                format!(
                    "#{} at L2 block {}{}",
                    x.index,
                    x.l2_block_number,
                    if x.finalized { ", finalized" } else { "" }
                )
            });
            let _ = writeln!(
                o,
                "    bridge {}: {} outputs (last {last}), {} batch infos ({} {}), {} deposits",
                b.bridge_id,
                b.outputs,
                b.batch_infos,
                b.batch_chain_type,
                b.batch_submitter,
                b.deposits
            );
        }
        if let Some(b) = &m.bots.batcher {
            let _ = writeln!(
                o,
                "    batcher: lag {} blocks, last batch {}, {} via DA, {} on the L1{}",
                b.lag_blocks,
                b.last_batch.as_deref().unwrap_or("none"),
                b.batches_da,
                b.batches_l1,
                if b.da_failover {
                    ", FAILED OVER to the L1"
                } else {
                    ""
                }
            );
        }
        if let Some(e) = &m.bots.executor {
            let _ = writeln!(
                o,
                "    executor: {} deposits pending, {} withdrawals, last proposed output #{}",
                e.deposits_pending, e.withdrawals, e.last_proposed_output
            );
        }
        if let Some(c) = &m.bots.challenger {
            let _ = writeln!(
                o,
                "    challenger: derived to {}, {} outputs checked, {} mismatches, {} challenges, {} alarms",
                c.derived_height,
                c.outputs_checked,
                c.output_mismatches,
                c.challenges,
                c.alarms.len()
            );
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "  {:<20} {:<45} {:>16} {:>10}",
        "ACCOUNT", "ADDRESS", "L1 BALANCE", "BONDED"
    );
    for a in &s.accounts {
        let _ = writeln!(
            o,
            "  {:<20} {:<45} {:>16} {:>10}",
            a.name,
            a.address,
            a.l1_balance.as_deref().unwrap_or("-"),
            a.bonded.as_deref().unwrap_or("-")
        );
    }
    if !s.alarms.is_empty() {
        let _ = writeln!(o);
        for a in &s.alarms {
            let _ = writeln!(o, "  ALARM: {a}");
        }
    }
    o
}

/// How the localnet's minitia of `vm` settles: its bridge registers the engine (see
/// `up::bridge_metadata`), so outputs are judged by fraud proofs when the L1's registry can
/// judge that engine.
fn settlement(vm: &str) -> String {
    match minitia_engines::registry().engine(vm) {
        Ok(e) if e.judgeable() => format!("fraud proofs ({})", e.kind()),
        _ => "permissioned".into(),
    }
}
