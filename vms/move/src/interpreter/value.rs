//! Runtime values, references and their BCS encoding.
//!
//! References are (root cell, path) pairs: the root is the shared cell of a local or a
//! global resource, the path the sequence of field / element / variant-field positions
//! leading to the referenced value. This keeps the implementation free of `unsafe` while
//! giving Move's reference semantics for well-typed code; ill-typed accesses are reported
//! as errors rather than panics.

use std::cell::RefCell;
use std::rc::Rc;

use crate::file_format::{AccountAddress, ADDRESS_LENGTH};
use crate::u256::U256;

/// A Move value on the operand stack or in a local.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum Value {
    Bool(bool),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    U128(u128),
    U256(U256),
    Address(AccountAddress),
    Signer(AccountAddress),
    Vector(Vec<Value>),
    /// A struct: its fields in declaration order.
    Struct(Vec<Value>),
    /// An enum value: variant index and fields.
    Variant(u16, Vec<Value>),
    Ref(Reference),
    /// The content of a local that was moved out or never set.
    Invalid,
}

/// A reference into a local or a global resource.
#[derive(Clone, Debug)]
pub struct Reference {
    root: Rc<RefCell<Value>>,
    path: Vec<usize>,
    mutable: bool,
}

impl PartialEq for Reference {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.root, &other.root) && self.path == other.path
    }
}

/// Why a value or reference operation failed (mapped to a VM error by the caller).
pub type ValueResult<T> = Result<T, String>;

impl Reference {
    /// A reference to the whole content of `root`.
    pub fn new(root: Rc<RefCell<Value>>, mutable: bool) -> Self {
        Reference {
            root,
            path: Vec::new(),
            mutable,
        }
    }

    /// A reference to a fresh cell holding `v` (used for values that have no home, e.g.
    /// a signer argument passed by reference).
    pub fn to_fresh(v: Value, mutable: bool) -> Self {
        Reference::new(Rc::new(RefCell::new(v)), mutable)
    }

    /// Whether this is a `&mut`.
    pub fn is_mutable(&self) -> bool {
        self.mutable
    }

    /// A reference to field/element `i` of the referenced value.
    pub fn child(&self, i: usize, mutable: bool) -> Reference {
        let mut path = self.path.clone();
        path.push(i);
        Reference {
            root: self.root.clone(),
            path,
            mutable: self.mutable && mutable,
        }
    }

    /// The same location as an immutable reference (`FreezeRef`).
    pub fn freeze(mut self) -> Reference {
        self.mutable = false;
        self
    }

    /// Runs `f` on the referenced value.
    pub fn with<R>(&self, f: impl FnOnce(&Value) -> ValueResult<R>) -> ValueResult<R> {
        let root = self
            .root
            .try_borrow()
            .map_err(|_| "reference target is mutably borrowed".to_string())?;
        let mut cur: &Value = &root;
        for &i in &self.path {
            cur = child(cur, i)?;
        }
        f(cur)
    }

    /// Runs `f` on the referenced value mutably.
    pub fn with_mut<R>(&self, f: impl FnOnce(&mut Value) -> ValueResult<R>) -> ValueResult<R> {
        if !self.mutable {
            return Err("write through an immutable reference".to_string());
        }
        let mut root = self
            .root
            .try_borrow_mut()
            .map_err(|_| "reference target is already borrowed".to_string())?;
        let mut cur: &mut Value = &mut root;
        for &i in &self.path {
            cur = child_mut(cur, i)?;
        }
        f(cur)
    }

    /// A copy of the referenced value (`ReadRef`).
    pub fn read(&self) -> ValueResult<Value> {
        self.with(|v| Ok(v.clone()))
    }

    /// Replaces the referenced value (`WriteRef`).
    pub fn write(&self, v: Value) -> ValueResult<()> {
        self.with_mut(|target| {
            *target = v;
            Ok(())
        })
    }
}

fn child(v: &Value, i: usize) -> ValueResult<&Value> {
    let items = match v {
        Value::Struct(f) | Value::Variant(_, f) | Value::Vector(f) => f,
        other => return Err(format!("cannot borrow position {i} inside {}", kind(other))),
    };
    items
        .get(i)
        .ok_or_else(|| format!("position {i} out of range (len {})", items.len()))
}

fn child_mut(v: &mut Value, i: usize) -> ValueResult<&mut Value> {
    let items = match v {
        Value::Struct(f) | Value::Variant(_, f) | Value::Vector(f) => f,
        other => return Err(format!("cannot borrow position {i} inside {}", kind(other))),
    };
    let len = items.len();
    items
        .get_mut(i)
        .ok_or_else(|| format!("position {i} out of range (len {len})"))
}

/// Short name of a value's shape for error messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::U8(_) => "u8",
        Value::U16(_) => "u16",
        Value::U32(_) => "u32",
        Value::U64(_) => "u64",
        Value::U128(_) => "u128",
        Value::U256(_) => "u256",
        Value::Address(_) => "address",
        Value::Signer(_) => "signer",
        Value::Vector(_) => "vector",
        Value::Struct(_) => "struct",
        Value::Variant(..) => "enum",
        Value::Ref(_) => "reference",
        Value::Invalid => "invalid (moved) value",
    }
}

/// Move equality: references compare the values they point to.
pub fn equals(a: &Value, b: &Value) -> ValueResult<bool> {
    match (a, b) {
        (Value::Ref(x), Value::Ref(y)) => {
            let xv = x.read()?;
            let yv = y.read()?;
            equals(&xv, &yv)
        }
        (Value::Ref(_), _) | (_, Value::Ref(_)) => {
            Err("comparing a reference with a non-reference".to_string())
        }
        (Value::Invalid, _) | (_, Value::Invalid) => Err("comparing a moved value".to_string()),
        _ if std::mem::discriminant(a) != std::mem::discriminant(b) => Err(format!(
            "comparing values of different types ({} and {})",
            kind(a),
            kind(b)
        )),
        _ => Ok(a == b),
    }
}

/// The layout of a value, needed to decode BCS bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Layout {
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    U256,
    Address,
    Signer,
    Vector(Box<Layout>),
    Struct(Vec<Layout>),
    Enum(Vec<Vec<Layout>>),
}

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let low = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// BCS-encodes a value (references encode their target; signers encode their address).
pub fn to_bcs(v: &Value) -> ValueResult<Vec<u8>> {
    let mut out = Vec::new();
    write_bcs(&mut out, v)?;
    Ok(out)
}

fn write_bcs(out: &mut Vec<u8>, v: &Value) -> ValueResult<()> {
    match v {
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::U8(x) => out.push(*x),
        Value::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::U128(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::U256(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Address(a) | Value::Signer(a) => out.extend_from_slice(a),
        Value::Vector(items) => {
            uleb(out, items.len() as u64);
            for item in items {
                write_bcs(out, item)?;
            }
        }
        Value::Struct(fields) => {
            for f in fields {
                write_bcs(out, f)?;
            }
        }
        Value::Variant(tag, fields) => {
            uleb(out, u64::from(*tag));
            for f in fields {
                write_bcs(out, f)?;
            }
        }
        Value::Ref(r) => {
            let target = r.read()?;
            write_bcs(out, &target)?;
        }
        Value::Invalid => return Err("serializing a moved value".to_string()),
    }
    Ok(())
}

/// Decodes BCS bytes with the given layout; all bytes must be consumed.
pub fn from_bcs(bytes: &[u8], layout: &Layout) -> ValueResult<Value> {
    let mut pos = 0;
    let v = read_bcs(bytes, &mut pos, layout, 0)?;
    if pos != bytes.len() {
        return Err(format!(
            "{} trailing byte(s) after BCS value",
            bytes.len() - pos
        ));
    }
    Ok(v)
}

const MAX_BCS_DEPTH: usize = 128;

fn take<'a>(bytes: &'a [u8], pos: &mut usize, n: usize) -> ValueResult<&'a [u8]> {
    let end = pos
        .checked_add(n)
        .filter(|e| *e <= bytes.len())
        .ok_or_else(|| format!("BCS input truncated at offset {}", *pos))?;
    let s = &bytes[*pos..end];
    *pos = end;
    Ok(s)
}

fn arr<const N: usize>(bytes: &[u8], pos: &mut usize) -> ValueResult<[u8; N]> {
    let mut a = [0u8; N];
    a.copy_from_slice(take(bytes, pos, N)?);
    Ok(a)
}

fn read_uleb(bytes: &[u8], pos: &mut usize) -> ValueResult<u64> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = take(bytes, pos, 1)?[0];
        value |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return if value > u64::from(u32::MAX) {
                Err("BCS length exceeds u32".to_string())
            } else {
                Ok(value)
            };
        }
    }
    Err("BCS ULEB128 too long".to_string())
}

fn read_bcs(bytes: &[u8], pos: &mut usize, layout: &Layout, depth: usize) -> ValueResult<Value> {
    if depth > MAX_BCS_DEPTH {
        return Err("BCS value nests too deeply".to_string());
    }
    Ok(match layout {
        Layout::Bool => match take(bytes, pos, 1)?[0] {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            b => return Err(format!("invalid BCS bool {b}")),
        },
        Layout::U8 => Value::U8(take(bytes, pos, 1)?[0]),
        Layout::U16 => Value::U16(u16::from_le_bytes(arr(bytes, pos)?)),
        Layout::U32 => Value::U32(u32::from_le_bytes(arr(bytes, pos)?)),
        Layout::U64 => Value::U64(u64::from_le_bytes(arr(bytes, pos)?)),
        Layout::U128 => Value::U128(u128::from_le_bytes(arr(bytes, pos)?)),
        Layout::U256 => Value::U256(U256::from_le_bytes(arr(bytes, pos)?)),
        Layout::Address => Value::Address(arr::<ADDRESS_LENGTH>(bytes, pos)?),
        Layout::Signer => Value::Signer(arr::<ADDRESS_LENGTH>(bytes, pos)?),
        Layout::Vector(elem) => {
            let n = read_uleb(bytes, pos)?;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(read_bcs(bytes, pos, elem, depth + 1)?);
            }
            Value::Vector(items)
        }
        Layout::Struct(fields) => Value::Struct(
            fields
                .iter()
                .map(|f| read_bcs(bytes, pos, f, depth + 1))
                .collect::<ValueResult<_>>()?,
        ),
        Layout::Enum(variants) => {
            let tag = read_uleb(bytes, pos)?;
            let fields = usize::try_from(tag)
                .ok()
                .and_then(|t| variants.get(t))
                .ok_or_else(|| format!("BCS variant tag {tag} out of range"))?;
            let values = fields
                .iter()
                .map(|f| read_bcs(bytes, pos, f, depth + 1))
                .collect::<ValueResult<_>>()?;
            Value::Variant(tag as u16, values)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcs_round_trip_nested() {
        let v = Value::Struct(vec![
            Value::U64(7),
            Value::Vector(vec![Value::U8(1), Value::U8(2)]),
            Value::Variant(1, vec![Value::Bool(true)]),
        ]);
        let layout = Layout::Struct(vec![
            Layout::U64,
            Layout::Vector(Box::new(Layout::U8)),
            Layout::Enum(vec![vec![], vec![Layout::Bool]]),
        ]);
        let bytes = to_bcs(&v).unwrap();
        assert_eq!(bytes, vec![7, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 1]);
        assert_eq!(from_bcs(&bytes, &layout).unwrap(), v);
        assert!(from_bcs(&bytes[..5], &layout).is_err());
        assert!(from_bcs(&[2], &Layout::Bool).is_err());
    }

    #[test]
    fn references_read_and_write_through_paths() {
        let root = Rc::new(RefCell::new(Value::Struct(vec![
            Value::U8(1),
            Value::Vector(vec![Value::U64(5), Value::U64(6)]),
        ])));
        let r = Reference::new(root.clone(), true);
        let elem = r.child(1, true).child(0, true);
        assert_eq!(elem.read().unwrap(), Value::U64(5));
        elem.write(Value::U64(9)).unwrap();
        assert_eq!(
            *root.borrow(),
            Value::Struct(vec![
                Value::U8(1),
                Value::Vector(vec![Value::U64(9), Value::U64(6)])
            ])
        );
        assert!(elem.clone().freeze().write(Value::U64(1)).is_err());
        assert!(r.child(0, true).child(0, true).read().is_err());
    }
}
