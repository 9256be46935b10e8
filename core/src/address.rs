//! 20-byte account addresses, shown as bech32 with a per-chain prefix or as 0x hex.
//!
//! The same 20 bytes are the Cosmos account (`init1...`) and the EVM account (`0x...`), so a
//! bank transfer and an EVM value transfer move the same funds.

use std::fmt;

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
        codec::encode(prefix, &self.0).unwrap_or_else(|| self.to_hex())
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
        let (hrp, bytes) = Self::decode_bech32(s)?;
        if !hrp.eq_ignore_ascii_case(prefix) || prefix.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(AddressError::WrongPrefix {
                addr: s.into(),
                got: hrp.to_ascii_lowercase(),
                want: prefix.into(),
            });
        }
        Ok(bytes)
    }

    /// Parses bech32 with any prefix, returning the prefix (lower case).
    pub fn parse_bech32_any(s: &str) -> Result<(String, Self), AddressError> {
        let (hrp, addr) = Self::decode_bech32(s)?;
        Ok((hrp.to_ascii_lowercase(), addr))
    }

    fn decode_bech32(s: &str) -> Result<(&str, Self), AddressError> {
        let mut data = [0u8; 20];
        let (hrp, len) =
            codec::decode(s, &mut data).ok_or_else(|| AddressError::Malformed(s.into()))?;
        if len != 20 {
            return Err(AddressError::Length(s.into(), len));
        }
        Ok((hrp, Self(data)))
    }
}

/// BIP-173 bech32 for short payloads, without allocation beyond the output string: every
/// Cosmos tx parses and prints several addresses, and the general-purpose crate's decoder
/// (which also tries bech32m) was ~13% of a challenger's block re-execution. Checked against
/// the `bech32` crate by the tests below.
mod codec {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    /// The longest payload decoded (bytes); a longer string is malformed for our purposes.
    const MAX_DATA: usize = 64;

    const fn rev_charset() -> [i8; 128] {
        let mut t = [-1i8; 128];
        let mut i = 0;
        while i < 32 {
            t[CHARSET[i] as usize] = i as i8;
            i += 1;
        }
        t
    }
    const REV: [i8; 128] = rev_charset();

    #[inline]
    fn step(chk: u32, v: u8) -> u32 {
        let b = chk >> 25;
        let mut c = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (b >> i) & 1 == 1 {
                c ^= g;
            }
        }
        c
    }

    /// The checksum state after the (lower-case) human-readable part.
    fn hrp_state(hrp: &[u8]) -> u32 {
        let mut c = 1;
        for &b in hrp {
            c = step(c, b.to_ascii_lowercase() >> 5);
        }
        c = step(c, 0);
        for &b in hrp {
            c = step(c, b.to_ascii_lowercase() & 31);
        }
        c
    }

    /// A valid human-readable part: 1–83 printable ASCII characters, one case.
    fn valid_hrp(hrp: &[u8]) -> bool {
        !hrp.is_empty()
            && hrp.len() <= 83
            && hrp.iter().all(|b| (33..=126).contains(b))
            && !(hrp.iter().any(u8::is_ascii_lowercase) && hrp.iter().any(u8::is_ascii_uppercase))
    }

    /// `hrp1<data><checksum>` in lower case; `None` if `hrp` is not a valid prefix.
    pub(super) fn encode(hrp: &str, data: &[u8]) -> Option<String> {
        let h = hrp.as_bytes();
        if !valid_hrp(h) {
            return None;
        }
        let mut out = String::with_capacity(h.len() + 1 + (data.len() * 8).div_ceil(5) + 6);
        out.extend(h.iter().map(|b| char::from(b.to_ascii_lowercase())));
        out.push('1');
        let mut chk = hrp_state(h);
        let mut emit = |v: u8, out: &mut String| {
            chk = step(chk, v);
            out.push(char::from(CHARSET[v as usize]));
        };
        let (mut acc, mut bits) = (0u32, 0u32);
        for &b in data {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                emit(((acc >> bits) & 31) as u8, &mut out);
            }
        }
        if bits > 0 {
            emit(((acc << (5 - bits)) & 31) as u8, &mut out);
        }
        for _ in 0..6 {
            chk = step(chk, 0);
        }
        chk ^= 1;
        for i in 0..6 {
            out.push(char::from(CHARSET[((chk >> (5 * (5 - i))) & 31) as usize]));
        }
        Some(out)
    }

    /// Decodes bech32 (not bech32m) into `out`, returning the human-readable part as written
    /// and the payload length; `None` if the string is not valid bech32 or its payload does
    /// not fit `out` (a length-only mismatch is reported as the real length when it fits
    /// `MAX_DATA`).
    pub(super) fn decode<'a>(s: &'a str, out: &mut [u8]) -> Option<(&'a str, usize)> {
        let b = s.as_bytes();
        let sep = b.iter().rposition(|&c| c == b'1')?;
        let (hrp, rest) = (&b[..sep], &b[sep + 1..]);
        if !valid_hrp(hrp) || rest.len() < 6 {
            return None;
        }
        let (lower, upper) = (
            b.iter().any(u8::is_ascii_lowercase),
            b.iter().any(u8::is_ascii_uppercase),
        );
        if lower && upper {
            return None;
        }
        let payload_chars = rest.len() - 6;
        if payload_chars * 5 / 8 > MAX_DATA {
            return None;
        }
        let mut chk = hrp_state(hrp);
        let mut buf = [0u8; MAX_DATA];
        let (mut acc, mut bits, mut n) = (0u32, 0u32, 0usize);
        for (i, &c) in rest.iter().enumerate() {
            let v = *REV.get(usize::from(c.to_ascii_lowercase()))?;
            if v < 0 {
                return None;
            }
            let v = v as u8;
            chk = step(chk, v);
            if i < payload_chars {
                acc = ((acc << 5) | u32::from(v)) & 0xfff;
                bits += 5;
                if bits >= 8 {
                    bits -= 8;
                    buf[n] = (acc >> bits) as u8;
                    n += 1;
                }
            }
        }
        // At most 4 padding bits, all zero (BIP-173).
        if chk != 1 || bits > 4 || (acc & ((1 << bits) - 1)) != 0 {
            return None;
        }
        if n <= out.len() {
            out[..n].copy_from_slice(&buf[..n]);
        }
        Some((std::str::from_utf8(hrp).ok()?, n))
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

    fn crate_decode(s: &str) -> Option<(String, Vec<u8>)> {
        use bech32::primitives::decode::CheckedHrpstring;
        let c = CheckedHrpstring::new::<bech32::Bech32>(s).ok()?;
        Some((c.hrp().to_lowercase(), c.byte_iter().collect()))
    }

    #[test]
    fn codec_matches_the_bech32_crate_on_known_edge_cases() {
        let a = Address([0xab; 20]);
        let s = a.to_bech32("init");
        for case in [
            s.clone(),
            s.to_uppercase(),
            format!("{}{}", &s[..5].to_uppercase(), &s[5..]), // mixed case
            s.replace('1', "b"),                              // no separator
            format!("{}q", s),                                // extra char
            s[..s.len() - 1].to_string(),                     // short
            format!("1{}", &s[5..]),                          // empty hrp
            "a1qqqqqq".into(),                                // empty payload... checksum
            "init1".into(),
            format!("{}\u{7f}", &s[..4]),
        ] {
            let mine = codec::decode(&case, &mut [0u8; 64]).map(|(h, n)| (h.to_lowercase(), n));
            let theirs = crate_decode(&case).map(|(h, d)| (h, d.len()));
            assert_eq!(mine, theirs, "{case:?}");
        }
        // bech32m is not an address encoding.
        let m =
            bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse("init").unwrap(), &a.0).unwrap();
        assert!(Address::parse(&m, "init").is_err());
        // Upper-case bech32 is the same address (BIP-173), with the prefix compared in lower case.
        assert_eq!(Address::parse(&s.to_uppercase(), "init"), Ok(a));
        assert_eq!(
            Address::parse_bech32_any(&s.to_uppercase()),
            Ok(("init".to_string(), a))
        );
        // An invalid prefix prints hex rather than a string nobody can parse.
        assert_eq!(a.to_bech32("in it"), a.to_hex());
        assert_eq!(a.to_bech32(""), a.to_hex());
    }

    proptest! {
        #[test]
        fn codec_matches_the_bech32_crate(
            data in proptest::collection::vec(any::<u8>(), 0..40),
            hrp in "[a-z0-9]{1,12}",
            flip in any::<(usize, u8)>(),
        ) {
            let h = bech32::Hrp::parse(&hrp).unwrap();
            let theirs = bech32::encode::<bech32::Bech32>(h, &data).unwrap();
            let mine = codec::encode(&hrp, &data).unwrap();
            prop_assert_eq!(&mine, &theirs);
            let mut buf = [0u8; 64];
            let (dh, n) = codec::decode(&mine, &mut buf).unwrap();
            prop_assert_eq!((dh, &buf[..n]), (hrp.as_str(), data.as_slice()));
            // Any one-character change: both accept the same thing or both refuse.
            let mut bytes = mine.clone().into_bytes();
            let i = flip.0 % bytes.len();
            bytes[i] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l1Q"[usize::from(flip.1) % 34];
            let changed = String::from_utf8(bytes).unwrap();
            let mine = codec::decode(&changed, &mut buf).map(|(h, n)| (h.to_lowercase(), buf[..n].to_vec()));
            prop_assert_eq!(mine, crate_decode(&changed), "{}", changed);
        }

        #[test]
        fn bech32_and_hex_are_the_same_bytes(b in any::<[u8; 20]>()) {
            let a = Address(b);
            prop_assert_eq!(Address::parse(&a.to_bech32("init"), "init").unwrap(), a);
            prop_assert_eq!(Address::parse(&a.to_hex(), "init").unwrap(), a);
        }
    }
}
