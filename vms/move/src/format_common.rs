//! Constants of the Move binary format: magic, versions, table kinds, type tags,
//! opcodes and size limits.
//!
//! Values are those documented in aptos-core
//! `third_party/move/move-binary-format/src/file_format_common.rs`.

/// The four bytes every Move binary starts with.
pub const MOVE_MAGIC: [u8; 4] = [0xA1, 0x1C, 0xEB, 0x0B];

/// Aptos (and Initia) mark their flavour of bytecode v7+ by setting the high byte of the
/// version word to 0x0A.
pub const APTOS_FLAVOUR_MARKER: u32 = 0x0A00_0000;
/// Mask selecting the flavour byte of the version word.
pub const FLAVOUR_MASK: u32 = 0xFF00_0000;

/// Oldest bytecode version this crate reads.
pub const VERSION_MIN: u32 = 6;
/// Newest bytecode version this crate reads.
pub const VERSION_MAX: u32 = 7;

/// Maximum value of a table index.
pub const TABLE_INDEX_MAX: u64 = 65535;
/// Maximum number of tables.
pub const TABLE_COUNT_MAX: u64 = 255;
/// Maximum number of instructions in a code unit.
pub const BYTECODE_COUNT_MAX: u64 = 65535;
/// Maximum value of a branch target.
pub const BYTECODE_INDEX_MAX: u64 = 65535;
/// Maximum local index.
pub const LOCAL_INDEX_MAX: u64 = 255;
/// Maximum identifier length in bytes.
pub const IDENTIFIER_SIZE_MAX: u64 = 255;
/// Maximum constant blob length.
pub const CONSTANT_SIZE_MAX: u64 = 65535;
/// Maximum metadata key length.
pub const METADATA_KEY_SIZE_MAX: u64 = 1023;
/// Maximum metadata value length.
pub const METADATA_VALUE_SIZE_MAX: u64 = 65535;
/// Maximum number of tokens in a signature.
pub const SIGNATURE_SIZE_MAX: u64 = 255;
/// Maximum number of acquired resources.
pub const ACQUIRES_COUNT_MAX: u64 = 255;
/// Maximum number of fields in a struct or variant.
pub const FIELD_COUNT_MAX: u64 = 255;
/// Maximum field offset.
pub const FIELD_OFFSET_MAX: u64 = 255;
/// Maximum number of variants of an enum.
pub const VARIANT_COUNT_MAX: u64 = 127;
/// Maximum variant offset.
pub const VARIANT_OFFSET_MAX: u64 = 127;
/// Maximum number of type parameters.
pub const TYPE_PARAMETER_COUNT_MAX: u64 = 255;
/// Maximum type parameter index.
pub const TYPE_PARAMETER_INDEX_MAX: u64 = 65535;
/// Maximum number of access specifiers on a function.
pub const ACCESS_SPECIFIER_COUNT_MAX: u64 = 64;
/// Maximum nesting depth of a signature token.
pub const SIGNATURE_TOKEN_DEPTH_MAX: usize = 256;

/// Kinds of tables, with their binary tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum TableKind {
    /// MODULE_HANDLES
    ModuleHandles = 0x1,
    /// STRUCT_HANDLES
    StructHandles = 0x2,
    /// FUNCTION_HANDLES
    FunctionHandles = 0x3,
    /// FUNCTION_INST
    FunctionInst = 0x4,
    /// SIGNATURES
    Signatures = 0x5,
    /// CONSTANT_POOL
    ConstantPool = 0x6,
    /// IDENTIFIERS
    Identifiers = 0x7,
    /// ADDRESS_IDENTIFIERS
    AddressIdentifiers = 0x8,
    /// STRUCT_DEFS
    StructDefs = 0xA,
    /// STRUCT_DEF_INST
    StructDefInst = 0xB,
    /// FUNCTION_DEFS
    FunctionDefs = 0xC,
    /// FIELD_HANDLES
    FieldHandles = 0xD,
    /// FIELD_INST
    FieldInst = 0xE,
    /// FRIEND_DECLS
    FriendDecls = 0xF,
    /// METADATA
    Metadata = 0x10,
    /// VARIANT_FIELD_HANDLES (v7)
    VariantFieldHandles = 0x11,
    /// VARIANT_FIELD_INST (v7)
    VariantFieldInst = 0x12,
    /// STRUCT_VARIANT_HANDLES (v7)
    StructVariantHandles = 0x13,
    /// STRUCT_VARIANT_INST (v7)
    StructVariantInst = 0x14,
}

impl TableKind {
    /// All kinds in the order the reference serializer lays tables out (observed on the
    /// Initia framework corpus).
    pub const SERIALIZATION_ORDER: [TableKind; 19] = [
        TableKind::ModuleHandles,
        TableKind::StructHandles,
        TableKind::FunctionHandles,
        TableKind::FunctionInst,
        TableKind::Signatures,
        TableKind::Identifiers,
        TableKind::AddressIdentifiers,
        TableKind::ConstantPool,
        TableKind::Metadata,
        TableKind::StructDefs,
        TableKind::StructDefInst,
        TableKind::FunctionDefs,
        TableKind::FieldHandles,
        TableKind::FieldInst,
        TableKind::FriendDecls,
        TableKind::VariantFieldHandles,
        TableKind::VariantFieldInst,
        TableKind::StructVariantHandles,
        TableKind::StructVariantInst,
    ];

    /// Decodes a table tag.
    pub fn from_u8(tag: u8) -> Option<TableKind> {
        Self::SERIALIZATION_ORDER
            .iter()
            .copied()
            .find(|k| *k as u8 == tag)
    }

    /// Name used in error messages (`FunctionHandles[12]: ...`).
    pub fn name(self) -> &'static str {
        match self {
            TableKind::ModuleHandles => "ModuleHandles",
            TableKind::StructHandles => "StructHandles",
            TableKind::FunctionHandles => "FunctionHandles",
            TableKind::FunctionInst => "FunctionInstantiations",
            TableKind::Signatures => "Signatures",
            TableKind::ConstantPool => "ConstantPool",
            TableKind::Identifiers => "Identifiers",
            TableKind::AddressIdentifiers => "AddressIdentifiers",
            TableKind::StructDefs => "StructDefs",
            TableKind::StructDefInst => "StructDefInstantiations",
            TableKind::FunctionDefs => "FunctionDefs",
            TableKind::FieldHandles => "FieldHandles",
            TableKind::FieldInst => "FieldInstantiations",
            TableKind::FriendDecls => "FriendDecls",
            TableKind::Metadata => "Metadata",
            TableKind::VariantFieldHandles => "VariantFieldHandles",
            TableKind::VariantFieldInst => "VariantFieldInstantiations",
            TableKind::StructVariantHandles => "StructVariantHandles",
            TableKind::StructVariantInst => "StructVariantInstantiations",
        }
    }

    /// Whether the table may appear in a script.
    pub fn allowed_in_script(self) -> bool {
        matches!(
            self,
            TableKind::ModuleHandles
                | TableKind::StructHandles
                | TableKind::FunctionHandles
                | TableKind::FunctionInst
                | TableKind::Signatures
                | TableKind::ConstantPool
                | TableKind::Identifiers
                | TableKind::AddressIdentifiers
                | TableKind::Metadata
        )
    }

    /// First bytecode version in which the table exists.
    pub fn min_version(self) -> u32 {
        match self {
            TableKind::VariantFieldHandles
            | TableKind::VariantFieldInst
            | TableKind::StructVariantHandles
            | TableKind::StructVariantInst => 7,
            _ => 1,
        }
    }
}

/// Tags of signature tokens.
pub mod type_tag {
    #![allow(missing_docs)]
    pub const BOOL: u8 = 0x1;
    pub const U8: u8 = 0x2;
    pub const U64: u8 = 0x3;
    pub const U128: u8 = 0x4;
    pub const ADDRESS: u8 = 0x5;
    pub const REFERENCE: u8 = 0x6;
    pub const MUTABLE_REFERENCE: u8 = 0x7;
    pub const STRUCT: u8 = 0x8;
    pub const TYPE_PARAMETER: u8 = 0x9;
    pub const VECTOR: u8 = 0xA;
    pub const STRUCT_INST: u8 = 0xB;
    pub const SIGNER: u8 = 0xC;
    pub const U16: u8 = 0xD;
    pub const U32: u8 = 0xE;
    pub const U256: u8 = 0xF;
    /// Function types, bytecode v8+ (not supported here).
    pub const FUNCTION: u8 = 0x10;
}

/// Struct definition layout flags.
pub mod struct_flag {
    #![allow(missing_docs)]
    pub const NATIVE: u8 = 0x1;
    pub const DECLARED: u8 = 0x2;
    pub const DECLARED_VARIANTS: u8 = 0x3;
}

/// Encodings of options and booleans inside access specifiers.
pub mod option_tag {
    #![allow(missing_docs)]
    pub const NONE: u8 = 0x1;
    pub const SOME: u8 = 0x2;
    pub const FALSE: u8 = 0x1;
    pub const TRUE: u8 = 0x2;
}

/// Access specifier tags (v7).
pub mod access_tag {
    #![allow(missing_docs)]
    pub const KIND_READ: u8 = 0x1;
    pub const KIND_WRITE: u8 = 0x2;
    pub const RESOURCE_ANY: u8 = 0x1;
    pub const RESOURCE_AT_ADDRESS: u8 = 0x2;
    pub const RESOURCE_IN_MODULE: u8 = 0x3;
    pub const RESOURCE_RESOURCE: u8 = 0x4;
    pub const RESOURCE_INSTANTIATION: u8 = 0x5;
    pub const ADDRESS_ANY: u8 = 0x1;
    pub const ADDRESS_LITERAL: u8 = 0x2;
    pub const ADDRESS_PARAMETER: u8 = 0x3;
}

/// Opcode bytes.
pub mod opcode {
    #![allow(missing_docs)]
    pub const POP: u8 = 0x01;
    pub const RET: u8 = 0x02;
    pub const BR_TRUE: u8 = 0x03;
    pub const BR_FALSE: u8 = 0x04;
    pub const BRANCH: u8 = 0x05;
    pub const LD_U64: u8 = 0x06;
    pub const LD_CONST: u8 = 0x07;
    pub const LD_TRUE: u8 = 0x08;
    pub const LD_FALSE: u8 = 0x09;
    pub const COPY_LOC: u8 = 0x0A;
    pub const MOVE_LOC: u8 = 0x0B;
    pub const ST_LOC: u8 = 0x0C;
    pub const MUT_BORROW_LOC: u8 = 0x0D;
    pub const IMM_BORROW_LOC: u8 = 0x0E;
    pub const MUT_BORROW_FIELD: u8 = 0x0F;
    pub const IMM_BORROW_FIELD: u8 = 0x10;
    pub const CALL: u8 = 0x11;
    pub const PACK: u8 = 0x12;
    pub const UNPACK: u8 = 0x13;
    pub const READ_REF: u8 = 0x14;
    pub const WRITE_REF: u8 = 0x15;
    pub const ADD: u8 = 0x16;
    pub const SUB: u8 = 0x17;
    pub const MUL: u8 = 0x18;
    pub const MOD: u8 = 0x19;
    pub const DIV: u8 = 0x1A;
    pub const BIT_OR: u8 = 0x1B;
    pub const BIT_AND: u8 = 0x1C;
    pub const XOR: u8 = 0x1D;
    pub const OR: u8 = 0x1E;
    pub const AND: u8 = 0x1F;
    pub const NOT: u8 = 0x20;
    pub const EQ: u8 = 0x21;
    pub const NEQ: u8 = 0x22;
    pub const LT: u8 = 0x23;
    pub const GT: u8 = 0x24;
    pub const LE: u8 = 0x25;
    pub const GE: u8 = 0x26;
    pub const ABORT: u8 = 0x27;
    pub const NOP: u8 = 0x28;
    pub const EXISTS: u8 = 0x29;
    pub const MUT_BORROW_GLOBAL: u8 = 0x2A;
    pub const IMM_BORROW_GLOBAL: u8 = 0x2B;
    pub const MOVE_FROM: u8 = 0x2C;
    pub const MOVE_TO: u8 = 0x2D;
    pub const FREEZE_REF: u8 = 0x2E;
    pub const SHL: u8 = 0x2F;
    pub const SHR: u8 = 0x30;
    pub const LD_U8: u8 = 0x31;
    pub const LD_U128: u8 = 0x32;
    pub const CAST_U8: u8 = 0x33;
    pub const CAST_U64: u8 = 0x34;
    pub const CAST_U128: u8 = 0x35;
    pub const MUT_BORROW_FIELD_GENERIC: u8 = 0x36;
    pub const IMM_BORROW_FIELD_GENERIC: u8 = 0x37;
    pub const CALL_GENERIC: u8 = 0x38;
    pub const PACK_GENERIC: u8 = 0x39;
    pub const UNPACK_GENERIC: u8 = 0x3A;
    pub const EXISTS_GENERIC: u8 = 0x3B;
    pub const MUT_BORROW_GLOBAL_GENERIC: u8 = 0x3C;
    pub const IMM_BORROW_GLOBAL_GENERIC: u8 = 0x3D;
    pub const MOVE_FROM_GENERIC: u8 = 0x3E;
    pub const MOVE_TO_GENERIC: u8 = 0x3F;
    pub const VEC_PACK: u8 = 0x40;
    pub const VEC_LEN: u8 = 0x41;
    pub const VEC_IMM_BORROW: u8 = 0x42;
    pub const VEC_MUT_BORROW: u8 = 0x43;
    pub const VEC_PUSH_BACK: u8 = 0x44;
    pub const VEC_POP_BACK: u8 = 0x45;
    pub const VEC_UNPACK: u8 = 0x46;
    pub const VEC_SWAP: u8 = 0x47;
    pub const LD_U16: u8 = 0x48;
    pub const LD_U32: u8 = 0x49;
    pub const LD_U256: u8 = 0x4A;
    pub const CAST_U16: u8 = 0x4B;
    pub const CAST_U32: u8 = 0x4C;
    pub const CAST_U256: u8 = 0x4D;
    pub const IMM_BORROW_VARIANT_FIELD: u8 = 0x4E;
    pub const MUT_BORROW_VARIANT_FIELD: u8 = 0x4F;
    pub const IMM_BORROW_VARIANT_FIELD_GENERIC: u8 = 0x50;
    pub const MUT_BORROW_VARIANT_FIELD_GENERIC: u8 = 0x51;
    pub const PACK_VARIANT: u8 = 0x52;
    pub const PACK_VARIANT_GENERIC: u8 = 0x53;
    pub const UNPACK_VARIANT: u8 = 0x54;
    pub const UNPACK_VARIANT_GENERIC: u8 = 0x55;
    pub const TEST_VARIANT: u8 = 0x56;
    pub const TEST_VARIANT_GENERIC: u8 = 0x57;
    /// First opcode of bytecode v8 (closures); anything from here on is rejected.
    pub const FIRST_V8: u8 = 0x58;
}
