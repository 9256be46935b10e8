//! The mempool: txs ordered per sender by nonce (account sequence), across senders by
//! arrival, with size limits, fee-based replacement and eviction. Persistence is the
//! caller's job (every entry carries the sequence number of its on-disk record).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use minitia_core::{Address, CheckedTx, Hash32, TxError};

use crate::app::errors::{code, sdk};

/// Limits of the mempool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MempoolLimits {
    /// Most txs held.
    pub max_txs: usize,
    /// Most bytes held.
    pub max_bytes: usize,
}

impl Default for MempoolLimits {
    fn default() -> Self {
        Self {
            max_txs: 10_000,
            max_bytes: 100 * 1024 * 1024,
        }
    }
}

/// One pending tx.
#[derive(Debug, Clone)]
pub struct Entry<T> {
    /// Sequence number of the persisted record (also the arrival order).
    pub seq: u64,
    /// The decoded tx.
    pub tx: T,
    /// Its size in bytes.
    pub size: usize,
    /// What the engine's check said.
    pub checked: CheckedTx,
}

/// What an insertion did besides adding the tx.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Inserted {
    /// Records to delete from disk: a replaced tx and evicted txs.
    pub removed: Vec<u64>,
}

/// The pending txs.
#[derive(Debug)]
pub struct Mempool<T> {
    limits: MempoolLimits,
    by_hash: HashMap<Hash32, (Address, u64)>,
    by_sender: BTreeMap<Address, BTreeMap<u64, Entry<T>>>,
    bytes: usize,
    count: usize,
}

/// Minimum gas-price increase, in percent, for a replacement (as geth's default).
pub const REPLACEMENT_BUMP_PERCENT: u128 = 10;

impl<T: Clone> Mempool<T> {
    /// An empty mempool.
    pub fn new(limits: MempoolLimits) -> Self {
        Self {
            limits,
            by_hash: HashMap::new(),
            by_sender: BTreeMap::new(),
            bytes: 0,
            count: 0,
        }
    }

    /// Number of txs.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Total bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// True if a tx with this hash is pending.
    pub fn contains(&self, hash: &Hash32) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// Checks whether `checked` could be inserted, without inserting: duplicate, replacement
    /// rules and room. Returns the entry it would replace, if any.
    pub fn admit(&self, checked: &CheckedTx, size: usize) -> Result<Option<u64>, TxError> {
        if self.by_hash.contains_key(&checked.hash) {
            return Err(sdk(
                code::TX_IN_MEMPOOL,
                format!("tx {} already exists in the mempool", checked.hash),
            ));
        }
        let existing = self
            .by_sender
            .get(&checked.sender)
            .and_then(|m| m.get(&checked.nonce));
        if let Some(old) = existing {
            let min =
                old.checked.gas_price + old.checked.gas_price * REPLACEMENT_BUMP_PERCENT / 100;
            if checked.gas_price <= old.checked.gas_price || checked.gas_price < min {
                return Err(sdk(
                    code::TX_IN_MEMPOOL,
                    format!(
                        "a tx with nonce {} from {} is already pending; to replace it, raise the gas price by at least {}% (to {} or more): replacement transaction underpriced",
                        checked.nonce, checked.sender, REPLACEMENT_BUMP_PERCENT, min.max(old.checked.gas_price + 1)
                    ),
                ));
            }
            return Ok(Some(old.seq));
        }
        if size > self.limits.max_bytes {
            return Err(sdk(
                code::MEMPOOL_FULL,
                format!(
                    "tx of {size} bytes is larger than the mempool ({} bytes): mempool is full",
                    self.limits.max_bytes
                ),
            ));
        }
        Ok(None)
    }

    /// Inserts a checked tx (call [`Mempool::admit`] first). Evicts the cheapest last-in-line
    /// txs of other senders if over the limits and the new tx pays more; otherwise fails with
    /// "mempool is full".
    pub fn insert(&mut self, entry: Entry<T>) -> Result<Inserted, TxError> {
        let mut out = Inserted::default();
        let replaced = self.admit(&entry.checked, entry.size)?;
        if let Some(seq) = replaced {
            let (sender, nonce) = (entry.checked.sender, entry.checked.nonce);
            if let Some(old) = self
                .by_sender
                .get_mut(&sender)
                .and_then(|m| m.remove(&nonce))
            {
                self.by_hash.remove(&old.checked.hash);
                self.bytes -= old.size;
                self.count -= 1;
            }
            out.removed.push(seq);
        }
        while self.count + 1 > self.limits.max_txs
            || self.bytes + entry.size > self.limits.max_bytes
        {
            // Candidate victims: the highest nonce of each other sender (removing it keeps
            // every sender's queue contiguous).
            let victim = self
                .by_sender
                .iter()
                .filter(|(s, _)| **s != entry.checked.sender)
                .filter_map(|(s, m)| {
                    m.iter()
                        .next_back()
                        .map(|(n, e)| (e.checked.gas_price, Reverse(e.seq), *s, *n))
                })
                .min();
            match victim {
                Some((price, _, s, n)) if price < entry.checked.gas_price => {
                    if let Some(e) = self.remove_one(&s, n) {
                        out.removed.push(e.seq);
                    }
                }
                _ => {
                    return Err(sdk(
                        code::MEMPOOL_FULL,
                        format!("mempool is full ({} txs, {} bytes); retry later or raise the gas price: mempool is full", self.count, self.bytes),
                    ))
                }
            }
        }
        self.bytes += entry.size;
        self.count += 1;
        self.by_hash.insert(
            entry.checked.hash,
            (entry.checked.sender, entry.checked.nonce),
        );
        self.by_sender
            .entry(entry.checked.sender)
            .or_default()
            .insert(entry.checked.nonce, entry);
        Ok(out)
    }

    fn remove_one(&mut self, sender: &Address, nonce: u64) -> Option<Entry<T>> {
        let m = self.by_sender.get_mut(sender)?;
        let e = m.remove(&nonce)?;
        if m.is_empty() {
            self.by_sender.remove(sender);
        }
        self.by_hash.remove(&e.checked.hash);
        self.bytes -= e.size;
        self.count -= 1;
        Some(e)
    }

    /// Txs ready for the next block: for each sender the contiguous run of nonces starting at
    /// its on-chain nonce; senders interleaved by arrival order. At most `max_txs` txs and
    /// `max_bytes` bytes.
    pub fn ready(
        &self,
        nonce_of: impl Fn(&Address) -> u64,
        max_txs: usize,
        max_bytes: usize,
    ) -> Vec<Entry<T>> {
        let mut queues: Vec<Vec<&Entry<T>>> = Vec::new();
        for (sender, m) in &self.by_sender {
            let first = nonce_of(sender);
            let q: Vec<&Entry<T>> = m
                .range(first..)
                .zip(first..)
                .take_while(|((n, _), expect)| *n == expect)
                .map(|((_, e), _)| e)
                .collect();
            if !q.is_empty() {
                queues.push(q);
            }
        }
        let mut heap: BinaryHeap<Reverse<(u64, usize, usize)>> = queues
            .iter()
            .enumerate()
            .map(|(qi, q)| Reverse((q[0].seq, qi, 0)))
            .collect();
        let (mut out, mut bytes) = (Vec::new(), 0usize);
        while let Some(Reverse((_, qi, pos))) = heap.pop() {
            let e = queues[qi][pos];
            if out.len() >= max_txs || bytes + e.size > max_bytes {
                break;
            }
            bytes += e.size;
            out.push(e.clone());
            if let Some(next) = queues[qi].get(pos + 1) {
                heap.push(Reverse((next.seq, qi, pos + 1)));
            }
        }
        out
    }

    /// Drops every tx of `sender` with a nonce below `next_nonce` (included or stale);
    /// returns their record sequence numbers.
    pub fn prune_sender(&mut self, sender: &Address, next_nonce: u64) -> Vec<u64> {
        let stale: Vec<u64> = match self.by_sender.get(sender) {
            Some(m) => m.range(..next_nonce).map(|(n, _)| *n).collect(),
            None => return Vec::new(),
        };
        stale
            .into_iter()
            .filter_map(|n| self.remove_one(sender, n))
            .map(|e| e.seq)
            .collect()
    }

    /// Removes one tx by hash (e.g. it failed its checks at block time).
    pub fn remove_hash(&mut self, hash: &Hash32) -> Option<u64> {
        let (s, n) = *self.by_hash.get(hash)?;
        self.remove_one(&s, n).map(|e| e.seq)
    }

    /// Senders with pending txs.
    pub fn senders(&self) -> Vec<Address> {
        self.by_sender.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(sender: u8, nonce: u64, seq: u64, price: u128) -> Entry<()> {
        let mut h = [0u8; 32];
        h[0] = sender;
        h[1..9].copy_from_slice(&nonce.to_be_bytes());
        h[9..17].copy_from_slice(&(price as u64).to_be_bytes());
        h[17..25].copy_from_slice(&seq.to_be_bytes());
        Entry {
            seq,
            tx: (),
            size: 100,
            checked: CheckedTx {
                hash: Hash32(h),
                sender: Address([sender; 20]),
                nonce,
                state_nonce: 0,
                gas_wanted: 1,
                gas_price: price,
            },
        }
    }

    #[test]
    fn ready_orders_by_nonce_and_stops_at_gaps() {
        let mut m = Mempool::new(MempoolLimits::default());
        m.insert(entry(1, 1, 1, 1)).unwrap();
        m.insert(entry(1, 0, 2, 1)).unwrap();
        m.insert(entry(2, 0, 3, 1)).unwrap();
        m.insert(entry(2, 2, 4, 1)).unwrap(); // gap at nonce 1
        let r = m.ready(|_| 0, 100, usize::MAX);
        let got: Vec<(u8, u64)> = r
            .iter()
            .map(|e| (e.checked.sender.0[0], e.checked.nonce))
            .collect();
        assert_eq!(got, vec![(1, 0), (1, 1), (2, 0)]);
        assert_eq!(m.prune_sender(&Address([1; 20]), 2).len(), 2);
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn duplicate_replacement_and_eviction() {
        let mut m = Mempool::new(MempoolLimits {
            max_txs: 2,
            max_bytes: usize::MAX,
        });
        m.insert(entry(1, 0, 1, 10)).unwrap();
        assert_eq!(
            m.insert(entry(1, 0, 1, 10)).unwrap_err().code,
            code::TX_IN_MEMPOOL
        );
        // Same nonce, same or +5% price: underpriced replacement.
        let e = m.insert(entry(1, 0, 2, 10)).unwrap_err();
        assert!(e.message.contains("replacement"), "{e}");
        let e = m.insert(entry(1, 0, 2, 10)).unwrap_err();
        assert_eq!(e.code, code::TX_IN_MEMPOOL);
        let r = m.insert(entry(1, 0, 3, 20)).unwrap();
        assert_eq!(r.removed, vec![1]);
        m.insert(entry(2, 0, 4, 5)).unwrap();
        // Full: a cheaper tx from a new sender is refused, a pricier one evicts sender 2.
        assert_eq!(
            m.insert(entry(3, 0, 5, 1)).unwrap_err().code,
            code::MEMPOOL_FULL
        );
        let r = m.insert(entry(3, 0, 6, 50)).unwrap();
        assert_eq!(r.removed, vec![4]);
        assert_eq!(m.len(), 2);
    }
}
