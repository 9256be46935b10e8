//! 20-byte account addresses, shown as bech32 with a per-chain prefix or as 0x hex.
//!
//! The same 20 bytes are the Cosmos account (`init1...`) and the EVM account (`0x...`), so a
//! bank transfer and an EVM value transfer move the same funds.

use std::fmt;

use bech32::{primitives::decode::CheckedHrpstring, Bech32, Hrp};
use serde::{Deserialize, Serialize};

/// A 20-byte account address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Address(pub [u8; 20]);

/// Why an address string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Neither valid bech32 nor 0x hex.
    #[error("invalid address {0:?}: expected bech32 (e.g. init1...) or 0x-prefixed hex")]
    Malformed(String),
    /// Valid bech32 with another chain's prefix.
    #[error("address {addr:?} has prefix {got:?}, this chain uses {want:?}")]
    WrongPrefix {
        /// The address given.
        addr: String,
        /// Its prefix.
        got: String,
        /// The prefix expected.
        want: String,
    },
    /// Not 20 bytes.
    #[error("address {0:?} is {1} bytes long, accounts are 20 bytes")]
    Length(String, usize),
}

impl Address {
    /// Bytes of the address.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Parses exactly 20 bytes.
    pub fn from_slice(b: &[u8]) -> Option<Self> {
        <[u8; 20]>::try_from(b).ok().map(Self)
    }

    /// Bech32 form with the given human-readable prefix.
    /// A prefix that is not a valid bech32 human-readable part gives the hex form instead.
    pub fn to_bech32(&self, prefix: &str) -> String {
        Hrp::parse(prefix)
            .ok()
            .and_then(|hrp| bech32::encode_lower::<Bech32>(hrp, &self.0).ok())
            .unwrap_or_else(|| self.to_hex())
    }

    /// Lower-case `0x` hex.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.0))
    }

    /// Parses `0x` hex, or bech32 whose prefix must equal `prefix`.
    pub fn parse(s: &str, prefix: &str) -> Result<Self, AddressError> {
        if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            let bytes = hex::decode(h).map_err(|_| AddressError::Malformed(s.into()))?;
            return Self::from_slice(&bytes).ok_or(AddressError::Length(s.into(), bytes.len()));
        }
        let (hrp, bytes) = Self::parse_bech32_any(s)?;
        if hrp != prefix {
            return Err(AddressError::WrongPrefix {
                addr: s.into(),
                got: hrp,
                want: prefix.into(),
            });
        }
        Ok(bytes)
    }

    /// Parses bech32 with any prefix, returning the prefix (lower case). Only the bech32
    /// checksum is tried (not bech32m, which is no address encoding: the crate's generic
    /// `decode` tries both, which cost ~13% of a block's re-execution), and the padding must
    /// be BIP-173's, so each address has one encoding.
    pub fn parse_bech32_any(s: &str) -> Result<(String, Self), AddressError> {
        let malformed = || AddressError::Malformed(s.into());
        let c = CheckedHrpstring::new::<Bech32>(s).map_err(|_| malformed())?;
        c.validate_segwit_padding().map_err(|_| malformed())?;
        let mut data = [0u8; 20];
        let mut len = 0;
        for b in c.byte_iter() {
            if let Some(slot) = data.get_mut(len) {
                *slot = b;
            }
            len += 1;
        }
        if len != 20 {
            return Err(AddressError::Length(s.into(), len));
        }
        Ok((c.hrp().to_lowercase(), Self(data)))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_cosmos_vector() {
        // cosmos1 address of the all-zero bytes, as printed by the Cosmos SDK.
        let a = Address([0u8; 20]);
        assert_eq!(
            a.to_bech32("cosmos"),
            "cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a"
        );
        assert_eq!(
            Address::parse("cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", "cosmos"),
            Ok(a)
        );
    }

    #[test]
    fn errors_are_precise() {
        let a = Address([7u8; 20]);
        let s = a.to_bech32("init");
        assert!(matches!(
            Address::parse(&s, "cosmos"),
            Err(AddressError::WrongPrefix { .. })
        ));
        assert!(matches!(
            Address::parse("0x1234", "init"),
            Err(AddressError::Length(_, 2))
        ));
        assert!(matches!(
            Address::parse("init1zzz", "init"),
            Err(AddressError::Malformed(_))
        ));
    }

    #[test]
    fn case_checksum_and_padding_rules() {
        let a = Address([0xab; 20]);
        let s = a.to_bech32("init");
        // Upper-case bech32 is the same address (BIP-173), with the prefix compared in lower case.
        assert_eq!(Address::parse(&s.to_uppercase(), "init"), Ok(a));
        assert_eq!(
            Address::parse_bech32_any(&s.to_uppercase()),
            Ok(("init".to_string(), a))
        );
        for bad in [
            format!("{}{}", &s[..5].to_uppercase(), &s[5..]), // mixed case
            s.replace('1', "b"),                              // no separator
            format!("{s}q"),                                  // extra char
            s[..s.len() - 1].to_string(),                     // short
            format!("1{}", &s[5..]),                          // empty hrp
            "init1".into(),
            format!("{}\u{7f}", &s[..4]),
        ] {
            assert!(
                matches!(
                    Address::parse(&bad, "init"),
                    Err(AddressError::Malformed(_))
                ),
                "{bad:?}"
            );
        }
        // bech32m is not an address encoding.
        let m = bech32::encode::<bech32::Bech32m>(Hrp::parse("init").unwrap(), &a.0).unwrap();
        assert!(Address::parse(&m, "init").is_err());
        // 20 bytes in 33 characters (5 padding bits): a second spelling of the address, refused.
        let fes: Vec<bech32::Fe32> = {
            use bech32::ByteIterExt;
            a.0.iter()
                .copied()
                .bytes_to_fes()
                .chain([bech32::Fe32::Q])
                .collect()
        };
        let long = {
            use bech32::Fe32IterExt;
            fes.iter()
                .copied()
                .with_checksum::<Bech32>(&Hrp::parse("init").unwrap())
                .chars()
                .collect::<String>()
        };
        assert!(Address::parse(&long, "init").is_err(), "{long}");
        // An invalid prefix prints hex rather than a string nobody can parse.
        assert_eq!(a.to_bech32("in it"), a.to_hex());
        assert_eq!(a.to_bech32(""), a.to_hex());
    }

    proptest! {
        #[test]
        fn bech32_and_hex_are_the_same_bytes(b in any::<[u8; 20]>()) {
            let a = Address(b);
            prop_assert_eq!(Address::parse(&a.to_bech32("init"), "init").unwrap(), a);
            prop_assert_eq!(Address::parse(&a.to_hex(), "init").unwrap(), a);
        }
    }
}
