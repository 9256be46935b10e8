//! Compact multi-proofs ("witnesses"): the part of the sparse Merkle tree that a set of keys
//! touches, enough to read those keys and to recompute the root after writing them, with no
//! store at hand. This is what a fraud proof carries for the state a block reads and writes.
//!
//! # Shape
//! A witness is the tree of one version with every subtree that no covered key enters cut
//! off and replaced by its hash. Its nodes are
//! - `Empty` — an empty subtree (hash: 32 zero bytes);
//! - `Leaf(key, value)` — a leaf shown in full: a key the witness covers;
//! - `Stub(key_hash, value_hash)` — a leaf shown by hashes only: a neighbour a covered key's
//!   path ends at (which proves that key absent), or a sibling whose kind a delete needs;
//! - `Hash(h)` — a cut-off subtree of unknown kind;
//! - `Inner(left, right)`.
//!
//! It hashes exactly like the store's tree (`tree.rs`), so [`Witness::root`] equals the
//! store's root of that version. A key is *covered* when its path from the root ends at
//! `Empty`, a `Leaf` or a `Stub` of another key: then the witness proves its value or its
//! absence. Any other key reads as [`StateError::MissingWitness`].
//!
//! # Applying writes
//! [`Witness::apply`] recomputes the root after a [`WriteSet`] whose keys are all covered.
//! Inserting needs only the leaf or empty slot the key's path ends at. Deleting can collapse a
//! subtree left with a single leaf into that leaf, so it needs to know whether the sibling of
//! an emptied subtree is a single leaf; a `Hash` does not say, and [`Witness::apply`] refuses
//! ([`WitnessError::SiblingKindUnknown`]) rather than guess. The builder
//! ([`Store::witness`]) therefore shows every sibling on the path of a key that may be
//! deleted one level deeper: a leaf as a `Stub`, an inner node as `Inner(Hash, Hash)`.
//! Domain separation of leaf and inner hashes (`0x00`/`0x01`) keeps a prover from passing one
//! off as the other.
//!
//! # Encoding
//! Deterministic: a format byte (`1`), then the nodes in pre-order, each a tag byte (`0`
//! empty, `1` leaf, `2` stub, `3` hash, `4` inner) followed by its fields; lengths are u32
//! big-endian. Decoding is bounded (depth ≤ 256, key and value sizes capped, no trailing
//! bytes) and accepts only canonical trees: no inner node with two empty children or with one
//! empty child beside a leaf (those collapse), no `Hash` of 32 zero bytes, every leaf on its
//! key's path. So a witness has exactly one encoding.

use minitia_core::state::{StateError, StateView, WriteSet};
use minitia_core::Hash32;

use crate::tree::{bit, inner_hash, leaf_hash, sha256, Digest32, EMPTY_HASH};

/// Encoding format version.
const FORMAT: u8 = 1;
const TAG_EMPTY: u8 = 0;
const TAG_LEAF: u8 = 1;
const TAG_STUB: u8 = 2;
const TAG_HASH: u8 = 3;
const TAG_INNER: u8 = 4;
const MAX_DEPTH: usize = 256;
/// Largest key a witness may carry.
pub const MAX_WITNESS_KEY: usize = 64 * 1024;
/// Largest value a witness may carry.
pub const MAX_WITNESS_VALUE: usize = 16 * 1024 * 1024;

/// Why a witness was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The bytes end inside a node.
    #[error("witness bytes end early at offset {0}")]
    Truncated(usize),
    /// Unknown format byte.
    #[error("witness format {0} is not supported (expected {FORMAT})")]
    Format(u8),
    /// Unknown node tag.
    #[error("unknown witness node tag {tag} at offset {offset}")]
    BadTag {
        /// Tag read.
        tag: u8,
        /// Where.
        offset: usize,
    },
    /// Bytes left after the root node.
    #[error("{0} bytes left after the witness")]
    Trailing(usize),
    /// Deeper than a key hash has bits.
    #[error("witness is deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A key or value above the size caps, or an empty one (the store holds neither).
    #[error("witness leaf at offset {offset} has a {what} of {len} bytes (allowed: 1..={max})")]
    BadLength {
        /// `key` or `value`.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The cap.
        max: usize,
        /// Where.
        offset: usize,
    },
    /// Not the canonical form of any tree.
    #[error("witness is not canonical at depth {depth}: {reason}")]
    NonCanonical {
        /// Depth of the offending node.
        depth: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A leaf sits off its key's path.
    #[error("witness leaf with key hash {key_hash} at depth {depth} is not on its key's path")]
    Misplaced {
        /// The leaf's key hash.
        key_hash: Hash32,
        /// Its depth.
        depth: usize,
    },
    /// The witness hashes to another root.
    #[error("witness root {got} does not match the expected state root {expected}")]
    RootMismatch {
        /// Root it should have.
        expected: Hash32,
        /// Root it has.
        got: Hash32,
    },
    /// A write to a key the witness does not cover.
    #[error("key 0x{0} is written but the witness does not cover it")]
    NotCovered(String),
    /// A delete needs the kind of a sibling the witness shows only as a hash.
    #[error("deleting key 0x{key} needs to know whether the sibling subtree at depth {depth} is a single leaf, and the witness shows only its hash")]
    SiblingKindUnknown {
        /// Key being deleted.
        key: String,
        /// Depth of the node whose other child was emptied.
        depth: usize,
    },
    /// A write of an empty key or value, which the store refuses to commit.
    #[error("key 0x{0} is written with an empty key or value, which the store cannot commit")]
    EmptyWrite(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Empty,
    Leaf {
        key: Vec<u8>,
        value: Vec<u8>,
        key_hash: Digest32,
    },
    Stub {
        key_hash: Digest32,
        value_hash: Digest32,
    },
    Hash(Digest32),
    Inner(Box<Node>, Box<Node>),
}

impl Node {
    fn hash(&self) -> Digest32 {
        match self {
            Node::Empty => EMPTY_HASH,
            Node::Leaf {
                value, key_hash, ..
            } => leaf_hash(key_hash, &sha256(value)),
            Node::Stub {
                key_hash,
                value_hash,
            } => leaf_hash(key_hash, value_hash),
            Node::Hash(h) => *h,
            Node::Inner(l, r) => inner_hash(&l.hash(), &r.hash()),
        }
    }

    fn leaf_key_hash(&self) -> Option<Digest32> {
        match self {
            Node::Leaf { key_hash, .. } | Node::Stub { key_hash, .. } => Some(*key_hash),
            _ => None,
        }
    }

    fn is_leaf(&self) -> bool {
        self.leaf_key_hash().is_some()
    }
}

/// Counts of a witness's nodes, for size reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WitnessStats {
    /// Leaves shown in full (covered keys that exist).
    pub leaves: usize,
    /// Leaves shown by hashes.
    pub stubs: usize,
    /// Cut-off subtrees.
    pub hashes: usize,
    /// Inner nodes.
    pub inners: usize,
    /// Empty subtrees.
    pub empties: usize,
}

/// A compact multi-proof over some keys of one state version. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    pub(crate) root: Node,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the first `depth` bits of `a` and `b` agree.
fn same_prefix(a: &Digest32, b: &Digest32, depth: usize) -> bool {
    let full = depth / 8;
    if a[..full] != b[..full] {
        return false;
    }
    let rest = depth % 8;
    rest == 0 || (a[full] ^ b[full]) >> (8 - rest) == 0
}

impl Witness {
    /// The root this witness hashes to (the state root of the version it was taken from).
    pub fn root(&self) -> Hash32 {
        Hash32(self.root.hash())
    }

    /// Fails unless the witness hashes to `expected`.
    pub fn verify(&self, expected: &Hash32) -> Result<(), WitnessError> {
        let got = self.root();
        if got != *expected {
            return Err(WitnessError::RootMismatch {
                expected: *expected,
                got,
            });
        }
        Ok(())
    }

    /// The value of `key` if the witness covers it (`Ok(None)`: proven absent).
    pub fn lookup(&self, key: &[u8]) -> Result<Option<&[u8]>, StateError> {
        let kh = sha256(key);
        let mut node = &self.root;
        let mut depth = 0;
        loop {
            match node {
                Node::Empty => return Ok(None),
                Node::Leaf {
                    key: k,
                    value,
                    key_hash,
                } => {
                    return Ok((*key_hash == kh && k == key).then_some(value.as_slice()));
                }
                Node::Stub { key_hash, .. } => {
                    return if *key_hash == kh {
                        Err(StateError::MissingWitness(hex(key)))
                    } else {
                        Ok(None)
                    };
                }
                Node::Hash(_) => return Err(StateError::MissingWitness(hex(key))),
                Node::Inner(l, r) => {
                    node = if bit(&kh, depth) { r } else { l };
                    depth += 1;
                }
            }
        }
    }

    /// The root after applying `writes`, whose keys must all be covered. The result equals
    /// the root the store computes when committing the same writes on this version.
    pub fn apply(self, writes: &WriteSet) -> Result<Hash32, WitnessError> {
        let mut root = self.root;
        for (key, value) in writes.iter() {
            if key.is_empty() || value.as_ref().is_some_and(Vec::is_empty) {
                return Err(WitnessError::EmptyWrite(hex(key)));
            }
            let kh = sha256(key);
            root = match value {
                Some(v) => insert(root, 0, &kh, &sha256(v), key)?,
                None => delete(root, 0, &kh, key)?.0,
            };
        }
        Ok(Hash32(root.hash()))
    }

    /// Node counts.
    pub fn stats(&self) -> WitnessStats {
        fn go(n: &Node, s: &mut WitnessStats) {
            match n {
                Node::Empty => s.empties += 1,
                Node::Leaf { .. } => s.leaves += 1,
                Node::Stub { .. } => s.stubs += 1,
                Node::Hash(_) => s.hashes += 1,
                Node::Inner(l, r) => {
                    s.inners += 1;
                    go(l, s);
                    go(r, s);
                }
            }
        }
        let mut s = WitnessStats::default();
        go(&self.root, &mut s);
        s
    }

    /// The keys shown in full with their values, in key-hash order.
    pub fn leaves(&self) -> Vec<(&[u8], &[u8])> {
        fn go<'a>(n: &'a Node, out: &mut Vec<(&'a [u8], &'a [u8])>) {
            match n {
                Node::Leaf { key, value, .. } => out.push((key, value)),
                Node::Inner(l, r) => {
                    go(l, out);
                    go(r, out);
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        go(&self.root, &mut out);
        out
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        fn go(n: &Node, out: &mut Vec<u8>) {
            match n {
                Node::Empty => out.push(TAG_EMPTY),
                Node::Leaf { key, value, .. } => {
                    out.push(TAG_LEAF);
                    out.extend_from_slice(&(key.len() as u32).to_be_bytes());
                    out.extend_from_slice(key);
                    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
                    out.extend_from_slice(value);
                }
                Node::Stub {
                    key_hash,
                    value_hash,
                } => {
                    out.push(TAG_STUB);
                    out.extend_from_slice(key_hash);
                    out.extend_from_slice(value_hash);
                }
                Node::Hash(h) => {
                    out.push(TAG_HASH);
                    out.extend_from_slice(h);
                }
                Node::Inner(l, r) => {
                    out.push(TAG_INNER);
                    go(l, out);
                    go(r, out);
                }
            }
        }
        let mut out = vec![FORMAT];
        go(&self.root, &mut out);
        out
    }

    /// Decodes a canonical encoding; see the module docs for what is refused.
    pub fn decode(bytes: &[u8]) -> Result<Self, WitnessError> {
        let mut r = Reader { bytes, pos: 0 };
        let format = r.byte()?;
        if format != FORMAT {
            return Err(WitnessError::Format(format));
        }
        let mut path = [0u8; 32];
        let root = r.node(0, &mut path)?;
        if r.pos != bytes.len() {
            return Err(WitnessError::Trailing(bytes.len() - r.pos));
        }
        Ok(Self { root })
    }
}

impl StateView for Witness {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.lookup(key)?.map(<[u8]>::to_vec))
    }
}

struct Reader<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], WitnessError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(WitnessError::Truncated(self.pos))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, WitnessError> {
        Ok(self.take(1)?[0])
    }

    fn digest(&mut self) -> Result<Digest32, WitnessError> {
        let mut d = [0u8; 32];
        d.copy_from_slice(self.take(32)?);
        Ok(d)
    }

    fn sized(&mut self, what: &'static str, max: usize) -> Result<Vec<u8>, WitnessError> {
        let offset = self.pos;
        let mut l = [0u8; 4];
        l.copy_from_slice(self.take(4)?);
        let len = u32::from_be_bytes(l) as usize;
        if len == 0 || len > max {
            return Err(WitnessError::BadLength {
                what,
                len,
                max,
                offset,
            });
        }
        Ok(self.take(len)?.to_vec())
    }

    /// One node at `depth`; `path` holds the bits taken to reach it.
    fn node(&mut self, depth: usize, path: &mut Digest32) -> Result<Node, WitnessError> {
        let offset = self.pos;
        let tag = self.byte()?;
        let placed = |key_hash: Digest32| {
            if same_prefix(&key_hash, path, depth) {
                Ok(())
            } else {
                Err(WitnessError::Misplaced {
                    key_hash: Hash32(key_hash),
                    depth,
                })
            }
        };
        match tag {
            TAG_EMPTY => Ok(Node::Empty),
            TAG_LEAF => {
                let key = self.sized("key", MAX_WITNESS_KEY)?;
                let value = self.sized("value", MAX_WITNESS_VALUE)?;
                let key_hash = sha256(&key);
                placed(key_hash)?;
                Ok(Node::Leaf {
                    key,
                    value,
                    key_hash,
                })
            }
            TAG_STUB => {
                let key_hash = self.digest()?;
                let value_hash = self.digest()?;
                placed(key_hash)?;
                Ok(Node::Stub {
                    key_hash,
                    value_hash,
                })
            }
            TAG_HASH => {
                let h = self.digest()?;
                if h == EMPTY_HASH {
                    return Err(WitnessError::NonCanonical {
                        depth,
                        reason: "an empty subtree is encoded as a hash",
                    });
                }
                Ok(Node::Hash(h))
            }
            TAG_INNER => {
                if depth >= MAX_DEPTH {
                    return Err(WitnessError::TooDeep);
                }
                let byte = depth / 8;
                let mask = 0x80u8 >> (depth % 8);
                path[byte] &= !mask;
                let l = self.node(depth + 1, path)?;
                path[byte] |= mask;
                let r = self.node(depth + 1, path)?;
                path[byte] &= !mask;
                match (&l, &r) {
                    (Node::Empty, Node::Empty) => Err(WitnessError::NonCanonical {
                        depth,
                        reason: "inner node with two empty children",
                    }),
                    (Node::Empty, x) | (x, Node::Empty) if x.is_leaf() => {
                        Err(WitnessError::NonCanonical {
                            depth,
                            reason: "a lone leaf under an inner node (it collapses to the leaf)",
                        })
                    }
                    _ => Ok(Node::Inner(Box::new(l), Box::new(r))),
                }
            }
            tag => Err(WitnessError::BadTag { tag, offset }),
        }
    }
}

/// The subtree at `depth` holding the two leaves `a` and `b` (distinct key hashes).
fn pair(depth: usize, a: Node, ka: Digest32, b: Node, kb: Digest32) -> Node {
    let split = (depth..MAX_DEPTH)
        .find(|&d| bit(&ka, d) != bit(&kb, d))
        .unwrap_or(MAX_DEPTH - 1);
    let mut node = if bit(&ka, split) {
        Node::Inner(Box::new(b), Box::new(a))
    } else {
        Node::Inner(Box::new(a), Box::new(b))
    };
    for d in (depth..split).rev() {
        node = if bit(&ka, d) {
            Node::Inner(Box::new(Node::Empty), Box::new(node))
        } else {
            Node::Inner(Box::new(node), Box::new(Node::Empty))
        };
    }
    node
}

fn insert(
    node: Node,
    depth: usize,
    kh: &Digest32,
    vh: &Digest32,
    key: &[u8],
) -> Result<Node, WitnessError> {
    let new = Node::Stub {
        key_hash: *kh,
        value_hash: *vh,
    };
    match node {
        Node::Empty => Ok(new),
        Node::Hash(_) => Err(WitnessError::NotCovered(hex(key))),
        Node::Inner(l, r) => {
            if depth >= MAX_DEPTH {
                return Err(WitnessError::TooDeep);
            }
            Ok(if bit(kh, depth) {
                Node::Inner(l, Box::new(insert(*r, depth + 1, kh, vh, key)?))
            } else {
                Node::Inner(Box::new(insert(*l, depth + 1, kh, vh, key)?), r)
            })
        }
        leaf => match leaf.leaf_key_hash() {
            Some(old) if old == *kh => Ok(new),
            Some(old) => Ok(pair(depth, leaf, old, new, *kh)),
            None => Err(WitnessError::NotCovered(hex(key))),
        },
    }
}

/// `node` without the key; the flag says whether anything changed.
fn delete(
    node: Node,
    depth: usize,
    kh: &Digest32,
    key: &[u8],
) -> Result<(Node, bool), WitnessError> {
    match node {
        Node::Empty => Ok((Node::Empty, false)),
        Node::Hash(_) => Err(WitnessError::NotCovered(hex(key))),
        Node::Inner(l, r) => {
            if depth >= MAX_DEPTH {
                return Err(WitnessError::TooDeep);
            }
            let right = bit(kh, depth);
            let (l, r, changed) = if right {
                let (r, c) = delete(*r, depth + 1, kh, key)?;
                (*l, r, c)
            } else {
                let (l, c) = delete(*l, depth + 1, kh, key)?;
                (l, *r, c)
            };
            if !changed {
                return Ok((Node::Inner(Box::new(l), Box::new(r)), false));
            }
            let joined = match (l, r) {
                (Node::Empty, Node::Empty) => Node::Empty,
                (Node::Empty, Node::Hash(_)) | (Node::Hash(_), Node::Empty) => {
                    return Err(WitnessError::SiblingKindUnknown {
                        key: hex(key),
                        depth,
                    })
                }
                (Node::Empty, x) | (x, Node::Empty) if x.is_leaf() => x,
                (l, r) => Node::Inner(Box::new(l), Box::new(r)),
            };
            Ok((joined, true))
        }
        leaf => match leaf.leaf_key_hash() {
            Some(old) if old == *kh => Ok((Node::Empty, true)),
            _ => Ok((leaf, false)),
        },
    }
}

#[cfg(all(test, feature = "db"))]
mod tests {
    use super::*;
    use crate::{Store, StoreConfig};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path().join("s.redb"), StoreConfig::default()).unwrap();
        (dir, s)
    }

    fn commit(s: &mut Store, writes: &[(&str, Option<&str>)]) -> Hash32 {
        let mut ws = WriteSet::new();
        for (k, v) in writes {
            match v {
                Some(v) => ws.put(k.as_bytes().to_vec(), v.as_bytes().to_vec()),
                None => ws.delete(k.as_bytes().to_vec()),
            }
        }
        let v = s.latest() + 1;
        s.commit_writes(v, &ws).unwrap()
    }

    #[test]
    fn reads_covered_keys_and_refuses_others() {
        let (_d, mut s) = store();
        let pairs: Vec<(String, String)> = (0..200)
            .map(|i| (format!("k{i}"), format!("v{i}")))
            .collect();
        let w: Vec<(&str, Option<&str>)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_str())))
            .collect();
        let root = commit(&mut s, &w);
        let wit = s
            .witness(1, [b"k3".as_slice(), b"k77", b"absent"], [])
            .unwrap();
        wit.verify(&root).unwrap();
        assert_eq!(wit.get(b"k3").unwrap(), Some(b"v3".to_vec()));
        assert_eq!(wit.get(b"k77").unwrap(), Some(b"v77".to_vec()));
        assert_eq!(wit.get(b"absent").unwrap(), None);
        assert!(matches!(
            wit.get(b"k150"),
            Err(StateError::MissingWitness(_))
        ));
        let bytes = wit.encode();
        assert_eq!(Witness::decode(&bytes).unwrap(), wit);
        // Every proper prefix is truncated, one more byte is trailing.
        for n in 0..bytes.len() {
            assert!(Witness::decode(&bytes[..n]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Witness::decode(&longer), Err(WitnessError::Trailing(1)));
    }

    #[test]
    fn forged_witnesses_are_refused() {
        let (_d, mut s) = store();
        let pairs: Vec<(String, String)> = (0..50)
            .map(|i| (format!("k{i}"), format!("v{i}")))
            .collect();
        let w: Vec<(&str, Option<&str>)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_str())))
            .collect();
        let root = commit(&mut s, &w);
        let wit = s.witness(1, [b"k1".as_slice(), b"k2"], []).unwrap();
        // A changed value: the root moves.
        let mut forged = wit.clone();
        fn set_value(n: &mut Node) {
            match n {
                Node::Leaf { value, .. } => *value = b"stolen".to_vec(),
                Node::Inner(l, r) => {
                    set_value(l);
                    set_value(r);
                }
                _ => {}
            }
        }
        set_value(&mut forged.root);
        assert!(matches!(
            forged.verify(&root),
            Err(WitnessError::RootMismatch { .. })
        ));
        // A wrong sibling hash.
        let mut bytes = wit.encode();
        let at = bytes.iter().rposition(|b| *b == TAG_HASH).unwrap();
        bytes[at + 5] ^= 1;
        let w2 = Witness::decode(&bytes).unwrap();
        assert!(matches!(
            w2.verify(&root),
            Err(WitnessError::RootMismatch { .. })
        ));
        // A lone leaf under an inner node is not canonical.
        let lone = Witness {
            root: Node::Inner(
                Box::new(Node::Stub {
                    key_hash: [0; 32],
                    value_hash: [1; 32],
                }),
                Box::new(Node::Empty),
            ),
        };
        assert!(matches!(
            Witness::decode(&lone.encode()),
            Err(WitnessError::NonCanonical { .. })
        ));
        // A leaf on the wrong side of its key's path.
        let kh = sha256(b"k1");
        let (a, b) = (
            Node::Stub {
                key_hash: kh,
                value_hash: [1; 32],
            },
            Node::Hash([9; 32]),
        );
        let misplaced = Witness {
            root: if bit(&kh, 0) {
                Node::Inner(Box::new(a), Box::new(b))
            } else {
                Node::Inner(Box::new(b), Box::new(a))
            },
        };
        assert!(matches!(
            Witness::decode(&misplaced.encode()),
            Err(WitnessError::Misplaced { .. })
        ));
        // Writing an uncovered key.
        let mut ws = WriteSet::new();
        ws.put(b"k40".to_vec(), b"x".to_vec());
        assert!(matches!(
            wit.clone().apply(&ws),
            Err(WitnessError::NotCovered(_))
        ));
        // Deleting a key without the sibling kinds (built as if it were only written).
        let mut del = WriteSet::new();
        del.delete(b"k1".to_vec());
        let real = {
            let v = s.latest() + 1;
            s.commit_writes(v, &del).unwrap()
        };
        match wit.clone().apply(&del) {
            Err(WitnessError::SiblingKindUnknown { .. }) => {}
            Ok(r) => assert_eq!(r, real, "a witness that can delete must be right"),
            Err(e) => panic!("{e}"),
        }
        let full = s
            .witness(1, [b"k1".as_slice()], [b"k1".as_slice()])
            .unwrap();
        assert_eq!(full.apply(&del).unwrap(), real);
    }

    #[test]
    fn empty_and_single_leaf_trees() {
        let (_d, mut s) = store();
        let empty_root = commit(&mut s, &[]);
        assert_eq!(empty_root, Hash32::ZERO);
        let w = s.witness(1, [b"a".as_slice()], []).unwrap();
        assert_eq!(w.get(b"a").unwrap(), None);
        let mut ws = WriteSet::new();
        ws.put(b"a".to_vec(), b"1".to_vec());
        let r1 = w.apply(&ws).unwrap();
        assert_eq!(r1, s.commit_writes(2, &ws).unwrap());
        let w = s.witness(2, [b"a".as_slice()], [b"a".as_slice()]).unwrap();
        let mut del = WriteSet::new();
        del.delete(b"a".to_vec());
        assert_eq!(w.apply(&del).unwrap(), Hash32::ZERO);
    }
}
