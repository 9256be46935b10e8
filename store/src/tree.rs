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
//! Nodes are immutable and reference counted: a commit rebuilds only the paths it touches and
//! shares every other subtree with the previous version, so keeping the last N versions costs
//! O(touched nodes) per version, not O(state).

use std::sync::Arc;

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
    let mut h = Sha256::new();
    h.update([LEAF_PREFIX]);
    h.update(key_hash);
    h.update(value_hash);
    h.finalize().into()
}

/// `sha256(0x01 ‖ left ‖ right)`.
pub(crate) fn inner_hash(left: &Digest32, right: &Digest32) -> Digest32 {
    let mut h = Sha256::new();
    h.update([INNER_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Bit `depth` of `key_hash`, MSB of byte 0 first. `true` = right.
#[inline]
pub(crate) fn bit(key_hash: &Digest32, depth: usize) -> bool {
    (key_hash[depth / 8] >> (7 - depth % 8)) & 1 == 1
}

/// A leaf. The key is kept (not its value) because non-existence proofs must name their
/// neighbours' keys and the tree is the only index from key hash back to key; `version` (the
/// version that wrote the value) turns a read at any retained version into one point lookup.
#[derive(Debug)]
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

/// An inner node. Invariant: the subtree holds at least two leaves (else it collapses).
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) left: Option<Node>,
    pub(crate) right: Option<Node>,
    pub(crate) hash: Digest32,
}

/// A non-empty subtree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Leaf(Arc<Leaf>),
    Inner(Arc<Inner>),
}

impl Node {
    pub(crate) fn hash(&self) -> &Digest32 {
        match self {
            Node::Leaf(l) => &l.hash,
            Node::Inner(i) => &i.hash,
        }
    }
}

/// Hash of an optional subtree.
pub(crate) fn child_hash(node: Option<&Node>) -> &Digest32 {
    node.map_or(&EMPTY_HASH, Node::hash)
}

/// One change of a batch: `Some(leaf)` to set, `None` to delete the key with this hash.
#[derive(Debug)]
pub(crate) struct Op {
    pub(crate) key_hash: Digest32,
    pub(crate) leaf: Option<Arc<Leaf>>,
}

/// One version of the tree. Cloning is O(1) and shares all nodes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    root: Option<Node>,
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
    pub(crate) leaf: Option<&'a Arc<Leaf>>,
}

impl Tree {
    /// The root hash; the empty tree's root is 32 zero bytes (= its empty-child hash).
    pub(crate) fn root_hash(&self) -> Digest32 {
        *child_hash(self.root.as_ref())
    }

    /// Builds a tree from leaves sorted by key hash with no duplicate key hash.
    pub(crate) fn from_sorted_leaves(leaves: &[Arc<Leaf>]) -> Self {
        Self {
            root: build(0, leaves),
        }
    }

    /// A new version with `ops` applied. `ops` must be sorted by key hash, without
    /// duplicates. Each touched node is hashed exactly once; untouched subtrees are shared.
    pub(crate) fn apply(&self, ops: &[Op]) -> Self {
        Self {
            root: update(self.root.as_ref(), 0, ops),
        }
    }

    /// Walks from the root towards `key_hash` until a leaf or an empty child.
    pub(crate) fn walk(&self, key_hash: &Digest32) -> Walk<'_> {
        let mut steps = Vec::new();
        let mut node = self.root.as_ref();
        let mut depth = 0;
        loop {
            match node {
                None => return Walk { steps, leaf: None },
                Some(Node::Leaf(l)) => {
                    return Walk {
                        steps,
                        leaf: Some(l),
                    }
                }
                Some(Node::Inner(inner)) => {
                    let right = bit(key_hash, depth);
                    let (next, sibling) = if right {
                        (inner.right.as_ref(), inner.left.as_ref())
                    } else {
                        (inner.left.as_ref(), inner.right.as_ref())
                    };
                    steps.push(Step {
                        sibling: *child_hash(sibling),
                        went_right: right,
                    });
                    node = next;
                    depth += 1;
                }
            }
        }
    }

    /// The leaf with the greatest key hash strictly below `key_hash`.
    pub(crate) fn predecessor(&self, key_hash: &Digest32) -> Option<&Arc<Leaf>> {
        neighbour(self.root.as_ref(), key_hash, 0, Side::Left)
    }

    /// The leaf with the smallest key hash strictly above `key_hash`.
    pub(crate) fn successor(&self, key_hash: &Digest32) -> Option<&Arc<Leaf>> {
        neighbour(self.root.as_ref(), key_hash, 0, Side::Right)
    }

    /// Every leaf in key-hash order (tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn leaves(&self) -> Vec<Arc<Leaf>> {
        fn go(n: Option<&Node>, out: &mut Vec<Arc<Leaf>>) {
            match n {
                None => {}
                Some(Node::Leaf(l)) => out.push(l.clone()),
                Some(Node::Inner(i)) => {
                    go(i.left.as_ref(), out);
                    go(i.right.as_ref(), out);
                }
            }
        }
        let mut out = Vec::new();
        go(self.root.as_ref(), &mut out);
        out
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

/// Nearest leaf on `side` of `key_hash` within `node`, whose leaves all share the first
/// `depth` bits with `key_hash`. At an inner node the child on the far side of `key_hash`'s
/// bit lies entirely on one side of it, so only one branch needs searching plus, as a
/// fallback, the extreme leaf of the sibling.
fn neighbour<'a>(
    node: Option<&'a Node>,
    key_hash: &Digest32,
    depth: usize,
    side: Side,
) -> Option<&'a Arc<Leaf>> {
    match node? {
        Node::Leaf(l) => {
            let ok = match side {
                Side::Left => l.key_hash < *key_hash,
                Side::Right => l.key_hash > *key_hash,
            };
            ok.then_some(l)
        }
        Node::Inner(inner) => {
            let right = bit(key_hash, depth);
            match (side, right) {
                // Everything in the right subtree is above key_hash.
                (Side::Left, false) => neighbour(inner.left.as_ref(), key_hash, depth + 1, side),
                (Side::Left, true) => neighbour(inner.right.as_ref(), key_hash, depth + 1, side)
                    .or_else(|| extreme(inner.left.as_ref(), Side::Right)),
                (Side::Right, true) => neighbour(inner.right.as_ref(), key_hash, depth + 1, side),
                (Side::Right, false) => neighbour(inner.left.as_ref(), key_hash, depth + 1, side)
                    .or_else(|| extreme(inner.right.as_ref(), Side::Left)),
            }
        }
    }
}

/// The leftmost (`Side::Left`) or rightmost leaf of a subtree.
fn extreme(mut node: Option<&Node>, side: Side) -> Option<&Arc<Leaf>> {
    loop {
        match node? {
            Node::Leaf(l) => return Some(l),
            Node::Inner(i) => {
                let (first, second) = match side {
                    Side::Left => (&i.left, &i.right),
                    Side::Right => (&i.right, &i.left),
                };
                // An inner node is never empty on both sides.
                node = first.as_ref().or(second.as_ref());
            }
        }
    }
}

/// An inner node over two children, collapsing "one leaf and nothing" to the leaf.
fn join(left: Option<Node>, right: Option<Node>) -> Option<Node> {
    match (&left, &right) {
        (None, None) => None,
        (Some(Node::Leaf(_)), None) => left,
        (None, Some(Node::Leaf(_))) => right,
        _ => {
            let hash = inner_hash(child_hash(left.as_ref()), child_hash(right.as_ref()));
            Some(Node::Inner(Arc::new(Inner { left, right, hash })))
        }
    }
}

/// A subtree at `depth` holding exactly `leaves` (sorted, distinct key hashes).
fn build(depth: usize, leaves: &[Arc<Leaf>]) -> Option<Node> {
    match leaves {
        [] => None,
        [one] => Some(Node::Leaf(one.clone())),
        // Distinct 256-bit hashes differ before bit 256, so this only guards against a caller
        // breaking the "distinct" precondition; keep the first rather than index out of range.
        [first, ..] if depth >= MAX_DEPTH => Some(Node::Leaf(first.clone())),
        _ => {
            let split = leaves.partition_point(|l| !bit(&l.key_hash, depth));
            join(
                build(depth + 1, &leaves[..split]),
                build(depth + 1, &leaves[split..]),
            )
        }
    }
}

/// The subtree at `depth` holding exactly two leaves with distinct key hashes.
fn pair(depth: usize, a: &Arc<Leaf>, b: &Arc<Leaf>) -> Option<Node> {
    let (lo, hi) = if a.key_hash < b.key_hash {
        (a, b)
    } else {
        (b, a)
    };
    // First bit at or below `depth` where the two paths part.
    let split = (depth..MAX_DEPTH)
        .find(|&d| bit(&lo.key_hash, d) != bit(&hi.key_hash, d))
        .unwrap_or(MAX_DEPTH);
    let mut node = join(Some(Node::Leaf(lo.clone())), Some(Node::Leaf(hi.clone())));
    // Shared bits above the split: inner nodes with one empty child.
    for d in (depth..split).rev() {
        node = if bit(&lo.key_hash, d) {
            join(None, node)
        } else {
            join(node, None)
        };
    }
    node
}

/// `node` (at `depth`) with `ops` applied; `ops` all share `node`'s path prefix.
fn update(node: Option<&Node>, depth: usize, ops: &[Op]) -> Option<Node> {
    if ops.is_empty() {
        return node.cloned();
    }
    match node {
        None => {
            let leaves: Vec<Arc<Leaf>> = ops.iter().filter_map(|o| o.leaf.clone()).collect();
            build(depth, &leaves)
        }
        // The common cases of a large batch at the bottom of the tree: one op meeting one leaf
        // or an empty slot. Handled without collecting a leaf list.
        Some(Node::Leaf(old)) if ops.len() == 1 => {
            let op = &ops[0];
            match &op.leaf {
                _ if op.key_hash == old.key_hash => op.leaf.clone().map(Node::Leaf),
                None => node.cloned(),
                Some(new) => pair(depth, old, new),
            }
        }
        Some(Node::Leaf(old)) => {
            // Merge the existing leaf into the sorted new leaves unless an op replaces it.
            let replaced = ops
                .binary_search_by(|o| o.key_hash.cmp(&old.key_hash))
                .is_ok();
            let mut leaves = Vec::with_capacity(ops.len() + 1);
            let mut pending = (!replaced).then_some(old);
            for op in ops {
                if let Some(o) = pending.filter(|o| o.key_hash < op.key_hash) {
                    leaves.push(o.clone());
                    pending = None;
                }
                if let Some(l) = &op.leaf {
                    leaves.push(l.clone());
                }
            }
            if let Some(o) = pending {
                leaves.push(o.clone());
            }
            build(depth, &leaves)
        }
        Some(Node::Inner(inner)) => {
            if depth >= MAX_DEPTH {
                return node.cloned();
            }
            let split = ops.partition_point(|o| !bit(&o.key_hash, depth));
            let (lo, hi) = ops.split_at(split);
            let left = update(inner.left.as_ref(), depth + 1, lo);
            let right = update(inner.right.as_ref(), depth + 1, hi);
            // Nothing changed below: share the node instead of rehashing it.
            if same(&left, &inner.left) && same(&right, &inner.right) {
                return node.cloned();
            }
            join(left, right)
        }
    }
}

/// Pointer equality of optional subtrees.
fn same(a: &Option<Node>, b: &Option<Node>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Node::Leaf(x)), Some(Node::Leaf(y))) => Arc::ptr_eq(x, y),
        (Some(Node::Inner(x)), Some(Node::Inner(y))) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(key: &[u8], value: &[u8]) -> Arc<Leaf> {
        Arc::new(Leaf::new(key, sha256(key), &sha256(value), 1))
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

    #[test]
    fn empty_and_single_leaf_roots() {
        let t = Tree::default();
        assert_eq!(t.root_hash(), EMPTY_HASH);
        let t = t.apply(&[set(b"k", b"v")]);
        // A lone leaf is the root: no inner node above it.
        assert_eq!(t.root_hash(), leaf_hash(&sha256(b"k"), &sha256(b"v")));
        let t = t.apply(&[del(b"k")]);
        assert_eq!(t.root_hash(), EMPTY_HASH);
    }

    #[test]
    fn two_leaves_hash_by_first_differing_bit() {
        let (a, b) = (leaf(b"a", b"1"), leaf(b"b", b"2"));
        let (lo, hi) = if a.key_hash < b.key_hash {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
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
        let t = Tree::default().apply(&sorted(vec![set(b"a", b"1"), set(b"b", b"2")]));
        assert_eq!(t.root_hash(), expected);
        // Deleting one collapses back to the lone leaf.
        let t = t.apply(&[del(b"a")]);
        assert_eq!(t.root_hash(), leaf(b"b", b"2").hash);
    }

    #[test]
    fn incremental_equals_rebuild_and_shares_untouched_nodes() {
        let keys: Vec<Vec<u8>> = (0u32..500).map(|i| i.to_be_bytes().to_vec()).collect();
        let mut t = Tree::default();
        for chunk in keys.chunks(37) {
            t = t.apply(&sorted(chunk.iter().map(|k| set(k, k)).collect()));
        }
        let mut all: Vec<Arc<Leaf>> = keys.iter().map(|k| leaf(k, k)).collect();
        all.sort_by_key(|l| l.key_hash);
        assert_eq!(t.root_hash(), Tree::from_sorted_leaves(&all).root_hash());
        assert_eq!(t.leaves().len(), 500);
        // Deleting an absent key changes nothing and allocates nothing at the root.
        let t2 = t.apply(&[del(b"absent")]);
        assert!(same(&t.root, &t2.root));
    }

    #[test]
    fn neighbours_are_adjacent_in_hash_order() {
        let keys: Vec<Vec<u8>> = (0u32..200).map(|i| i.to_le_bytes().to_vec()).collect();
        let t = Tree::default().apply(&sorted(keys.iter().map(|k| set(k, b"v")).collect()));
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
