//! Lays blobs out in a Celestia data square and proves where they are.
//!
//! The layout follows celestia-app's non-interactive default rules (ADR-013, ADR-020): blobs
//! sorted by namespace, each starting at a multiple of its share-commitment subtree width,
//! namespace padding between blobs and tail padding to the end of the square. Unlike a real
//! Celestia block there are no transaction or `PayForBlobs` shares in the reserved namespaces:
//! a local DA node has no consensus txs to carry, and nothing a rollup reads depends on them.

use celestia_types::consts::appconsts::{self, SHARE_SIZE};
use celestia_types::nmt::{Namespace, NamespaceProof, NamespacedSha2Hasher, NS_SIZE};
use celestia_types::{Blob, DataAvailabilityHeader, ExtendedDataSquare};

use crate::error::LocalDaError;

/// Largest original data square width accepted (celestia-app's governance default).
pub const MAX_SQUARE_WIDTH: usize = 128;

/// One DA block's blobs placed in a square.
#[derive(Debug, Clone)]
pub struct Square {
    /// Blobs in square order, each with `index` set to its first share's position in the EDS
    /// (row-major over the extended square, as celestia-node reports it).
    pub blobs: Vec<Blob>,
    /// Original data square width.
    pub width: usize,
    /// The extended square.
    pub eds: ExtendedDataSquare,
    /// Row and column roots of `eds`.
    pub dah: DataAvailabilityHeader,
}

/// Share-commitment subtree width for a blob of `share_count` shares (ADR-013).
fn subtree_width(share_count: u64) -> u64 {
    let threshold = appconsts::SUBTREE_ROOT_THRESHOLD;
    let s = share_count.div_ceil(threshold).max(1).next_power_of_two();
    s.min(blob_min_square_size(share_count))
}

fn blob_min_square_size(share_count: u64) -> u64 {
    // integer ceil(sqrt(n)), then the next power of two
    let mut root = 1u64;
    while root * root < share_count {
        root += 1;
    }
    root.next_power_of_two()
}

/// Positions of blobs (given in square order) and the number of ODS shares used.
fn positions(share_counts: &[u64]) -> (Vec<u64>, u64, u64) {
    let mut cursor = 0u64;
    let mut min_width = 1u64;
    let mut starts = Vec::with_capacity(share_counts.len());
    for &count in share_counts {
        let width = subtree_width(count);
        cursor = cursor.div_ceil(width) * width;
        starts.push(cursor);
        cursor += count;
        min_width = min_width.max(blob_min_square_size(count));
    }
    (starts, cursor, min_width)
}

/// ODS width needed for `blobs` once sorted, or `None` if they do not fit in the largest square.
pub fn square_width_for(blobs: &[&Blob]) -> Option<usize> {
    let mut sorted: Vec<&Blob> = blobs.to_vec();
    sorted.sort_by_key(|b| b.namespace);
    let counts: Vec<u64> = sorted.iter().map(|b| b.shares_len() as u64).collect();
    let (_, used, min_width) = positions(&counts);
    let mut width = min_width.max(1);
    while width * width < used {
        width *= 2;
    }
    let width = usize::try_from(width).ok()?;
    (width <= MAX_SQUARE_WIDTH).then_some(width)
}

fn padding_share(namespace: Namespace) -> Vec<u8> {
    // a padding share: namespace, info byte (share version 0, sequence start), zero length
    let mut share = Vec::with_capacity(SHARE_SIZE);
    share.extend_from_slice(namespace.as_bytes());
    share.push(1);
    share.resize(SHARE_SIZE, 0);
    share
}

/// Builds the square for `blobs` (any order; sorted here by namespace, stable).
pub fn build(mut blobs: Vec<Blob>) -> Result<Square, LocalDaError> {
    blobs.sort_by_key(|b| b.namespace);
    let refs: Vec<&Blob> = blobs.iter().collect();
    let width = square_width_for(&refs).ok_or(LocalDaError::SquareFull)?;
    let counts: Vec<u64> = blobs.iter().map(|b| b.shares_len() as u64).collect();
    let (starts, _, _) = positions(&counts);

    let total = width * width;
    let mut ods: Vec<Vec<u8>> = Vec::with_capacity(total);
    for (blob, start) in blobs.iter_mut().zip(starts) {
        let start = start as usize;
        if let Some(prev) = ods.last() {
            let prev_ns = Namespace::from_raw(&prev[..NS_SIZE]).map_err(internal)?;
            while ods.len() < start {
                ods.push(padding_share(prev_ns));
            }
        }
        blob.index = Some(eds_index(start, width));
        for share in blob.to_shares().map_err(internal)? {
            ods.push(share.to_vec());
        }
    }
    while ods.len() < total {
        ods.push(padding_share(Namespace::TAIL_PADDING));
    }
    let eds = if blobs.is_empty() {
        ExtendedDataSquare::empty()
    } else {
        ExtendedDataSquare::from_ods(ods).map_err(internal)?
    };
    let dah = DataAvailabilityHeader::from_eds(&eds);
    Ok(Square {
        blobs,
        width: eds.square_width() as usize / 2,
        eds,
        dah,
    })
}

/// EDS index of ODS position `pos` in a square of ODS width `width`.
fn eds_index(pos: usize, width: usize) -> u64 {
    ((pos / width) * 2 * width + pos % width) as u64
}

fn internal(e: impl std::fmt::Display) -> LocalDaError {
    LocalDaError::Internal(e.to_string())
}

impl Square {
    /// The blob with this namespace and commitment.
    pub fn find(&self, namespace: Namespace, commitment: &[u8; 32]) -> Option<&Blob> {
        self.blobs
            .iter()
            .find(|b| b.namespace == namespace && b.commitment.hash() == commitment)
    }

    /// ODS position of `blob`'s first share.
    pub fn ods_start(&self, blob: &Blob) -> Option<usize> {
        let idx = usize::try_from(blob.index?).ok()?;
        let eds_width = 2 * self.width;
        Some((idx / eds_width) * self.width + idx % eds_width)
    }

    /// NMT range proofs of `blob`'s shares, one per EDS row it spans, in row order — the
    /// shape celestia-node returns from `blob.GetProof`.
    pub fn proofs(&self, blob: &Blob) -> Result<Vec<NamespaceProof>, LocalDaError> {
        let start = self
            .ods_start(blob)
            .ok_or_else(|| internal("blob has no index in square"))?;
        let end = start + blob.shares_len();
        let mut proofs = Vec::new();
        let mut pos = start;
        while pos < end {
            let row = pos / self.width;
            let row_end = ((row + 1) * self.width).min(end);
            let col_start = pos % self.width;
            let col_end = col_start + (row_end - pos);
            let row_idx = u16::try_from(row).map_err(internal)?;
            let mut nmt = self.eds.row_nmt(row_idx).map_err(internal)?;
            let proof = nmt.build_range_proof(col_start..col_end);
            let proof: nmt_rs::nmt_proof::NamespaceProof<NamespacedSha2Hasher, NS_SIZE> =
                nmt_rs::nmt_proof::NamespaceProof::PresenceProof {
                    proof,
                    ignore_max_ns: true,
                };
            proofs.push(proof.into());
            pos = row_end;
        }
        Ok(proofs)
    }

    /// Whether `proof` is a valid proof, against this square's row roots, of a row slice of
    /// `blob`'s shares.
    pub fn verifies(&self, blob: &Blob, proof: &NamespaceProof) -> bool {
        let Ok(shares) = blob.to_shares() else {
            return false;
        };
        let Some(start) = self.ods_start(blob) else {
            return false;
        };
        let end = start + shares.len();
        let mut pos = start;
        while pos < end {
            let row = pos / self.width;
            let row_end = ((row + 1) * self.width).min(end);
            let col_start = (pos % self.width) as u32;
            let col_end = col_start + (row_end - pos) as u32;
            if proof.start_idx() == col_start && proof.end_idx() == col_end {
                let Some(root) = u16::try_from(row).ok().and_then(|r| self.dah.row_root(r)) else {
                    return false;
                };
                let leaves = &shares[pos - start..row_end - start];
                if proof.verify_range(&root, leaves, *blob.namespace).is_ok() {
                    return true;
                }
            }
            pos = row_end;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(b: u8) -> Namespace {
        Namespace::new_v0(&[b; 10]).unwrap()
    }

    #[test]
    fn empty_square_is_minimal() {
        let sq = build(vec![]).unwrap();
        assert_eq!(sq.width, 1);
        assert_eq!(
            sq.dah,
            DataAvailabilityHeader::from_eds(&ExtendedDataSquare::empty())
        );
    }

    #[test]
    fn blobs_sorted_aligned_and_proven() {
        let big = Blob::new(ns(2), vec![7; 100_000], None).unwrap();
        let small = Blob::new(ns(1), vec![1; 10], None).unwrap();
        let sq = build(vec![big.clone(), small.clone()]).unwrap();
        assert_eq!(sq.blobs[0].namespace, ns(1));
        assert_eq!(sq.blobs[0].index, Some(0));
        let big_placed = sq.find(ns(2), big.commitment.hash()).unwrap();
        let start = sq.ods_start(big_placed).unwrap() as u64;
        assert_eq!(start % subtree_width(big.shares_len() as u64), 0);
        let w = sq.width as u64;
        assert_eq!(big_placed.index, Some(start / w * 2 * w + start % w));
        let proofs = sq.proofs(big_placed).unwrap();
        assert!(proofs.len() > 1);
        for p in &proofs {
            assert!(sq.verifies(big_placed, p));
        }
        // a proof of one blob does not verify for another
        let small_placed = sq.find(ns(1), small.commitment.hash()).unwrap();
        assert!(!sq.verifies(small_placed, &proofs[0]));
        // the ODS shares at the blob's position reconstruct the blob
        let w = sq.width;
        let shares: Vec<_> = (start as usize..start as usize + big.shares_len())
            .map(|i| {
                sq.eds
                    .share((i / w) as u16, (i % w) as u16)
                    .unwrap()
                    .clone()
            })
            .collect();
        let rebuilt = Blob::reconstruct(&shares).unwrap();
        assert_eq!(rebuilt.data, big.data);
    }

    #[test]
    fn single_row_proof_is_complete_namespace_proof() {
        let blob = Blob::new(ns(3), vec![9; 600], None).unwrap();
        let sq = build(vec![blob.clone()]).unwrap();
        let placed = &sq.blobs[0];
        let proofs = sq.proofs(placed).unwrap();
        assert_eq!(proofs.len(), 1);
        let root = sq.dah.row_root(0).unwrap();
        proofs[0]
            .verify_complete_namespace(&root, &blob.to_shares().unwrap(), *blob.namespace)
            .unwrap();
    }

    #[test]
    fn too_many_blobs_do_not_fit() {
        let blob = Blob::new(ns(4), vec![0; 1_900_000], None).unwrap();
        let many: Vec<&Blob> = std::iter::repeat_n(&blob, 5).collect();
        assert!(square_width_for(&many).is_none());
        assert!(square_width_for(&many[..3]).is_some());
    }
}
