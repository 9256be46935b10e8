//! Engine-level tests: decoding, signature recovery, admission checks with Ethereum's error
//! strings, and execution into the shared bank/auth state.

use std::collections::BTreeMap;

use minitia_app::ChainApp;
use minitia_app::{auth, bank, AppConfig, CosmosApp, DecAmount, FEE_COLLECTOR};
use minitia_core::{
    Address as CoreAddress, BlockContext, ChainId, ExecutionEngine, Hash32, Height,
};
use minitia_vm_evm::{
    db::{read_account, read_balance, StateDb},
    errors::code,
    keys,
    receipt::StoredReceipt,
    wallet::Wallet,
    AppTx, EthTx, EvmApp,
};
use revm::primitives::{keccak256, Address, U256};

const DENOM: &str = "umin";
const BASE_FEE: u128 = 1_000_000_000;

fn app() -> EvmApp {
    let mut cfg = AppConfig::new(ChainId::new("evm-test-1").unwrap(), "init", DENOM);
    cfg.min_gas_price = DecAmount::parse("1000000000").unwrap();
    cfg.max_tx_bytes = 64 * 1024;
    cfg.max_tx_gas = 30_000_000;
    EvmApp::new(CosmosApp::new(cfg, vec![]))
}

fn chain_id(a: &EvmApp) -> u64 {
    a.evm().params().chain_id
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

/// Genesis state funding `funded` (0x addresses) with `amount` each.
fn genesis(app: &EvmApp, funded: &[Address], amount: u128) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let balances: Vec<_> = funded
        .iter()
        .map(|a| serde_json::json!({"address": format!("{a:#x}"), "coins": [{"denom": DENOM, "amount": amount.to_string()}]}))
        .collect();
    let w = app
        .init_genesis(
            &serde_json::json!({"bank": {"balances": balances}}),
            &ctx(0),
        )
        .unwrap();
    w.iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
        .collect()
}

fn apply(state: &mut BTreeMap<Vec<u8>, Vec<u8>>, w: &minitia_core::WriteSet) {
    for (k, v) in w.iter() {
        match v {
            Some(v) => {
                state.insert(k.clone(), v.clone());
            }
            None => {
                state.remove(k);
            }
        }
    }
}

fn eth(app: &EvmApp, raw: &[u8]) -> AppTx {
    app.decode_tx(raw).unwrap()
}

fn transfer(w: &Wallet, app: &EvmApp, nonce: u64, to: Address, value: u128) -> Vec<u8> {
    w.eip1559(
        chain_id(app),
        nonce,
        Some(to),
        U256::from(value),
        vec![],
        21_000,
        2 * BASE_FEE,
        0,
    )
}

/// init code that deploys `runtime`.
fn deploy_code(runtime: &[u8]) -> Vec<u8> {
    let n = u8::try_from(runtime.len()).unwrap();
    let mut c = vec![
        0x60, n, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, n, 0x60, 0x00, 0xf3,
    ];
    c.extend_from_slice(runtime);
    c
}

/// Runtime: sstore(0, calldataload(0)); log1(0, 0, TOPIC); stop.
fn store_and_log_runtime() -> Vec<u8> {
    let mut r = vec![0x60, 0x00, 0x35, 0x60, 0x00, 0x55, 0x7f];
    r.extend_from_slice(&[0xaa; 32]);
    r.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0xa1, 0x00]);
    r
}

/// init code that reverts with `Error("nope")`.
fn reverting_init() -> Vec<u8> {
    let mut payload = vec![0x08, 0xc3, 0x79, 0xa0];
    payload.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    payload.extend_from_slice(&U256::from(4).to_be_bytes::<32>());
    let mut s = b"nope".to_vec();
    s.resize(32, 0);
    payload.extend_from_slice(&s);
    let n = u8::try_from(payload.len()).unwrap();
    let mut c = vec![
        0x60, n, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, n, 0x60, 0x00, 0xfd,
    ];
    c.extend_from_slice(&payload);
    c
}

#[test]
fn decodes_all_three_types_and_recovers_the_sender() {
    let app = app();
    let w = Wallet::from_index(1);
    let to = Some(Address::repeat_byte(9));
    let c = chain_id(&app);
    for raw in [
        w.legacy(c, 0, to, U256::from(5), vec![1, 2], 30_000, BASE_FEE),
        w.eip2930(c, 1, to, U256::from(5), vec![], 30_000, BASE_FEE),
        w.eip1559(c, 2, None, U256::ZERO, vec![0], 60_000, BASE_FEE, 1),
    ] {
        let tx = EthTx::decode(&raw).unwrap();
        assert_eq!(tx.sender, w.address());
        assert_eq!(tx.hash, keccak256(&raw));
        assert_eq!(tx.chain_id(), Some(c));
    }
}

#[test]
fn decode_rejects_malformed_and_bad_signatures() {
    let app = app();
    let w = Wallet::from_index(1);
    let raw = transfer(&w, &app, 0, Address::repeat_byte(1), 1);
    // Truncated RLP.
    let e = app.decode_tx(&raw[..raw.len() - 5]).unwrap_err();
    assert_eq!(e.code, code::DECODE);
    assert!(e.message.starts_with("rlp:"), "{}", e.message);
    // Garbage list.
    assert_eq!(app.decode_tx(&[0xc3, 0x01]).unwrap_err().code, code::DECODE);
    // r = 0: the signature's r is the 32 bytes before s, 66 bytes from the end (0xa0 r 0xa0 s).
    let mut bad = raw.clone();
    let r_at = bad.len() - 65;
    for b in &mut bad[r_at..r_at + 32] {
        *b = 0;
    }
    let e = EthTx::decode(&bad).unwrap_err();
    assert!(
        e.code == code::INVALID_SIGNATURE || e.code == code::DECODE,
        "{e:?}"
    );
    // A flipped bit in s gives another (or no) signer: never this wallet.
    let mut flipped = raw.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    match EthTx::decode(&flipped) {
        Ok(t) => assert_ne!(t.sender, w.address()),
        Err(e) => assert_eq!(e.code, code::INVALID_SIGNATURE),
    }
    // A blob tx type byte with no valid body.
    assert!(app.decode_tx(&[0x03, 0xc0]).is_err());
}

#[test]
fn check_tx_errors_use_ethereum_strings() {
    let app = app();
    let w = Wallet::from_index(1);
    let poor = Wallet::from_index(2);
    let state = genesis(&app, &[w.address()], 10u128.pow(18));
    let c = chain_id(&app);
    let to = Some(Address::repeat_byte(3));
    let check = |raw: Vec<u8>| app.check_tx(&ctx(1), &state, &eth(&app, &raw));

    let e = check(w.eip1559(c + 1, 0, to, U256::ZERO, vec![], 21_000, BASE_FEE, 0)).unwrap_err();
    assert!(
        e.message.starts_with("invalid chain id for signer"),
        "{}",
        e.message
    );
    let e = check(w.eip1559(c, 0, to, U256::ZERO, vec![], 21_000, BASE_FEE - 1, 0)).unwrap_err();
    assert!(
        e.message.contains("transaction underpriced")
            && e.message
                .contains("max fee per gas less than block base fee"),
        "{}",
        e.message
    );
    let e = check(w.eip1559(c, 0, to, U256::ZERO, vec![], 20_000, BASE_FEE, 0)).unwrap_err();
    assert!(
        e.message.starts_with("intrinsic gas too low"),
        "{}",
        e.message
    );
    let e = check(w.eip1559(c, 0, to, U256::ZERO, vec![], 30_000_001, BASE_FEE, 0)).unwrap_err();
    assert!(
        e.message.starts_with("exceeds block gas limit"),
        "{}",
        e.message
    );
    let e = check(poor.eip1559(c, 0, to, U256::from(1), vec![], 21_000, BASE_FEE, 0)).unwrap_err();
    assert!(
        e.message
            .starts_with("insufficient funds for gas * price + value"),
        "{}",
        e.message
    );
    let e =
        check(w.eip1559(c, 0, to, U256::ZERO, vec![], 21_000, BASE_FEE, BASE_FEE + 1)).unwrap_err();
    assert!(
        e.message
            .starts_with("max priority fee per gas higher than max fee per gas"),
        "{}",
        e.message
    );
    let big = w.eip1559(
        c,
        0,
        to,
        U256::ZERO,
        vec![1; 70_000],
        29_000_000,
        BASE_FEE,
        0,
    );
    let e = app.decode_tx(&big).unwrap_err();
    assert!(e.message.starts_with("oversized data"), "{}", e.message);

    let ok = check(w.eip1559(c, 0, to, U256::ZERO, vec![], 21_000, BASE_FEE, 0)).unwrap();
    assert_eq!((ok.nonce, ok.state_nonce, ok.gas_price), (0, 0, BASE_FEE));
    assert_eq!(ok.sender, keys::to_core(&w.address()));
    // Future nonces are admitted (they wait in the mempool).
    assert!(check(w.eip1559(c, 5, to, U256::ZERO, vec![], 21_000, BASE_FEE, 0)).is_ok());
}

#[test]
fn eth_transfer_moves_bank_balances_and_bumps_the_shared_nonce() {
    let app = app();
    let w = Wallet::from_index(1);
    let to = Address::repeat_byte(0x42);
    let mut state = genesis(&app, &[w.address()], 10u128.pow(18));
    let total_before: u128 = [w.address(), to]
        .iter()
        .map(|a| read_balance(&state, a, DENOM).unwrap())
        .sum();
    let txs = vec![
        eth(&app, &transfer(&w, &app, 0, to, 1_000)),
        eth(&app, &transfer(&w, &app, 1, to, 2_000)),
    ];
    let out = app.execute_block(&ctx(1), &state, &txs).unwrap();
    assert!(
        out.tx_results.iter().all(|r| r.code == 0),
        "{:?}",
        out.tx_results
    );
    assert_eq!(out.tx_results[0].gas_used, 21_000);
    apply(&mut state, &out.writes);

    let fee = 2 * 21_000 * BASE_FEE;
    assert_eq!(read_balance(&state, &to, DENOM).unwrap(), 3_000);
    assert_eq!(
        read_balance(&state, &w.address(), DENOM).unwrap(),
        10u128.pow(18) - 3_000 - fee
    );
    let collector = keys::to_evm(&auth::module_address(FEE_COLLECTOR));
    let collected = read_balance(&state, &collector, DENOM).unwrap();
    assert_eq!(
        collected, fee,
        "base fee goes to the fee collector, not burned"
    );
    let total_after: u128 = [w.address(), to]
        .iter()
        .map(|a| read_balance(&state, a, DENOM).unwrap())
        .sum::<u128>()
        + collected;
    assert_eq!(total_before, total_after);
    // The bank module reads the same balance.
    let key = bank::balance_key(&keys::to_core(&to), DENOM);
    assert_eq!(state.get(&key).unwrap(), &3_000u128.to_be_bytes().to_vec());
    // The nonce is the auth sequence; the recipient got an auth account.
    assert_eq!(
        app.account_nonce(&state, &keys::to_core(&w.address()))
            .unwrap(),
        2
    );
    assert!(read_account(&state, &to).unwrap().is_some());
    // Receipt kept in the result.
    let r = StoredReceipt::decode(&out.tx_results[1].data).unwrap();
    assert!(r.status);
    assert_eq!(r.from, w.address());
    assert_eq!(r.to, Some(to));
    // A replayed nonce is now "nonce too low".
    let e = app
        .check_tx(&ctx(2), &state, &eth(&app, &transfer(&w, &app, 1, to, 1)))
        .unwrap_err();
    assert!(e.message.starts_with("nonce too low"), "{}", e.message);
}

#[test]
fn contracts_store_code_storage_and_logs_and_reverts_keep_fees() {
    let app = app();
    let w = Wallet::from_index(1);
    let c = chain_id(&app);
    let mut state = genesis(&app, &[w.address()], 10u128.pow(18));
    let create = w.eip1559(
        c,
        0,
        None,
        U256::ZERO,
        deploy_code(&store_and_log_runtime()),
        200_000,
        BASE_FEE,
        0,
    );
    let out = app
        .execute_block(&ctx(1), &state, &[eth(&app, &create)])
        .unwrap();
    apply(&mut state, &out.writes);
    let r = StoredReceipt::decode(&out.tx_results[0].data).unwrap();
    let contract = r.contract_address.expect("created");
    assert_eq!(contract, w.address().create(0));
    let db = StateDb::new(&state, DENOM);
    assert_eq!(db.code(&contract).unwrap(), store_and_log_runtime());

    let word = U256::from(0xbeefu64);
    let call = w.eip1559(
        c,
        1,
        Some(contract),
        U256::ZERO,
        word.to_be_bytes::<32>().to_vec(),
        100_000,
        BASE_FEE,
        0,
    );
    let out = app
        .execute_block(&ctx(2), &state, &[eth(&app, &call)])
        .unwrap();
    apply(&mut state, &out.writes);
    let r = StoredReceipt::decode(&out.tx_results[0].data).unwrap();
    assert!(r.status);
    assert_eq!(r.logs.len(), 1);
    assert_eq!(r.logs[0].address, contract);
    assert_eq!(r.logs[0].topics[0].0, [0xaa; 32]);
    assert_eq!(
        StateDb::new(&state, DENOM)
            .slot(&contract, &U256::ZERO)
            .unwrap(),
        word
    );

    let before = read_balance(&state, &w.address(), DENOM).unwrap();
    let bad = w.eip1559(
        c,
        2,
        None,
        U256::ZERO,
        reverting_init(),
        200_000,
        BASE_FEE,
        0,
    );
    let out = app
        .execute_block(&ctx(3), &state, &[eth(&app, &bad)])
        .unwrap();
    apply(&mut state, &out.writes);
    let res = &out.tx_results[0];
    assert_eq!(res.code, code::REVERTED);
    assert_eq!(res.log, "execution reverted: nope");
    let r = StoredReceipt::decode(&res.data).unwrap();
    assert!(!r.status && r.contract_address.is_none() && r.logs.is_empty());
    let after = read_balance(&state, &w.address(), DENOM).unwrap();
    assert_eq!(before - after, u128::from(res.gas_used) * BASE_FEE);
    assert_eq!(
        app.account_nonce(&state, &keys::to_core(&w.address()))
            .unwrap(),
        3
    );
}

#[test]
fn invalid_at_execution_changes_nothing_and_execution_is_deterministic() {
    let app = app();
    let w = Wallet::from_index(1);
    let to = Address::repeat_byte(5);
    let state = genesis(&app, &[w.address()], 21_000 * BASE_FEE * 2 + 10);
    // Second tx can no longer pay once the first spent the funds.
    let txs = vec![
        eth(&app, &transfer(&w, &app, 0, to, 10)),
        eth(&app, &transfer(&w, &app, 1, to, 10)),
    ];
    let a = app.execute_block(&ctx(1), &state, &txs).unwrap();
    let b = app.execute_block(&ctx(1), &state, &txs).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.tx_results[0].code, 0);
    assert_eq!(a.tx_results[1].code, code::INSUFFICIENT_FUNDS);
    assert_eq!(a.tx_results[1].gas_used, 0);
    let mut s = state.clone();
    apply(&mut s, &a.writes);
    assert_eq!(
        app.account_nonce(&s, &keys::to_core(&w.address())).unwrap(),
        1
    );
}

#[test]
fn genesis_predeploys_contracts() {
    let app = app();
    let addr = Address::repeat_byte(0x77);
    let g = serde_json::json!({
        "evm": {"accounts": [{
            "address": format!("{addr:#x}"),
            "code": format!("0x{}", hex::encode(store_and_log_runtime())),
            "storage": {"0x01": "0x2a"},
            "nonce": 1
        }]}
    });
    let w = app.init_genesis(&g, &ctx(0)).unwrap();
    let state: BTreeMap<Vec<u8>, Vec<u8>> = w
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
        .collect();
    let db = StateDb::new(&state, DENOM);
    assert_eq!(db.code(&addr).unwrap(), store_and_log_runtime());
    assert_eq!(db.slot(&addr, &U256::from(1)).unwrap(), U256::from(42));
    assert_eq!(db.nonce(&addr).unwrap(), 1);
    assert!(state.contains_key(&keys::code_hash_key(&addr)));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = EthTx::decode(&bytes);
            let _ = app().decode_tx(&bytes);
        }

        #[test]
        fn signed_txs_round_trip(
            nonce in any::<u64>(),
            value in any::<u128>(),
            gas in 21_000u64..30_000_000,
            data in proptest::collection::vec(any::<u8>(), 0..64),
            kind in 0u8..3,
        ) {
            let w = Wallet::from_index(3);
            let to = Some(Address::repeat_byte(0x33));
            let raw = match kind {
                0 => w.legacy(99, nonce, to, U256::from(value), data.clone(), gas, BASE_FEE),
                1 => w.eip2930(99, nonce, to, U256::from(value), data.clone(), gas, BASE_FEE),
                _ => w.eip1559(99, nonce, to, U256::from(value), data.clone(), gas, BASE_FEE, 1),
            };
            let tx = EthTx::decode(&raw).unwrap();
            prop_assert_eq!(tx.sender, w.address());
            prop_assert_eq!(tx.nonce(), nonce);
            prop_assert_eq!(tx.value(), U256::from(value));
            prop_assert_eq!(tx.gas_limit(), gas);
            prop_assert_eq!(tx.input().to_vec(), data);
            prop_assert_eq!(tx.tx_type(), kind);
            prop_assert_eq!(tx.chain_id(), Some(99));
        }
    }
}
