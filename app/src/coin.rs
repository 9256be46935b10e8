//! Coins: a denom and an integer amount, validated as the Cosmos SDK validates them.

use std::fmt;

use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use minitia_core::TxError;
use serde::{Deserialize, Serialize};

use super::errors::{code, sdk};

/// An amount of one denom. Amounts are u128: ample for any real supply (the SDK's 256-bit
/// `Int` is rejected above 2^128 - 1 with a clear error rather than silently truncated).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Coin {
    /// Denomination.
    pub denom: String,
    /// Amount, as a decimal string in JSON like the SDK.
    #[serde(with = "amount_str")]
    pub amount: u128,
}

mod amount_str {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Coin {
    /// A coin.
    pub fn new(amount: u128, denom: impl Into<String>) -> Self {
        Self {
            denom: denom.into(),
            amount,
        }
    }

    /// Parses and validates a protobuf coin.
    pub fn from_proto(c: &ProtoCoin) -> Result<Self, TxError> {
        validate_denom(&c.denom)?;
        let amount = c.amount.parse::<u128>().map_err(|_| {
            sdk(
                code::INVALID_COINS,
                format!("invalid coin amount {:?} for {}: must be a non-negative integer below 2^128: invalid coins", c.amount, c.denom),
            )
        })?;
        Ok(Self {
            denom: c.denom.clone(),
            amount,
        })
    }

    /// The protobuf form.
    pub fn to_proto(&self) -> ProtoCoin {
        ProtoCoin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }

    /// Parses `100uinit`.
    pub fn parse(s: &str) -> Result<Self, TxError> {
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (amt, denom) = s.split_at(split);
        Self::from_proto(&ProtoCoin {
            denom: denom.to_string(),
            amount: amt.to_string(),
        })
    }
}

impl fmt::Display for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// Formats coins as the SDK does (`10uinit,5ufoo`).
pub fn coins_to_string(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(Coin::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The SDK's denom rule: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(d: &str) -> Result<(), TxError> {
    let ok = d.len() >= 3
        && d.len() <= 128
        && d.as_bytes()[0].is_ascii_alphabetic()
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(sdk(
            code::INVALID_COINS,
            format!("invalid denom: {d:?}: invalid coins"),
        ))
    }
}

/// Parses a list of protobuf coins: each valid, positive, denoms unique and sorted (the SDK's
/// `Coins.Validate`).
pub fn parse_coins(coins: &[ProtoCoin]) -> Result<Vec<Coin>, TxError> {
    let parsed = coins
        .iter()
        .map(Coin::from_proto)
        .collect::<Result<Vec<_>, _>>()?;
    for c in &parsed {
        if c.amount == 0 {
            return Err(sdk(
                code::INVALID_COINS,
                format!("coin {c} amount is not positive: invalid coins"),
            ));
        }
    }
    for w in parsed.windows(2) {
        if w[0].denom >= w[1].denom {
            return Err(sdk(
                code::INVALID_COINS,
                format!(
                    "coins {} are not sorted by denom or have duplicates: invalid coins",
                    coins_to_string(&parsed)
                ),
            ));
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coin_rules() {
        assert_eq!(Coin::parse("100uinit").unwrap(), Coin::new(100, "uinit"));
        assert!(Coin::parse("100u").is_err());
        assert!(Coin::parse("x").is_err());
        let pc = |a: &str, d: &str| ProtoCoin {
            denom: d.into(),
            amount: a.into(),
        };
        assert!(parse_coins(&[pc("1", "ubbb"), pc("1", "uaaa")]).is_err());
        assert!(parse_coins(&[pc("0", "uaaa")]).is_err());
        assert!(parse_coins(&[pc("-1", "uaaa")]).is_err());
        assert_eq!(
            parse_coins(&[pc("1", "uaaa"), pc("2", "ubbb")])
                .unwrap()
                .len(),
            2
        );
    }
}
