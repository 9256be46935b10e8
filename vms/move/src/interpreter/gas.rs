//! Gas metering: a fixed cost per instruction plus per-byte costs for natives.
//!
//! The table is deliberately simple (it is not the Aptos/Initia schedule): cheap stack and
//! local operations cost 1, arithmetic 2, struct and vector operations 4, calls 10, global
//! storage operations 50; natives charge a base cost plus a per-byte cost on their input.

use crate::errors::VmError;
use crate::file_format::Bytecode;

/// Base cost of a native call.
pub const NATIVE_BASE_COST: u64 = 10;
/// Per-byte cost of natives that process byte strings (hashing, serialization, UTF-8).
pub const NATIVE_PER_BYTE_COST: u64 = 1;

/// Cost of executing one instruction.
pub fn instruction_cost(instr: &Bytecode) -> u64 {
    use Bytecode as B;
    match instr {
        B::Pop
        | B::Ret
        | B::BrTrue(_)
        | B::BrFalse(_)
        | B::Branch(_)
        | B::LdU8(_)
        | B::LdU16(_)
        | B::LdU32(_)
        | B::LdU64(_)
        | B::LdU128(_)
        | B::LdU256(_)
        | B::LdTrue
        | B::LdFalse
        | B::CopyLoc(_)
        | B::MoveLoc(_)
        | B::StLoc(_)
        | B::MutBorrowLoc(_)
        | B::ImmBorrowLoc(_)
        | B::FreezeRef
        | B::Nop => 1,
        B::Add
        | B::Sub
        | B::Mul
        | B::Mod
        | B::Div
        | B::BitOr
        | B::BitAnd
        | B::Xor
        | B::Or
        | B::And
        | B::Not
        | B::Eq
        | B::Neq
        | B::Lt
        | B::Gt
        | B::Le
        | B::Ge
        | B::Shl
        | B::Shr
        | B::CastU8
        | B::CastU16
        | B::CastU32
        | B::CastU64
        | B::CastU128
        | B::CastU256
        | B::ReadRef
        | B::WriteRef
        | B::Abort => 2,
        B::LdConst(_)
        | B::Pack(_)
        | B::PackGeneric(_)
        | B::Unpack(_)
        | B::UnpackGeneric(_)
        | B::PackVariant(_)
        | B::PackVariantGeneric(_)
        | B::UnpackVariant(_)
        | B::UnpackVariantGeneric(_)
        | B::TestVariant(_)
        | B::TestVariantGeneric(_)
        | B::MutBorrowField(_)
        | B::MutBorrowFieldGeneric(_)
        | B::ImmBorrowField(_)
        | B::ImmBorrowFieldGeneric(_)
        | B::MutBorrowVariantField(_)
        | B::MutBorrowVariantFieldGeneric(_)
        | B::ImmBorrowVariantField(_)
        | B::ImmBorrowVariantFieldGeneric(_)
        | B::VecPack(..)
        | B::VecLen(_)
        | B::VecImmBorrow(_)
        | B::VecMutBorrow(_)
        | B::VecPushBack(_)
        | B::VecPopBack(_)
        | B::VecUnpack(..)
        | B::VecSwap(_) => 4,
        B::Call(_) | B::CallGeneric(_) => 10,
        B::MutBorrowGlobal(_)
        | B::MutBorrowGlobalGeneric(_)
        | B::ImmBorrowGlobal(_)
        | B::ImmBorrowGlobalGeneric(_)
        | B::Exists(_)
        | B::ExistsGeneric(_)
        | B::MoveFrom(_)
        | B::MoveFromGeneric(_)
        | B::MoveTo(_)
        | B::MoveToGeneric(_) => 50,
    }
}

/// Tracks gas consumption against a limit.
#[derive(Clone, Debug)]
pub struct GasMeter {
    limit: u64,
    used: u64,
    instructions: u64,
}

impl GasMeter {
    /// A meter with the given limit.
    pub fn new(limit: u64) -> Self {
        GasMeter {
            limit,
            used: 0,
            instructions: 0,
        }
    }

    /// Gas used so far.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// The limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytecode instructions charged so far.
    pub fn instructions(&self) -> u64 {
        self.instructions
    }

    /// Charges one instruction.
    pub fn charge_instruction(&mut self, instr: &Bytecode) -> Result<(), VmError> {
        self.charge(instruction_cost(instr))?;
        self.instructions += 1;
        Ok(())
    }

    /// Charges `amount`, failing with [`VmError::OutOfGas`] past the limit (the failed
    /// charge is not recorded).
    pub fn charge(&mut self, amount: u64) -> Result<(), VmError> {
        let needed = self.used.saturating_add(amount);
        if needed > self.limit {
            return Err(VmError::OutOfGas {
                limit: self.limit,
                needed,
            });
        }
        self.used = needed;
        Ok(())
    }
}
