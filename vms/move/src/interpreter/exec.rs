//! The instruction loop.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::Arc;

use super::natives::{self, NativeContext, NativeError};
use super::value::{equals, kind, Reference, Value};
use super::{gas, location, signature_types, Frame, Session, MAX_CALL_DEPTH};
use crate::errors::VmError;
use crate::file_format::*;
use crate::loader::LoadedModule;
use crate::types::{short_address, ModuleId, Type};
use crate::u256::U256;

/// A failure before its location is attached.
enum Fault {
    Abort(u64),
    Arithmetic(&'static str),
    Vector(String),
    Variant(String),
    ResourceExists(String, AccountAddress),
    ResourceMissing(String, AccountAddress),
    Invariant(String),
    /// Already complete (gas, call depth, storage, lookup).
    Vm(VmError),
}

impl Fault {
    fn into_vm_error(self, location: String, pc: u16) -> VmError {
        match self {
            Fault::Abort(code) => VmError::Abort { code, location, pc },
            Fault::Arithmetic(reason) => VmError::Arithmetic {
                reason,
                location,
                pc,
            },
            Fault::Vector(reason) => VmError::Vector {
                reason,
                location,
                pc,
            },
            Fault::Variant(reason) => VmError::VariantMismatch {
                reason,
                location,
                pc,
            },
            Fault::ResourceExists(resource, a) => VmError::ResourceAlreadyExists {
                resource,
                address: short_address(&a),
                location,
                pc,
            },
            Fault::ResourceMissing(resource, a) => VmError::ResourceMissing {
                resource,
                address: short_address(&a),
                location,
                pc,
            },
            Fault::Invariant(reason) => VmError::InvariantViolation {
                reason,
                location,
                pc,
            },
            Fault::Vm(e) => e,
        }
    }
}

impl From<NativeError> for Fault {
    fn from(e: NativeError) -> Self {
        match e {
            NativeError::Vector(r) => Fault::Vector(r),
            NativeError::Invariant(r) => Fault::Invariant(r),
            NativeError::Vm(e) => Fault::Vm(e),
            NativeError::Abort(code) => Fault::Abort(code),
        }
    }
}

type FResult<T> = Result<T, Fault>;

fn inv<T>(msg: impl Into<String>) -> FResult<T> {
    Err(Fault::Invariant(msg.into()))
}

/// Runs `fidx` of `module` to completion.
pub(super) fn run(
    session: &mut Session<'_>,
    module: Arc<LoadedModule>,
    fidx: FunctionDefinitionIndex,
    ty_args: Vec<Type>,
    args: Vec<Value>,
) -> Result<Vec<Value>, VmError> {
    let mut frames: Vec<Frame> = Vec::new();
    let mut stack: Vec<Value> = args;
    let entry_location = location(&module, fidx);
    call(session, &mut frames, &mut stack, module, fidx, ty_args)
        .map_err(|f| f.into_vm_error(entry_location, 0))?;
    while let Some(frame) = frames.last() {
        let (loc, pc) = (frame.location(), frame.pc);
        if let Err(fault) = step(session, &mut frames, &mut stack) {
            return Err(fault.into_vm_error(loc, pc));
        }
    }
    Ok(stack)
}

fn pop(stack: &mut Vec<Value>) -> FResult<Value> {
    match stack.pop() {
        Some(v) => Ok(v),
        None => inv("operand stack underflow"),
    }
}

fn pop_n(stack: &mut Vec<Value>, n: usize) -> FResult<Vec<Value>> {
    if stack.len() < n {
        return inv(format!(
            "operand stack underflow: need {n}, have {}",
            stack.len()
        ));
    }
    Ok(stack.split_off(stack.len() - n))
}

fn pop_bool(stack: &mut Vec<Value>) -> FResult<bool> {
    match pop(stack)? {
        Value::Bool(b) => Ok(b),
        v => inv(format!("expected bool, got {}", kind(&v))),
    }
}

fn pop_u64(stack: &mut Vec<Value>) -> FResult<u64> {
    match pop(stack)? {
        Value::U64(x) => Ok(x),
        v => inv(format!("expected u64, got {}", kind(&v))),
    }
}

fn pop_ref(stack: &mut Vec<Value>) -> FResult<Reference> {
    match pop(stack)? {
        Value::Ref(r) => Ok(r),
        v => inv(format!("expected a reference, got {}", kind(&v))),
    }
}

fn pop_address(stack: &mut Vec<Value>) -> FResult<AccountAddress> {
    match pop(stack)? {
        Value::Address(a) => Ok(a),
        v => inv(format!("expected address, got {}", kind(&v))),
    }
}

fn vinv<T>(r: Result<T, String>) -> FResult<T> {
    r.map_err(Fault::Invariant)
}

/// Pushes a frame for (or directly runs, if native) the given function, consuming its
/// arguments from the operand stack.
fn call(
    session: &mut Session<'_>,
    frames: &mut Vec<Frame>,
    stack: &mut Vec<Value>,
    module: Arc<LoadedModule>,
    fidx: FunctionDefinitionIndex,
    ty_args: Vec<Type>,
) -> FResult<()> {
    let def = &module.module.function_defs[fidx.into_index()];
    let handle = module.function_handle(fidx);
    if ty_args.len() != handle.type_parameters.len() {
        return inv(format!(
            "{} expects {} type argument(s), got {}",
            location(&module, fidx),
            handle.type_parameters.len(),
            ty_args.len()
        ));
    }
    let nparams = module
        .module
        .signature(handle.parameters)
        .map_or(0, |s| s.0.len());
    let args = pop_n(stack, nparams)?;
    match &def.code {
        None => {
            let name = module.module.identifier(handle.name);
            let native = natives::find_native(&module.id.address, &module.id.name, name)
                .ok_or_else(|| {
                    Fault::Vm(VmError::MissingNative {
                        function: location(&module, fidx),
                    })
                })?;
            session
                .gas
                .charge(gas::NATIVE_BASE_COST)
                .map_err(Fault::Vm)?;
            let cache = session.cache;
            let layout = |t: &Type| super::layout_of(cache, t);
            let mut ctx = NativeContext {
                gas: &mut session.gas,
                layout: &layout,
                storage: session.storage,
                data: &mut session.data,
                ext: &mut session.ext,
            };
            let results = native(&mut ctx, &ty_args, args)?;
            stack.extend(results);
            Ok(())
        }
        Some(code) => {
            if frames.len() >= MAX_CALL_DEPTH {
                return Err(Fault::Vm(VmError::CallStackOverflow {
                    depth: frames.len() + 1,
                    location: location(&module, fidx),
                }));
            }
            let nlocals = module
                .module
                .signature(code.locals)
                .map_or(0, |s| s.0.len());
            let locals = args
                .into_iter()
                .chain(std::iter::repeat_n(Value::Invalid, nlocals))
                .map(|v| Rc::new(RefCell::new(v)))
                .collect();
            let returns = module
                .module
                .signature(handle.return_)
                .map_or(0, |s| s.0.len());
            frames.push(Frame {
                module,
                function: fidx,
                pc: 0,
                locals,
                ty_args,
                stack_base: stack.len(),
                returns,
            });
            Ok(())
        }
    }
}

/// Resolves a function handle of `module` to its defining module and definition.
fn resolve_function(
    session: &Session<'_>,
    module: &LoadedModule,
    fh: FunctionHandleIndex,
) -> FResult<(Arc<LoadedModule>, FunctionDefinitionIndex)> {
    let handle = &module.module.function_handles[fh.into_index()];
    let mh = &module.module.module_handles[handle.module.into_index()];
    let id = ModuleId::new(
        module.module.address_identifiers[mh.address.into_index()],
        module.module.identifier(mh.name),
    );
    let name = module.module.identifier(handle.name);
    let target = session.cache.get(&id).cloned().ok_or_else(|| {
        Fault::Vm(VmError::NotFound {
            what: format!("module {id}"),
        })
    })?;
    let fidx = target.function_index(name).ok_or_else(|| {
        Fault::Vm(VmError::NotFound {
            what: format!("function {id}::{name}"),
        })
    })?;
    Ok((target, fidx))
}

/// Types of a signature instantiated with the frame's type arguments.
fn instantiate(frame: &Frame, sig: SignatureIndex) -> FResult<Vec<Type>> {
    signature_types(&frame.module, sig)
        .iter()
        .map(|t| {
            t.subst(&frame.ty_args)
                .ok_or_else(|| Fault::Invariant(format!("type parameter out of range in {t}")))
        })
        .collect()
}

/// The struct type of a definition of `module` with the given type arguments.
fn struct_type(module: &LoadedModule, sd: StructDefinitionIndex, type_args: Vec<Type>) -> Type {
    let def = &module.module.struct_defs[sd.into_index()];
    let handle = &module.module.struct_handles[def.struct_handle.into_index()];
    Type::Struct {
        module: module.id.clone(),
        name: module.module.identifier(handle.name).to_string(),
        type_args,
    }
}

fn field_count(
    module: &LoadedModule,
    sd: StructDefinitionIndex,
    variant: Option<u16>,
) -> FResult<usize> {
    let def = &module.module.struct_defs[sd.into_index()];
    match (&def.field_information, variant) {
        (StructFieldInformation::Declared(f), None) => Ok(f.len()),
        (StructFieldInformation::DeclaredVariants(vs), Some(v)) => vs
            .get(usize::from(v))
            .map(|v| v.fields.len())
            .ok_or_else(|| Fault::Invariant(format!("variant {v} out of range"))),
        _ => inv("struct/enum kind does not match the instruction"),
    }
}

/// Resolves a generic struct instantiation to (definition, instantiated type arguments).
fn struct_inst(
    frame: &Frame,
    si: StructDefInstantiationIndex,
) -> FResult<(StructDefinitionIndex, Vec<Type>)> {
    let inst = &frame.module.module.struct_def_instantiations[si.into_index()];
    Ok((inst.def, instantiate(frame, inst.type_parameters)?))
}

fn variant_inst(
    frame: &Frame,
    vi: StructVariantInstantiationIndex,
) -> FResult<(StructVariantHandleIndex, Vec<Type>)> {
    let inst = &frame.module.module.struct_variant_instantiations[vi.into_index()];
    Ok((inst.handle, instantiate(frame, inst.type_parameters)?))
}

fn step(session: &mut Session<'_>, frames: &mut Vec<Frame>, stack: &mut Vec<Value>) -> FResult<()> {
    use Bytecode as B;
    let Some(frame) = frames.last_mut() else {
        return inv("no frame");
    };
    let module = frame.module.clone();
    let Some(code) = &module.module.function_defs[frame.function.into_index()].code else {
        return inv("frame of a native function");
    };
    let Some(instr) = code.code.get(usize::from(frame.pc)) else {
        return inv("execution fell off the end of the code");
    };
    session.gas.charge_instruction(instr).map_err(Fault::Vm)?;
    frame.pc = frame.pc.wrapping_add(1);
    let m = &module.module;
    match instr {
        B::Nop => {}
        B::Pop => {
            pop(stack)?;
        }
        B::Ret => {
            let Some(done) = frames.pop() else {
                return inv("no frame");
            };
            if stack.len() != done.stack_base + done.returns {
                return inv(format!(
                    "return with {} value(s) on the stack, expected {}",
                    stack.len().saturating_sub(done.stack_base),
                    done.returns
                ));
            }
        }
        B::BrTrue(t) => {
            if pop_bool(stack)? {
                frame.pc = *t;
            }
        }
        B::BrFalse(t) => {
            if !pop_bool(stack)? {
                frame.pc = *t;
            }
        }
        B::Branch(t) => frame.pc = *t,
        B::LdU8(v) => stack.push(Value::U8(*v)),
        B::LdU16(v) => stack.push(Value::U16(*v)),
        B::LdU32(v) => stack.push(Value::U32(*v)),
        B::LdU64(v) => stack.push(Value::U64(*v)),
        B::LdU128(v) => stack.push(Value::U128(*v)),
        B::LdU256(v) => stack.push(Value::U256(*v)),
        B::LdTrue => stack.push(Value::Bool(true)),
        B::LdFalse => stack.push(Value::Bool(false)),
        B::LdConst(c) => {
            let constant = &m.constant_pool[c.into_index()];
            let ty = Type::from_token(m, &constant.type_);
            let layout = vinv(session.layout(&ty))?;
            stack.push(vinv(super::value::from_bcs(&constant.data, &layout))?);
        }
        B::CopyLoc(i) => {
            let v = vinv(
                local(frame, *i)?
                    .try_borrow()
                    .map(|v| v.clone())
                    .map_err(|e| e.to_string()),
            )?;
            if matches!(v, Value::Invalid) {
                return inv(format!("copy of unavailable local {i}"));
            }
            stack.push(v);
        }
        B::MoveLoc(i) => {
            let mut cell = vinv(
                local(frame, *i)?
                    .try_borrow_mut()
                    .map_err(|e| e.to_string()),
            )?;
            let v = std::mem::replace(&mut *cell, Value::Invalid);
            if matches!(v, Value::Invalid) {
                return inv(format!("move of unavailable local {i}"));
            }
            stack.push(v);
        }
        B::StLoc(i) => {
            let v = pop(stack)?;
            *vinv(
                local(frame, *i)?
                    .try_borrow_mut()
                    .map_err(|e| e.to_string()),
            )? = v;
        }
        B::MutBorrowLoc(i) | B::ImmBorrowLoc(i) => {
            let cell = local(frame, *i)?.clone();
            stack.push(Value::Ref(Reference::new(
                cell,
                matches!(instr, B::MutBorrowLoc(_)),
            )));
        }
        B::Call(fh) => {
            let (target, fidx) = resolve_function(session, &module, *fh)?;
            call(session, frames, stack, target, fidx, vec![])?;
        }
        B::CallGeneric(fi) => {
            let inst = &m.function_instantiations[fi.into_index()];
            let ty_args = instantiate(frame, inst.type_parameters)?;
            let (target, fidx) = resolve_function(session, &module, inst.handle)?;
            call(session, frames, stack, target, fidx, ty_args)?;
        }
        B::Pack(sd) => {
            let fields = pop_n(stack, field_count(&module, *sd, None)?)?;
            stack.push(Value::Struct(fields));
        }
        B::PackGeneric(si) => {
            let (sd, _) = struct_inst(frame, *si)?;
            let fields = pop_n(stack, field_count(&module, sd, None)?)?;
            stack.push(Value::Struct(fields));
        }
        B::Unpack(_) | B::UnpackGeneric(_) => match pop(stack)? {
            Value::Struct(fields) => stack.extend(fields),
            v => return inv(format!("unpack of {}", kind(&v))),
        },
        B::PackVariant(vh) | B::UnpackVariant(vh) | B::TestVariant(vh) => {
            variant_op(&module, stack, instr, *vh)?
        }
        B::PackVariantGeneric(vi) | B::UnpackVariantGeneric(vi) | B::TestVariantGeneric(vi) => {
            let (vh, _) = variant_inst(frame, *vi)?;
            variant_op(&module, stack, instr, vh)?
        }
        B::ReadRef => {
            let r = pop_ref(stack)?;
            stack.push(vinv(r.read())?);
        }
        B::WriteRef => {
            let r = pop_ref(stack)?;
            let v = pop(stack)?;
            vinv(r.write(v))?;
        }
        B::FreezeRef => {
            let r = pop_ref(stack)?;
            stack.push(Value::Ref(r.freeze()));
        }
        B::MutBorrowField(fh) | B::ImmBorrowField(fh) => {
            let field = m.field_handles[fh.into_index()].field;
            let r = pop_ref(stack)?;
            stack.push(Value::Ref(
                r.child(usize::from(field), matches!(instr, B::MutBorrowField(_))),
            ));
        }
        B::MutBorrowFieldGeneric(fi) | B::ImmBorrowFieldGeneric(fi) => {
            let fh = m.field_instantiations[fi.into_index()].handle;
            let field = m.field_handles[fh.into_index()].field;
            let r = pop_ref(stack)?;
            stack.push(Value::Ref(r.child(
                usize::from(field),
                matches!(instr, B::MutBorrowFieldGeneric(_)),
            )));
        }
        B::MutBorrowVariantField(vfh) | B::ImmBorrowVariantField(vfh) => {
            let mutable = matches!(instr, B::MutBorrowVariantField(_));
            borrow_variant_field(m, stack, *vfh, mutable)?
        }
        B::MutBorrowVariantFieldGeneric(vfi) | B::ImmBorrowVariantFieldGeneric(vfi) => {
            let mutable = matches!(instr, B::MutBorrowVariantFieldGeneric(_));
            let vfh = m.variant_field_instantiations[vfi.into_index()].handle;
            borrow_variant_field(m, stack, vfh, mutable)?
        }
        B::Add | B::Sub | B::Mul | B::Div | B::Mod | B::BitOr | B::BitAnd | B::Xor => {
            let b = pop(stack)?;
            let a = pop(stack)?;
            stack.push(arith(instr, a, b)?);
        }
        B::Shl | B::Shr => {
            let n = match pop(stack)? {
                Value::U8(n) => n,
                v => return inv(format!("shift amount must be u8, got {}", kind(&v))),
            };
            let a = pop(stack)?;
            stack.push(shift(matches!(instr, B::Shl), a, n)?);
        }
        B::Lt | B::Gt | B::Le | B::Ge => {
            let b = pop(stack)?;
            let a = pop(stack)?;
            let ord = int_cmp(&a, &b)?;
            let r = match instr {
                B::Lt => ord == Ordering::Less,
                B::Gt => ord == Ordering::Greater,
                B::Le => ord != Ordering::Greater,
                _ => ord != Ordering::Less,
            };
            stack.push(Value::Bool(r));
        }
        B::Eq | B::Neq => {
            let b = pop(stack)?;
            let a = pop(stack)?;
            let eq = vinv(equals(&a, &b))?;
            stack.push(Value::Bool(eq == matches!(instr, B::Eq)));
        }
        B::Or | B::And => {
            let b = pop_bool(stack)?;
            let a = pop_bool(stack)?;
            stack.push(Value::Bool(if matches!(instr, B::Or) {
                a || b
            } else {
                a && b
            }));
        }
        B::Not => {
            let a = pop_bool(stack)?;
            stack.push(Value::Bool(!a));
        }
        B::CastU8 | B::CastU16 | B::CastU32 | B::CastU64 | B::CastU128 | B::CastU256 => {
            let v = pop(stack)?;
            stack.push(cast(instr, v)?);
        }
        B::Abort => {
            let code = pop_u64(stack)?;
            return Err(Fault::Abort(code));
        }
        B::Exists(sd) => global_op(session, &module, stack, instr, *sd, vec![])?,
        B::MutBorrowGlobal(sd) | B::ImmBorrowGlobal(sd) | B::MoveFrom(sd) | B::MoveTo(sd) => {
            global_op(session, &module, stack, instr, *sd, vec![])?
        }
        B::ExistsGeneric(si)
        | B::MutBorrowGlobalGeneric(si)
        | B::ImmBorrowGlobalGeneric(si)
        | B::MoveFromGeneric(si)
        | B::MoveToGeneric(si) => {
            let (sd, tys) = struct_inst(frame, *si)?;
            global_op(session, &module, stack, instr, sd, tys)?
        }
        B::VecPack(_, n) => {
            let n = usize::try_from(*n).map_err(|_| Fault::Invariant("vector too long".into()))?;
            let items = pop_n(stack, n)?;
            stack.push(Value::Vector(items));
        }
        B::VecUnpack(_, n) => match pop(stack)? {
            Value::Vector(items) if items.len() as u64 == *n => stack.extend(items),
            Value::Vector(items) => {
                return Err(Fault::Vector(format!(
                    "unpack of a vector of length {} into {n} values",
                    items.len()
                )))
            }
            v => return inv(format!("vector unpack of {}", kind(&v))),
        },
        B::VecLen(_) => {
            let r = pop_ref(stack)?;
            let len = vinv(r.with(|v| match v {
                Value::Vector(items) => Ok(items.len()),
                other => Err(format!("length of {}", kind(other))),
            }))?;
            stack.push(Value::U64(len as u64));
        }
        B::VecImmBorrow(_) | B::VecMutBorrow(_) => {
            let i = pop_u64(stack)?;
            let r = pop_ref(stack)?;
            let results = native_vector(
                session,
                "borrow",
                vec![Value::Ref(r), Value::U64(i)],
                matches!(instr, B::VecMutBorrow(_)),
            )?;
            stack.extend(results);
        }
        B::VecPushBack(_) => {
            let v = pop(stack)?;
            let r = pop_ref(stack)?;
            native_vector(session, "push_back", vec![Value::Ref(r), v], true)?;
        }
        B::VecPopBack(_) => {
            let r = pop_ref(stack)?;
            let results = native_vector(session, "pop_back", vec![Value::Ref(r)], true)?;
            stack.extend(results);
        }
        B::VecSwap(_) => {
            let j = pop_u64(stack)?;
            let i = pop_u64(stack)?;
            let r = pop_ref(stack)?;
            native_vector(
                session,
                "swap",
                vec![Value::Ref(r), Value::U64(i), Value::U64(j)],
                true,
            )?;
        }
    }
    Ok(())
}

/// Vector bytecodes share the implementation of the `0x1::vector` natives.
fn native_vector(
    session: &mut Session<'_>,
    name: &str,
    args: Vec<Value>,
    mutable: bool,
) -> FResult<Vec<Value>> {
    let name = if name == "borrow" && mutable {
        "borrow_mut"
    } else {
        name
    };
    let f = natives::find_native(&crate::types::address_from_u64(1), "vector", name)
        .ok_or_else(|| Fault::Invariant(format!("vector operation {name} missing")))?;
    let cache = session.cache;
    let layout = |t: &Type| super::layout_of(cache, t);
    let mut ctx = NativeContext {
        gas: &mut session.gas,
        layout: &layout,
        storage: session.storage,
        data: &mut session.data,
        ext: &mut session.ext,
    };
    Ok(f(&mut ctx, &[], args)?)
}

fn local(frame: &Frame, i: LocalIndex) -> FResult<&Rc<RefCell<Value>>> {
    frame
        .locals
        .get(usize::from(i))
        .ok_or_else(|| Fault::Invariant(format!("local {i} out of range")))
}

fn variant_op(
    module: &LoadedModule,
    stack: &mut Vec<Value>,
    instr: &Bytecode,
    vh: StructVariantHandleIndex,
) -> FResult<()> {
    let handle = &module.module.struct_variant_handles[vh.into_index()];
    let variant = handle.variant;
    match instr {
        Bytecode::PackVariant(_) | Bytecode::PackVariantGeneric(_) => {
            let n = field_count(module, handle.struct_index, Some(variant))?;
            let fields = pop_n(stack, n)?;
            stack.push(Value::Variant(variant, fields));
        }
        Bytecode::UnpackVariant(_) | Bytecode::UnpackVariantGeneric(_) => match pop(stack)? {
            Value::Variant(tag, fields) if tag == variant => stack.extend(fields),
            Value::Variant(tag, _) => {
                return Err(Fault::Variant(format!(
                    "unpack of variant {variant} applied to variant {tag}"
                )))
            }
            v => return inv(format!("variant unpack of {}", kind(&v))),
        },
        _ => {
            let r = pop_ref(stack)?;
            let tag = vinv(r.with(|v| match v {
                Value::Variant(tag, _) => Ok(*tag),
                other => Err(format!("variant test on {}", kind(other))),
            }))?;
            stack.push(Value::Bool(tag == variant));
        }
    }
    Ok(())
}

fn borrow_variant_field(
    m: &CompiledModule,
    stack: &mut Vec<Value>,
    vfh: VariantFieldHandleIndex,
    mutable: bool,
) -> FResult<()> {
    let handle = &m.variant_field_handles[vfh.into_index()];
    let r = pop_ref(stack)?;
    let tag = vinv(r.with(|v| match v {
        Value::Variant(tag, _) => Ok(*tag),
        other => Err(format!("variant field borrow on {}", kind(other))),
    }))?;
    if !handle.variants.contains(&tag) {
        return Err(Fault::Variant(format!(
            "field {} borrowed from variant {tag}, which is not among {:?}",
            handle.field, handle.variants
        )));
    }
    stack.push(Value::Ref(r.child(usize::from(handle.field), mutable)));
    Ok(())
}

fn global_op(
    session: &mut Session<'_>,
    module: &LoadedModule,
    stack: &mut Vec<Value>,
    instr: &Bytecode,
    sd: StructDefinitionIndex,
    type_args: Vec<Type>,
) -> FResult<()> {
    use Bytecode as B;
    let ty = struct_type(module, sd, type_args);
    let tag = match ty.to_tag() {
        Some(crate::types::TypeTag::Struct(tag)) => *tag,
        _ => return inv(format!("resource type {ty} is not fully instantiated")),
    };
    let layout = vinv(session.layout(&ty))?;
    let storage = session.storage;
    let data = &mut session.data;
    let storage_err = |reason: String| Fault::Vm(VmError::Storage { reason });
    match instr {
        B::MoveTo(_) | B::MoveToGeneric(_) => {
            let value = pop(stack)?;
            let signer = pop_ref(stack)?;
            let address = match vinv(signer.read())? {
                Value::Signer(a) => a,
                v => return inv(format!("move_to expects &signer, got &{}", kind(&v))),
            };
            if !data
                .move_to(storage, address, &tag, &layout, value)
                .map_err(storage_err)?
            {
                return Err(Fault::ResourceExists(tag.to_string(), address));
            }
        }
        B::Exists(_) | B::ExistsGeneric(_) => {
            let address = pop_address(stack)?;
            let exists = data
                .exists(storage, address, &tag, &layout)
                .map_err(storage_err)?;
            stack.push(Value::Bool(exists));
        }
        B::MoveFrom(_) | B::MoveFromGeneric(_) => {
            let address = pop_address(stack)?;
            match data
                .move_from(storage, address, &tag, &layout)
                .map_err(storage_err)?
            {
                Some(v) => stack.push(v),
                None => return Err(Fault::ResourceMissing(tag.to_string(), address)),
            }
        }
        _ => {
            let mutable = matches!(instr, B::MutBorrowGlobal(_) | B::MutBorrowGlobalGeneric(_));
            let address = pop_address(stack)?;
            match data
                .cell(storage, address, &tag, &layout)
                .map_err(storage_err)?
            {
                Some(cell) => stack.push(Value::Ref(Reference::new(cell, mutable))),
                None => return Err(Fault::ResourceMissing(tag.to_string(), address)),
            }
        }
    }
    Ok(())
}

macro_rules! int_binop {
    ($a:expr, $b:expr, $op:ident, $reason:expr) => {
        match ($a, $b) {
            (Value::U8(x), Value::U8(y)) => x.$op(y).map(Value::U8),
            (Value::U16(x), Value::U16(y)) => x.$op(y).map(Value::U16),
            (Value::U32(x), Value::U32(y)) => x.$op(y).map(Value::U32),
            (Value::U64(x), Value::U64(y)) => x.$op(y).map(Value::U64),
            (Value::U128(x), Value::U128(y)) => x.$op(y).map(Value::U128),
            (Value::U256(x), Value::U256(y)) => x.$op(y).map(Value::U256),
            (a, b) => return inv(format!("arithmetic on {} and {}", kind(&a), kind(&b))),
        }
        .ok_or(Fault::Arithmetic($reason))
    };
}

macro_rules! int_bitop {
    ($a:expr, $b:expr, $prim:tt, $wide:ident) => {
        match ($a, $b) {
            (Value::U8(x), Value::U8(y)) => Ok(Value::U8(x $prim y)),
            (Value::U16(x), Value::U16(y)) => Ok(Value::U16(x $prim y)),
            (Value::U32(x), Value::U32(y)) => Ok(Value::U32(x $prim y)),
            (Value::U64(x), Value::U64(y)) => Ok(Value::U64(x $prim y)),
            (Value::U128(x), Value::U128(y)) => Ok(Value::U128(x $prim y)),
            (Value::U256(x), Value::U256(y)) => Ok(Value::U256(x.$wide(y))),
            (a, b) => inv(format!("bit operation on {} and {}", kind(&a), kind(&b))),
        }
    };
}

fn arith(instr: &Bytecode, a: Value, b: Value) -> FResult<Value> {
    match instr {
        Bytecode::Add => int_binop!(a, b, checked_add, "addition overflow"),
        Bytecode::Sub => int_binop!(a, b, checked_sub, "subtraction underflow"),
        Bytecode::Mul => int_binop!(a, b, checked_mul, "multiplication overflow"),
        Bytecode::Div => int_binop!(a, b, checked_div, "division by zero"),
        Bytecode::Mod => int_binop!(a, b, checked_rem, "modulo by zero"),
        Bytecode::BitOr => int_bitop!(a, b, |, bit_or),
        Bytecode::BitAnd => int_bitop!(a, b, &, bit_and),
        _ => int_bitop!(a, b, ^, bit_xor),
    }
}

fn shift(left: bool, a: Value, n: u8) -> FResult<Value> {
    let bits: u32 = match &a {
        Value::U8(_) => 8,
        Value::U16(_) => 16,
        Value::U32(_) => 32,
        Value::U64(_) => 64,
        Value::U128(_) => 128,
        Value::U256(_) => 256,
        v => return inv(format!("shift of {}", kind(v))),
    };
    if u32::from(n) >= bits {
        return Err(Fault::Arithmetic("shift amount not below the bit width"));
    }
    let s = u32::from(n);
    Ok(match a {
        Value::U8(x) => Value::U8(if left { x << s } else { x >> s }),
        Value::U16(x) => Value::U16(if left { x << s } else { x >> s }),
        Value::U32(x) => Value::U32(if left { x << s } else { x >> s }),
        Value::U64(x) => Value::U64(if left { x << s } else { x >> s }),
        Value::U128(x) => Value::U128(if left { x << s } else { x >> s }),
        Value::U256(x) => Value::U256(if left {
            x.shift_left(n)
        } else {
            x.shift_right(n)
        }),
        v => return inv(format!("shift of {}", kind(&v))),
    })
}

fn int_cmp(a: &Value, b: &Value) -> FResult<Ordering> {
    Ok(match (a, b) {
        (Value::U8(x), Value::U8(y)) => x.cmp(y),
        (Value::U16(x), Value::U16(y)) => x.cmp(y),
        (Value::U32(x), Value::U32(y)) => x.cmp(y),
        (Value::U64(x), Value::U64(y)) => x.cmp(y),
        (Value::U128(x), Value::U128(y)) => x.cmp(y),
        (Value::U256(x), Value::U256(y)) => x.cmp(y),
        (a, b) => return inv(format!("comparison of {} and {}", kind(a), kind(b))),
    })
}

fn cast(instr: &Bytecode, v: Value) -> FResult<Value> {
    let wide: U256 = match v {
        Value::U8(x) => U256::from(u128::from(x)),
        Value::U16(x) => U256::from(u128::from(x)),
        Value::U32(x) => U256::from(u128::from(x)),
        Value::U64(x) => U256::from(u128::from(x)),
        Value::U128(x) => U256::from(x),
        Value::U256(x) => x,
        v => return inv(format!("cast of {}", kind(&v))),
    };
    let narrow = wide.to_u128();
    let too_big = Fault::Arithmetic("cast of a value out of the target range");
    Ok(match instr {
        Bytecode::CastU8 => Value::U8(narrow.and_then(|x| u8::try_from(x).ok()).ok_or(too_big)?),
        Bytecode::CastU16 => Value::U16(narrow.and_then(|x| u16::try_from(x).ok()).ok_or(too_big)?),
        Bytecode::CastU32 => Value::U32(narrow.and_then(|x| u32::try_from(x).ok()).ok_or(too_big)?),
        Bytecode::CastU64 => Value::U64(narrow.and_then(|x| u64::try_from(x).ok()).ok_or(too_big)?),
        Bytecode::CastU128 => Value::U128(narrow.ok_or(too_big)?),
        _ => Value::U256(wide),
    })
}
