//! Talking to the L1 over its CometBFT RPC with real clients: cosmrs signs, tendermint-rpc
//! broadcasts and queries. Used to bond the operators and create each minitia's bridge.
//!
//! These txs go out directly rather than through the shared bot submitter
//! (`minitia_chain::client`), which had not landed when this was written: localnet sends a
//! handful of txs once, from accounts nobody else uses at that moment, and waits for each to
//! commit, so sequence races and fee bumps do not arise.

use std::time::Duration;

use cosmrs::{
    bip32,
    crypto::secp256k1::SigningKey,
    proto::cosmos::auth::v1beta1::{BaseAccount, QueryAccountRequest, QueryAccountResponse},
    proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse},
    proto::cosmos::base::v1beta1::Coin as ProtoCoin,
    tx::{self, Fee, SignDoc, SignerInfo},
    Any,
};
use eyre::{eyre, WrapErr};
use l1_orchestrator::{bond, ophost, proto};
use prost::Message;
use tendermint_rpc::{client::CompatMode, Client, HttpClient};

/// The secp256k1 key of a BIP39 mnemonic at `m/44'/118'/0'/0/0`, as 32 bytes.
pub fn private_key_bytes(mnemonic: &str) -> eyre::Result<[u8; 32]> {
    let phrase = bip32::Mnemonic::new(mnemonic.trim(), bip32::Language::English)
        .map_err(|e| eyre!("invalid mnemonic: {e}"))?;
    let seed = phrase.to_seed("");
    let path: bip32::DerivationPath = minitia_template::home::COSMOS_HD_PATH
        .parse()
        .map_err(|e| eyre!("hd path: {e}"))?;
    let xprv = bip32::XPrv::derive_from_path(seed.as_bytes(), &path)
        .map_err(|e| eyre!("key derivation failed: {e}"))?;
    Ok(xprv.private_key().to_bytes().into())
}

/// The signing key of a mnemonic.
pub fn signing_key(mnemonic: &str) -> eyre::Result<SigningKey> {
    SigningKey::from_slice(&private_key_bytes(mnemonic)?).map_err(|e| eyre!("bad key: {e}"))
}

/// A CometBFT RPC client (the L1 and minitias speak CometBFT 0.38's RPC).
pub fn rpc_client(url: &str) -> eyre::Result<HttpClient> {
    HttpClient::builder(
        url.parse()
            .map_err(|e| eyre!("invalid RPC URL {url:?}: {e}"))?,
    )
    .compat_mode(CompatMode::V0_38)
    .timeout(Duration::from_secs(10))
    .build()
    .map_err(|e| eyre!("cannot build an RPC client for {url}: {e}"))
}

/// The L1 as localnet uses it.
pub struct L1 {
    /// RPC client.
    pub client: HttpClient,
    /// Chain id.
    pub chain_id: String,
    /// Account prefix.
    pub prefix: String,
}

impl L1 {
    /// A client for the L1 at `url`.
    pub fn new(url: &str, chain_id: &str, prefix: &str) -> eyre::Result<Self> {
        Ok(Self {
            client: rpc_client(url)?,
            chain_id: chain_id.into(),
            prefix: prefix.into(),
        })
    }

    /// ABCI query decoding `R`; `Err` carries the node's log on a non-zero code.
    pub async fn query<R: Message + Default>(
        &self,
        path: &str,
        req: impl Message,
    ) -> eyre::Result<R> {
        let r = self
            .client
            .abci_query(Some(path.into()), req.encode_to_vec(), None, false)
            .await
            .wrap_err_with(|| format!("query {path}"))?;
        if r.code.is_err() {
            return Err(eyre!("query {path}: code {}: {}", r.code.value(), r.log));
        }
        R::decode(r.value.as_slice()).wrap_err_with(|| format!("query {path}: bad response"))
    }

    /// `(account_number, sequence)`.
    pub async fn account(&self, address: &str) -> eyre::Result<(u64, u64)> {
        let r: QueryAccountResponse = self
            .query(
                "/cosmos.auth.v1beta1.Query/Account",
                QueryAccountRequest {
                    address: address.into(),
                },
            )
            .await?;
        let acc = r
            .account
            .ok_or_else(|| eyre!("account {address} does not exist on the L1"))?;
        let acc = BaseAccount::decode(acc.value.as_slice())?;
        Ok((acc.account_number, acc.sequence))
    }

    /// Bank balance.
    pub async fn balance(&self, address: &str, denom: &str) -> eyre::Result<u128> {
        let r: QueryBalanceResponse = self
            .query(
                "/cosmos.bank.v1beta1.Query/Balance",
                QueryBalanceRequest {
                    address: address.into(),
                    denom: denom.into(),
                },
            )
            .await?;
        Ok(r.balance
            .map(|c| c.amount.parse().unwrap_or(0))
            .unwrap_or(0))
    }

    /// Bonded amount.
    pub async fn bonded(&self, address: &str) -> eyre::Result<u128> {
        let r: bond::QueryBondResponse = self
            .query(
                bond::Q_BOND,
                bond::QueryBondRequest {
                    address: address.into(),
                },
            )
            .await?;
        Ok(r.bonded.map(|c| c.amount.parse().unwrap_or(0)).unwrap_or(0))
    }

    /// Signs `msgs` with `key`, broadcasts with `broadcast_tx_commit` and returns the
    /// `DeliverTx` events, or an error with the node's log.
    pub async fn send(
        &self,
        key: &SigningKey,
        msgs: Vec<Any>,
        what: &str,
    ) -> eyre::Result<Vec<tendermint::abci::Event>> {
        let address = key
            .public_key()
            .account_id(&self.prefix)
            .map_err(|e| eyre!("{e}"))?
            .to_string();
        let (num, seq) = self.account(&address).await?;
        let body = tx::Body::new(msgs, "minitia localnet", 0u32);
        let fee = Fee {
            amount: vec![],
            gas_limit: 2_000_000,
            payer: None,
            granter: None,
        };
        let auth = SignerInfo::single_direct(Some(key.public_key()), seq).auth_info(fee);
        let chain_id = self
            .chain_id
            .parse()
            .map_err(|e| eyre!("chain id {:?}: {e}", self.chain_id))?;
        let doc = SignDoc::new(&body, &auth, &chain_id, num).map_err(|e| eyre!("{e}"))?;
        let raw = doc
            .sign(key)
            .and_then(|t| t.to_bytes())
            .map_err(|e| eyre!("cannot sign {what}: {e}"))?;
        let r = self
            .client
            .broadcast_tx_commit(raw)
            .await
            .wrap_err_with(|| format!("cannot broadcast {what}"))?;
        if r.check_tx.code.is_err() {
            return Err(eyre!(
                "{what} refused by the L1 (CheckTx {} code {}): {}",
                r.check_tx.codespace,
                r.check_tx.code.value(),
                r.check_tx.log
            ));
        }
        if r.tx_result.code.is_err() {
            return Err(eyre!(
                "{what} failed on the L1 ({} code {}): {}",
                r.tx_result.codespace,
                r.tx_result.code.value(),
                r.tx_result.log
            ));
        }
        Ok(r.tx_result.events)
    }

    /// Bonds `amount` of `denom` from `key` unless it already has that much bonded.
    pub async fn ensure_bond(
        &self,
        key: &SigningKey,
        denom: &str,
        amount: u128,
    ) -> eyre::Result<()> {
        let address = key
            .public_key()
            .account_id(&self.prefix)
            .map_err(|e| eyre!("{e}"))?
            .to_string();
        let have = self.bonded(&address).await?;
        if have >= amount {
            return Ok(());
        }
        let msg = bond::MsgBond {
            bonder: address.clone(),
            amount: Some(ProtoCoin {
                denom: denom.into(),
                amount: (amount - have).to_string(),
            }),
        };
        self.send(
            key,
            vec![pack(bond::MSG_BOND, msg)],
            &format!("MsgBond from {address}"),
        )
        .await?;
        Ok(())
    }

    /// Creates a bridge signed by `creator` and returns its id.
    pub async fn create_bridge(
        &self,
        creator: &SigningKey,
        config: proto::BridgeConfig,
    ) -> eyre::Result<u64> {
        let address = creator
            .public_key()
            .account_id(&self.prefix)
            .map_err(|e| eyre!("{e}"))?
            .to_string();
        let msg = proto::MsgCreateBridge {
            creator: address,
            config: Some(config),
        };
        let events = self
            .send(
                creator,
                vec![pack(ophost::msg::CREATE_BRIDGE, msg)],
                "MsgCreateBridge",
            )
            .await?;
        events
            .iter()
            .filter(|e| e.kind == "create_bridge")
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key_bytes() == b"bridge_id")
            .and_then(|a| a.value_str().ok()?.parse().ok())
            .ok_or_else(|| eyre!("MsgCreateBridge succeeded but emitted no bridge_id"))
    }
}

/// Packs a message into an `Any`.
pub fn pack(type_url: &str, m: impl Message) -> Any {
    Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_key_matches_the_template_dev_account() {
        let dev = minitia_template::home::AccountKey::from_mnemonic(
            "dev",
            minitia_template::home::DEV_MNEMONIC,
            "init",
        )
        .unwrap();
        let k = signing_key(minitia_template::home::DEV_MNEMONIC).unwrap();
        assert_eq!(
            k.public_key().account_id("init").unwrap().to_string(),
            dev.address
        );
    }
}
