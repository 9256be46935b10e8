//! Signature checks of a block done ahead of execution, on every core.
//!
//! Executing a block is sequential (each tx sees the state its predecessors left), but
//! checking its secp256k1 signatures is not: a signature covers the tx's bytes, the chain id
//! and the signer's account number, and account numbers never change once assigned. So
//! before running a block the app verifies every signature whose signer already has an
//! account in the pre-block state, in parallel, and the ante handler then skips the ECDSA
//! check for a (key, sign bytes, signature) it finds verified. Everything else — a signer
//! created earlier in the same block, a key only stored later, a state read the view cannot
//! answer — is left to the ante handler's own check. The set holds only signatures that
//! verified, so results, gas and errors are the same with or without it: a replaying
//! challenger or the L1's fraud-proof verifier get the sequencer's exact outcome, just
//! sooner. (Like the Cosmos SDK's and geth's signature caches, but per block and stateless.)

use std::collections::HashSet;

use minitia_core::StateView;
use sha2::{Digest, Sha256};

use super::{
    auth,
    tx::{verify_secp256k1, CosmosTx},
};

/// Fewer txs than this are verified inline: threads would cost more than they save.
const MIN_PARALLEL_TXS: usize = 32;

/// Digests of `(public key, sign bytes, signature)` triples that verified.
#[derive(Debug, Default)]
pub struct VerifiedSigs(HashSet<[u8; 32]>);

impl VerifiedSigs {
    /// Whether `sig` by `pk` over `msg` was verified ahead.
    pub fn contains(&self, pk: &[u8; 33], msg: &[u8], sig: &[u8]) -> bool {
        !self.0.is_empty() && self.0.contains(&digest(pk, msg, sig))
    }

    /// Verifies, on up to `threads` threads, every signature of `txs` whose signer has an
    /// account in `state` (the block's pre-state). State is read here, on the caller's
    /// thread (views need not be shareable); only the ECDSA checks run in parallel.
    pub fn ahead_of(
        state: &dyn StateView,
        chain_id: &str,
        txs: &[CosmosTx],
        threads: usize,
    ) -> Self {
        if txs.len() < MIN_PARALLEL_TXS || threads < 2 {
            return Self::default();
        }
        let jobs = jobs(state, chain_id, txs);
        let chunk = jobs.len().div_ceil(threads).max(1);
        let found: Vec<Vec<[u8; 32]>> = std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .filter(|j| verify_secp256k1(&j.pk, &j.msg, j.sig))
                            .map(|j| digest(&j.pk, &j.msg, j.sig))
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        Self(found.into_iter().flatten().collect())
    }
}

/// One signature to check.
struct Job<'t> {
    pk: [u8; 33],
    msg: Vec<u8>,
    sig: &'t [u8],
}

/// The signatures of `txs` whose signer has an account in `state`, with the sign bytes for
/// its account number.
fn jobs<'t>(state: &dyn StateView, chain_id: &str, txs: &'t [CosmosTx]) -> Vec<Job<'t>> {
    let mut out = Vec::with_capacity(txs.len());
    for tx in txs {
        for (i, signer) in tx.signers.iter().enumerate() {
            let Ok(Some(acc)) = auth::stored_account(state, signer) else {
                continue;
            };
            let (Some(info), Some(sig)) = (tx.signer_infos.get(i), tx.signatures.get(i)) else {
                continue;
            };
            let Some(pk) = info.pub_key.or_else(|| auth::account_pubkey(&acc)) else {
                continue;
            };
            out.push(Job {
                pk,
                msg: tx.sign_bytes(chain_id, acc.account_number),
                sig,
            });
        }
    }
    out
}

fn digest(pk: &[u8; 33], msg: &[u8], sig: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(pk)
        .chain_update((sig.len() as u64).to_be_bytes())
        .chain_update(sig)
        .chain_update(msg)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use cosmrs::{
        bank::MsgSend,
        crypto::secp256k1::SigningKey,
        tx::{self, Fee, Msg, SignDoc, SignerInfo},
        AccountId, Coin,
    };
    use minitia_core::{
        Address, BlockContext, ChainId, EmptyState, ExecutionEngine, Hash32, Height, Overlay,
    };
    use prost::Message;

    use super::*;
    use crate::{config::AppConfig, CosmosApp};

    const CHAIN: &str = "sigs-1";

    fn key(n: u8) -> SigningKey {
        SigningKey::from_slice(&[n; 32]).unwrap()
    }

    fn id(n: u8) -> AccountId {
        key(n).public_key().account_id("init").unwrap()
    }

    fn app(threads: usize) -> CosmosApp {
        let config = AppConfig::new(ChainId::new(CHAIN).unwrap(), "init", "umin");
        CosmosApp::new(config, vec![]).with_verify_threads(threads)
    }

    fn block(height: u64) -> BlockContext {
        BlockContext {
            chain_id: ChainId::new(CHAIN).unwrap(),
            height: Height(height),
            time_unix_nanos: 0,
            proposer: Address::default(),
            max_gas: 0,
            last_block_hash: Hash32::ZERO,
        }
    }

    /// A `MsgSend` of 1 from `from` to `to`, signed for account number `acc`.
    fn send(from: u8, to: u8, seq: u64, acc: u64) -> Vec<u8> {
        let msg = MsgSend {
            from_address: id(from),
            to_address: id(to),
            amount: vec![Coin {
                denom: "umin".parse().unwrap(),
                amount: 1,
            }],
        }
        .to_any()
        .unwrap();
        let body = tx::Body::new(vec![msg], "", 0u32);
        let auth = SignerInfo::single_direct(Some(key(from).public_key()), seq).auth_info(
            Fee::from_amount_and_gas(
                Coin {
                    denom: "umin".parse().unwrap(),
                    amount: 1,
                },
                200_000u64,
            ),
        );
        SignDoc::new(&body, &auth, &CHAIN.parse().unwrap(), acc)
            .unwrap()
            .sign(&key(from))
            .unwrap()
            .to_bytes()
            .unwrap()
    }

    #[test]
    fn verifying_ahead_changes_no_outcome_and_skips_only_verified_signatures() {
        // 40 funded accounts (account numbers 0..40 in genesis order).
        let balances: Vec<_> = (1..=40u8)
            .map(|n| serde_json::json!({"address": id(n).to_string(), "coins": [{"denom": "umin", "amount": "100"}]}))
            .collect();
        let genesis = serde_json::json!({"bank": {"balances": balances}});
        let serial = app(1);
        let writes = serial.init_genesis(&genesis, &block(0)).expect("genesis");
        let mut state = Overlay::new(&EmptyState);
        state.apply(writes);

        // 39 good transfers and one with a flipped signature byte.
        let mut raws: Vec<Vec<u8>> = (1..=39u8)
            .map(|n| send(n, n + 1, 0, u64::from(n) - 1))
            .collect();
        let mut bad =
            cosmrs::proto::cosmos::tx::v1beta1::TxRaw::decode(send(40, 1, 0, 39).as_slice())
                .unwrap();
        bad.signatures[0][5] ^= 1;
        raws.push(bad.encode_to_vec());
        let txs: Vec<_> = raws.iter().map(|r| serial.decode_tx(r).unwrap()).collect();

        let ahead = VerifiedSigs::ahead_of(&state, CHAIN, &txs, 2);
        assert_eq!(ahead.0.len(), 39, "every good signature, not the bad one");
        for tx in &txs[..39] {
            let pk = tx.signer_infos[0].pub_key.unwrap();
            let n = txs.iter().position(|t| std::ptr::eq(t, tx)).unwrap() as u64;
            assert!(ahead.contains(&pk, &tx.sign_bytes(CHAIN, n), &tx.signatures[0]));
            // The same signature for another account number is not covered.
            assert!(!ahead.contains(&pk, &tx.sign_bytes(CHAIN, n + 1), &tx.signatures[0]));
        }
        assert_eq!(
            VerifiedSigs::ahead_of(&state, CHAIN, &txs[..10], 2).0.len(),
            0,
            "small blocks are verified inline"
        );

        let one = serial.execute_block(&block(1), &state, &txs).unwrap();
        let two = app(2).execute_block(&block(1), &state, &txs).unwrap();
        assert_eq!(one.writes, two.writes);
        assert_eq!(one.tx_results, two.tx_results);
        assert!(one.tx_results[..39].iter().all(|r| r.code == 0));
        assert_eq!(one.tx_results[39].code, 4, "{}", one.tx_results[39].log);
        assert!(one.tx_results[39]
            .log
            .contains("signature verification failed"));
    }
}
