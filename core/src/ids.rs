//! Chain ids and heights.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A block height. Height 0 is genesis state; the first block is height 1.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Height(pub u64);

impl Height {
    /// The next height.
    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

impl fmt::Debug for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A chain id, validated with CometBFT's rules (1..=50 bytes, printable ASCII, no spaces).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChainId(String);

/// Why a chain id was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainIdError {
    /// Empty or longer than 50 bytes.
    #[error("chain id must be 1 to 50 characters, got {0}")]
    Length(usize),
    /// A character outside printable ASCII, or whitespace.
    #[error("chain id {0:?} contains {1:?}: use letters, digits, '-', '_' or '.'")]
    Character(String, char),
}

impl ChainId {
    /// Validates and wraps a chain id.
    pub fn new(s: impl Into<String>) -> Result<Self, ChainIdError> {
        let s = s.into();
        if s.is_empty() || s.len() > 50 {
            return Err(ChainIdError::Length(s.len()));
        }
        if let Some(c) = s.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(ChainIdError::Character(s, c));
        }
        Ok(Self(s))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The EIP-155 chain id derived from this chain id: the trailing number of ids shaped like
    /// `name-1234` is not used, because ids are not unique by suffix; instead the first 6 bytes
    /// of sha256(chain id) are read big-endian (fits JavaScript's safe-integer range).
    pub fn evm_chain_id(&self) -> u64 {
        let h = crate::hash::sha256(self.0.as_bytes());
        let mut b = [0u8; 8];
        b[2..].copy_from_slice(&h.0[..6]);
        u64::from_be_bytes(b)
    }
}

impl TryFrom<String> for ChainId {
    type Error = ChainIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl From<ChainId> for String {
    fn from(c: ChainId) -> Self {
        c.0
    }
}

impl fmt::Debug for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_id_rules() {
        assert!(ChainId::new("minitia-1").is_ok());
        assert_eq!(ChainId::new(""), Err(ChainIdError::Length(0)));
        assert!(matches!(
            ChainId::new("a b"),
            Err(ChainIdError::Character(_, ' '))
        ));
        assert!(ChainId::new("x".repeat(51)).is_err());
        let id = ChainId::new("minitia-1").unwrap();
        assert!(id.evm_chain_id() < (1u64 << 53));
        assert_ne!(
            id.evm_chain_id(),
            ChainId::new("minitia-2").unwrap().evm_chain_id()
        );
    }
}
