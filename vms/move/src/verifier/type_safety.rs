//! Stack usage and type safety.
//!
//! Move requires the operand stack to be empty at basic block boundaries, so each block
//! can be checked independently: starting from an empty abstract stack of types, every
//! instruction pops operands whose types must match exactly (the compiler makes
//! `&mut T` to `&T` coercions explicit with `FreezeRef`) and pushes its results. Ability
//! requirements are checked where values are copied (`copy`), discarded or overwritten
//! (`drop`), or stored globally (`key`).

use super::control_flow::block_starts;
use super::signatures::{check_token, satisfies};
use super::{abilities, display_token, instantiate, VerifyError, VerifyErrorKind as K};
use crate::file_format::*;

/// Verifies one function body.
pub fn verify_function(
    m: &CompiledModule,
    def: &FunctionDefinition,
    code: &CodeUnit,
    location: &str,
) -> Result<(), VerifyError> {
    let handle = &m.function_handles[def.function.into_index()];
    let mut locals = m.signatures[handle.parameters.into_index()].0.clone();
    locals.extend(m.signatures[code.locals.into_index()].0.iter().cloned());
    let mut checker = Checker {
        m,
        type_params: &handle.type_parameters,
        locals,
        returns: &m.signatures[handle.return_.into_index()].0,
        stack: Vec::new(),
    };
    let starts = block_starts(&code.code);
    for (bi, &start) in starts.iter().enumerate() {
        let end = starts.get(bi + 1).copied().unwrap_or(code.code.len());
        checker.stack.clear();
        for pc in start..end {
            checker.step(&code.code[pc]).map_err(|kind| VerifyError {
                location: format!("{location}.code[{pc}]"),
                kind,
            })?;
        }
        if !checker.stack.is_empty() {
            return Err(VerifyError {
                location: format!("{location}.code[{}]", end.saturating_sub(1)),
                kind: K::UnbalancedStack(checker.stack.len()),
            });
        }
    }
    Ok(())
}

struct Checker<'a> {
    m: &'a CompiledModule,
    type_params: &'a [AbilitySet],
    locals: Vec<SignatureToken>,
    returns: &'a [SignatureToken],
    stack: Vec<SignatureToken>,
}

type R<T> = Result<T, K>;

fn is_int(t: &SignatureToken) -> bool {
    use SignatureToken as S;
    matches!(t, S::U8 | S::U16 | S::U32 | S::U64 | S::U128 | S::U256)
}

impl Checker<'_> {
    fn show(&self, t: &SignatureToken) -> String {
        display_token(self.m, t)
    }

    fn pop(&mut self) -> R<SignatureToken> {
        self.stack.pop().ok_or(K::StackUnderflow)
    }

    fn pop_expect(&mut self, expected: &SignatureToken, what: &str) -> R<()> {
        let got = self.pop()?;
        if &got != expected {
            return Err(K::TypeMismatch(format!(
                "{what}: expected {}, found {}",
                self.show(expected),
                self.show(&got)
            )));
        }
        Ok(())
    }

    fn require(&self, t: &SignatureToken, ability: Ability, what: &str) -> R<()> {
        if abilities(self.m, t, self.type_params).has(ability) {
            Ok(())
        } else {
            Err(K::MissingAbility(format!(
                "{what} needs {ability:?} but {} does not have it",
                self.show(t)
            )))
        }
    }

    fn local(&self, i: LocalIndex) -> R<SignatureToken> {
        self.locals
            .get(usize::from(i))
            .cloned()
            .ok_or_else(|| K::Other(format!("local {i} out of range")))
    }

    /// Type arguments from a signature, checked to be reference-free and well-formed.
    fn type_args(&self, sig: SignatureIndex) -> R<Vec<SignatureToken>> {
        let args = self.m.signatures[sig.into_index()].0.clone();
        for a in &args {
            check_token(self.m, a, false, self.type_params)?;
        }
        Ok(args)
    }

    fn check_constraints(
        &self,
        params: &[AbilitySet],
        args: &[SignatureToken],
        what: &str,
    ) -> R<()> {
        if params.len() != args.len() {
            return Err(K::Other(format!(
                "{what} expects {} type argument(s), got {}",
                params.len(),
                args.len()
            )));
        }
        for (p, a) in params.iter().zip(args) {
            satisfies(self.m, a, *p, self.type_params).map_err(|missing| {
                K::ConstraintNotSatisfied(format!(
                    "type argument {} of {what} lacks {missing}",
                    self.show(a)
                ))
            })?;
        }
        Ok(())
    }

    /// The type of struct definition `sd` applied to `args`, after checking constraints.
    fn struct_type(
        &self,
        sd: StructDefinitionIndex,
        args: Vec<SignatureToken>,
    ) -> R<SignatureToken> {
        let def = &self.m.struct_defs[sd.into_index()];
        let sh = def.struct_handle;
        let handle = &self.m.struct_handles[sh.into_index()];
        let params: Vec<AbilitySet> = handle
            .type_parameters
            .iter()
            .map(|p| p.constraints)
            .collect();
        self.check_constraints(&params, &args, self.m.identifier(handle.name))?;
        Ok(if args.is_empty() {
            SignatureToken::Struct(sh)
        } else {
            SignatureToken::StructInstantiation(sh, args)
        })
    }

    fn fields(
        &self,
        sd: StructDefinitionIndex,
        variant: Option<VariantIndex>,
        args: &[SignatureToken],
    ) -> R<Vec<SignatureToken>> {
        let def = &self.m.struct_defs[sd.into_index()];
        let fields = match (&def.field_information, variant) {
            (StructFieldInformation::Declared(f), None) => f,
            (StructFieldInformation::DeclaredVariants(vs), Some(v)) => {
                &vs.get(usize::from(v))
                    .ok_or_else(|| K::Other(format!("variant {v} out of range")))?
                    .fields
            }
            (StructFieldInformation::Native, _) => {
                return Err(K::Other(
                    "native struct cannot be packed or unpacked".into(),
                ))
            }
            _ => {
                return Err(K::Other(
                    "struct/enum kind does not match the instruction".into(),
                ))
            }
        };
        Ok(fields
            .iter()
            .map(|f| instantiate(&f.signature, args))
            .collect())
    }

    fn pack(
        &mut self,
        sd: StructDefinitionIndex,
        variant: Option<VariantIndex>,
        args: Vec<SignatureToken>,
    ) -> R<()> {
        let fields = self.fields(sd, variant, &args)?;
        for f in fields.iter().rev() {
            self.pop_expect(f, "pack field")?;
        }
        let ty = self.struct_type(sd, args)?;
        self.stack.push(ty);
        Ok(())
    }

    fn unpack(
        &mut self,
        sd: StructDefinitionIndex,
        variant: Option<VariantIndex>,
        args: Vec<SignatureToken>,
    ) -> R<()> {
        let ty = self.struct_type(sd, args.clone())?;
        self.pop_expect(&ty, "unpack")?;
        self.stack.extend(self.fields(sd, variant, &args)?);
        Ok(())
    }

    /// Pops a reference to `owner`; `mutable` requires `&mut`. Returns the field type ref.
    fn borrow_field(
        &mut self,
        owner: SignatureToken,
        field_ty: SignatureToken,
        mutable: bool,
    ) -> R<()> {
        let r = self.pop()?;
        let ok = match &r {
            SignatureToken::MutableReference(t) => **t == owner,
            SignatureToken::Reference(t) => !mutable && **t == owner,
            _ => false,
        };
        if !ok {
            return Err(K::TypeMismatch(format!(
                "field borrow expects {}{}, found {}",
                if mutable { "&mut " } else { "&" },
                self.show(&owner),
                self.show(&r)
            )));
        }
        self.stack.push(if mutable {
            SignatureToken::MutableReference(Box::new(field_ty))
        } else {
            SignatureToken::Reference(Box::new(field_ty))
        });
        Ok(())
    }

    fn field_handle(
        &mut self,
        fh: FieldHandleIndex,
        args: Vec<SignatureToken>,
        mutable: bool,
    ) -> R<()> {
        let h = &self.m.field_handles[fh.into_index()];
        let fields = self.fields(h.owner, None, &args)?;
        let field_ty = fields
            .get(usize::from(h.field))
            .cloned()
            .ok_or_else(|| K::Other("field out of range".into()))?;
        let owner = self.struct_type(h.owner, args)?;
        self.borrow_field(owner, field_ty, mutable)
    }

    fn variant_field(
        &mut self,
        vfh: VariantFieldHandleIndex,
        args: Vec<SignatureToken>,
        mutable: bool,
    ) -> R<()> {
        let h = &self.m.variant_field_handles[vfh.into_index()];
        let mut field_ty = None;
        for v in &h.variants {
            let fields = self.fields(h.struct_index, Some(*v), &args)?;
            let t = fields
                .get(usize::from(h.field))
                .cloned()
                .ok_or_else(|| K::Other("field out of range".into()))?;
            if field_ty.as_ref().is_some_and(|f| *f != t) {
                return Err(K::TypeMismatch(
                    "variant field has different types across variants".into(),
                ));
            }
            field_ty = Some(t);
        }
        let field_ty =
            field_ty.ok_or_else(|| K::Other("variant field handle without variants".into()))?;
        let owner = self.struct_type(h.struct_index, args)?;
        self.borrow_field(owner, field_ty, mutable)
    }

    fn call(&mut self, fh: FunctionHandleIndex, args: Vec<SignatureToken>) -> R<()> {
        let h = &self.m.function_handles[fh.into_index()];
        self.check_constraints(&h.type_parameters, &args, self.m.identifier(h.name))?;
        for p in self.m.signatures[h.parameters.into_index()].0.iter().rev() {
            self.pop_expect(&instantiate(p, &args), "call argument")?;
        }
        for r in &self.m.signatures[h.return_.into_index()].0 {
            self.stack.push(instantiate(r, &args));
        }
        Ok(())
    }

    fn global(
        &mut self,
        instr: &Bytecode,
        sd: StructDefinitionIndex,
        args: Vec<SignatureToken>,
    ) -> R<()> {
        use Bytecode as B;
        let ty = self.struct_type(sd, args)?;
        self.require(&ty, Ability::Key, "global storage operation")?;
        match instr {
            B::MoveTo(_) | B::MoveToGeneric(_) => {
                self.pop_expect(&ty, "move_to value")?;
                self.pop_expect(
                    &SignatureToken::Reference(Box::new(SignatureToken::Signer)),
                    "move_to signer",
                )?;
            }
            _ => {
                self.pop_expect(&SignatureToken::Address, "global address")?;
                self.stack.push(match instr {
                    B::Exists(_) | B::ExistsGeneric(_) => SignatureToken::Bool,
                    B::MoveFrom(_) | B::MoveFromGeneric(_) => ty,
                    B::MutBorrowGlobal(_) | B::MutBorrowGlobalGeneric(_) => {
                        SignatureToken::MutableReference(Box::new(ty))
                    }
                    _ => SignatureToken::Reference(Box::new(ty)),
                });
            }
        }
        Ok(())
    }

    fn vec_elem(&self, sig: SignatureIndex) -> R<SignatureToken> {
        match self.type_args(sig)?.as_slice() {
            [t] => Ok(t.clone()),
            other => Err(K::Other(format!(
                "vector instruction signature must have exactly one type, has {}",
                other.len()
            ))),
        }
    }

    fn pop_vec_ref(&mut self, elem: &SignatureToken, mutable: bool) -> R<()> {
        let v = SignatureToken::Vector(Box::new(elem.clone()));
        let r = self.pop()?;
        let ok = match &r {
            SignatureToken::MutableReference(t) => **t == v,
            SignatureToken::Reference(t) => !mutable && **t == v,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(K::TypeMismatch(format!(
                "expected {}{}, found {}",
                if mutable { "&mut " } else { "&" },
                self.show(&v),
                self.show(&r)
            )))
        }
    }

    fn step(&mut self, instr: &Bytecode) -> R<()> {
        use Bytecode as B;
        use SignatureToken as S;
        match instr {
            B::Nop | B::Branch(_) => {}
            B::Pop => {
                let t = self.pop()?;
                self.require(&t, Ability::Drop, "Pop")?;
            }
            B::Ret => {
                for r in self.returns.iter().rev() {
                    self.pop_expect(r, "return value")?;
                }
            }
            B::BrTrue(_) | B::BrFalse(_) => self.pop_expect(&S::Bool, "branch condition")?,
            B::Abort => self.pop_expect(&S::U64, "abort code")?,
            B::LdU8(_) => self.stack.push(S::U8),
            B::LdU16(_) => self.stack.push(S::U16),
            B::LdU32(_) => self.stack.push(S::U32),
            B::LdU64(_) => self.stack.push(S::U64),
            B::LdU128(_) => self.stack.push(S::U128),
            B::LdU256(_) => self.stack.push(S::U256),
            B::LdTrue | B::LdFalse => self.stack.push(S::Bool),
            B::LdConst(c) => self
                .stack
                .push(self.m.constant_pool[c.into_index()].type_.clone()),
            B::CopyLoc(i) => {
                let t = self.local(*i)?;
                self.require(&t, Ability::Copy, "CopyLoc")?;
                self.stack.push(t);
            }
            B::MoveLoc(i) => {
                let t = self.local(*i)?;
                self.stack.push(t);
            }
            B::StLoc(i) => {
                let t = self.local(*i)?;
                self.pop_expect(&t, "StLoc")?;
            }
            B::MutBorrowLoc(i) | B::ImmBorrowLoc(i) => {
                let t = self.local(*i)?;
                if t.is_reference() {
                    return Err(K::TypeMismatch(format!(
                        "cannot borrow local of reference type {}",
                        self.show(&t)
                    )));
                }
                self.stack.push(if matches!(instr, B::MutBorrowLoc(_)) {
                    S::MutableReference(Box::new(t))
                } else {
                    S::Reference(Box::new(t))
                });
            }
            B::Call(fh) => self.call(*fh, vec![])?,
            B::CallGeneric(fi) => {
                let inst = &self.m.function_instantiations[fi.into_index()];
                let args = self.type_args(inst.type_parameters)?;
                self.call(inst.handle, args)?
            }
            B::Pack(sd) => self.pack(*sd, None, vec![])?,
            B::Unpack(sd) => self.unpack(*sd, None, vec![])?,
            B::PackGeneric(si) | B::UnpackGeneric(si) => {
                let inst = &self.m.struct_def_instantiations[si.into_index()];
                let args = self.type_args(inst.type_parameters)?;
                if matches!(instr, B::PackGeneric(_)) {
                    self.pack(inst.def, None, args)?
                } else {
                    self.unpack(inst.def, None, args)?
                }
            }
            B::PackVariant(vh) | B::UnpackVariant(vh) | B::TestVariant(vh) => {
                self.variant_op(instr, *vh, vec![])?
            }
            B::PackVariantGeneric(vi) | B::UnpackVariantGeneric(vi) | B::TestVariantGeneric(vi) => {
                let inst = &self.m.struct_variant_instantiations[vi.into_index()];
                let args = self.type_args(inst.type_parameters)?;
                self.variant_op(instr, inst.handle, args)?
            }
            B::ReadRef => {
                let inner = match self.pop()? {
                    S::Reference(t) | S::MutableReference(t) => *t,
                    other => {
                        return Err(K::TypeMismatch(format!(
                            "ReadRef of non-reference {}",
                            self.show(&other)
                        )))
                    }
                };
                self.require(&inner, Ability::Copy, "ReadRef")?;
                self.stack.push(inner);
            }
            B::WriteRef => {
                let inner = match self.pop()? {
                    S::MutableReference(t) => *t,
                    other => {
                        return Err(K::TypeMismatch(format!(
                            "WriteRef through {}",
                            self.show(&other)
                        )))
                    }
                };
                self.require(&inner, Ability::Drop, "WriteRef")?;
                self.pop_expect(&inner, "WriteRef value")?;
            }
            B::FreezeRef => match self.pop()? {
                S::MutableReference(t) => self.stack.push(S::Reference(t)),
                other => {
                    return Err(K::TypeMismatch(format!(
                        "FreezeRef of {}",
                        self.show(&other)
                    )))
                }
            },
            B::MutBorrowField(fh) | B::ImmBorrowField(fh) => {
                self.field_handle(*fh, vec![], matches!(instr, B::MutBorrowField(_)))?
            }
            B::MutBorrowFieldGeneric(fi) | B::ImmBorrowFieldGeneric(fi) => {
                let inst = &self.m.field_instantiations[fi.into_index()];
                let args = self.type_args(inst.type_parameters)?;
                self.field_handle(
                    inst.handle,
                    args,
                    matches!(instr, B::MutBorrowFieldGeneric(_)),
                )?
            }
            B::MutBorrowVariantField(vfh) | B::ImmBorrowVariantField(vfh) => {
                self.variant_field(*vfh, vec![], matches!(instr, B::MutBorrowVariantField(_)))?
            }
            B::MutBorrowVariantFieldGeneric(vfi) | B::ImmBorrowVariantFieldGeneric(vfi) => {
                let inst = &self.m.variant_field_instantiations[vfi.into_index()];
                let args = self.type_args(inst.type_parameters)?;
                self.variant_field(
                    inst.handle,
                    args,
                    matches!(instr, B::MutBorrowVariantFieldGeneric(_)),
                )?
            }
            B::Add | B::Sub | B::Mul | B::Div | B::Mod | B::BitOr | B::BitAnd | B::Xor => {
                let b = self.pop()?;
                let a = self.pop()?;
                if !is_int(&a) || a != b {
                    return Err(K::TypeMismatch(format!(
                        "{instr:?} expects two equal integer types, found {} and {}",
                        self.show(&a),
                        self.show(&b)
                    )));
                }
                self.stack.push(a);
            }
            B::Shl | B::Shr => {
                self.pop_expect(&S::U8, "shift amount")?;
                let a = self.pop()?;
                if !is_int(&a) {
                    return Err(K::TypeMismatch(format!("shift of {}", self.show(&a))));
                }
                self.stack.push(a);
            }
            B::Lt | B::Gt | B::Le | B::Ge => {
                let b = self.pop()?;
                let a = self.pop()?;
                if !is_int(&a) || a != b {
                    return Err(K::TypeMismatch(format!(
                        "{instr:?} expects two equal integer types, found {} and {}",
                        self.show(&a),
                        self.show(&b)
                    )));
                }
                self.stack.push(S::Bool);
            }
            B::Eq | B::Neq => {
                let b = self.pop()?;
                let a = self.pop()?;
                if a != b {
                    return Err(K::TypeMismatch(format!(
                        "{instr:?} on different types {} and {}",
                        self.show(&a),
                        self.show(&b)
                    )));
                }
                self.require(&a, Ability::Drop, "equality")?;
                self.stack.push(S::Bool);
            }
            B::Or | B::And => {
                self.pop_expect(&S::Bool, "boolean operand")?;
                self.pop_expect(&S::Bool, "boolean operand")?;
                self.stack.push(S::Bool);
            }
            B::Not => {
                self.pop_expect(&S::Bool, "Not operand")?;
                self.stack.push(S::Bool);
            }
            B::CastU8 | B::CastU16 | B::CastU32 | B::CastU64 | B::CastU128 | B::CastU256 => {
                let a = self.pop()?;
                if !is_int(&a) {
                    return Err(K::TypeMismatch(format!("cast of {}", self.show(&a))));
                }
                self.stack.push(match instr {
                    B::CastU8 => S::U8,
                    B::CastU16 => S::U16,
                    B::CastU32 => S::U32,
                    B::CastU64 => S::U64,
                    B::CastU128 => S::U128,
                    _ => S::U256,
                });
            }
            B::Exists(sd)
            | B::MutBorrowGlobal(sd)
            | B::ImmBorrowGlobal(sd)
            | B::MoveFrom(sd)
            | B::MoveTo(sd) => self.global(instr, *sd, vec![])?,
            B::ExistsGeneric(si)
            | B::MutBorrowGlobalGeneric(si)
            | B::ImmBorrowGlobalGeneric(si)
            | B::MoveFromGeneric(si)
            | B::MoveToGeneric(si) => {
                let inst = &self.m.struct_def_instantiations[si.into_index()];
                let args = self.type_args(inst.type_parameters)?;
                self.global(instr, inst.def, args)?
            }
            B::VecPack(sig, n) => {
                let elem = self.vec_elem(*sig)?;
                if (self.stack.len() as u64) < *n {
                    return Err(K::StackUnderflow);
                }
                for _ in 0..*n {
                    self.pop_expect(&elem, "vector element")?;
                }
                self.stack.push(S::Vector(Box::new(elem)));
            }
            B::VecUnpack(sig, n) => {
                let elem = self.vec_elem(*sig)?;
                self.pop_expect(&S::Vector(Box::new(elem.clone())), "VecUnpack")?;
                if *n > u64::from(u16::MAX) {
                    return Err(K::Other(format!("VecUnpack of {n} elements")));
                }
                for _ in 0..*n {
                    self.stack.push(elem.clone());
                }
            }
            B::VecLen(sig) => {
                let elem = self.vec_elem(*sig)?;
                self.pop_vec_ref(&elem, false)?;
                self.stack.push(S::U64);
            }
            B::VecImmBorrow(sig) | B::VecMutBorrow(sig) => {
                let elem = self.vec_elem(*sig)?;
                let mutable = matches!(instr, B::VecMutBorrow(_));
                self.pop_expect(&S::U64, "vector index")?;
                self.pop_vec_ref(&elem, mutable)?;
                self.stack.push(if mutable {
                    S::MutableReference(Box::new(elem))
                } else {
                    S::Reference(Box::new(elem))
                });
            }
            B::VecPushBack(sig) => {
                let elem = self.vec_elem(*sig)?;
                self.pop_expect(&elem, "pushed element")?;
                self.pop_vec_ref(&elem, true)?;
            }
            B::VecPopBack(sig) => {
                let elem = self.vec_elem(*sig)?;
                self.pop_vec_ref(&elem, true)?;
                self.stack.push(elem);
            }
            B::VecSwap(sig) => {
                let elem = self.vec_elem(*sig)?;
                self.pop_expect(&S::U64, "swap index")?;
                self.pop_expect(&S::U64, "swap index")?;
                self.pop_vec_ref(&elem, true)?;
            }
        }
        Ok(())
    }

    fn variant_op(
        &mut self,
        instr: &Bytecode,
        vh: StructVariantHandleIndex,
        args: Vec<SignatureToken>,
    ) -> R<()> {
        use Bytecode as B;
        let h = &self.m.struct_variant_handles[vh.into_index()];
        let (sd, variant) = (h.struct_index, h.variant);
        match instr {
            B::PackVariant(_) | B::PackVariantGeneric(_) => self.pack(sd, Some(variant), args),
            B::UnpackVariant(_) | B::UnpackVariantGeneric(_) => {
                self.unpack(sd, Some(variant), args)
            }
            _ => {
                let ty = self.struct_type(sd, args)?;
                let r = self.pop()?;
                match &r {
                    SignatureToken::Reference(t) | SignatureToken::MutableReference(t)
                        if **t == ty =>
                    {
                        self.stack.push(SignatureToken::Bool);
                        Ok(())
                    }
                    _ => Err(K::TypeMismatch(format!(
                        "TestVariant expects a reference to {}, found {}",
                        self.show(&ty),
                        self.show(&r)
                    ))),
                }
            }
        }
    }
}
