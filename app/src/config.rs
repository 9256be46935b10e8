//! App-level parameters every Cosmos-layer component reads: prefix, fee denom, limits.

use minitia_core::ChainId;
use serde::{Deserialize, Serialize};

use super::gas::GasConfig;

/// Parameters of the Cosmos app layer. They are fixed at genesis for a chain run: changing
/// one changes execution, so every node of a chain must agree on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    /// Chain id, part of every sign doc.
    pub chain_id: ChainId,
    /// Bech32 account prefix (`init`, `minitia`, ...).
    pub bech32_prefix: String,
    /// Denom fees are paid in.
    pub fee_denom: String,
    /// Minimum gas price in `fee_denom`, as a decimal with 18 fractional digits
    /// (atto-units per gas), so no floats touch fee checks.
    pub min_gas_price: DecAmount,
    /// Largest accepted tx in bytes.
    pub max_tx_bytes: usize,
    /// Largest memo in characters.
    pub max_memo_chars: usize,
    /// Largest gas limit one tx may ask for (the block gas limit).
    pub max_tx_gas: u64,
    /// Gas schedule.
    pub gas: GasConfig,
}

impl AppConfig {
    /// Defaults for a chain id and prefix: fee denom `umin`, zero minimum price.
    pub fn new(
        chain_id: ChainId,
        bech32_prefix: impl Into<String>,
        fee_denom: impl Into<String>,
    ) -> Self {
        Self {
            chain_id,
            bech32_prefix: bech32_prefix.into(),
            fee_denom: fee_denom.into(),
            min_gas_price: DecAmount::ZERO,
            max_tx_bytes: 1024 * 1024,
            max_memo_chars: 256,
            max_tx_gas: 100_000_000,
            gas: GasConfig::default(),
        }
    }

    /// The fee required for `gas_limit` at the minimum gas price, rounded up.
    pub fn required_fee(&self, gas_limit: u64) -> u128 {
        self.min_gas_price.mul_ceil(gas_limit)
    }
}

/// A non-negative decimal with 18 fractional digits, stored as an integer (like the SDK's
/// `LegacyDec`). Parsed from strings such as `0.015`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DecAmount(pub u128);

const DEC_ONE: u128 = 1_000_000_000_000_000_000;

impl DecAmount {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// Parses `123`, `0.015`, `1.5`; at most 18 fractional digits.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("invalid decimal {s:?}: expected digits with an optional '.' and at most 18 decimals")
        };
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        if !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 18
        {
            return Err(bad());
        }
        let int: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        let mut frac_val: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        for _ in frac.len()..18 {
            frac_val *= 10;
        }
        int.checked_mul(DEC_ONE)
            .and_then(|v| v.checked_add(frac_val))
            .map(Self)
            .ok_or_else(bad)
    }

    /// `ceil(self * n)` as an integer amount.
    pub fn mul_ceil(&self, n: u64) -> u128 {
        let whole = (self.0 / DEC_ONE).saturating_mul(n as u128);
        let frac = (self.0 % DEC_ONE).saturating_mul(n as u128);
        whole.saturating_add(frac.div_ceil(DEC_ONE))
    }
}

impl TryFrom<String> for DecAmount {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<DecAmount> for String {
    fn from(d: DecAmount) -> String {
        let int = d.0 / DEC_ONE;
        let frac = d.0 % DEC_ONE;
        if frac == 0 {
            return int.to_string();
        }
        let f = format!("{frac:018}");
        format!("{int}.{}", f.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_parse_and_fee_rounding() {
        let p = DecAmount::parse("0.015").unwrap();
        assert_eq!(p.mul_ceil(200_000), 3000);
        assert_eq!(p.mul_ceil(1), 1);
        assert_eq!(DecAmount::parse("2").unwrap().mul_ceil(3), 6);
        assert_eq!(String::from(DecAmount::parse("1.50").unwrap()), "1.5");
        assert!(DecAmount::parse("1.2.3").is_err());
        assert!(DecAmount::parse("-1").is_err());
        assert!(DecAmount::parse("0.0000000000000000001").is_err());
    }
}
