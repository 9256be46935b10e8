//! Gas metering with the Cosmos SDK's default KV costs (store/types/gas.go `KVGasConfig`),
//! so gas estimates from clients built for Cosmos chains stay in the right range.

use super::errors::{code, sdk, ExecResult};

/// Gas costs of state access and tx validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasConfig {
    /// Flat cost of a read.
    pub read_flat: u64,
    /// Per byte read (key + value).
    pub read_per_byte: u64,
    /// Flat cost of a write.
    pub write_flat: u64,
    /// Per byte written (key + value).
    pub write_per_byte: u64,
    /// Flat cost of a delete.
    pub delete: u64,
    /// Per tx byte (auth's `TxSizeCostPerByte`).
    pub tx_size_per_byte: u64,
    /// Per secp256k1 signature verified (auth's `SigVerifyCostSecp256k1`).
    pub sig_verify_secp256k1: u64,
}

impl Default for GasConfig {
    fn default() -> Self {
        Self {
            read_flat: 1000,
            read_per_byte: 3,
            write_flat: 2000,
            write_per_byte: 30,
            delete: 1000,
            tx_size_per_byte: 10,
            sig_verify_secp256k1: 1000,
        }
    }
}

/// Counts gas against a limit. Once over the limit every further charge fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasMeter {
    limit: u64,
    used: u64,
}

impl GasMeter {
    /// A meter with `limit` (u64::MAX for an unmetered context such as genesis).
    pub fn new(limit: u64) -> Self {
        Self { limit, used: 0 }
    }

    /// Gas consumed so far (may exceed the limit by the failing charge).
    pub fn used(&self) -> u64 {
        self.used
    }

    /// The limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Charges `amount` for `what`; fails with the SDK's out-of-gas error past the limit.
    pub fn charge(&mut self, amount: u64, what: &str) -> ExecResult<()> {
        self.used = self.used.saturating_add(amount);
        if self.used > self.limit {
            return Err(sdk(
                code::OUT_OF_GAS,
                format!(
                    "out of gas in location: {what}; gasWanted: {}, gasUsed: {}: out of gas",
                    self.limit, self.used
                ),
            )
            .into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_gas_names_location_and_amounts() {
        let mut m = GasMeter::new(1500);
        m.charge(1000, "ReadFlat").unwrap();
        let e = m.charge(1000, "WriteFlat").unwrap_err().to_string();
        assert!(
            e.contains("WriteFlat") && e.contains("gasWanted: 1500") && e.contains("gasUsed: 2000"),
            "{e}"
        );
    }
}
