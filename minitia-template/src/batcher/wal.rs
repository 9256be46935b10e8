//! The batcher's write-ahead log: one small JSON state file, replaced atomically (write a
//! temporary file, fsync it, rename it over the old one, fsync the folder) at every step of a
//! batch, plus the encoded blobs of the batch in flight in their own fsynced file.
//!
//! A batch goes `encoded` (blobs on disk, route chosen) → `posted` (DA pointers known; DA
//! route only) → `recorded` (every L1 record's tx hash known), then the next batch starts.
//! Each step is on disk before the next begins, so after a kill -9 the batcher resumes the
//! batch in flight with the same blobs; what it cannot know (a record tx that landed after
//! the last write) it reads back from the L1 before recording again.

use std::{
    fs::File,
    io::Write,
    path::{Path, PathBuf},
};

use minitia_core::BlobPointer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BatcherError;

/// The WAL's state file inside its folder.
pub const STATE_FILE: &str = "state.json";
const STATE_VERSION: u32 = 1;

/// Where a batch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// Blobs on DA, one `Da` record on the L1.
    Da,
    /// Every blob as an `Inline` record on the L1.
    Inline,
}

impl Route {
    /// `"da"` or `"l1"`, as the status shows it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Da => "da",
            Self::Inline => "l1",
        }
    }
}

/// The batch in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// First L2 height.
    pub start: u64,
    /// Last L2 height.
    pub end: u64,
    /// Where it goes.
    pub route: Route,
    /// Blob file name inside the WAL folder: the chunks in order, then the header.
    pub blobs_file: String,
    /// sha256 of the blob file, checked when it is read back.
    pub blobs_sha256: String,
    /// Number of blobs (chunks + header).
    pub blob_count: usize,
    /// Uncompressed size of the blocks' stream.
    pub raw_len: usize,
    /// L1 height before anything of this batch was recorded: records of this batch can only
    /// be at or above it.
    pub l1_floor: u64,
    /// DA pointers once posted (DA route): chunk pointers, then the header's.
    pub da_pointers: Option<Vec<BlobPointer>>,
    /// Tx hash of each blob's record (Inline route), or of the one record (DA route, index 0).
    pub recorded: Vec<Option<String>>,
    /// The signer's L1 account sequence just before the last record tx was signed, while
    /// that tx's fate is unknown: after a crash the batcher waits for the sequence to move
    /// past it (the tx landed) or for the inclusion timeout (it was dropped) before looking
    /// for the record, so a tx still in the mempool is not recorded a second time.
    #[serde(default)]
    pub record_seq: Option<u64>,
}

/// A batch that is recorded on the L1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finished {
    /// First L2 height.
    pub start: u64,
    /// Last L2 height.
    pub end: u64,
    /// Where it went.
    pub route: Route,
    /// L1 txs that record it.
    pub l1_txs: Vec<String>,
    /// DA height of its header blob (DA route).
    pub da_height: Option<u64>,
    /// Blobs posted.
    pub blobs: usize,
    /// Uncompressed bytes.
    pub raw_len: usize,
    /// Posted bytes.
    pub posted_len: usize,
}

/// The state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalState {
    /// Format version.
    pub version: u32,
    /// First L2 height not yet in a recorded batch.
    pub next_start: u64,
    /// The batch in flight.
    pub pending: Option<Pending>,
    /// The last recorded batch.
    pub last: Option<Finished>,
    /// Batches recorded through DA.
    pub batches_da: u64,
    /// Batches recorded inline on the L1.
    pub batches_inline: u64,
}

/// The WAL folder.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    state: WalState,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> BatcherError + '_ {
    move |e| BatcherError::Wal(format!("{}: {e}", path.display()))
}

/// Writes `bytes` to `path` atomically and durably.
fn write_durable(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), BatcherError> {
    let tmp = dir.join(format!("{name}.tmp"));
    let path = dir.join(name);
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    Ok(())
}

impl Wal {
    /// Opens (or creates, starting at L2 height `first_height`) the WAL in `dir`.
    pub fn open(dir: &Path, first_height: u64) -> Result<Self, BatcherError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(STATE_FILE);
        let state = match std::fs::read(&path) {
            Ok(bytes) => {
                let s: WalState = serde_json::from_slice(&bytes).map_err(|e| {
                    BatcherError::Wal(format!(
                        "{} is corrupt ({e}); it is the only record of the batch in flight: \
                         inspect it, or move it away to restart batching at the height the L1 \
                         records show",
                        path.display()
                    ))
                })?;
                if s.version != STATE_VERSION {
                    return Err(BatcherError::Wal(format!(
                        "{} has version {}, this build reads {STATE_VERSION}",
                        path.display(),
                        s.version
                    )));
                }
                s
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => WalState {
                version: STATE_VERSION,
                next_start: first_height.max(1),
                pending: None,
                last: None,
                batches_da: 0,
                batches_inline: 0,
            },
            Err(e) => return Err(io(&path)(e)),
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            state,
        })
    }

    /// The current state.
    pub fn state(&self) -> &WalState {
        &self.state
    }

    /// Applies `f` and persists the result before returning.
    pub fn update(&mut self, f: impl FnOnce(&mut WalState)) -> Result<(), BatcherError> {
        let mut next = self.state.clone();
        f(&mut next);
        let bytes = serde_json::to_vec_pretty(&next)
            .map_err(|e| BatcherError::Wal(format!("state json: {e}")))?;
        write_durable(&self.dir, STATE_FILE, &bytes)?;
        self.state = next;
        Ok(())
    }

    /// Makes the next batch start at L2 height `height + 1` at the latest (the node was
    /// rolled back to `height`), dropping a batch in flight that holds a discarded block.
    /// Returns the new `next_start`.
    pub fn rewind_to(&mut self, height: u64) -> Result<u64, BatcherError> {
        self.update(|s| {
            if let Some(p) = s.pending.take_if(|p| p.end > height) {
                s.next_start = s.next_start.min(p.start);
            }
            s.next_start = s.next_start.min(height + 1);
        })?;
        Ok(self.state.next_start)
    }

    /// Stores the blobs of batch `start..=end` durably; returns (file name, sha256 hex).
    pub fn store_blobs(
        &self,
        start: u64,
        end: u64,
        blobs: &[Vec<u8>],
    ) -> Result<(String, String), BatcherError> {
        let mut out = Vec::with_capacity(blobs.iter().map(|b| b.len() + 4).sum::<usize>() + 4);
        out.extend_from_slice(&(blobs.len() as u32).to_be_bytes());
        for b in blobs {
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        }
        let name = format!("batch-{start}-{end}.blobs");
        write_durable(&self.dir, &name, &out)?;
        Ok((name, hex::encode(Sha256::digest(&out))))
    }

    /// Reads back the blobs of the pending batch, checking their checksum.
    pub fn load_blobs(&self, p: &Pending) -> Result<Vec<Vec<u8>>, BatcherError> {
        let path = self.dir.join(&p.blobs_file);
        let data = std::fs::read(&path).map_err(io(&path))?;
        let bad = |why: &str| {
            BatcherError::Wal(format!(
                "{} is damaged ({why}); delete it and the `pending` entry of {} to re-encode \
                 batch {}..={}",
                path.display(),
                self.dir.join(STATE_FILE).display(),
                p.start,
                p.end
            ))
        };
        if hex::encode(Sha256::digest(&data)) != p.blobs_sha256 {
            return Err(bad("checksum mismatch"));
        }
        let mut rest = data.as_slice();
        let mut take = |n: usize| -> Result<&[u8], BatcherError> {
            if rest.len() < n {
                return Err(bad("truncated"));
            }
            let (a, b) = rest.split_at(n);
            rest = b;
            Ok(a)
        };
        let count = u32::from_be_bytes(take(4)?.try_into().map_err(|_| bad("count"))?) as usize;
        let mut blobs = Vec::with_capacity(count);
        for _ in 0..count {
            let len = u32::from_be_bytes(take(4)?.try_into().map_err(|_| bad("length"))?);
            blobs.push(take(len as usize)?.to_vec());
        }
        if blobs.len() != p.blob_count {
            return Err(bad("blob count differs from the state file"));
        }
        Ok(blobs)
    }

    /// Deletes a blob file no longer needed.
    pub fn remove_blobs(&self, name: &str) {
        let _ = std::fs::remove_file(self.dir.join(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_and_blobs_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::open(dir.path(), 1).unwrap();
        assert_eq!(wal.state().next_start, 1);
        let blobs = vec![vec![1u8, 2, 3], vec![], vec![9; 1000]];
        let (name, sum) = wal.store_blobs(1, 5, &blobs).unwrap();
        let p = Pending {
            start: 1,
            end: 5,
            route: Route::Inline,
            blobs_file: name,
            blobs_sha256: sum,
            blob_count: 3,
            raw_len: 10,
            l1_floor: 7,
            da_pointers: None,
            recorded: vec![None, Some("AB".into()), None],
            record_seq: Some(4),
        };
        wal.update(|s| s.pending = Some(p.clone())).unwrap();
        drop(wal);
        let wal = Wal::open(dir.path(), 1).unwrap();
        assert_eq!(wal.state().pending.as_ref(), Some(&p));
        assert_eq!(wal.load_blobs(&p).unwrap(), blobs);
        // a damaged blob file is refused, naming the batch
        std::fs::write(dir.path().join(&p.blobs_file), b"xx").unwrap();
        let e = wal.load_blobs(&p).unwrap_err().to_string();
        assert!(e.contains("batch 1..=5"), "{e}");
        std::fs::write(dir.path().join(STATE_FILE), b"{").unwrap();
        assert!(matches!(
            Wal::open(dir.path(), 1),
            Err(BatcherError::Wal(_))
        ));
    }
}
