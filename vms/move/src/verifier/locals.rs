//! Locals safety: a local must hold a value when it is copied, moved or borrowed, and a
//! value without `drop` must never be silently discarded by overwriting its local or by
//! returning while it is still stored.
//!
//! A forward dataflow over basic blocks tracks, per local, whether it is available on
//! every path, on none, or only on some (the intent of the reference verifier's
//! `locals_safety` pass).

use std::collections::BTreeSet;

use super::control_flow::{block_starts, successors};
use super::{abilities, display_token, VerifyError, VerifyErrorKind as K};
use crate::file_format::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Unavailable,
    Available,
    Maybe,
}

fn join(a: Slot, b: Slot) -> Slot {
    if a == b {
        a
    } else {
        Slot::Maybe
    }
}

/// Verifies locals safety of one function body (control flow must already be valid).
pub fn verify_function(
    m: &CompiledModule,
    def: &FunctionDefinition,
    code: &CodeUnit,
    location: &str,
) -> Result<(), VerifyError> {
    let handle = &m.function_handles[def.function.into_index()];
    let params = m.signatures[handle.parameters.into_index()].0.len();
    let mut types = m.signatures[handle.parameters.into_index()].0.clone();
    types.extend(m.signatures[code.locals.into_index()].0.iter().cloned());
    let droppable: Vec<bool> = types
        .iter()
        .map(|t| abilities(m, t, &handle.type_parameters).has(Ability::Drop))
        .collect();
    let starts = block_starts(&code.code);
    let block_of = |pc: usize| starts.partition_point(|s| *s <= pc).saturating_sub(1);
    let mut entry: Vec<Option<Vec<Slot>>> = vec![None; starts.len()];
    let initial: Vec<Slot> = (0..types.len())
        .map(|i| {
            if i < params {
                Slot::Available
            } else {
                Slot::Unavailable
            }
        })
        .collect();
    entry[0] = Some(initial);
    let mut work: BTreeSet<usize> = BTreeSet::from([0]);
    while let Some(block) = work.pop_first() {
        let Some(mut state) = entry[block].clone() else {
            continue;
        };
        let start = starts[block];
        let end = starts.get(block + 1).copied().unwrap_or(code.code.len());
        for pc in start..end {
            let type_of = |i: usize| display_token(m, &types[i]);
            step(&code.code[pc], &mut state, &droppable, &type_of).map_err(|kind| VerifyError {
                location: format!("{location}.code[{pc}]"),
                kind,
            })?;
        }
        for succ in successors(&code.code, end - 1) {
            if succ >= code.code.len() {
                continue;
            }
            let b = block_of(succ);
            let merged = match &entry[b] {
                None => state.clone(),
                Some(old) => old.iter().zip(&state).map(|(x, y)| join(*x, *y)).collect(),
            };
            if entry[b].as_ref() != Some(&merged) {
                entry[b] = Some(merged);
                work.insert(b);
            }
        }
    }
    Ok(())
}

fn step(
    instr: &Bytecode,
    state: &mut [Slot],
    droppable: &[bool],
    type_of: &dyn Fn(usize) -> String,
) -> Result<(), K> {
    let slot = |state: &[Slot], i: LocalIndex| {
        state
            .get(usize::from(i))
            .copied()
            .ok_or_else(|| K::Other(format!("local {i} out of range")))
    };
    let need = |s: Slot, i: LocalIndex, what: &str| match s {
        Slot::Available => Ok(()),
        Slot::Unavailable => Err(K::Other(format!(
            "{what} of local {i}, which holds no value"
        ))),
        Slot::Maybe => Err(K::Other(format!(
            "{what} of local {i}, which may have been moved"
        ))),
    };
    match instr {
        Bytecode::CopyLoc(i) => need(slot(state, *i)?, *i, "copy")?,
        Bytecode::MutBorrowLoc(i) | Bytecode::ImmBorrowLoc(i) => {
            need(slot(state, *i)?, *i, "borrow")?
        }
        Bytecode::MoveLoc(i) => {
            need(slot(state, *i)?, *i, "move")?;
            state[usize::from(*i)] = Slot::Unavailable;
        }
        Bytecode::StLoc(i) => {
            let idx = usize::from(*i);
            if slot(state, *i)? != Slot::Unavailable && !droppable[idx] {
                return Err(K::MissingAbility(format!(
                    "local {i} of type {} is overwritten but its value cannot be dropped",
                    type_of(idx)
                )));
            }
            state[idx] = Slot::Available;
        }
        Bytecode::Ret => {
            for (i, s) in state.iter().enumerate() {
                if *s != Slot::Unavailable && !droppable[i] {
                    return Err(K::MissingAbility(format!(
                        "local {i} of type {} still holds a value without drop at return",
                        type_of(i)
                    )));
                }
            }
        }
        _ => {}
    }
    Ok(())
}
