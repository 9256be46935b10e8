//! revm's [`Database`] over a [`StateView`]: every EVM read goes through the chain's view, so
//! the same engine runs on the live store and on a fraud-proof witness.

use cosmrs::proto::cosmos::auth::v1beta1::BaseAccount;
use minitia_core::{StateError, StateView};
use prost::Message;
use revm::{
    bytecode::Bytecode,
    database_interface::{DBErrorMarker, Database},
    primitives::{Address, StorageKey, StorageValue, B256, KECCAK_EMPTY, U256},
    state::AccountInfo,
};

use crate::keys;

/// A state read failed, or stored data is malformed. Always fatal for the block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// The view failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// A stored value has the wrong shape.
    #[error("stored EVM state is malformed: {0}")]
    Malformed(String),
}

impl DBErrorMarker for DbError {}

/// An account as revm first loaded it in a tx: lets the state diff be written without
/// reading (and decoding) the same keys again.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Native balance before the tx.
    pub balance: u128,
    /// The auth account before the tx.
    pub account: Option<BaseAccount>,
}

/// Accounts loaded during one tx, by address.
pub type LoadedAccounts = std::collections::HashMap<Address, Loaded>;

/// Reads EVM accounts, code and storage from a [`StateView`].
pub struct StateDb<'a> {
    view: &'a dyn StateView,
    denom: &'a str,
    /// Accounts loaded so far (see [`Loaded`]).
    pub loaded: LoadedAccounts,
}

impl<'a> StateDb<'a> {
    /// A database over `view`; native balances are bank balances in `denom`.
    pub fn new(view: &'a dyn StateView, denom: &'a str) -> Self {
        Self {
            view,
            denom,
            loaded: LoadedAccounts::new(),
        }
    }

    /// Native balance (wei = base units of the fee denom).
    pub fn balance(&self, addr: &Address) -> Result<u128, DbError> {
        read_balance(self.view, addr, self.denom)
    }

    /// Nonce (the auth account's sequence).
    pub fn nonce(&self, addr: &Address) -> Result<u64, DbError> {
        Ok(read_account(self.view, addr)?.map_or(0, |a| a.sequence))
    }

    /// Code hash, `None` when the account has no code.
    pub fn code_hash(&self, addr: &Address) -> Result<Option<B256>, DbError> {
        match self.view.get(&keys::code_hash_key(addr))? {
            None => Ok(None),
            Some(b) => B256::try_from(b.as_slice())
                .map(Some)
                .map_err(|_| DbError::Malformed(format!("code hash of {addr}"))),
        }
    }

    /// Code bytes of `addr` (empty when none).
    pub fn code(&self, addr: &Address) -> Result<Vec<u8>, DbError> {
        match self.code_hash(addr)? {
            None => Ok(Vec::new()),
            Some(h) => Ok(self.view.get(&keys::code_key(&h))?.unwrap_or_default()),
        }
    }

    /// Storage slot value (for an ERC-20 view's holder slot, the holder's bank balance).
    pub fn slot(&self, addr: &Address, slot: &U256) -> Result<U256, DbError> {
        if crate::erc20::is_token_address(addr) {
            if let Some(holder) = crate::erc20::slot_holder(slot) {
                if let Some(denom) = crate::erc20::read_denom(self.view, addr)? {
                    return Ok(U256::from(read_balance(self.view, &holder, &denom)?));
                }
            }
        }
        read_slot(self.view, addr, slot)
    }
}

/// What the ERC-20 views ([`crate::erc20`]) read beyond revm's [`Database`].
pub trait TokenDb: Database<Error = DbError> {
    /// The denom of the registered token at `token`.
    fn token_denom(&mut self, token: &Address) -> Result<Option<String>, DbError>;
    /// Total supply of `denom`.
    fn token_supply(&mut self, denom: &str) -> Result<u128, DbError>;
    /// The L1 denom that bridged L2 `denom` stands for.
    fn token_base_denom(&mut self, denom: &str) -> Result<Option<String>, DbError>;
}

fn decode_u128(what: &str, b: &[u8]) -> Result<u128, DbError> {
    <[u8; 16]>::try_from(b)
        .map(u128::from_be_bytes)
        .map_err(|_| DbError::Malformed(format!("{what} is not 16 bytes")))
}

impl TokenDb for StateDb<'_> {
    fn token_denom(&mut self, token: &Address) -> Result<Option<String>, DbError> {
        crate::erc20::read_denom(self.view, token)
    }

    fn token_supply(&mut self, denom: &str) -> Result<u128, DbError> {
        match self.view.get(&minitia_app::bank::supply_key(denom))? {
            None => Ok(0),
            Some(b) => decode_u128(&format!("supply of {denom}"), &b),
        }
    }

    fn token_base_denom(&mut self, denom: &str) -> Result<Option<String>, DbError> {
        Ok(self
            .view
            .get(&minitia_app::opchild::base_denom_key(denom))?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }
}

/// Reads the bank balance that is `addr`'s native balance.
pub fn read_balance(view: &dyn StateView, addr: &Address, denom: &str) -> Result<u128, DbError> {
    match view.get(&keys::balance_key(addr, denom))? {
        None => Ok(0),
        Some(b) => <[u8; 16]>::try_from(b.as_slice())
            .map(u128::from_be_bytes)
            .map_err(|_| DbError::Malformed(format!("balance of {addr} is not 16 bytes"))),
    }
}

/// Reads the auth account of `addr`.
pub fn read_account(view: &dyn StateView, addr: &Address) -> Result<Option<BaseAccount>, DbError> {
    match view.get(&keys::account_key(addr))? {
        None => Ok(None),
        Some(b) => BaseAccount::decode(b.as_slice())
            .map(Some)
            .map_err(|e| DbError::Malformed(format!("account {addr}: {e}"))),
    }
}

/// Reads a storage slot.
pub fn read_slot(view: &dyn StateView, addr: &Address, slot: &U256) -> Result<U256, DbError> {
    match view.get(&keys::storage_key(addr, slot))? {
        None => Ok(U256::ZERO),
        Some(b) if b.len() <= 32 => Ok(U256::from_be_slice(&b)),
        Some(_) => Err(DbError::Malformed(format!("slot {slot} of {addr}"))),
    }
}

impl Database for StateDb<'_> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        let balance = self.balance(&address)?;
        let account = read_account(self.view, &address)?;
        let code_hash = self.code_hash(&address)?;
        let nonce = account.as_ref().map_or(0, |a| a.sequence);
        let exists = balance != 0 || account.is_some() || code_hash.is_some();
        self.loaded.insert(address, Loaded { balance, account });
        if !exists {
            return Ok(None);
        }
        Ok(Some(AccountInfo {
            balance: U256::from(balance),
            nonce,
            code_hash: code_hash.unwrap_or(KECCAK_EMPTY),
            code: None,
            ..Default::default()
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        if code_hash == KECCAK_EMPTY || code_hash == B256::ZERO {
            return Ok(Bytecode::default());
        }
        let bytes = self
            .view
            .get(&keys::code_key(&code_hash))?
            .ok_or_else(|| DbError::Malformed(format!("code {code_hash} is missing")))?;
        Ok(Bytecode::new_raw(bytes.into()))
    }

    fn storage(&mut self, address: Address, index: StorageKey) -> Result<StorageValue, DbError> {
        self.slot(&address, &index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        match self.view.get(&keys::block_hash_key(number))? {
            Some(b) if b.len() == 32 => Ok(B256::from_slice(&b)),
            _ => Ok(B256::ZERO),
        }
    }
}
