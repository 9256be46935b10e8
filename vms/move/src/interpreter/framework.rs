//! Natives of the Initia framework modules at `0x1` that a minitia needs: `type_info`,
//! `event`, `block`, `base64`, `keccak`, `table`, `account` (address/signer creation),
//! `object::exists_at`, and `coin`: the host's bank coins as fungible assets.
//!
//! Abort codes were checked against Initia's VM by the differential suite
//! (`tests/move-src/sources/d_framework.move`): bad input aborts with
//! `error::invalid_argument(100)` (`0x1_0064`), a missing table entry with
//! `error::invalid_argument(101)`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use sha3::Digest;

use crate::file_format::AccountAddress;
use crate::interpreter::natives::{NativeContext, NativeError, NativeFn};
use crate::interpreter::storage::Storage;
use crate::interpreter::value::{from_bcs, kind, to_bcs, Reference, Value};
use crate::types::{StructTag, Type, TypeTag};

/// `error::invalid_argument(100)`: invalid input to a native (duplicate table key,
/// non-struct type for `type_of`, undecodable base64, bad address bytes).
pub const EINVALID_ARGUMENT: u64 = 0x1_0064;
/// `error::invalid_argument(101)`: missing table entry.
pub const ENOT_FOUND: u64 = 0x1_0065;

/// `error::not_found(1)`: no coin has this metadata address.
pub const ECOIN_NOT_FOUND: u64 = 0x6_0001;
/// `error::invalid_argument(4)`: the balance is smaller than the amount withdrawn (Initia's
/// `fungible_asset::EINSUFFICIENT_BALANCE`).
pub const EINSUFFICIENT_BALANCE: u64 = 0x1_0004;
/// `error::invalid_argument(7)`: the host cannot keep coins at this address (a Cosmos bank
/// account is 20 bytes: the first 12 of the Move address must be zero).
pub const ENOT_COIN_ACCOUNT: u64 = 0x1_0007;
/// `error::out_of_range(5)`: a balance or deposit does not fit the bank's amount, or a
/// balance does not fit `u64` (Move's fungible-asset amount).
pub const EAMOUNT_OUT_OF_RANGE: u64 = 0x2_0005;

/// Coin balances a session changed: `(account, denom)` to `(balance read, new balance)`.
pub type CoinChangeSet = BTreeMap<(AccountAddress, String), (u128, u128)>;

#[derive(Debug)]
struct CoinSlot {
    original: u128,
    current: u128,
}

/// Facts about the current block and transaction, provided by the host. Natives read
/// nothing else, so execution stays deterministic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env {
    /// Block height.
    pub block_height: u64,
    /// Block time in nanoseconds since the Unix epoch (from the block header).
    pub block_time_nanos: u64,
    /// Chain id.
    pub chain_id: String,
    /// Hash of the transaction being executed; seeds fresh table handles.
    pub tx_hash: [u8; 32],
}

/// An event emitted with `0x1::event::emit_event`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The event's type.
    pub type_tag: TypeTag,
    /// Its BCS encoding.
    pub data: Vec<u8>,
}

/// Table entry writes of a session: `(table handle, BCS key)` to `Some(BCS value)` or
/// `None` to delete.
pub type TableChangeSet = BTreeMap<(AccountAddress, Vec<u8>), Option<Vec<u8>>>;

#[derive(Debug)]
struct TableSlot {
    original: Option<Vec<u8>>,
    current: Option<Rc<RefCell<Value>>>,
}

/// Per-session state of the framework natives.
#[derive(Debug, Default)]
pub struct Extensions {
    /// Block and transaction facts.
    pub env: Env,
    /// Events in emission order.
    pub events: Vec<Event>,
    tables: BTreeMap<(AccountAddress, Vec<u8>), TableSlot>,
    handles_created: u64,
    coins: BTreeMap<(AccountAddress, String), CoinSlot>,
    denoms: BTreeMap<AccountAddress, Option<String>>,
}

impl Extensions {
    /// Fresh state for a session in `env`.
    pub fn new(env: Env) -> Self {
        Extensions {
            env,
            ..Default::default()
        }
    }

    /// Table entries whose bytes changed.
    pub fn table_changes(&self) -> Result<TableChangeSet, String> {
        let mut out = TableChangeSet::new();
        for (key, slot) in &self.tables {
            let now = match &slot.current {
                Some(cell) => Some(to_bcs(
                    &*cell
                        .try_borrow()
                        .map_err(|_| "table entry still borrowed".to_string())?,
                )?),
                None => None,
            };
            if now != slot.original {
                out.insert(key.clone(), now);
            }
        }
        Ok(out)
    }

    /// Coin balances whose value changed.
    pub fn coin_changes(&self) -> CoinChangeSet {
        self.coins
            .iter()
            .filter(|(_, s)| s.current != s.original)
            .map(|(k, s)| (k.clone(), (s.original, s.current)))
            .collect()
    }

    fn denom(
        &mut self,
        storage: &dyn Storage,
        metadata: AccountAddress,
    ) -> Result<Option<String>, NativeError> {
        if let Some(d) = self.denoms.get(&metadata) {
            return Ok(d.clone());
        }
        let d = storage
            .coin_denom(&metadata)
            .map_err(|reason| NativeError::Vm(crate::errors::VmError::Storage { reason }))?;
        self.denoms.insert(metadata, d.clone());
        Ok(d)
    }

    fn coin(
        &mut self,
        storage: &dyn Storage,
        account: AccountAddress,
        denom: String,
    ) -> Result<&mut CoinSlot, NativeError> {
        let k = (account, denom);
        if !self.coins.contains_key(&k) {
            let original = storage
                .coin_balance(&account, &k.1)
                .map_err(|reason| NativeError::Vm(crate::errors::VmError::Storage { reason }))?
                .ok_or(NativeError::Abort(ENOT_COIN_ACCOUNT))?;
            self.coins.insert(
                k.clone(),
                CoinSlot {
                    original,
                    current: original,
                },
            );
        }
        self.coins
            .get_mut(&k)
            .ok_or_else(|| NativeError::Invariant("coin slot vanished".into()))
    }

    fn slot(
        &mut self,
        ctx_storage: &dyn Storage,
        handle: AccountAddress,
        key: Vec<u8>,
        decode: &dyn Fn(&[u8]) -> Result<Value, String>,
    ) -> Result<&mut TableSlot, NativeError> {
        let k = (handle, key);
        if !self.tables.contains_key(&k) {
            let original = ctx_storage
                .get_table_item(&handle, &k.1)
                .map_err(|reason| NativeError::Vm(crate::errors::VmError::Storage { reason }))?;
            let current =
                match &original {
                    Some(bytes) => Some(Rc::new(RefCell::new(decode(bytes).map_err(|e| {
                        NativeError::Invariant(format!("stored table entry: {e}"))
                    })?))),
                    None => None,
                };
            self.tables
                .insert(k.clone(), TableSlot { original, current });
        }
        self.tables
            .get_mut(&k)
            .ok_or_else(|| NativeError::Invariant("table slot vanished".into()))
    }
}

/// The implementation of `0x1::module::function` among the framework natives.
pub fn find(module: &str, function: &str) -> Option<NativeFn> {
    let f: NativeFn = match (module, function) {
        ("type_info", "type_of") => type_of,
        ("type_info", "type_name") => type_name,
        ("event", "emit_event") => emit_event,
        ("block", "get_block_info") => |ctx, _, _| {
            let e = &ctx.ext.env;
            Ok(vec![
                Value::U64(e.block_height),
                Value::U64(e.block_time_nanos / 1_000_000_000),
            ])
        },
        ("block", "get_block_info_nanos") => |ctx, _, _| {
            let e = &ctx.ext.env;
            Ok(vec![
                Value::U64(e.block_height),
                Value::U64(e.block_time_nanos),
            ])
        },
        ("block", "get_chain_id") => |ctx, _, _| Ok(vec![string(ctx.ext.env.chain_id.as_bytes())]),
        ("base64", "encode") => base64_encode,
        ("base64", "decode") => base64_decode,
        ("keccak", "keccak256") => |ctx, _, args| {
            let data = bytes_arg(args, 0)?;
            ctx.charge_bytes(data.len())?;
            Ok(vec![bytes(&sha3::Keccak256::digest(&data))])
        },
        ("account", "create_address") => |_, _, args| {
            let data = bytes_arg(args, 0)?;
            let addr: AccountAddress = data
                .as_slice()
                .try_into()
                .map_err(|_| NativeError::Abort(EINVALID_ARGUMENT))?;
            Ok(vec![Value::Address(addr)])
        },
        ("account", "create_signer") => |_, _, args| match args.into_iter().next() {
            Some(Value::Address(a)) => Ok(vec![Value::Signer(a)]),
            _ => Err(NativeError::Invariant(
                "create_signer expects an address".into(),
            )),
        },
        ("object", "exists_at") => object_exists_at,
        ("coin", "native_balance") => coin_balance,
        ("coin", "native_withdraw") => |ctx, _, args| coin_move(ctx, args, false),
        ("coin", "native_deposit") => |ctx, _, args| coin_move(ctx, args, true),
        ("coin", "native_denom") => |ctx, _, args| {
            let metadata = address_arg(&args, 0)?;
            match ctx.ext.denom(ctx.storage, metadata)? {
                Some(d) => Ok(vec![string(d.as_bytes())]),
                None => Err(NativeError::Abort(ECOIN_NOT_FOUND)),
            }
        },
        ("coin", "native_is_coin") => |ctx, _, args| {
            let metadata = address_arg(&args, 0)?;
            Ok(vec![Value::Bool(
                ctx.ext.denom(ctx.storage, metadata)?.is_some(),
            )])
        },
        ("table", "new_table_handle") => new_table_handle,
        ("table", "add_box") => add_box,
        ("table", "borrow_box") => |ctx, tys, args| borrow_box(ctx, tys, args, false),
        ("table", "borrow_box_mut") => |ctx, tys, args| borrow_box(ctx, tys, args, true),
        ("table", "contains_box") => contains_box,
        ("table", "remove_box") => remove_box,
        ("table", "destroy_empty_box") | ("table", "drop_unchecked_box") => |_, _, _| Ok(vec![]),
        _ => return None,
    };
    Some(f)
}

fn bytes(b: &[u8]) -> Value {
    Value::Vector(b.iter().map(|x| Value::U8(*x)).collect())
}

/// A `0x1::string::String` value.
fn string(b: &[u8]) -> Value {
    Value::Struct(vec![bytes(b)])
}

fn value_bytes(v: &Value) -> Result<Vec<u8>, NativeError> {
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
        other => Err(NativeError::Invariant(format!(
            "expected vector<u8>, got {}",
            kind(other)
        ))),
    }
}

fn bytes_arg(args: Vec<Value>, i: usize) -> Result<Vec<u8>, NativeError> {
    let v = args
        .get(i)
        .ok_or_else(|| NativeError::Invariant(format!("missing argument {i}")))?;
    value_bytes(v)
}

fn ty_arg(tys: &[Type], i: usize) -> Result<&Type, NativeError> {
    tys.get(i)
        .ok_or_else(|| NativeError::Invariant(format!("missing type argument {i}")))
}

fn type_of(
    _: &mut NativeContext<'_>,
    tys: &[Type],
    _: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    match ty_arg(tys, 0)? {
        Type::Struct {
            module,
            name,
            type_args,
        } => {
            let mut struct_name = name.clone();
            if !type_args.is_empty() {
                let args: Vec<String> = type_args.iter().map(ToString::to_string).collect();
                struct_name = format!("{struct_name}<{}>", args.join(", "));
            }
            Ok(vec![Value::Struct(vec![
                Value::Address(module.address),
                bytes(module.name.as_bytes()),
                bytes(struct_name.as_bytes()),
            ])])
        }
        _ => Err(NativeError::Abort(EINVALID_ARGUMENT)),
    }
}

fn type_name(
    ctx: &mut NativeContext<'_>,
    tys: &[Type],
    _: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let name = ty_arg(tys, 0)?.to_string();
    ctx.charge_bytes(name.len())?;
    Ok(vec![string(name.as_bytes())])
}

fn emit_event(
    ctx: &mut NativeContext<'_>,
    tys: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let ty = ty_arg(tys, 0)?;
    let type_tag = ty
        .to_tag()
        .ok_or_else(|| NativeError::Invariant(format!("event type {ty} is not instantiated")))?;
    let msg = match args.into_iter().next() {
        Some(Value::Ref(r)) => r.read().map_err(NativeError::Invariant)?,
        _ => {
            return Err(NativeError::Invariant(
                "emit_event expects a reference".into(),
            ))
        }
    };
    let data = to_bcs(&msg).map_err(NativeError::Invariant)?;
    ctx.charge_bytes(data.len())?;
    ctx.ext.events.push(Event { type_tag, data });
    Ok(vec![])
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 section 4).
pub fn base64_encode_bytes(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                out.push(B64[((n >> shift) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    out
}

/// Decodes standard padded base64; `None` on any malformed input.
pub fn base64_decode_bytes(data: &[u8]) -> Option<Vec<u8>> {
    if !data.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| B64.iter().position(|x| *x == c).map(|p| p as u32);
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let chunks = data.len() / 4;
    for (ci, chunk) in data.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && ci + 1 != chunks) {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = if i >= 4 - pad { 0 } else { val(*c)? };
            n = (n << 6) | v;
        }
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Non-canonical trailing bits are rejected.
        if (pad == 1 && decoded[2] != 0) || (pad == 2 && decoded[1] != 0) {
            return None;
        }
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
}

fn base64_encode(
    ctx: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let data = bytes_arg(args, 0)?;
    ctx.charge_bytes(data.len())?;
    Ok(vec![bytes(&base64_encode_bytes(&data))])
}

fn base64_decode(
    ctx: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let data = bytes_arg(args, 0)?;
    ctx.charge_bytes(data.len())?;
    base64_decode_bytes(&data)
        .map(|d| vec![bytes(&d)])
        .ok_or(NativeError::Abort(EINVALID_ARGUMENT))
}

fn address_arg(args: &[Value], i: usize) -> Result<AccountAddress, NativeError> {
    match args.get(i) {
        Some(Value::Address(a)) => Ok(*a),
        other => Err(NativeError::Invariant(format!(
            "argument {i}: expected an address, got {other:?}"
        ))),
    }
}

fn u64_arg(args: &[Value], i: usize) -> Result<u64, NativeError> {
    match args.get(i) {
        Some(Value::U64(n)) => Ok(*n),
        other => Err(NativeError::Invariant(format!(
            "argument {i}: expected a u64, got {other:?}"
        ))),
    }
}

/// `coin::native_balance(account, metadata)`: 0 for a metadata address of no coin.
fn coin_balance(
    ctx: &mut NativeContext<'_>,
    _: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let (account, metadata) = (address_arg(&args, 0)?, address_arg(&args, 1)?);
    let Some(denom) = ctx.ext.denom(ctx.storage, metadata)? else {
        return Ok(vec![Value::U64(0)]);
    };
    let have = ctx.ext.coin(ctx.storage, account, denom)?.current;
    let have = u64::try_from(have).map_err(|_| NativeError::Abort(EAMOUNT_OUT_OF_RANGE))?;
    Ok(vec![Value::U64(have)])
}

/// `coin::native_withdraw` / `native_deposit(account, metadata, amount)`.
fn coin_move(
    ctx: &mut NativeContext<'_>,
    args: Vec<Value>,
    deposit: bool,
) -> Result<Vec<Value>, NativeError> {
    let (account, metadata) = (address_arg(&args, 0)?, address_arg(&args, 1)?);
    let amount = u128::from(u64_arg(&args, 2)?);
    let denom = ctx
        .ext
        .denom(ctx.storage, metadata)?
        .ok_or(NativeError::Abort(ECOIN_NOT_FOUND))?;
    let slot = ctx.ext.coin(ctx.storage, account, denom)?;
    slot.current = if deposit {
        slot.current
            .checked_add(amount)
            .ok_or(NativeError::Abort(EAMOUNT_OUT_OF_RANGE))?
    } else {
        slot.current
            .checked_sub(amount)
            .ok_or(NativeError::Abort(EINSUFFICIENT_BALANCE))?
    };
    Ok(vec![])
}

fn object_exists_at(
    ctx: &mut NativeContext<'_>,
    tys: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let Some(Value::Address(addr)) = args.first() else {
        return Err(NativeError::Invariant(
            "exists_at expects an address".into(),
        ));
    };
    let tag: StructTag = match ty_arg(tys, 0)?.to_tag() {
        Some(TypeTag::Struct(s)) => *s,
        _ => {
            return Err(NativeError::Invariant(
                "exists_at needs a struct type".into(),
            ))
        }
    };
    let layout = (ctx.layout)(ty_arg(tys, 0)?).map_err(NativeError::Invariant)?;
    let exists = ctx
        .data
        .exists(ctx.storage, *addr, &tag, &layout)
        .map_err(|reason| NativeError::Vm(crate::errors::VmError::Storage { reason }))?;
    Ok(vec![Value::Bool(exists)])
}

fn new_table_handle(
    ctx: &mut NativeContext<'_>,
    _: &[Type],
    _: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let ext = &mut *ctx.ext;
    ext.handles_created += 1;
    let mut h = sha3::Sha3_256::new();
    h.update(b"minitia-move table handle");
    h.update(ext.env.tx_hash);
    h.update(ext.handles_created.to_le_bytes());
    let digest: [u8; 32] = h.finalize().into();
    Ok(vec![Value::Address(digest)])
}

/// The handle of the `Table` behind `table_ref` and the BCS of `key`.
fn table_key(table: &Value, key: Option<&Value>) -> Result<(AccountAddress, Vec<u8>), NativeError> {
    let handle = match table {
        Value::Ref(r) => match r.read().map_err(NativeError::Invariant)? {
            Value::Struct(fields) => match fields.first() {
                Some(Value::Address(a)) => *a,
                _ => return Err(NativeError::Invariant("malformed Table value".into())),
            },
            other => {
                return Err(NativeError::Invariant(format!(
                    "expected a Table, got {}",
                    kind(&other)
                )))
            }
        },
        Value::Struct(fields) => match fields.first() {
            Some(Value::Address(a)) => *a,
            _ => return Err(NativeError::Invariant("malformed Table value".into())),
        },
        other => {
            return Err(NativeError::Invariant(format!(
                "expected a Table reference, got {}",
                kind(other)
            )))
        }
    };
    let key = match key {
        Some(k) => to_bcs(k).map_err(NativeError::Invariant)?,
        None => vec![],
    };
    Ok((handle, key))
}

/// Loads the slot of `(table, key)`; the entry's type is the third type argument (`Box<V>`).
fn table_slot<'c>(
    ctx: &'c mut NativeContext<'_>,
    tys: &[Type],
    table: &Value,
    key: &Value,
) -> Result<&'c mut TableSlot, NativeError> {
    let (handle, key) = table_key(table, Some(key))?;
    ctx.charge_bytes(key.len())?;
    let layout = (ctx.layout)(ty_arg(tys, 2)?).map_err(NativeError::Invariant)?;
    let decode = move |b: &[u8]| from_bcs(b, &layout);
    ctx.ext.slot(ctx.storage, handle, key, &decode)
}

fn add_box(
    ctx: &mut NativeContext<'_>,
    tys: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let [table, key, value]: [Value; 3] = args
        .try_into()
        .map_err(|_| NativeError::Invariant("add_box expects 3 arguments".into()))?;
    let slot = table_slot(ctx, tys, &table, &key)?;
    if slot.current.is_some() {
        return Err(NativeError::Abort(EINVALID_ARGUMENT));
    }
    slot.current = Some(Rc::new(RefCell::new(value)));
    Ok(vec![])
}

fn borrow_box(
    ctx: &mut NativeContext<'_>,
    tys: &[Type],
    args: Vec<Value>,
    mutable: bool,
) -> Result<Vec<Value>, NativeError> {
    let [table, key]: [Value; 2] = args
        .try_into()
        .map_err(|_| NativeError::Invariant("borrow_box expects 2 arguments".into()))?;
    let slot = table_slot(ctx, tys, &table, &key)?;
    match &slot.current {
        Some(cell) => Ok(vec![Value::Ref(Reference::new(cell.clone(), mutable))]),
        None => Err(NativeError::Abort(ENOT_FOUND)),
    }
}

fn contains_box(
    ctx: &mut NativeContext<'_>,
    tys: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let [table, key]: [Value; 2] = args
        .try_into()
        .map_err(|_| NativeError::Invariant("contains_box expects 2 arguments".into()))?;
    let slot = table_slot(ctx, tys, &table, &key)?;
    Ok(vec![Value::Bool(slot.current.is_some())])
}

fn remove_box(
    ctx: &mut NativeContext<'_>,
    tys: &[Type],
    args: Vec<Value>,
) -> Result<Vec<Value>, NativeError> {
    let [table, key]: [Value; 2] = args
        .try_into()
        .map_err(|_| NativeError::Invariant("remove_box expects 2 arguments".into()))?;
    let slot = table_slot(ctx, tys, &table, &key)?;
    match slot.current.take() {
        Some(cell) => {
            let v = cell
                .try_borrow()
                .map_err(|_| NativeError::Invariant("table entry is borrowed".into()))?
                .clone();
            Ok(vec![v])
        }
        None => Err(NativeError::Abort(ENOT_FOUND)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_rejects_garbage() {
        for data in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            let enc = base64_encode_bytes(data);
            assert_eq!(base64_decode_bytes(&enc).as_deref(), Some(data));
        }
        assert_eq!(base64_encode_bytes(b"foobar"), b"Zm9vYmFy");
        assert_eq!(base64_encode_bytes(b"fo"), b"Zm8=");
        for bad in [&b"!!!"[..], b"Zm9", b"Z===", b"Zm=v", b"Zm9=Zm9v", b"Zm9="] {
            // "Zm9=" decodes non-canonically (trailing bits set).
            assert_eq!(
                base64_decode_bytes(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
