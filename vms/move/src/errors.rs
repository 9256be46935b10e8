//! Error types of the crate.
//!
//! Every error names where it happened: deserialization errors carry the table element
//! being read and the absolute byte offset, check errors carry the table element (and
//! instruction) holding the offending index.

use thiserror::Error;

/// What went wrong while reading a binary.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DeserializeErrorKind {
    /// The binary does not start with `a1 1c eb 0b`.
    #[error("bad magic {found:02x?}, expected [a1, 1c, eb, 0b]")]
    BadMagic {
        /// The bytes found (up to 4).
        found: Vec<u8>,
    },
    /// The version is outside of the supported range.
    #[error("unsupported bytecode version {version} (version word {raw:#010x}); supported versions are {min}..={max}")]
    UnsupportedVersion {
        /// Version without flavour marker.
        version: u32,
        /// The raw version word.
        raw: u32,
        /// Oldest supported version.
        min: u32,
        /// Newest supported version.
        max: u32,
    },
    /// The high byte of the version word is neither 0 nor the Aptos marker 0x0A.
    #[error("unknown flavour marker {marker:#04x} in version word {raw:#010x}")]
    UnknownFlavour {
        /// The high byte.
        marker: u8,
        /// The raw version word.
        raw: u32,
    },
    /// The input ended early.
    #[error("truncated at offset {offset} while reading {what}")]
    Truncated {
        /// Offset at which more bytes were needed.
        offset: usize,
        /// What was being read.
        what: &'static str,
    },
    /// A ULEB128 value does not fit in 64 bits.
    #[error("ULEB128 at offset {offset} overflows 64 bits while reading {what}")]
    UlebOverflow {
        /// Offset of the first byte of the value.
        offset: usize,
        /// What was being read.
        what: &'static str,
    },
    /// A ULEB128 value has a redundant trailing zero byte.
    #[error("non-canonical ULEB128 at offset {offset} while reading {what}")]
    UlebNonCanonical {
        /// Offset of the first byte of the value.
        offset: usize,
        /// What was being read.
        what: &'static str,
    },
    /// A decoded value exceeds the format's limit.
    #[error("{what} {value} at offset {offset} exceeds the maximum {max}")]
    ValueTooLarge {
        /// Offset of the value.
        offset: usize,
        /// What was being read.
        what: &'static str,
        /// The value.
        value: u64,
        /// The limit.
        max: u64,
    },
    /// Unknown table tag in the table header.
    #[error("unknown table kind {tag:#04x} at offset {offset}")]
    UnknownTableKind {
        /// Offset of the tag.
        offset: usize,
        /// The tag.
        tag: u8,
    },
    /// The table headers are inconsistent.
    #[error("bad table layout: {reason}")]
    BadTableLayout {
        /// Explanation.
        reason: String,
    },
    /// A table is not allowed here (e.g. a v7 table in a v6 binary, or a module table in a script).
    #[error("table {table} not allowed {reason}")]
    TableNotAllowed {
        /// The table.
        table: &'static str,
        /// Why.
        reason: String,
    },
    /// Unknown signature token tag.
    #[error("unknown type tag {tag:#04x} at offset {offset}")]
    UnknownTypeTag {
        /// Offset of the tag.
        offset: usize,
        /// The tag.
        tag: u8,
    },
    /// A construct that needs a newer bytecode version than the binary declares or than
    /// this crate supports.
    #[error("{what} at offset {offset} requires bytecode version {required} (binary has version {version})")]
    VersionMismatch {
        /// Offset of the construct.
        offset: usize,
        /// The construct.
        what: String,
        /// Minimum version needed.
        required: u32,
        /// Version of the binary.
        version: u32,
    },
    /// Unknown opcode byte.
    #[error("unknown opcode {opcode:#04x} at offset {offset}")]
    UnknownOpcode {
        /// Offset of the opcode.
        offset: usize,
        /// The opcode byte.
        opcode: u8,
    },
    /// An identifier is not valid UTF-8 or not a valid Move identifier.
    #[error("invalid identifier {text:?} at offset {offset}: {reason}")]
    InvalidIdentifier {
        /// Offset of the identifier bytes.
        offset: usize,
        /// Lossy rendering of the bytes.
        text: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// An ability set has unknown bits.
    #[error("unknown ability bits {bits:#04x} at offset {offset}")]
    UnknownAbilities {
        /// Offset of the set.
        offset: usize,
        /// The bits.
        bits: u64,
    },
    /// A flag or enumeration byte has an unknown value.
    #[error("invalid {what} {value:#04x} at offset {offset}")]
    InvalidTag {
        /// Offset of the byte.
        offset: usize,
        /// What the byte encodes.
        what: &'static str,
        /// The value.
        value: u8,
    },
    /// A signature token nests too deeply.
    #[error("signature token at offset {offset} nests deeper than {max}")]
    SignatureTooDeep {
        /// Offset at which the limit was hit.
        offset: usize,
        /// The limit.
        max: usize,
    },
    /// A struct instantiation token with no type argument.
    #[error("struct instantiation with zero type arguments at offset {offset}")]
    EmptyStructInstantiation {
        /// Offset of the arity.
        offset: usize,
    },
    /// Bytes remain after the end of the unit.
    #[error("{count} trailing byte(s) at offset {offset}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
        /// Number of extra bytes.
        count: usize,
    },
}

/// A deserialization error with the location it occurred at.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{context}: {kind}")]
pub struct DeserializeError {
    /// Table element (e.g. `FunctionDefs[3]`) or binary part (`header`) being read.
    pub context: String,
    /// What went wrong.
    pub kind: DeserializeErrorKind,
}

/// A bounds or structural check failure.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CheckError {
    /// An index points past the end of its table.
    #[error("{location}: {kind} index {index} out of bounds (len {len})")]
    IndexOutOfBounds {
        /// Where the index was found, e.g. `FunctionHandles[12]`.
        location: String,
        /// Kind of index (`signature`, `identifier`, ...).
        kind: &'static str,
        /// The index.
        index: usize,
        /// Length of the target table.
        len: usize,
    },
    /// Two elements that must be distinct are equal.
    #[error("{location}: duplicate {what}, first at index {first}")]
    Duplicate {
        /// Where the second occurrence is.
        location: String,
        /// What is duplicated.
        what: &'static str,
        /// Index of the first occurrence.
        first: usize,
    },
    /// Any other structural violation.
    #[error("{location}: {reason}")]
    Invalid {
        /// Where.
        location: String,
        /// Explanation.
        reason: String,
    },
}

/// Either failure of [`crate::load_module`]: reading or checking.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BinaryError {
    /// The binary could not be read.
    #[error("deserialization failed: {0}")]
    Deserialize(#[from] DeserializeError),
    /// The binary was read but is ill-formed.
    #[error("check failed: {0}")]
    Check(#[from] CheckError),
    /// The module is well-formed but its code or signatures are rejected by the verifier.
    #[error("verification failed: {0}")]
    Verify(#[from] crate::verifier::VerifyError),
}

/// A failure while executing Move code. `location` is `0xADDR::module::function` and `pc`
/// the offset of the failing instruction.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum VmError {
    /// The program executed `abort code`.
    #[error("aborted with code {code} in {location} at pc {pc}")]
    Abort {
        /// The abort code.
        code: u64,
        /// Function that aborted.
        location: String,
        /// Offset of the `Abort` instruction.
        pc: u16,
    },
    /// Overflow, underflow, division by zero, invalid shift or lossy cast.
    #[error("arithmetic error ({reason}) in {location} at pc {pc}")]
    Arithmetic {
        /// What failed.
        reason: &'static str,
        /// Function.
        location: String,
        /// Instruction offset.
        pc: u16,
    },
    /// A vector operation failed (index out of bounds, pop from empty, ...).
    #[error("vector operation failed ({reason}) in {location} at pc {pc}")]
    Vector {
        /// What failed.
        reason: String,
        /// Function.
        location: String,
        /// Instruction offset.
        pc: u16,
    },
    /// The gas limit was exceeded.
    #[error("out of gas: limit {limit}, needed {needed}")]
    OutOfGas {
        /// The limit.
        limit: u64,
        /// Gas needed to continue.
        needed: u64,
    },
    /// `move_to` on an address that already holds the resource.
    #[error("resource {resource} already exists at {address} ({location} at pc {pc})")]
    ResourceAlreadyExists {
        /// Resource type.
        resource: String,
        /// Address.
        address: String,
        /// Function.
        location: String,
        /// Instruction offset.
        pc: u16,
    },
    /// `move_from` / `borrow_global` of a missing resource.
    #[error("resource {resource} does not exist at {address} ({location} at pc {pc})")]
    ResourceMissing {
        /// Resource type.
        resource: String,
        /// Address.
        address: String,
        /// Function.
        location: String,
        /// Instruction offset.
        pc: u16,
    },
    /// Unpacking or borrowing a field of the wrong enum variant.
    #[error("enum variant mismatch ({reason}) in {location} at pc {pc}")]
    VariantMismatch {
        /// Details.
        reason: String,
        /// Function.
        location: String,
        /// Instruction offset.
        pc: u16,
    },
    /// A module or function could not be found.
    #[error("not found: {what}")]
    NotFound {
        /// What was looked up.
        what: String,
    },
    /// A native function has no implementation.
    #[error("missing native function {function}")]
    MissingNative {
        /// `0xADDR::module::function`.
        function: String,
    },
    /// The call stack exceeded its maximum depth.
    #[error("call stack overflow (depth {depth}) in {location}")]
    CallStackOverflow {
        /// Depth reached.
        depth: usize,
        /// Function being called.
        location: String,
    },
    /// The storage backend failed or returned undecodable data.
    #[error("storage error: {reason}")]
    Storage {
        /// Details.
        reason: String,
    },
    /// Ill-typed or otherwise unverifiable code (this interpreter checks types dynamically
    /// instead of trusting a bytecode verifier).
    #[error("invariant violation in {location} at pc {pc}: {reason}")]
    InvariantViolation {
        /// Details.
        reason: String,
        /// Function.
        location: String,
        /// Instruction offset.
        pc: u16,
    },
    /// Invalid call from the host (wrong arguments or type arguments).
    #[error("invalid call: {reason}")]
    InvalidCall {
        /// Details.
        reason: String,
    },
}
