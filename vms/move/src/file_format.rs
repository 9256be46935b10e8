//! In-memory representation of Move compiled units (modules and scripts).
//!
//! The shapes follow the Move binary format as documented by the public
//! `move-binary-format` crate in aptos-core
//! (`third_party/move/move-binary-format/src/file_format.rs`): every compiled
//! unit is a set of flat tables that refer to each other through `u16` indices.
//! Only bytecode versions 6 and 7 are modelled (no closures, no signed integers).

use crate::u256::U256;

/// Length of an account address in the Aptos/Initia flavour of Move.
pub const ADDRESS_LENGTH: usize = 32;

/// A 32-byte account address.
pub type AccountAddress = [u8; ADDRESS_LENGTH];

/// Offset of an instruction inside a code unit.
pub type CodeOffset = u16;
/// Index of a local (parameters first, then declared locals).
pub type LocalIndex = u8;
/// Index of a type parameter of the enclosing function or struct.
pub type TypeParameterIndex = u16;
/// Offset of a field inside a struct or variant.
pub type MemberCount = u16;
/// Index of a variant inside an enum.
pub type VariantIndex = u16;

macro_rules! define_index {
    ($(#[$doc:meta] $name:ident => $kind:expr;)*) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u16);

        impl $name {
            /// Human readable name of the table this index points into.
            pub const KIND: &'static str = $kind;

            /// The index as a `usize`, for slice access.
            pub fn into_index(self) -> usize {
                usize::from(self.0)
            }
        }
    )*};
}

define_index! {
    /// Index into the module handle table.
    ModuleHandleIndex => "module handle";
    /// Index into the struct handle table.
    StructHandleIndex => "struct handle";
    /// Index into the function handle table.
    FunctionHandleIndex => "function handle";
    /// Index into the field handle table.
    FieldHandleIndex => "field handle";
    /// Index into the struct definition instantiation table.
    StructDefInstantiationIndex => "struct instantiation";
    /// Index into the function instantiation table.
    FunctionInstantiationIndex => "function instantiation";
    /// Index into the field instantiation table.
    FieldInstantiationIndex => "field instantiation";
    /// Index into the identifier pool.
    IdentifierIndex => "identifier";
    /// Index into the address identifier pool.
    AddressIdentifierIndex => "address";
    /// Index into the constant pool.
    ConstantPoolIndex => "constant";
    /// Index into the signature pool.
    SignatureIndex => "signature";
    /// Index into the struct definition table.
    StructDefinitionIndex => "struct definition";
    /// Index into the function definition table.
    FunctionDefinitionIndex => "function definition";
    /// Index into the variant field handle table (v7).
    VariantFieldHandleIndex => "variant field handle";
    /// Index into the variant field instantiation table (v7).
    VariantFieldInstantiationIndex => "variant field instantiation";
    /// Index into the struct variant handle table (v7).
    StructVariantHandleIndex => "struct variant handle";
    /// Index into the struct variant instantiation table (v7).
    StructVariantInstantiationIndex => "struct variant instantiation";
}

/// A single ability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Ability {
    /// Values may be copied.
    Copy = 0x1,
    /// Values may be dropped.
    Drop = 0x2,
    /// Values may be stored inside global resources.
    Store = 0x4,
    /// Values may be top-level global resources.
    Key = 0x8,
}

/// A set of abilities, encoded as the bit set used by the binary format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AbilitySet(u8);

impl AbilitySet {
    /// No abilities.
    pub const EMPTY: AbilitySet = AbilitySet(0);
    /// All four abilities.
    pub const ALL: AbilitySet = AbilitySet(0xF);
    /// Abilities of primitive types (copy, drop, store).
    pub const PRIMITIVES: AbilitySet = AbilitySet(0x7);

    /// Builds a set from its binary encoding, rejecting unknown bits.
    pub fn from_u8(bits: u8) -> Option<AbilitySet> {
        (bits & !Self::ALL.0 == 0).then_some(AbilitySet(bits))
    }

    /// The binary encoding of the set.
    pub fn into_u8(self) -> u8 {
        self.0
    }

    /// Whether `ability` is in the set.
    pub fn has(self, ability: Ability) -> bool {
        self.0 & ability as u8 != 0
    }

    /// The set with `ability` added.
    pub fn with(self, ability: Ability) -> AbilitySet {
        AbilitySet(self.0 | ability as u8)
    }

    /// Set intersection.
    pub fn intersect(self, other: AbilitySet) -> AbilitySet {
        AbilitySet(self.0 & other.0)
    }

    /// Whether every ability of `self` is in `other`.
    pub fn is_subset(self, other: AbilitySet) -> bool {
        self.0 & !other.0 == 0
    }
}

/// A module handle: the (address, name) pair naming a module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleHandle {
    /// Address the module is published at.
    pub address: AddressIdentifierIndex,
    /// Name of the module.
    pub name: IdentifierIndex,
}

/// A type parameter of a struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StructTypeParameter {
    /// Abilities required of the type argument.
    pub constraints: AbilitySet,
    /// Whether the parameter is phantom (not used in fields).
    pub is_phantom: bool,
}

/// A struct handle: a reference to a struct declared in this or another module.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StructHandle {
    /// Declaring module.
    pub module: ModuleHandleIndex,
    /// Struct name.
    pub name: IdentifierIndex,
    /// Abilities declared for the struct.
    pub abilities: AbilitySet,
    /// Type parameters.
    pub type_parameters: Vec<StructTypeParameter>,
}

/// Kind of access in an access specifier (v7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// `reads`
    Reads,
    /// `writes`
    Writes,
}

/// Resource part of an access specifier (v7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ResourceSpecifier {
    /// Any resource.
    Any,
    /// Any resource declared at the given address.
    DeclaredAtAddress(AddressIdentifierIndex),
    /// Any resource declared in the given module.
    DeclaredInModule(ModuleHandleIndex),
    /// A specific resource type.
    Resource(StructHandleIndex),
    /// A specific instantiation of a generic resource.
    ResourceInstantiation(StructHandleIndex, SignatureIndex),
}

/// Address part of an access specifier (v7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AddressSpecifier {
    /// Any address.
    Any,
    /// A literal address.
    Literal(AddressIdentifierIndex),
    /// The address held in a parameter, optionally mapped through a function.
    Parameter(LocalIndex, Option<FunctionInstantiationIndex>),
}

/// An access specifier attached to a function handle (v7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AccessSpecifier {
    /// Read or write.
    pub kind: AccessKind,
    /// Whether the specifier is negated.
    pub negated: bool,
    /// Which resources.
    pub resource: ResourceSpecifier,
    /// At which addresses.
    pub address: AddressSpecifier,
}

/// A function handle: a reference to a function in this or another module.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FunctionHandle {
    /// Declaring module.
    pub module: ModuleHandleIndex,
    /// Function name.
    pub name: IdentifierIndex,
    /// Parameter types.
    pub parameters: SignatureIndex,
    /// Return types.
    pub return_: SignatureIndex,
    /// Ability constraints of the type parameters.
    pub type_parameters: Vec<AbilitySet>,
    /// Access specifiers (v7+), `None` when absent.
    pub access_specifiers: Option<Vec<AccessSpecifier>>,
}

/// A field handle: (struct definition, field offset).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldHandle {
    /// Struct declaring the field.
    pub owner: StructDefinitionIndex,
    /// Field position.
    pub field: MemberCount,
}

/// A field that appears at the same offset in several variants of an enum (v7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VariantFieldHandle {
    /// Enum declaring the field.
    pub struct_index: StructDefinitionIndex,
    /// Variants in which the field exists.
    pub variants: Vec<VariantIndex>,
    /// Field position within each variant.
    pub field: MemberCount,
}

/// A (enum, variant) pair (v7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StructVariantHandle {
    /// Enum declaring the variant.
    pub struct_index: StructDefinitionIndex,
    /// Variant position.
    pub variant: VariantIndex,
}

/// A generic struct definition applied to type arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StructDefInstantiation {
    /// The generic struct.
    pub def: StructDefinitionIndex,
    /// Type arguments.
    pub type_parameters: SignatureIndex,
}

/// A generic function applied to type arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FunctionInstantiation {
    /// The generic function.
    pub handle: FunctionHandleIndex,
    /// Type arguments.
    pub type_parameters: SignatureIndex,
}

/// A field of a generic struct applied to type arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldInstantiation {
    /// The field.
    pub handle: FieldHandleIndex,
    /// Type arguments.
    pub type_parameters: SignatureIndex,
}

/// A variant field of a generic enum applied to type arguments (v7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VariantFieldInstantiation {
    /// The variant field.
    pub handle: VariantFieldHandleIndex,
    /// Type arguments.
    pub type_parameters: SignatureIndex,
}

/// A variant of a generic enum applied to type arguments (v7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StructVariantInstantiation {
    /// The variant.
    pub handle: StructVariantHandleIndex,
    /// Type arguments.
    pub type_parameters: SignatureIndex,
}

/// A field declaration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldDefinition {
    /// Field name.
    pub name: IdentifierIndex,
    /// Field type.
    pub signature: SignatureToken,
}

/// A variant declaration of an enum (v7).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VariantDefinition {
    /// Variant name.
    pub name: IdentifierIndex,
    /// Fields of the variant.
    pub fields: Vec<FieldDefinition>,
}

/// The layout of a struct definition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StructFieldInformation {
    /// A native struct (no fields visible to bytecode).
    Native,
    /// A plain struct with fields.
    Declared(Vec<FieldDefinition>),
    /// An enum with variants (v7).
    DeclaredVariants(Vec<VariantDefinition>),
}

impl StructFieldInformation {
    /// Number of fields of the struct, or of `variant` for an enum.
    /// Returns 0 for natives and unknown variants.
    pub fn field_count(&self, variant: Option<VariantIndex>) -> usize {
        match (self, variant) {
            (StructFieldInformation::Declared(fields), None) => fields.len(),
            (StructFieldInformation::DeclaredVariants(variants), Some(v)) => variants
                .get(usize::from(v))
                .map_or(0, |variant| variant.fields.len()),
            _ => 0,
        }
    }

    /// Number of variants (0 for non-enums).
    pub fn variant_count(&self) -> usize {
        match self {
            StructFieldInformation::DeclaredVariants(variants) => variants.len(),
            _ => 0,
        }
    }
}

/// A struct (or enum) definition of the module.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StructDefinition {
    /// The handle naming this struct (must belong to the self module).
    pub struct_handle: StructHandleIndex,
    /// Fields or variants.
    pub field_information: StructFieldInformation,
}

/// Visibility of a function definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Visibility {
    /// Callable only from the declaring module.
    Private = 0x0,
    /// Callable from anywhere.
    Public = 0x1,
    /// Callable from the declaring module and its friends.
    Friend = 0x3,
}

/// The body of a function or script.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CodeUnit {
    /// Types of the locals declared after the parameters.
    pub locals: SignatureIndex,
    /// Instructions.
    pub code: Vec<Bytecode>,
}

/// A function definition of the module.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FunctionDefinition {
    /// The handle naming this function (must belong to the self module).
    pub function: FunctionHandleIndex,
    /// Visibility.
    pub visibility: Visibility,
    /// Whether this is an entry function.
    pub is_entry: bool,
    /// Resources acquired by the function.
    pub acquires_global_resources: Vec<StructDefinitionIndex>,
    /// Body; `None` for native functions.
    pub code: Option<CodeUnit>,
}

impl FunctionDefinition {
    /// Flag bit (second flag byte) for native functions.
    pub const NATIVE: u8 = 0x2;
    /// Flag bit (second flag byte) for entry functions.
    pub const ENTRY: u8 = 0x4;
}

/// A type as it appears in signatures.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignatureToken {
    /// `bool`
    Bool,
    /// `u8`
    U8,
    /// `u16` (v6+)
    U16,
    /// `u32` (v6+)
    U32,
    /// `u64`
    U64,
    /// `u128`
    U128,
    /// `u256` (v6+)
    U256,
    /// `address`
    Address,
    /// `signer`
    Signer,
    /// `vector<T>`
    Vector(Box<SignatureToken>),
    /// A non-generic struct.
    Struct(StructHandleIndex),
    /// A generic struct with type arguments.
    StructInstantiation(StructHandleIndex, Vec<SignatureToken>),
    /// `&T`
    Reference(Box<SignatureToken>),
    /// `&mut T`
    MutableReference(Box<SignatureToken>),
    /// A type parameter of the enclosing function or struct.
    TypeParameter(TypeParameterIndex),
}

impl SignatureToken {
    /// Whether the token is a (mutable or immutable) reference.
    pub fn is_reference(&self) -> bool {
        matches!(
            self,
            SignatureToken::Reference(_) | SignatureToken::MutableReference(_)
        )
    }

    /// Visits the token and all its sub-tokens in pre-order.
    pub fn preorder(&self) -> Vec<&SignatureToken> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(tok) = stack.pop() {
            out.push(tok);
            match tok {
                SignatureToken::Vector(inner)
                | SignatureToken::Reference(inner)
                | SignatureToken::MutableReference(inner) => stack.push(inner),
                SignatureToken::StructInstantiation(_, args) => stack.extend(args.iter().rev()),
                _ => {}
            }
        }
        out
    }
}

/// A list of types (parameters, returns, locals, type arguments).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature(pub Vec<SignatureToken>);

/// A constant: a type and its BCS-encoded value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Constant {
    /// Type of the value.
    pub type_: SignatureToken,
    /// BCS encoding of the value.
    pub data: Vec<u8>,
}

/// A metadata entry (opaque key/value blobs).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Metadata {
    /// Key.
    pub key: Vec<u8>,
    /// Value.
    pub value: Vec<u8>,
}

/// A bytecode instruction with its operands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Bytecode {
    Pop,
    Ret,
    BrTrue(CodeOffset),
    BrFalse(CodeOffset),
    Branch(CodeOffset),
    LdU8(u8),
    LdU16(u16),
    LdU32(u32),
    LdU64(u64),
    LdU128(u128),
    LdU256(U256),
    CastU8,
    CastU16,
    CastU32,
    CastU64,
    CastU128,
    CastU256,
    LdConst(ConstantPoolIndex),
    LdTrue,
    LdFalse,
    CopyLoc(LocalIndex),
    MoveLoc(LocalIndex),
    StLoc(LocalIndex),
    Call(FunctionHandleIndex),
    CallGeneric(FunctionInstantiationIndex),
    Pack(StructDefinitionIndex),
    PackGeneric(StructDefInstantiationIndex),
    Unpack(StructDefinitionIndex),
    UnpackGeneric(StructDefInstantiationIndex),
    PackVariant(StructVariantHandleIndex),
    PackVariantGeneric(StructVariantInstantiationIndex),
    UnpackVariant(StructVariantHandleIndex),
    UnpackVariantGeneric(StructVariantInstantiationIndex),
    TestVariant(StructVariantHandleIndex),
    TestVariantGeneric(StructVariantInstantiationIndex),
    ReadRef,
    WriteRef,
    FreezeRef,
    MutBorrowLoc(LocalIndex),
    ImmBorrowLoc(LocalIndex),
    MutBorrowField(FieldHandleIndex),
    MutBorrowFieldGeneric(FieldInstantiationIndex),
    ImmBorrowField(FieldHandleIndex),
    ImmBorrowFieldGeneric(FieldInstantiationIndex),
    MutBorrowVariantField(VariantFieldHandleIndex),
    MutBorrowVariantFieldGeneric(VariantFieldInstantiationIndex),
    ImmBorrowVariantField(VariantFieldHandleIndex),
    ImmBorrowVariantFieldGeneric(VariantFieldInstantiationIndex),
    MutBorrowGlobal(StructDefinitionIndex),
    MutBorrowGlobalGeneric(StructDefInstantiationIndex),
    ImmBorrowGlobal(StructDefinitionIndex),
    ImmBorrowGlobalGeneric(StructDefInstantiationIndex),
    Add,
    Sub,
    Mul,
    Mod,
    Div,
    BitOr,
    BitAnd,
    Xor,
    Or,
    And,
    Not,
    Eq,
    Neq,
    Lt,
    Gt,
    Le,
    Ge,
    Shl,
    Shr,
    Abort,
    Nop,
    Exists(StructDefinitionIndex),
    ExistsGeneric(StructDefInstantiationIndex),
    MoveFrom(StructDefinitionIndex),
    MoveFromGeneric(StructDefInstantiationIndex),
    MoveTo(StructDefinitionIndex),
    MoveToGeneric(StructDefInstantiationIndex),
    VecPack(SignatureIndex, u64),
    VecLen(SignatureIndex),
    VecImmBorrow(SignatureIndex),
    VecMutBorrow(SignatureIndex),
    VecPushBack(SignatureIndex),
    VecPopBack(SignatureIndex),
    VecUnpack(SignatureIndex, u64),
    VecSwap(SignatureIndex),
}

impl Bytecode {
    /// Branch target of the instruction, if it is a branch.
    pub fn branch_target(&self) -> Option<CodeOffset> {
        match self {
            Bytecode::BrTrue(t) | Bytecode::BrFalse(t) | Bytecode::Branch(t) => Some(*t),
            _ => None,
        }
    }
}

/// A compiled module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompiledModule {
    /// Bytecode version (without flavour marker).
    pub version: u32,
    /// Whether the version word carried the Aptos flavour marker (0x0A in the high byte).
    pub aptos_flavour: bool,
    /// Handle of this module in `module_handles`.
    pub self_module_handle_idx: ModuleHandleIndex,
    /// MODULE_HANDLES
    pub module_handles: Vec<ModuleHandle>,
    /// STRUCT_HANDLES
    pub struct_handles: Vec<StructHandle>,
    /// FUNCTION_HANDLES
    pub function_handles: Vec<FunctionHandle>,
    /// FIELD_HANDLES
    pub field_handles: Vec<FieldHandle>,
    /// FRIEND_DECLS
    pub friend_decls: Vec<ModuleHandle>,
    /// STRUCT_DEF_INST
    pub struct_def_instantiations: Vec<StructDefInstantiation>,
    /// FUNCTION_INST
    pub function_instantiations: Vec<FunctionInstantiation>,
    /// FIELD_INST
    pub field_instantiations: Vec<FieldInstantiation>,
    /// SIGNATURES
    pub signatures: Vec<Signature>,
    /// IDENTIFIERS
    pub identifiers: Vec<String>,
    /// ADDRESS_IDENTIFIERS
    pub address_identifiers: Vec<AccountAddress>,
    /// CONSTANT_POOL
    pub constant_pool: Vec<Constant>,
    /// METADATA
    pub metadata: Vec<Metadata>,
    /// STRUCT_DEFS
    pub struct_defs: Vec<StructDefinition>,
    /// FUNCTION_DEFS
    pub function_defs: Vec<FunctionDefinition>,
    /// STRUCT_VARIANT_HANDLES (v7)
    pub struct_variant_handles: Vec<StructVariantHandle>,
    /// STRUCT_VARIANT_INST (v7)
    pub struct_variant_instantiations: Vec<StructVariantInstantiation>,
    /// VARIANT_FIELD_HANDLES (v7)
    pub variant_field_handles: Vec<VariantFieldHandle>,
    /// VARIANT_FIELD_INST (v7)
    pub variant_field_instantiations: Vec<VariantFieldInstantiation>,
}

/// A compiled script: common tables plus a single entry point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompiledScript {
    /// Bytecode version (without flavour marker).
    pub version: u32,
    /// Whether the version word carried the Aptos flavour marker.
    pub aptos_flavour: bool,
    /// MODULE_HANDLES
    pub module_handles: Vec<ModuleHandle>,
    /// STRUCT_HANDLES
    pub struct_handles: Vec<StructHandle>,
    /// FUNCTION_HANDLES
    pub function_handles: Vec<FunctionHandle>,
    /// FUNCTION_INST
    pub function_instantiations: Vec<FunctionInstantiation>,
    /// SIGNATURES
    pub signatures: Vec<Signature>,
    /// IDENTIFIERS
    pub identifiers: Vec<String>,
    /// ADDRESS_IDENTIFIERS
    pub address_identifiers: Vec<AccountAddress>,
    /// CONSTANT_POOL
    pub constant_pool: Vec<Constant>,
    /// METADATA
    pub metadata: Vec<Metadata>,
    /// Type parameter constraints of the entry point.
    pub type_parameters: Vec<AbilitySet>,
    /// Parameter types of the entry point.
    pub parameters: SignatureIndex,
    /// Body of the entry point.
    pub code: CodeUnit,
}

impl CompiledModule {
    /// The handle of this module.
    pub fn self_handle(&self) -> Option<&ModuleHandle> {
        self.module_handles
            .get(self.self_module_handle_idx.into_index())
    }

    /// Identifier at `idx`, or `"<invalid>"` when out of range.
    pub fn identifier(&self, idx: IdentifierIndex) -> &str {
        self.identifiers
            .get(idx.into_index())
            .map_or("<invalid>", String::as_str)
    }

    /// Name of this module.
    pub fn name(&self) -> &str {
        self.self_handle()
            .map_or("<invalid>", |h| self.identifier(h.name))
    }

    /// Address of this module (all zeroes when the handle is invalid).
    pub fn address(&self) -> AccountAddress {
        self.self_handle()
            .and_then(|h| self.address_identifiers.get(h.address.into_index()))
            .copied()
            .unwrap_or([0; ADDRESS_LENGTH])
    }

    /// Signature at `idx`, if in range.
    pub fn signature(&self, idx: SignatureIndex) -> Option<&Signature> {
        self.signatures.get(idx.into_index())
    }
}
