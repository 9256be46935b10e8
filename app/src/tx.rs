//! Cosmos SDK transactions: `TxRaw` decoding, SIGN_MODE_DIRECT sign docs and secp256k1
//! signature checks.

use cosmrs::proto::cosmos::crypto::secp256k1::PubKey as ProtoPubKey;
use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmrs::proto::cosmos::tx::v1beta1::{mode_info, AuthInfo, SignDoc, TxBody, TxRaw};
use minitia_core::{sha256, Address, Hash32, TxError};
use prost::Message;
use sha2::Digest as _;

use super::{
    auth::SECP256K1_PUBKEY_URL,
    coin::{parse_coins, Coin},
    config::AppConfig,
    errors::{code, sdk},
};

/// Most signatures one tx may carry (auth's `TxSigLimit`).
pub const MAX_SIGNATURES: usize = 7;

/// One signer's declared key and sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfo {
    /// Compressed secp256k1 key, when the tx carries one.
    pub pub_key: Option<[u8; 33]>,
    /// The sequence the signature was made with.
    pub sequence: u64,
    /// Whether the signer declared SIGN_MODE_DIRECT (simulations may declare none).
    pub direct: bool,
}

/// A decoded Cosmos tx. Decoding checks structure only; signatures need account state.
#[derive(Debug, Clone, PartialEq)]
pub struct CosmosTx {
    /// The exact bytes received (what the hash and the block commit to).
    pub raw: Vec<u8>,
    /// sha256 of `raw`.
    pub hash: Hash32,
    /// The decoded body.
    pub body: TxBody,
    /// Body bytes exactly as signed.
    pub body_bytes: Vec<u8>,
    /// Auth-info bytes exactly as signed.
    pub auth_info_bytes: Vec<u8>,
    /// Signer infos, in signer order.
    pub signer_infos: Vec<SignerInfo>,
    /// Signatures, in signer order.
    pub signatures: Vec<Vec<u8>>,
    /// Fee offered.
    pub fee: Vec<Coin>,
    /// Gas limit.
    pub gas_limit: u64,
    /// Explicit fee payer, if any.
    pub fee_payer: Option<Address>,
    /// Required signers, derived from the messages (first = fee payer by default).
    pub signers: Vec<Address>,
}

impl CosmosTx {
    /// Decodes `TxRaw` bytes. `signers_of` returns the signers of each message.
    pub fn decode(
        bytes: &[u8],
        config: &AppConfig,
        signers_of: impl Fn(&cosmrs::Any) -> Result<Vec<Address>, TxError>,
    ) -> Result<Self, TxError> {
        if bytes.len() > config.max_tx_bytes {
            return Err(sdk(
                code::TX_TOO_LARGE,
                format!(
                    "tx is {} bytes, the limit is {}: tx too large",
                    bytes.len(),
                    config.max_tx_bytes
                ),
            ));
        }
        let decode_err = |what: &str, e: prost::DecodeError| {
            sdk(code::TX_DECODE, format!("{what}: {e}: tx parse error"))
        };
        let raw = TxRaw::decode(bytes).map_err(|e| decode_err("invalid TxRaw", e))?;
        let body = TxBody::decode(raw.body_bytes.as_slice())
            .map_err(|e| decode_err("invalid TxBody", e))?;
        let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice())
            .map_err(|e| decode_err("invalid AuthInfo", e))?;
        if body.messages.is_empty() {
            return Err(sdk(
                code::INVALID_REQUEST,
                "must contain at least one message: invalid request",
            ));
        }
        if !body.extension_options.is_empty() {
            return Err(sdk(
                code::UNKNOWN_EXTENSION_OPTIONS,
                "unknown extension options: unknown extension options",
            ));
        }
        if body.memo.chars().count() > config.max_memo_chars {
            return Err(sdk(
                code::MEMO_TOO_LARGE,
                format!(
                    "maximum number of characters is {} but received {} characters: memo too large",
                    config.max_memo_chars,
                    body.memo.chars().count()
                ),
            ));
        }
        let fee = auth.fee.clone().unwrap_or_default();
        let fee_coins = parse_coins(&fee.amount)?;
        let fee_payer = if fee.payer.is_empty() {
            None
        } else {
            Some(
                Address::parse(&fee.payer, &config.bech32_prefix)
                    .map_err(|e| sdk(code::INVALID_ADDRESS, format!("invalid fee payer: {e}")))?,
            )
        };
        if raw.signatures.is_empty() {
            return Err(sdk(code::NO_SIGNATURES, "no signatures supplied"));
        }
        if raw.signatures.len() > MAX_SIGNATURES {
            return Err(sdk(
                code::TOO_MANY_SIGNATURES,
                format!(
                    "signatures: {}, limit: {MAX_SIGNATURES}: too many signatures",
                    raw.signatures.len()
                ),
            ));
        }
        let mut signers: Vec<Address> = Vec::new();
        for m in &body.messages {
            for s in signers_of(m)? {
                if !signers.contains(&s) {
                    signers.push(s);
                }
            }
        }
        if let Some(p) = fee_payer {
            if !signers.contains(&p) {
                signers.push(p);
            }
        }
        if auth.signer_infos.len() != signers.len() || raw.signatures.len() != signers.len() {
            return Err(sdk(
                code::UNAUTHORIZED,
                format!(
                    "wrong number of signers; expected {}, got {} signer infos and {} signatures: unauthorized",
                    signers.len(),
                    auth.signer_infos.len(),
                    raw.signatures.len()
                ),
            ));
        }
        let mut signer_infos = Vec::with_capacity(signers.len());
        for (i, si) in auth.signer_infos.iter().enumerate() {
            let direct = match si.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
                Some(mode_info::Sum::Single(s)) if s.mode == SignMode::Direct as i32 => true,
                // Clients simulate with SIGN_MODE_UNSPECIFIED; the ante handler refuses it
                // outside simulation.
                Some(mode_info::Sum::Single(s)) if s.mode == SignMode::Unspecified as i32 => false,
                _ => {
                    return Err(sdk(
                        code::INVALID_REQUEST,
                        format!("signer {i}: only SIGN_MODE_DIRECT single signatures are supported: invalid request"),
                    ))
                }
            };
            let pub_key = match &si.public_key {
                None => None,
                Some(any) if any.type_url == SECP256K1_PUBKEY_URL => {
                    let pk = ProtoPubKey::decode(any.value.as_slice()).map_err(|e| {
                        sdk(
                            code::INVALID_PUBKEY,
                            format!("signer {i}: {e}: invalid pubkey"),
                        )
                    })?;
                    Some(<[u8; 33]>::try_from(pk.key.as_slice()).map_err(|_| {
                        sdk(code::INVALID_PUBKEY, format!("signer {i}: secp256k1 key must be 33 bytes (compressed), got {}: invalid pubkey", pk.key.len()))
                    })?)
                }
                Some(any) => {
                    return Err(sdk(
                        code::INVALID_PUBKEY,
                        format!(
                            "signer {i}: unsupported key type {}: invalid pubkey",
                            any.type_url
                        ),
                    ))
                }
            };
            signer_infos.push(SignerInfo {
                pub_key,
                sequence: si.sequence,
                direct,
            });
        }
        Ok(Self {
            raw: bytes.to_vec(),
            hash: sha256(bytes),
            body,
            body_bytes: raw.body_bytes,
            auth_info_bytes: raw.auth_info_bytes,
            signer_infos,
            signatures: raw.signatures,
            fee: fee_coins,
            gas_limit: fee.gas_limit,
            fee_payer,
            signers,
        })
    }

    /// The gas limit must be positive and within the block gas limit. Checked for every tx
    /// except simulations, which clients send with a zero limit to learn the gas.
    pub fn check_gas_limit(&self, config: &AppConfig) -> Result<(), TxError> {
        if self.gas_limit == 0 {
            return Err(sdk(
                code::INVALID_GAS_LIMIT,
                "gas limit must be positive: invalid gas limit",
            ));
        }
        if self.gas_limit > config.max_tx_gas {
            return Err(sdk(
                code::INVALID_GAS_LIMIT,
                format!(
                    "gas limit {} exceeds the block gas limit {}: invalid gas limit",
                    self.gas_limit, config.max_tx_gas
                ),
            ));
        }
        Ok(())
    }

    /// The account paying the fee.
    pub fn payer(&self) -> Address {
        self.fee_payer.unwrap_or(self.signers[0])
    }

    /// SIGN_MODE_DIRECT sign bytes for a signer with `account_number`.
    pub fn sign_bytes(&self, chain_id: &str, account_number: u64) -> Vec<u8> {
        SignDoc {
            body_bytes: self.body_bytes.clone(),
            auth_info_bytes: self.auth_info_bytes.clone(),
            chain_id: chain_id.to_string(),
            account_number,
        }
        .encode_to_vec()
    }
}

/// The Cosmos address of a compressed secp256k1 key: ripemd160(sha256(key)).
pub fn address_of_pubkey(pk: &[u8; 33]) -> Option<Address> {
    // Validity of the point is checked by signature verification; hashing needs only bytes.
    if pk[0] != 2 && pk[0] != 3 {
        return None;
    }
    let h = ripemd::Ripemd160::digest(sha2::Sha256::digest(pk));
    Address::from_slice(&h)
}

/// Verifies a 64-byte `r || s` secp256k1 signature over sha256(msg) with libsecp256k1.
/// High-S signatures are rejected (libsecp256k1 only accepts low-S), as the SDK rejects
/// them (malleability).
pub fn verify_secp256k1(pk: &[u8; 33], msg: &[u8], sig: &[u8]) -> bool {
    let (Ok(pk), Ok(sig)) = (
        secp256k1::PublicKey::from_slice(pk),
        secp256k1::ecdsa::Signature::from_compact(sig),
    ) else {
        return false;
    };
    let digest = secp256k1::Message::from_digest(sha2::Sha256::digest(msg).into());
    secp256k1::SECP256K1.verify_ecdsa(digest, &sig, &pk).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::{signature::Signer, Signature, SigningKey};

    #[test]
    fn verify_accepts_low_s_and_rejects_high_s_and_tampering() {
        let sk = SigningKey::from_slice(&[3u8; 32]).unwrap();
        let pk: [u8; 33] = sk
            .verifying_key()
            .to_sec1_bytes()
            .as_ref()
            .try_into()
            .unwrap();
        let sig: Signature = sk.sign(b"hello");
        let sig = sig.normalize_s().unwrap_or(sig);
        assert!(verify_secp256k1(&pk, b"hello", &sig.to_bytes()));
        assert!(!verify_secp256k1(&pk, b"hellp", &sig.to_bytes()));
        // The same signature with s -> n - s is valid ECDSA but malleable: rejected.
        let (r, s) = sig.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        assert!(!verify_secp256k1(&pk, b"hello", &high.to_bytes()));
        assert_eq!(address_of_pubkey(&pk).map(|a| a.0.len()), Some(20));
    }
}
