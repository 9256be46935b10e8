//! [`EvmEngine`]: checks and executes Ethereum txs with revm over a [`StateView`], and writes
//! the resulting account, code and storage changes into the block's overlay.

use std::sync::Arc;

use cosmrs::proto::cosmos::auth::v1beta1::BaseAccount;
use minitia_app::{auth, AppConfig, FEE_COLLECTOR};
use minitia_core::{
    BlockContext, CheckedTx, EngineError, Event, Hash32, Overlay, StateError, StateView, TxError,
    TxResult,
};
use prost::Message;
use revm::{
    context::{
        result::{EVMError, ExecutionResult, InvalidTransaction, ResultAndState},
        BlockEnv, CfgEnv, Context, TxEnv,
    },
    context_interface::block::BlobExcessGasAndPrice,
    handler::EthPrecompiles,
    primitives::{hardfork::SpecId, Address, Bytes, KECCAK_EMPTY, U256},
    state::EvmState,
    ExecuteEvm, MainBuilder, MainContext,
};

use crate::{
    bridge::BridgePrecompiles,
    db::{read_account, read_balance, DbError, LoadedAccounts, StateDb},
    errors::{code, err},
    keys,
    receipt::{StoredLog, StoredReceipt},
    tx::EthTx,
};

/// EIP-3860 init code limit.
pub const MAX_INITCODE_SIZE: usize = 2 * 24576;

/// EVM parameters, fixed for a chain run (every node must agree on them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvmParams {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The bank denom that is the EVM native token (1 wei = 1 base unit, no scaling).
    pub denom: String,
    /// Constant base fee per gas in wei: the chain's minimum gas price, rounded up.
    pub base_fee: u64,
    /// Block gas limit; also the largest gas limit one tx may ask for.
    pub block_gas_limit: u64,
    /// Largest accepted tx in bytes.
    pub max_tx_bytes: usize,
    /// Bech32 prefix (for the auth accounts the EVM creates).
    pub bech32_prefix: String,
}

impl EvmParams {
    /// Parameters derived from the Cosmos app config of the same chain.
    pub fn from_app_config(cfg: &AppConfig) -> Self {
        Self {
            chain_id: cfg.chain_id.evm_chain_id(),
            denom: cfg.fee_denom.clone(),
            base_fee: u64::try_from(cfg.min_gas_price.mul_ceil(1)).unwrap_or(u64::MAX),
            block_gas_limit: cfg.max_tx_gas,
            max_tx_bytes: cfg.max_tx_bytes,
            bech32_prefix: cfg.bech32_prefix.clone(),
        }
    }
}

/// How a call outside a block (eth_call, eth_estimateGas) is run.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallOptions {
    /// Skip the nonce check (eth_call with no nonce).
    pub skip_nonce: bool,
    /// Skip the base-fee check (calls with gas price 0).
    pub skip_base_fee: bool,
}

/// A tx's result and state changes, with the accounts revm loaded for it.
pub type Transacted = (ResultAndState, LoadedAccounts);

/// The outcome of a call: revm's result, or why the tx is invalid.
pub type CallOutcome = Result<ExecutionResult, TxError>;

/// The EVM engine.
#[derive(Debug, Clone)]
pub struct EvmEngine {
    params: Arc<EvmParams>,
    fee_collector: Address,
    /// The chain's app config, for the withdrawal precompile's opchild path (see
    /// [`crate::bridge`]); `None` = withdrawals through the precompile are refused.
    bridge: Option<Arc<AppConfig>>,
}

fn fatal(e: DbError) -> EngineError {
    match e {
        DbError::State(s) => EngineError::State(s),
        DbError::Malformed(m) => EngineError::Invariant(m),
    }
}

/// Gas a tx pays before execution (EIP-2028 data, EIP-2930 access list, EIP-3860 init code)
/// and the EIP-7623 calldata floor; the larger of the two is what it must at least offer.
pub fn intrinsic_gas(tx: &TxEnv) -> u64 {
    let zeros = tx.data.iter().filter(|b| **b == 0).count() as u64;
    let nonzeros = tx.data.len() as u64 - zeros;
    let mut gas = 21_000 + zeros * 4 + nonzeros * 16;
    if tx.kind.is_create() {
        gas += 32_000 + 2 * (tx.data.len() as u64).div_ceil(32);
    }
    for item in tx.access_list.iter() {
        gas += 2_400 + 1_900 * item.storage_keys.len() as u64;
    }
    let floor = 21_000 + 10 * (zeros + 4 * nonzeros);
    gas.max(floor)
}

impl EvmEngine {
    /// An engine with `params`.
    pub fn new(params: EvmParams) -> Self {
        Self {
            params: Arc::new(params),
            fee_collector: keys::to_evm(&auth::module_address(FEE_COLLECTOR)),
            bridge: None,
        }
    }

    /// Enables native-token withdrawals through the bridge precompile (the chain runs the
    /// opchild module with `app`).
    pub fn with_bridge(mut self, app: AppConfig) -> Self {
        self.bridge = Some(Arc::new(app));
        self
    }

    fn precompiles(&self, view: &dyn StateView) -> Result<BridgePrecompiles, EngineError> {
        let bridged = match &self.bridge {
            Some(_) => crate::bridge::native_is_bridged(view, &self.params.denom)?,
            None => false,
        };
        Ok(BridgePrecompiles::new(
            EthPrecompiles::new(SpecId::PRAGUE),
            bridged,
        ))
    }

    /// The parameters.
    pub fn params(&self) -> &EvmParams {
        &self.params
    }

    /// The account block rewards (fees) go to.
    pub fn fee_collector(&self) -> Address {
        self.fee_collector
    }

    fn block_env(&self, ctx: &BlockContext) -> BlockEnv {
        let secs = (ctx.time_unix_nanos / 1_000_000_000).max(0) as u64;
        BlockEnv {
            number: U256::from(ctx.height.0),
            beneficiary: self.fee_collector,
            timestamp: U256::from(secs),
            gas_limit: self.params.block_gas_limit,
            basefee: self.params.base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(ctx.last_block_hash.0.into()),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new_with_spec(
                0,
                SpecId::PRAGUE,
            )),
            ..Default::default()
        }
    }

    fn cfg_env(&self, opts: CallOptions) -> CfgEnv {
        let mut c = CfgEnv::new_with_spec(SpecId::PRAGUE);
        c.chain_id = self.params.chain_id;
        c.disable_nonce_check = opts.skip_nonce;
        c.disable_base_fee = opts.skip_base_fee;
        // eth_call may come "from" a contract address; txs (signed by keys) never do.
        c.disable_eip3607 = opts.skip_nonce;
        c
    }

    /// Runs `tx` on `view` without writing anything: `Ok(Err(_))` when the tx is invalid.
    pub fn transact(
        &self,
        ctx: &BlockContext,
        view: &dyn StateView,
        tx: TxEnv,
        opts: CallOptions,
    ) -> Result<Result<Transacted, TxError>, EngineError> {
        let precompiles = self.precompiles(view)?;
        let db = StateDb::new(view, &self.params.denom);
        let mut evm = Context::mainnet()
            .with_db(db)
            .with_block(self.block_env(ctx))
            .with_cfg(self.cfg_env(opts))
            .build_mainnet()
            .with_precompiles(precompiles);
        match evm.transact(tx) {
            Ok(r) => Ok(Ok((
                r,
                std::mem::take(&mut evm.ctx.journaled_state.database.loaded),
            ))),
            Err(EVMError::Transaction(t)) => Ok(Err(invalid_tx(t))),
            Err(EVMError::Database(e)) => Err(fatal(e)),
            Err(EVMError::Header(h)) => Err(EngineError::Invariant(format!("block env: {h}"))),
            Err(other) => Err(EngineError::Invariant(other.to_string())),
        }
    }

    /// Runs `tx` on `view` with geth's callTracer; returns the result and the top frame.
    pub fn trace_call(
        &self,
        ctx: &BlockContext,
        view: &dyn StateView,
        tx: TxEnv,
    ) -> Result<Result<(ExecutionResult, crate::trace::CallTracer), TxError>, EngineError> {
        use revm::InspectEvm;
        let precompiles = self.precompiles(view)?;
        let db = StateDb::new(view, &self.params.denom);
        let mut evm = Context::mainnet()
            .with_db(db)
            .with_block(self.block_env(ctx))
            .with_cfg(self.cfg_env(CallOptions::default()))
            .build_mainnet_with_inspector(crate::trace::CallTracer::default())
            .with_precompiles(precompiles);
        match evm.inspect_one_tx(tx) {
            Ok(r) => Ok(Ok((r, std::mem::take(&mut evm.inspector)))),
            Err(EVMError::Transaction(t)) => Ok(Err(invalid_tx(t))),
            Err(EVMError::Database(e)) => Err(fatal(e)),
            Err(other) => Err(EngineError::Invariant(other.to_string())),
        }
    }

    /// eth_call: runs a message call against `view`.
    pub fn call(
        &self,
        ctx: &BlockContext,
        view: &dyn StateView,
        tx: TxEnv,
        opts: CallOptions,
    ) -> Result<CallOutcome, EngineError> {
        Ok(self.transact(ctx, view, tx, opts)?.map(|(r, _)| r.result))
    }

    /// Mempool admission checks with Ethereum's error strings.
    pub fn check_tx(
        &self,
        _ctx: &BlockContext,
        state: &dyn StateView,
        tx: &EthTx,
    ) -> Result<CheckedTx, TxError> {
        let p = &*self.params;
        let node_err = |e: DbError| {
            err(
                code::INVALID_AT_EXECUTION,
                format!("node failed to check the tx: {e}"),
            )
        };
        if tx.raw.len() > p.max_tx_bytes {
            return Err(err(
                code::OVERSIZED,
                format!(
                    "oversized data: transaction size {}, limit {}",
                    tx.raw.len(),
                    p.max_tx_bytes
                ),
            ));
        }
        if tx.chain_id() != Some(p.chain_id) {
            return Err(err(
                code::WRONG_CHAIN_ID,
                format!(
                    "invalid chain id for signer: have {} want {}",
                    tx.chain_id().unwrap_or(0),
                    p.chain_id
                ),
            ));
        }
        if tx.gas_limit() > p.block_gas_limit {
            return Err(err(
                code::GAS_LIMIT,
                format!(
                    "exceeds block gas limit: gas {} above limit {}",
                    tx.gas_limit(),
                    p.block_gas_limit
                ),
            ));
        }
        if tx.to().is_none() && tx.input().len() > MAX_INITCODE_SIZE {
            return Err(err(
                code::INITCODE_SIZE,
                format!(
                    "max initcode size exceeded: code size {} limit {MAX_INITCODE_SIZE}",
                    tx.input().len()
                ),
            ));
        }
        let fee_cap = tx.max_fee_per_gas();
        if let Some(tip) = tx.max_priority_fee_per_gas() {
            if tip > fee_cap {
                return Err(err(
                    code::TIP_ABOVE_FEE_CAP,
                    format!("max priority fee per gas higher than max fee per gas: address {}, maxPriorityFeePerGas: {tip}, maxFeePerGas: {fee_cap}", tx.sender),
                ));
            }
        }
        if fee_cap < u128::from(p.base_fee) {
            return Err(err(
                code::UNDERPRICED,
                format!(
                    "transaction underpriced: max fee per gas less than block base fee: address {}, maxFeePerGas: {fee_cap}, baseFee: {}",
                    tx.sender, p.base_fee
                ),
            ));
        }
        let env = tx.tx_env();
        let need = intrinsic_gas(&env);
        if tx.gas_limit() < need {
            return Err(err(
                code::INTRINSIC_GAS,
                format!(
                    "intrinsic gas too low: gas {}, minimum needed {need}",
                    tx.gas_limit()
                ),
            ));
        }
        let state_nonce = read_account(state, &tx.sender)
            .map_err(node_err)?
            .map_or(0, |a| a.sequence);
        if tx.nonce() < state_nonce {
            return Err(err(
                code::NONCE_TOO_LOW,
                format!(
                    "nonce too low: address {}, tx: {} state: {state_nonce}",
                    tx.sender,
                    tx.nonce()
                ),
            ));
        }
        let balance = read_balance(state, &tx.sender, &p.denom).map_err(node_err)?;
        let cost = U256::from(tx.gas_limit()) * U256::from(fee_cap) + tx.value();
        if U256::from(balance) < cost {
            return Err(err(
                code::INSUFFICIENT_FUNDS,
                format!(
                    "insufficient funds for gas * price + value: address {} have {balance} want {cost}",
                    tx.sender
                ),
            ));
        }
        Ok(CheckedTx {
            hash: Hash32(tx.hash.0),
            sender: keys::to_core(&tx.sender),
            nonce: tx.nonce(),
            state_nonce,
            gas_wanted: tx.gas_limit(),
            gas_price: fee_cap,
        })
    }

    /// Executes one tx of a block on `block`'s overlay and applies its writes (fees and nonce
    /// even when it reverts; nothing when it is invalid).
    pub fn execute_tx(
        &self,
        ctx: &BlockContext,
        block: &mut Overlay<'_>,
        tx: &EthTx,
    ) -> Result<TxResult, EngineError> {
        let mut result = TxResult {
            gas_wanted: tx.gas_limit(),
            ..Default::default()
        };
        let mut event = Event::new("ethereum_tx")
            .attr("tx_hash", format!("{:#x}", tx.hash))
            .attr("sender", format!("{:#x}", tx.sender));
        let pre = if tx.chain_id() != Some(self.params.chain_id) {
            Err(err(code::WRONG_CHAIN_ID, "invalid chain id for signer"))
        } else if tx.gas_limit() > self.params.block_gas_limit {
            Err(err(code::GAS_LIMIT, "exceeds block gas limit"))
        } else {
            Ok(())
        };
        let outcome = match pre {
            Ok(()) => self.transact(ctx, &*block, tx.tx_env(), CallOptions::default())?,
            Err(e) => Err(e),
        };
        let (
            ResultAndState {
                result: exec,
                state,
            },
            loaded,
        ) = match outcome {
            Ok(r) => r,
            Err(e) => {
                result.code = e.code;
                result.codespace = e.codespace;
                result.log = e.message;
                result.events.push(event);
                return Ok(result);
            }
        };
        let gas_used = exec.tx_gas_used();
        self.apply_state(block, state, &loaded)?;
        // revm burns base fee * gas; the chain keeps its supply and pays it to the fee collector.
        let burned = u128::from(self.params.base_fee) * u128::from(gas_used);
        if burned > 0 {
            self.add_balance(block, &self.fee_collector, burned)?;
        }
        if let (Some(app), ExecutionResult::Success { logs, .. }) = (&self.bridge, &exec) {
            crate::bridge::apply_withdrawals(app, ctx, block, logs, &mut result.events)?;
        }
        let contract_address = exec.created_address();
        let (status, output) = match &exec {
            ExecutionResult::Success { .. } => (true, Bytes::new()),
            ExecutionResult::Revert { output, .. } => {
                result.code = code::REVERTED;
                result.codespace = crate::errors::CODESPACE.into();
                result.log = revert_message(output);
                (false, output.clone())
            }
            ExecutionResult::Halt { reason, .. } => {
                result.code = code::HALTED;
                result.codespace = crate::errors::CODESPACE.into();
                result.log = format!("execution halted: {reason:?}");
                (false, Bytes::new())
            }
        };
        let receipt = StoredReceipt {
            tx_hash: tx.hash,
            tx_type: tx.tx_type(),
            from: tx.sender,
            to: tx.to(),
            contract_address: if status { contract_address } else { None },
            status,
            gas_used,
            effective_gas_price: tx.effective_gas_price(self.params.base_fee),
            logs: exec
                .logs()
                .iter()
                .map(|l| StoredLog {
                    address: l.address,
                    topics: l.topics().to_vec(),
                    data: l.data.data.clone(),
                })
                .collect(),
            output,
        };
        result.gas_used = gas_used;
        result.data = receipt.encode();
        if let Some(to) = tx.to() {
            event = event.attr("recipient", format!("{to:#x}"));
        }
        if let Some(c) = receipt.contract_address {
            event = event.attr("contract_address", format!("{c:#x}"));
        }
        event = event.attr("status", if status { "1" } else { "0" });
        result.events.push(event);
        Ok(result)
    }

    fn add_balance(
        &self,
        block: &mut Overlay<'_>,
        addr: &Address,
        amount: u128,
    ) -> Result<(), EngineError> {
        let have = read_balance(block, addr, &self.params.denom).map_err(fatal)?;
        let new = have
            .checked_add(amount)
            .ok_or_else(|| EngineError::Invariant(format!("balance of {addr} overflows u128")))?;
        block.set(
            keys::balance_key(addr, &self.params.denom),
            new.to_be_bytes().to_vec(),
        );
        Ok(())
    }

    /// Writes revm's state changes into `block`, in address order (account numbers of
    /// accounts created here are assigned in that order, deterministically). `loaded` holds
    /// what revm read for the tx (pre-tx balances and accounts), so they are not read again.
    pub fn apply_state(
        &self,
        block: &mut Overlay<'_>,
        state: EvmState,
        loaded: &LoadedAccounts,
    ) -> Result<(), EngineError> {
        let denom = &self.params.denom;
        let mut changed: Vec<_> = state.into_iter().filter(|(_, a)| a.is_touched()).collect();
        changed.sort_by_key(|(a, _)| *a);
        // ERC-20 view balances, written back as bank balances after every account (below).
        let mut token_balances: Vec<(String, Address, U256)> = Vec::new();
        for (addr, acc) in changed {
            let token_denom = if crate::erc20::is_token_address(&addr) {
                crate::erc20::read_denom(block, &addr).map_err(fatal)?
            } else {
                None
            };
            if acc.is_selfdestructed() {
                block.delete(keys::balance_key(&addr, denom));
                block.delete(keys::code_hash_key(&addr));
                for slot in acc.storage.keys() {
                    block.delete(keys::storage_key(&addr, slot));
                }
                if let Some(mut a) = read_account(block, &addr).map_err(fatal)? {
                    a.sequence = 0;
                    block.set(keys::account_key(&addr), a.encode_to_vec());
                }
                continue;
            }
            let balance = u128::try_from(acc.info.balance)
                .map_err(|_| EngineError::Invariant(format!("balance of {addr} exceeds u128")))?;
            let old = match loaded.get(&addr) {
                Some(l) => l.balance,
                None => read_balance(block, &addr, denom).map_err(fatal)?,
            };
            if old != balance {
                if balance == 0 {
                    block.delete(keys::balance_key(&addr, denom));
                } else {
                    block.set(
                        keys::balance_key(&addr, denom),
                        balance.to_be_bytes().to_vec(),
                    );
                }
            }
            let has_code = acc.info.code_hash != KECCAK_EMPTY;
            let account = match loaded.get(&addr) {
                Some(l) => l.account.clone(),
                None => read_account(block, &addr).map_err(fatal)?,
            };
            match account {
                Some(mut a) if a.sequence != acc.info.nonce => {
                    a.sequence = acc.info.nonce;
                    block.set(keys::account_key(&addr), a.encode_to_vec());
                }
                Some(_) => {}
                None if balance > 0 || acc.info.nonce > 0 || has_code => {
                    self.create_account(block, &addr, acc.info.nonce)?;
                }
                None => {}
            }
            if has_code && acc.is_created() {
                if let Some(code) = &acc.info.code {
                    block.set(
                        keys::code_key(&acc.info.code_hash),
                        code.original_bytes().to_vec(),
                    );
                }
                block.set(keys::code_hash_key(&addr), acc.info.code_hash.to_vec());
            }
            for (slot, v) in acc.changed_storage_slots() {
                if let (Some(d), Some(holder)) = (&token_denom, crate::erc20::slot_holder(slot)) {
                    token_balances.push((d.clone(), holder, v.present_value()));
                    continue;
                }
                let key = keys::storage_key(&addr, slot);
                if v.present_value().is_zero() {
                    block.delete(key);
                } else {
                    block.set(key, v.present_value().to_be_bytes::<32>().to_vec());
                }
            }
        }
        // After the accounts above, so a holder the EVM also touched already has its auth
        // account; in (denom, holder) order, so new accounts get numbers deterministically.
        token_balances.sort();
        for (d, holder, v) in token_balances {
            let amount = u128::try_from(v).map_err(|_| {
                EngineError::Invariant(format!("{d} balance of {holder} exceeds u128"))
            })?;
            let key = keys::balance_key(&holder, &d);
            if amount == 0 {
                block.delete(key);
                continue;
            }
            block.set(key, amount.to_be_bytes().to_vec());
            if read_account(block, &holder).map_err(fatal)?.is_none() {
                self.create_account(block, &holder, 0)?;
            }
        }
        Ok(())
    }

    /// Registers the ERC-20 view of bridged `denom` (see [`crate::erc20`]) unless it is the
    /// native token, already registered, or its address is taken (by another denom whose
    /// address prefix collides, or by an account); returns the address when it registered.
    pub fn register_token(
        &self,
        block: &mut Overlay<'_>,
        denom: &str,
    ) -> Result<Option<Address>, EngineError> {
        if denom == self.params.denom
            || crate::erc20::registered_token(block, denom)
                .map_err(fatal)?
                .is_some()
        {
            return Ok(None);
        }
        let token = crate::erc20::token_address(denom);
        let taken = block.get(&keys::token_denom_key(&token))?.is_some()
            || block.get(&keys::code_hash_key(&token))?.is_some()
            || read_account(block, &token).map_err(fatal)?.is_some();
        if taken {
            return Ok(None);
        }
        block.set(keys::token_denom_key(&token), denom.as_bytes().to_vec());
        block.set(keys::token_address_key(denom), token.to_vec());
        let code = crate::erc20::MARKER_CODE.to_vec();
        let hash = revm::primitives::keccak256(&code);
        block.set(keys::code_key(&hash), code);
        block.set(keys::code_hash_key(&token), hash.to_vec());
        self.create_account(block, &token, 1)?;
        Ok(Some(token))
    }

    /// Creates the auth account of an address first touched by the EVM, with the next account
    /// number, as the bank module does when an address first receives funds.
    pub fn create_account(
        &self,
        block: &mut Overlay<'_>,
        addr: &Address,
        nonce: u64,
    ) -> Result<(), EngineError> {
        let next = block
            .get(auth::NEXT_ACCOUNT_NUMBER)?
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0);
        block.set(
            auth::NEXT_ACCOUNT_NUMBER.to_vec(),
            (next + 1).to_be_bytes().to_vec(),
        );
        let acc = BaseAccount {
            address: keys::to_core(addr).to_bech32(&self.params.bech32_prefix),
            pub_key: None,
            account_number: next,
            sequence: nonce,
        };
        block.set(keys::account_key(addr), acc.encode_to_vec());
        Ok(())
    }
}

/// "execution reverted" plus the decoded `Error(string)` reason, as geth prints it.
pub fn revert_message(output: &Bytes) -> String {
    match decode_revert_reason(output) {
        Some(r) => format!("execution reverted: {r}"),
        None => "execution reverted".into(),
    }
}

/// Decodes the ABI `Error(string)` payload of a revert.
pub fn decode_revert_reason(output: &[u8]) -> Option<String> {
    const SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
    let body = output.strip_prefix(&SELECTOR[..])?;
    if body.len() < 64 {
        return None;
    }
    let len = U256::from_be_slice(&body[32..64]);
    let len = usize::try_from(len).ok()?;
    let s = body.get(64..64usize.checked_add(len)?)?;
    String::from_utf8(s.to_vec()).ok()
}

fn invalid_tx(t: InvalidTransaction) -> TxError {
    let msg = t.to_string();
    let c = match t {
        InvalidTransaction::NonceTooLow { .. } => code::NONCE_TOO_LOW,
        InvalidTransaction::LackOfFundForMaxFee { .. } => code::INSUFFICIENT_FUNDS,
        InvalidTransaction::GasPriceLessThanBasefee => code::UNDERPRICED,
        InvalidTransaction::CallGasCostMoreThanGasLimit { .. } => code::INTRINSIC_GAS,
        InvalidTransaction::InvalidChainId => code::WRONG_CHAIN_ID,
        _ => code::INVALID_AT_EXECUTION,
    };
    let msg = match c {
        code::INSUFFICIENT_FUNDS => format!("insufficient funds for gas * price + value: {msg}"),
        code::NONCE_TOO_LOW => format!("nonce too low: {msg}"),
        code::INTRINSIC_GAS => format!("intrinsic gas too low: {msg}"),
        _ => msg,
    };
    err(c, msg)
}

impl From<DbError> for StateError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::State(s) => s,
            DbError::Malformed(m) => StateError::Corrupt(m),
        }
    }
}
