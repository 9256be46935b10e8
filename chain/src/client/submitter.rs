//! The one tx submitter every bot uses.
//!
//! Peers' bots stall silently on three things: a cached account sequence that drifted (another
//! process used the key, or a tx was dropped), a fee below what the chain now asks, and an RPC
//! that blinks. [`TxSubmitter`] handles each the same way everywhere:
//! - txs from one key go out one at a time (a tokio mutex), so sequences never race;
//! - gas comes from `Simulate` times an adjustment; the fee from the configured gas price;
//! - a sequence mismatch (SDK code 32) resyncs from the chain (the expected value in the log,
//!   else an account query) and retries at once;
//! - an insufficient fee (code 13) raises the fee to what the log says is required, or by
//!   `fee_bump` per attempt, up to `max_fee_bumps`;
//! - a full mempool or an unreachable node backs off exponentially until `retry_for` passes;
//! - a tx not in a block within `inclusion_timeout` is treated as dropped: the sequence is
//!   resynced and the same messages are signed again — but first every earlier attempt of
//!   this submission is looked up by hash, after the resync, so a tx that landed late is
//!   reported as the success it is and never sent twice (a retry refused by the chain is
//!   checked the same way);
//! - after every tx the fee-token balance is read; under `low_balance` it logs a warning and
//!   the [`SubmitterStatus`] says so, so a status page shows it before the bot stops.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use cosmrs::{
    crypto::secp256k1::SigningKey,
    proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse},
    tx::{self, Fee, SignDoc, SignerInfo},
    AccountId, Any, Coin, Denom,
};
use minitia_core::{Hash32, L1Client, L1Error};
use serde::Serialize;

use super::{RemoteChain, TxOutcome};
use crate::app::errors::code;

/// A gas price: `amount` (a decimal) per unit of gas, in `denom`.
#[derive(Debug, Clone, PartialEq)]
pub struct GasPrice {
    /// Price per gas unit.
    pub amount: f64,
    /// Fee denom.
    pub denom: String,
}

impl std::str::FromStr for GasPrice {
    type Err = String;

    /// Parses `0.15umin` (the SDK's `--gas-prices` format).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("gas price {s:?} has no denom; write e.g. 0.15umin"))?;
        let (num, denom) = s.split_at(split);
        let amount: f64 = num
            .parse()
            .map_err(|_| format!("gas price {s:?}: {num:?} is not a decimal number"))?;
        if !amount.is_finite() || amount < 0.0 {
            return Err(format!("gas price {s:?} must be a non-negative number"));
        }
        Ok(Self {
            amount,
            denom: denom.to_string(),
        })
    }
}

impl std::fmt::Display for GasPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// Knobs of a [`TxSubmitter`].
#[derive(Debug, Clone)]
pub struct SubmitterConfig {
    /// Chain id the txs are signed for.
    pub chain_id: String,
    /// Bech32 prefix of the signer's address.
    pub bech32_prefix: String,
    /// Gas price for fees.
    pub gas_price: GasPrice,
    /// Multiplier on simulated gas.
    pub gas_adjustment: f64,
    /// Fee multiplier per "insufficient fee" answer.
    pub fee_bump: f64,
    /// Most fee bumps for one tx.
    pub max_fee_bumps: u32,
    /// First retry delay after a transient failure; doubles up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest retry delay.
    pub max_backoff: Duration,
    /// Give up on transient failures after this long.
    pub retry_for: Duration,
    /// How long to wait for a broadcast tx to land in a block before re-sending it.
    pub inclusion_timeout: Duration,
    /// Warn when the fee-token balance falls under this.
    pub low_balance: u128,
    /// Gas limit used when simulation refuses the messages (so that CheckTx reports the
    /// module's own error code).
    pub fallback_gas: u64,
}

impl SubmitterConfig {
    /// Defaults for `chain_id` with `gas_price`.
    pub fn new(
        chain_id: impl Into<String>,
        bech32_prefix: impl Into<String>,
        gas_price: GasPrice,
    ) -> Self {
        Self {
            chain_id: chain_id.into(),
            bech32_prefix: bech32_prefix.into(),
            gas_price,
            gas_adjustment: 1.5,
            fee_bump: 1.5,
            max_fee_bumps: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            retry_for: Duration::from_secs(120),
            inclusion_timeout: Duration::from_secs(30),
            low_balance: 1_000_000,
            fallback_gas: 1_000_000,
        }
    }
}

/// A tx that landed in a block with code 0.
pub type SubmittedTx = TxOutcome;

/// Why a submission failed for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The chain refused the messages (CheckTx or DeliverTx); retrying the same messages will not help.
    #[error("{chain} rejected the tx ({codespace}/{code}): {log}")]
    Rejected {
        /// Chain id.
        chain: String,
        /// Error namespace.
        codespace: String,
        /// Error code.
        code: u32,
        /// Log.
        log: String,
    },
    /// The node stayed unreachable (or the mempool full) for the whole retry window.
    #[error("{chain} unavailable for {secs} s, giving up: {last}")]
    Unavailable {
        /// Chain id.
        chain: String,
        /// How long it was retried.
        secs: u64,
        /// The last error.
        last: String,
    },
    /// The signer's account does not exist or cannot pay.
    #[error("signer {address} on {chain}: {reason}")]
    Account {
        /// Chain id.
        chain: String,
        /// Signer address.
        address: String,
        /// What is wrong and what to do.
        reason: String,
    },
}

impl SubmitError {
    /// The SDK `(codespace, code)` of a rejection.
    pub fn code(&self) -> Option<(&str, u32)> {
        match self {
            Self::Rejected {
                codespace, code, ..
            } => Some((codespace, *code)),
            _ => None,
        }
    }
}

/// What a status page shows about a submitter.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SubmitterStatus {
    /// Signer address.
    pub address: String,
    /// Chain id.
    pub chain_id: String,
    /// Next sequence as last known.
    pub sequence: Option<u64>,
    /// Txs included with code 0.
    pub succeeded: u64,
    /// Submissions that failed for good.
    pub failed: u64,
    /// Sequence resyncs.
    pub resyncs: u64,
    /// Fee bumps.
    pub fee_bumps: u64,
    /// Transient-failure retries.
    pub retries: u64,
    /// Last fee-token balance read.
    pub balance: Option<u128>,
    /// Balance under the configured threshold.
    pub low_balance: bool,
    /// Height of the last included tx.
    pub last_height: Option<u64>,
    /// The last error, if the last submission failed.
    pub last_error: Option<String>,
}

#[derive(Debug, Default)]
struct Seq {
    account_number: u64,
    sequence: Option<u64>,
}

/// Signs and submits txs from one key, robustly. See the module docs.
pub struct TxSubmitter {
    chain: RemoteChain,
    key: SigningKey,
    address: AccountId,
    cfg: SubmitterConfig,
    seq: tokio::sync::Mutex<Seq>,
    status: Mutex<SubmitterStatus>,
}

impl std::fmt::Debug for TxSubmitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxSubmitter")
            .field("chain", &self.chain)
            .field("address", &self.address.to_string())
            .finish()
    }
}

/// Pulls `N` out of "... expected N, got M ..." (the SDK's sequence mismatch log).
fn expected_sequence(log: &str) -> Option<u64> {
    let rest = &log[log.find("expected ")? + "expected ".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Pulls the amount of `denom` out of "... required: 123umin ..." (the SDK's fee log).
fn required_fee(log: &str, denom: &str) -> Option<u128> {
    let rest = &log[log.find("required: ")? + "required: ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = &rest[digits.len()..];
    if !after.starts_with(denom) {
        return None;
    }
    digits.parse().ok()
}

impl TxSubmitter {
    /// A submitter for `key` on `chain`.
    pub fn new(
        chain: RemoteChain,
        key: SigningKey,
        cfg: SubmitterConfig,
    ) -> Result<Self, SubmitError> {
        let address = key
            .public_key()
            .account_id(&cfg.bech32_prefix)
            .map_err(|e| SubmitError::Account {
                chain: cfg.chain_id.clone(),
                address: String::new(),
                reason: format!("cannot derive a {} address: {e}", cfg.bech32_prefix),
            })?;
        let status = SubmitterStatus {
            address: address.to_string(),
            chain_id: cfg.chain_id.clone(),
            ..Default::default()
        };
        Ok(Self {
            chain,
            key,
            address,
            cfg,
            seq: tokio::sync::Mutex::new(Seq::default()),
            status: Mutex::new(status),
        })
    }

    /// The signer's bech32 address.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// The chain client.
    pub fn chain(&self) -> &RemoteChain {
        &self.chain
    }

    /// The configuration.
    pub fn config(&self) -> &SubmitterConfig {
        &self.cfg
    }

    /// A snapshot of the counters and alarms.
    pub fn status(&self) -> SubmitterStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn note(&self, f: impl FnOnce(&mut SubmitterStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    fn rejected(&self, codespace: String, code: u32, log: String) -> SubmitError {
        SubmitError::Rejected {
            chain: self.cfg.chain_id.clone(),
            codespace,
            code,
            log,
        }
    }

    async fn resync(&self, seq: &mut Seq) -> Result<(), L1Error> {
        match self.chain.account(&self.address()).await? {
            Some((num, s)) => {
                seq.account_number = num;
                seq.sequence = Some(s);
                Ok(())
            }
            None => Err(L1Error::Rejected {
                codespace: "client".into(),
                code: code::UNKNOWN_ADDRESS,
                log: format!(
                    "account {} does not exist on {}; fund it first",
                    self.address(),
                    self.cfg.chain_id
                ),
            }),
        }
    }

    fn sign(
        &self,
        seq: &Seq,
        msgs: &[Any],
        memo: &str,
        gas: u64,
        fee_amount: u128,
    ) -> Result<Vec<u8>, SubmitError> {
        let bad = |e: String| SubmitError::Account {
            chain: self.cfg.chain_id.clone(),
            address: self.address(),
            reason: e,
        };
        let denom: Denom = self
            .cfg
            .gas_price
            .denom
            .parse()
            .map_err(|e| bad(format!("fee denom {:?}: {e}", self.cfg.gas_price.denom)))?;
        let amount = if fee_amount == 0 {
            vec![]
        } else {
            vec![Coin {
                denom,
                amount: fee_amount,
            }]
        };
        let fee = Fee {
            amount,
            gas_limit: gas,
            payer: None,
            granter: None,
        };
        let body = tx::Body::new(msgs.to_vec(), memo, 0u32);
        let auth =
            SignerInfo::single_direct(Some(self.key.public_key()), seq.sequence.unwrap_or(0))
                .auth_info(fee);
        let chain_id = self
            .cfg
            .chain_id
            .parse()
            .map_err(|e| bad(format!("chain id {:?}: {e}", self.cfg.chain_id)))?;
        let doc = SignDoc::new(&body, &auth, &chain_id, seq.account_number)
            .map_err(|e| bad(format!("sign doc: {e}")))?;
        doc.sign(&self.key)
            .and_then(|r| r.to_bytes())
            .map_err(|e| bad(format!("signing: {e}")))
    }

    async fn simulate(&self, tx_raw: Vec<u8>) -> Result<u64, L1Error> {
        #[allow(deprecated)]
        let req = SimulateRequest {
            tx: None,
            tx_bytes: tx_raw,
        };
        let r: SimulateResponse = self
            .chain
            .query_proto("/cosmos.tx.v1beta1.Service/Simulate", &req, None)
            .await?;
        Ok(r.gas_info.map(|g| g.gas_used).unwrap_or(0))
    }

    /// Signs `msgs`, broadcasts them and waits until they are in a block with code 0. Retries
    /// as the module docs describe; a message the chain refuses is returned as
    /// [`SubmitError::Rejected`] with the chain's code and log.
    pub async fn submit(&self, msgs: Vec<Any>, memo: &str) -> Result<SubmittedTx, SubmitError> {
        let r = self.submit_inner(&msgs, memo).await;
        match &r {
            Ok(t) => {
                let h = t.height;
                self.note(|s| {
                    s.succeeded += 1;
                    s.last_height = Some(h);
                    s.last_error = None;
                });
                self.check_balance().await;
            }
            Err(e) => {
                tracing::warn!(chain = %self.cfg.chain_id, signer = %self.address, error = %e, "tx submission failed");
                let msg = e.to_string();
                self.note(|s| {
                    s.failed += 1;
                    s.last_error = Some(msg);
                });
            }
        }
        r
    }

    async fn check_balance(&self) {
        match self
            .chain
            .balance(&self.address(), &self.cfg.gas_price.denom)
            .await
        {
            Ok(b) => {
                let low = b < self.cfg.low_balance;
                if low {
                    tracing::warn!(
                        chain = %self.cfg.chain_id, signer = %self.address, balance = b,
                        denom = %self.cfg.gas_price.denom, threshold = self.cfg.low_balance,
                        "bot account balance is low; top it up before it cannot pay fees"
                    );
                }
                self.note(|s| {
                    s.balance = Some(b);
                    s.low_balance = low;
                });
            }
            Err(e) => tracing::debug!(error = %e, "balance check failed"),
        }
    }

    async fn submit_inner(&self, msgs: &[Any], memo: &str) -> Result<SubmittedTx, SubmitError> {
        let started = Instant::now();
        let mut seq = self.seq.lock().await;
        let mut backoff = self.cfg.initial_backoff;
        let mut bumps = 0u32;
        let mut fee_floor: u128 = 0;
        let mut last_transient = String::new();
        // Hashes broadcast by earlier attempts of this submission whose fate is unknown.
        let mut sent: Vec<Hash32> = Vec::new();
        loop {
            if started.elapsed() > self.cfg.retry_for {
                return Err(SubmitError::Unavailable {
                    chain: self.cfg.chain_id.clone(),
                    secs: started.elapsed().as_secs(),
                    last: last_transient,
                });
            }
            let attempt = self
                .attempt(&mut seq, msgs, memo, &mut bumps, &mut fee_floor, &mut sent)
                .await;
            match attempt {
                Attempt::Done(t) => return Ok(t),
                Attempt::Fail(e) => {
                    // A retry refused because an earlier attempt already did the work (a
                    // withdrawal "already finalized") is that attempt's success.
                    if let Some(t) = self.landed_earlier(&sent).await {
                        return t;
                    }
                    return Err(e);
                }
                Attempt::RetryNow => continue,
                Attempt::Backoff(why) => {
                    self.note(|s| s.retries += 1);
                    tracing::info!(chain = %self.cfg.chain_id, signer = %self.address, reason = %why, delay_ms = backoff.as_millis() as u64, "retrying tx");
                    last_transient = why;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.cfg.max_backoff);
                }
            }
        }
    }

    /// The outcome of an earlier attempt that is in a block, if any: `Ok` for code 0, the
    /// chain's refusal otherwise.
    async fn landed_earlier(&self, sent: &[Hash32]) -> Option<Result<SubmittedTx, SubmitError>> {
        for h in sent {
            // A lookup that fails (the node busy, a block being stored) is asked again: taking
            // it for "not landed" would send the work a second time.
            let mut found = None;
            for delay in [0u64, 200, 500, 1000] {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                match self.chain.tx(*h).await {
                    Ok(t) => {
                        found = t;
                        break;
                    }
                    Err(e) => {
                        tracing::debug!(tx = %h, error = %e, "looking up an earlier attempt");
                    }
                }
            }
            if let Some(t) = found {
                tracing::info!(chain = %self.cfg.chain_id, signer = %self.address, tx = %h, "an earlier attempt of this tx landed late");
                return Some(if t.code == 0 {
                    Ok(t)
                } else {
                    Err(self.rejected(t.codespace, t.code, t.log))
                });
            }
        }
        None
    }

    async fn attempt(
        &self,
        seq: &mut Seq,
        msgs: &[Any],
        memo: &str,
        bumps: &mut u32,
        fee_floor: &mut u128,
        sent: &mut Vec<Hash32>,
    ) -> Attempt {
        if !sent.is_empty() {
            // A retry after a broadcast always reads the committed sequence and looks for the
            // earlier attempts first: one that landed meanwhile (say, after this tx was
            // refused for its now-used sequence) must not be sent again under the next one.
            seq.sequence = None;
        }
        if seq.sequence.is_none() {
            match self.resync(seq).await {
                Ok(()) => {}
                Err(L1Error::Unavailable(e)) => return Attempt::Backoff(e),
                Err(L1Error::Rejected { log, .. }) => {
                    return Attempt::Fail(SubmitError::Account {
                        chain: self.cfg.chain_id.clone(),
                        address: self.address(),
                        reason: log,
                    })
                }
            }
            // Only now, with the committed sequence read, ask whether an earlier attempt
            // landed: one that lands after this check was signed with the sequence just read,
            // so it and the next attempt cannot both be included.
            match self.landed_earlier(sent).await {
                Some(Ok(t)) => return Attempt::Done(t),
                Some(Err(e)) => return Attempt::Fail(e),
                None => {}
            }
        }
        // Gas: simulate with an unsigned-fee copy (the chain's Simulate skips signature checks).
        let probe = match self.sign(seq, msgs, memo, 0, 0) {
            Ok(p) => p,
            Err(e) => return Attempt::Fail(e),
        };
        let gas = match self.simulate(probe).await {
            Ok(g) => ((g as f64) * self.cfg.gas_adjustment).ceil() as u64 + 10_000,
            Err(L1Error::Unavailable(e)) => return Attempt::Backoff(e),
            Err(L1Error::Rejected { log, .. }) if log.contains("incorrect account sequence") => {
                return self
                    .on_reject(
                        seq,
                        "sdk".into(),
                        code::WRONG_SEQUENCE,
                        log,
                        bumps,
                        fee_floor,
                    )
                    .await
            }
            // Simulate reports a failing message as a gRPC InvalidArgument that loses the
            // module's (codespace, code). CheckTx runs the messages too and keeps them, and a
            // tx it refuses costs nothing: send it with the fallback gas to get the real code.
            Err(L1Error::Rejected { log, .. }) => {
                tracing::debug!(log = %log, "simulation failed; letting CheckTx give the precise error");
                self.cfg.fallback_gas
            }
        };
        let fee = ((gas as f64) * self.cfg.gas_price.amount).ceil() as u128;
        let fee = fee.max(*fee_floor);
        let raw = match self.sign(seq, msgs, memo, gas, fee) {
            Ok(r) => r,
            Err(e) => return Attempt::Fail(e),
        };
        // CometBFT's tx hash, known before sending: a broadcast whose answer is lost may
        // still have reached the mempool, so its fate is unknown like a sent one's.
        let local_hash = minitia_core::tx_hash(&raw);
        let hash = match self.chain.broadcast(raw).await {
            Ok(h) => h,
            Err(L1Error::Unavailable(e)) => {
                if !sent.contains(&local_hash) {
                    sent.push(local_hash);
                }
                seq.sequence = None;
                return Attempt::Backoff(e);
            }
            Err(L1Error::Rejected {
                codespace,
                code,
                log,
            }) => {
                return self
                    .on_reject(seq, codespace, code, log, bumps, fee_floor)
                    .await
            }
        };
        sent.push(hash);
        seq.sequence = seq.sequence.map(|s| s + 1);
        self.note(|s| s.sequence = seq.sequence);
        match self.chain.wait_tx(hash, self.cfg.inclusion_timeout).await {
            Ok(Some(t)) if t.code == 0 => Attempt::Done(t),
            Ok(Some(t)) => Attempt::Fail(self.rejected(t.codespace, t.code, t.log)),
            Ok(None) => {
                // Dropped or stuck: learn the real sequence and send again.
                seq.sequence = None;
                self.note(|s| s.resyncs += 1);
                Attempt::Backoff(format!(
                    "tx {hash} not in a block after {:?}",
                    self.cfg.inclusion_timeout
                ))
            }
            Err(e) => {
                // We do not know whether it landed; a resync tells us.
                seq.sequence = None;
                Attempt::Backoff(format!("waiting for tx {hash}: {e}"))
            }
        }
    }

    async fn on_reject(
        &self,
        seq: &mut Seq,
        codespace: String,
        code: u32,
        log: String,
        bumps: &mut u32,
        fee_floor: &mut u128,
    ) -> Attempt {
        // Simulate wraps ante errors in a gRPC InvalidArgument (code 18) and keeps the log.
        let wrong_sequence = (codespace == "sdk" && code == code::WRONG_SEQUENCE)
            || log.contains("incorrect account sequence");
        if wrong_sequence {
            self.note(|s| s.resyncs += 1);
            match expected_sequence(&log) {
                Some(n) => seq.sequence = Some(n),
                None => seq.sequence = None,
            }
            tracing::info!(chain = %self.cfg.chain_id, signer = %self.address, log = %log, "account sequence resynced");
            return Attempt::RetryNow;
        }
        if codespace == "sdk" && code == code::INSUFFICIENT_FEE && *bumps < self.cfg.max_fee_bumps {
            *bumps += 1;
            self.note(|s| s.fee_bumps += 1);
            let bumped = (((*fee_floor).max(1) as f64) * self.cfg.fee_bump).ceil() as u128;
            *fee_floor = required_fee(&log, &self.cfg.gas_price.denom)
                .map(|r| r.max(bumped))
                .unwrap_or(bumped.max(1_000));
            tracing::info!(chain = %self.cfg.chain_id, fee = *fee_floor, "fee bumped");
            return Attempt::RetryNow;
        }
        if codespace == "sdk" && (code == code::MEMPOOL_FULL || code == code::TX_IN_MEMPOOL) {
            return Attempt::Backoff(log);
        }
        if codespace == "sdk" && code == code::INSUFFICIENT_FUNDS {
            self.note(|s| s.low_balance = true);
        }
        Attempt::Fail(self.rejected(codespace, code, log))
    }
}

enum Attempt {
    Done(SubmittedTx),
    Fail(SubmitError),
    RetryNow,
    Backoff(String),
}

/// Convenience: the hash of a submitted tx.
impl SubmittedTx {
    /// The tx hash as hex.
    pub fn hash_hex(&self) -> String {
        hex::encode_upper(self.hash.0)
    }
}

/// Prometheus families of tx submitters, one sample per `(role, status)`:
/// `<prefix>_submitter_{txs_succeeded,txs_failed,retries,balance,low_balance}`.
pub fn submitter_metrics(
    e: &mut minitia_core::metrics::Exposition,
    prefix: &str,
    subs: &[(&str, &SubmitterStatus)],
) {
    use minitia_core::metrics::Kind;
    let labels = |role: &str, s: &SubmitterStatus| {
        vec![
            ("role", role.to_string()),
            ("address", s.address.clone()),
            ("chain_id", s.chain_id.clone()),
        ]
    };
    let fam = |e: &mut minitia_core::metrics::Exposition,
               name: &str,
               help: &str,
               kind: Kind,
               f: &dyn Fn(&SubmitterStatus) -> Option<f64>| {
        e.family(
            &format!("{prefix}_submitter_{name}"),
            help,
            kind,
            subs.iter()
                .filter_map(|(r, s)| Some((labels(r, s), f(s)?)))
                .collect::<Vec<_>>(),
        );
    };
    fam(
        e,
        "txs_succeeded",
        "Txs committed with code 0.",
        Kind::Counter,
        &|s| Some(s.succeeded as f64),
    );
    fam(
        e,
        "txs_failed",
        "Txs that failed for good.",
        Kind::Counter,
        &|s| Some(s.failed as f64),
    );
    fam(
        e,
        "retries",
        "Retries after transient errors.",
        Kind::Counter,
        &|s| Some(s.retries as f64),
    );
    fam(
        e,
        "balance",
        "Fee balance of the signing account.",
        Kind::Gauge,
        &|s| s.balance.map(|b| b as f64),
    );
    fam(
        e,
        "low_balance",
        "1 when the fee balance is under the warning threshold.",
        Kind::Gauge,
        &|s| Some(f64::from(u8::from(s.low_balance))),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gas_prices() {
        let g: GasPrice = "0.15umin".parse().unwrap();
        assert_eq!(g.amount, 0.15);
        assert_eq!(g.denom, "umin");
        assert!("umin".parse::<GasPrice>().is_err());
        assert!("0.15".parse::<GasPrice>().is_err());
        assert!("-1umin".parse::<GasPrice>().is_err());
    }

    #[test]
    fn reads_sdk_logs() {
        assert_eq!(
            expected_sequence(
                "account sequence mismatch, expected 7, got 5: incorrect account sequence"
            ),
            Some(7)
        );
        assert_eq!(expected_sequence("other"), None);
        assert_eq!(
            required_fee(
                "insufficient fees; got: 10umin required: 2500umin: insufficient fee",
                "umin"
            ),
            Some(2500)
        );
        assert_eq!(
            required_fee("insufficient fees; got: 10umin required: 2500uinit", "umin"),
            None
        );
    }
}
