//! OPinit's bridge hashing, bit for bit: output roots, withdrawal leaves, the sorted-pair
//! Merkle tree of withdrawals, and L2 denoms of deposited L1 tokens.
//!
//! Both sides of the bridge use these: the minitia builds the withdrawal tree of each
//! submission interval and proposes output roots; the L1 (`l1-orchestrator`'s ophost module)
//! checks withdrawal proofs against proposed outputs. They match OPinit's
//! `x/ophost/types/output.go` and `denom.go` and opinit-bots' `merkle` package, so a minitia
//! built here can settle on an Initia L1 and the reverse.

use crate::hash::{sha3_256, Hash32};

/// The output root version OPinit uses today.
pub const OUTPUT_VERSION: u8 = 1;

/// Prefix of L2 denoms of bridged L1 tokens.
pub const L2_DENOM_PREFIX: &str = "l2/";

/// `sha3_256(version ‖ storage_root ‖ last_block_hash)`: what a proposer posts per interval.
/// `storage_root` is the root of the interval's withdrawal tree.
pub fn output_root(version: u8, storage_root: &Hash32, last_block_hash: &Hash32) -> Hash32 {
    sha3_256(&[&[version], &storage_root.0, &last_block_hash.0])
}

/// The leaf of one withdrawal: `sha3(sha3(bridge_id_be8 ‖ sequence_be8 ‖ sha3(sender) ‖
/// sha3(receiver) ‖ sha3(denom) ‖ amount_be8))`. Addresses are hashed as the UTF-8 strings the
/// users typed (bech32 on both sides), `denom` is the L1 denom. The double hash keeps a leaf
/// from being mistaken for an inner node (second-preimage attacks).
pub fn withdrawal_leaf(
    bridge_id: u64,
    sequence: u64,
    sender: &str,
    receiver: &str,
    denom: &str,
    amount: u64,
) -> Hash32 {
    let inner = sha3_256(&[
        &bridge_id.to_be_bytes(),
        &sequence.to_be_bytes(),
        &sha3_256(&[sender.as_bytes()]).0,
        &sha3_256(&[receiver.as_bytes()]).0,
        &sha3_256(&[denom.as_bytes()]).0,
        &amount.to_be_bytes(),
    ]);
    sha3_256(&[&inner.0])
}

/// An inner node: `sha3(min(a, b) ‖ max(a, b))`. Sorting the pair makes proofs carry no
/// left/right flags.
pub fn node_hash(a: &Hash32, b: &Hash32) -> Hash32 {
    if a.0 <= b.0 {
        sha3_256(&[&a.0, &b.0])
    } else {
        sha3_256(&[&b.0, &a.0])
    }
}

/// Folds a leaf with its proof (sibling hashes from the bottom up) into a root.
pub fn root_from_proof(leaf: &Hash32, proof: &[Hash32]) -> Hash32 {
    proof
        .iter()
        .fold(*leaf, |acc, sibling| node_hash(&acc, sibling))
}

/// The L2 denom of an L1 denom on a bridge: `"l2/" + hex(sha3(bridge_id_be8 ‖ l1_denom))`.
pub fn l2_denom(bridge_id: u64, l1_denom: &str) -> String {
    let h = sha3_256(&[&bridge_id.to_be_bytes(), l1_denom.as_bytes()]);
    format!("{L2_DENOM_PREFIX}{}", hex::encode(h.0))
}

/// A finished withdrawal tree of one interval, as opinit-bots finalizes it: the leaves are
/// filled up to a power of two with copies of the last leaf, then hashed pairwise. No leaves
/// gives the zero root; one leaf is its own root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalTree {
    /// Real leaves (before filling).
    len: usize,
    /// Level 0 is the filled leaves; the last level holds the root alone.
    levels: Vec<Vec<Hash32>>,
}

impl WithdrawalTree {
    /// Builds the tree over `leaves` in order.
    pub fn new(mut leaves: Vec<Hash32>) -> Self {
        let len = leaves.len();
        if let Some(last) = leaves.last().copied() {
            leaves.resize(len.next_power_of_two(), last);
        }
        let mut levels = vec![leaves];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let below = levels.last().map(Vec::as_slice).unwrap_or_default();
            let next = below
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
            levels.push(next);
        }
        Self { len, levels }
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The storage root: zero for an empty tree.
    pub fn root(&self) -> Hash32 {
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or(Hash32::ZERO)
    }

    /// The proof of leaf `index` (siblings bottom-up), or `None` if out of range.
    pub fn proof(&self, index: usize) -> Option<Vec<Hash32>> {
        if index >= self.len() {
            return None;
        }
        let mut i = index;
        let mut proof = Vec::new();
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = level.get(i ^ 1)?;
            proof.push(*sibling);
            i /= 2;
        }
        Some(proof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(hex: &str) -> Hash32 {
        Hash32::from_hex(hex).unwrap()
    }

    // Fixed vectors from opinit-bots `executor/child/withdraw_test.go` (TestHandleOutput,
    // TestInitiateWithdrawalHandler, TestPrepareOutput), which run OPinit's
    // `GenerateOutputRoot` / `GenerateWithdrawalHash` / `GenerateNodeHash`.
    #[test]
    fn output_root_matches_opinit_bots_vector() {
        let storage = Hash32::from_slice(b"storageRootstorageRootstorageRoo").unwrap();
        let block = Hash32::from_slice(b"latestBlockHashlatestBlockHashla").unwrap();
        assert_eq!(
            output_root(1, &storage, &block),
            h("c74eaa00bbc816d29439014cf7363e29b185188cd46a38fd641fe59fe400bcf2")
        );
        assert_ne!(
            output_root(2, &storage, &block),
            output_root(1, &storage, &block)
        );
    }

    #[test]
    fn withdrawal_leaf_matches_opinit_bots_vectors() {
        assert_eq!(
            withdrawal_leaf(1, 1, "from", "to", "uinit", 10000),
            h("57eeee92ac2bab405aea48fadd3119d42ee6e197bba6a1119a277f390b4d9de6")
        );
        assert_eq!(
            withdrawal_leaf(1, 101, "from", "to", "uinit", 10000),
            h("1f39f9f14db6adf5cad956423881738ee769758930e6fd1e676427b29205941b")
        );
        assert_ne!(
            withdrawal_leaf(2, 1, "from", "to", "uinit", 10000),
            withdrawal_leaf(1, 1, "from", "to", "uinit", 10000)
        );
    }

    #[test]
    fn node_hash_matches_opinit_bots_vectors() {
        let a = h("5ec5b81343b976bbef23bc6e6abe44a6a7178c66aefd78e8d81c7336f332b631");
        let b = h("1f39f9f14db6adf5cad956423881738ee769758930e6fd1e676427b29205941b");
        let ab = h("06908d0d100f5578aa1281a172bf466509d3a03cb24ca1b432b911715e10a9b6");
        assert_eq!(node_hash(&a, &b), ab);
        assert_eq!(node_hash(&b, &a), ab, "node hashing is order-free");
        // A 3-leaf tree: the last leaf is repeated, then the root.
        let l3 = h("d9f870b06d4643c59fbd0a9ad1e55c4398ddaef1cac2d7fbcfd5e011b683b833");
        let l3l3 = h("ad11c8a7f68a01e4db88980b4c4fa8e694ea85ff479864ec96601324aef69a67");
        assert_eq!(node_hash(&l3, &l3), l3l3);
        let n12 = h("5026552e7b21cab527e4169e664602b85d03670bb557e32918d933e3d5925c7e");
        assert_eq!(
            node_hash(&n12, &l3l3),
            h("ffd47a71f63a8a500956ef34b1fabbd42f07c85e77f7ad212701e064dabdf6a3")
        );
    }

    #[test]
    fn l2_denom_format() {
        // sha3_256(0x0000000000000001 ‖ "uinit"), computed independently with Python's hashlib.
        assert_eq!(
            l2_denom(1, "uinit"),
            "l2/771d639f30fbe45e3fbca954ffbe2fcc26f915f5513c67a4a2d0bc1d635bdefd"
        );
        assert_ne!(l2_denom(2, "uinit"), l2_denom(1, "uinit"));
    }

    #[test]
    fn tree_proofs_verify_for_every_size() {
        for n in 0..20u64 {
            let leaves: Vec<_> = (1..=n)
                .map(|s| withdrawal_leaf(1, s, "a", "b", "uinit", s))
                .collect();
            let tree = WithdrawalTree::new(leaves.clone());
            if n == 0 {
                assert_eq!(tree.root(), Hash32::ZERO);
                assert!(tree.proof(0).is_none());
                continue;
            }
            for (i, leaf) in leaves.iter().enumerate() {
                let proof = tree.proof(i).unwrap();
                assert_eq!(root_from_proof(leaf, &proof), tree.root(), "n={n} i={i}");
            }
            assert!(tree.proof(n as usize).is_none());
        }
    }

    #[test]
    fn tree_fills_leaves_to_a_power_of_two_with_the_last_leaf() {
        let l: Vec<_> = (1..=6u8).map(|b| Hash32([b; 32])).collect();
        let n = |a: &Hash32, b: &Hash32| node_hash(a, b);
        // Six leaves become eight: l6 is repeated, so the right half is (l5 l6)(l6 l6), not a
        // copy of the (l5 l6) node.
        let want = n(
            &n(&n(&l[0], &l[1]), &n(&l[2], &l[3])),
            &n(&n(&l[4], &l[5]), &n(&l[5], &l[5])),
        );
        let tree = WithdrawalTree::new(l.clone());
        assert_eq!(tree.root(), want);
        assert_eq!(tree.len(), 6);
        assert!(tree.proof(6).is_none());
        assert_eq!(WithdrawalTree::new(vec![l[0]]).root(), l[0]);
    }

    #[test]
    fn opinit_keeper_test_shape() {
        // OPinit's Test_FinalizeTokenWithdrawal builds a 3-leaf tree by hand: proof of leaf 1
        // is [leaf 2, node(leaf 3, leaf 3)].
        let s = "osmo174knscjg688ddtxj8smyjz073r3w5mms8ugvx6";
        let r = "cosmos174knscjg688ddtxj8smyjz073r3w5mms08musg";
        let w: Vec<_> = (1..=3)
            .map(|q| withdrawal_leaf(1, q, s, r, "uinit", 1_000_000))
            .collect();
        let tree = WithdrawalTree::new(w.clone());
        assert_eq!(tree.proof(0).unwrap(), vec![w[1], node_hash(&w[2], &w[2])]);
        assert_eq!(
            tree.root(),
            node_hash(&node_hash(&w[0], &w[1]), &node_hash(&w[2], &w[2]))
        );
    }
}
