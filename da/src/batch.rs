//! The OPinit-style batch format: finished L2 blocks, each length-prefixed, go through one
//! gzip stream; the compressed stream is cut into chunks that each fit a DA blob, and a
//! header blob lists the sha256 of every chunk. A follower fetches the header, fetches the
//! chunks, checks each against its checksum, decompresses, and gets the blocks back.
//!
//! Wire layout (big-endian integers), the same as opinit-bots' `executor/types/batch.go`:
//! - header: `0x00 | start u64 | end u64 | n u64 | n × sha256(chunk data)`
//! - chunk:  `0x01 | start u64 | end u64 | index u64 | n u64 | chunk data`
//!
//! `start..=end` are the L2 heights in the batch. The uncompressed stream is
//! `len u64 | block bytes` per block. [`Assembler`] puts batches back together from blobs read
//! in any order.
//!
//! # What a block is
//! Each block in the stream is the CometBFT protobuf `tendermint.types.Block` of that L2
//! height (header, txs, evidence, last_commit) exactly as the sequencer's node serves it over
//! the CometBFT RPC `block` method, re-encoded with `tendermint_proto`. A follower decodes it
//! with `tendermint::Block::try_from(proto)`, checks `header.hash()` against the previous
//! block's `last_block_id`, and checks the sequencer's signatures of height `h` in the
//! `last_commit` of height `h + 1` (so the last block of a batch is signed in the first block
//! of the next batch).
//!
//! # Where a batch is recorded: [`BatchRecord`]
//! The batch submitter records every batch on the L1 with OPinit's
//! `MsgRecordBatch { submitter, bridge_id, batch_bytes }`; `batch_bytes` is a
//! [`BatchRecord`]. Its encoding is versioned and deterministic (one byte string per value,
//! big-endian integers, no trailing bytes):
//!
//! ```text
//! version u8 (= 1) | kind u8 | body
//! kind 0, Da:     namespace [29] | start u64 | end u64
//!                 | header: height u64 | commitment [32]
//!                 | n u32 | n × (height u64 | commitment [32])     chunk i at position i
//! kind 1, Inline: len u32 | len bytes of one batch blob (a header or a chunk, as above)
//! ```
//!
//! A `Da` record says the batch `start..=end` lives on DA: its header blob and each chunk
//! blob under `namespace` at the given (height, share commitment). An `Inline` record carries
//! one blob of a batch on the L1 itself — what the submitter posts while DA is down (failover)
//! or when the chain has no DA (OPinit's `INITIA` chain type); a batch posted inline is one
//! record per chunk plus one for the header, each in its own L1 tx, and a follower feeds the
//! blobs to an [`Assembler`] exactly as it would blobs read from DA.
//!
//! The L1 does not look inside `batch_bytes`; a follower must only accept records whose tx
//! signer is the bridge's batch submitter.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};

use crate::node::MAX_BLOB_SIZE;

const TYPE_HEADER: u8 = 0;
const TYPE_CHUNK: u8 = 1;
const HEADER_PREFIX: usize = 25;
const CHUNK_PREFIX: usize = 33;

/// Why a batch could not be built or read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// A blob is not a batch header.
    #[error("bad batch header: {0}")]
    BadHeader(String),
    /// A blob is not a chunk of this batch.
    #[error("bad chunk {index} of batch {start}..={end}: {reason}")]
    BadChunk {
        /// First L2 height of the batch.
        start: u64,
        /// Last L2 height of the batch.
        end: u64,
        /// Chunk index (as claimed, or the position expected).
        index: u64,
        /// What is wrong.
        reason: String,
    },
    /// Chunks are missing.
    #[error("batch {start}..={end} is missing chunk {index} of {total}")]
    MissingChunk {
        /// First L2 height.
        start: u64,
        /// Last L2 height.
        end: u64,
        /// The first missing index.
        index: u64,
        /// Number of chunks the header lists.
        total: u64,
    },
    /// The chunks are authentic but their contents do not decode into the claimed blocks.
    #[error("batch {start}..={end} does not decode: {reason}")]
    BadContents {
        /// First L2 height.
        start: u64,
        /// Last L2 height.
        end: u64,
        /// What is wrong.
        reason: String,
    },
    /// Encoding input is unusable (no blocks, chunk size too small).
    #[error("cannot build batch: {0}")]
    InvalidInput(String),
}

/// The Celestia namespace of a chain's batches: version 0, id = sha256(chain_id)[..10].
pub fn namespace_for_chain(chain_id: &str) -> minitia_core::Namespace {
    let digest = Sha256::digest(chain_id.as_bytes());
    let mut ns = [0u8; 29];
    ns[19..].copy_from_slice(&digest[..10]);
    minitia_core::Namespace(ns)
}

/// A parsed batch header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchHeader {
    /// First L2 height.
    pub start: u64,
    /// Last L2 height.
    pub end: u64,
    /// sha256 of each chunk's data, in order.
    pub checksums: Vec<[u8; 32]>,
}

/// A parsed batch chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchChunk {
    /// First L2 height.
    pub start: u64,
    /// Last L2 height.
    pub end: u64,
    /// Position of this chunk.
    pub index: u64,
    /// Number of chunks in the batch.
    pub length: u64,
    /// Compressed bytes.
    pub data: Vec<u8>,
}

/// A batch ready to post: the chunk blobs, then the header blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBatch {
    /// First L2 height.
    pub start: u64,
    /// Last L2 height.
    pub end: u64,
    /// Header blob.
    pub header: Vec<u8>,
    /// Chunk blobs, each at most the max blob size given to [`encode`].
    pub chunks: Vec<Vec<u8>>,
    /// Total uncompressed size of the blocks' stream.
    pub raw_len: usize,
}

impl EncodedBatch {
    /// Total bytes posted (header plus chunks).
    pub fn posted_len(&self) -> usize {
        self.header.len() + self.chunks.iter().map(Vec::len).sum::<usize>()
    }
}

impl BatchHeader {
    /// Wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_PREFIX + 32 * self.checksums.len());
        out.push(TYPE_HEADER);
        out.extend_from_slice(&self.start.to_be_bytes());
        out.extend_from_slice(&self.end.to_be_bytes());
        out.extend_from_slice(&(self.checksums.len() as u64).to_be_bytes());
        for c in &self.checksums {
            out.extend_from_slice(c);
        }
        out
    }

    /// Parses a header blob.
    pub fn from_bytes(data: &[u8]) -> Result<Self, BatchError> {
        let bad = BatchError::BadHeader;
        if data.len() < HEADER_PREFIX {
            return Err(bad(format!(
                "{} bytes, need at least {HEADER_PREFIX}",
                data.len()
            )));
        }
        if data[0] != TYPE_HEADER {
            return Err(bad(format!("type byte {} is not a header (0)", data[0])));
        }
        let start = be_u64(&data[1..9]);
        let end = be_u64(&data[9..17]);
        let n = be_u64(&data[17..25]);
        if start > end {
            return Err(bad(format!("start {start} > end {end}")));
        }
        let rest = &data[HEADER_PREFIX..];
        if !rest.len().is_multiple_of(32) || (rest.len() / 32) as u64 != n {
            return Err(bad(format!(
                "claims {n} checksums but carries {} bytes of them",
                rest.len()
            )));
        }
        if n == 0 {
            return Err(bad("no chunks".into()));
        }
        let checksums = rest
            .chunks_exact(32)
            .map(|c| {
                let mut a = [0u8; 32];
                a.copy_from_slice(c);
                a
            })
            .collect();
        Ok(Self {
            start,
            end,
            checksums,
        })
    }
}

impl BatchChunk {
    /// Wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(CHUNK_PREFIX + self.data.len());
        out.push(TYPE_CHUNK);
        out.extend_from_slice(&self.start.to_be_bytes());
        out.extend_from_slice(&self.end.to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
        out.extend_from_slice(&self.data);
        out
    }

    /// Parses a chunk blob.
    pub fn from_bytes(data: &[u8]) -> Result<Self, BatchError> {
        let bad = |reason: String| BatchError::BadChunk {
            start: 0,
            end: 0,
            index: 0,
            reason,
        };
        if data.len() < CHUNK_PREFIX {
            return Err(bad(format!(
                "{} bytes, need at least {CHUNK_PREFIX}",
                data.len()
            )));
        }
        if data[0] != TYPE_CHUNK {
            return Err(bad(format!("type byte {} is not a chunk (1)", data[0])));
        }
        let chunk = Self {
            start: be_u64(&data[1..9]),
            end: be_u64(&data[9..17]),
            index: be_u64(&data[17..25]),
            length: be_u64(&data[25..33]),
            data: data[CHUNK_PREFIX..].to_vec(),
        };
        if chunk.start > chunk.end || chunk.index >= chunk.length {
            return Err(BatchError::BadChunk {
                start: chunk.start,
                end: chunk.end,
                index: chunk.index,
                reason: format!(
                    "inconsistent fields (index {} of {})",
                    chunk.index, chunk.length
                ),
            });
        }
        Ok(chunk)
    }
}

fn be_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

/// Compresses blocks `start..start+blocks.len()` into a batch whose blobs are each at most
/// `max_blob_size` bytes.
pub fn encode(
    start: u64,
    blocks: &[Vec<u8>],
    max_blob_size: usize,
) -> Result<EncodedBatch, BatchError> {
    if blocks.is_empty() {
        return Err(BatchError::InvalidInput("no blocks".into()));
    }
    if max_blob_size <= CHUNK_PREFIX || max_blob_size < HEADER_PREFIX + 32 {
        return Err(BatchError::InvalidInput(format!(
            "max blob size {max_blob_size} leaves no room for data"
        )));
    }
    let end = start + blocks.len() as u64 - 1;
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    let mut raw_len = 0usize;
    for block in blocks {
        let io = |e: std::io::Error| BatchError::InvalidInput(e.to_string());
        gz.write_all(&(block.len() as u64).to_be_bytes())
            .map_err(io)?;
        gz.write_all(block).map_err(io)?;
        raw_len += 8 + block.len();
    }
    let compressed = gz
        .finish()
        .map_err(|e| BatchError::InvalidInput(e.to_string()))?;
    let per_chunk = max_blob_size - CHUNK_PREFIX;
    let pieces: Vec<&[u8]> = compressed.chunks(per_chunk).collect();
    let length = pieces.len() as u64;
    if HEADER_PREFIX + 32 * pieces.len() > max_blob_size {
        return Err(BatchError::InvalidInput(format!(
            "{} chunks do not fit one header blob; post fewer blocks per batch",
            pieces.len()
        )));
    }
    let mut checksums = Vec::with_capacity(pieces.len());
    let mut chunks = Vec::with_capacity(pieces.len());
    for (index, piece) in pieces.into_iter().enumerate() {
        checksums.push(Sha256::digest(piece).into());
        chunks.push(
            BatchChunk {
                start,
                end,
                index: index as u64,
                length,
                data: piece.to_vec(),
            }
            .to_bytes(),
        );
    }
    let header = BatchHeader {
        start,
        end,
        checksums,
    }
    .to_bytes();
    Ok(EncodedBatch {
        start,
        end,
        header,
        chunks,
        raw_len,
    })
}

/// [`encode`] with Celestia mainnet's max blob size.
pub fn encode_for_celestia(start: u64, blocks: &[Vec<u8>]) -> Result<EncodedBatch, BatchError> {
    encode(start, blocks, MAX_BLOB_SIZE)
}

/// Checks `chunks` (any order, duplicates allowed) against `header` and returns the blocks.
/// `max_raw_len` bounds the decompressed size, so a hostile batch cannot exhaust memory.
pub fn decode(
    header: &BatchHeader,
    chunks: &[BatchChunk],
    max_raw_len: usize,
) -> Result<Vec<Vec<u8>>, BatchError> {
    let (start, end) = (header.start, header.end);
    let total = header.checksums.len() as u64;
    let mut ordered: Vec<Option<&BatchChunk>> = vec![None; header.checksums.len()];
    for chunk in chunks {
        let bad = |reason: String| BatchError::BadChunk {
            start,
            end,
            index: chunk.index,
            reason,
        };
        if chunk.start != start || chunk.end != end {
            return Err(bad(format!(
                "belongs to batch {}..={}, not this one",
                chunk.start, chunk.end
            )));
        }
        if chunk.length != total {
            return Err(bad(format!(
                "claims {} chunks, header lists {total}",
                chunk.length
            )));
        }
        let i = usize::try_from(chunk.index).map_err(|e| bad(e.to_string()))?;
        let want = header
            .checksums
            .get(i)
            .ok_or_else(|| bad(format!("index beyond {total} chunks")))?;
        let got: [u8; 32] = Sha256::digest(&chunk.data).into();
        if &got != want {
            return Err(bad(format!(
                "checksum {} does not match header's {}",
                hex::encode(got),
                hex::encode(want)
            )));
        }
        ordered[i] = Some(chunk);
    }
    let mut compressed = Vec::new();
    for (i, c) in ordered.iter().enumerate() {
        let c = c.ok_or(BatchError::MissingChunk {
            start,
            end,
            index: i as u64,
            total,
        })?;
        compressed.extend_from_slice(&c.data);
    }
    let contents = |reason: String| BatchError::BadContents { start, end, reason };
    let mut raw = Vec::new();
    GzDecoder::new(compressed.as_slice())
        .take(max_raw_len as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|e| contents(format!("gzip: {e}")))?;
    if raw.len() > max_raw_len {
        return Err(contents(format!(
            "decompresses to more than {max_raw_len} bytes"
        )));
    }
    let mut blocks = Vec::new();
    let mut rest = raw.as_slice();
    while !rest.is_empty() {
        if rest.len() < 8 {
            return Err(contents("truncated block length".into()));
        }
        let len = usize::try_from(be_u64(&rest[..8])).map_err(|e| contents(e.to_string()))?;
        rest = &rest[8..];
        if rest.len() < len {
            return Err(contents(format!("block {} truncated", blocks.len())));
        }
        blocks.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    let expected = end - start + 1;
    if blocks.len() as u64 != expected {
        return Err(contents(format!(
            "holds {} blocks, header says {expected}",
            blocks.len()
        )));
    }
    Ok(blocks)
}

/// A complete, verified batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedBatch {
    /// First L2 height.
    pub start: u64,
    /// Last L2 height.
    pub end: u64,
    /// The blocks `start..=end`, in order.
    pub blocks: Vec<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Partial {
    header: Option<BatchHeader>,
    chunks: std::collections::BTreeMap<u64, BatchChunk>,
}

/// Collects header and chunk blobs in any order (as a follower reads them from DA, height by
/// height) and yields each batch once its header and every chunk have arrived.
///
/// A chunk whose checksum disagrees with its header, or a blob that is neither a header nor
/// a chunk, is an error naming the batch — a follower must halt there rather than skip it.
/// Re-posted identical blobs (a submitter retrying after a crash) are accepted once.
#[derive(Debug)]
pub struct Assembler {
    partial: std::collections::BTreeMap<(u64, u64), Partial>,
    max_raw_len: usize,
}

impl Assembler {
    /// An assembler that refuses batches decompressing to more than `max_raw_len` bytes.
    pub fn new(max_raw_len: usize) -> Self {
        Self {
            partial: std::collections::BTreeMap::new(),
            max_raw_len,
        }
    }

    /// Batches still waiting for blobs, as `(start, end)`.
    pub fn incomplete(&self) -> Vec<(u64, u64)> {
        self.partial.keys().copied().collect()
    }

    /// Takes one blob; returns the batch it completes, if any.
    pub fn push(&mut self, blob: &[u8]) -> Result<Option<DecodedBatch>, BatchError> {
        let key = match blob.first() {
            Some(&TYPE_HEADER) => {
                let header = BatchHeader::from_bytes(blob)?;
                let key = (header.start, header.end);
                let entry = self.partial.entry(key).or_default();
                match &entry.header {
                    Some(existing) if existing != &header => {
                        return Err(BatchError::BadHeader(format!(
                            "two different headers for batch {}..={}",
                            header.start, header.end
                        )))
                    }
                    _ => entry.header = Some(header),
                }
                key
            }
            Some(&TYPE_CHUNK) => {
                let chunk = BatchChunk::from_bytes(blob)?;
                let key = (chunk.start, chunk.end);
                let entry = self.partial.entry(key).or_default();
                if let Some(existing) = entry.chunks.get(&chunk.index) {
                    if existing != &chunk {
                        return Err(BatchError::BadChunk {
                            start: chunk.start,
                            end: chunk.end,
                            index: chunk.index,
                            reason: "posted twice with different contents".into(),
                        });
                    }
                }
                entry.chunks.insert(chunk.index, chunk);
                key
            }
            other => {
                return Err(BatchError::BadHeader(format!(
                "blob of {} bytes with type byte {other:?} is neither a batch header nor a chunk",
                blob.len()
            )))
            }
        };
        let Some(entry) = self.partial.get(&key) else {
            return Ok(None);
        };
        let Some(header) = &entry.header else {
            return Ok(None);
        };
        // check every chunk seen so far against the header, so corruption is reported as
        // soon as it can be, not only once the batch is complete
        for chunk in entry.chunks.values() {
            let want = header.checksums.get(chunk.index as usize);
            let got: [u8; 32] = Sha256::digest(&chunk.data).into();
            if want != Some(&got) || chunk.length != header.checksums.len() as u64 {
                return Err(BatchError::BadChunk {
                    start: key.0,
                    end: key.1,
                    index: chunk.index,
                    reason: "does not match the batch header's checksum".into(),
                });
            }
        }
        if entry.chunks.len() < header.checksums.len() {
            return Ok(None);
        }
        let chunks: Vec<BatchChunk> = entry.chunks.values().cloned().collect();
        let blocks = decode(header, &chunks, self.max_raw_len)?;
        self.partial.remove(&key);
        Ok(Some(DecodedBatch {
            start: key.0,
            end: key.1,
            blocks,
        }))
    }
}

/// Version byte of the [`BatchRecord`] encoding this crate writes and reads.
pub const RECORD_VERSION: u8 = 1;
const KIND_DA: u8 = 0;
const KIND_INLINE: u8 = 1;
const POINTER_LEN: usize = 8 + 32;
const DA_FIXED_LEN: usize = 2 + 29 + 8 + 8 + POINTER_LEN + 4;
/// Most chunks a `Da` record may point to: as many checksums as one max-size header blob holds.
pub const MAX_RECORD_CHUNKS: usize = (MAX_BLOB_SIZE - HEADER_PREFIX) / 32;

/// Why `batch_bytes` is not a [`BatchRecord`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Fewer bytes than the fields need.
    #[error("batch record truncated: {field} needs {need} bytes at offset {offset}, {have} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Where it starts.
        offset: usize,
        /// Bytes it needs.
        need: usize,
        /// Bytes left.
        have: usize,
    },
    /// Written by a newer (or older) submitter.
    #[error(
        "batch record version {0} is not supported (this build reads version {RECORD_VERSION})"
    )]
    UnsupportedVersion(u8),
    /// Unknown kind byte.
    #[error("batch record kind {0} is unknown (0 = Da, 1 = Inline)")]
    UnknownKind(u8),
    /// Bytes after the last field: the encoding must be canonical.
    #[error("batch record has {0} trailing bytes")]
    TrailingBytes(usize),
    /// A field is out of its bounds.
    #[error("bad batch record: {0}")]
    Invalid(String),
}

/// Where one batch (or one blob of it) is: the value of `MsgRecordBatch.batch_bytes`.
/// See the module docs for the wire layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchRecord {
    /// The batch `start..=end` is on DA.
    Da {
        /// DA namespace of every blob.
        namespace: minitia_core::Namespace,
        /// First L2 height.
        start: u64,
        /// Last L2 height.
        end: u64,
        /// The header blob.
        header: minitia_core::BlobPointer,
        /// The chunk blobs, chunk `i` at position `i`.
        chunks: Vec<minitia_core::BlobPointer>,
    },
    /// One blob of a batch (header or chunk wire bytes) carried on the L1.
    Inline {
        /// The blob.
        blob: Vec<u8>,
    },
}

impl BatchRecord {
    /// The L2 heights this record is about. For `Inline`, read from the blob's own prefix.
    pub fn range(&self) -> Result<(u64, u64), RecordError> {
        match self {
            Self::Da { start, end, .. } => Ok((*start, *end)),
            Self::Inline { blob } => match blob.first() {
                Some(&TYPE_HEADER) => BatchHeader::from_bytes(blob)
                    .map(|h| (h.start, h.end))
                    .map_err(|e| RecordError::Invalid(e.to_string())),
                Some(&TYPE_CHUNK) => BatchChunk::from_bytes(blob)
                    .map(|c| (c.start, c.end))
                    .map_err(|e| RecordError::Invalid(e.to_string())),
                other => Err(RecordError::Invalid(format!(
                    "inline blob type byte {other:?} is neither a header (0) nor a chunk (1)"
                ))),
            },
        }
    }

    /// Canonical wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![RECORD_VERSION];
        match self {
            Self::Da {
                namespace,
                start,
                end,
                header,
                chunks,
            } => {
                out.reserve(DA_FIXED_LEN + POINTER_LEN * chunks.len());
                out.push(KIND_DA);
                out.extend_from_slice(&namespace.0);
                out.extend_from_slice(&start.to_be_bytes());
                out.extend_from_slice(&end.to_be_bytes());
                put_pointer(&mut out, header);
                out.extend_from_slice(&(chunks.len() as u32).to_be_bytes());
                for c in chunks {
                    put_pointer(&mut out, c);
                }
            }
            Self::Inline { blob } => {
                out.push(KIND_INLINE);
                out.extend_from_slice(&(blob.len() as u32).to_be_bytes());
                out.extend_from_slice(blob);
            }
        }
        out
    }

    /// Parses and bounds-checks `batch_bytes`. Checks the fields, not the blobs' contents
    /// (an inline blob is checked when it is assembled).
    pub fn from_bytes(data: &[u8]) -> Result<Self, RecordError> {
        let mut r = Reader { data, pos: 0 };
        let version = r.take("version", 1)?[0];
        if version != RECORD_VERSION {
            return Err(RecordError::UnsupportedVersion(version));
        }
        let kind = r.take("kind", 1)?[0];
        let record = match kind {
            KIND_DA => {
                let mut ns = [0u8; 29];
                ns.copy_from_slice(r.take("namespace", 29)?);
                crate::check_namespace(&ns)
                    .map_err(|e| RecordError::Invalid(format!("namespace: {e}")))?;
                let start = r.u64("start")?;
                let end = r.u64("end")?;
                if start > end {
                    return Err(RecordError::Invalid(format!("start {start} > end {end}")));
                }
                let header = r.pointer("header pointer")?;
                let n = r.u32("chunk count")? as usize;
                if n == 0 || n > MAX_RECORD_CHUNKS {
                    return Err(RecordError::Invalid(format!(
                        "{n} chunks; a batch has 1..={MAX_RECORD_CHUNKS}"
                    )));
                }
                let left = data.len() - r.pos;
                if left < n * POINTER_LEN {
                    return Err(RecordError::Truncated {
                        field: "chunk pointers",
                        offset: r.pos,
                        need: n * POINTER_LEN,
                        have: left,
                    });
                }
                let chunks = (0..n)
                    .map(|_| r.pointer("chunk pointer"))
                    .collect::<Result<Vec<_>, _>>()?;
                Self::Da {
                    namespace: minitia_core::Namespace(ns),
                    start,
                    end,
                    header,
                    chunks,
                }
            }
            KIND_INLINE => {
                let len = r.u32("blob length")? as usize;
                if len == 0 || len > MAX_BLOB_SIZE {
                    return Err(RecordError::Invalid(format!(
                        "inline blob of {len} bytes; must be 1..={MAX_BLOB_SIZE}"
                    )));
                }
                Self::Inline {
                    blob: r.take("blob", len)?.to_vec(),
                }
            }
            other => return Err(RecordError::UnknownKind(other)),
        };
        if r.pos != data.len() {
            return Err(RecordError::TrailingBytes(data.len() - r.pos));
        }
        Ok(record)
    }
}

fn put_pointer(out: &mut Vec<u8>, p: &minitia_core::BlobPointer) {
    out.extend_from_slice(&p.height.to_be_bytes());
    out.extend_from_slice(&p.commitment.0);
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, field: &'static str, need: usize) -> Result<&'a [u8], RecordError> {
        let have = self.data.len() - self.pos;
        if have < need {
            return Err(RecordError::Truncated {
                field,
                offset: self.pos,
                need,
                have,
            });
        }
        let s = &self.data[self.pos..self.pos + need];
        self.pos += need;
        Ok(s)
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, RecordError> {
        Ok(be_u64(self.take(field, 8)?))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, RecordError> {
        let b = self.take(field, 4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn pointer(&mut self, field: &'static str) -> Result<minitia_core::BlobPointer, RecordError> {
        let b = self.take(field, POINTER_LEN)?;
        let mut c = [0u8; 32];
        c.copy_from_slice(&b[8..]);
        Ok(minitia_core::BlobPointer {
            height: be_u64(&b[..8]),
            commitment: minitia_core::Hash32(c),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn blocks(n: usize, size: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| (0..size).map(|j| ((i * 31 + j / 7) % 251) as u8).collect())
            .collect()
    }

    /// Blocks that compress only about 2x: random bytes, each repeated twice.
    fn noisy(n: usize, size: usize) -> Vec<Vec<u8>> {
        let mut x = 0x2545f4914f6cdd1du64;
        (0..n)
            .map(|_| {
                (0..size / 2)
                    .flat_map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        [x as u8, x as u8]
                    })
                    .collect()
            })
            .collect()
    }

    fn parse(b: &EncodedBatch) -> (BatchHeader, Vec<BatchChunk>) {
        let h = BatchHeader::from_bytes(&b.header).unwrap();
        let c = b
            .chunks
            .iter()
            .map(|c| BatchChunk::from_bytes(c).unwrap())
            .collect();
        (h, c)
    }

    #[test]
    fn namespace_is_sha256_prefix() {
        let ns = namespace_for_chain("minitia-1");
        let d = Sha256::digest(b"minitia-1");
        assert_eq!(&ns.0[19..], &d[..10]);
        assert!(ns.0[..19].iter().all(|b| *b == 0));
        crate::check_namespace(&ns.0).unwrap();
    }

    #[test]
    fn round_trip_across_many_chunks() {
        let bs = noisy(50, 10_000);
        let enc = encode(100, &bs, 4_096).unwrap();
        assert!(enc.chunks.len() > 10, "{} chunks", enc.chunks.len());
        assert!(enc.chunks.iter().all(|c| c.len() <= 4_096));
        assert_eq!((enc.start, enc.end), (100, 149));
        let (h, mut c) = parse(&enc);
        c.reverse();
        assert_eq!(decode(&h, &c, 1 << 30).unwrap(), bs);
    }

    #[test]
    fn repetitive_blocks_compress() {
        let bs = blocks(50, 10_000);
        let enc = encode(1, &bs, 4_096).unwrap();
        assert!(enc.posted_len() * 2 < enc.raw_len);
        let (h, c) = parse(&enc);
        assert_eq!(decode(&h, &c, 1 << 30).unwrap(), bs);
    }

    #[test]
    fn corrupted_chunk_is_named() {
        let enc = encode(1, &noisy(20, 5_000), 2_048).unwrap();
        let (h, mut c) = parse(&enc);
        c[2].data[0] ^= 1;
        match decode(&h, &c, 1 << 30) {
            Err(BatchError::BadChunk {
                index: 2,
                start: 1,
                end: 20,
                ..
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_chunk_and_bad_header_are_named() {
        let enc = encode(5, &noisy(20, 5_000), 2_048).unwrap();
        let (h, mut c) = parse(&enc);
        c.remove(1);
        assert!(matches!(
            decode(&h, &c, 1 << 30),
            Err(BatchError::MissingChunk { index: 1, .. })
        ));
        let mut bad = enc.header.clone();
        bad.pop();
        assert!(matches!(
            BatchHeader::from_bytes(&bad),
            Err(BatchError::BadHeader(_))
        ));
        assert!(matches!(
            BatchHeader::from_bytes(&enc.chunks[0]),
            Err(BatchError::BadHeader(_))
        ));
        assert!(BatchChunk::from_bytes(&enc.header).is_err());
    }

    #[test]
    fn forged_header_with_wrong_height_range_is_caught() {
        let enc = encode(5, &blocks(3, 100), 2_048).unwrap();
        let (mut h, c) = parse(&enc);
        h.end = 8;
        // chunks say 5..=7, so they are not this batch's
        assert!(matches!(
            decode(&h, &c, 1 << 30),
            Err(BatchError::BadChunk { .. })
        ));
    }

    #[test]
    fn decompression_is_bounded() {
        let enc = encode(1, &[vec![0u8; 1 << 20]], 1 << 20).unwrap();
        let (h, c) = parse(&enc);
        assert!(matches!(
            decode(&h, &c, 1000),
            Err(BatchError::BadContents { .. })
        ));
    }

    #[test]
    fn celestia_sized_chunks_fit() {
        let big: Vec<Vec<u8>> = (0..3)
            .map(|i| {
                // incompressible-ish bytes
                let mut x = 0x9e3779b97f4a7c15u64 ^ i;
                (0..1_500_000)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect()
            })
            .collect();
        let enc = encode_for_celestia(1, &big).unwrap();
        assert!(enc.chunks.len() >= 3);
        assert!(enc.chunks.iter().all(|c| c.len() <= MAX_BLOB_SIZE));
    }

    #[test]
    fn assembler_yields_batches_in_any_blob_order() {
        let b1 = noisy(10, 3_000);
        let b2 = noisy(4, 9_000);
        let e1 = encode(1, &b1, 2_048).unwrap();
        let e2 = encode(11, &b2, 2_048).unwrap();
        // interleave: chunks of batch 2 first, header of 1 last, one chunk posted twice
        let mut blobs: Vec<Vec<u8>> = e2.chunks.clone();
        blobs.push(e2.chunks[0].clone());
        blobs.extend(e1.chunks.iter().rev().cloned());
        blobs.push(e2.header.clone());
        blobs.push(e1.header.clone());
        let mut asm = Assembler::new(1 << 30);
        let mut done = Vec::new();
        for b in &blobs {
            if let Some(batch) = asm.push(b).unwrap() {
                done.push(batch);
            }
        }
        assert_eq!(done.len(), 2);
        assert_eq!((done[0].start, done[0].end), (11, 14));
        assert_eq!(done[0].blocks, b2);
        assert_eq!(done[1].blocks, b1);
        assert!(asm.incomplete().is_empty());
    }

    #[test]
    fn assembler_names_the_corrupt_chunk() {
        let e = encode(7, &noisy(10, 3_000), 2_048).unwrap();
        let mut asm = Assembler::new(1 << 30);
        asm.push(&e.header).unwrap();
        asm.push(&e.chunks[0]).unwrap();
        let mut bad = e.chunks[1].clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        match asm.push(&bad) {
            Err(BatchError::BadChunk {
                start: 7,
                end: 16,
                index: 1,
                ..
            }) => {}
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            asm.push(b"\x07junk"),
            Err(BatchError::BadHeader(_))
        ));
        assert_eq!(asm.incomplete(), vec![(7, 16)]);
    }

    proptest! {
        #[test]
        fn any_blocks_round_trip(
            bs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 1..20),
            max in 1500usize..5000,
            start in 0u64..1_000_000,
        ) {
            let enc = encode(start, &bs, max).unwrap_or_else(|e| panic!("{e}"));
            let (h, c) = parse(&enc);
            prop_assert_eq!(decode(&h, &c, 1 << 30).unwrap(), bs);
        }
    }

    fn ptr(h: u64, b: u8) -> minitia_core::BlobPointer {
        minitia_core::BlobPointer {
            height: h,
            commitment: minitia_core::Hash32([b; 32]),
        }
    }

    fn da_record() -> BatchRecord {
        BatchRecord::Da {
            namespace: namespace_for_chain("minitia-1"),
            start: 11,
            end: 20,
            header: ptr(7, 0xaa),
            chunks: vec![ptr(7, 1), ptr(8, 2)],
        }
    }

    #[test]
    fn record_layout_is_fixed() {
        let b = da_record().to_bytes();
        assert_eq!(b.len(), 2 + 29 + 16 + 40 + 4 + 2 * 40);
        assert_eq!(&b[..2], &[1, 0]);
        assert_eq!(&b[31..39], &11u64.to_be_bytes());
        assert_eq!(&b[39..47], &20u64.to_be_bytes());
        assert_eq!(&b[47..55], &7u64.to_be_bytes());
        assert_eq!(&b[87..91], &2u32.to_be_bytes());
        assert_eq!(BatchRecord::from_bytes(&b).unwrap(), da_record());
        assert_eq!(da_record().range().unwrap(), (11, 20));
        let enc = encode(3, &blocks(2, 100), 2_048).unwrap();
        let inline = BatchRecord::Inline {
            blob: enc.header.clone(),
        };
        let b = inline.to_bytes();
        assert_eq!(&b[..6], &[1, 1, 0, 0, 0, enc.header.len() as u8]);
        assert_eq!(BatchRecord::from_bytes(&b).unwrap(), inline);
        assert_eq!(inline.range().unwrap(), (3, 4));
        let chunk = BatchRecord::Inline {
            blob: enc.chunks[0].clone(),
        };
        assert_eq!(chunk.range().unwrap(), (3, 4));
    }

    #[test]
    fn bad_records_are_named() {
        let good = da_record().to_bytes();
        assert!(matches!(
            BatchRecord::from_bytes(&[]),
            Err(RecordError::Truncated {
                field: "version",
                ..
            })
        ));
        let mut v = good.clone();
        v[0] = 2;
        assert_eq!(
            BatchRecord::from_bytes(&v),
            Err(RecordError::UnsupportedVersion(2))
        );
        let mut k = good.clone();
        k[1] = 9;
        assert_eq!(
            BatchRecord::from_bytes(&k),
            Err(RecordError::UnknownKind(9))
        );
        let mut t = good.clone();
        t.push(0);
        assert_eq!(
            BatchRecord::from_bytes(&t),
            Err(RecordError::TrailingBytes(1))
        );
        assert!(matches!(
            BatchRecord::from_bytes(&good[..good.len() - 1]),
            Err(RecordError::Truncated {
                field: "chunk pointers",
                ..
            })
        ));
        let mut ns = good.clone();
        ns[2] = 1; // namespace version 1
        assert!(matches!(
            BatchRecord::from_bytes(&ns),
            Err(RecordError::Invalid(_))
        ));
        let mut range = good.clone();
        range[31..39].copy_from_slice(&21u64.to_be_bytes());
        assert!(matches!(
            BatchRecord::from_bytes(&range),
            Err(RecordError::Invalid(_))
        ));
        let mut zero = good[..87].to_vec();
        zero.extend_from_slice(&0u32.to_be_bytes());
        assert!(matches!(
            BatchRecord::from_bytes(&zero),
            Err(RecordError::Invalid(_))
        ));
        let mut huge = good[..87].to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            BatchRecord::from_bytes(&huge),
            Err(RecordError::Invalid(_))
        ));
        let empty_inline = [1u8, 1, 0, 0, 0, 0];
        assert!(matches!(
            BatchRecord::from_bytes(&empty_inline),
            Err(RecordError::Invalid(_))
        ));
        let short_inline = [1u8, 1, 0, 0, 0, 5, 0, 0];
        assert!(matches!(
            BatchRecord::from_bytes(&short_inline),
            Err(RecordError::Truncated { field: "blob", .. })
        ));
        let junk = BatchRecord::Inline { blob: vec![7, 7] };
        assert!(matches!(junk.range(), Err(RecordError::Invalid(_))));
    }

    proptest! {
        #[test]
        fn any_record_round_trips(
            start in 0u64..u64::MAX / 2,
            len in 0u64..1000,
            hs in proptest::collection::vec((any::<u64>(), any::<u8>()), 1..50),
            blob in proptest::collection::vec(any::<u8>(), 1..4000),
        ) {
            let r = BatchRecord::Da {
                namespace: namespace_for_chain(&format!("c{start}")),
                start,
                end: start + len,
                header: ptr(hs[0].0, hs[0].1),
                chunks: hs.iter().map(|(h, b)| ptr(*h, *b)).collect(),
            };
            prop_assert_eq!(BatchRecord::from_bytes(&r.to_bytes()).unwrap(), r);
            let i = BatchRecord::Inline { blob };
            prop_assert_eq!(BatchRecord::from_bytes(&i.to_bytes()).unwrap(), i);
        }

        #[test]
        fn decoding_garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(r) = BatchRecord::from_bytes(&data) {
                prop_assert_eq!(r.to_bytes(), data);
            }
        }
    }
}
