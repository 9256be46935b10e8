//! What `minitia bridge deposit|withdraw|claim|status|proof` does, against the home's
//! configured L1 (`[l1]`) and L2 (`[bridge] l2_rpc` or `[rpc] listen`), signing with a key of
//! the home (`keys/<name>.json`) through the same [`TxSubmitter`] the bots use.

use std::path::{Path, PathBuf};

use cosmrs::proto::cosmos::base::v1beta1::Coin as PCoin;
use minitia_chain::client::{RemoteChain, SubmitterConfig, TxSubmitter};
use minitia_core::opinit::l2_denom;
use serde::Serialize;

use super::{
    executor::{any_msg, fetch_proof, http_get, next_l1_sequence, WithdrawalProof},
    l2_gas_price, l2_rpc_url, load_signing_key, opchild, ophost as l1p, proto as p2,
};
use crate::{config::NodeConfig, home};

/// A bridge user's view of both chains.
#[derive(Debug)]
pub struct BridgeClient {
    home: PathBuf,
    cfg: NodeConfig,
    l1: RemoteChain,
    l2: RemoteChain,
}

/// A tx the client sent.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    /// Tx hash (hex).
    pub tx_hash: String,
    /// Height it landed at.
    pub height: u64,
    /// The deposit's L1 sequence or the withdrawal's L2 sequence, when there is one.
    pub sequence: Option<u64>,
    /// What moved.
    pub amount: String,
    /// Sender.
    pub from: String,
    /// Recipient.
    pub to: String,
}

fn amount_of(s: &str) -> Result<(u128, String), String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("amount {s:?} has no denom; write e.g. 1000uinit"))?;
    let (n, d) = s.split_at(split);
    let n: u128 = n
        .parse()
        .map_err(|_| format!("amount {s:?}: {n:?} is not a whole number"))?;
    if n == 0 {
        return Err(format!("amount {s:?} must be positive"));
    }
    Ok((n, d.to_string()))
}

impl BridgeClient {
    /// A client for the home at `home`.
    pub fn new(home_dir: &Path, cfg: NodeConfig) -> Result<Self, String> {
        if cfg.l1.rpc.is_empty() {
            return Err(
                "[l1] rpc is empty in minitia.toml: set the L1's CometBFT RPC URL (or MINITIA_L1_RPC)"
                    .into(),
            );
        }
        if cfg.l1.bridge_id == 0 {
            return Err(
                "[l1] bridge_id is 0: set this minitia's bridge id (or MINITIA_L1_BRIDGE_ID)"
                    .into(),
            );
        }
        let l1 = RemoteChain::new(&cfg.l1.rpc).map_err(|e| format!("L1: {e}"))?;
        let l2 = RemoteChain::new(&l2_rpc_url(&cfg)).map_err(|e| format!("L2: {e}"))?;
        Ok(Self {
            home: home_dir.to_path_buf(),
            cfg,
            l1,
            l2,
        })
    }

    fn bridge_id(&self) -> u64 {
        self.cfg.l1.bridge_id
    }

    async fn l1_signer(&self, key: &str) -> Result<TxSubmitter, String> {
        let sk = load_signing_key(&self.home, key).map_err(|e| e.to_string())?;
        let chain_id = if self.cfg.l1.chain_id.is_empty() {
            self.l1.chain_id().await.map_err(|e| format!("L1: {e}"))?
        } else {
            self.cfg.l1.chain_id.clone()
        };
        let gp = self
            .cfg
            .l1
            .gas_price
            .parse()
            .map_err(|e| format!("[l1] gas_price: {e}"))?;
        let mut c = SubmitterConfig::new(chain_id, &self.cfg.l1.bech32_prefix, gp);
        c.retry_for = std::time::Duration::from_secs(30);
        c.low_balance = 0;
        TxSubmitter::new(self.l1.clone(), sk, c).map_err(|e| e.to_string())
    }

    async fn l2_signer(&self, key: &str) -> Result<TxSubmitter, String> {
        let sk = load_signing_key(&self.home, key).map_err(|e| e.to_string())?;
        let chain_id = self.l2.chain_id().await.map_err(|e| format!("L2: {e}"))?;
        let mut c = SubmitterConfig::new(
            chain_id,
            home::home_bech32_prefix(&self.home),
            l2_gas_price(&self.home, &self.cfg)?,
        );
        c.retry_for = std::time::Duration::from_secs(30);
        c.low_balance = 0;
        TxSubmitter::new(self.l2.clone(), sk, c).map_err(|e| e.to_string())
    }

    /// `MsgInitiateTokenDeposit` of `amount` (an L1 coin, `1000uinit`) from key `key` to `to`
    /// (default: the same key's L2 address).
    pub async fn deposit(&self, key: &str, amount: &str, to: Option<&str>) -> Result<Sent, String> {
        let (n, denom) = amount_of(amount)?;
        let s = self.l1_signer(key).await?;
        let to = match to {
            Some(t) => t.to_string(),
            None => self.l2_signer(key).await?.address(),
        };
        let tx = s
            .submit(
                vec![any_msg(
                    l1p::MSG_INITIATE_DEPOSIT,
                    &l1p::MsgInitiateTokenDeposit {
                        sender: s.address(),
                        bridge_id: self.bridge_id(),
                        to: to.clone(),
                        amount: Some(PCoin {
                            denom: denom.clone(),
                            amount: n.to_string(),
                        }),
                        data: vec![],
                    },
                )],
                "",
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(Sent {
            tx_hash: tx.hash_hex(),
            height: tx.height,
            sequence: tx
                .attr("initiate_token_deposit", "l1_sequence")
                .and_then(|v| v.parse().ok()),
            amount: format!(
                "{n}{denom} (arrives as {n}{})",
                l2_denom(self.bridge_id(), &denom)
            ),
            from: s.address(),
            to,
        })
    }

    /// `MsgInitiateTokenWithdrawal` of `amount` from key `key` to the L1 address `to` (default:
    /// the same key's L1 address). `amount` is an L2 coin (`500l2/…`) or an L1 coin
    /// (`500uinit`), which is turned into its L2 denom.
    pub async fn withdraw(
        &self,
        key: &str,
        amount: &str,
        to: Option<&str>,
    ) -> Result<Sent, String> {
        let (n, denom) = amount_of(amount)?;
        let denom = if denom.starts_with(minitia_core::opinit::L2_DENOM_PREFIX) {
            denom
        } else {
            l2_denom(self.bridge_id(), &denom)
        };
        let s = self.l2_signer(key).await?;
        let to = match to {
            Some(t) => t.to_string(),
            None => self.l1_signer(key).await?.address(),
        };
        let tx = s
            .submit(
                vec![any_msg(
                    opchild::msg::INITIATE_WITHDRAWAL,
                    &p2::MsgInitiateTokenWithdrawal {
                        sender: s.address(),
                        to: to.clone(),
                        amount: Some(PCoin {
                            denom: denom.clone(),
                            amount: n.to_string(),
                        }),
                    },
                )],
                "",
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(Sent {
            tx_hash: tx.hash_hex(),
            height: tx.height,
            sequence: tx
                .attr("initiate_token_withdrawal", "l2_sequence")
                .and_then(|v| v.parse().ok()),
            amount: format!("{n}{denom}"),
            from: s.address(),
            to,
        })
    }

    /// The executor API URL (`api` or `[bridge] api_listen`).
    pub fn api_url(&self, api: Option<&str>) -> String {
        match api {
            Some(a) => a.trim_end_matches('/').to_string(),
            None => {
                let mut a = self.cfg.bridge.api_listen;
                if a.ip().is_unspecified() {
                    a.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{a}")
            }
        }
    }

    /// The proof of withdrawal `sequence` from the executor API.
    pub async fn proof(&self, sequence: u64, api: Option<&str>) -> Result<WithdrawalProof, String> {
        fetch_proof(&self.api_url(api), sequence).await
    }

    /// `MsgFinalizeTokenWithdrawal` of withdrawal `sequence`, signed by `key` on the L1, with
    /// the proof from the executor API.
    pub async fn claim(&self, key: &str, sequence: u64, api: Option<&str>) -> Result<Sent, String> {
        let proof = self.proof(sequence, api).await?;
        let s = self.l1_signer(key).await?;
        let msg = proof.to_msg(&s.address())?;
        let tx = s
            .submit(vec![any_msg(l1p::MSG_FINALIZE_WITHDRAWAL, &msg)], "")
            .await
            .map_err(|e| e.to_string())?;
        Ok(Sent {
            tx_hash: tx.hash_hex(),
            height: tx.height,
            sequence: Some(sequence),
            amount: format!("{}{}", proof.amount.amount, proof.amount.denom),
            from: proof.from,
            to: proof.to,
        })
    }

    /// Both sides of the bridge: the L1 config and sequences, the L2's, the last outputs and
    /// the executor's status when its API answers.
    pub async fn status(&self, api: Option<&str>) -> Result<serde_json::Value, String> {
        let id = self.bridge_id();
        let bridge: l1p::QueryBridgeResponse = self
            .l1
            .query_proto(
                l1p::Q_BRIDGE,
                &l1p::QueryBridgeRequest { bridge_id: id },
                None,
            )
            .await
            .map_err(|e| format!("L1: {e}"))?;
        let l1_next: l1p::QueryNextL1SequenceResponse = self
            .l1
            .query_proto(
                l1p::Q_NEXT_L1_SEQUENCE,
                &l1p::QueryBridgeRequest { bridge_id: id },
                None,
            )
            .await
            .map_err(|e| format!("L1: {e}"))?;
        let outputs = l1p::all_output_proposals(&self.l1, id)
            .await
            .map_err(|e| format!("L1: {e}"))?;
        let last = outputs.last().map(|o| {
            let p = o.output_proposal.clone().unwrap_or_default();
            serde_json::json!({
                "output_index": o.output_index,
                "l2_block_number": p.l2_block_number,
                "l1_block_number": p.l1_block_number,
                "output_root": hex::encode(&p.output_root),
            })
        });
        let l2_next_l1 = next_l1_sequence(&self.l2)
            .await
            .map_err(|e| e.to_string())?;
        let l2_next_l2: p2::QueryNextL2SequenceResponse = self
            .l2
            .query_proto(opchild::query::NEXT_L2_SEQUENCE, &p2::EmptyRequest {}, None)
            .await
            .map_err(|e| format!("L2: {e}"))?;
        let api = self.api_url(api);
        let executor = match http_get(&api, "/status").await {
            Ok((200, body)) => serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
            Ok((code, _)) => serde_json::json!({"error": format!("{api}: HTTP {code}")}),
            Err(e) => serde_json::json!({"error": e}),
        };
        // What the bridge holds on the L1 against what circulates on the L2, per token: the
        // difference is withdrawals initiated and not yet claimed.
        use cosmrs::proto::cosmos::bank::v1beta1 as bank;
        let held: bank::QueryAllBalancesResponse = self
            .l1
            .query_proto(
                "/cosmos.bank.v1beta1.Query/AllBalances",
                &bank::QueryAllBalancesRequest {
                    address: bridge.bridge_addr.clone(),
                    ..Default::default()
                },
                None,
            )
            .await
            .map_err(|e| format!("L1: {e}"))?;
        let mut escrow = Vec::new();
        for coin in held.balances {
            let l2 = l2_denom(id, &coin.denom);
            let supply: bank::QuerySupplyOfResponse = self
                .l2
                .query_proto(
                    "/cosmos.bank.v1beta1.Query/SupplyOf",
                    &bank::QuerySupplyOfRequest { denom: l2.clone() },
                    None,
                )
                .await
                .map_err(|e| format!("L2: {e}"))?;
            escrow.push(serde_json::json!({
                "l1_denom": coin.denom,
                "l1_escrow": coin.amount,
                "l2_denom": l2,
                "l2_supply": supply.amount.map(|c| c.amount).unwrap_or_else(|| "0".into()),
            }));
        }
        let c = bridge.bridge_config.unwrap_or_default();
        Ok(serde_json::json!({
            "escrow": escrow,
            "bridge_id": id,
            "bridge_addr": bridge.bridge_addr,
            "proposer": c.proposer,
            "challenger": c.challenger,
            "submission_interval_secs": c.submission_interval.map(|d| d.seconds),
            "finalization_period_secs": c.finalization_period.map(|d| d.seconds),
            "l1_next_deposit_sequence": l1_next.next_l1_sequence,
            "l2_next_expected_deposit_sequence": l2_next_l1,
            "deposits_pending": l1_next.next_l1_sequence.saturating_sub(l2_next_l1),
            "l2_next_withdrawal_sequence": l2_next_l2.next_l2_sequence,
            "outputs_on_l1": outputs.len(),
            "last_output": last,
            "executor": executor,
        }))
    }
}
