//! [`CosmosApp`]: ante handler, message routing, queries and genesis over a module set.

use std::sync::Arc;

use base64::Engine as _;
use cosmrs::proto::cosmos::auth::v1beta1 as authpb;
use cosmrs::proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult, TxMsgData};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse, TxRaw};
use cosmrs::Any;
use minitia_core::{
    Address, BlockContext, BlockOutput, CheckedTx, EmptyState, EngineError, Event, ExecutionEngine,
    Overlay, StateView, TxError, TxResult, WriteSet,
};
use prost::{Message, Name};

use super::{
    auth, bank,
    coin::coins_to_string,
    config::AppConfig,
    ctx::Ctx,
    errors::{code, sdk, ExecError, ExecResult},
    gas::GasMeter,
    module::{decode_query, Module, QueryCtx, QueryError, QueryView},
    sigverify::VerifiedSigs,
    tx::{address_of_pubkey, verify_secp256k1, CosmosTx},
};

/// The fee collector module account name.
pub const FEE_COLLECTOR: &str = "fee_collector";
/// State prefix of past block hashes: `sys/block_hash/` + height (u64 BE) → 32-byte hash.
/// Written at the start of each block for the previous block, so every state root commits to
/// the chain's history (the fraud-proof anchor, like EIP-2935).
pub const BLOCK_HASH_PREFIX: &[u8] = b"sys/block_hash/";

const Q_ACCOUNT: &str = "/cosmos.auth.v1beta1.Query/Account";
const Q_AUTH_PARAMS: &str = "/cosmos.auth.v1beta1.Query/Params";
const Q_BECH32_PREFIX: &str = "/cosmos.auth.v1beta1.Query/Bech32Prefix";
const Q_SIMULATE: &str = "/cosmos.tx.v1beta1.Service/Simulate";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Mempool admission: future sequences allowed.
    Check,
    /// Block execution: exact sequences.
    Deliver,
    /// Gas estimation: signatures not checked (clients simulate with empty signatures).
    Simulate,
}

/// The Cosmos module set as an execution engine.
#[derive(Clone)]
pub struct CosmosApp {
    config: Arc<AppConfig>,
    modules: Vec<Arc<dyn Module>>,
    /// The node's clock, for the block time `Simulate` runs at (as CheckTx does); without
    /// one, simulation runs at time 0 and time-dependent messages (claims after a
    /// finalization period) fail their estimate.
    clock: Option<Arc<dyn crate::clock::Clock>>,
    /// Threads a block's signatures are verified on ahead of execution ([`VerifiedSigs`]).
    verify_threads: usize,
}

impl std::fmt::Debug for CosmosApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosmosApp")
            .field("chain_id", &self.config.chain_id)
            .field(
                "modules",
                &self.modules.iter().map(|m| m.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl CosmosApp {
    /// An app with bank plus `extra` modules.
    pub fn new(config: AppConfig, extra: Vec<Arc<dyn Module>>) -> Self {
        let mut modules: Vec<Arc<dyn Module>> = vec![Arc::new(bank::BankModule)];
        modules.extend(extra);
        Self {
            config: Arc::new(config),
            modules,
            clock: None,
            verify_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    /// Verifies a block's signatures on `n` threads ahead of execution (default: the
    /// machine's parallelism; 1 verifies each in the ante handler only). Results do not
    /// depend on it.
    pub fn with_verify_threads(mut self, n: usize) -> Self {
        self.verify_threads = n.max(1);
        self
    }

    /// Simulates txs at `clock`'s time (the node's clock, so a dev clock moved forward is
    /// seen by gas estimates too).
    pub fn with_clock(mut self, clock: Arc<dyn crate::clock::Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// App parameters.
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    fn module_for_msg(&self, type_url: &str) -> Result<&dyn Module, TxError> {
        self.modules
            .iter()
            .find(|m| m.msg_types().contains(&type_url))
            .map(|m| m.as_ref())
            .ok_or_else(|| {
                sdk(
                    code::UNKNOWN_REQUEST,
                    format!("unrecognized message type: {type_url}: unknown request"),
                )
            })
    }

    fn signers_of(&self, msg: &Any) -> Result<Vec<Address>, TxError> {
        self.module_for_msg(&msg.type_url)?
            .signers(msg, &self.config)
    }

    /// Applies the genesis `app_state`, returning the writes of height 0.
    pub fn init_genesis(
        &self,
        app_state: &serde_json::Value,
        ctx: &BlockContext,
    ) -> Result<WriteSet, TxError> {
        let base = EmptyState;
        let mut c = Ctx::new(&base, ctx, &self.config, GasMeter::new(u64::MAX));
        let run = |c: &mut Ctx<'_>| -> ExecResult<()> {
            for m in &self.modules {
                m.init_genesis(
                    c,
                    app_state.get(m.name()).unwrap_or(&serde_json::Value::Null),
                )?;
            }
            // After the modules, so genesis accounts get the first account numbers.
            auth::ensure_account(c, &auth::module_address(FEE_COLLECTOR))?;
            Ok(())
        };
        match run(&mut c) {
            Ok(()) => Ok(c.into_parts().0),
            Err(ExecError::Tx(e)) => Err(e),
            Err(ExecError::Fatal(e)) => Err(sdk(1, format!("genesis failed: {e}"))),
        }
    }

    /// Signature, sequence, fee: the SDK's ante chain.
    fn ante(
        &self,
        c: &mut Ctx<'_>,
        tx: &CosmosTx,
        mode: Mode,
        verified: &VerifiedSigs,
    ) -> ExecResult<()> {
        let cfg = &*self.config;
        c.gas
            .charge(cfg.gas.tx_size_per_byte * tx.raw.len() as u64, "txSize")?;
        if tx.body.timeout_height != 0 && c.block.height.0 > tx.body.timeout_height {
            return Err(sdk(
                code::TX_TIMEOUT_HEIGHT,
                format!(
                    "block height: {}, timeout height: {}: tx timeout height",
                    c.block.height, tx.body.timeout_height
                ),
            )
            .into());
        }
        if mode != Mode::Simulate {
            let required = cfg.required_fee(tx.gas_limit);
            let offered = tx
                .fee
                .iter()
                .find(|f| f.denom == cfg.fee_denom)
                .map_or(0, |f| f.amount);
            if offered < required {
                return Err(sdk(
                    code::INSUFFICIENT_FEE,
                    format!(
                        "insufficient fees; got: {} required: {required}{}: insufficient fee",
                        if tx.fee.is_empty() {
                            "0".to_string()
                        } else {
                            coins_to_string(&tx.fee)
                        },
                        cfg.fee_denom
                    ),
                )
                .into());
            }
        }
        let p = cfg.bech32_prefix.clone();
        for (i, signer) in tx.signers.iter().enumerate() {
            let Some(mut acc) = auth::get_account(c, signer)? else {
                return Err(sdk(
                    code::UNKNOWN_ADDRESS,
                    format!(
                        "account {} not found: unknown address",
                        signer.to_bech32(&p)
                    ),
                )
                .into());
            };
            let info = &tx.signer_infos[i];
            let Some(pk) = info.pub_key.or_else(|| auth::account_pubkey(&acc)) else {
                return Err(sdk(
                    code::INVALID_PUBKEY,
                    format!(
                        "pubkey on account {} is not set: invalid pubkey",
                        signer.to_bech32(&p)
                    ),
                )
                .into());
            };
            if address_of_pubkey(&pk) != Some(*signer) {
                return Err(sdk(
                    code::INVALID_PUBKEY,
                    format!("pubKey does not match signer address {} with signer index: {i}: invalid pubkey", signer.to_bech32(&p)),
                )
                .into());
            }
            let seq_ok = match mode {
                Mode::Check => info.sequence >= acc.sequence,
                Mode::Deliver | Mode::Simulate => info.sequence == acc.sequence,
            };
            if !seq_ok {
                return Err(sdk(
                    code::WRONG_SEQUENCE,
                    format!("account sequence mismatch, expected {}, got {}: incorrect account sequence", acc.sequence, info.sequence),
                )
                .into());
            }
            c.gas
                .charge(cfg.gas.sig_verify_secp256k1, "ante verify: secp256k1")?;
            if mode != Mode::Simulate {
                if !info.direct {
                    return Err(sdk(
                        code::INVALID_REQUEST,
                        format!("signer {i}: only SIGN_MODE_DIRECT single signatures are supported: invalid request"),
                    )
                    .into());
                }
                let msg = tx.sign_bytes(cfg.chain_id.as_str(), acc.account_number);
                let sig = &tx.signatures[i];
                if !verified.contains(&pk, &msg, sig) && !verify_secp256k1(&pk, &msg, sig) {
                    return Err(sdk(
                        code::UNAUTHORIZED,
                        format!(
                            "signature verification failed; please verify account number ({}), sequence ({}) and chain-id ({}): unauthorized",
                            acc.account_number, info.sequence, cfg.chain_id
                        ),
                    )
                    .into());
                }
            }
            if acc.pub_key.is_none() {
                acc.pub_key = Some(Any {
                    type_url: auth::SECP256K1_PUBKEY_URL.into(),
                    value: cosmrs::proto::cosmos::crypto::secp256k1::PubKey { key: pk.to_vec() }
                        .encode_to_vec(),
                });
            }
            c.emit(Event::new("tx").attr(
                "acc_seq",
                format!("{}/{}", signer.to_bech32(&p), info.sequence),
            ));
            c.emit(Event::new("tx").attr(
                "signature",
                base64::engine::general_purpose::STANDARD.encode(&tx.signatures[i]),
            ));
            if info.sequence == acc.sequence {
                acc.sequence += 1;
                auth::set_account(c, signer, &acc)?;
            }
        }
        if mode == Mode::Simulate && tx.fee.is_empty() {
            // Clients simulate without a fee, but the real tx will pay one: run a token fee
            // transfer (discarded with the simulation) so the estimate includes its gas.
            let payer = tx.payer();
            if bank::balance(c, &payer, &cfg.fee_denom)? > 0 {
                let unit = [super::coin::Coin::new(1, cfg.fee_denom.clone())];
                bank::send(c, &payer, &auth::module_address(FEE_COLLECTOR), &unit)?;
            }
        }
        if !tx.fee.is_empty() {
            let payer = tx.payer();
            // The fee transfer's own transfer events are noise to clients (the SDK's `tx` event
            // below reports it), so it moves the coins without them.
            bank::move_coins(c, &payer, &auth::module_address(FEE_COLLECTOR), &tx.fee).map_err(
                |e| match e {
                    ExecError::Tx(t) if t.code == code::INSUFFICIENT_FUNDS => ExecError::Tx(sdk(
                        code::INSUFFICIENT_FUNDS,
                        format!("insufficient funds to pay for fees; {}", t.message),
                    )),
                    other => other,
                },
            )?;
            c.emit(
                Event::new("tx")
                    .attr("fee", coins_to_string(&tx.fee))
                    .attr("fee_payer", payer.to_bech32(&p)),
            );
        }
        Ok(())
    }

    fn run_msgs(&self, c: &mut Ctx<'_>, tx: &CosmosTx) -> ExecResult<Vec<Any>> {
        let mut responses = Vec::with_capacity(tx.body.messages.len());
        for (i, msg) in tx.body.messages.iter().enumerate() {
            let module = self.module_for_msg(&msg.type_url)?;
            let signer = module.signers(msg, &self.config)?;
            c.emit(
                Event::new("message")
                    .attr("action", &msg.type_url)
                    .attr(
                        "sender",
                        signer
                            .first()
                            .map(|s| s.to_bech32(&self.config.bech32_prefix))
                            .unwrap_or_default(),
                    )
                    .attr("module", module.name())
                    .attr("msg_index", i.to_string()),
            );
            let resp = module.deliver(c, msg).map_err(|e| match e {
                ExecError::Tx(t) => ExecError::Tx(TxError {
                    message: format!(
                        "failed to execute message; message index: {i}: {}",
                        t.message
                    ),
                    ..t
                }),
                f => f,
            })?;
            responses.push(resp);
        }
        Ok(responses)
    }

    /// Runs one tx over `base`: ante, then messages in a nested overlay. Returns the result and
    /// the writes to keep (ante writes always when ante passed; message writes only on success).
    fn run_tx(
        &self,
        block: &BlockContext,
        base: &dyn StateView,
        tx: &CosmosTx,
        mode: Mode,
        verified: &VerifiedSigs,
    ) -> Result<(TxResult, Option<WriteSet>), EngineError> {
        let mut ante = Ctx::new(base, block, &self.config, GasMeter::new(tx.gas_limit));
        let mut result = TxResult {
            gas_wanted: tx.gas_limit,
            ..Default::default()
        };
        match self.ante(&mut ante, tx, mode, verified) {
            Ok(()) => {}
            Err(ExecError::Fatal(e)) => return Err(e),
            Err(ExecError::Tx(e)) => {
                result.gas_used = ante.gas.used().min(tx.gas_limit);
                set_error(&mut result, e);
                return Ok((result, None));
            }
        }
        let mut msgs = Ctx::new(ante.view(), block, &self.config, ante.gas);
        let outcome = self.run_msgs(&mut msgs, tx);
        let (w, events, gas) = msgs.into_parts();
        ante.gas = gas;
        match outcome {
            Ok(responses) => {
                ante.absorb(w, events);
                #[allow(deprecated)]
                let data = TxMsgData {
                    data: vec![],
                    msg_responses: responses,
                };
                result.data = data.encode_to_vec();
            }
            Err(ExecError::Fatal(e)) => return Err(e),
            Err(ExecError::Tx(e)) => set_error(&mut result, e),
        }
        let (writes, events, gas) = ante.into_parts();
        result.gas_used = gas.used().min(tx.gas_limit);
        result.events = events;
        Ok((result, Some(writes)))
    }

    /// Answers a gRPC-path query against `view` at `height`.
    pub fn query(
        &self,
        view: &dyn QueryView,
        height: u64,
        path: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, QueryError> {
        let q = QueryCtx {
            view,
            config: &self.config,
            height,
        };
        match path {
            Q_ACCOUNT => {
                let r: authpb::QueryAccountRequest = decode_query(data)?;
                let addr = Address::parse(&r.address, &self.config.bech32_prefix)
                    .map_err(|e| QueryError::invalid(e.to_string()))?;
                let b = view.get(&auth::account_key(&addr))?.ok_or_else(|| {
                    QueryError::not_found(format!("account {} not found: key not found", r.address))
                })?;
                let account = Any {
                    type_url: format!("/{}", authpb::BaseAccount::full_name()),
                    value: b,
                };
                Ok(authpb::QueryAccountResponse {
                    account: Some(account),
                }
                .encode_to_vec())
            }
            Q_AUTH_PARAMS => Ok(authpb::QueryParamsResponse {
                params: Some(authpb::Params {
                    max_memo_characters: self.config.max_memo_chars as u64,
                    tx_sig_limit: super::tx::MAX_SIGNATURES as u64,
                    tx_size_cost_per_byte: self.config.gas.tx_size_per_byte,
                    sig_verify_cost_ed25519: 590,
                    sig_verify_cost_secp256k1: self.config.gas.sig_verify_secp256k1,
                }),
            }
            .encode_to_vec()),
            Q_BECH32_PREFIX => Ok(authpb::Bech32PrefixResponse {
                bech32_prefix: self.config.bech32_prefix.clone(),
            }
            .encode_to_vec()),
            Q_SIMULATE => self.simulate(view, height, data),
            _ => match self
                .modules
                .iter()
                .find(|m| m.query_paths().contains(&path))
            {
                Some(m) => m.query(&q, path, data),
                None => Err(QueryError {
                    code: super::module::GrpcCode::Unimplemented,
                    message: format!("unknown query path {path}"),
                }),
            },
        }
    }

    fn simulate(
        &self,
        view: &dyn QueryView,
        height: u64,
        data: &[u8],
    ) -> Result<Vec<u8>, QueryError> {
        let r: SimulateRequest = decode_query(data)?;
        let bytes = if !r.tx_bytes.is_empty() {
            r.tx_bytes
        } else {
            #[allow(deprecated)]
            let tx = r.tx.ok_or_else(|| QueryError::invalid("empty tx"))?;
            TxRaw {
                body_bytes: tx.body.map(|b| b.encode_to_vec()).unwrap_or_default(),
                auth_info_bytes: tx.auth_info.map(|a| a.encode_to_vec()).unwrap_or_default(),
                signatures: tx.signatures,
            }
            .encode_to_vec()
        };
        // Not `decode_tx`: clients simulate with a zero gas limit to learn the gas.
        let mut tx = CosmosTx::decode(&bytes, &self.config, |m| self.signers_of(m))
            .map_err(|e| QueryError::invalid(e.message))?;
        tx.gas_limit = self.config.max_tx_gas;
        let block = self.next_block_ctx(height);
        let (res, _) = self
            .run_tx(&block, view, &tx, Mode::Simulate, &VerifiedSigs::default())
            .map_err(|e| QueryError::internal(e.to_string()))?;
        if res.code != 0 {
            return Err(QueryError::invalid(res.log));
        }
        #[allow(deprecated)]
        let resp = SimulateResponse {
            gas_info: Some(GasInfo {
                gas_wanted: res.gas_wanted,
                gas_used: res.gas_used,
            }),
            result: Some(AbciResult {
                data: vec![],
                log: String::new(),
                events: vec![],
                msg_responses: vec![],
            }),
        };
        Ok(resp.encode_to_vec())
    }

    fn next_block_ctx(&self, height: u64) -> BlockContext {
        BlockContext {
            chain_id: self.config.chain_id.clone(),
            height: minitia_core::Height(height + 1),
            time_unix_nanos: self
                .clock
                .as_ref()
                .map_or(0, |c| c.now().unix_timestamp_nanos()),
            proposer: Address::default(),
            max_gas: 0,
            last_block_hash: minitia_core::Hash32::ZERO,
        }
    }
}

fn set_error(result: &mut TxResult, e: TxError) {
    result.code = e.code;
    result.codespace = e.codespace;
    result.log = e.message;
}

impl ExecutionEngine for CosmosApp {
    type Tx = CosmosTx;

    fn decode_tx(&self, bytes: &[u8]) -> Result<CosmosTx, TxError> {
        let tx = CosmosTx::decode(bytes, &self.config, |m| self.signers_of(m))?;
        tx.check_gas_limit(&self.config)?;
        Ok(tx)
    }

    fn check_tx(
        &self,
        ctx: &BlockContext,
        state: &dyn StateView,
        tx: &CosmosTx,
    ) -> Result<CheckedTx, TxError> {
        let mut ante = Ctx::new(state, ctx, &self.config, GasMeter::new(tx.gas_limit));
        let fatal = |e: EngineError| sdk(1, format!("node failed to check the tx: {e}"));
        match self.ante(&mut ante, tx, Mode::Check, &VerifiedSigs::default()) {
            Ok(()) => {}
            Err(ExecError::Tx(e)) => return Err(e),
            Err(ExecError::Fatal(e)) => return Err(fatal(e)),
        }
        // Read on-chain sequences (unmetered view of the pre-ante state).
        let first = tx.signers[0];
        let state_nonce = auth::stored_sequence(state, &first)
            .map_err(|e| fatal(e.into()))?
            .unwrap_or(0);
        let mut executable_now = true;
        for (i, s) in tx.signers.iter().enumerate() {
            let seq = auth::stored_sequence(state, s).map_err(|e| fatal(e.into()))?;
            executable_now &= seq == Some(tx.signer_infos[i].sequence);
        }
        if executable_now {
            // Run the messages too, so a tx that would fail (e.g. insufficient funds for the
            // amount) is rejected here and costs the sender nothing.
            let mut msgs = Ctx::new(ante.view(), ctx, &self.config, ante.gas);
            match self.run_msgs(&mut msgs, tx) {
                Ok(_) => {}
                Err(ExecError::Tx(e)) => return Err(e),
                Err(ExecError::Fatal(e)) => return Err(fatal(e)),
            }
        }
        let offered = tx
            .fee
            .iter()
            .find(|f| f.denom == self.config.fee_denom)
            .map_or(0, |f| f.amount);
        Ok(CheckedTx {
            hash: tx.hash,
            sender: first,
            nonce: tx.signer_infos[0].sequence,
            state_nonce,
            gas_wanted: tx.gas_limit,
            gas_price: offered / tx.gas_limit.max(1) as u128,
        })
    }

    fn execute_block(
        &self,
        ctx: &BlockContext,
        state: &dyn StateView,
        txs: &[CosmosTx],
    ) -> Result<BlockOutput, EngineError> {
        let mut block = Overlay::new(state);
        if ctx.height.0 > 1 {
            let key = [BLOCK_HASH_PREFIX, &(ctx.height.0 - 1).to_be_bytes()].concat();
            block.set(key, ctx.last_block_hash.0.to_vec());
        }
        let verified = VerifiedSigs::ahead_of(
            state,
            self.config.chain_id.as_str(),
            txs,
            self.verify_threads,
        );
        let mut tx_results = Vec::with_capacity(txs.len());
        for tx in txs {
            let (result, writes) = self.run_tx(ctx, &block, tx, Mode::Deliver, &verified)?;
            if let Some(w) = writes {
                block.apply(w);
            }
            tx_results.push(result);
        }
        Ok(BlockOutput {
            writes: block.into_writes(),
            tx_results,
            block_events: Vec::new(),
        })
    }
}
