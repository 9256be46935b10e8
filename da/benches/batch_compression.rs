//! Batch compression and throughput: bytes per block before and after the batch encoding,
//! blobs per batch, and batches/s through encode and decode, for blocks of realistic txs.
//!
//! Blocks are CometBFT protobuf `Block`s (header, txs, a one-validator `last_commit`) as the
//! batcher stores them. Txs:
//! - `bank`: Cosmos `TxRaw`s of `MsgSend` signed with secp256k1 by cosmrs (100 senders, each
//!   with its public key in every tx, as the SDK does), fee and memo filled;
//! - `evm-transfer`: EIP-1559 ETH transfers signed with k256 (raw Ethereum tx bytes, as an
//!   EVM minitia carries them), 1000 senders, random recipients and values;
//! - `evm-erc20`: EIP-1559 calls of `transfer(address,uint256)` on one of 10 tokens.
//!
//! Run: `cargo bench -p minitia-da --bench batch_compression` (prints a table; no timing
//! assertions). `BENCH_TXS_PER_BLOCK` and `BENCH_BLOCKS` override the defaults (1000, 100).

use std::time::Instant;

use cosmrs::{
    bank::MsgSend,
    crypto::secp256k1::SigningKey as CosmosKey,
    tx::{self, Fee, Msg, SignDoc, SignerInfo},
    AccountId, Coin,
};
use k256::ecdsa::SigningKey as EthKey;
use minitia_da::{
    batch::{self, BatchChunk, BatchHeader},
    MAX_BLOB_SIZE,
};
use prost::Message;
use sha3::{Digest, Keccak256};
use tendermint_proto::v0_38::types as pb;

/// xorshift64*, seeded: the same txs every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for c in out.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            c.copy_from_slice(&v[..c.len()]);
        }
        out
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// ---- minimal RLP ----
fn rlp_bytes(b: &[u8], out: &mut Vec<u8>) {
    if b.len() == 1 && b[0] < 0x80 {
        out.push(b[0]);
    } else if b.len() < 56 {
        out.push(0x80 + b.len() as u8);
        out.extend_from_slice(b);
    } else {
        let l = be_trim(&(b.len() as u64).to_be_bytes()).to_vec();
        out.push(0xb7 + l.len() as u8);
        out.extend_from_slice(&l);
        out.extend_from_slice(b);
    }
}
fn rlp_list(items: &[u8], out: &mut Vec<u8>) {
    if items.len() < 56 {
        out.push(0xc0 + items.len() as u8);
    } else {
        let l = be_trim(&(items.len() as u64).to_be_bytes()).to_vec();
        out.push(0xf7 + l.len() as u8);
        out.extend_from_slice(&l);
    }
    out.extend_from_slice(items);
}
fn be_trim(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[i..]
}
fn rlp_u(v: u128, out: &mut Vec<u8>) {
    rlp_bytes(be_trim(&v.to_be_bytes()), out);
}

/// A signed EIP-1559 tx: `0x02 || rlp([chain, nonce, tip, max_fee, gas, to, value, data, [], v, r, s])`.
fn eip1559(key: &EthKey, nonce: u64, to: [u8; 20], value: u128, data: &[u8], gas: u64) -> Vec<u8> {
    let mut fields = Vec::new();
    rlp_u(2_150_000, &mut fields); // chain id
    rlp_u(nonce as u128, &mut fields);
    rlp_u(1_000_000_000, &mut fields);
    rlp_u(2_000_000_000, &mut fields);
    rlp_u(gas as u128, &mut fields);
    rlp_bytes(&to, &mut fields);
    rlp_u(value, &mut fields);
    rlp_bytes(data, &mut fields);
    rlp_list(&[], &mut fields);
    let mut unsigned = vec![2u8];
    rlp_list(&fields, &mut unsigned);
    let digest = Keccak256::digest(&unsigned);
    let (sig, recid) = key.sign_prehash_recoverable(&digest).unwrap();
    let bytes = sig.to_bytes();
    rlp_u(recid.to_byte() as u128, &mut fields);
    rlp_bytes(be_trim(&bytes[..32]), &mut fields);
    rlp_bytes(be_trim(&bytes[32..]), &mut fields);
    let mut tx = vec![2u8];
    rlp_list(&fields, &mut tx);
    tx
}

#[derive(Clone, Copy)]
enum Kind {
    Bank,
    EvmTransfer,
    EvmErc20,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Bank => "bank",
            Kind::EvmTransfer => "evm-transfer",
            Kind::EvmErc20 => "evm-erc20",
        }
    }
}

struct Gen {
    rng: Rng,
    cosmos: Vec<(CosmosKey, AccountId, u64)>,
    eth: Vec<(EthKey, u64)>,
    tokens: Vec<[u8; 20]>,
}

impl Gen {
    fn new() -> Self {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let cosmos = (0..100)
            .map(|_| {
                let k = CosmosKey::from_slice(&rng.bytes::<32>()).unwrap();
                let a = k.public_key().account_id("init").unwrap();
                (k, a, 0)
            })
            .collect();
        let eth = (0..1000)
            .map(|_| (EthKey::from_slice(&rng.bytes::<32>()).unwrap(), 0))
            .collect();
        let tokens = (0..10).map(|_| rng.bytes::<20>()).collect();
        Self {
            rng,
            cosmos,
            eth,
            tokens,
        }
    }

    fn tx(&mut self, kind: Kind) -> Vec<u8> {
        match kind {
            Kind::Bank => {
                let i = self.rng.below(self.cosmos.len() as u64) as usize;
                let to = AccountId::new("init", &self.rng.bytes::<20>()).unwrap();
                let amount = 1 + self.rng.below(1_000_000) as u128;
                let (key, from, seq) = &mut self.cosmos[i];
                let msg = MsgSend {
                    from_address: from.clone(),
                    to_address: to,
                    amount: vec![Coin {
                        denom: "umin".parse().unwrap(),
                        amount,
                    }],
                };
                let body = tx::Body::new(vec![msg.to_any().unwrap()], "", 0u32);
                let fee = Fee::from_amount_and_gas(
                    Coin {
                        denom: "umin".parse().unwrap(),
                        amount: 15_000,
                    },
                    100_000u64,
                );
                let auth = SignerInfo::single_direct(Some(key.public_key()), *seq).auth_info(fee);
                *seq += 1;
                let doc =
                    SignDoc::new(&body, &auth, &"minitia-1".parse().unwrap(), i as u64).unwrap();
                doc.sign(key).unwrap().to_bytes().unwrap()
            }
            Kind::EvmTransfer | Kind::EvmErc20 => {
                let i = self.rng.below(self.eth.len() as u64) as usize;
                let to = self.rng.bytes::<20>();
                let value = self.rng.below(10u64.pow(18)) as u128;
                let (target, val, data, gas) = if let Kind::EvmErc20 = kind {
                    let token = self.tokens[self.rng.below(self.tokens.len() as u64) as usize];
                    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
                    data.extend_from_slice(&[0u8; 12]);
                    data.extend_from_slice(&to);
                    data.extend_from_slice(&[0u8; 16]);
                    data.extend_from_slice(&value.to_be_bytes());
                    (token, 0, data, 60_000)
                } else {
                    (to, value, vec![], 21_000)
                };
                let (key, nonce) = &mut self.eth[i];
                let tx = eip1559(key, *nonce, target, val, &data, gas);
                *nonce += 1;
                tx
            }
        }
    }

    fn block(&mut self, height: i64, kind: Kind, n: usize) -> Vec<u8> {
        let txs: Vec<Vec<u8>> = (0..n).map(|_| self.tx(kind)).collect();
        let hash = |r: &mut Rng| r.bytes::<32>().to_vec();
        let proposer = self.rng.bytes::<20>().to_vec();
        let header = pb::Header {
            version: Some(tendermint_proto::v0_38::version::Consensus { block: 11, app: 0 }),
            chain_id: "minitia-1".into(),
            height,
            time: Some(tendermint_proto::google::protobuf::Timestamp {
                seconds: 1_764_000_000 + height,
                nanos: 0,
            }),
            last_block_id: Some(pb::BlockId {
                hash: hash(&mut self.rng),
                part_set_header: Some(pb::PartSetHeader {
                    total: 1,
                    hash: hash(&mut self.rng),
                }),
            }),
            last_commit_hash: hash(&mut self.rng),
            data_hash: hash(&mut self.rng),
            validators_hash: vec![7; 32],
            next_validators_hash: vec![7; 32],
            consensus_hash: vec![9; 32],
            app_hash: hash(&mut self.rng),
            last_results_hash: hash(&mut self.rng),
            evidence_hash: vec![],
            proposer_address: proposer.clone(),
        };
        let last_commit = pb::Commit {
            height: height - 1,
            round: 0,
            block_id: header.last_block_id.clone(),
            signatures: vec![pb::CommitSig {
                block_id_flag: 2,
                validator_address: proposer,
                timestamp: Some(tendermint_proto::google::protobuf::Timestamp {
                    seconds: 1_764_000_000 + height - 1,
                    nanos: 500,
                }),
                signature: self.rng.bytes::<64>().to_vec(),
            }],
        };
        pb::Block {
            header: Some(header),
            data: Some(pb::Data { txs }),
            evidence: Some(pb::EvidenceList { evidence: vec![] }),
            last_commit: Some(last_commit),
        }
        .encode_to_vec()
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let per_block = env("BENCH_TXS_PER_BLOCK", 1000);
    let blocks_per_batch = env("BENCH_BLOCKS", 100);
    println!(
        "batch compression: {blocks_per_batch} blocks/batch, {per_block} txs/block, max blob {MAX_BLOB_SIZE} B"
    );
    println!(
        "{:<13} {:>10} {:>10} {:>11} {:>11} {:>6} {:>6} {:>10} {:>11} {:>11} {:>12}",
        "txs",
        "B/tx raw",
        "B/tx post",
        "B/blk raw",
        "B/blk post",
        "ratio",
        "blobs",
        "max blob",
        "encode b/s",
        "decode b/s",
        "DA MB/s@10k"
    );
    for kind in [Kind::Bank, Kind::EvmTransfer, Kind::EvmErc20] {
        let mut g = Gen::new();
        let blocks: Vec<Vec<u8>> = (0..blocks_per_batch)
            .map(|h| g.block(h as i64 + 2, kind, per_block))
            .collect();
        // encode and decode several times for a stable rate
        let rounds = 3;
        let t = Instant::now();
        let mut enc = None;
        for _ in 0..rounds {
            enc = Some(batch::encode_for_celestia(2, &blocks).unwrap());
        }
        let enc = enc.unwrap();
        let encode_s = t.elapsed().as_secs_f64() / rounds as f64;
        let header = BatchHeader::from_bytes(&enc.header).unwrap();
        let chunks: Vec<BatchChunk> = enc
            .chunks
            .iter()
            .map(|c| BatchChunk::from_bytes(c).unwrap())
            .collect();
        let t = Instant::now();
        for _ in 0..rounds {
            let back = batch::decode(&header, &chunks, 1 << 31).unwrap();
            assert_eq!(back.len(), blocks.len());
        }
        let decode_s = t.elapsed().as_secs_f64() / rounds as f64;
        let max_blob = enc
            .chunks
            .iter()
            .map(Vec::len)
            .chain([enc.header.len()])
            .max()
            .unwrap();
        assert!(max_blob <= MAX_BLOB_SIZE);
        let txs = (blocks_per_batch * per_block) as f64;
        let raw = enc.raw_len as f64;
        let posted = enc.posted_len() as f64;
        println!(
            "{:<13} {:>10.1} {:>10.1} {:>11.0} {:>11.0} {:>6.2} {:>6} {:>10} {:>11.2} {:>11.2} {:>12.2}",
            kind.name(),
            raw / txs,
            posted / txs,
            raw / blocks_per_batch as f64,
            posted / blocks_per_batch as f64,
            raw / posted,
            enc.chunks.len() + 1,
            max_blob,
            1.0 / encode_s,
            1.0 / decode_s,
            posted / txs * 10_000.0 / 1e6,
        );
    }
}
