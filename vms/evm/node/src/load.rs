//! A load generator for an EVM minitia's front door: signed transfers from many fresh senders
//! sent through `eth_sendRawTransaction` (JSON-RPC batches over HTTP, several connections),
//! measuring what a user's traffic meets: accepted and included tx/s, inclusion latency and
//! rejections by reason.
//!
//! The run has three phases, only the last timed: the `key` account funds `senders` fresh
//! deterministic accounts (derived from `seed`) and waits for those funds; every transfer is
//! signed and every request body encoded; then the bodies are sent by `concurrency` workers
//! (paced to `rate` tx/s if set) while one poller reads each new block's tx hashes. A tx's
//! latency is from the start of the request that carried it to the poll that saw its block.
//!
//! With `erc20` the transfers are `transfer(address,uint256)` calls on a token the `key`
//! account deploys first (the Solidity token `evm-bench` runs, with a constructor that credits
//! the deployer) and hands out to the senders while funding them.
//!
//! It talks to the one URL it is given and stops by itself: after every accepted tx is seen
//! in a block, or at the deadline (`timeout` from the start), whichever comes first. After
//! the timed phase it reads the receipts of the blocks that held the transfers and counts the
//! ones that reverted.

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use minitia_vm_evm::wallet::Wallet;
use revm::primitives::{keccak256, Address, B256, U256};
use serde_json::{json, Value};
use tokio::sync::watch;

/// Gas of a plain value transfer.
const TRANSFER_GAS: u64 = 21_000;
/// Gas limit of an ERC-20 `transfer` (about 52k to a new holder).
const ERC20_TRANSFER_GAS: u64 = 100_000;
/// Gas limit of the token deployment.
const DEPLOY_GAS: u64 = 2_000_000;
/// Runtime code of the token `evm-bench` uses (Solidity source in `tests/js/contracts.mjs`).
const TOKEN_RUNTIME_HEX: &str = include_str!("bin/token_runtime.hex");
/// `transfer(address,uint256)`.
const TRANSFER_SELECTOR: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
/// `balanceOf(address)`.
const BALANCE_OF_SELECTOR: [u8; 4] = [0x70, 0xa0, 0x82, 0x31];
/// Storage index of the token's `balanceOf` mapping (its 5th state variable).
const BALANCES_SLOT_INDEX: u8 = 4;
/// How often the inclusion poller asks for the head.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// The Ethereum tx type the transfers are signed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxType {
    /// Legacy with EIP-155 replay protection.
    Legacy,
    /// EIP-1559 (`maxFeePerGas` twice the node's gas price, no tip).
    Eip1559,
}

impl std::str::FromStr for TxType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "legacy" => Ok(Self::Legacy),
            "eip1559" | "1559" => Ok(Self::Eip1559),
            _ => Err(format!("unknown tx type {s:?}: expected legacy or eip1559")),
        }
    }
}

impl fmt::Display for TxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Legacy => "legacy",
            Self::Eip1559 => "eip1559",
        })
    }
}

/// What to send, where and how fast.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Ethereum JSON-RPC (HTTP) URL.
    pub rpc: String,
    /// The funded account that pays the senders.
    pub funder: Wallet,
    /// Fresh senders.
    pub senders: usize,
    /// Transfers each sender signs (consecutive nonces).
    pub txs_per_sender: usize,
    /// `eth_sendRawTransaction` calls per HTTP request; 1 sends single (unbatched) calls.
    pub batch: usize,
    /// Requests in flight at once (one HTTP connection each).
    pub concurrency: usize,
    /// Offered load in tx/s; 0 sends as fast as the node answers.
    pub rate: f64,
    /// Bound on the whole run, funding included.
    pub timeout: Duration,
    /// Seed of the senders' keys: the same seed gives the same senders.
    pub seed: u64,
    /// Tx type of the transfers.
    pub tx_type: TxType,
    /// ERC-20 `transfer` calls on a freshly deployed token instead of value transfers.
    pub erc20: bool,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            rpc: "http://127.0.0.1:8545".into(),
            funder: Wallet::from_index(1),
            senders: 400,
            txs_per_sender: 100,
            batch: 100,
            concurrency: 8,
            rate: 0.0,
            timeout: Duration::from_secs(120),
            seed: 1,
            tx_type: TxType::Legacy,
            erc20: false,
        }
    }
}

/// A failure that stops the run before it measures anything.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The HTTP request failed (connection refused, reset, timed out).
    #[error("HTTP request to the JSON-RPC failed: {0}; is the node running at --rpc?")]
    Http(#[from] reqwest::Error),
    /// The node answered a call with an error.
    #[error("{method} failed: {message}")]
    Rpc {
        /// Method called.
        method: &'static str,
        /// The node's error message.
        message: String,
    },
    /// The node's answer is not what the method returns.
    #[error("unexpected answer to {method}: {answer}")]
    BadAnswer {
        /// Method called.
        method: &'static str,
        /// What came back (truncated).
        answer: String,
    },
    /// A funding transfer was refused.
    #[error("funding sender {index} was rejected: {reason}; is the --key account funded with enough for {needed} per sender?")]
    FundingRejected {
        /// Sender index.
        index: usize,
        /// The node's error message.
        reason: String,
        /// Amount each sender gets.
        needed: U256,
    },
    /// The token was not deployed, or did not credit its deployer.
    #[error("the ERC-20 token at {0:#x} was not deployed or holds no balance for the funder")]
    TokenMissing(Address),
    /// The funding transfers were not all included before the deadline.
    #[error("funding txs not included within {0:?}; is the node producing blocks?")]
    FundingTimeout(Duration),
    /// The configuration cannot run.
    #[error("invalid load configuration: {0}")]
    Config(String),
}

impl LoadError {
    /// Whether running again unchanged may succeed (the node was down or slow).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Http(_) | Self::FundingTimeout(_))
    }
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Endpoint.
    pub rpc: String,
    /// Chain id the txs were signed for.
    pub chain_id: u64,
    /// Gas price (legacy) or max fee (EIP-1559) of the transfers.
    pub gas_price: u128,
    /// Tx type.
    pub tx_type: Option<TxType>,
    /// The token the transfers called, if ERC-20.
    pub token: Option<Address>,
    /// Senders.
    pub senders: usize,
    /// Transfers per sender.
    pub txs_per_sender: usize,
    /// Batch size.
    pub batch: usize,
    /// Concurrency.
    pub concurrency: usize,
    /// Offered rate (0 = unpaced).
    pub rate: f64,
    /// Time spent funding the senders (not timed).
    pub funding: Duration,
    /// Time spent signing and encoding (not timed).
    pub signing: Duration,
    /// Transfers signed.
    pub signed: usize,
    /// Transfers the node acknowledged with their hash.
    pub accepted: usize,
    /// Transfers refused, by reason (the node's message up to its first `:`).
    pub rejected: BTreeMap<String, usize>,
    /// Transfers never sent (the deadline came first).
    pub unsent: usize,
    /// Accepted transfers seen in a block.
    pub included: usize,
    /// Included transfers whose receipt says they failed (status 0), or whose receipt could
    /// not be read.
    pub reverted: usize,
    /// First request start to last answer.
    pub send_time: Duration,
    /// First request start to the poll that saw the last included transfer.
    pub include_time: Duration,
    /// Inclusion latency of each included transfer, sorted.
    pub latencies: Vec<Duration>,
    /// Blocks that held at least one of the transfers.
    pub blocks: usize,
    /// Most transfers in one block.
    pub max_block_txs: usize,
    /// The deadline ended the run before every accepted transfer was included.
    pub timed_out: bool,
}

impl LoadReport {
    /// Rejected transfers.
    pub fn rejected_total(&self) -> usize {
        self.rejected.values().sum()
    }

    /// Accepted transfers per second of sending.
    pub fn accepted_tps(&self) -> f64 {
        per_sec(self.accepted, self.send_time)
    }

    /// Included transfers per second, first send to last inclusion.
    pub fn included_tps(&self) -> f64 {
        per_sec(self.included, self.include_time)
    }

    /// The `q` quantile (0..=1) of the inclusion latency.
    pub fn latency(&self, q: f64) -> Option<Duration> {
        if self.latencies.is_empty() {
            return None;
        }
        let i = ((self.latencies.len() as f64 * q).ceil() as usize).clamp(1, self.latencies.len());
        Some(self.latencies[i - 1])
    }
}

fn per_sec(n: usize, d: Duration) -> f64 {
    if d.is_zero() {
        0.0
    } else {
        n as f64 / d.as_secs_f64()
    }
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.0} ms", d.as_secs_f64() * 1e3))
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rate = if self.rate > 0.0 {
            format!("{} tx/s offered", self.rate)
        } else {
            "unpaced".into()
        };
        writeln!(
            f,
            "evm-load: {} senders x {} = {} {} {}transfers, batch {}, concurrency {}, {rate}",
            self.senders,
            self.txs_per_sender,
            self.signed,
            self.tx_type.map_or("-".into(), |t| t.to_string()),
            if self.token.is_some() { "ERC-20 " } else { "" },
            self.batch,
            self.concurrency,
        )?;
        writeln!(
            f,
            "  endpoint          {} (chain id {}, gas price {})",
            self.rpc, self.chain_id, self.gas_price
        )?;
        if let Some(t) = self.token {
            writeln!(f, "  token             {t:#x}")?;
        }
        writeln!(
            f,
            "  setup             funding {:.1?}, signing {:.1?} (not timed)",
            self.funding, self.signing
        )?;
        writeln!(
            f,
            "  accepted          {:>7}  {:>9.1} tx/s  over {:.2?} of sending",
            self.accepted,
            self.accepted_tps(),
            self.send_time
        )?;
        writeln!(f, "  rejected          {:>7}", self.rejected_total())?;
        if self.unsent > 0 {
            writeln!(f, "  unsent            {:>7}  (deadline)", self.unsent)?;
        }
        writeln!(
            f,
            "  included          {:>7}  {:>9.1} tx/s  first send -> last inclusion {:.2?}",
            self.included,
            self.included_tps(),
            self.include_time
        )?;
        writeln!(
            f,
            "  not included      {:>7}{}",
            self.accepted.saturating_sub(self.included),
            if self.timed_out { "  (timed out)" } else { "" }
        )?;
        writeln!(
            f,
            "  reverted          {:>7}  (of the included)",
            self.reverted
        )?;
        writeln!(
            f,
            "  blocks            {:>7}  (at most {} transfers in one)",
            self.blocks, self.max_block_txs
        )?;
        writeln!(
            f,
            "  latency           p50 {}  p99 {}  max {}",
            ms(self.latency(0.5)),
            ms(self.latency(0.99)),
            ms(self.latency(1.0))
        )?;
        for (reason, n) in &self.rejected {
            writeln!(f, "  rejected {n:>7}  {reason}")?;
        }
        Ok(())
    }
}

/// A JSON-RPC client of one URL.
#[derive(Clone)]
struct Rpc {
    http: reqwest::Client,
    url: String,
}

impl Rpc {
    fn new(url: &str, timeout: Duration, connections: usize) -> Result<Self, LoadError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(connections)
            .build()?;
        Ok(Self {
            http,
            url: url.to_string(),
        })
    }

    async fn post(&self, body: String) -> Result<Value, reqwest::Error> {
        self.http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    async fn call(&self, method: &'static str, params: Value) -> Result<Value, LoadError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let answer = self.post(body.to_string()).await?;
        one_result(method, &answer)
    }

    /// One batch of calls to `method`; each answer in the order of `params`.
    async fn batch(
        &self,
        method: &'static str,
        params: impl IntoIterator<Item = Value>,
    ) -> Result<Answers, LoadError> {
        let calls: Vec<Value> = params
            .into_iter()
            .enumerate()
            .map(|(i, p)| json!({"jsonrpc": "2.0", "id": i, "method": method, "params": p}))
            .collect();
        let n = calls.len();
        let answer = self.post(Value::Array(calls).to_string()).await?;
        batch_results(&answer, n).ok_or_else(|| bad(method, &answer))
    }

    async fn quantity(&self, method: &'static str, params: Value) -> Result<u128, LoadError> {
        let v = self.call(method, params).await?;
        quantity(&v).ok_or_else(|| bad(method, &v))
    }
}

fn bad(method: &'static str, v: &Value) -> LoadError {
    let mut answer = v.to_string();
    answer.truncate(200);
    LoadError::BadAnswer { method, answer }
}

fn one_result(method: &'static str, answer: &Value) -> Result<Value, LoadError> {
    if let Some(e) = answer.get("error") {
        return Err(LoadError::Rpc {
            method,
            message: e["message"].as_str().unwrap_or("").to_string(),
        });
    }
    answer
        .get("result")
        .cloned()
        .ok_or_else(|| bad(method, answer))
}

/// Each call's result or error message, in call order.
type Answers = Vec<Result<Value, String>>;

/// Answers of a batch of `n` calls with ids `0..n`, by id; `None` if the answer is not one.
fn batch_results(answer: &Value, n: usize) -> Option<Answers> {
    let items = match answer {
        Value::Array(a) => a.as_slice(),
        // A single call, or a whole batch refused with one error object.
        Value::Object(_) if n == 1 || answer.get("error").is_some() => std::slice::from_ref(answer),
        _ => return None,
    };
    let mut out: Answers = vec![Err("no answer for this call".into()); n];
    if items.len() == 1 && n > 1 && items[0]["id"].is_null() {
        let msg = items[0]["error"]["message"]
            .as_str()
            .unwrap_or("batch refused");
        return Some(vec![Err(msg.to_string()); n]);
    }
    for (k, item) in items.iter().enumerate() {
        let id = item["id"].as_u64().map_or(k, |i| i as usize);
        let Some(slot) = out.get_mut(id) else {
            continue;
        };
        *slot = match (item.get("result"), item.get("error")) {
            (_, Some(e)) => Err(e["message"].as_str().unwrap_or("error").to_string()),
            (Some(r), None) => Ok(r.clone()),
            (None, None) => Err("answer without result or error".into()),
        };
    }
    Some(out)
}

fn quantity(v: &Value) -> Option<u128> {
    u128::from_str_radix(v.as_str()?.strip_prefix("0x")?, 16).ok()
}

/// The reason a rejection is counted under: the message up to its first `:` (what follows
/// names addresses and nonces).
fn reason(message: &str) -> String {
    let r = message.split(':').next().unwrap_or(message).trim();
    let mut r = if r.is_empty() { message } else { r }.to_string();
    r.truncate(120);
    r
}

/// Sender `i` of `seed`: keccak("evm-load", seed, i, attempt) as a secret key.
pub fn sender(seed: u64, i: u64) -> Wallet {
    (0u64..)
        .find_map(|attempt| {
            let mut buf = Vec::with_capacity(32);
            buf.extend_from_slice(b"evm-load");
            buf.extend_from_slice(&seed.to_be_bytes());
            buf.extend_from_slice(&i.to_be_bytes());
            buf.extend_from_slice(&attempt.to_be_bytes());
            Wallet::from_bytes(keccak256(&buf).0)
        })
        .expect("some keccak output is a valid secp256k1 key")
}

fn hex0x(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

/// A signed tx: its hash and raw bytes.
struct SignedTx {
    hash: B256,
    raw: Vec<u8>,
}

struct Signer {
    chain_id: u64,
    gas_price: u128,
    tx_type: TxType,
}

/// A tx's destination and payload.
struct Call {
    to: Option<Address>,
    value: U256,
    input: Vec<u8>,
    gas: u64,
}

impl Call {
    fn value(to: Address, value: U256) -> Self {
        Self {
            to: Some(to),
            value,
            input: vec![],
            gas: TRANSFER_GAS,
        }
    }

    fn erc20_transfer(token: Address, to: Address, amount: U256) -> Self {
        let mut input = TRANSFER_SELECTOR.to_vec();
        input.extend_from_slice(&[0u8; 12]);
        input.extend_from_slice(to.as_slice());
        input.extend_from_slice(&amount.to_be_bytes::<32>());
        Self {
            to: Some(token),
            value: U256::ZERO,
            input,
            gas: ERC20_TRANSFER_GAS,
        }
    }
}

/// Init code of the token: credits `supply` to `deployer` (the `balanceOf` slot), then returns
/// the runtime code.
fn token_init_code(deployer: &Address, supply: U256) -> Vec<u8> {
    let runtime = hex::decode(TOKEN_RUNTIME_HEX.trim()).expect("token_runtime.hex is hex");
    let slot = balance_slot(deployer);
    const PREFIX: usize = 80;
    let mut code = Vec::with_capacity(PREFIX + runtime.len());
    code.push(0x7f); // PUSH32 supply
    code.extend_from_slice(&supply.to_be_bytes::<32>());
    code.push(0x7f); // PUSH32 slot
    code.extend_from_slice(&slot.0);
    code.push(0x55); // SSTORE
    code.push(0x61); // PUSH2 len
    code.extend_from_slice(&(runtime.len() as u16).to_be_bytes());
    code.push(0x80); // DUP1
    code.push(0x61); // PUSH2 offset
    code.extend_from_slice(&(PREFIX as u16).to_be_bytes());
    code.extend_from_slice(&[0x60, 0x00, 0x39]); // PUSH1 0, CODECOPY
    code.extend_from_slice(&[0x60, 0x00, 0xf3]); // PUSH1 0, RETURN
    debug_assert_eq!(code.len(), PREFIX);
    code.extend_from_slice(&runtime);
    code
}

fn balance_slot(holder: &Address) -> B256 {
    let mut buf = [0u8; 64];
    buf[12..32].copy_from_slice(holder.as_slice());
    buf[63] = BALANCES_SLOT_INDEX;
    keccak256(buf)
}

impl Signer {
    fn sign(&self, from: &Wallet, nonce: u64, call: Call) -> SignedTx {
        let raw = match self.tx_type {
            TxType::Legacy => from.legacy(
                self.chain_id,
                nonce,
                call.to,
                call.value,
                call.input,
                call.gas,
                self.gas_price,
            ),
            TxType::Eip1559 => from.eip1559(
                self.chain_id,
                nonce,
                call.to,
                call.value,
                call.input,
                call.gas,
                self.gas_price,
                0,
            ),
        };
        SignedTx {
            hash: keccak256(&raw),
            raw,
        }
    }
}

/// One HTTP request of the timed phase: its encoded body and the indices of its txs.
struct Request {
    body: String,
    txs: std::ops::Range<usize>,
}

fn encode_requests(txs: &[SignedTx], batch: usize) -> Vec<Request> {
    let call = |i: usize, t: &SignedTx| {
        let params = [hex0x(&t.raw)];
        json!({"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": params})
    };
    let mut out = Vec::with_capacity(txs.len().div_ceil(batch));
    let mut start = 0;
    while start < txs.len() {
        let end = (start + batch).min(txs.len());
        let body = if batch == 1 {
            call(0, &txs[start]).to_string()
        } else {
            Value::Array(
                txs[start..end]
                    .iter()
                    .enumerate()
                    .map(|(k, t)| call(k, t))
                    .collect(),
            )
            .to_string()
        };
        out.push(Request {
            body,
            txs: start..end,
        });
        start = end;
    }
    out
}

/// Outcome of one tx in the timed phase.
#[derive(Clone, Default)]
struct Sent {
    at: Option<Instant>,
    accepted: bool,
}

/// Runs the load described by `cfg` against its endpoint and reports what it measured.
pub async fn run(cfg: &LoadConfig) -> Result<LoadReport, LoadError> {
    if cfg.senders == 0 || cfg.txs_per_sender == 0 || cfg.batch == 0 || cfg.concurrency == 0 {
        return Err(LoadError::Config(
            "--senders, --txs-per-sender, --batch and --concurrency must be at least 1".into(),
        ));
    }
    let start = Instant::now();
    let deadline = start + cfg.timeout;
    let rpc = Rpc::new(&cfg.rpc, cfg.timeout, cfg.concurrency + 1)?;
    let chain_id = rpc.quantity("eth_chainId", json!([])).await? as u64;
    let node_price = rpc.quantity("eth_gasPrice", json!([])).await?;
    // Headroom over the current price, so a rising base fee does not strand the tail.
    let gas_price = node_price.saturating_mul(2);
    let signer = Signer {
        chain_id,
        gas_price,
        tx_type: cfg.tx_type,
    };
    let senders: Vec<Wallet> = (0..cfg.senders as u64)
        .map(|i| sender(cfg.seed, i))
        .collect();

    // Funding: each sender gets twice what its transfers can cost (and twice the tokens).
    let (value, gas) = if cfg.erc20 {
        (U256::ZERO, ERC20_TRANSFER_GAS)
    } else {
        (U256::from(1u64), TRANSFER_GAS)
    };
    let per_tx = U256::from(gas) * U256::from(gas_price) + value;
    let twice = U256::from(cfg.txs_per_sender) * U256::from(2u64);
    let needed = per_tx * twice + U256::from(1000u64);
    tracing::info!(senders = cfg.senders, %needed, erc20 = cfg.erc20, "funding senders");
    let token = fund(&rpc, &signer, cfg, &senders, needed, twice, deadline).await?;
    let funding = start.elapsed();

    // Senders may have sent before (same seed against the same chain): start at their nonces.
    let nonces = nonces(&rpc, &senders, cfg.batch).await?;

    tracing::info!(txs = cfg.senders * cfg.txs_per_sender, "signing");
    let t_sign = Instant::now();
    let call = |to: Address| match token {
        Some(t) => Call::erc20_transfer(t, to, U256::from(1u64)),
        None => Call::value(to, value),
    };
    let txs = sign_all(&signer, &senders, &nonces, cfg.txs_per_sender, &call);
    let requests = encode_requests(&txs, cfg.batch);
    let signing = t_sign.elapsed();
    let index: Arc<HashMap<B256, usize>> =
        Arc::new(txs.iter().enumerate().map(|(i, t)| (t.hash, i)).collect());
    drop(txs);

    let head = rpc.quantity("eth_blockNumber", json!([])).await? as u64;
    tracing::info!(
        requests = requests.len(),
        head,
        "sending (timed from the first request)"
    );
    let (done_tx, done_rx) = watch::channel::<Option<usize>>(None);
    let poller = tokio::spawn(poll_inclusions(
        rpc.clone(),
        head,
        index.clone(),
        done_rx,
        deadline,
    ));
    let t0 = Instant::now();
    let (sent, rejected, last_answer) = send_all(&rpc, cfg, requests, t0, deadline).await;
    let accepted = sent.iter().filter(|s| s.accepted).count();
    let _ = done_tx.send(Some(accepted));
    let inclusion = poller.await.unwrap_or_default();

    let mut latencies = Vec::with_capacity(inclusion.seen.len());
    let mut included = 0;
    let mut last_seen = t0;
    for (i, seen) in &inclusion.seen {
        let s = &sent[*i];
        if let (Some(at), true) = (s.at, s.accepted) {
            latencies.push(seen.saturating_duration_since(at));
            last_seen = last_seen.max(*seen);
            included += 1;
        }
    }
    latencies.sort();
    let succeeded = succeeded(&rpc, &inclusion.block_numbers, &index, &sent).await;
    Ok(LoadReport {
        rpc: cfg.rpc.clone(),
        chain_id,
        gas_price,
        tx_type: Some(cfg.tx_type),
        token,
        senders: cfg.senders,
        txs_per_sender: cfg.txs_per_sender,
        batch: cfg.batch,
        concurrency: cfg.concurrency,
        rate: cfg.rate,
        funding,
        signing,
        signed: sent.len(),
        accepted,
        unsent: sent.iter().filter(|s| s.at.is_none()).count(),
        rejected,
        included,
        reverted: included.saturating_sub(succeeded),
        send_time: last_answer.saturating_duration_since(t0),
        include_time: last_seen.saturating_duration_since(t0),
        latencies,
        blocks: inclusion.block_numbers.len(),
        max_block_txs: inclusion.max_block_txs,
        timed_out: included < accepted,
    })
}

/// Pays each sender `needed` (and, with `cfg.erc20`, deploys the token and hands each sender
/// `tokens`) and waits until all of it is in blocks; returns the token.
async fn fund(
    rpc: &Rpc,
    signer: &Signer,
    cfg: &LoadConfig,
    senders: &[Wallet],
    needed: U256,
    tokens: U256,
    deadline: Instant,
) -> Result<Option<Address>, LoadError> {
    let funder = cfg.funder.address();
    let first = rpc
        .quantity(
            "eth_getTransactionCount",
            json!([format!("{funder:#x}"), "pending"]),
        )
        .await? as u64;
    let funding = Signer {
        tx_type: TxType::Legacy,
        ..*signer
    };
    let mut calls = Vec::with_capacity(2 * senders.len() + 1);
    let token = cfg.erc20.then(|| {
        let supply = tokens * U256::from(senders.len()) * U256::from(2u64);
        calls.push(Call {
            to: None,
            value: U256::ZERO,
            input: token_init_code(&funder, supply),
            gas: DEPLOY_GAS,
        });
        funder.create(first)
    });
    calls.extend(senders.iter().map(|s| Call::value(s.address(), needed)));
    if let Some(t) = token {
        calls.extend(
            senders
                .iter()
                .map(|s| Call::erc20_transfer(t, s.address(), tokens)),
        );
    }
    let txs: Vec<SignedTx> = calls
        .into_iter()
        .enumerate()
        .map(|(i, c)| funding.sign(&cfg.funder, first + i as u64, c))
        .collect();
    // In nonce order over one connection, so no funding tx waits on a gap.
    for (c, chunk) in txs.chunks(cfg.batch).enumerate() {
        let answers = rpc
            .batch(
                "eth_sendRawTransaction",
                chunk.iter().map(|t| json!([hex0x(&t.raw)])),
            )
            .await?;
        if let Some((k, Err(e))) = answers.iter().enumerate().find(|(_, a)| a.is_err()) {
            return Err(LoadError::FundingRejected {
                index: c * cfg.batch + k,
                reason: e.clone(),
                needed,
            });
        }
    }
    let want = first + txs.len() as u64;
    loop {
        let mined = rpc
            .quantity(
                "eth_getTransactionCount",
                json!([format!("{funder:#x}"), "latest"]),
            )
            .await? as u64;
        if mined >= want {
            break;
        }
        if Instant::now() >= deadline {
            return Err(LoadError::FundingTimeout(cfg.timeout));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if let (Some(t), Some(last)) = (token, senders.last()) {
        // A failed deployment leaves transfers to a codeless address that succeed; the last
        // sender's balance shows the token works.
        let mut input = BALANCE_OF_SELECTOR.to_vec();
        input.extend_from_slice(&[0u8; 12]);
        input.extend_from_slice(last.address().as_slice());
        let v = rpc
            .call(
                "eth_call",
                json!([{"to": format!("{t:#x}"), "data": hex0x(&input)}, "latest"]),
            )
            .await?;
        let balance = v
            .as_str()
            .and_then(|s| U256::from_str_radix(s.trim_start_matches("0x"), 16).ok())
            .unwrap_or_default();
        if balance < tokens {
            return Err(LoadError::TokenMissing(t));
        }
    }
    Ok(token)
}

/// Of the accepted txs in `blocks`, how many have a receipt with status 1.
async fn succeeded(
    rpc: &Rpc,
    blocks: &[u64],
    index: &HashMap<B256, usize>,
    sent: &[Sent],
) -> usize {
    let mut ok = 0;
    for chunk in blocks.chunks(8) {
        let answers = match rpc
            .batch(
                "eth_getBlockReceipts",
                chunk.iter().map(|n| json!([format!("{n:#x}")])),
            )
            .await
        {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "eth_getBlockReceipts");
                continue;
            }
        };
        for receipts in answers.into_iter().flatten() {
            for r in receipts.as_array().into_iter().flatten() {
                let ours = r["transactionHash"]
                    .as_str()
                    .and_then(|h| h.parse::<B256>().ok())
                    .and_then(|h| index.get(&h))
                    .is_some_and(|i| sent[*i].accepted);
                if ours && r["status"] == json!("0x1") {
                    ok += 1;
                }
            }
        }
    }
    ok
}

async fn nonces(rpc: &Rpc, senders: &[Wallet], batch: usize) -> Result<Vec<u64>, LoadError> {
    let mut out = Vec::with_capacity(senders.len());
    for chunk in senders.chunks(batch) {
        let answers = rpc
            .batch(
                "eth_getTransactionCount",
                chunk
                    .iter()
                    .map(|s| json!([format!("{:#x}", s.address()), "pending"])),
            )
            .await?;
        for a in answers {
            let v = a.map_err(|message| LoadError::Rpc {
                method: "eth_getTransactionCount",
                message,
            })?;
            out.push(quantity(&v).ok_or_else(|| bad("eth_getTransactionCount", &v))? as u64);
        }
    }
    Ok(out)
}

/// Every transfer, nonce round by nonce round (round `j` holds each sender's `j`-th tx), so
/// the requests in flight together carry consecutive nonces of many senders. Each sender pays
/// the next one (`call` of the payee), which keeps the state the run touches to the senders.
/// Signed on all cores.
fn sign_all(
    signer: &Signer,
    senders: &[Wallet],
    nonces: &[u64],
    per_sender: usize,
    call: &(dyn Fn(Address) -> Call + Sync),
) -> Vec<SignedTx> {
    let n = senders.len();
    let total = n * per_sender;
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(total);
    let chunk = total.div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t * chunk..((t + 1) * chunk).min(total))
                        .map(|k| {
                            let (round, i) = (k / n, k % n);
                            let to = senders[(i + 1) % n].address();
                            signer.sign(&senders[i], nonces[i] + round as u64, call(to))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a signing thread panicked"))
            .collect()
    })
}

/// Sends `requests` with `cfg.concurrency` workers; returns each tx's outcome, the rejections
/// by reason and when the last answer came.
async fn send_all(
    rpc: &Rpc,
    cfg: &LoadConfig,
    requests: Vec<Request>,
    t0: Instant,
    deadline: Instant,
) -> (Vec<Sent>, BTreeMap<String, usize>, Instant) {
    let total = requests.last().map_or(0, |r| r.txs.end);
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..cfg.concurrency)
        .map(|_| {
            let (rpc, requests, next) = (rpc.clone(), requests.clone(), next.clone());
            let rate = cfg.rate;
            tokio::spawn(async move {
                let mut out: Vec<(usize, Instant, Answers)> = Vec::new();
                let mut last = t0;
                loop {
                    let r = next.fetch_add(1, Ordering::Relaxed);
                    let Some(req) = requests.get(r) else { break };
                    if rate > 0.0 {
                        let due = t0 + Duration::from_secs_f64(req.txs.start as f64 / rate);
                        tokio::time::sleep_until(due.into()).await;
                    }
                    if Instant::now() >= deadline {
                        break;
                    }
                    let n = req.txs.len();
                    let at = Instant::now();
                    let answers = match rpc.post(req.body.clone()).await {
                        Ok(v) => batch_results(&v, n).unwrap_or_else(|| {
                            vec![Err("answer is not a JSON-RPC response".into()); n]
                        }),
                        Err(e) => vec![Err(format!("HTTP: {}", e.without_url())); n],
                    };
                    last = last.max(Instant::now());
                    out.push((r, at, answers));
                }
                (out, last)
            })
        })
        .collect();
    let mut sent = vec![Sent::default(); total];
    let mut rejected = BTreeMap::new();
    let mut last_answer = t0;
    for w in workers {
        let Ok((out, last)) = w.await else { continue };
        last_answer = last_answer.max(last);
        for (r, at, answers) in out {
            for (i, a) in requests[r].txs.clone().zip(answers) {
                sent[i].at = Some(at);
                match a {
                    Ok(_) => sent[i].accepted = true,
                    Err(e) => *rejected.entry(reason(&e)).or_insert(0) += 1,
                }
            }
        }
    }
    (sent, rejected, last_answer)
}

#[derive(Default)]
struct Inclusions {
    /// Tx index -> when its block was first seen.
    seen: HashMap<usize, Instant>,
    /// Blocks holding at least one of the txs.
    block_numbers: Vec<u64>,
    max_block_txs: usize,
}

/// Reads every block after `head` until the sender reports how many txs were accepted and
/// that many have been seen, or the deadline.
async fn poll_inclusions(
    rpc: Rpc,
    mut head: u64,
    index: Arc<HashMap<B256, usize>>,
    done: watch::Receiver<Option<usize>>,
    deadline: Instant,
) -> Inclusions {
    let mut inc = Inclusions::default();
    loop {
        if let Some(accepted) = *done.borrow() {
            if inc.seen.len() >= accepted {
                return inc;
            }
        }
        if Instant::now() >= deadline {
            return inc;
        }
        let latest = match rpc.quantity("eth_blockNumber", json!([])).await {
            Ok(n) => n as u64,
            Err(e) => {
                tracing::warn!(error = %e, "eth_blockNumber");
                tokio::time::sleep(POLL_EVERY).await;
                continue;
            }
        };
        if latest > head {
            let blocks = rpc
                .batch(
                    "eth_getBlockByNumber",
                    (head + 1..=latest).map(|n| json!([format!("{n:#x}"), false])),
                )
                .await;
            let seen_at = Instant::now();
            match blocks {
                Ok(blocks) => {
                    for (n, b) in (head + 1..).zip(blocks) {
                        let Ok(b) = b else { continue };
                        let mut ours = 0;
                        for h in b["transactions"].as_array().into_iter().flatten() {
                            let Some(i) = h
                                .as_str()
                                .and_then(|s| s.parse::<B256>().ok())
                                .and_then(|h| index.get(&h))
                            else {
                                continue;
                            };
                            inc.seen.entry(*i).or_insert(seen_at);
                            ours += 1;
                        }
                        if ours > 0 {
                            inc.block_numbers.push(n);
                            inc.max_block_txs = inc.max_block_txs.max(ours);
                        }
                    }
                    head = latest;
                }
                Err(e) => tracing::warn!(error = %e, "eth_getBlockByNumber"),
            }
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_answers_are_matched_by_id_and_errors_kept() {
        let answer = json!([
            {"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "nonce too low: address 0x1"}},
            {"jsonrpc": "2.0", "id": 0, "result": "0xab"},
        ]);
        let r = batch_results(&answer, 3).unwrap();
        assert_eq!(r[0], Ok(json!("0xab")));
        assert_eq!(r[1], Err("nonce too low: address 0x1".to_string()));
        assert!(r[2].is_err());
        assert_eq!(reason("nonce too low: address 0x1"), "nonce too low");
        let refused =
            json!({"jsonrpc": "2.0", "id": null, "error": {"message": "batch too large"}});
        assert_eq!(
            batch_results(&refused, 2).unwrap(),
            vec![Err("batch too large".to_string()); 2]
        );
    }

    #[test]
    fn senders_are_deterministic_per_seed() {
        assert_eq!(sender(1, 0).address(), sender(1, 0).address());
        assert_ne!(sender(1, 0).address(), sender(2, 0).address());
        assert_ne!(sender(1, 0).address(), sender(1, 1).address());
    }

    #[test]
    fn latency_quantiles() {
        let r = LoadReport {
            latencies: (1..=100).map(Duration::from_millis).collect(),
            ..Default::default()
        };
        assert_eq!(r.latency(0.5), Some(Duration::from_millis(50)));
        assert_eq!(r.latency(0.99), Some(Duration::from_millis(99)));
        assert_eq!(r.latency(1.0), Some(Duration::from_millis(100)));
    }
}
