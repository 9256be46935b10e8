//! Building a [`Witness`] from the live store (the prover's side; needs the database).

use crate::error::StoreError;
use crate::store::{leaf_value, Store};
use crate::tree::{bit, sha256, Digest32, NodeHandle, NodeView, Tree};
use crate::witness::{Node, Witness};

/// A key the builder covers: its hash, the key, and whether it may be deleted.
type Wanted<'k> = (Digest32, &'k [u8], bool);

struct Builder<'t, 's> {
    tree: Tree<'t>,
    snapshot: &'s crate::db::Snapshot,
}

impl Builder<'_, '_> {
    fn stub(&self, leaf: &crate::tree::Leaf) -> Result<Node, StoreError> {
        let value = leaf_value(self.snapshot, leaf)?;
        Ok(Node::Stub {
            key_hash: leaf.key_hash,
            value_hash: sha256(&value),
        })
    }

    /// A subtree no wanted key enters: its hash, or one level of it when `expand`.
    fn opaque(&self, h: NodeHandle, expand: bool) -> Result<Node, StoreError> {
        Ok(match self.tree.node(h) {
            NodeView::Empty => Node::Empty,
            NodeView::Leaf(l) if expand => self.stub(l)?,
            NodeView::Inner(a, b) if expand => Node::Inner(
                Box::new(self.opaque(a, false)?),
                Box::new(self.opaque(b, false)?),
            ),
            _ => Node::Hash(h.hash),
        })
    }

    fn build(&self, h: NodeHandle, depth: usize, keys: &[Wanted<'_>]) -> Result<Node, StoreError> {
        match self.tree.node(h) {
            NodeView::Empty => Ok(Node::Empty),
            NodeView::Leaf(l) => {
                if keys.iter().any(|k| k.0 == l.key_hash) {
                    Ok(Node::Leaf {
                        key: l.key.to_vec(),
                        value: leaf_value(self.snapshot, l)?,
                        key_hash: l.key_hash,
                    })
                } else {
                    self.stub(l)
                }
            }
            NodeView::Inner(a, b) => {
                let split = keys.partition_point(|k| !bit(&k.0, depth));
                let (lk, rk) = keys.split_at(split);
                let side = |h: NodeHandle, mine: &[Wanted<'_>], other: &[Wanted<'_>]| {
                    if mine.is_empty() {
                        self.opaque(h, other.iter().any(|k| k.2))
                    } else {
                        self.build(h, depth + 1, mine)
                    }
                };
                Ok(Node::Inner(
                    Box::new(side(a, lk, rk)?),
                    Box::new(side(b, rk, lk)?),
                ))
            }
        }
    }
}

impl Store {
    /// The witness of `keys` at `version` (a retained version): their values or absence,
    /// and, for the keys also in `deletes`, what [`Witness::apply`] needs to delete them.
    /// Covering a key that is then only written (not deleted) needs nothing more.
    pub fn witness<'k>(
        &self,
        version: u64,
        keys: impl IntoIterator<Item = &'k [u8]>,
        deletes: impl IntoIterator<Item = &'k [u8]>,
    ) -> Result<Witness, StoreError> {
        let mut wanted: Vec<Wanted<'k>> = keys.into_iter().map(|k| (sha256(k), k, false)).collect();
        wanted.extend(deletes.into_iter().map(|k| (sha256(k), k, true)));
        // One entry per key hash, "deleted" if any entry says so.
        wanted.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)));
        wanted.dedup_by_key(|w| w.0);
        let forest = self.read_forest();
        let tree = self.tree_at(&forest, version)?;
        let snapshot = self.snapshot()?;
        let b = Builder {
            tree,
            snapshot: &snapshot,
        };
        let root = if wanted.is_empty() {
            b.opaque(tree.root_handle(), false)?
        } else {
            b.build(tree.root_handle(), 0, &wanted)?
        };
        Ok(Witness { root })
    }
}
