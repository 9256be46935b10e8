//! Which engine judges a minitia's proofs: the spec a bridge registers, and a registry that
//! turns a spec into a verifier.

use minitia_app::genesis::ChainParams;
use minitia_app::AppConfig;
use minitia_core::{ChainId, ExecutionEngine};
use serde::{Deserialize, Serialize};

use crate::proof::FraudProof;
use crate::verify::{verify, Anchor, Verdict};

/// The key of the bridge metadata JSON object that holds the [`EngineSpec`].
pub const METADATA_KEY: &str = "minitia_engine";

/// The execution engine a minitia runs and the parameters that change its execution: what
/// the L1 needs to re-execute the minitia's blocks. Registered in the bridge's metadata as
/// `{"minitia_engine": {"kind": "cosmos", "chain_id": "...", "chain": {...}}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSpec {
    /// Engine kind (`cosmos`, `evm`, `move`): a fixed module set per kind.
    pub kind: String,
    /// The minitia's chain id.
    pub chain_id: String,
    /// The minitia genesis's `app_state.chain` section.
    pub chain: ChainParams,
}

impl EngineSpec {
    /// Reads the spec from a bridge's metadata bytes.
    pub fn from_bridge_metadata(metadata: &[u8]) -> Result<Self, String> {
        let v: serde_json::Value = serde_json::from_slice(metadata)
            .map_err(|e| format!("bridge metadata is not JSON ({e}); it must hold {{\"{METADATA_KEY}\": {{\"kind\", \"chain_id\", \"chain\"}}}}"))?;
        let spec = v.get(METADATA_KEY).ok_or_else(|| {
            format!("bridge metadata has no \"{METADATA_KEY}\" entry naming the minitia's engine")
        })?;
        serde_json::from_value(spec.clone())
            .map_err(|e| format!("bridge metadata \"{METADATA_KEY}\": {e}"))
    }

    /// The metadata bytes registering this spec (to put in `MsgCreateBridge`).
    pub fn to_bridge_metadata(&self) -> Vec<u8> {
        serde_json::json!({ METADATA_KEY: self })
            .to_string()
            .into_bytes()
    }

    /// The Cosmos-layer configuration, exactly as the minitia derives it from its genesis.
    pub fn app_config(&self) -> Result<AppConfig, String> {
        let chain_id = ChainId::new(self.chain_id.clone()).map_err(|e| format!("chain_id: {e}"))?;
        let p = &self.chain;
        let mut c = AppConfig::new(chain_id, p.bech32_prefix.clone(), p.fee_denom.clone());
        c.min_gas_price = p.min_gas_price;
        c.max_tx_bytes = p.max_tx_bytes;
        c.max_tx_gas = p.max_tx_gas;
        Ok(c)
    }
}

/// A verifier with its engine chosen: what the L1 calls per proof.
pub trait ProofVerifier: Send + Sync {
    /// Judges `proof` against `anchor`.
    fn verify(&self, proof: &FraudProof, anchor: &Anchor) -> Verdict;
}

/// [`verify`] with a fixed engine.
#[derive(Debug, Clone)]
pub struct EngineVerifier<E>(pub E);

impl<E: ExecutionEngine> ProofVerifier for EngineVerifier<E> {
    fn verify(&self, proof: &FraudProof, anchor: &Anchor) -> Verdict {
        verify(proof, &self.0, anchor)
    }
}

/// Why a registry has no verifier for a bridge's engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// No engine of that kind in this registry.
    #[error("engine kind {kind:?} is not known to this L1 (known: {known:?}); register it in the L1's engine registry")]
    UnknownKind {
        /// The kind the bridge registered.
        kind: String,
        /// The kinds this registry judges.
        known: Vec<String>,
    },
    /// The kind is known but cannot judge this bridge (bad parameters in its spec, or an
    /// engine that cannot be judged).
    #[error("engine kind {kind:?} cannot judge this bridge: {reason}")]
    Unusable {
        /// The kind the bridge registered.
        kind: String,
        /// Why.
        reason: String,
    },
}

/// Turns an [`EngineSpec`] into a verifier.
pub trait EngineRegistry: Send + Sync {
    /// The verifier for `spec`, or why this node cannot judge that engine.
    fn verifier(&self, spec: &EngineSpec) -> Result<Box<dyn ProofVerifier>, RegistryError>;
}

/// Makes a verifier for a spec of one engine kind.
pub type EngineMaker =
    Box<dyn Fn(&EngineSpec) -> Result<Box<dyn ProofVerifier>, String> + Send + Sync>;

/// A registry of engine kinds built from closures: starts empty (an L1 that judges no
/// engine), and [`EngineSet::with`] adds or replaces a kind. The product's registry is the
/// `minitia-engines` crate's; this one is for tests and tools that judge their own kinds.
pub struct EngineSet {
    makers: std::collections::BTreeMap<String, EngineMaker>,
}

impl std::fmt::Debug for EngineSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSet")
            .field("kinds", &self.makers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Default for EngineSet {
    fn default() -> Self {
        Self::new()
    }
}

impl EngineSet {
    /// No kinds.
    pub fn new() -> Self {
        Self {
            makers: Default::default(),
        }
    }

    /// Adds (or replaces) engine `kind`, built from a spec by `make`.
    pub fn with<E: ExecutionEngine>(
        mut self,
        kind: &str,
        make: impl Fn(&EngineSpec) -> Result<E, String> + Send + Sync + 'static,
    ) -> Self {
        self.makers.insert(
            kind.into(),
            Box::new(move |spec: &EngineSpec| {
                Ok(Box::new(EngineVerifier(make(spec)?)) as Box<dyn ProofVerifier>)
            }),
        );
        self
    }
}

impl EngineRegistry for EngineSet {
    fn verifier(&self, spec: &EngineSpec) -> Result<Box<dyn ProofVerifier>, RegistryError> {
        match self.makers.get(&spec.kind) {
            Some(make) => make(spec).map_err(|reason| RegistryError::Unusable {
                kind: spec.kind.clone(),
                reason,
            }),
            None => Err(RegistryError::UnknownKind {
                kind: spec.kind.clone(),
                known: self.makers.keys().cloned().collect(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str) -> EngineSpec {
        serde_json::from_value(serde_json::json!({
            "kind": kind,
            "chain_id": "mini-1",
            "chain": {"bech32_prefix": "init", "fee_denom": "umin", "min_gas_price": "0.15"}
        }))
        .unwrap()
    }

    #[test]
    fn metadata_round_trip_and_errors() {
        let s = spec("cosmos");
        let back = EngineSpec::from_bridge_metadata(&s.to_bridge_metadata()).unwrap();
        assert_eq!(back.app_config().unwrap(), s.app_config().unwrap());
        assert_eq!(
            back.app_config().unwrap().min_gas_price,
            minitia_app::DecAmount::parse("0.15").unwrap()
        );
        assert!(EngineSpec::from_bridge_metadata(b"meta")
            .unwrap_err()
            .contains("not JSON"));
        assert!(EngineSpec::from_bridge_metadata(br#"{"perm_channels":[]}"#)
            .unwrap_err()
            .contains("no \"minitia_engine\""));
        assert!(
            EngineSpec::from_bridge_metadata(br#"{"minitia_engine":{"kind":"cosmos"}}"#)
                .unwrap_err()
                .contains("chain_id")
        );
    }

    #[test]
    fn registries_know_their_kinds() {
        let e = EngineSet::new().verifier(&spec("cosmos")).err().unwrap();
        assert!(matches!(&e, RegistryError::UnknownKind { kind, .. } if kind == "cosmos"));
        assert!(e.to_string().contains("\"cosmos\" is not known"), "{e}");
        let set = EngineSet::new().with("bank-only", |s: &EngineSpec| {
            Ok(minitia_app::CosmosApp::new(s.app_config()?, vec![]))
        });
        assert!(set.verifier(&spec("bank-only")).is_ok());
        assert!(set.verifier(&spec("cosmos")).is_err());
        let e = set.verifier(&spec("move")).err().unwrap();
        assert!(e.to_string().contains("bank-only"), "{e}");
        let mut bad = spec("bank-only");
        bad.chain_id = "no spaces allowed".into();
        let e = set.verifier(&bad).err().unwrap();
        assert!(matches!(e, RegistryError::Unusable { .. }), "{e}");
    }
}
