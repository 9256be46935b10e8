//! ERC-20 views of bank denoms, at the engine: balances are the bank's, transfers move bank
//! funds and emit `Transfer`, allowances work, and a transfer inside a call that reverts, a
//! write in a static call, or a transfer above the balance moves nothing.

use std::collections::BTreeMap;

use minitia_app::ChainApp;
use minitia_app::{bank, AppConfig, CosmosApp, DecAmount};
use minitia_core::{
    Address as CoreAddress, BlockContext, ChainId, ExecutionEngine, Hash32, Height, Overlay,
    TxResult,
};
use minitia_vm_evm::{
    db::{read_account, read_balance, StateDb},
    engine::CallOptions,
    erc20::{self, selector},
    keys,
    receipt::StoredReceipt,
    wallet::Wallet,
    AppTx, EvmApp,
};
use revm::{
    context::{result::ExecutionResult, TxEnv},
    primitives::{Address, TxKind, U256},
};

const DENOM: &str = "umin";
const TOKEN: &str = "l2/4f2bd1e9a8c0ffee";
const BASE_FEE: u128 = 1_000_000_000;

fn app() -> EvmApp {
    let mut cfg = AppConfig::new(ChainId::new("evm-test-1").unwrap(), "init", DENOM);
    cfg.min_gas_price = DecAmount::parse("1000000000").unwrap();
    cfg.max_tx_bytes = 64 * 1024;
    cfg.max_tx_gas = 30_000_000;
    EvmApp::new(CosmosApp::new(cfg, vec![]))
}

fn ctx(h: u64) -> BlockContext {
    BlockContext {
        chain_id: ChainId::new("evm-test-1").unwrap(),
        height: Height(h),
        time_unix_nanos: 1_700_000_000_000_000_000,
        proposer: CoreAddress::default(),
        max_gas: 0,
        last_block_hash: Hash32([7; 32]),
    }
}

type State = BTreeMap<Vec<u8>, Vec<u8>>;

fn apply(state: &mut State, w: &minitia_core::WriteSet) {
    for (k, v) in w.iter() {
        match v {
            Some(v) => state.insert(k.clone(), v.clone()),
            None => state.remove(k),
        };
    }
}

/// Runtime that forwards its calldata to `token` with CALL, then returns the call's success
/// flag (`revert_after`: then reverts instead).
fn forwarder(token: Address, revert_after: bool) -> Vec<u8> {
    // calldatacopy(0, 0, calldatasize)
    let mut c = vec![0x36, 0x5f, 0x5f, 0x37];
    // call(gas, token, 0, 0, calldatasize, 0, 0)
    c.extend_from_slice(&[0x5f, 0x5f, 0x36, 0x5f, 0x5f, 0x73]);
    c.extend_from_slice(token.as_slice());
    c.extend_from_slice(&[0x5a, 0xf1]);
    if revert_after {
        c.extend_from_slice(&[0x50, 0x5f, 0x5f, 0xfd]);
    } else {
        // mstore(0, success); return(0, 32)
        c.extend_from_slice(&[0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3]);
    }
    c
}

/// Runtime that STATICCALLs `token` with its calldata and returns the success flag.
fn static_caller(token: Address) -> Vec<u8> {
    let mut c = vec![0x36, 0x5f, 0x5f, 0x37];
    // staticcall(gas, token, 0, calldatasize, 0, 0)
    c.extend_from_slice(&[0x5f, 0x5f, 0x36, 0x5f, 0x73]);
    c.extend_from_slice(token.as_slice());
    c.extend_from_slice(&[0x5a, 0xfa, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3]);
    c
}

fn word(v: U256) -> Vec<u8> {
    v.to_be_bytes::<32>().to_vec()
}

fn addr_word(a: &Address) -> Vec<u8> {
    a.into_word().to_vec()
}

fn calldata(sel: [u8; 4], args: &[Vec<u8>]) -> Vec<u8> {
    let mut d = sel.to_vec();
    for a in args {
        d.extend_from_slice(a);
    }
    d
}

struct Net {
    app: EvmApp,
    state: State,
    token: Address,
    height: u64,
    alice: Wallet,
    bob: Wallet,
    carol: Wallet,
    fwd: Address,
    fwd_revert: Address,
    stat: Address,
}

impl Net {
    fn new() -> Self {
        let app = app();
        let (alice, bob, carol) = (
            Wallet::from_index(1),
            Wallet::from_index(2),
            Wallet::from_index(3),
        );
        let token = erc20::token_address(TOKEN);
        let (fwd, fwd_revert, stat) = (
            Address::repeat_byte(0x51),
            Address::repeat_byte(0x52),
            Address::repeat_byte(0x53),
        );
        let gas = |a: &Address| {
            serde_json::json!({"address": format!("{a:#x}"), "coins": [
                {"denom": DENOM, "amount": "1000000000000000000"},
            ]})
        };
        let with_token = |a: &Address, n: u64| {
            serde_json::json!({"address": format!("{a:#x}"), "coins": [
                {"denom": TOKEN, "amount": n.to_string()},
                {"denom": DENOM, "amount": "1000000000000000000"},
            ]})
        };
        let contract = |a: &Address, code: Vec<u8>| serde_json::json!({"address": format!("{a:#x}"), "code": format!("0x{}", hex::encode(code)), "nonce": 1});
        let g = serde_json::json!({
            "bank": {"balances": [
                with_token(&alice.address(), 1_000), gas(&bob.address()), gas(&carol.address()),
                with_token(&fwd, 500), with_token(&fwd_revert, 500),
            ]},
            "evm": {"accounts": [
                contract(&fwd, forwarder(token, false)),
                contract(&fwd_revert, forwarder(token, true)),
                contract(&stat, static_caller(token)),
            ]},
        });
        let w = app.init_genesis(&g, &ctx(0)).unwrap();
        let mut state: State = w
            .iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
            .collect();
        // What the app does when the first deposit of TOKEN finalizes.
        let mut block = Overlay::new(&state);
        assert_eq!(
            app.evm().register_token(&mut block, TOKEN).unwrap(),
            Some(token)
        );
        assert_eq!(app.evm().register_token(&mut block, TOKEN).unwrap(), None);
        assert_eq!(
            app.evm().register_token(&mut block, DENOM).unwrap(),
            None,
            "the native token has no ERC-20 view"
        );
        let writes = block.into_writes();
        apply(&mut state, &writes);
        Self {
            app,
            state,
            token,
            height: 0,
            alice,
            bob,
            carol,
            fwd,
            fwd_revert,
            stat,
        }
    }

    fn bank(&self, a: &Address) -> u128 {
        read_balance(&self.state, a, TOKEN).unwrap()
    }

    fn supply(&self) -> u128 {
        self.state
            .get(&bank::supply_key(TOKEN))
            .map_or(0, |b| u128::from_be_bytes(b.as_slice().try_into().unwrap()))
    }

    fn call(&self, from: Address, to: Address, data: Vec<u8>) -> ExecutionResult {
        let tx = TxEnv {
            caller: from,
            kind: TxKind::Call(to),
            data: data.into(),
            gas_limit: 1_000_000,
            gas_price: 0,
            chain_id: Some(self.app.evm().params().chain_id),
            ..Default::default()
        };
        let opts = CallOptions {
            skip_nonce: true,
            skip_base_fee: true,
        };
        self.app
            .evm()
            .call(&ctx(self.height + 1), &self.state, tx, opts)
            .unwrap()
            .unwrap()
    }

    fn view(&self, data: Vec<u8>) -> U256 {
        match self.call(self.alice.address(), self.token, data) {
            ExecutionResult::Success { output, .. } => U256::from_be_slice(output.data()),
            other => panic!("view failed: {other:?}"),
        }
    }

    fn balance_of(&self, a: &Address) -> u128 {
        self.view(calldata(selector::BALANCE_OF, &[addr_word(a)]))
            .try_into()
            .unwrap()
    }

    /// Sends one signed Ethereum tx from `w` in its own block.
    fn send(&mut self, w: &Wallet, to: Address, data: Vec<u8>) -> TxResult {
        let nonce = read_account(&self.state, &w.address())
            .unwrap()
            .map_or(0, |a| a.sequence);
        let raw = w.eip1559(
            self.app.evm().params().chain_id,
            nonce,
            Some(to),
            U256::ZERO,
            data,
            200_000,
            2 * BASE_FEE,
            0,
        );
        let tx: AppTx = self.app.decode_tx(&raw).unwrap();
        self.height += 1;
        let out = self
            .app
            .execute_block(&ctx(self.height), &self.state, &[tx])
            .unwrap();
        apply(&mut self.state, &out.writes);
        out.tx_results.into_iter().next().unwrap()
    }
}

fn transfer_data(to: &Address, amount: u128) -> Vec<u8> {
    calldata(
        selector::TRANSFER,
        &[addr_word(to), word(U256::from(amount))],
    )
}

#[test]
fn token_reads_are_the_bank_and_transfers_move_bank_funds() {
    let mut n = Net::new();
    let db = StateDb::new(&n.state, DENOM);
    assert_eq!(
        db.code(&n.token).unwrap(),
        erc20::MARKER_CODE,
        "eth_getCode is non-empty"
    );
    assert_eq!(
        erc20::registered_token(&n.state, TOKEN).unwrap(),
        Some(n.token)
    );
    let (alice, bob) = (n.alice.address(), n.bob.address());
    assert_eq!(n.balance_of(&alice), 1_000);
    assert_eq!(n.balance_of(&bob), 0);
    assert_eq!(n.view(calldata(selector::DECIMALS, &[])), U256::ZERO);
    assert_eq!(
        n.view(calldata(selector::TOTAL_SUPPLY, &[])),
        U256::from(2_000)
    );
    match n.call(alice, n.token, calldata(selector::SYMBOL, &[])) {
        ExecutionResult::Success { output, .. } => {
            let d = output.data();
            let len = usize::try_from(U256::from_be_slice(&d[32..64])).unwrap();
            assert_eq!(&d[64..64 + len], TOKEN.as_bytes());
        }
        other => panic!("{other:?}"),
    }

    let supply = n.supply();
    let r = n.send(&n.alice.clone(), n.token, transfer_data(&bob, 300));
    assert_eq!(r.code, 0, "{}", r.log);
    assert_eq!(n.bank(&alice), 700, "the bank balance is the token balance");
    assert_eq!(n.bank(&bob), 300);
    assert_eq!(n.balance_of(&bob), 300);
    assert_eq!(n.supply(), supply, "a transfer mints and burns nothing");
    let receipt = StoredReceipt::decode(&r.data).unwrap();
    let log = &receipt.logs[0];
    assert_eq!(log.address, n.token);
    assert_eq!(
        log.topics,
        vec![erc20::transfer_topic(), alice.into_word(), bob.into_word()]
    );
    assert_eq!(U256::from_be_slice(&log.data), U256::from(300));

    // Above the balance: a revert with the reason, nothing moves.
    let r = n.send(&n.bob.clone(), n.token, transfer_data(&alice, 301));
    assert_ne!(r.code, 0);
    assert!(
        r.log.contains("transfer amount exceeds balance"),
        "{}",
        r.log
    );
    assert_eq!((n.bank(&alice), n.bank(&bob)), (700, 300));

    // To a fresh address: it gets the funds and an auth account, like a bank send.
    let fresh = Address::repeat_byte(0x99);
    let r = n.send(&n.bob.clone(), n.token, transfer_data(&fresh, 100));
    assert_eq!(r.code, 0, "{}", r.log);
    assert_eq!(n.bank(&fresh), 100);
    assert!(read_account(&n.state, &fresh).unwrap().is_some());

    // Unknown selector and value sent along revert with precise reasons.
    match n.call(alice, n.token, vec![1, 2, 3, 4]) {
        ExecutionResult::Revert { output, .. } => {
            assert!(minitia_vm_evm::engine::decode_revert_reason(&output)
                .unwrap()
                .contains("no function with selector 0x01020304"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn allowances_limit_transfer_from() {
    let mut n = Net::new();
    let (alice, bob, carol) = (n.alice.address(), n.bob.address(), n.carol.address());
    let approve = calldata(
        selector::APPROVE,
        &[addr_word(&carol), word(U256::from(250))],
    );
    let r = n.send(&n.alice.clone(), n.token, approve);
    assert_eq!(r.code, 0, "{}", r.log);
    let allowance = |n: &Net| {
        n.view(calldata(
            selector::ALLOWANCE,
            &[addr_word(&alice), addr_word(&carol)],
        ))
    };
    assert_eq!(allowance(&n), U256::from(250));
    let from = |amount: u128| {
        calldata(
            selector::TRANSFER_FROM,
            &[addr_word(&alice), addr_word(&bob), word(U256::from(amount))],
        )
    };
    let r = n.send(&n.carol.clone(), n.token, from(200));
    assert_eq!(r.code, 0, "{}", r.log);
    assert_eq!((n.bank(&alice), n.bank(&bob)), (800, 200));
    assert_eq!(allowance(&n), U256::from(50));
    let r = n.send(&n.carol.clone(), n.token, from(51));
    assert!(r.log.contains("insufficient allowance"), "{}", r.log);
    assert_eq!((n.bank(&alice), n.bank(&bob)), (800, 200));
    // Bob was never approved.
    let r = n.send(&n.bob.clone(), n.token, from(1));
    assert!(r.log.contains("insufficient allowance"), "{}", r.log);
}

#[test]
fn contract_calls_move_funds_and_reverts_and_static_calls_move_nothing() {
    let mut n = Net::new();
    let bob = n.bob.address();
    // A contract spends its own tokens through CALL.
    let r = n.send(&n.alice.clone(), n.fwd, transfer_data(&bob, 120));
    assert_eq!(r.code, 0, "{}", r.log);
    assert_eq!((n.bank(&n.fwd), n.bank(&bob)), (380, 120));
    // The same call, then the contract reverts: the transfer is undone with it.
    let r = n.send(&n.alice.clone(), n.fwd_revert, transfer_data(&bob, 120));
    assert_ne!(r.code, 0);
    assert_eq!((n.bank(&n.fwd_revert), n.bank(&bob)), (500, 120));
    let receipt = StoredReceipt::decode(&r.data).unwrap();
    assert!(receipt.logs.is_empty(), "no Transfer log survives a revert");
    // A transfer in a static call fails (the flag returned is 0); a read works.
    match n.call(n.alice.address(), n.stat, transfer_data(&bob, 1)) {
        ExecutionResult::Success { output, .. } => {
            assert_eq!(U256::from_be_slice(output.data()), U256::ZERO)
        }
        other => panic!("{other:?}"),
    }
    match n.call(
        n.alice.address(),
        n.stat,
        calldata(selector::BALANCE_OF, &[addr_word(&bob)]),
    ) {
        ExecutionResult::Success { output, .. } => {
            assert_eq!(U256::from_be_slice(output.data()), U256::from(1))
        }
        other => panic!("{other:?}"),
    }
    // Nothing was registered for an address that merely has the token prefix.
    let other = erc20::token_address("l2/never-deposited");
    assert_eq!(erc20::read_denom(&n.state, &other).unwrap(), None);
    let _ = keys::token_denom_key(&other);
}
