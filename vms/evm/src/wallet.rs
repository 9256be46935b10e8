//! A minimal secp256k1 wallet that signs Ethereum txs (for tests, benches and dev tools).

use alloy_consensus::{SignableTransaction, Signed, TxEip1559, TxEip2930, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::Signature;
use revm::primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use secp256k1::{Message, SecretKey, SECP256K1};

/// A private key.
#[derive(Clone)]
pub struct Wallet {
    key: SecretKey,
    address: Address,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Wallet({})", self.address)
    }
}

impl Wallet {
    /// The wallet of a 32-byte secret; `None` if it is not a valid key.
    pub fn from_bytes(secret: [u8; 32]) -> Option<Self> {
        let key = SecretKey::from_byte_array(secret).ok()?;
        let pk = key.public_key(SECP256K1).serialize_uncompressed();
        let h = keccak256(&pk[1..]);
        Some(Self {
            key,
            address: Address::from_slice(&h[12..]),
        })
    }

    /// A deterministic wallet from an index (never zero).
    pub fn from_index(i: u64) -> Self {
        let mut s = [0u8; 32];
        s[0] = 0x11;
        s[24..].copy_from_slice(&i.to_be_bytes());
        Self::from_bytes(s).expect("0x11 followed by a u64 is a valid secp256k1 secret key")
    }

    /// The account.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a hash; returns an Ethereum signature.
    pub fn sign_hash(&self, h: &B256) -> Signature {
        let sig = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(h.0), &self.key);
        let (rid, rs) = sig.serialize_compact();
        Signature::new(
            U256::from_be_slice(&rs[..32]),
            U256::from_be_slice(&rs[32..]),
            i32::from(rid) == 1,
        )
    }

    fn finish<T: SignableTransaction<Signature>>(&self, tx: T) -> Vec<u8>
    where
        TxEnvelope: From<Signed<T>>,
    {
        let sig = self.sign_hash(&tx.signature_hash());
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
    }

    /// A signed EIP-1559 tx, EIP-2718 encoded.
    #[allow(clippy::too_many_arguments)]
    pub fn eip1559(
        &self,
        chain_id: u64,
        nonce: u64,
        to: Option<Address>,
        value: U256,
        input: Vec<u8>,
        gas_limit: u64,
        max_fee: u128,
        tip: u128,
    ) -> Vec<u8> {
        self.finish(TxEip1559 {
            chain_id,
            nonce,
            gas_limit,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: to.map_or(TxKind::Create, TxKind::Call),
            value,
            access_list: Default::default(),
            input: Bytes::from(input),
        })
    }

    /// A signed legacy EIP-155 tx.
    #[allow(clippy::too_many_arguments)]
    pub fn legacy(
        &self,
        chain_id: u64,
        nonce: u64,
        to: Option<Address>,
        value: U256,
        input: Vec<u8>,
        gas_limit: u64,
        gas_price: u128,
    ) -> Vec<u8> {
        self.finish(TxLegacy {
            chain_id: Some(chain_id),
            nonce,
            gas_price,
            gas_limit,
            to: to.map_or(TxKind::Create, TxKind::Call),
            value,
            input: Bytes::from(input),
        })
    }

    /// A signed EIP-2930 tx (empty access list).
    #[allow(clippy::too_many_arguments)]
    pub fn eip2930(
        &self,
        chain_id: u64,
        nonce: u64,
        to: Option<Address>,
        value: U256,
        input: Vec<u8>,
        gas_limit: u64,
        gas_price: u128,
    ) -> Vec<u8> {
        self.finish(TxEip2930 {
            chain_id,
            nonce,
            gas_price,
            gas_limit,
            to: to.map_or(TxKind::Create, TxKind::Call),
            value,
            access_list: Default::default(),
            input: Bytes::from(input),
        })
    }
}
