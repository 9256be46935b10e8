//! Native functions of the standard library at address `0x1`: `vector`, `signer`, `bcs`,
//! `hash`, `string`, `cmp` and `from_bcs`; the Initia framework natives live in
//! [`super::framework`]. Semantics follow the Move stdlib documentation of each function.

use sha2::Digest;

use crate::errors::VmError;
use crate::file_format::AccountAddress;
use crate::interpreter::framework::Extensions;
use crate::interpreter::gas::{GasMeter, NATIVE_PER_BYTE_COST};
use crate::interpreter::storage::{DataCache, Storage};
use crate::interpreter::value::{from_bcs, kind, to_bcs, Layout, Reference, Value};
use crate::types::{address_from_u64, Type};

/// Why a native failed.
#[derive(Debug)]
pub enum NativeError {
    /// A vector operation was out of range.
    Vector(String),
    /// Arguments of unexpected shape.
    Invariant(String),
    /// Gas exhaustion or another complete VM error.
    Vm(VmError),
    /// The native aborts like Move code would, with this code.
    Abort(u64),
}

/// Abort code of `from_bcs::from_bytes` on undecodable input: `std::error::invalid_argument(1)`
/// (`0x1_0001`). Chosen here; the reference implementation's code may differ.
pub const FROM_BCS_ABORT_CODE: u64 = 0x1_0001;

/// Execution context handed to natives.
pub struct NativeContext<'a> {
    /// The session's gas meter.
    pub gas: &'a mut GasMeter,
    /// Resolves the BCS layout of a fully instantiated type.
    pub layout: &'a dyn Fn(&Type) -> Result<Layout, String>,
    /// Host storage (read-only).
    pub storage: &'a dyn Storage,
    /// The session's resource cache.
    pub data: &'a mut DataCache,
    /// Events, tables and block facts of the session.
    pub ext: &'a mut Extensions,
}

impl NativeContext<'_> {
    pub(crate) fn charge_bytes(&mut self, n: usize) -> Result<(), NativeError> {
        self.gas
            .charge((n as u64).saturating_mul(NATIVE_PER_BYTE_COST))
            .map_err(NativeError::Vm)
    }
}

/// A native function: type arguments and arguments in, return values out.
pub type NativeFn =
    fn(&mut NativeContext<'_>, &[Type], Vec<Value>) -> Result<Vec<Value>, NativeError>;

/// The implementation of `address::module::function`, if it is a known native.
pub fn find_native(address: &AccountAddress, module: &str, function: &str) -> Option<NativeFn> {
    if *address != address_from_u64(1) {
        return None;
    }
    let f: NativeFn = match (module, function) {
        ("vector", "empty") => |_, _, _| Ok(vec![Value::Vector(vec![])]),
        ("vector", "length") => vector_length,
        ("vector", "borrow") => |_, _, args| vector_borrow(args, false),
        ("vector", "borrow_mut") => |_, _, args| vector_borrow(args, true),
        ("vector", "push_back") => vector_push_back,
        ("vector", "pop_back") => vector_pop_back,
        ("vector", "destroy_empty") => vector_destroy_empty,
        ("vector", "swap") => vector_swap,
        ("vector", "move_range") => vector_move_range,
        ("signer", "borrow_address") => signer_borrow_address,
        ("bcs", "to_bytes") => bcs_to_bytes,
        ("bcs", "serialized_size") => bcs_serialized_size,
        ("hash", "sha2_256") => {
            |ctx, _, args| hash(ctx, args, |b| sha2::Sha256::digest(b).to_vec())
        }
        ("hash", "sha3_256") => {
            |ctx, _, args| hash(ctx, args, |b| sha3::Sha3_256::digest(b).to_vec())
        }
        ("cmp", "compare") => cmp_compare,
        ("from_bcs", "from_bytes") => from_bcs_from_bytes,
        ("string", "internal_check_utf8") => string_check_utf8,
        ("string", "internal_is_char_boundary") => string_is_char_boundary,
        ("string", "internal_sub_string") => string_sub_string,
        ("string", "internal_index_of") => string_index_of,
        _ => return super::framework::find(module, function),
    };
    Some(f)
}

fn arity(args: Vec<Value>, n: usize) -> Result<Vec<Value>, NativeError> {
    if args.len() == n {
        Ok(args)
    } else {
        Err(NativeError::Invariant(format!(
            "expected {n} argument(s), got {}",
            args.len()
        )))
    }
}

fn as_ref(v: Value) -> Result<Reference, NativeError> {
    match v {
        Value::Ref(r) => Ok(r),
        other => Err(NativeError::Invariant(format!(
            "expected a reference, got {}",
            kind(&other)
        ))),
    }
}

fn as_u64(v: &Value) -> Result<u64, NativeError> {
    match v {
        Value::U64(x) => Ok(*x),
        other => Err(NativeError::Invariant(format!(
            "expected u64, got {}",
            kind(other)
        ))),
    }
}

fn as_bytes(v: &Value) -> Result<Vec<u8>, NativeError> {
    match v {
        Value::Vector(items) => items
            .iter()
            .map(|i| match i {
                Value::U8(b) => Ok(*b),
                other => Err(NativeError::Invariant(format!(
                    "expected vector<u8>, found element {}",
                    kind(other)
                ))),
            })
            .collect(),
        Value::Ref(r) => as_bytes(&r.read().map_err(NativeError::Invariant)?),
        other => Err(NativeError::Invariant(format!(
            "expected vector<u8>, got {}",
            kind(other)
        ))),
    }
}

fn bytes_value(bytes: &[u8]) -> Value {
    Value::Vector(bytes.iter().map(|b| Value::U8(*b)).collect())
}

fn with_vec_mut<R>(
    r: &Reference,
    f: impl FnOnce(&mut Vec<Value>) -> Result<R, NativeError>,
) -> Result<R, NativeError> {
    let mut out = None;
    let mut err = None;
    r.with_mut(|v| match v {
        Value::Vector(items) => {
            match f(items) {
                Ok(x) => out = Some(x),
                Err(e) => err = Some(e),
            }
            Ok(())
        }
        other => Err(format!("expected a vector, got {}", kind(other))),
    })
    .map_err(NativeError::Invariant)?;
    match (out, err) {
        (Some(x), _) => Ok(x),
        (None, Some(e)) => Err(e),
        (None, None) => Err(NativeError::Invariant("vector closure not run".to_string())),
    }
}

fn vec_len(r: &Reference) -> Result<usize, NativeError> {
    r.with(|v| match v {
        Value::Vector(items) => Ok(items.len()),
        other => Err(format!("expected a vector, got {}", kind(other))),
    })
    .map_err(NativeError::Invariant)
}

fn index(i: u64, len: usize) -> Result<usize, NativeError> {
    usize::try_from(i)
        .ok()
        .filter(|i| *i < len)
        .ok_or_else(|| NativeError::Vector(format!("index {i} out of bounds (len {len})")))
}

fn vector_length(
    _: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let mut args = arity(args, 1)?;
    let r = as_ref(args.remove(0))?;
    Ok(vec![Value::U64(vec_len(&r)? as u64)])
}

fn vector_borrow(args: Vec<Value>, mutable: bool) -> Result<Vec<Value>, NativeError> {
    let mut args = arity(args, 2)?;
    let i = as_u64(&args[1])?;
    let r = as_ref(args.remove(0))?;
    let i = index(i, vec_len(&r)?)?;
    Ok(vec![Value::Ref(r.child(i, mutable))])
}

fn vector_push_back(
    _: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let mut args = arity(args, 2)?;
    let elem = args.remove(1);
    let r = as_ref(args.remove(0))?;
    with_vec_mut(&r, |items| {
        items.push(elem);
        Ok(())
    })?;
    Ok(vec![])
}

fn vector_pop_back(
    _: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let mut args = arity(args, 1)?;
    let r = as_ref(args.remove(0))?;
    let v = with_vec_mut(&r, |items| {
        items
            .pop()
            .ok_or_else(|| NativeError::Vector("pop from an empty vector".to_string()))
    })?;
    Ok(vec![v])
}

fn vector_destroy_empty(
    _: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    match arity(args, 1)?.first() {
        Some(Value::Vector(items)) if items.is_empty() => Ok(vec![]),
        Some(Value::Vector(items)) => Err(NativeError::Vector(format!(
            "destroy_empty on a vector of length {}",
            items.len()
        ))),
        _ => Err(NativeError::Invariant("expected a vector".to_string())),
    }
}

fn vector_swap(
    _: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let mut args = arity(args, 3)?;
    let (i, j) = (as_u64(&args[1])?, as_u64(&args[2])?);
    let r = as_ref(args.remove(0))?;
    with_vec_mut(&r, |items| {
        let (i, j) = (index(i, items.len())?, index(j, items.len())?);
        items.swap(i, j);
        Ok(())
    })?;
    Ok(vec![])
}

/// `move_range(from, removal_position, length, to, insert_position)`: moves
/// `from[removal_position..removal_position + length]` into `to` at `insert_position`.
fn vector_move_range(
    _: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let mut args = arity(args, 5)?;
    let insert = as_u64(&args[4])?;
    let length = as_u64(&args[2])?;
    let removal = as_u64(&args[1])?;
    let to = as_ref(args.remove(3))?;
    let from = as_ref(args.remove(0))?;
    let from_len = vec_len(&from)? as u64;
    let to_len = vec_len(&to)? as u64;
    let end = removal.checked_add(length);
    if end.is_none_or(|e| e > from_len) || insert > to_len {
        return Err(NativeError::Vector(format!(
            "move_range [{removal}, +{length}) of len {from_len} into position {insert} of len {to_len}"
        )));
    }
    // Bounds were checked against lengths that fit in usize.
    let (removal, length, insert) = (removal as usize, length as usize, insert as usize);
    let moved: Vec<Value> = with_vec_mut(&from, |items| {
        Ok(items.drain(removal..removal + length).collect())
    })?;
    with_vec_mut(&to, |items| {
        items.splice(insert..insert, moved);
        Ok(())
    })?;
    Ok(vec![])
}

fn signer_borrow_address(
    _: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let mut args = arity(args, 1)?;
    let r = as_ref(args.remove(0))?;
    match r.read().map_err(NativeError::Invariant)? {
        // The address inside a signer is immutable, so a reference to a copy is
        // indistinguishable from a reference into the signer.
        Value::Signer(a) => Ok(vec![Value::Ref(Reference::to_fresh(
            Value::Address(a),
            false,
        ))]),
        other => Err(NativeError::Invariant(format!(
            "expected &signer, got &{}",
            kind(&other)
        ))),
    }
}

fn bcs_bytes(ctx: &mut NativeContext<'_>, args: Vec<Value>) -> Result<Vec<u8>, NativeError> {
    let mut args = arity(args, 1)?;
    let r = as_ref(args.remove(0))?;
    let bytes =
        to_bcs(&r.read().map_err(NativeError::Invariant)?).map_err(NativeError::Invariant)?;
    ctx.charge_bytes(bytes.len())?;
    Ok(bytes)
}

fn bcs_to_bytes(
    ctx: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    Ok(vec![bytes_value(&bcs_bytes(ctx, args)?)])
}

fn bcs_serialized_size(
    ctx: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    Ok(vec![Value::U64(bcs_bytes(ctx, args)?.len() as u64)])
}

fn hash(
    ctx: &mut NativeContext<'_>,
    args: Vec<Value>,
    f: fn(&[u8]) -> Vec<u8>,
) -> Result<Vec<Value>, NativeError> {
    let args = arity(args, 1)?;
    let bytes = as_bytes(&args[0])?;
    ctx.charge_bytes(bytes.len())?;
    Ok(vec![bytes_value(&f(&bytes))])
}

fn string_check_utf8(
    ctx: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let args = arity(args, 1)?;
    let bytes = as_bytes(&args[0])?;
    ctx.charge_bytes(bytes.len())?;
    Ok(vec![Value::Bool(std::str::from_utf8(&bytes).is_ok())])
}

fn string_is_char_boundary(
    _: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let args = arity(args, 2)?;
    let bytes = as_bytes(&args[0])?;
    let i = as_u64(&args[1])?;
    let ok = match usize::try_from(i) {
        Ok(i) if i == bytes.len() => true,
        Ok(i) if i < bytes.len() => bytes[i] & 0xC0 != 0x80,
        _ => false,
    };
    Ok(vec![Value::Bool(ok)])
}

fn string_sub_string(
    ctx: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let args = arity(args, 3)?;
    let bytes = as_bytes(&args[0])?;
    let (i, j) = (as_u64(&args[1])?, as_u64(&args[2])?);
    let range = usize::try_from(i)
        .ok()
        .zip(usize::try_from(j).ok())
        .filter(|(i, j)| i <= j && *j <= bytes.len())
        .ok_or_else(|| {
            NativeError::Vector(format!("sub_string({i}, {j}) of length {}", bytes.len()))
        })?;
    ctx.charge_bytes(range.1 - range.0)?;
    Ok(vec![bytes_value(&bytes[range.0..range.1])])
}

fn string_index_of(
    ctx: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let args = arity(args, 2)?;
    let hay = as_bytes(&args[0])?;
    let needle = as_bytes(&args[1])?;
    ctx.charge_bytes(hay.len())?;
    let pos = if needle.is_empty() {
        0
    } else {
        hay.windows(needle.len())
            .position(|w| w == needle.as_slice())
            .unwrap_or(hay.len())
    };
    Ok(vec![Value::U64(pos as u64)])
}

/// `from_bcs::from_bytes<T>(vector<u8>): T`: decodes BCS with the layout of `T`.
fn from_bcs_from_bytes(
    ctx: &mut NativeContext<'_>,
    ty_args: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let args = arity(args, 1)?;
    let [ty] = ty_args else {
        return Err(NativeError::Invariant(
            "from_bytes expects one type argument".into(),
        ));
    };
    let bytes = as_bytes(&args[0])?;
    ctx.charge_bytes(bytes.len())?;
    let layout = (ctx.layout)(ty).map_err(NativeError::Invariant)?;
    if matches!(layout, Layout::Signer) {
        return Err(NativeError::Invariant(
            "cannot create a signer from bytes".into(),
        ));
    }
    from_bcs(&bytes, &layout)
        .map(|v| vec![v])
        .map_err(|_| NativeError::Abort(FROM_BCS_ABORT_CODE))
}

/// `cmp::compare<T>(&T, &T): Ordering`, where `Ordering` is the enum
/// `{ Less, Equal, Greater }` (variant indices 0, 1, 2).
fn cmp_compare(
    _: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let mut args = arity(args, 2)?;
    let b = as_ref(args.remove(1))?
        .read()
        .map_err(NativeError::Invariant)?;
    let a = as_ref(args.remove(0))?
        .read()
        .map_err(NativeError::Invariant)?;
    let tag = match compare_values(&a, &b).map_err(NativeError::Invariant)? {
        std::cmp::Ordering::Less => 0,
        std::cmp::Ordering::Equal => 1,
        std::cmp::Ordering::Greater => 2,
    };
    Ok(vec![Value::Variant(tag, vec![])])
}

/// The total order Move's `cmp::compare` defines: integers and booleans by value, addresses
/// and signers by their bytes, vectors, structs and variant fields lexicographically (a
/// shorter prefix first), enums by variant index before fields.
pub fn compare_values(a: &Value, b: &Value) -> Result<std::cmp::Ordering, String> {
    use std::cmp::Ordering;
    fn seq(a: &[Value], b: &[Value]) -> Result<Ordering, String> {
        for (x, y) in a.iter().zip(b) {
            let o = compare_values(x, y)?;
            if o != Ordering::Equal {
                return Ok(o);
            }
        }
        Ok(a.len().cmp(&b.len()))
    }
    Ok(match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::U8(x), Value::U8(y)) => x.cmp(y),
        (Value::U16(x), Value::U16(y)) => x.cmp(y),
        (Value::U32(x), Value::U32(y)) => x.cmp(y),
        (Value::U64(x), Value::U64(y)) => x.cmp(y),
        (Value::U128(x), Value::U128(y)) => x.cmp(y),
        (Value::U256(x), Value::U256(y)) => x.cmp(y),
        (Value::Address(x), Value::Address(y)) | (Value::Signer(x), Value::Signer(y)) => x.cmp(y),
        (Value::Vector(x), Value::Vector(y)) | (Value::Struct(x), Value::Struct(y)) => seq(x, y)?,
        (Value::Variant(tx, x), Value::Variant(ty, y)) => match tx.cmp(ty) {
            Ordering::Equal => seq(x, y)?,
            other => other,
        },
        (Value::Ref(x), Value::Ref(y)) => compare_values(&x.read()?, &y.read()?)?,
        (x, y) => return Err(format!("cannot compare {} with {}", kind(x), kind(y))),
    })
}
