//! Which engine judges a minitia's proofs: the spec a bridge registers, and a registry that
//! turns a spec into a verifier.

use minitia_chain::app::{AppConfig, CosmosApp};
use minitia_chain::node::genesis::ChainParams;
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

/// Turns an [`EngineSpec`] into a verifier.
pub trait EngineRegistry: Send + Sync {
    /// The verifier for `spec`, or why this node cannot judge that engine.
    fn verifier(&self, spec: &EngineSpec) -> Result<Box<dyn ProofVerifier>, String>;
}

/// The engines every L1 knows: `cosmos` (the Cosmos module set with bank, as
/// `minitia_chain::app::CosmosApp::new(config, vec![])` builds it).
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinEngines;

impl EngineRegistry for BuiltinEngines {
    fn verifier(&self, spec: &EngineSpec) -> Result<Box<dyn ProofVerifier>, String> {
        match spec.kind.as_str() {
            "cosmos" => Ok(Box::new(EngineVerifier(CosmosApp::new(
                spec.app_config()?,
                vec![],
            )))),
            other => Err(format!(
                "engine kind {other:?} is not known to this L1 (known: \"cosmos\"); register it in the L1's engine registry"
            )),
        }
    }
}
