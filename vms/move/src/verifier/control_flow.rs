//! Control-flow checks and basic blocks.

use super::VerifyErrorKind as K;
use crate::file_format::{Bytecode, CodeUnit};

/// Whether control never continues to the next instruction after `instr`.
pub fn is_terminator(instr: &Bytecode) -> bool {
    matches!(instr, Bytecode::Ret | Bytecode::Abort | Bytecode::Branch(_))
}

/// Whether `instr` ends a basic block (terminators and conditional branches).
pub fn ends_block(instr: &Bytecode) -> bool {
    is_terminator(instr) || matches!(instr, Bytecode::BrTrue(_) | Bytecode::BrFalse(_))
}

/// The code must be non-empty and must not fall off its end. Branch targets were checked
/// by the bounds checker.
pub fn verify(code: &CodeUnit) -> Result<(), K> {
    match code.code.last() {
        None => Err(K::EmptyCode),
        Some(last) if !is_terminator(last) => Err(K::FallThrough),
        Some(_) => Ok(()),
    }
}

/// Start offsets of the basic blocks, ascending: offset 0, every branch target, and every
/// instruction following a block end.
pub fn block_starts(code: &[Bytecode]) -> Vec<usize> {
    let mut starts = vec![false; code.len()];
    if !code.is_empty() {
        starts[0] = true;
    }
    for (pc, instr) in code.iter().enumerate() {
        if let Some(t) = instr.branch_target() {
            if let Some(s) = starts.get_mut(usize::from(t)) {
                *s = true;
            }
        }
        if ends_block(instr) {
            if let Some(s) = starts.get_mut(pc + 1) {
                *s = true;
            }
        }
    }
    starts
        .iter()
        .enumerate()
        .filter(|(_, s)| **s)
        .map(|(i, _)| i)
        .collect()
}

/// Offsets control may reach right after executing the instruction at `pc`.
pub fn successors(code: &[Bytecode], pc: usize) -> Vec<usize> {
    match &code[pc] {
        Bytecode::Ret | Bytecode::Abort => vec![],
        Bytecode::Branch(t) => vec![usize::from(*t)],
        Bytecode::BrTrue(t) | Bytecode::BrFalse(t) => vec![usize::from(*t), pc + 1],
        _ => vec![pc + 1],
    }
}
