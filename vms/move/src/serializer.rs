//! Writes [`CompiledModule`] and [`CompiledScript`] back to the binary format.
//!
//! The output is the inverse of [`crate::deserializer`]: tables are laid out in
//! [`TableKind::SERIALIZATION_ORDER`], empty tables are omitted. For modules produced by the
//! reference compiler this reproduces the original bytes exactly (checked on the corpus).
//! Used to build test modules and to round-trip the corpus.

use crate::file_format::*;
use crate::format_common::*;

/// Serializes a module.
pub fn serialize_module(m: &CompiledModule) -> Vec<u8> {
    let mut tables: Vec<(TableKind, Vec<u8>)> = Vec::new();
    for kind in TableKind::SERIALIZATION_ORDER {
        let mut w = Vec::new();
        match kind {
            TableKind::ModuleHandles => m
                .module_handles
                .iter()
                .for_each(|h| module_handle(&mut w, h)),
            TableKind::StructHandles => m
                .struct_handles
                .iter()
                .for_each(|h| struct_handle(&mut w, h)),
            TableKind::FunctionHandles => m
                .function_handles
                .iter()
                .for_each(|h| function_handle(&mut w, h, m.version)),
            TableKind::FunctionInst => m.function_instantiations.iter().for_each(|i| {
                uleb(&mut w, i.handle.0.into());
                uleb(&mut w, i.type_parameters.0.into());
            }),
            TableKind::Signatures => m.signatures.iter().for_each(|s| signature(&mut w, s)),
            TableKind::Identifiers => m
                .identifiers
                .iter()
                .for_each(|s| blob(&mut w, s.as_bytes())),
            TableKind::AddressIdentifiers => m
                .address_identifiers
                .iter()
                .for_each(|a| w.extend_from_slice(a)),
            TableKind::ConstantPool => m.constant_pool.iter().for_each(|c| {
                token(&mut w, &c.type_);
                blob(&mut w, &c.data);
            }),
            TableKind::Metadata => m.metadata.iter().for_each(|md| {
                blob(&mut w, &md.key);
                blob(&mut w, &md.value);
            }),
            TableKind::StructDefs => m.struct_defs.iter().for_each(|d| struct_def(&mut w, d)),
            TableKind::StructDefInst => m.struct_def_instantiations.iter().for_each(|i| {
                uleb(&mut w, i.def.0.into());
                uleb(&mut w, i.type_parameters.0.into());
            }),
            TableKind::FunctionDefs => m.function_defs.iter().for_each(|d| function_def(&mut w, d)),
            TableKind::FieldHandles => m.field_handles.iter().for_each(|h| {
                uleb(&mut w, h.owner.0.into());
                uleb(&mut w, h.field.into());
            }),
            TableKind::FieldInst => m.field_instantiations.iter().for_each(|i| {
                uleb(&mut w, i.handle.0.into());
                uleb(&mut w, i.type_parameters.0.into());
            }),
            TableKind::FriendDecls => m.friend_decls.iter().for_each(|h| module_handle(&mut w, h)),
            TableKind::VariantFieldHandles => m.variant_field_handles.iter().for_each(|h| {
                uleb(&mut w, h.struct_index.0.into());
                uleb(&mut w, h.field.into());
                uleb(&mut w, h.variants.len() as u64);
                h.variants.iter().for_each(|v| uleb(&mut w, (*v).into()));
            }),
            TableKind::VariantFieldInst => m.variant_field_instantiations.iter().for_each(|i| {
                uleb(&mut w, i.handle.0.into());
                uleb(&mut w, i.type_parameters.0.into());
            }),
            TableKind::StructVariantHandles => m.struct_variant_handles.iter().for_each(|h| {
                uleb(&mut w, h.struct_index.0.into());
                uleb(&mut w, h.variant.into());
            }),
            TableKind::StructVariantInst => m.struct_variant_instantiations.iter().for_each(|i| {
                uleb(&mut w, i.handle.0.into());
                uleb(&mut w, i.type_parameters.0.into());
            }),
        }
        if !w.is_empty() {
            tables.push((kind, w));
        }
    }
    let mut out = header(m.version, m.aptos_flavour, &tables);
    uleb(&mut out, m.self_module_handle_idx.0.into());
    out
}

/// Serializes a script.
pub fn serialize_script(s: &CompiledScript) -> Vec<u8> {
    let as_module = CompiledModule {
        version: s.version,
        module_handles: s.module_handles.clone(),
        struct_handles: s.struct_handles.clone(),
        function_handles: s.function_handles.clone(),
        function_instantiations: s.function_instantiations.clone(),
        signatures: s.signatures.clone(),
        identifiers: s.identifiers.clone(),
        address_identifiers: s.address_identifiers.clone(),
        constant_pool: s.constant_pool.clone(),
        metadata: s.metadata.clone(),
        ..Default::default()
    };
    // Reuse the module writer for the common tables, then replace its tail.
    let module_bytes = serialize_module(&as_module);
    let mut out = module_bytes[..module_bytes.len() - 1].to_vec();
    if s.aptos_flavour {
        let word = s.version | APTOS_FLAVOUR_MARKER;
        out[4..8].copy_from_slice(&word.to_le_bytes());
    }
    uleb(&mut out, s.type_parameters.len() as u64);
    s.type_parameters
        .iter()
        .for_each(|a| uleb(&mut out, a.into_u8().into()));
    uleb(&mut out, s.parameters.0.into());
    code_unit(&mut out, &s.code);
    out
}

fn header(version: u32, aptos: bool, tables: &[(TableKind, Vec<u8>)]) -> Vec<u8> {
    let mut out = MOVE_MAGIC.to_vec();
    let word = if aptos {
        version | APTOS_FLAVOUR_MARKER
    } else {
        version
    };
    out.extend_from_slice(&word.to_le_bytes());
    uleb(&mut out, tables.len() as u64);
    let mut offset = 0u64;
    for (kind, bytes) in tables {
        out.push(*kind as u8);
        uleb(&mut out, offset);
        uleb(&mut out, bytes.len() as u64);
        offset += bytes.len() as u64;
    }
    for (_, bytes) in tables {
        out.extend_from_slice(bytes);
    }
    out
}

/// Appends `v` as ULEB128.
pub fn uleb(w: &mut Vec<u8>, mut v: u64) {
    loop {
        let low = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            w.push(low);
            return;
        }
        w.push(low | 0x80);
    }
}

fn blob(w: &mut Vec<u8>, b: &[u8]) {
    uleb(w, b.len() as u64);
    w.extend_from_slice(b);
}

fn module_handle(w: &mut Vec<u8>, h: &ModuleHandle) {
    uleb(w, h.address.0.into());
    uleb(w, h.name.0.into());
}

fn struct_handle(w: &mut Vec<u8>, h: &StructHandle) {
    uleb(w, h.module.0.into());
    uleb(w, h.name.0.into());
    uleb(w, h.abilities.into_u8().into());
    uleb(w, h.type_parameters.len() as u64);
    for p in &h.type_parameters {
        uleb(w, p.constraints.into_u8().into());
        uleb(w, u64::from(p.is_phantom));
    }
}

fn function_handle(w: &mut Vec<u8>, h: &FunctionHandle, version: u32) {
    uleb(w, h.module.0.into());
    uleb(w, h.name.0.into());
    uleb(w, h.parameters.0.into());
    uleb(w, h.return_.0.into());
    uleb(w, h.type_parameters.len() as u64);
    h.type_parameters
        .iter()
        .for_each(|a| uleb(w, a.into_u8().into()));
    if version >= 7 {
        match &h.access_specifiers {
            None => w.push(option_tag::NONE),
            Some(specs) => {
                w.push(option_tag::SOME);
                uleb(w, specs.len() as u64);
                specs.iter().for_each(|s| access_specifier(w, s));
            }
        }
    }
}

fn access_specifier(w: &mut Vec<u8>, s: &AccessSpecifier) {
    use access_tag::*;
    w.push(match s.kind {
        AccessKind::Reads => KIND_READ,
        AccessKind::Writes => KIND_WRITE,
    });
    w.push(if s.negated {
        option_tag::TRUE
    } else {
        option_tag::FALSE
    });
    match &s.resource {
        ResourceSpecifier::Any => w.push(RESOURCE_ANY),
        ResourceSpecifier::DeclaredAtAddress(a) => {
            w.push(RESOURCE_AT_ADDRESS);
            uleb(w, a.0.into());
        }
        ResourceSpecifier::DeclaredInModule(m) => {
            w.push(RESOURCE_IN_MODULE);
            uleb(w, m.0.into());
        }
        ResourceSpecifier::Resource(s) => {
            w.push(RESOURCE_RESOURCE);
            uleb(w, s.0.into());
        }
        ResourceSpecifier::ResourceInstantiation(s, sig) => {
            w.push(RESOURCE_INSTANTIATION);
            uleb(w, s.0.into());
            uleb(w, sig.0.into());
        }
    }
    match &s.address {
        AddressSpecifier::Any => w.push(ADDRESS_ANY),
        AddressSpecifier::Literal(a) => {
            w.push(ADDRESS_LITERAL);
            uleb(w, a.0.into());
        }
        AddressSpecifier::Parameter(local, func) => {
            w.push(ADDRESS_PARAMETER);
            uleb(w, (*local).into());
            match func {
                None => w.push(option_tag::NONE),
                Some(f) => {
                    w.push(option_tag::SOME);
                    uleb(w, f.0.into());
                }
            }
        }
    }
}

fn signature(w: &mut Vec<u8>, s: &Signature) {
    uleb(w, s.0.len() as u64);
    s.0.iter().for_each(|t| token(w, t));
}

/// Appends a signature token (pre-order, like the deserializer reads it).
pub fn token(w: &mut Vec<u8>, t: &SignatureToken) {
    for t in t.preorder() {
        match t {
            SignatureToken::Bool => w.push(type_tag::BOOL),
            SignatureToken::U8 => w.push(type_tag::U8),
            SignatureToken::U16 => w.push(type_tag::U16),
            SignatureToken::U32 => w.push(type_tag::U32),
            SignatureToken::U64 => w.push(type_tag::U64),
            SignatureToken::U128 => w.push(type_tag::U128),
            SignatureToken::U256 => w.push(type_tag::U256),
            SignatureToken::Address => w.push(type_tag::ADDRESS),
            SignatureToken::Signer => w.push(type_tag::SIGNER),
            SignatureToken::Vector(_) => w.push(type_tag::VECTOR),
            SignatureToken::Reference(_) => w.push(type_tag::REFERENCE),
            SignatureToken::MutableReference(_) => w.push(type_tag::MUTABLE_REFERENCE),
            SignatureToken::Struct(h) => {
                w.push(type_tag::STRUCT);
                uleb(w, h.0.into());
            }
            SignatureToken::StructInstantiation(h, args) => {
                w.push(type_tag::STRUCT_INST);
                uleb(w, h.0.into());
                uleb(w, args.len() as u64);
            }
            SignatureToken::TypeParameter(i) => {
                w.push(type_tag::TYPE_PARAMETER);
                uleb(w, (*i).into());
            }
        }
    }
}

fn field_defs(w: &mut Vec<u8>, fields: &[FieldDefinition]) {
    uleb(w, fields.len() as u64);
    for f in fields {
        uleb(w, f.name.0.into());
        token(w, &f.signature);
    }
}

fn struct_def(w: &mut Vec<u8>, d: &StructDefinition) {
    uleb(w, d.struct_handle.0.into());
    match &d.field_information {
        StructFieldInformation::Native => w.push(struct_flag::NATIVE),
        StructFieldInformation::Declared(fields) => {
            w.push(struct_flag::DECLARED);
            field_defs(w, fields);
        }
        StructFieldInformation::DeclaredVariants(variants) => {
            w.push(struct_flag::DECLARED_VARIANTS);
            uleb(w, variants.len() as u64);
            for v in variants {
                uleb(w, v.name.0.into());
                field_defs(w, &v.fields);
            }
        }
    }
}

fn function_def(w: &mut Vec<u8>, d: &FunctionDefinition) {
    uleb(w, d.function.0.into());
    w.push(d.visibility as u8);
    let mut flags = 0;
    if d.is_entry {
        flags |= FunctionDefinition::ENTRY;
    }
    if d.code.is_none() {
        flags |= FunctionDefinition::NATIVE;
    }
    w.push(flags);
    uleb(w, d.acquires_global_resources.len() as u64);
    d.acquires_global_resources
        .iter()
        .for_each(|s| uleb(w, s.0.into()));
    if let Some(code) = &d.code {
        code_unit(w, code);
    }
}

fn code_unit(w: &mut Vec<u8>, c: &CodeUnit) {
    uleb(w, c.locals.0.into());
    uleb(w, c.code.len() as u64);
    c.code.iter().for_each(|b| bytecode(w, b));
}

fn bytecode(w: &mut Vec<u8>, b: &Bytecode) {
    use Bytecode as B;
    w.push(opcode_of(b));
    match b {
        B::BrTrue(t) | B::BrFalse(t) | B::Branch(t) => uleb(w, (*t).into()),
        B::CopyLoc(l) | B::MoveLoc(l) | B::StLoc(l) | B::MutBorrowLoc(l) | B::ImmBorrowLoc(l) => {
            uleb(w, (*l).into())
        }
        B::LdConst(i) => uleb(w, i.0.into()),
        B::Call(i) => uleb(w, i.0.into()),
        B::CallGeneric(i) => uleb(w, i.0.into()),
        B::Pack(i)
        | B::Unpack(i)
        | B::MutBorrowGlobal(i)
        | B::ImmBorrowGlobal(i)
        | B::Exists(i)
        | B::MoveFrom(i)
        | B::MoveTo(i) => uleb(w, i.0.into()),
        B::PackGeneric(i)
        | B::UnpackGeneric(i)
        | B::MutBorrowGlobalGeneric(i)
        | B::ImmBorrowGlobalGeneric(i)
        | B::ExistsGeneric(i)
        | B::MoveFromGeneric(i)
        | B::MoveToGeneric(i) => uleb(w, i.0.into()),
        B::PackVariant(i) | B::UnpackVariant(i) | B::TestVariant(i) => uleb(w, i.0.into()),
        B::PackVariantGeneric(i) | B::UnpackVariantGeneric(i) | B::TestVariantGeneric(i) => {
            uleb(w, i.0.into())
        }
        B::MutBorrowField(i) | B::ImmBorrowField(i) => uleb(w, i.0.into()),
        B::MutBorrowFieldGeneric(i) | B::ImmBorrowFieldGeneric(i) => uleb(w, i.0.into()),
        B::MutBorrowVariantField(i) | B::ImmBorrowVariantField(i) => uleb(w, i.0.into()),
        B::MutBorrowVariantFieldGeneric(i) | B::ImmBorrowVariantFieldGeneric(i) => {
            uleb(w, i.0.into())
        }
        B::VecLen(i)
        | B::VecImmBorrow(i)
        | B::VecMutBorrow(i)
        | B::VecPushBack(i)
        | B::VecPopBack(i)
        | B::VecSwap(i) => uleb(w, i.0.into()),
        B::VecPack(i, n) | B::VecUnpack(i, n) => {
            uleb(w, i.0.into());
            w.extend_from_slice(&n.to_le_bytes());
        }
        B::LdU8(v) => w.push(*v),
        B::LdU16(v) => w.extend_from_slice(&v.to_le_bytes()),
        B::LdU32(v) => w.extend_from_slice(&v.to_le_bytes()),
        B::LdU64(v) => w.extend_from_slice(&v.to_le_bytes()),
        B::LdU128(v) => w.extend_from_slice(&v.to_le_bytes()),
        B::LdU256(v) => w.extend_from_slice(&v.to_le_bytes()),
        _ => {}
    }
}

/// The opcode byte of an instruction.
pub fn opcode_of(b: &Bytecode) -> u8 {
    use opcode::*;
    use Bytecode as B;
    match b {
        B::Pop => POP,
        B::Ret => RET,
        B::BrTrue(_) => BR_TRUE,
        B::BrFalse(_) => BR_FALSE,
        B::Branch(_) => BRANCH,
        B::LdU8(_) => LD_U8,
        B::LdU16(_) => LD_U16,
        B::LdU32(_) => LD_U32,
        B::LdU64(_) => LD_U64,
        B::LdU128(_) => LD_U128,
        B::LdU256(_) => LD_U256,
        B::CastU8 => CAST_U8,
        B::CastU16 => CAST_U16,
        B::CastU32 => CAST_U32,
        B::CastU64 => CAST_U64,
        B::CastU128 => CAST_U128,
        B::CastU256 => CAST_U256,
        B::LdConst(_) => LD_CONST,
        B::LdTrue => LD_TRUE,
        B::LdFalse => LD_FALSE,
        B::CopyLoc(_) => COPY_LOC,
        B::MoveLoc(_) => MOVE_LOC,
        B::StLoc(_) => ST_LOC,
        B::Call(_) => CALL,
        B::CallGeneric(_) => CALL_GENERIC,
        B::Pack(_) => PACK,
        B::PackGeneric(_) => PACK_GENERIC,
        B::Unpack(_) => UNPACK,
        B::UnpackGeneric(_) => UNPACK_GENERIC,
        B::PackVariant(_) => PACK_VARIANT,
        B::PackVariantGeneric(_) => PACK_VARIANT_GENERIC,
        B::UnpackVariant(_) => UNPACK_VARIANT,
        B::UnpackVariantGeneric(_) => UNPACK_VARIANT_GENERIC,
        B::TestVariant(_) => TEST_VARIANT,
        B::TestVariantGeneric(_) => TEST_VARIANT_GENERIC,
        B::ReadRef => READ_REF,
        B::WriteRef => WRITE_REF,
        B::FreezeRef => FREEZE_REF,
        B::MutBorrowLoc(_) => MUT_BORROW_LOC,
        B::ImmBorrowLoc(_) => IMM_BORROW_LOC,
        B::MutBorrowField(_) => MUT_BORROW_FIELD,
        B::MutBorrowFieldGeneric(_) => MUT_BORROW_FIELD_GENERIC,
        B::ImmBorrowField(_) => IMM_BORROW_FIELD,
        B::ImmBorrowFieldGeneric(_) => IMM_BORROW_FIELD_GENERIC,
        B::MutBorrowVariantField(_) => MUT_BORROW_VARIANT_FIELD,
        B::MutBorrowVariantFieldGeneric(_) => MUT_BORROW_VARIANT_FIELD_GENERIC,
        B::ImmBorrowVariantField(_) => IMM_BORROW_VARIANT_FIELD,
        B::ImmBorrowVariantFieldGeneric(_) => IMM_BORROW_VARIANT_FIELD_GENERIC,
        B::MutBorrowGlobal(_) => MUT_BORROW_GLOBAL,
        B::MutBorrowGlobalGeneric(_) => MUT_BORROW_GLOBAL_GENERIC,
        B::ImmBorrowGlobal(_) => IMM_BORROW_GLOBAL,
        B::ImmBorrowGlobalGeneric(_) => IMM_BORROW_GLOBAL_GENERIC,
        B::Add => ADD,
        B::Sub => SUB,
        B::Mul => MUL,
        B::Mod => MOD,
        B::Div => DIV,
        B::BitOr => BIT_OR,
        B::BitAnd => BIT_AND,
        B::Xor => XOR,
        B::Or => OR,
        B::And => AND,
        B::Not => NOT,
        B::Eq => EQ,
        B::Neq => NEQ,
        B::Lt => LT,
        B::Gt => GT,
        B::Le => LE,
        B::Ge => GE,
        B::Shl => SHL,
        B::Shr => SHR,
        B::Abort => ABORT,
        B::Nop => NOP,
        B::Exists(_) => EXISTS,
        B::ExistsGeneric(_) => EXISTS_GENERIC,
        B::MoveFrom(_) => MOVE_FROM,
        B::MoveFromGeneric(_) => MOVE_FROM_GENERIC,
        B::MoveTo(_) => MOVE_TO,
        B::MoveToGeneric(_) => MOVE_TO_GENERIC,
        B::VecPack(..) => VEC_PACK,
        B::VecLen(_) => VEC_LEN,
        B::VecImmBorrow(_) => VEC_IMM_BORROW,
        B::VecMutBorrow(_) => VEC_MUT_BORROW,
        B::VecPushBack(_) => VEC_PUSH_BACK,
        B::VecPopBack(_) => VEC_POP_BACK,
        B::VecUnpack(..) => VEC_UNPACK,
        B::VecSwap(_) => VEC_SWAP,
    }
}
