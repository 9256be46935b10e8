//! The execution engines of the minitias, built exactly as their nodes build them, and the
//! registry the settlement L1 uses to judge fraud proofs with them.
//!
//! A fraud proof is decided by re-executing the disputed block with the minitia's own engine
//! (see `minitia_fraud_proofs::verify`). That is only sound if the L1's engine is the
//! sequencer's, module for module: an L1 that judged a template minitia with the bare Cosmos
//! module set (bank and auth, without the bridge's `opchild` module) would fail every
//! `MsgFinalizeTokenDeposit` and so "prove" an honest output wrong. So the constructors here
//! are the single source for both sides: `minitia start` opens its node with them and
//! [`registry`] judges with them.
//!
//! | `minitia_engine.kind` | genesis `app_state.minitia.vm` | engine |
//! |---|---|---|
//! | `minitia-cosmos` | `none` | [`cosmos_minitia_app`]: bank, auth, opchild |
//! | `minitia-evm` | `evm` | [`evm_minitia_app`]: revm over the same Cosmos modules |
//! | `minitia-move` | `move` | [`move_minitia_app`]: the Cosmos modules and the Move VM |
//! | `cosmos` | — | bank and auth only (`minitia_fraud_proofs::BuiltinEngines`), for test chains |

use std::sync::Arc;

use minitia_chain::app::{AppConfig, CosmosApp};
use minitia_fraud_proofs::{EngineSet, EngineSpec};
use minitia_template::run::{cosmos_app, Module};
use minitia_vm_evm::EvmApp;
use minitia_vm_move::minitia::MoveModule;

/// The VMs a minitia can name in genesis (`app_state.minitia.vm`) and their engine kinds.
pub const KINDS: &[(&str, &str)] = &[
    ("none", "minitia-cosmos"),
    ("evm", "minitia-evm"),
    ("move", "minitia-move"),
];

/// The engine kind a minitia of `vm` registers in its bridge's metadata.
pub fn engine_kind(vm: &str) -> Result<&'static str, String> {
    KINDS
        .iter()
        .find(|(v, _)| *v == vm)
        .map(|(_, k)| *k)
        .ok_or_else(|| {
            format!(
                "vm {vm:?} has no execution engine in this build (known: {:?}), so no L1 could judge its fraud proofs",
                KINDS.iter().map(|(v, _)| *v).collect::<Vec<_>>()
            )
        })
}

/// The extra Cosmos modules of a minitia of `vm` on top of [`cosmos_app`]'s (EVM minitias
/// wrap the Cosmos app instead; see [`evm_minitia_app`]).
pub fn extra_modules(vm: &str) -> Result<Vec<Arc<dyn Module>>, String> {
    match engine_kind(vm)? {
        "minitia-move" => Ok(vec![Arc::new(MoveModule::new())]),
        _ => Ok(vec![]),
    }
}

/// A Cosmos-engine minitia (`vm = "none"`): bank, auth and the bridge's `opchild` module.
pub fn cosmos_minitia_app(config: AppConfig) -> CosmosApp {
    cosmos_app(config, vec![])
}

/// An EVM minitia: revm over [`cosmos_minitia_app`]'s modules, one balance for both.
pub fn evm_minitia_app(config: AppConfig) -> EvmApp {
    minitia_vm_evm::app::minitia_evm_app(config)
}

/// A Move minitia: [`cosmos_minitia_app`]'s modules and the Move VM's.
pub fn move_minitia_app(config: AppConfig) -> CosmosApp {
    cosmos_app(config, extra_modules("move").expect("move is a known vm"))
}

/// The engines a production L1 judges fraud proofs with: every kind of [`KINDS`], plus the
/// built-in bank-only `cosmos`.
pub fn registry() -> EngineSet {
    EngineSet::new()
        .with("minitia-cosmos", |s: &EngineSpec| {
            Ok(cosmos_minitia_app(s.app_config()?))
        })
        .with("minitia-evm", |s: &EngineSpec| {
            Ok(evm_minitia_app(s.app_config()?))
        })
        .with("minitia-move", |s: &EngineSpec| {
            Ok(move_minitia_app(s.app_config()?))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use minitia_fraud_proofs::EngineRegistry;

    #[test]
    fn every_vm_has_a_kind_the_registry_knows() {
        let reg = registry();
        for (vm, kind) in KINDS {
            assert_eq!(engine_kind(vm).unwrap(), *kind);
            let spec: EngineSpec = serde_json::from_value(serde_json::json!({
                "kind": kind,
                "chain_id": "mini-1",
                "chain": {"bech32_prefix": "init", "fee_denom": "umin"}
            }))
            .unwrap();
            assert!(reg.verifier(&spec).is_ok(), "{kind}");
        }
        let e = engine_kind("wasm").unwrap_err();
        assert!(e.contains("\"wasm\" has no execution engine"), "{e}");
        assert_eq!(extra_modules("move").unwrap().len(), 1);
        assert!(extra_modules("evm").unwrap().is_empty());
    }
}
