//! A 256-bit unsigned integer for Move's `u256`, a thin wrapper over
//! `primitive_types::U256` with little-endian byte conversions and checked arithmetic.

use std::fmt;

/// An unsigned 256-bit integer.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct U256(primitive_types::U256);

impl U256 {
    /// Zero.
    pub const ZERO: U256 = U256(primitive_types::U256::zero());
    /// The largest value.
    pub const MAX: U256 = U256(primitive_types::U256::MAX);

    /// Decodes 32 little-endian bytes.
    pub fn from_le_bytes(bytes: [u8; 32]) -> U256 {
        U256(primitive_types::U256::from_little_endian(&bytes))
    }

    /// Encodes as 32 little-endian bytes.
    pub fn to_le_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in self.0 .0.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
        }
        out
    }

    /// Checked addition.
    pub fn checked_add(self, rhs: U256) -> Option<U256> {
        self.0.checked_add(rhs.0).map(U256)
    }

    /// Checked subtraction.
    pub fn checked_sub(self, rhs: U256) -> Option<U256> {
        self.0.checked_sub(rhs.0).map(U256)
    }

    /// Checked multiplication.
    pub fn checked_mul(self, rhs: U256) -> Option<U256> {
        self.0.checked_mul(rhs.0).map(U256)
    }

    /// Checked division (None on zero divisor).
    pub fn checked_div(self, rhs: U256) -> Option<U256> {
        self.0.checked_div(rhs.0).map(U256)
    }

    /// Checked remainder (None on zero divisor).
    pub fn checked_rem(self, rhs: U256) -> Option<U256> {
        self.0.checked_rem(rhs.0).map(U256)
    }

    /// Left shift by `n < 256` bits, discarding overflowing bits.
    pub fn shift_left(self, n: u8) -> U256 {
        U256(self.0 << usize::from(n))
    }

    /// Right shift by `n < 256` bits.
    pub fn shift_right(self, n: u8) -> U256 {
        U256(self.0 >> usize::from(n))
    }

    /// Bitwise or.
    pub fn bit_or(self, rhs: U256) -> U256 {
        U256(self.0 | rhs.0)
    }

    /// Bitwise and.
    pub fn bit_and(self, rhs: U256) -> U256 {
        U256(self.0 & rhs.0)
    }

    /// Bitwise xor.
    pub fn bit_xor(self, rhs: U256) -> U256 {
        U256(self.0 ^ rhs.0)
    }

    /// The value as u128 if it fits.
    pub fn to_u128(self) -> Option<u128> {
        let [a, b, c, d] = self.0 .0;
        (c == 0 && d == 0).then_some(u128::from(a) | (u128::from(b) << 64))
    }
}

impl From<u128> for U256 {
    fn from(v: u128) -> U256 {
        U256(primitive_types::U256::from(v))
    }
}

impl fmt::Debug for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}u256", self.0)
    }
}

impl fmt::Display for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_bytes_round_trip_and_overflow() {
        let mut bytes = [0u8; 32];
        bytes[0] = 1;
        bytes[31] = 0x80;
        let v = U256::from_le_bytes(bytes);
        assert_eq!(v.to_le_bytes(), bytes);
        assert_eq!(U256::MAX.checked_add(U256::from(1)), None);
        assert_eq!(U256::from(7).checked_div(U256::ZERO), None);
        assert_eq!(
            U256::from(1).shift_left(200).shift_right(200),
            U256::from(1)
        );
        assert_eq!(U256::from(u128::MAX).to_u128(), Some(u128::MAX));
        assert_eq!(
            U256::from(u128::MAX)
                .checked_add(U256::from(1))
                .and_then(U256::to_u128),
            None
        );
    }
}
