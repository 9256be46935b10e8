//! The in-memory binary sparse Merkle tree of hashes.
//!
//! Layout (ICS-23 `smt_spec()`, the Celestia/LazyLedger SMT that Penumbra's JMT also maps to):
//! - a leaf sits at a path given by the bits of `sha256(key)`, most significant bit of byte 0
//!   first, `0` = left. MSB-first matters: it makes the in-order leaf sequence equal to the
//!   lexicographic order of key hashes, which is the order ICS-23 uses
//!   (`prehash_key_before_comparison`) to check that non-existence neighbours are adjacent;
//! - `leaf = sha256(0x00 ‖ sha256(key) ‖ sha256(value))`;
//! - `inner = sha256(0x01 ‖ left ‖ right)`, an empty child hashes to 32 zero bytes;
//! - a subtree holding exactly one leaf *is* that leaf (no chain of inner nodes down to depth
//!   256), so a leaf sits at the shortest prefix of its key hash that no other key shares and
//!   depth is ≈ log2(n). Two leaves sharing a long prefix get a chain of inner nodes with one
//!   empty child each, exactly as in the reference SMT; there are no extension nodes (ICS-23
//!   inner ops could not express them).
//!
//! Storage: every node of every retained version lives in one [`Forest`], in two slabs (inner
//! nodes and leaves) addressed by 32-bit [`Ref`]s. Nodes are immutable once written. A parent
//! stores its children's refs *and hashes*, so a commit that rebuilds a path reads only the
//! nodes on the path: the untouched sibling at every level is shared by copying its ref and
//! hash out of the old parent, never dereferenced (no refcount, no cache miss). A commit
//! records the nodes its new version no longer references ("stale"); they are returned to the
//! slab's free list once every retained version older than it has been dropped, exactly like
//! JMT's stale-node index, so memory is O(state + retained × touched nodes).

use std::collections::VecDeque;

use sha2::{Digest, Sha256};

/// A 32-byte digest.
pub(crate) type Digest32 = [u8; 32];

/// Hash of an empty subtree (ICS-23 `InnerSpec::empty_child` of `smt_spec()`).
pub(crate) const EMPTY_HASH: Digest32 = [0u8; 32];
const LEAF_PREFIX: u8 = 0x00;
const INNER_PREFIX: u8 = 0x01;
/// Key hashes have 256 bits, so no path is longer.
const MAX_DEPTH: usize = 256;

/// `sha256(data)`.
pub(crate) fn sha256(data: &[u8]) -> Digest32 {
    Sha256::digest(data).into()
}

/// `sha256(0x00 ‖ key_hash ‖ value_hash)`.
pub(crate) fn leaf_hash(key_hash: &Digest32, value_hash: &Digest32) -> Digest32 {
    let mut buf = [0u8; 65];
    buf[0] = LEAF_PREFIX;
    buf[1..33].copy_from_slice(key_hash);
    buf[33..].copy_from_slice(value_hash);
    Sha256::digest(buf).into()
}

/// `sha256(0x01 ‖ left ‖ right)`.
pub(crate) fn inner_hash(left: &Digest32, right: &Digest32) -> Digest32 {
    let mut buf = [0u8; 65];
    buf[0] = INNER_PREFIX;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// Bit `depth` of `key_hash`, MSB of byte 0 first. `true` = right.
#[inline]
pub(crate) fn bit(key_hash: &Digest32, depth: usize) -> bool {
    (key_hash[depth / 8] >> (7 - depth % 8)) & 1 == 1
}

/// A leaf. The key is kept (not its value) because non-existence proofs must name their
/// neighbours' keys and the tree is the only index from key hash back to key; `version` (the
/// version that wrote the value) turns a read at any retained version into one point lookup.
#[derive(Debug, Default)]
pub(crate) struct Leaf {
    pub(crate) key: Box<[u8]>,
    pub(crate) key_hash: Digest32,
    pub(crate) hash: Digest32,
    pub(crate) version: u64,
}

impl Leaf {
    /// A leaf for `key` holding a value whose hash is `value_hash`, written at `version`.
    pub(crate) fn new(key: &[u8], key_hash: Digest32, value_hash: &Digest32, version: u64) -> Self {
        Self {
            key: key.into(),
            hash: leaf_hash(&key_hash, value_hash),
            key_hash,
            version,
        }
    }
}

/// A reference to a node in the [`Forest`]: an index into the leaf slab when [`LEAF_BIT`] is
/// set, else into the inner slab; [`NIL`] is the empty subtree.
type Ref = u32;
const NIL: Ref = u32::MAX;
const LEAF_BIT: Ref = 1 << 31;

#[inline]
fn is_leaf(r: Ref) -> bool {
    r != NIL && r & LEAF_BIT != 0
}

/// An inner node: its children's refs and hashes. Invariant: the subtree holds at least two
/// leaves (else it collapses to the leaf).
#[derive(Debug, Clone, Copy)]
struct Inner {
    left: Ref,
    right: Ref,
    left_hash: Digest32,
    right_hash: Digest32,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            left: NIL,
            right: NIL,
            left_hash: EMPTY_HASH,
            right_hash: EMPTY_HASH,
        }
    }
}

/// Slots per slab chunk. Chunks never move, so growing the slab never copies nodes.
const CHUNK_BITS: u32 = 16;
const CHUNK: usize = 1 << CHUNK_BITS;

/// A growable array of `T` in fixed-size chunks, with a free list of reusable slots.
#[derive(Debug)]
struct Slab<T> {
    chunks: Vec<Vec<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    #[inline]
    fn get(&self, i: u32) -> &T {
        &self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)]
    }

    fn alloc(&mut self, value: T) -> u32 {
        if let Some(i) = self.free.pop() {
            self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)] = value;
            return i;
        }
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let n = self.chunks.len() - 1;
        let chunk = &mut self.chunks[n];
        let i = (n << CHUNK_BITS) | chunk.len();
        // Leaf refs use the top bit as a tag, so each slab is limited to 2^31 slots.
        assert!(i < LEAF_BIT as usize, "tree slab full (2^31 nodes)");
        chunk.push(value);
        i as u32
    }

    /// Occupied slots.
    fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum::<usize>() - self.free.len()
    }
}

/// A subtree as its parent sees it: ref and hash.
type Child = (Ref, Digest32);
const EMPTY: Child = (NIL, EMPTY_HASH);

/// One change of a batch: `Some(leaf)` to set, `None` to delete the key with this hash.
#[derive(Debug)]
pub(crate) struct Op {
    pub(crate) key_hash: Digest32,
    pub(crate) leaf: Option<Leaf>,
}

/// One retained version: its root and the nodes it stopped referencing.
#[derive(Debug)]
struct Version {
    version: u64,
    root: Child,
    /// Nodes of the previous version that this one no longer references; freed once this
    /// version is the oldest retained one.
    stale: Vec<Ref>,
}

/// A version computed by [`Forest::prepare`] but not yet published by [`Forest::publish`]
/// (which happens only once it is durably committed) or undone by [`Forest::discard`].
#[derive(Debug)]
pub(crate) struct Pending {
    version: u64,
    root: Child,
    stale: Vec<Ref>,
    created: Vec<Ref>,
}

impl Pending {
    /// The root hash of the pending version.
    pub(crate) fn root_hash(&self) -> Digest32 {
        self.root.1
    }
}

/// The trees of the last `retained` versions, sharing all untouched nodes.
pub(crate) struct Forest {
    inners: Slab<Inner>,
    leaves: Slab<Leaf>,
    versions: VecDeque<Version>,
    retained: usize,
}

impl std::fmt::Debug for Forest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forest")
            .field("oldest", &self.oldest())
            .field("latest", &self.latest())
            .field("inner_nodes", &self.inners.len())
            .field("leaves", &self.leaves.len())
            .finish_non_exhaustive()
    }
}

/// One step from the root towards a key hash: the sibling's hash and which side we took.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub(crate) sibling: Digest32,
    pub(crate) went_right: bool,
}

/// Where a walk towards a key hash ended.
#[derive(Debug)]
pub(crate) struct Walk<'a> {
    /// Steps from the root down, one per inner node passed.
    pub(crate) steps: Vec<Step>,
    /// The leaf found at the end of the path, if any; it may hold a different key (then the
    /// walked key is absent).
    pub(crate) leaf: Option<&'a Leaf>,
}

/// A read-only handle on one retained version's tree.
#[derive(Clone, Copy)]
pub(crate) struct Tree<'a> {
    forest: &'a Forest,
    root: Child,
}

impl std::fmt::Debug for Tree<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("root", &self.root.0)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

/// Builds subtrees while recording every node it creates.
struct Builder<'f> {
    forest: &'f mut Forest,
    created: Vec<Ref>,
    stale: Vec<Ref>,
}

impl Forest {
    /// An empty forest that keeps the trees of the last `retained` (≥ 1) versions.
    pub(crate) fn new(retained: usize) -> Self {
        Self {
            inners: Slab::default(),
            leaves: Slab::default(),
            versions: VecDeque::new(),
            retained: retained.max(1),
        }
    }

    #[inline]
    fn inner(&self, r: Ref) -> &Inner {
        self.inners.get(r)
    }

    #[inline]
    fn leaf(&self, r: Ref) -> &Leaf {
        self.leaves.get(r & !LEAF_BIT)
    }

    /// Drops every version and node, then makes `version` the only one, built from leaves
    /// sorted by key hash with no duplicate key hash.
    pub(crate) fn reset(&mut self, version: u64, leaves: Vec<Leaf>) {
        *self = Self::new(self.retained);
        let mut b = Builder {
            forest: self,
            created: Vec::new(),
            stale: Vec::new(),
        };
        let items: Vec<Child> = leaves.into_iter().map(|l| b.new_leaf(l)).collect();
        let root = b.build(0, &items);
        self.versions.push_back(Version {
            version,
            root,
            stale: Vec::new(),
        });
    }

    /// The latest retained version, if any.
    pub(crate) fn latest(&self) -> Option<u64> {
        self.versions.back().map(|v| v.version)
    }

    /// The oldest retained version, if any.
    pub(crate) fn oldest(&self) -> Option<u64> {
        self.versions.front().map(|v| v.version)
    }

    /// The tree of `version` if it is retained.
    pub(crate) fn tree(&self, version: u64) -> Option<Tree<'_>> {
        let oldest = self.oldest()?;
        // Retained versions are consecutive, so the position is an offset from the front.
        let i = usize::try_from(version.checked_sub(oldest)?).ok()?;
        let v = self.versions.get(i).filter(|v| v.version == version)?;
        Some(Tree {
            forest: self,
            root: v.root,
        })
    }

    /// Computes `version` as the latest tree with `ops` applied (sorted by key hash, no
    /// duplicates). Each touched node is hashed exactly once; untouched subtrees are shared.
    /// Nothing is visible until [`Forest::publish`].
    pub(crate) fn prepare(&mut self, version: u64, mut ops: Vec<Op>) -> Pending {
        let base = self.versions.back().map_or(EMPTY, |v| v.root);
        let mut b = Builder {
            forest: self,
            created: Vec::new(),
            stale: Vec::new(),
        };
        let root = b.update(base, 0, &mut ops);
        Pending {
            version,
            root,
            stale: b.stale,
            created: b.created,
        }
    }

    /// Makes a prepared version the latest, dropping (and reclaiming the nodes only they
    /// used of) versions beyond the retention window.
    pub(crate) fn publish(&mut self, p: Pending) {
        self.versions.push_back(Version {
            version: p.version,
            root: p.root,
            stale: p.stale,
        });
        while self.versions.len() > self.retained {
            self.versions.pop_front();
            // The new front's stale nodes were only reachable from the versions before it.
            if let Some(front) = self.versions.front_mut() {
                let stale = std::mem::take(&mut front.stale);
                self.free(&stale);
            }
        }
    }

    /// Undoes a prepared version that will not be published.
    pub(crate) fn discard(&mut self, p: Pending) {
        self.free(&p.created);
    }

    fn free(&mut self, refs: &[Ref]) {
        for &r in refs {
            if is_leaf(r) {
                let i = r & !LEAF_BIT;
                // Release the key now rather than when the slot is reused.
                let chunk = &mut self.leaves.chunks[(i >> CHUNK_BITS) as usize];
                chunk[i as usize & (CHUNK - 1)].key = Box::default();
                self.leaves.free.push(i);
            } else {
                self.inners.free.push(r);
            }
        }
    }

    /// Live nodes (inner, leaf), for tests and diagnostics.
    #[cfg(test)]
    fn node_counts(&self) -> (usize, usize) {
        (self.inners.len(), self.leaves.len())
    }
}

impl Builder<'_> {
    fn new_leaf(&mut self, leaf: Leaf) -> Child {
        let hash = leaf.hash;
        let r = self.forest.leaves.alloc(leaf) | LEAF_BIT;
        self.created.push(r);
        (r, hash)
    }

    /// An inner node over two children, collapsing "one leaf and nothing" to the leaf.
    fn join(&mut self, left: Child, right: Child) -> Child {
        match (left.0, right.0) {
            (NIL, NIL) => EMPTY,
            (l, NIL) if is_leaf(l) => left,
            (NIL, r) if is_leaf(r) => right,
            _ => {
                let hash = inner_hash(&left.1, &right.1);
                let r = self.forest.inners.alloc(Inner {
                    left: left.0,
                    right: right.0,
                    left_hash: left.1,
                    right_hash: right.1,
                });
                self.created.push(r);
                (r, hash)
            }
        }
    }

    fn key_hash(&self, c: &Child) -> Digest32 {
        self.forest.leaf(c.0).key_hash
    }

    /// A subtree at `depth` holding exactly `leaves` (sorted, distinct key hashes).
    fn build(&mut self, depth: usize, leaves: &[Child]) -> Child {
        match leaves {
            [] => EMPTY,
            [one] => *one,
            // Distinct 256-bit hashes differ before bit 256, so this only guards against a
            // caller breaking the "distinct" precondition; keep the first.
            [first, ..] if depth >= MAX_DEPTH => *first,
            _ => {
                let split = leaves.partition_point(|l| !bit(&self.key_hash(l), depth));
                let left = self.build(depth + 1, &leaves[..split]);
                let right = self.build(depth + 1, &leaves[split..]);
                self.join(left, right)
            }
        }
    }

    /// The subtree at `depth` holding exactly two leaves with distinct key hashes.
    fn pair(&mut self, depth: usize, a: Child, b: Child) -> Child {
        let (ka, kb) = (self.key_hash(&a), self.key_hash(&b));
        let (lo, hi, klo, khi) = if ka < kb {
            (a, b, ka, kb)
        } else {
            (b, a, kb, ka)
        };
        // First bit at or below `depth` where the two paths part.
        let split = (depth..MAX_DEPTH)
            .find(|&d| bit(&klo, d) != bit(&khi, d))
            .unwrap_or(MAX_DEPTH);
        let mut node = self.join(lo, hi);
        // Shared bits above the split: inner nodes with one empty child.
        for d in (depth..split).rev() {
            node = if bit(&klo, d) {
                self.join(EMPTY, node)
            } else {
                self.join(node, EMPTY)
            };
        }
        node
    }

    /// `node` (at `depth`) with `ops` applied; `ops` all share `node`'s path prefix. The new
    /// leaves are moved out of `ops`.
    fn update(&mut self, node: Child, depth: usize, ops: &mut [Op]) -> Child {
        if ops.is_empty() {
            return node;
        }
        if node.0 == NIL {
            let leaves: Vec<Child> = ops
                .iter_mut()
                .filter_map(|o| o.leaf.take())
                .map(|l| self.new_leaf(l))
                .collect();
            return self.build(depth, &leaves);
        }
        if is_leaf(node.0) {
            let old_hash = self.key_hash(&node);
            if let [op] = ops {
                // The common case of a large batch at the bottom of the tree: one op meeting
                // one leaf. Handled without collecting a leaf list.
                if op.key_hash == old_hash {
                    self.stale.push(node.0);
                    return match op.leaf.take() {
                        Some(l) => self.new_leaf(l),
                        None => EMPTY,
                    };
                }
                return match op.leaf.take() {
                    None => node,
                    Some(l) => {
                        let new = self.new_leaf(l);
                        self.pair(depth, node, new)
                    }
                };
            }
            // Merge the existing leaf into the sorted new leaves unless an op replaces it.
            let replaced = ops.binary_search_by(|o| o.key_hash.cmp(&old_hash)).is_ok();
            if replaced {
                self.stale.push(node.0);
            }
            let mut leaves = Vec::with_capacity(ops.len() + 1);
            let mut pending = (!replaced).then_some(node);
            for op in ops.iter_mut() {
                if pending.is_some() && old_hash < op.key_hash {
                    leaves.extend(pending.take());
                }
                if let Some(l) = op.leaf.take() {
                    leaves.push(self.new_leaf(l));
                }
            }
            leaves.extend(pending);
            return self.build(depth, &leaves);
        }
        if depth >= MAX_DEPTH {
            return node;
        }
        let inner = *self.forest.inner(node.0);
        let split = ops.partition_point(|o| !bit(&o.key_hash, depth));
        let (lo, hi) = ops.split_at_mut(split);
        let left = self.update((inner.left, inner.left_hash), depth + 1, lo);
        let right = self.update((inner.right, inner.right_hash), depth + 1, hi);
        // Nothing changed below: share the node instead of rehashing it.
        if left.0 == inner.left && right.0 == inner.right {
            return node;
        }
        self.stale.push(node.0);
        self.join(left, right)
    }
}

/// A node of a retained tree as the witness builder sees it (see `witness.rs`).
pub(crate) enum NodeView<'a> {
    /// The empty subtree.
    Empty,
    /// A leaf.
    Leaf(&'a Leaf),
    /// An inner node: its children as handles (ref and hash).
    Inner(NodeHandle, NodeHandle),
}

/// A handle on a node of a retained tree: its ref and hash.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeHandle {
    r: Ref,
    /// The node's hash (32 zero bytes for the empty subtree).
    pub(crate) hash: Digest32,
}

impl<'a> Tree<'a> {
    /// The root hash; the empty tree's root is 32 zero bytes (= its empty-child hash).
    pub(crate) fn root_hash(&self) -> Digest32 {
        self.root.1
    }

    /// The root node.
    pub(crate) fn root_handle(&self) -> NodeHandle {
        NodeHandle {
            r: self.root.0,
            hash: self.root.1,
        }
    }

    /// What the node behind `h` is.
    pub(crate) fn node(&self, h: NodeHandle) -> NodeView<'a> {
        if h.r == NIL {
            NodeView::Empty
        } else if is_leaf(h.r) {
            NodeView::Leaf(self.forest.leaf(h.r))
        } else {
            let i = self.forest.inner(h.r);
            NodeView::Inner(
                NodeHandle {
                    r: i.left,
                    hash: i.left_hash,
                },
                NodeHandle {
                    r: i.right,
                    hash: i.right_hash,
                },
            )
        }
    }

    /// Walks from the root towards `key_hash` until a leaf or an empty child.
    pub(crate) fn walk(&self, key_hash: &Digest32) -> Walk<'a> {
        let mut steps = Vec::new();
        let mut node = self.root.0;
        let mut depth = 0;
        loop {
            if node == NIL {
                return Walk { steps, leaf: None };
            }
            if is_leaf(node) {
                return Walk {
                    steps,
                    leaf: Some(self.forest.leaf(node)),
                };
            }
            let inner = self.forest.inner(node);
            let right = bit(key_hash, depth);
            let (next, sibling) = if right {
                (inner.right, inner.left_hash)
            } else {
                (inner.left, inner.right_hash)
            };
            steps.push(Step {
                sibling,
                went_right: right,
            });
            node = next;
            depth += 1;
        }
    }

    /// The leaf with the greatest key hash strictly below `key_hash`.
    pub(crate) fn predecessor(&self, key_hash: &Digest32) -> Option<&'a Leaf> {
        self.neighbour(self.root.0, key_hash, 0, Side::Left)
    }

    /// The leaf with the smallest key hash strictly above `key_hash`.
    pub(crate) fn successor(&self, key_hash: &Digest32) -> Option<&'a Leaf> {
        self.neighbour(self.root.0, key_hash, 0, Side::Right)
    }

    /// Nearest leaf on `side` of `key_hash` within `node`, whose leaves all share the first
    /// `depth` bits with `key_hash`. At an inner node the child on the far side of
    /// `key_hash`'s bit lies entirely on one side of it, so only one branch needs searching
    /// plus, as a fallback, the extreme leaf of the sibling.
    fn neighbour(
        &self,
        node: Ref,
        key_hash: &Digest32,
        depth: usize,
        side: Side,
    ) -> Option<&'a Leaf> {
        if node == NIL {
            return None;
        }
        if is_leaf(node) {
            let l = self.forest.leaf(node);
            let ok = match side {
                Side::Left => l.key_hash < *key_hash,
                Side::Right => l.key_hash > *key_hash,
            };
            return ok.then_some(l);
        }
        let inner = self.forest.inner(node);
        let right = bit(key_hash, depth);
        match (side, right) {
            // Everything in the right subtree is above key_hash.
            (Side::Left, false) => self.neighbour(inner.left, key_hash, depth + 1, side),
            (Side::Left, true) => self
                .neighbour(inner.right, key_hash, depth + 1, side)
                .or_else(|| self.extreme(inner.left, Side::Right)),
            (Side::Right, true) => self.neighbour(inner.right, key_hash, depth + 1, side),
            (Side::Right, false) => self
                .neighbour(inner.left, key_hash, depth + 1, side)
                .or_else(|| self.extreme(inner.right, Side::Left)),
        }
    }

    /// The leftmost (`Side::Left`) or rightmost leaf of a subtree.
    fn extreme(&self, mut node: Ref, side: Side) -> Option<&'a Leaf> {
        loop {
            if node == NIL {
                return None;
            }
            if is_leaf(node) {
                return Some(self.forest.leaf(node));
            }
            let i = self.forest.inner(node);
            let (first, second) = match side {
                Side::Left => (i.left, i.right),
                Side::Right => (i.right, i.left),
            };
            // An inner node is never empty on both sides.
            node = if first == NIL { second } else { first };
        }
    }

    /// Every leaf in key-hash order (tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn leaves(&self) -> Vec<&'a Leaf> {
        fn go<'a>(f: &'a Forest, n: Ref, out: &mut Vec<&'a Leaf>) {
            if n == NIL {
            } else if is_leaf(n) {
                out.push(f.leaf(n));
            } else {
                let i = f.inner(n);
                go(f, i.left, out);
                go(f, i.right, out);
            }
        }
        let mut out = Vec::new();
        go(self.forest, self.root.0, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(key: &[u8], value: &[u8]) -> Leaf {
        Leaf::new(key, sha256(key), &sha256(value), 1)
    }

    fn set(key: &[u8], value: &[u8]) -> Op {
        Op {
            key_hash: sha256(key),
            leaf: Some(leaf(key, value)),
        }
    }

    fn del(key: &[u8]) -> Op {
        Op {
            key_hash: sha256(key),
            leaf: None,
        }
    }

    fn sorted(mut ops: Vec<Op>) -> Vec<Op> {
        ops.sort_by_key(|o| o.key_hash);
        ops
    }

    /// Applies and publishes `ops` as the next version; returns its root.
    fn commit(f: &mut Forest, ops: Vec<Op>) -> Digest32 {
        let v = f.latest().map_or(1, |v| v + 1);
        let p = f.prepare(v, ops);
        let root = p.root_hash();
        f.publish(p);
        root
    }

    fn rebuilt_root(leaves: Vec<Leaf>) -> Digest32 {
        let mut leaves = leaves;
        leaves.sort_by_key(|l| l.key_hash);
        let mut f = Forest::new(1);
        f.reset(0, leaves);
        f.tree(0).unwrap().root_hash()
    }

    #[test]
    fn empty_and_single_leaf_roots() {
        let mut f = Forest::new(10);
        f.reset(0, Vec::new());
        assert_eq!(f.tree(0).unwrap().root_hash(), EMPTY_HASH);
        // A lone leaf is the root: no inner node above it.
        assert_eq!(
            commit(&mut f, vec![set(b"k", b"v")]),
            leaf_hash(&sha256(b"k"), &sha256(b"v"))
        );
        assert_eq!(commit(&mut f, vec![del(b"k")]), EMPTY_HASH);
    }

    #[test]
    fn two_leaves_hash_by_first_differing_bit() {
        let (a, b) = (leaf(b"a", b"1"), leaf(b"b", b"2"));
        let (lo, hi) = if a.key_hash < b.key_hash {
            (a, b)
        } else {
            (b, a)
        };
        // Walk down the shared prefix: each shared bit adds an inner node with an empty
        // sibling on the side the pair does not take.
        let mut depth = 0;
        while bit(&lo.key_hash, depth) == bit(&hi.key_hash, depth) {
            depth += 1;
        }
        let mut expected = inner_hash(&lo.hash, &hi.hash);
        for d in (0..depth).rev() {
            expected = if bit(&lo.key_hash, d) {
                inner_hash(&EMPTY_HASH, &expected)
            } else {
                inner_hash(&expected, &EMPTY_HASH)
            };
        }
        let mut f = Forest::new(10);
        let root = commit(&mut f, sorted(vec![set(b"a", b"1"), set(b"b", b"2")]));
        assert_eq!(root, expected);
        // Deleting one collapses back to the lone leaf.
        assert_eq!(commit(&mut f, vec![del(b"a")]), leaf(b"b", b"2").hash);
    }

    #[test]
    fn incremental_equals_rebuild_and_shares_untouched_nodes() {
        let keys: Vec<Vec<u8>> = (0u32..500).map(|i| i.to_be_bytes().to_vec()).collect();
        let mut f = Forest::new(1000);
        for chunk in keys.chunks(37) {
            commit(&mut f, sorted(chunk.iter().map(|k| set(k, k)).collect()));
        }
        let latest = f.latest().unwrap();
        let all: Vec<Leaf> = keys.iter().map(|k| leaf(k, k)).collect();
        let root = f.tree(latest).unwrap().root_hash();
        assert_eq!(root, rebuilt_root(all));
        assert_eq!(f.tree(latest).unwrap().leaves().len(), 500);
        // Deleting an absent key changes nothing and allocates nothing.
        let before = f.node_counts();
        let p = f.prepare(latest + 1, vec![del(b"absent")]);
        assert!(p.created.is_empty() && p.stale.is_empty());
        assert_eq!(p.root_hash(), root);
        f.publish(p);
        assert_eq!(f.node_counts(), before);
    }

    #[test]
    fn old_versions_survive_until_dropped_and_memory_is_reclaimed() {
        let mut f = Forest::new(3);
        let mut roots = Vec::new();
        for round in 0u32..40 {
            let mut ops = Vec::new();
            for i in 0..50u32 {
                let k = (round * 31 + i * 17) % 300;
                if (round + i) % 5 == 0 {
                    ops.push(del(&k.to_be_bytes()));
                } else {
                    ops.push(set(&k.to_be_bytes(), &round.to_be_bytes()));
                }
            }
            ops.sort_by_key(|o| o.key_hash);
            ops.dedup_by_key(|o| o.key_hash);
            let v = f.latest().map_or(1, |v| v + 1);
            let p = f.prepare(v, ops);
            roots.push((v, p.root_hash()));
            f.publish(p);
            // Every retained version still has its root and walks to consistent leaves.
            for (rv, rr) in roots.iter().rev().take(3) {
                let t = f.tree(*rv).unwrap();
                assert_eq!(t.root_hash(), *rr);
                for l in t.leaves() {
                    let w = t.walk(&l.key_hash);
                    assert_eq!(w.leaf.unwrap().key_hash, l.key_hash);
                }
            }
        }
        assert!(f.tree(roots[0].0).is_none());
        // The live leaves are those of the 3 retained versions, not all 40.
        let leaves: usize = (0..3)
            .map(|i| f.tree(roots[roots.len() - 1 - i].0).unwrap().leaves().len())
            .sum();
        assert!(f.node_counts().1 <= leaves);
        // A discarded version leaves no trace.
        let before = f.node_counts();
        let p = f.prepare(1000, vec![set(b"new", b"x")]);
        f.discard(p);
        assert_eq!(f.node_counts(), before);
    }

    #[test]
    fn neighbours_are_adjacent_in_hash_order() {
        let keys: Vec<Vec<u8>> = (0u32..200).map(|i| i.to_le_bytes().to_vec()).collect();
        let mut f = Forest::new(1);
        commit(&mut f, sorted(keys.iter().map(|k| set(k, b"v")).collect()));
        let t = f.tree(1).unwrap();
        let mut hashes: Vec<Digest32> = keys.iter().map(|k| sha256(k)).collect();
        hashes.sort();
        for probe in 0u32..300 {
            let h = sha256(format!("probe{probe}").as_bytes());
            let below = hashes.iter().rev().find(|x| **x < h);
            let above = hashes.iter().find(|x| **x > h);
            assert_eq!(t.predecessor(&h).map(|l| l.key_hash).as_ref(), below);
            assert_eq!(t.successor(&h).map(|l| l.key_hash).as_ref(), above);
        }
    }
}
