//! [`EvmApp`]: the EVM minitia's app: the Cosmos module set plus the EVM, one tx stream.
//!
//! A block carries both kinds of txs. They are told apart by their first byte: an Ethereum
//! tx is an RLP list (`0xc0..=0xff`, legacy) or an EIP-2718 type byte (`0x01`, `0x02`); a
//! Cosmos `TxRaw` starts with protobuf field 1 (`0x0a`).
//!
//! **One nonce.** An account's EVM nonce *is* its Cosmos auth sequence: an Ethereum tx and a
//! Cosmos tx from the same address consume the same counter, so each is replay-protected
//! against the other and the mempool orders both by (sender, nonce).
//!
//! **One balance.** The EVM native balance is the bank balance of the fee denom, 1 wei = 1
//! base unit (no decimal scaling: amounts are exact both ways and no dust can appear). A
//! chain whose clients should see "1 token" as 1e18 wei uses an 18-decimal fee denom.

use minitia_app::{ChainApp, CosmosApp, CosmosTx, QueryError, QueryView, BLOCK_HASH_PREFIX};
use minitia_core::{
    Address, BlockContext, BlockOutput, CheckedTx, EmptyState, EngineError, ExecutionEngine,
    Overlay, StateError, StateView, TxError, WriteSet,
};
use revm::{
    bytecode::Bytecode,
    primitives::{keccak256, U256},
};
use serde::Deserialize;

use crate::{
    db::read_account,
    engine::{EvmEngine, EvmParams},
    errors::{code, err},
    keys,
    tx::EthTx,
};

/// The app every node of an EVM minitia runs, sequencer, follower and fraud-proof judge
/// alike: the EVM over the Cosmos modules of [`minitia_app::minitia_cosmos_app`].
pub fn minitia_evm_app(config: minitia_app::AppConfig) -> EvmApp {
    build(config, vec![])
}

fn build(
    config: minitia_app::AppConfig,
    extra_modules: Vec<std::sync::Arc<dyn minitia_app::Module>>,
) -> EvmApp {
    EvmApp::new(minitia_app::minitia_cosmos_app(config, extra_modules))
}

/// The EVM engine: revm over the Cosmos modules, one balance and one nonce for both; its
/// native token is the L1 fee token bridged in.
pub const ENGINE: minitia_app::EngineDef<EvmApp> = minitia_app::EngineDef {
    vm: "evm",
    kind: "minitia-evm",
    about: "EVM (revm) with an Ethereum JSON-RPC",
    native_token: minitia_app::NativeToken::BridgedL1FeeToken,
    build,
};

/// A tx of an EVM minitia.
#[derive(Debug, Clone)]
pub enum AppTx {
    /// A Cosmos SDK tx.
    Cosmos(CosmosTx),
    /// An Ethereum tx.
    Eth(Box<EthTx>),
}

/// True when `bytes` look like an Ethereum tx rather than a Cosmos `TxRaw`.
pub fn is_eth_tx(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(0x01..=0x04) | Some(0xc0..=0xff))
}

/// The EVM minitia app.
#[derive(Debug, Clone)]
pub struct EvmApp {
    cosmos: CosmosApp,
    evm: EvmEngine,
}

/// A genesis contract or account: `app_state.evm.accounts[]`.
#[derive(Debug, Deserialize)]
struct GenesisAccount {
    address: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    storage: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    nonce: u64,
}

#[derive(Debug, Default, Deserialize)]
struct EvmGenesis {
    #[serde(default)]
    accounts: Vec<GenesisAccount>,
}

fn hex_bytes(what: &str, s: &str) -> Result<Vec<u8>, TxError> {
    hex::decode(s.trim_start_matches("0x")).map_err(|e| {
        err(
            code::DECODE,
            format!("invalid evm genesis {what} {s:?}: {e}"),
        )
    })
}

fn hex_word(what: &str, s: &str) -> Result<U256, TxError> {
    let b = hex_bytes(what, s)?;
    if b.len() > 32 {
        return Err(err(
            code::DECODE,
            format!("evm genesis {what} {s:?} is longer than 32 bytes"),
        ));
    }
    Ok(U256::from_be_slice(&b))
}

impl EvmApp {
    /// The app for a chain with Cosmos config `cosmos` (its chain id, fee denom and minimum gas
    /// price also set the EVM's chain id, native token and base fee).
    pub fn new(cosmos: CosmosApp) -> Self {
        let evm = EvmEngine::new(EvmParams::from_app_config(cosmos.config()))
            .with_bridge(cosmos.config().clone());
        Self { cosmos, evm }
    }

    /// The EVM engine.
    pub fn evm(&self) -> &EvmEngine {
        &self.evm
    }

    /// The Cosmos app.
    pub fn cosmos(&self) -> &CosmosApp {
        &self.cosmos
    }

    fn evm_genesis(&self, block: &mut Overlay<'_>, g: &serde_json::Value) -> Result<(), TxError> {
        if g.is_null() {
            return Ok(());
        }
        let g: EvmGenesis = serde_json::from_value(g.clone())
            .map_err(|e| err(code::DECODE, format!("invalid evm genesis: {e}")))?;
        let fatal = |e: EngineError| err(code::DECODE, format!("evm genesis: {e}"));
        for a in g.accounts {
            let addr = Address::parse(&a.address, &self.evm.params().bech32_prefix)
                .map_err(|e| err(code::DECODE, format!("evm genesis: {e}")))?;
            let addr = keys::to_evm(&addr);
            if let Some(code_hex) = &a.code {
                let code = hex_bytes("code", code_hex)?;
                let code_hash = Bytecode::new_raw(code.clone().into()).hash_slow();
                debug_assert_eq!(code_hash, keccak256(&code));
                block.set(keys::code_key(&code_hash), code);
                block.set(keys::code_hash_key(&addr), code_hash.to_vec());
            }
            for (k, v) in &a.storage {
                let (k, v) = (hex_word("storage key", k)?, hex_word("storage value", v)?);
                if !v.is_zero() {
                    block.set(keys::storage_key(&addr, &k), v.to_be_bytes::<32>().to_vec());
                }
            }
            match read_account(&*block, &addr)
                .map_err(|e| fatal(EngineError::Invariant(e.to_string())))?
            {
                Some(mut acc) => {
                    acc.sequence = a.nonce;
                    block.set(
                        keys::account_key(&addr),
                        prost::Message::encode_to_vec(&acc),
                    );
                }
                None => self
                    .evm
                    .create_account(block, &addr, a.nonce)
                    .map_err(fatal)?,
            }
        }
        Ok(())
    }
}

impl ExecutionEngine for EvmApp {
    type Tx = AppTx;

    fn decode_tx(&self, bytes: &[u8]) -> Result<AppTx, TxError> {
        if is_eth_tx(bytes) {
            let max = self.evm.params().max_tx_bytes;
            if bytes.len() > max {
                return Err(err(
                    code::OVERSIZED,
                    format!(
                        "oversized data: transaction size {}, limit {max}",
                        bytes.len()
                    ),
                ));
            }
            EthTx::decode(bytes).map(|t| AppTx::Eth(Box::new(t)))
        } else {
            self.cosmos.decode_tx(bytes).map(AppTx::Cosmos)
        }
    }

    fn check_tx(
        &self,
        ctx: &BlockContext,
        state: &dyn StateView,
        tx: &AppTx,
    ) -> Result<CheckedTx, TxError> {
        match tx {
            AppTx::Cosmos(t) => self.cosmos.check_tx(ctx, state, t),
            AppTx::Eth(t) => self.evm.check_tx(ctx, state, t),
        }
    }

    fn execute_block(
        &self,
        ctx: &BlockContext,
        state: &dyn StateView,
        txs: &[AppTx],
    ) -> Result<BlockOutput, EngineError> {
        // Reads repeated across the block's txs (fee collector, hot contracts) hit memory.
        let cache = minitia_core::ReadCache::new(state);
        let mut block = Overlay::new(&cache);
        if ctx.height.0 > 1 {
            let key = [BLOCK_HASH_PREFIX, &(ctx.height.0 - 1).to_be_bytes()].concat();
            block.set(key, ctx.last_block_hash.0.to_vec());
        }
        let mut tx_results = Vec::with_capacity(txs.len());
        for tx in txs {
            match tx {
                AppTx::Cosmos(t) => {
                    let out = self
                        .cosmos
                        .execute_block(ctx, &block, std::slice::from_ref(t))?;
                    block.apply(out.writes);
                    // A bridged denom gets its ERC-20 view with its first finalized deposit.
                    for ev in out.tx_results.iter().flat_map(|r| &r.events) {
                        if ev.kind == "finalize_token_deposit" {
                            if let Some(denom) = ev.get("denom") {
                                self.evm.register_token(&mut block, denom)?;
                            }
                        }
                    }
                    tx_results.extend(out.tx_results);
                }
                AppTx::Eth(t) => tx_results.push(self.evm.execute_tx(ctx, &mut block, t)?),
            }
        }
        Ok(BlockOutput {
            writes: block.into_writes(),
            tx_results,
            block_events: Vec::new(),
        })
    }
}

impl ChainApp for EvmApp {
    fn query(
        &self,
        view: &dyn QueryView,
        height: u64,
        path: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, QueryError> {
        self.cosmos.query(view, height, path, data)
    }

    fn init_genesis(
        &self,
        app_state: &serde_json::Value,
        ctx: &BlockContext,
    ) -> Result<WriteSet, TxError> {
        let cosmos = self.cosmos.init_genesis(app_state, ctx)?;
        let base = EmptyState;
        let mut block = Overlay::new(&base);
        block.apply(cosmos);
        self.evm_genesis(
            &mut block,
            app_state.get("evm").unwrap_or(&serde_json::Value::Null),
        )?;
        Ok(block.into_writes())
    }

    fn account_nonce(&self, state: &dyn StateView, addr: &Address) -> Result<u64, StateError> {
        Ok(read_account(state, &keys::to_evm(addr))?.map_or(0, |a| a.sequence))
    }

    fn tx_bytes(tx: &AppTx) -> &[u8] {
        match tx {
            AppTx::Cosmos(t) => &t.raw,
            AppTx::Eth(t) => &t.raw,
        }
    }
}
