//! Global storage: the host-facing [`Storage`] trait, an in-memory implementation, and the
//! per-session [`DataCache`] that holds loaded resources and produces a [`ChangeSet`].

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::file_format::AccountAddress;
use crate::interpreter::value::{from_bcs, to_bcs, Layout, Value};
use crate::types::StructTag;

/// Read access to resources persisted by the host. Values are BCS-encoded.
pub trait Storage {
    /// The BCS bytes of resource `tag` at `address`, if any.
    fn get_resource(
        &self,
        address: &AccountAddress,
        tag: &StructTag,
    ) -> Result<Option<Vec<u8>>, String>;

    /// The BCS bytes of entry `key` (BCS of the key) of table `handle`, if any. Hosts
    /// without tables keep the default.
    fn get_table_item(
        &self,
        handle: &AccountAddress,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, String> {
        let _ = (handle, key);
        Ok(None)
    }

    /// The denom of the host's coin whose metadata object address is `metadata`, if any.
    /// Hosts without coins keep the default.
    fn coin_denom(&self, metadata: &AccountAddress) -> Result<Option<String>, String> {
        let _ = metadata;
        Ok(None)
    }

    /// The balance of `account` in `denom`, or `None` if the host cannot keep coins at that
    /// address (a Cosmos bank holds 20-byte accounts only). Hosts without coins keep the
    /// default.
    fn coin_balance(&self, account: &AccountAddress, denom: &str) -> Result<Option<u128>, String> {
        let _ = (account, denom);
        Ok(None)
    }
}

/// Resource writes of a session: `Some(bytes)` to write, `None` to delete. Ordered by
/// (address, struct tag).
pub type ChangeSet = BTreeMap<(AccountAddress, StructTag), Option<Vec<u8>>>;

/// A simple map-backed storage.
#[derive(Clone, Debug, Default)]
pub struct InMemoryStorage {
    resources: BTreeMap<(AccountAddress, StructTag), Vec<u8>>,
    tables: BTreeMap<(AccountAddress, Vec<u8>), Vec<u8>>,
}

impl InMemoryStorage {
    /// Empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a change set.
    pub fn apply(&mut self, changes: ChangeSet) {
        for (key, change) in changes {
            match change {
                Some(bytes) => {
                    self.resources.insert(key, bytes);
                }
                None => {
                    self.resources.remove(&key);
                }
            }
        }
    }

    /// Applies resource and table writes of a session.
    pub fn apply_effects(&mut self, effects: crate::interpreter::Effects) {
        self.apply(effects.resources);
        for (key, change) in effects.tables {
            match change {
                Some(bytes) => {
                    self.tables.insert(key, bytes);
                }
                None => {
                    self.tables.remove(&key);
                }
            }
        }
    }

    /// Number of stored resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether no resource is stored.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

impl Storage for InMemoryStorage {
    fn get_resource(
        &self,
        address: &AccountAddress,
        tag: &StructTag,
    ) -> Result<Option<Vec<u8>>, String> {
        Ok(self.resources.get(&(*address, tag.clone())).cloned())
    }

    fn get_table_item(
        &self,
        handle: &AccountAddress,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, String> {
        Ok(self.tables.get(&(*handle, key.to_vec())).cloned())
    }
}

/// A resource slot: its original bytes and its current value (if it exists now).
#[derive(Debug)]
struct Slot {
    original: Option<Vec<u8>>,
    current: Option<Rc<RefCell<Value>>>,
}

/// Resources touched by a session.
#[derive(Debug, Default)]
pub struct DataCache {
    slots: BTreeMap<(AccountAddress, StructTag), Slot>,
}

impl DataCache {
    /// Loads (once) the slot for `(address, tag)`, decoding stored bytes with `layout`.
    fn slot(
        &mut self,
        storage: &dyn Storage,
        address: AccountAddress,
        tag: &StructTag,
        layout: &Layout,
    ) -> Result<&mut Slot, String> {
        let key = (address, tag.clone());
        if !self.slots.contains_key(&key) {
            let original = storage.get_resource(&address, tag)?;
            let current = match &original {
                Some(bytes) => Some(Rc::new(RefCell::new(
                    from_bcs(bytes, layout).map_err(|e| format!("resource {tag}: {e}"))?,
                ))),
                None => None,
            };
            self.slots.insert(key.clone(), Slot { original, current });
        }
        self.slots
            .get_mut(&key)
            .ok_or_else(|| "resource slot vanished".to_string())
    }

    /// Whether the resource exists.
    pub fn exists(
        &mut self,
        storage: &dyn Storage,
        address: AccountAddress,
        tag: &StructTag,
        layout: &Layout,
    ) -> Result<bool, String> {
        Ok(self.slot(storage, address, tag, layout)?.current.is_some())
    }

    /// The cell of an existing resource (for `borrow_global`).
    pub fn cell(
        &mut self,
        storage: &dyn Storage,
        address: AccountAddress,
        tag: &StructTag,
        layout: &Layout,
    ) -> Result<Option<Rc<RefCell<Value>>>, String> {
        Ok(self.slot(storage, address, tag, layout)?.current.clone())
    }

    /// Publishes a resource; returns `false` (and does nothing) if it already exists.
    pub fn move_to(
        &mut self,
        storage: &dyn Storage,
        address: AccountAddress,
        tag: &StructTag,
        layout: &Layout,
        value: Value,
    ) -> Result<bool, String> {
        let slot = self.slot(storage, address, tag, layout)?;
        if slot.current.is_some() {
            return Ok(false);
        }
        slot.current = Some(Rc::new(RefCell::new(value)));
        Ok(true)
    }

    /// Removes a resource and returns it, or `None` if it does not exist.
    pub fn move_from(
        &mut self,
        storage: &dyn Storage,
        address: AccountAddress,
        tag: &StructTag,
        layout: &Layout,
    ) -> Result<Option<Value>, String> {
        let slot = self.slot(storage, address, tag, layout)?;
        match slot.current.take() {
            None => Ok(None),
            Some(cell) => {
                let value = cell
                    .try_borrow_mut()
                    .map_err(|_| format!("resource {tag} is borrowed"))?
                    .clone();
                Ok(Some(value))
            }
        }
    }

    /// The writes needed to persist the session: resources whose bytes changed.
    pub fn into_change_set(self) -> Result<ChangeSet, String> {
        let mut changes = ChangeSet::new();
        for (key, slot) in self.slots {
            let now = match &slot.current {
                Some(cell) => {
                    Some(to_bcs(&*cell.try_borrow().map_err(|_| {
                        format!("resource {} is still borrowed", key.1)
                    })?)?)
                }
                None => None,
            };
            if now != slot.original {
                changes.insert(key, now);
            }
        }
        Ok(changes)
    }
}
