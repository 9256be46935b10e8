//! A bank-only node for tests that drive `Node` directly: deterministic keys, genesis with
//! one funded account, and cosmrs-signed `MsgSend` txs.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::sync::Arc;

use cosmrs::{
    bank::MsgSend,
    crypto::secp256k1::SigningKey,
    tx::{self, Fee, Msg, SignDoc, SignerInfo},
    AccountId, Coin,
};
use minitia_chain::{
    app::CosmosApp,
    node::{genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits, NodeOptions},
};

pub const DENOM: &str = "umin";

pub fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

pub fn account(k: &SigningKey) -> AccountId {
    k.public_key().account_id("init").unwrap()
}

/// Options of a node of `chain_id` in `dir`, producing with `validator`, with `funded`
/// holding 1,000,000,000 umin at genesis.
pub fn options(
    chain_id: &str,
    dir: &Path,
    validator: ValidatorKey,
    funded: &AccountId,
) -> NodeOptions {
    let json = serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z",
        "chain_id": chain_id,
        "initial_height": "1",
        "consensus_params": GenesisDoc::default_consensus_params(1 << 20),
        "validators": [],
        "app_hash": "",
        "app_state": {
            "chain": {"bech32_prefix": "init", "fee_denom": DENOM, "min_gas_price": "0.01", "max_tx_bytes": 65536, "max_tx_gas": 10000000},
            "bank": {"balances": [{"address": funded.to_string(), "coins": [{"denom": DENOM, "amount": "1000000000"}]}]}
        }
    });
    NodeOptions {
        data_dir: dir.to_path_buf(),
        genesis: serde_json::from_value(json.clone()).unwrap(),
        genesis_json: json,
        validator,
        mempool: MempoolLimits::default(),
        max_block_txs: 100,
        max_block_bytes: 1 << 20,
        create_empty_blocks: false,
        moniker: "test".into(),
        rpc_address: "tcp://127.0.0.1:0".into(),
        retained_versions: 10,
        event_index: true,
        clock: Arc::new(minitia_chain::node::clock::SystemClock::new()),
    }
}

pub fn app(opts: &NodeOptions) -> CosmosApp {
    CosmosApp::new(opts.genesis.app_config().unwrap(), vec![])
}

/// A signed `MsgSend` of `amount` umin from `from` (account sequence `seq`) to `to`, with
/// fee 2000 umin, gas 200,000 and account number 0.
pub fn send_tx(
    chain_id: &str,
    from: &SigningKey,
    to: &AccountId,
    amount: u128,
    seq: u64,
) -> Vec<u8> {
    signed_send(from, to, amount, 2000, 200_000, seq, 0, chain_id)
}

/// A signed `MsgSend` with every field chosen.
#[allow(clippy::too_many_arguments)]
pub fn signed_send(
    from: &SigningKey,
    to: &AccountId,
    amount: u128,
    fee: u128,
    gas: u64,
    seq: u64,
    acc_num: u64,
    chain_id: &str,
) -> Vec<u8> {
    let msg = MsgSend {
        from_address: account(from),
        to_address: to.clone(),
        amount: vec![Coin {
            denom: DENOM.parse().unwrap(),
            amount,
        }],
    }
    .to_any()
    .unwrap();
    let body = tx::Body::new(vec![msg], "", 0u32);
    let auth = SignerInfo::single_direct(Some(from.public_key()), seq).auth_info(
        Fee::from_amount_and_gas(
            Coin {
                denom: DENOM.parse().unwrap(),
                amount: fee,
            },
            gas,
        ),
    );
    let doc = SignDoc::new(&body, &auth, &chain_id.parse().unwrap(), acc_num).unwrap();
    doc.sign(from).unwrap().to_bytes().unwrap()
}
