//! Ethereum transactions: EIP-2718 decoding (legacy with EIP-155, EIP-2930, EIP-1559) and
//! sender recovery with libsecp256k1.

use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use minitia_core::TxError;
use revm::{
    context::TxEnv,
    primitives::{keccak256, Address, Bytes, TxKind, B256, U256},
};
use secp256k1::{
    ecdsa::{RecoverableSignature, RecoveryId},
    Message,
};

use crate::errors::{self, code};

/// secp256k1's group order divided by two: signatures with a larger `s` are malleable and
/// rejected (EIP-2).
const HALF_N: U256 = U256::from_be_slice(&[
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// A decoded, signature-checked Ethereum transaction.
#[derive(Debug, Clone)]
pub struct EthTx {
    /// The signed envelope.
    pub envelope: TxEnvelope,
    /// Recovered sender.
    pub sender: Address,
    /// keccak256 of the EIP-2718 encoding (the hash clients see).
    pub hash: B256,
    /// The raw bytes (what blocks carry).
    pub raw: Vec<u8>,
}

impl EthTx {
    /// Decodes EIP-2718 bytes and recovers the sender. Legacy txs must carry an EIP-155 chain
    /// id; blob (type 3) and set-code (type 4) txs are not supported.
    pub fn decode(bytes: &[u8]) -> Result<Self, TxError> {
        let mut buf = bytes;
        let envelope = TxEnvelope::decode_2718(&mut buf)
            .map_err(|e| errors::err(code::DECODE, format!("rlp: {e}")))?;
        if !buf.is_empty() {
            return Err(errors::err(
                code::DECODE,
                format!("rlp: input contains {} trailing bytes", buf.len()),
            ));
        }
        match &envelope {
            TxEnvelope::Legacy(t) if t.tx().chain_id.is_none() => {
                return Err(errors::err(
                    code::UNPROTECTED,
                    "only replay-protected (EIP-155) transactions allowed over RPC",
                ))
            }
            TxEnvelope::Eip4844(_) | TxEnvelope::Eip7702(_) => {
                return Err(errors::err(
                    code::UNSUPPORTED_TYPE,
                    "transaction type not supported",
                ))
            }
            _ => {}
        }
        let sig = match &envelope {
            TxEnvelope::Legacy(t) => *t.signature(),
            TxEnvelope::Eip2930(t) => *t.signature(),
            TxEnvelope::Eip1559(t) => *t.signature(),
            _ => {
                return Err(errors::err(
                    code::UNSUPPORTED_TYPE,
                    "transaction type not supported",
                ))
            }
        };
        let sighash = envelope.signature_hash();
        let sender = recover(&sighash, &sig.r(), &sig.s(), sig.v())?;
        Ok(Self {
            hash: keccak256(bytes),
            envelope,
            sender,
            raw: bytes.to_vec(),
        })
    }

    /// The tx type byte (0 legacy, 1 access list, 2 dynamic fee).
    pub fn tx_type(&self) -> u8 {
        match &self.envelope {
            TxEnvelope::Legacy(_) => 0,
            TxEnvelope::Eip2930(_) => 1,
            TxEnvelope::Eip1559(_) => 2,
            TxEnvelope::Eip4844(_) => 3,
            TxEnvelope::Eip7702(_) => 4,
        }
    }

    /// Nonce.
    pub fn nonce(&self) -> u64 {
        self.envelope.nonce()
    }

    /// Gas limit.
    pub fn gas_limit(&self) -> u64 {
        self.envelope.gas_limit()
    }

    /// Chain id, if the tx carries one.
    pub fn chain_id(&self) -> Option<u64> {
        self.envelope.chain_id()
    }

    /// Fee cap: `gas_price` for legacy and 2930 txs, `max_fee_per_gas` for 1559.
    pub fn max_fee_per_gas(&self) -> u128 {
        self.envelope.max_fee_per_gas()
    }

    /// Tip cap (1559 only).
    pub fn max_priority_fee_per_gas(&self) -> Option<u128> {
        self.envelope.max_priority_fee_per_gas()
    }

    /// The price actually paid per gas at `base_fee`.
    pub fn effective_gas_price(&self, base_fee: u64) -> u128 {
        self.envelope.effective_gas_price(Some(base_fee))
    }

    /// Recipient, `None` for contract creation.
    pub fn to(&self) -> Option<Address> {
        match self.envelope.kind() {
            TxKind::Call(a) => Some(a),
            TxKind::Create => None,
        }
    }

    /// Value sent.
    pub fn value(&self) -> U256 {
        self.envelope.value()
    }

    /// Call data / init code.
    pub fn input(&self) -> &Bytes {
        self.envelope.input()
    }

    /// revm's view of the tx.
    pub fn tx_env(&self) -> TxEnv {
        let e = &self.envelope;
        TxEnv {
            tx_type: self.tx_type(),
            caller: self.sender,
            gas_limit: e.gas_limit(),
            gas_price: e.max_fee_per_gas(),
            kind: e.kind(),
            value: e.value(),
            data: e.input().clone(),
            nonce: e.nonce(),
            chain_id: e.chain_id(),
            access_list: e.access_list().cloned().unwrap_or_default(),
            gas_priority_fee: e.max_priority_fee_per_gas(),
            ..Default::default()
        }
    }
}

/// Recovers the signer of `hash` from an Ethereum signature (`y_parity` = recovery id).
pub fn recover(hash: &B256, r: &U256, s: &U256, y_parity: bool) -> Result<Address, TxError> {
    let invalid = || {
        errors::err(
            code::INVALID_SIGNATURE,
            "invalid transaction v, r, s values",
        )
    };
    if r.is_zero() || s.is_zero() || *s > HALF_N {
        return Err(invalid());
    }
    let mut compact = [0u8; 64];
    compact[..32].copy_from_slice(&r.to_be_bytes::<32>());
    compact[32..].copy_from_slice(&s.to_be_bytes::<32>());
    let rid = RecoveryId::try_from(i32::from(y_parity)).map_err(|_| invalid())?;
    let sig = RecoverableSignature::from_compact(&compact, rid).map_err(|_| invalid())?;
    let pk = sig.recover(Message::from_digest(hash.0)).map_err(|_| {
        errors::err(
            code::INVALID_SIGNATURE,
            "invalid sender: signature recovery failed",
        )
    })?;
    let uncompressed = pk.serialize_uncompressed();
    let h = keccak256(&uncompressed[1..]);
    Ok(Address::from_slice(&h[12..]))
}
