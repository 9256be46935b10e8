//! Bounds checks: every index stored in a compiled unit points inside its target table,
//! every type parameter index is below the number of type parameters in scope, every local
//! index below the number of locals and every branch target inside the code.
//!
//! The set of checks follows aptos-core `move-binary-format/src/check_bounds.rs`; errors name
//! the table element holding the bad index, e.g.
//! `FunctionHandles[12]: signature index 300 out of bounds (len 120)`.

use crate::errors::CheckError;
use crate::file_format::*;
use crate::format_common::LOCAL_INDEX_MAX;

/// Checks all indices of a module.
pub fn check_module(m: &CompiledModule) -> Result<(), CheckError> {
    if m.module_handles.is_empty() {
        return Err(CheckError::Invalid {
            location: "ModuleHandles".to_string(),
            reason: "a module must have at least one module handle (its own)".to_string(),
        });
    }
    let v = View::of_module(m);
    v.check_common()?;
    check(
        || "self module handle".to_string(),
        ModuleHandleIndex::KIND,
        m.self_module_handle_idx.0,
        m.module_handles.len(),
    )?;
    for (i, h) in m.friend_decls.iter().enumerate() {
        v.check_module_handle(h, || format!("FriendDecls[{i}]"))?;
    }
    for (i, inst) in m.struct_def_instantiations.iter().enumerate() {
        let loc = || format!("StructDefInstantiations[{i}]");
        v.idx(
            loc,
            StructDefinitionIndex::KIND,
            inst.def.0,
            v.struct_defs.len(),
        )?;
        v.sig(loc, inst.type_parameters)?;
    }
    for (i, inst) in m.field_instantiations.iter().enumerate() {
        let loc = || format!("FieldInstantiations[{i}]");
        v.idx(
            loc,
            FieldHandleIndex::KIND,
            inst.handle.0,
            m.field_handles.len(),
        )?;
        v.sig(loc, inst.type_parameters)?;
    }
    for (i, def) in m.struct_defs.iter().enumerate() {
        v.check_struct_def(i, def)?;
    }
    for (i, h) in m.field_handles.iter().enumerate() {
        let loc = || format!("FieldHandles[{i}]");
        let def = v.struct_def(loc, h.owner)?;
        let count = def.field_information.field_count(None);
        check(loc, "field", h.field, count)?;
    }
    for (i, h) in m.struct_variant_handles.iter().enumerate() {
        let loc = || format!("StructVariantHandles[{i}]");
        let def = v.struct_def(loc, h.struct_index)?;
        check(
            loc,
            "variant",
            h.variant,
            def.field_information.variant_count(),
        )?;
    }
    for (i, h) in m.variant_field_handles.iter().enumerate() {
        let loc = || format!("VariantFieldHandles[{i}]");
        let def = v.struct_def(loc, h.struct_index)?;
        if h.variants.is_empty() {
            return Err(CheckError::Invalid {
                location: loc(),
                reason: "variant field handle lists no variant".to_string(),
            });
        }
        for variant in &h.variants {
            check(
                loc,
                "variant",
                *variant,
                def.field_information.variant_count(),
            )?;
            let count = def.field_information.field_count(Some(*variant));
            check(loc, "field", h.field, count)?;
        }
    }
    for (i, inst) in m.struct_variant_instantiations.iter().enumerate() {
        let loc = || format!("StructVariantInstantiations[{i}]");
        v.idx(
            loc,
            StructVariantHandleIndex::KIND,
            inst.handle.0,
            m.struct_variant_handles.len(),
        )?;
        v.sig(loc, inst.type_parameters)?;
    }
    for (i, inst) in m.variant_field_instantiations.iter().enumerate() {
        let loc = || format!("VariantFieldInstantiations[{i}]");
        v.idx(
            loc,
            VariantFieldHandleIndex::KIND,
            inst.handle.0,
            m.variant_field_handles.len(),
        )?;
        v.sig(loc, inst.type_parameters)?;
    }
    for (i, def) in m.function_defs.iter().enumerate() {
        let loc = || format!("FunctionDefs[{i}]");
        let handle = v
            .idx(
                loc,
                FunctionHandleIndex::KIND,
                def.function.0,
                m.function_handles.len(),
            )
            .map(|_| &m.function_handles[def.function.into_index()])?;
        for s in &def.acquires_global_resources {
            v.idx(loc, StructDefinitionIndex::KIND, s.0, m.struct_defs.len())?;
        }
        if let Some(code) = &def.code {
            v.check_code(
                code,
                handle.type_parameters.len(),
                handle.parameters,
                &|| format!("FunctionDefs[{i}]"),
            )?;
        }
    }
    Ok(())
}

/// Checks all indices of a script.
pub fn check_script(s: &CompiledScript) -> Result<(), CheckError> {
    let v = View::of_script(s);
    v.check_common()?;
    let loc = || "script".to_string();
    v.sig(loc, s.parameters)?;
    v.check_type_params_in_sig(s.parameters, s.type_parameters.len(), loc)?;
    v.check_code(&s.code, s.type_parameters.len(), s.parameters, &loc)
}

/// Fails with [`CheckError::IndexOutOfBounds`] when `index >= len`.
fn check(
    location: impl FnOnce() -> String,
    kind: &'static str,
    index: u16,
    len: usize,
) -> Result<(), CheckError> {
    if usize::from(index) < len {
        Ok(())
    } else {
        Err(CheckError::IndexOutOfBounds {
            location: location(),
            kind,
            index: usize::from(index),
            len,
        })
    }
}

/// The tables of a module or script; module-only tables are empty for scripts.
struct View<'a> {
    module_handles: &'a [ModuleHandle],
    struct_handles: &'a [StructHandle],
    function_handles: &'a [FunctionHandle],
    function_instantiations: &'a [FunctionInstantiation],
    signatures: &'a [Signature],
    identifiers: &'a [String],
    address_identifiers: &'a [AccountAddress],
    constant_pool: &'a [Constant],
    struct_defs: &'a [StructDefinition],
    struct_def_instantiations: &'a [StructDefInstantiation],
    field_handles: &'a [FieldHandle],
    field_instantiations: &'a [FieldInstantiation],
    struct_variant_handles: &'a [StructVariantHandle],
    struct_variant_instantiations: &'a [StructVariantInstantiation],
    variant_field_handles: &'a [VariantFieldHandle],
    variant_field_instantiations: &'a [VariantFieldInstantiation],
}

impl<'a> View<'a> {
    fn of_module(m: &'a CompiledModule) -> Self {
        View {
            module_handles: &m.module_handles,
            struct_handles: &m.struct_handles,
            function_handles: &m.function_handles,
            function_instantiations: &m.function_instantiations,
            signatures: &m.signatures,
            identifiers: &m.identifiers,
            address_identifiers: &m.address_identifiers,
            constant_pool: &m.constant_pool,
            struct_defs: &m.struct_defs,
            struct_def_instantiations: &m.struct_def_instantiations,
            field_handles: &m.field_handles,
            field_instantiations: &m.field_instantiations,
            struct_variant_handles: &m.struct_variant_handles,
            struct_variant_instantiations: &m.struct_variant_instantiations,
            variant_field_handles: &m.variant_field_handles,
            variant_field_instantiations: &m.variant_field_instantiations,
        }
    }

    fn of_script(s: &'a CompiledScript) -> Self {
        View {
            module_handles: &s.module_handles,
            struct_handles: &s.struct_handles,
            function_handles: &s.function_handles,
            function_instantiations: &s.function_instantiations,
            signatures: &s.signatures,
            identifiers: &s.identifiers,
            address_identifiers: &s.address_identifiers,
            constant_pool: &s.constant_pool,
            struct_defs: &[],
            struct_def_instantiations: &[],
            field_handles: &[],
            field_instantiations: &[],
            struct_variant_handles: &[],
            struct_variant_instantiations: &[],
            variant_field_handles: &[],
            variant_field_instantiations: &[],
        }
    }

    fn idx(
        &self,
        loc: impl FnOnce() -> String,
        kind: &'static str,
        index: u16,
        len: usize,
    ) -> Result<(), CheckError> {
        check(loc, kind, index, len)
    }

    fn sig(&self, loc: impl FnOnce() -> String, s: SignatureIndex) -> Result<(), CheckError> {
        check(loc, SignatureIndex::KIND, s.0, self.signatures.len())
    }

    fn struct_def(
        &self,
        loc: impl FnOnce() -> String,
        s: StructDefinitionIndex,
    ) -> Result<&'a StructDefinition, CheckError> {
        check(
            loc,
            StructDefinitionIndex::KIND,
            s.0,
            self.struct_defs.len(),
        )?;
        Ok(&self.struct_defs[s.into_index()])
    }

    fn check_common(&self) -> Result<(), CheckError> {
        for (i, s) in self.signatures.iter().enumerate() {
            for t in &s.0 {
                self.check_token(t, &|| format!("Signatures[{i}]"))?;
            }
        }
        for (i, c) in self.constant_pool.iter().enumerate() {
            self.check_token(&c.type_, &|| format!("ConstantPool[{i}]"))?;
        }
        for (i, h) in self.module_handles.iter().enumerate() {
            self.check_module_handle(h, || format!("ModuleHandles[{i}]"))?;
        }
        for (i, h) in self.struct_handles.iter().enumerate() {
            let loc = || format!("StructHandles[{i}]");
            check(
                loc,
                ModuleHandleIndex::KIND,
                h.module.0,
                self.module_handles.len(),
            )?;
            check(loc, IdentifierIndex::KIND, h.name.0, self.identifiers.len())?;
        }
        for (i, h) in self.function_handles.iter().enumerate() {
            let loc = || format!("FunctionHandles[{i}]");
            check(
                loc,
                ModuleHandleIndex::KIND,
                h.module.0,
                self.module_handles.len(),
            )?;
            check(loc, IdentifierIndex::KIND, h.name.0, self.identifiers.len())?;
            self.sig(loc, h.parameters)?;
            self.sig(loc, h.return_)?;
            let n = h.type_parameters.len();
            self.check_type_params_in_sig(h.parameters, n, loc)?;
            self.check_type_params_in_sig(h.return_, n, loc)?;
            for spec in h.access_specifiers.iter().flatten() {
                self.check_access_specifier(spec, &loc)?;
            }
        }
        for (i, inst) in self.function_instantiations.iter().enumerate() {
            let loc = || format!("FunctionInstantiations[{i}]");
            check(
                loc,
                FunctionHandleIndex::KIND,
                inst.handle.0,
                self.function_handles.len(),
            )?;
            self.sig(loc, inst.type_parameters)?;
        }
        Ok(())
    }

    fn check_module_handle(
        &self,
        h: &ModuleHandle,
        loc: impl Fn() -> String,
    ) -> Result<(), CheckError> {
        check(
            &loc,
            AddressIdentifierIndex::KIND,
            h.address.0,
            self.address_identifiers.len(),
        )?;
        check(
            &loc,
            IdentifierIndex::KIND,
            h.name.0,
            self.identifiers.len(),
        )
    }

    fn check_access_specifier(
        &self,
        spec: &AccessSpecifier,
        loc: &dyn Fn() -> String,
    ) -> Result<(), CheckError> {
        match &spec.resource {
            ResourceSpecifier::Any => {}
            ResourceSpecifier::DeclaredAtAddress(a) => check(
                loc,
                AddressIdentifierIndex::KIND,
                a.0,
                self.address_identifiers.len(),
            )?,
            ResourceSpecifier::DeclaredInModule(m) => {
                check(loc, ModuleHandleIndex::KIND, m.0, self.module_handles.len())?
            }
            ResourceSpecifier::Resource(s) => {
                check(loc, StructHandleIndex::KIND, s.0, self.struct_handles.len())?
            }
            ResourceSpecifier::ResourceInstantiation(s, sig) => {
                check(loc, StructHandleIndex::KIND, s.0, self.struct_handles.len())?;
                self.sig(loc, *sig)?;
            }
        }
        match &spec.address {
            AddressSpecifier::Any | AddressSpecifier::Parameter(_, None) => Ok(()),
            AddressSpecifier::Literal(a) => check(
                loc,
                AddressIdentifierIndex::KIND,
                a.0,
                self.address_identifiers.len(),
            ),
            AddressSpecifier::Parameter(_, Some(f)) => check(
                loc,
                FunctionInstantiationIndex::KIND,
                f.0,
                self.function_instantiations.len(),
            ),
        }
    }

    /// Struct handle indices inside a token (type parameters are checked in context).
    fn check_token(&self, t: &SignatureToken, loc: &dyn Fn() -> String) -> Result<(), CheckError> {
        for t in t.preorder() {
            match t {
                SignatureToken::Struct(h) => {
                    check(loc, StructHandleIndex::KIND, h.0, self.struct_handles.len())?
                }
                SignatureToken::StructInstantiation(h, args) => {
                    check(loc, StructHandleIndex::KIND, h.0, self.struct_handles.len())?;
                    let arity = self.struct_handles[h.into_index()].type_parameters.len();
                    if arity != args.len() {
                        return Err(CheckError::Invalid {
                            location: loc(),
                            reason: format!(
                                "struct handle {} expects {arity} type argument(s), got {}",
                                h.0,
                                args.len()
                            ),
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_type_params_in_token(
        &self,
        t: &SignatureToken,
        count: usize,
        loc: &dyn Fn() -> String,
    ) -> Result<(), CheckError> {
        for t in t.preorder() {
            if let SignatureToken::TypeParameter(i) = t {
                check(loc, "type parameter", *i, count)?;
            }
        }
        Ok(())
    }

    fn check_type_params_in_sig(
        &self,
        s: SignatureIndex,
        count: usize,
        loc: impl Fn() -> String,
    ) -> Result<(), CheckError> {
        if let Some(sig) = self.signatures.get(s.into_index()) {
            for t in &sig.0 {
                self.check_type_params_in_token(t, count, &loc)?;
            }
        }
        Ok(())
    }

    fn check_struct_def(&self, i: usize, def: &StructDefinition) -> Result<(), CheckError> {
        let loc = || format!("StructDefs[{i}]");
        check(
            loc,
            StructHandleIndex::KIND,
            def.struct_handle.0,
            self.struct_handles.len(),
        )?;
        let n = self.struct_handles[def.struct_handle.into_index()]
            .type_parameters
            .len();
        let check_fields = |fields: &[FieldDefinition]| -> Result<(), CheckError> {
            for (f, field) in fields.iter().enumerate() {
                let loc = || format!("StructDefs[{i}].fields[{f}]");
                check(
                    loc,
                    IdentifierIndex::KIND,
                    field.name.0,
                    self.identifiers.len(),
                )?;
                self.check_token(&field.signature, &loc)?;
                self.check_type_params_in_token(&field.signature, n, &loc)?;
            }
            Ok(())
        };
        match &def.field_information {
            StructFieldInformation::Native => Ok(()),
            StructFieldInformation::Declared(fields) => check_fields(fields),
            StructFieldInformation::DeclaredVariants(variants) => {
                if variants.is_empty() {
                    return Err(CheckError::Invalid {
                        location: loc(),
                        reason: "enum has no variants".to_string(),
                    });
                }
                for (vi, variant) in variants.iter().enumerate() {
                    let vloc = || format!("StructDefs[{i}].variants[{vi}]");
                    check(
                        vloc,
                        IdentifierIndex::KIND,
                        variant.name.0,
                        self.identifiers.len(),
                    )?;
                    check_fields(&variant.fields)?;
                }
                Ok(())
            }
        }
    }

    fn check_code(
        &self,
        code: &CodeUnit,
        type_param_count: usize,
        parameters: SignatureIndex,
        owner: &dyn Fn() -> String,
    ) -> Result<(), CheckError> {
        let locals_loc = || format!("{}.locals", owner());
        self.sig(locals_loc, code.locals)?;
        self.check_type_params_in_sig(code.locals, type_param_count, locals_loc)?;
        let params_len = self
            .signatures
            .get(parameters.into_index())
            .map_or(0, |s| s.0.len());
        let locals_len = self.signatures[code.locals.into_index()].0.len();
        let local_count = params_len + locals_len;
        if local_count > LOCAL_INDEX_MAX as usize + 1 {
            return Err(CheckError::Invalid {
                location: locals_loc(),
                reason: format!(
                    "{local_count} locals exceed the maximum of {}",
                    LOCAL_INDEX_MAX + 1
                ),
            });
        }
        let code_len = code.code.len();
        for (pc, instr) in code.code.iter().enumerate() {
            let loc = || format!("{}.code[{pc}]", owner());
            let tps = |s: SignatureIndex| -> Result<(), CheckError> {
                self.sig(loc, s)?;
                self.check_type_params_in_sig(s, type_param_count, loc)
            };
            use Bytecode as B;
            match instr {
                B::BrTrue(t) | B::BrFalse(t) | B::Branch(t) => {
                    check(loc, "code offset", *t, code_len)?
                }
                B::CopyLoc(l)
                | B::MoveLoc(l)
                | B::StLoc(l)
                | B::MutBorrowLoc(l)
                | B::ImmBorrowLoc(l) => check(loc, "local", u16::from(*l), local_count)?,
                B::LdConst(c) => {
                    check(loc, ConstantPoolIndex::KIND, c.0, self.constant_pool.len())?
                }
                B::Call(f) => check(
                    loc,
                    FunctionHandleIndex::KIND,
                    f.0,
                    self.function_handles.len(),
                )?,
                B::CallGeneric(f) => {
                    check(
                        loc,
                        FunctionInstantiationIndex::KIND,
                        f.0,
                        self.function_instantiations.len(),
                    )?;
                    tps(self.function_instantiations[f.into_index()].type_parameters)?;
                }
                B::Pack(s)
                | B::Unpack(s)
                | B::MutBorrowGlobal(s)
                | B::ImmBorrowGlobal(s)
                | B::Exists(s)
                | B::MoveFrom(s)
                | B::MoveTo(s) => check(
                    loc,
                    StructDefinitionIndex::KIND,
                    s.0,
                    self.struct_defs.len(),
                )?,
                B::PackGeneric(s)
                | B::UnpackGeneric(s)
                | B::MutBorrowGlobalGeneric(s)
                | B::ImmBorrowGlobalGeneric(s)
                | B::ExistsGeneric(s)
                | B::MoveFromGeneric(s)
                | B::MoveToGeneric(s) => {
                    check(
                        loc,
                        StructDefInstantiationIndex::KIND,
                        s.0,
                        self.struct_def_instantiations.len(),
                    )?;
                    tps(self.struct_def_instantiations[s.into_index()].type_parameters)?;
                }
                B::MutBorrowField(f) | B::ImmBorrowField(f) => {
                    check(loc, FieldHandleIndex::KIND, f.0, self.field_handles.len())?
                }
                B::MutBorrowFieldGeneric(f) | B::ImmBorrowFieldGeneric(f) => {
                    check(
                        loc,
                        FieldInstantiationIndex::KIND,
                        f.0,
                        self.field_instantiations.len(),
                    )?;
                    tps(self.field_instantiations[f.into_index()].type_parameters)?;
                }
                B::PackVariant(v) | B::UnpackVariant(v) | B::TestVariant(v) => check(
                    loc,
                    StructVariantHandleIndex::KIND,
                    v.0,
                    self.struct_variant_handles.len(),
                )?,
                B::PackVariantGeneric(v)
                | B::UnpackVariantGeneric(v)
                | B::TestVariantGeneric(v) => {
                    check(
                        loc,
                        StructVariantInstantiationIndex::KIND,
                        v.0,
                        self.struct_variant_instantiations.len(),
                    )?;
                    tps(self.struct_variant_instantiations[v.into_index()].type_parameters)?;
                }
                B::MutBorrowVariantField(v) | B::ImmBorrowVariantField(v) => check(
                    loc,
                    VariantFieldHandleIndex::KIND,
                    v.0,
                    self.variant_field_handles.len(),
                )?,
                B::MutBorrowVariantFieldGeneric(v) | B::ImmBorrowVariantFieldGeneric(v) => {
                    check(
                        loc,
                        VariantFieldInstantiationIndex::KIND,
                        v.0,
                        self.variant_field_instantiations.len(),
                    )?;
                    tps(self.variant_field_instantiations[v.into_index()].type_parameters)?;
                }
                B::VecPack(s, _)
                | B::VecLen(s)
                | B::VecImmBorrow(s)
                | B::VecMutBorrow(s)
                | B::VecPushBack(s)
                | B::VecPopBack(s)
                | B::VecUnpack(s, _)
                | B::VecSwap(s) => tps(*s)?,
                _ => {}
            }
        }
        Ok(())
    }
}
