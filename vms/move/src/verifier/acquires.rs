//! `acquires` annotations, with the rules of the Move verifier's acquires-list pass
//! (aptos-core `move-bytecode-verifier/src/acquires_list_verifier.rs`, implemented
//! independently):
//!
//! * the list names each resource at most once, and only structs with `key` defined in this
//!   module;
//! * `move_from<T>` and `borrow_global(_mut)<T>` require `T` in the list;
//! * a call to a function of this module requires every resource it acquires in the list;
//! * every resource in the list is actually acquired by one of the above (no extraneous
//!   annotations).

use std::collections::BTreeSet;

use super::{VerifyError, VerifyErrorKind as K};
use crate::file_format::*;

/// Verifies the acquires list of one function definition.
pub fn verify_function(
    m: &CompiledModule,
    def: &FunctionDefinition,
    location: &str,
) -> Result<(), VerifyError> {
    let at = |pc: Option<usize>, kind: K| VerifyError {
        location: match pc {
            Some(pc) => format!("{location}.code[{pc}]"),
            None => location.to_string(),
        },
        kind,
    };
    let mut annotated = BTreeSet::new();
    for sd in &def.acquires_global_resources {
        if !annotated.insert(sd.0) {
            return Err(at(
                None,
                K::Acquires(format!("{} is listed twice", name(m, *sd))),
            ));
        }
        let has_key = m
            .struct_defs
            .get(sd.into_index())
            .and_then(|d| m.struct_handles.get(d.struct_handle.into_index()))
            .is_some_and(|h| h.abilities.has(Ability::Key));
        if !has_key {
            return Err(at(
                None,
                K::Acquires(format!(
                    "{} is not a resource (no key ability)",
                    name(m, *sd)
                )),
            ));
        }
    }
    let Some(code) = &def.code else {
        return Ok(());
    };
    let mut used = BTreeSet::new();
    let need = |pc: usize, sd: StructDefinitionIndex, what: &str, used: &mut BTreeSet<u16>| {
        if annotated.contains(&sd.0) {
            used.insert(sd.0);
            Ok(())
        } else {
            Err(at(
                Some(pc),
                K::Acquires(format!(
                    "{what} {} without `acquires {}`",
                    name(m, sd),
                    name(m, sd)
                )),
            ))
        }
    };
    let inst_def = |si: StructDefInstantiationIndex| {
        m.struct_def_instantiations
            .get(si.into_index())
            .map(|i| i.def)
    };
    for (pc, instr) in code.code.iter().enumerate() {
        use Bytecode as B;
        let (sd, what) = match instr {
            B::MoveFrom(sd) => (Some(*sd), "move_from of"),
            B::MutBorrowGlobal(sd) | B::ImmBorrowGlobal(sd) => (Some(*sd), "borrow_global of"),
            B::MoveFromGeneric(si) => (inst_def(*si), "move_from of"),
            B::MutBorrowGlobalGeneric(si) | B::ImmBorrowGlobalGeneric(si) => {
                (inst_def(*si), "borrow_global of")
            }
            B::Call(fh) => {
                call(m, *fh, pc, &mut used, &need)?;
                (None, "")
            }
            B::CallGeneric(fi) => {
                if let Some(f) = m.function_instantiations.get(fi.into_index()) {
                    call(m, f.handle, pc, &mut used, &need)?;
                }
                (None, "")
            }
            _ => (None, ""),
        };
        if let Some(sd) = sd {
            need(pc, sd, what, &mut used)?;
        }
    }
    if let Some(extra) = annotated.difference(&used).next() {
        return Err(at(
            None,
            K::Acquires(format!(
                "extraneous `acquires {}`: the function never acquires it",
                name(m, StructDefinitionIndex(*extra))
            )),
        ));
    }
    Ok(())
}

/// Checks that a resource is annotated and records its use.
type NeedFn<'a> =
    dyn Fn(usize, StructDefinitionIndex, &str, &mut BTreeSet<u16>) -> Result<(), VerifyError> + 'a;

fn call(
    m: &CompiledModule,
    fh: FunctionHandleIndex,
    pc: usize,
    used: &mut BTreeSet<u16>,
    need: &NeedFn<'_>,
) -> Result<(), VerifyError> {
    let Some(handle) = m.function_handles.get(fh.into_index()) else {
        return Ok(());
    };
    if handle.module != m.self_module_handle_idx {
        return Ok(());
    }
    if let Some(callee) = m.function_defs.iter().find(|d| d.function == fh) {
        let what = format!("call to {}, which acquires", m.identifier(handle.name));
        for sd in &callee.acquires_global_resources {
            need(pc, *sd, &what, used)?;
        }
    }
    Ok(())
}

fn name(m: &CompiledModule, sd: StructDefinitionIndex) -> String {
    m.struct_defs
        .get(sd.into_index())
        .and_then(|d| m.struct_handles.get(d.struct_handle.into_index()))
        .map_or(format!("StructDefs[{}]", sd.0), |h| {
            m.identifier(h.name).to_string()
        })
}
