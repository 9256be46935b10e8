//! The local DA node's persistent store (redb): one row per DA block with its header and
//! blobs, plus node metadata. A block is written in one transaction before anyone is told
//! its height, so an acknowledged blob survives a crash.

use std::path::Path;

use celestia_types::blob::RawBlob;
use celestia_types::{Blob, ExtendedHeader};
use prost::Message;
use redb::{Database, ReadableDatabase, TableDefinition};
use tendermint_proto::Protobuf;

use crate::error::LocalDaError;

const HEADERS: TableDefinition<u64, &[u8]> = TableDefinition::new("headers");
const BLOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("blobs");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

const META_HEAD: &str = "head";
const META_SEED: &str = "validator_seed";
const META_BALANCE: &str = "balance";

/// The persistent store of a local DA node.
pub struct Store {
    db: Database,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> LocalDaError {
    LocalDaError::Storage(format!("stored {what} does not decode ({e})"))
}

/// Blobs in square order with their share index: `u64 index | u32 len | RawBlob` repeated.
fn encode_blobs(blobs: &[Blob]) -> Vec<u8> {
    let mut out = Vec::new();
    for blob in blobs {
        let raw = RawBlob::from(blob.clone()).encode_to_vec();
        out.extend_from_slice(&blob.index.unwrap_or(u64::MAX).to_le_bytes());
        out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        out.extend_from_slice(&raw);
    }
    out
}

fn decode_blobs(mut bytes: &[u8]) -> Result<Vec<Blob>, LocalDaError> {
    let mut blobs = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 12 {
            return Err(corrupt("blobs", "truncated entry"));
        }
        let (idx, rest) = bytes.split_at(8);
        let (len, rest) = rest.split_at(4);
        let index = u64::from_le_bytes(idx.try_into().map_err(|e| corrupt("blobs", e))?);
        let len = u32::from_le_bytes(len.try_into().map_err(|e| corrupt("blobs", e))?) as usize;
        if rest.len() < len {
            return Err(corrupt("blobs", "truncated blob"));
        }
        let (raw, rest) = rest.split_at(len);
        let raw = RawBlob::decode(raw).map_err(|e| corrupt("blobs", e))?;
        let mut blob = Blob::from_raw(raw).map_err(|e| corrupt("blobs", e))?;
        blob.index = (index != u64::MAX).then_some(index);
        blobs.push(blob);
        bytes = rest;
    }
    Ok(blobs)
}

impl Store {
    /// Opens or creates the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self, LocalDaError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            LocalDaError::Storage(format!("cannot create data dir {}: {e}", dir.display()))
        })?;
        let db = Database::create(dir.join("da.redb"))?;
        let tx = db.begin_write()?;
        tx.open_table(HEADERS)?;
        tx.open_table(BLOBS)?;
        tx.open_table(META)?;
        tx.commit()?;
        Ok(Self { db })
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, LocalDaError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(META)?;
        Ok(table.get(key)?.map(|v| v.value().to_vec()))
    }

    /// Height of the newest stored block (0 when empty).
    pub fn head(&self) -> Result<u64, LocalDaError> {
        match self.meta(META_HEAD)? {
            None => Ok(0),
            Some(v) => Ok(u64::from_le_bytes(
                v.as_slice().try_into().map_err(|e| corrupt("head", e))?,
            )),
        }
    }

    /// The validator seed, created with `make` and stored on first use.
    pub fn validator_seed(
        &self,
        make: impl FnOnce() -> [u8; 32],
    ) -> Result<[u8; 32], LocalDaError> {
        if let Some(v) = self.meta(META_SEED)? {
            return v
                .as_slice()
                .try_into()
                .map_err(|e| corrupt("validator seed", e));
        }
        let seed = make();
        let tx = self.db.begin_write()?;
        tx.open_table(META)?.insert(META_SEED, seed.as_slice())?;
        tx.commit()?;
        Ok(seed)
    }

    /// The account balance, `initial` until the first fee is paid.
    pub fn balance(&self, initial: u64) -> Result<u64, LocalDaError> {
        match self.meta(META_BALANCE)? {
            None => Ok(initial),
            Some(v) => Ok(u64::from_le_bytes(
                v.as_slice().try_into().map_err(|e| corrupt("balance", e))?,
            )),
        }
    }

    /// Stores block `header.height()` with `blobs` and the new balance, and moves the head.
    pub fn put_block(
        &self,
        header: &ExtendedHeader,
        blobs: &[Blob],
        balance: u64,
    ) -> Result<(), LocalDaError> {
        let height = header.height();
        let tx = self.db.begin_write()?;
        {
            let header_bytes = Protobuf::encode_vec(header.clone());
            tx.open_table(HEADERS)?
                .insert(height, header_bytes.as_slice())?;
            tx.open_table(BLOBS)?
                .insert(height, encode_blobs(blobs).as_slice())?;
            let mut meta = tx.open_table(META)?;
            meta.insert(META_HEAD, height.to_le_bytes().as_slice())?;
            meta.insert(META_BALANCE, balance.to_le_bytes().as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The header at `height`.
    pub fn header(&self, height: u64) -> Result<Option<ExtendedHeader>, LocalDaError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(HEADERS)?;
        let Some(v) = table.get(height)? else {
            return Ok(None);
        };
        let header =
            <ExtendedHeader as Protobuf<_>>::decode(v.value()).map_err(|e| corrupt("header", e))?;
        Ok(Some(header))
    }

    /// The blobs of block `height`, in square order with their indexes.
    pub fn blobs(&self, height: u64) -> Result<Option<Vec<Blob>>, LocalDaError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(BLOBS)?;
        let Some(v) = table.get(height)? else {
            return Ok(None);
        };
        decode_blobs(v.value()).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use celestia_types::nmt::Namespace;

    #[test]
    fn blob_list_round_trips() {
        let ns = Namespace::new_v0(b"abc").unwrap();
        let mut a = Blob::new(ns, vec![1; 1000], None).unwrap();
        a.index = Some(4);
        let b = Blob::new(ns, vec![2; 3], None).unwrap();
        let back = decode_blobs(&encode_blobs(&[a.clone(), b.clone()])).unwrap();
        assert_eq!(back, vec![a, b]);
        assert!(decode_blobs(&[1, 2, 3]).is_err());
    }
}
