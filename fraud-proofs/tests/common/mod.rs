//! Test kit: a real minitia node (the chain crate's `Node` with the Cosmos module set) fed
//! real cosmrs-signed bank txs, optionally run by a sequencer that applies one wrong state
//! transition, and an honest challenger that replays the chain into its own store.
//! Shared by the fraud-proofs tests and the L1's fraud e2e test (included by path).

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cosmrs::{
    bank::MsgSend,
    crypto::secp256k1::SigningKey,
    tx::{self, Fee, Msg, SignDoc, SignerInfo},
    AccountId, Coin,
};
use minitia_chain::{
    app::{auth, CosmosApp, CosmosTx, QueryError, QueryView},
    node::{
        clock::SystemClock, genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits,
        ChainApp, Node, NodeOptions,
    },
};
use minitia_core::{
    Address, BlockContext, BlockOutput, CheckedTx, EngineError, ExecutionEngine, Hash32, Height,
    StateError, StateView, TxError, WriteSet,
};
use minitia_fraud_proofs::EngineSpec;
use minitia_store::{Store, StoreConfig};
use tendermint::block::Header;

pub const CHAIN_ID: &str = "minitia-fraud-1";
pub const DENOM: &str = "umin";
/// Accounts funded at genesis by [`Chain::new`].
pub const ACCOUNTS: u16 = 8;

pub fn key(n: u16) -> SigningKey {
    let mut seed = [7u8; 32];
    seed[..2].copy_from_slice(&n.to_be_bytes());
    SigningKey::from_slice(&seed).unwrap()
}

pub fn addr(n: u16) -> AccountId {
    key(n).public_key().account_id("init").unwrap()
}

pub fn genesis_json(accounts: u16) -> serde_json::Value {
    let balances: Vec<_> = (1..=accounts)
        .map(|i| serde_json::json!({"address": addr(i).to_string(), "coins": [{"denom": DENOM, "amount": "1000000000"}]}))
        .collect();
    serde_json::json!({
        "genesis_time": "2026-01-01T00:00:00Z",
        "chain_id": CHAIN_ID,
        "consensus_params": {},
        "validators": [],
        "app_state": {"chain": {"bech32_prefix": "init", "fee_denom": DENOM}, "bank": {"balances": balances}}
    })
}

pub fn genesis(accounts: u16) -> GenesisDoc {
    serde_json::from_value(genesis_json(accounts)).unwrap()
}

/// The engine spec the bridge registers for this minitia.
/// The L1's registry in these tests: the bank-only `cosmos` kind [`spec`] names (the test
/// chain's app, with no bridge module).
pub fn engines() -> minitia_fraud_proofs::EngineSet {
    minitia_fraud_proofs::EngineSet::new().with("cosmos", |s: &EngineSpec| {
        Ok(minitia_chain::app::CosmosApp::new(s.app_config()?, vec![]))
    })
}

pub fn spec() -> EngineSpec {
    let g = genesis(ACCOUNTS);
    EngineSpec {
        kind: "cosmos".into(),
        chain_id: g.chain_id.clone(),
        chain: g.params().unwrap(),
    }
}

pub fn honest_app() -> CosmosApp {
    CosmosApp::new(genesis(ACCOUNTS).app_config().unwrap(), vec![])
}

/// The Cosmos app, except that at block `evil_at` it also credits itself a balance out of
/// thin air: a wrong state transition, committed into the chain's headers like any other.
#[derive(Clone)]
pub struct Sequencer {
    app: CosmosApp,
    evil_at: Option<u64>,
}

impl ExecutionEngine for Sequencer {
    type Tx = CosmosTx;

    fn decode_tx(&self, bytes: &[u8]) -> Result<CosmosTx, TxError> {
        self.app.decode_tx(bytes)
    }

    fn check_tx(
        &self,
        ctx: &BlockContext,
        state: &dyn StateView,
        tx: &CosmosTx,
    ) -> Result<CheckedTx, TxError> {
        self.app.check_tx(ctx, state, tx)
    }

    fn execute_block(
        &self,
        ctx: &BlockContext,
        state: &dyn StateView,
        txs: &[CosmosTx],
    ) -> Result<BlockOutput, EngineError> {
        let mut out = self.app.execute_block(ctx, state, txs)?;
        if self.evil_at == Some(ctx.height.0) {
            let thief = Address::from_slice(addr(ACCOUNTS).to_bytes().as_slice()).unwrap();
            let k = minitia_chain::app::bank::balance_key(&thief, DENOM);
            out.writes
                .put(k, 999_999_999_999u128.to_be_bytes().to_vec());
        }
        Ok(out)
    }
}

impl ChainApp for Sequencer {
    fn query(
        &self,
        view: &dyn QueryView,
        height: u64,
        path: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, QueryError> {
        self.app.query(view, height, path, data)
    }

    fn init_genesis(
        &self,
        app_state: &serde_json::Value,
        ctx: &BlockContext,
    ) -> Result<WriteSet, TxError> {
        self.app.init_genesis(app_state, ctx)
    }

    fn account_nonce(&self, state: &dyn StateView, addr: &Address) -> Result<u64, StateError> {
        ChainApp::account_nonce(&self.app, state, addr)
    }

    fn tx_bytes(tx: &CosmosTx) -> &[u8] {
        &tx.raw
    }
}

/// The sequencer's validator key seed.
const SEQUENCER_SEED: [u8; 32] = [5; 32];

/// Options of a node of a chain with `accounts` funded accounts in `dir`.
fn node_options(
    dir: &std::path::Path,
    accounts: u16,
    seed: [u8; 32],
    event_index: bool,
) -> NodeOptions {
    let json = genesis_json(accounts);
    NodeOptions {
        data_dir: dir.join("data"),
        genesis: serde_json::from_value(json.clone()).unwrap(),
        genesis_json: json,
        validator: ValidatorKey::from_seed(seed),
        mempool: MempoolLimits::default(),
        max_block_txs: 5000,
        max_block_bytes: 16 << 20,
        create_empty_blocks: true,
        moniker: "fraud".into(),
        rpc_address: String::new(),
        retained_versions: 100,
        event_index,
        clock: Arc::new(SystemClock::new()),
    }
}

/// A minitia node producing blocks on demand.
pub struct Chain {
    pub node: Arc<Node<Sequencer>>,
    seqs: Mutex<HashMap<u16, u64>>,
    pub accounts: u16,
    _dir: tempfile::TempDir,
}

impl Chain {
    /// A new chain; `evil_at` makes block `evil_at` transition state wrongly.
    pub fn new(evil_at: Option<u64>) -> Self {
        Self::with_accounts(evil_at, ACCOUNTS)
    }

    /// [`Chain::new`] with `accounts` funded accounts.
    pub fn with_accounts(evil_at: Option<u64>, accounts: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let opts = node_options(dir.path(), accounts, SEQUENCER_SEED, true);
        let node = Node::open(
            Sequencer {
                app: honest_app(),
                evil_at,
            },
            opts,
        )
        .unwrap();
        Self {
            node,
            seqs: Mutex::new(HashMap::new()),
            accounts,
            _dir: dir,
        }
    }

    /// A follower node of this chain (own data dir, honest engine, the sequencer's key): what
    /// the shipped challenger (`minitia challenger`) derives the chain into, block by block,
    /// with [`Node::apply_block`].
    pub fn follower(&self) -> (Arc<Node<CosmosApp>>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        // As `minitia challenger` opens its node: no event index (it never searches it).
        let opts = node_options(dir.path(), self.accounts, [6; 32], false);
        let seq = ValidatorKey::from_seed(SEQUENCER_SEED).public_key();
        (Node::open_follower(honest_app(), opts, seq).unwrap(), dir)
    }

    /// Block `h` and the sequencer's commit on it, as a batch carries them.
    pub fn block_and_commit(&self, h: u64) -> (tendermint::Block, tendermint::block::Commit) {
        let b = self.node.blocks();
        (b.block(h).unwrap().unwrap(), b.commit(h).unwrap().unwrap())
    }

    fn account_number(&self, n: u16) -> u64 {
        let a = Address::from_slice(addr(n).to_bytes().as_slice()).unwrap();
        let view = self.node.latest_view().unwrap();
        auth::stored_account(&view, &a)
            .unwrap()
            .unwrap()
            .account_number
    }

    /// A signed `MsgSend` of `amount` from account `from` to `to` (next sequence).
    pub fn send_tx(&self, from: u16, to: u16, amount: u128) -> Vec<u8> {
        let k = key(from);
        let seq = {
            let mut s = self.seqs.lock().unwrap();
            let e = s.entry(from).or_insert(0);
            *e += 1;
            *e - 1
        };
        let msg = MsgSend {
            from_address: addr(from),
            to_address: addr(to),
            amount: vec![Coin {
                denom: DENOM.parse().unwrap(),
                amount,
            }],
        }
        .to_any()
        .unwrap();
        let body = tx::Body::new(vec![msg], "", 0u32);
        let fee = Fee::from_amount_and_gas(
            Coin {
                denom: DENOM.parse().unwrap(),
                amount: 10,
            },
            200_000u64,
        );
        let auth = SignerInfo::single_direct(Some(k.public_key()), seq).auth_info(fee);
        let doc = SignDoc::new(
            &body,
            &auth,
            &CHAIN_ID.parse().unwrap(),
            self.account_number(from),
        )
        .unwrap();
        doc.sign(&k).unwrap().to_bytes().unwrap()
    }

    /// Submits `raw` to the mempool; panics if refused.
    pub fn submit(&self, raw: Vec<u8>) {
        let out = self.node.submit_tx(raw).unwrap();
        assert_eq!(out.code, 0, "tx refused: {}", out.log);
    }

    /// Submits `n` transfers cycling over the accounts.
    pub fn transfers(&self, n: usize) {
        for raw in self.signed_transfers(n) {
            self.submit(raw);
        }
    }

    /// `n` signed transfers cycling over the accounts (next sequences), not submitted.
    pub fn signed_transfers(&self, n: usize) -> Vec<Vec<u8>> {
        let a = self.accounts as usize;
        (0..n)
            .map(|i| {
                let from = (i % (a - 1)) as u16 + 1;
                let to = ((i + 3) % a) as u16 + 1;
                self.send_tx(from, to, 1 + i as u128)
            })
            .collect()
    }

    /// Produces one block and returns its height.
    pub fn produce(&self) -> u64 {
        self.node.produce_block().unwrap().unwrap()
    }

    pub fn header(&self, h: u64) -> Header {
        self.node.blocks().block(h).unwrap().unwrap().header
    }

    pub fn headers(&self, from: u64, to: u64) -> Vec<Header> {
        (from..=to).map(|h| self.header(h)).collect()
    }

    pub fn txs(&self, h: u64) -> Vec<Vec<u8>> {
        self.node.blocks().block(h).unwrap().unwrap().data
    }
}

/// An honest challenger: replays the chain from genesis with the honest engine into its own
/// store (version `h + 1` = state after height `h`).
pub struct Challenger {
    pub store: Store,
    pub app: CosmosApp,
    _dir: tempfile::TempDir,
}

fn hash32(b: &[u8]) -> Hash32 {
    Hash32::from_slice(b).unwrap()
}

impl Challenger {
    /// Replays `chain` up to `to` and returns the challenger and the first block whose
    /// post-state root differs from the chain's claim (header `N+1`'s app hash), if any.
    pub fn replay(chain: &Chain, to: u64) -> (Self, Option<u64>) {
        let mut c = Self::at_genesis(chain);
        let bad = c.replay_blocks(chain, 1, to);
        (c, bad)
    }

    /// A challenger holding `chain`'s genesis state (version 1).
    pub fn at_genesis(chain: &Chain) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(
            dir.path().join("c.redb"),
            StoreConfig {
                retained_versions: 1000,
                ..StoreConfig::default()
            },
        )
        .unwrap();
        let app = honest_app();
        let g = genesis(chain.accounts);
        let ctx = BlockContext {
            chain_id: minitia_core::ChainId::new(g.chain_id.clone()).unwrap(),
            height: Height(0),
            time_unix_nanos: g.genesis_time.unix_timestamp_nanos(),
            proposer: Address::default(),
            max_gas: 0,
            last_block_hash: Hash32::ZERO,
        };
        let w = app.init_genesis(&g.app_state, &ctx).unwrap();
        store.commit_writes(1, &w).unwrap();
        Self {
            store,
            app,
            _dir: dir,
        }
    }

    /// Replays blocks `from..=to` (the state after `from - 1` must be in the store) and
    /// returns the first whose post-state root differs from the chain's claim, if any.
    pub fn replay_blocks(&mut self, chain: &Chain, from: u64, to: u64) -> Option<u64> {
        let app = &self.app;
        let mut first_bad = None;
        for h in from..=to {
            let header = chain.header(h);
            let ctx = minitia_fraud_proofs::block_context(&header).unwrap();
            let txs: Vec<CosmosTx> = chain
                .txs(h)
                .iter()
                .map(|t| app.decode_tx(t).unwrap())
                .collect();
            let view = self.store.view(h).unwrap();
            let out = app.execute_block(&ctx, &view, &txs).unwrap();
            drop(view);
            let root = self.store.commit_writes(h + 1, &out.writes).unwrap();
            if first_bad.is_none()
                && h < to
                && root != hash32(chain.header(h + 1).app_hash.as_bytes())
            {
                first_bad = Some(h);
            }
        }
        first_bad
    }
}
