//! Shared by the engine tests: a node of one engine, txs signed for it, and a challenger's
//! replay of its blocks into its own store.

use std::sync::Arc;

use cosmrs::{
    crypto::secp256k1::SigningKey,
    tx::{self, Fee, SignDoc, SignerInfo},
    AccountId, Any,
};
use minitia_chain::{
    app::{auth, AppConfig},
    node::{
        clock::SystemClock, genesis::GenesisDoc, keys::ValidatorKey, mempool::MempoolLimits,
        ChainApp, Node, NodeOptions,
    },
};
use minitia_core::{opinit::output_root, Address, BlockContext, ChainId, Hash32, Height};
use minitia_fraud_proofs::{block_context, build_proof, Anchor, BuiltProof};
use minitia_store::{Store, StoreConfig};
use prost::Message;
use tendermint::block::Header;

pub fn account_id(k: &SigningKey) -> AccountId {
    k.public_key().account_id("init").unwrap()
}

/// A producing node of `make`'s engine over `json`'s genesis, with its data in `dir`.
pub fn open_node<E: ChainApp + Send + Sync + 'static>(
    make: fn(AppConfig) -> E,
    json: serde_json::Value,
    dir: &std::path::Path,
    moniker: &str,
) -> (GenesisDoc, Arc<Node<E>>) {
    let doc: GenesisDoc = serde_json::from_value(json.clone()).unwrap();
    let node = Node::open(
        make(doc.app_config().unwrap()),
        NodeOptions {
            data_dir: dir.join("data"),
            genesis: doc.clone(),
            genesis_json: json,
            validator: ValidatorKey::from_seed([5; 32]),
            mempool: MempoolLimits::default(),
            max_block_txs: 100,
            max_block_bytes: 1 << 20,
            create_empty_blocks: true,
            moniker: moniker.into(),
            rpc_address: String::new(),
            retained_versions: 100,
            event_index: true,
            clock: Arc::new(SystemClock::new()),
        },
    )
    .unwrap();
    (doc, node)
}

/// `msgs` signed by `k` (fee-less, 1M gas) with its account number and sequence in `view`.
pub fn signed_tx(
    doc: &GenesisDoc,
    view: &dyn minitia_core::StateView,
    k: &SigningKey,
    msgs: Vec<Any>,
) -> Vec<u8> {
    let me = Address::from_slice(account_id(k).to_bytes().as_slice()).unwrap();
    let account = cosmrs::proto::cosmos::auth::v1beta1::BaseAccount::decode(
        view.get(&auth::account_key(&me))
            .unwrap()
            .expect("signer account")
            .as_slice(),
    )
    .unwrap();
    let body = tx::Body::new(msgs, "", 0u32);
    let fee = Fee {
        amount: vec![],
        gas_limit: 1_000_000,
        payer: None,
        granter: None,
    };
    let auth_info =
        SignerInfo::single_direct(Some(k.public_key()), account.sequence).auth_info(fee);
    SignDoc::new(
        &body,
        &auth_info,
        &doc.chain_id.parse().unwrap(),
        account.account_number,
    )
    .unwrap()
    .sign(k)
    .unwrap()
    .to_bytes()
    .unwrap()
}

pub fn hash(h: &Header) -> Hash32 {
    Hash32::from_slice(h.hash().as_bytes()).unwrap()
}

/// A challenger's replay of blocks `1..=tip` of `node` with its own copy `engine` of the
/// engine, into a fresh store in `dir`; each replayed root must be the next header's app hash.
pub fn replay<E: ChainApp + Send + Sync + 'static>(
    engine: &E,
    doc: &GenesisDoc,
    node: &Node<E>,
    tip: u64,
    dir: &std::path::Path,
) -> Store {
    let header = |h: u64| node.blocks().block(h).unwrap().unwrap().header;
    let mut store = Store::open(dir.join("c.redb"), StoreConfig::default()).unwrap();
    let g = engine
        .init_genesis(
            &doc.app_state,
            &BlockContext {
                chain_id: ChainId::new(doc.chain_id.as_str()).unwrap(),
                height: Height(0),
                time_unix_nanos: doc.genesis_time.unix_timestamp_nanos(),
                proposer: Address::default(),
                max_gas: 0,
                last_block_hash: Hash32::ZERO,
            },
        )
        .unwrap();
    store.commit_writes(1, &g).unwrap();
    for h in 1..=tip {
        let txs: Vec<_> = node
            .blocks()
            .block(h)
            .unwrap()
            .unwrap()
            .data
            .iter()
            .map(|r| engine.decode_tx(r).unwrap())
            .collect();
        let view = store.view(h).unwrap();
        let out = engine
            .execute_block(&block_context(&header(h)).unwrap(), &view, &txs)
            .unwrap();
        drop(view);
        let root = store.commit_writes(h + 1, &out.writes).unwrap();
        if h < tip {
            assert_eq!(root.0, header(h + 1).app_hash.as_bytes(), "replay of {h}");
        }
    }
    store
}

/// Fraud proofs of block 2 of `node` (anchored by an output over block 3) built from the
/// challenger's `store`: one for the block as it is, one claiming a tampered post-state root.
pub fn proofs_of_block_2<E: ChainApp + Send + Sync + 'static>(
    engine: &E,
    store: &Store,
    node: &Node<E>,
    chain_id: &str,
) -> [(BuiltProof, Anchor); 2] {
    let header = |h: u64| node.blocks().block(h).unwrap().unwrap().header;
    let txs = node.blocks().block(2).unwrap().unwrap().data;
    let storage_root = Hash32([1; 32]);
    let build = |tamper: bool| {
        let mut headers: Vec<Header> = (2..=3).map(header).collect();
        if tamper {
            let mut claimed = headers[1].app_hash.as_bytes().to_vec();
            claimed[0] ^= 0x80;
            headers[1].app_hash = claimed.try_into().unwrap();
        }
        let anchor = Anchor {
            chain_id: chain_id.into(),
            output_root: output_root(1, &storage_root, &hash(&headers[1])),
            l2_block_number: 3,
            first_block: 1,
        };
        let built = build_proof(engine, store, headers, txs.clone(), storage_root).unwrap();
        (built, anchor)
    };
    [build(false), build(true)]
}
