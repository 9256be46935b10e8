//! The Move minitia: a [`minitia_app::Module`] that publishes modules and runs entry
//! functions, scripts and view functions with Initia's `initia.move.v1` messages.
//!
//! State layout (all under the chain's single commitment, metered through `Ctx`):
//!
//! | key | value |
//! | --- | --- |
//! | `move/code/` ‖ address(32) ‖ module name | module binary |
//! | `move/policy/` ‖ address(32) ‖ module name | upgrade policy (1 byte) |
//! | `move/res/` ‖ address(32) ‖ struct tag (text) | resource, BCS |
//! | `move/tbl/` ‖ table handle(32) ‖ BCS key | table entry, BCS |
//! | `move/session` | sessions run so far (u64 BE), seeds fresh table handles |
//!
//! Coins are the bank's own balances (`bank/bal/`): `0x1::coin` reads and moves them through
//! natives, so a Cosmos `MsgSend`, a bridge deposit or withdrawal, and a Move transfer all see
//! one balance. A coin's `Object<Metadata>` address is Initia's
//! `sha3_256(0x1 || denom || 0xFE)` ([`minitia_app::bank::denom_object_address`]).
//! Genesis installs the built-in `0x1` framework ([`stdlib`]) before any genesis modules.
//!
//! Account addresses (20 bytes) are left-padded with zeros to Move's 32 bytes, as on Initia.
//! Modules are verified when published; stored code is only bounds-checked when loaded.
//! Decoded modules are memoised by the SHA-256 of their bytes, so the memo can never serve
//! stale code (it is content-addressed) and execution stays deterministic.

pub mod args;
pub mod proto;
pub mod stdlib;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use cosmrs::Any;
use minitia_app::{
    auth, bank,
    config::AppConfig,
    ctx::Ctx,
    errors::{code, sdk, ExecError, ExecResult},
    module::{decode_query, parse_addr, unpack, Module, QueryCtx, QueryError},
};
use minitia_core::{Address, Event, TxError};
use prost::Message;
use sha2::Digest;

use crate::file_format::{AccountAddress, CompiledModule, SignatureToken, Visibility};
use crate::interpreter::{Effects, Env, Session, Storage, Value};
use crate::loader::{dependencies, script_into_module, ModuleCache};
use crate::types::{short_address, ModuleId, StructTag, Type, TypeTag};
use crate::VmError;

use self::args::{from_account, parse_address, parse_type_tag, to_json};
use self::proto::*;

/// `MsgPublish` type URL.
pub const MSG_PUBLISH: &str = "/initia.move.v1.MsgPublish";
/// `MsgExecute` type URL.
pub const MSG_EXECUTE: &str = "/initia.move.v1.MsgExecute";
/// `MsgScript` type URL.
pub const MSG_SCRIPT: &str = "/initia.move.v1.MsgScript";
/// View-function query path.
pub const Q_VIEW_FUNCTION: &str = "/initia.move.v1.Query/ViewFunction";

/// Gas limit of a view-function query.
pub const VIEW_GAS_LIMIT: u64 = 5_000_000;
/// Most modules one execution may load.
const MAX_MODULES_PER_SESSION: usize = 1024;
/// Codespace of this module's errors.
pub const CODESPACE: &str = "move";

/// Error codes in the `move` codespace.
pub mod errcode {
    /// The binary is malformed or fails verification.
    pub const INVALID_MODULE: u32 = 2;
    /// A module's dependencies are missing or do not link.
    pub const LINK: u32 = 3;
    /// Move code aborted.
    pub const ABORTED: u32 = 4;
    /// Execution failed (arithmetic, vector, storage, invariant).
    pub const EXECUTION: u32 = 5;
    /// Bad message arguments (address, type argument, BCS argument, signer count).
    pub const INVALID_ARGUMENT: u32 = 6;
    /// Module or function not found, or not callable this way.
    pub const NOT_FOUND: u32 = 7;
    /// A re-publish that breaks layouts or public signatures, or of an immutable module.
    pub const INCOMPATIBLE_UPGRADE: u32 = 8;
}

fn err(code: u32, message: impl Into<String>) -> TxError {
    TxError::new(CODESPACE, code, message)
}

fn code_key(addr: &AccountAddress, name: &str) -> Vec<u8> {
    [b"move/code/".as_slice(), addr, name.as_bytes()].concat()
}

fn policy_key(addr: &AccountAddress, name: &str) -> Vec<u8> {
    [b"move/policy/".as_slice(), addr, name.as_bytes()].concat()
}

/// Key of resource `tag` at `addr`.
pub fn resource_key(addr: &AccountAddress, tag: &StructTag) -> Vec<u8> {
    [b"move/res/".as_slice(), addr, tag.to_string().as_bytes()].concat()
}

fn table_key(handle: &AccountAddress, key: &[u8]) -> Vec<u8> {
    [b"move/tbl/".as_slice(), handle, key].concat()
}

const SESSION_KEY: &[u8] = b"move/session";

/// Reads state for the VM; failures keep the chain error so out-of-gas and state errors are
/// reported as themselves rather than as VM storage errors.
trait Reader {
    fn read(&self, key: &[u8]) -> Result<Option<Vec<u8>>, String>;
}

struct CtxReader<'c, 'a> {
    ctx: RefCell<&'c mut Ctx<'a>>,
    failure: RefCell<Option<ExecError>>,
}

impl Reader for CtxReader<'_, '_> {
    fn read(&self, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let result = self.ctx.borrow_mut().get(key);
        result.map_err(|e| {
            let msg = e.to_string();
            self.failure.borrow_mut().get_or_insert(e);
            msg
        })
    }
}

struct ViewReader<'q> {
    q: &'q QueryCtx<'q>,
}

impl Reader for ViewReader<'_> {
    fn read(&self, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
        self.q.view.get(key).map_err(|e| e.to_string())
    }
}

/// [`Storage`] over a [`Reader`].
struct StateStorage<'r>(&'r dyn Reader);

impl Storage for StateStorage<'_> {
    fn get_resource(
        &self,
        address: &AccountAddress,
        tag: &StructTag,
    ) -> Result<Option<Vec<u8>>, String> {
        self.0.read(&resource_key(address, tag))
    }

    fn get_table_item(
        &self,
        handle: &AccountAddress,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, String> {
        self.0.read(&table_key(handle, key))
    }

    fn coin_denom(&self, metadata: &AccountAddress) -> Result<Option<String>, String> {
        self.0
            .read(&bank::denom_index_key(metadata))?
            .map(|d| String::from_utf8(d).map_err(|_| "stored denom is not UTF-8".to_string()))
            .transpose()
    }

    fn coin_balance(&self, account: &AccountAddress, denom: &str) -> Result<Option<u128>, String> {
        let Some(addr) = bank_account(account) else {
            return Ok(None);
        };
        match self.0.read(&bank::balance_key(&addr, denom))? {
            None => Ok(Some(0)),
            Some(b) => <[u8; 16]>::try_from(b.as_slice())
                .map(|b| Some(u128::from_be_bytes(b)))
                .map_err(|_| "stored amount is not 16 bytes".to_string()),
        }
    }
}

/// The bank account behind a Move address: its last 20 bytes, when the first 12 are zero.
fn bank_account(a: &AccountAddress) -> Option<Address> {
    if a[..12].iter().any(|b| *b != 0) {
        return None;
    }
    <[u8; 20]>::try_from(&a[12..]).ok().map(Address)
}

/// Whether a message may pass a value of `ty`: primitives, vectors of them, and Initia's
/// allowed structs. Any other struct would let a caller forge values only its module may
/// create (a `FungibleAsset` passed to a script, say).
fn is_arg_type(ty: &Type) -> bool {
    match ty {
        Type::Bool
        | Type::U8
        | Type::U16
        | Type::U32
        | Type::U64
        | Type::U128
        | Type::U256
        | Type::Address => true,
        Type::Vector(t) => is_arg_type(t),
        Type::Struct {
            module,
            name,
            type_args,
        } => {
            let std = module.address == crate::types::address_from_u64(1);
            match (module.name.as_str(), name.as_str()) {
                ("string", "String")
                | ("fixed_point32", "FixedPoint32")
                | ("fixed_point64", "FixedPoint64")
                | ("object", "Object")
                    if std =>
                {
                    true
                }
                ("option", "Option") if std => type_args.iter().all(is_arg_type),
                _ => false,
            }
        }
        Type::Signer | Type::Reference(_) | Type::MutableReference(_) | Type::TyParam(_) => false,
    }
}

/// What to run.
enum Target {
    Function { module: ModuleId, function: String },
    Script(Vec<u8>),
}

/// Outcome of a run.
struct Run {
    returns: Vec<(Type, Value)>,
    effects: Effects,
    gas_used: u64,
    cache: ModuleCache,
}

/// The Move module of a minitia.
#[derive(Debug, Default)]
pub struct MoveModule {
    decoded: Mutex<HashMap<[u8; 32], CompiledModule>>,
    /// Linked module sets by the content digests of their modules: a session that reads the
    /// same code again (every coin transfer reads the same ~10 framework modules) skips
    /// decoding and linking. Content-addressed, so never stale; reads still happen (gas and
    /// fraud-proof witnesses are unchanged).
    linked: Mutex<BTreeMap<LinkedKey, ModuleCache>>,
    /// Dependencies of stored modules by content digest.
    deps: Mutex<HashMap<[u8; 32], Vec<ModuleId>>>,
}

/// A linked module set's key: each module id with the SHA-256 of its bytes.
type LinkedKey = Vec<(ModuleId, [u8; 32])>;

/// Most linked module sets memoised (cleared when full).
const MAX_LINKED_SETS: usize = 256;

impl MoveModule {
    /// A module with an empty memo.
    pub fn new() -> Self {
        Self::default()
    }

    fn decode(&self, bytes: &[u8]) -> Result<CompiledModule, String> {
        self.decode_digest(bytes, sha2::Sha256::digest(bytes).into())
    }

    fn decode_digest(&self, bytes: &[u8], digest: [u8; 32]) -> Result<CompiledModule, String> {
        if let Ok(memo) = self.decoded.lock() {
            if let Some(m) = memo.get(&digest) {
                return Ok(m.clone());
            }
        }
        let m = crate::load_module(bytes).map_err(|e| e.to_string())?;
        if let Ok(mut memo) = self.decoded.lock() {
            memo.insert(digest, m.clone());
        }
        Ok(m)
    }

    /// A module cache with `extra` plus everything they and `roots` depend on, read from
    /// state.
    fn load_cache(
        &self,
        reader: &dyn Reader,
        roots: BTreeSet<ModuleId>,
        extra: Vec<CompiledModule>,
    ) -> Result<ModuleCache, TxError> {
        let memoise = extra.is_empty();
        let mut modules: BTreeMap<ModuleId, CompiledModule> = BTreeMap::new();
        let mut queue: Vec<ModuleId> = roots.into_iter().collect();
        for m in extra {
            queue.extend(dependencies(&m));
            modules.insert(ModuleId::of(&m), m);
        }
        // Every module the set needs is read (metered, witnessed) whether or not it is
        // memoised; only decoding and linking are skipped on a hit.
        let mut stored: BTreeMap<ModuleId, (Vec<u8>, [u8; 32])> = BTreeMap::new();
        while let Some(id) = queue.pop() {
            if modules.contains_key(&id) || stored.contains_key(&id) {
                continue;
            }
            if modules.len() + stored.len() >= MAX_MODULES_PER_SESSION {
                return Err(err(
                    errcode::LINK,
                    format!("more than {MAX_MODULES_PER_SESSION} modules needed"),
                ));
            }
            let bytes = reader
                .read(&code_key(&id.address, &id.name))
                .map_err(|e| err(errcode::LINK, e))?
                .ok_or_else(|| err(errcode::NOT_FOUND, format!("module {id} is not published")))?;
            let digest: [u8; 32] = sha2::Sha256::digest(&bytes).into();
            let deps = self
                .dependencies_of(&bytes, digest)
                .map_err(|e| err(errcode::INVALID_MODULE, format!("stored module {id}: {e}")))?;
            queue.extend(deps);
            stored.insert(id, (bytes, digest));
        }
        let key: Vec<(ModuleId, [u8; 32])> =
            stored.iter().map(|(id, (_, d))| (id.clone(), *d)).collect();
        if memoise {
            if let Some(cache) = self.linked.lock().ok().and_then(|m| m.get(&key).cloned()) {
                return Ok(cache);
            }
        }
        for (id, (bytes, digest)) in stored {
            let m = self
                .decode_digest(&bytes, digest)
                .map_err(|e| err(errcode::INVALID_MODULE, format!("stored module {id}: {e}")))?;
            modules.insert(id, m);
        }
        let mut cache = ModuleCache::new();
        cache
            .publish_bundle(modules.into_values().collect())
            .map_err(|e| err(errcode::LINK, format!("link error: {e}")))?;
        if memoise {
            if let Ok(mut memo) = self.linked.lock() {
                if memo.len() >= MAX_LINKED_SETS {
                    memo.clear();
                }
                memo.insert(key, cache.clone());
            }
        }
        Ok(cache)
    }

    /// The modules a stored module depends on (memoised by its digest).
    fn dependencies_of(&self, bytes: &[u8], digest: [u8; 32]) -> Result<Vec<ModuleId>, String> {
        if let Some(d) = self.deps.lock().ok().and_then(|m| m.get(&digest).cloned()) {
            return Ok(d);
        }
        let m = self.decode_digest(bytes, digest)?;
        let d: Vec<ModuleId> = dependencies(&m).into_iter().collect();
        if let Ok(mut memo) = self.deps.lock() {
            memo.insert(digest, d.clone());
        }
        Ok(d)
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        reader: &dyn Reader,
        env: Env,
        gas_limit: u64,
        target: Target,
        signers: &[AccountAddress],
        type_args: &[String],
        args: Vec<Vec<u8>>,
        require_entry: bool,
    ) -> Result<Run, TxError> {
        let ty_tags: Vec<TypeTag> = type_args
            .iter()
            .map(|t| {
                parse_type_tag(t)
                    .map_err(|e| err(errcode::INVALID_ARGUMENT, format!("type argument: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let ty_args: Vec<Type> = ty_tags.iter().map(Type::from_tag).collect();
        let (cache, script, module_for_params, fidx) = match &target {
            Target::Function { module, function } => {
                let cache = self.load_cache(reader, BTreeSet::from([module.clone()]), vec![])?;
                let loaded = cache
                    .get(module)
                    .cloned()
                    .ok_or_else(|| err(errcode::NOT_FOUND, format!("module {module} not found")))?;
                let fidx = loaded.function_index(function).ok_or_else(|| {
                    err(
                        errcode::NOT_FOUND,
                        format!("function {module}::{function} not found"),
                    )
                })?;
                let def = &loaded.module.function_defs[fidx.into_index()];
                if require_entry && !def.is_entry {
                    return Err(err(
                        errcode::NOT_FOUND,
                        format!("{module}::{function} is not an entry function"),
                    ));
                }
                if !require_entry && def.visibility != Visibility::Public {
                    return Err(err(
                        errcode::NOT_FOUND,
                        format!("{module}::{function} is not public"),
                    ));
                }
                (cache, None, loaded.module.clone(), fidx)
            }
            Target::Script(bytes) => {
                let script = crate::load_script(bytes)
                    .map_err(|e| err(errcode::INVALID_MODULE, format!("script: {e}")))?;
                let as_module = script_into_module(&script);
                crate::verifier::verify_module(&as_module).map_err(|e| {
                    err(errcode::INVALID_MODULE, format!("script verification: {e}"))
                })?;
                let cache = self.load_cache(reader, dependencies(&as_module), vec![])?;
                (
                    cache,
                    Some(script),
                    as_module,
                    crate::file_format::FunctionDefinitionIndex(0),
                )
            }
        };
        // Parameters: leading signers come from the message, the rest from BCS args.
        let handle = &module_for_params.function_handles[module_for_params.function_defs
            [fidx.into_index()]
        .function
        .into_index()];
        let params: Vec<SignatureToken> = module_for_params
            .signature(handle.parameters)
            .map(|s| s.0.clone())
            .unwrap_or_default();
        if handle.type_parameters.len() != ty_args.len() {
            return Err(err(
                errcode::INVALID_ARGUMENT,
                format!(
                    "expected {} type argument(s), got {}",
                    handle.type_parameters.len(),
                    ty_args.len()
                ),
            ));
        }
        let is_signer = |t: &SignatureToken| match t {
            SignatureToken::Signer => true,
            SignatureToken::Reference(inner) => **inner == SignatureToken::Signer,
            _ => false,
        };
        let n_signers = params.iter().take_while(|t| is_signer(t)).count();
        if n_signers > signers.len() {
            return Err(err(
                errcode::INVALID_ARGUMENT,
                format!(
                    "function takes {n_signers} signer(s), the message has {}",
                    signers.len()
                ),
            ));
        }
        if params.len() - n_signers != args.len() {
            return Err(err(
                errcode::INVALID_ARGUMENT,
                format!(
                    "expected {} argument(s), got {}",
                    params.len() - n_signers,
                    args.len()
                ),
            ));
        }
        let mut values: Vec<Value> = signers[..n_signers]
            .iter()
            .map(|a| Value::Signer(*a))
            .collect();
        for (i, (tok, bytes)) in params[n_signers..].iter().zip(&args).enumerate() {
            let ty = Type::from_token(&module_for_params, tok)
                .subst(&ty_args)
                .ok_or_else(|| err(errcode::INVALID_ARGUMENT, "bad type arguments"))?;
            if !is_arg_type(&ty) {
                return Err(err(
                    errcode::INVALID_ARGUMENT,
                    format!("argument {i} of type {ty} cannot be passed in a message"),
                ));
            }
            let layout = crate::interpreter::layout_of(&cache, &ty)
                .map_err(|e| err(errcode::INVALID_ARGUMENT, format!("argument {i}: {e}")))?;
            let v = crate::interpreter::value::from_bcs(bytes, &layout).map_err(|e| {
                err(
                    errcode::INVALID_ARGUMENT,
                    format!("argument {i} is not valid BCS for {ty}: {e}"),
                )
            })?;
            values.push(v);
        }
        let returns: Vec<Type> = module_for_params
            .signature(handle.return_)
            .map(|s| {
                s.0.iter()
                    .filter_map(|t| Type::from_token(&module_for_params, t).subst(&ty_args))
                    .collect()
            })
            .unwrap_or_default();

        let storage = StateStorage(reader);
        let mut session = Session::with_env(&cache, &storage, gas_limit, env);
        let result = match (&target, &script) {
            (Target::Function { module, function }, _) => {
                session.execute_function(module, function, &ty_tags, values)
            }
            (Target::Script(_), Some(script)) => session
                .execute_script(script, &ty_tags, values)
                .map(|()| vec![]),
            (Target::Script(_), None) => Err(VmError::InvalidCall {
                reason: "script not loaded".into(),
            }),
        };
        let gas_used = session.gas_used();
        let out = result.map_err(vm_error)?;
        let effects = session.finish_effects().map_err(vm_error)?;
        Ok(Run {
            returns: returns.into_iter().zip(out).collect(),
            effects,
            gas_used,
            cache,
        })
    }

    fn deliver_run(
        &self,
        ctx: &mut Ctx<'_>,
        target: Target,
        sender: &Address,
        type_args: &[String],
        args: Vec<Vec<u8>>,
    ) -> ExecResult<()> {
        let counter = match ctx.get(SESSION_KEY)? {
            Some(b) => <[u8; 8]>::try_from(b.as_slice())
                .map(u64::from_be_bytes)
                .unwrap_or(0),
            None => 0,
        };
        ctx.set(
            SESSION_KEY.to_vec(),
            counter.saturating_add(1).to_be_bytes().to_vec(),
        )?;
        let env = Env {
            block_height: ctx.block.height.0,
            block_time_nanos: u64::try_from(ctx.block.time_unix_nanos).unwrap_or(0),
            chain_id: ctx.block.chain_id.as_str().to_string(),
            tx_hash: sha2::Sha256::digest(
                [b"minitia-move session".as_slice(), &counter.to_be_bytes()].concat(),
            )
            .into(),
        };
        let gas_limit = ctx.gas.limit().saturating_sub(ctx.gas.used());
        let signer = from_account(sender);
        let require_entry = matches!(target, Target::Function { .. });
        let run = {
            let reader = CtxReader {
                ctx: RefCell::new(&mut *ctx),
                failure: RefCell::new(None),
            };
            let r = self.run(
                &reader,
                env,
                gas_limit,
                target,
                &[signer],
                type_args,
                args,
                require_entry,
            );
            if let Some(e) = reader.failure.into_inner() {
                return Err(e);
            }
            r?
        };
        ctx.gas.charge(run.gas_used, "MoveExecution")?;
        for ((addr, tag), change) in run.effects.resources {
            let key = resource_key(&addr, &tag);
            match change {
                Some(bytes) => ctx.set(key, bytes)?,
                None => ctx.delete(key)?,
            }
        }
        for ((handle, k), change) in run.effects.tables {
            let key = table_key(&handle, &k);
            match change {
                Some(bytes) => ctx.set(key, bytes)?,
                None => ctx.delete(key)?,
            }
        }
        apply_coin_changes(ctx, run.effects.coins)?;
        for e in run.effects.events {
            let data = event_json(&run.cache, &e.type_tag, &e.data);
            ctx.emit(
                Event::new("move")
                    .attr("type_tag", e.type_tag.to_string())
                    .attr("data", data),
            );
        }
        Ok(())
    }

    fn publish(
        &self,
        ctx: &mut Ctx<'_>,
        sender: Option<&Address>,
        code: &[Vec<u8>],
        policy: i32,
    ) -> ExecResult<Vec<ModuleId>> {
        if !(upgrade_policy::UNSPECIFIED..=upgrade_policy::IMMUTABLE).contains(&policy) {
            return Err(err(
                errcode::INVALID_ARGUMENT,
                format!("unknown upgrade policy {policy}"),
            )
            .into());
        }
        if code.is_empty() {
            return Err(err(errcode::INVALID_ARGUMENT, "no modules to publish").into());
        }
        let mut modules = Vec::with_capacity(code.len());
        let mut ids = BTreeSet::new();
        for (i, bytes) in code.iter().enumerate() {
            let m = crate::load_verified_module(bytes)
                .map_err(|e| err(errcode::INVALID_MODULE, format!("module {i}: {e}")))?;
            let id = ModuleId::of(&m);
            if let Some(s) = sender {
                if id.address != from_account(s) {
                    return Err(err(
                        errcode::INVALID_ARGUMENT,
                        format!(
                            "module {id} must be published by its address {}, not by the sender {}",
                            short_address(&id.address),
                            short_address(&from_account(s))
                        ),
                    )
                    .into());
                }
            }
            if !ids.insert(id.clone()) {
                return Err(err(
                    errcode::INVALID_ARGUMENT,
                    format!("module {id} given twice"),
                )
                .into());
            }
            if let Some(old) = ctx.get(&code_key(&id.address, &id.name))? {
                let old_policy = ctx
                    .get(&policy_key(&id.address, &id.name))?
                    .and_then(|b| b.first().copied())
                    .map_or(upgrade_policy::COMPATIBLE, i32::from);
                if old_policy == upgrade_policy::IMMUTABLE {
                    return Err(err(
                        errcode::INCOMPATIBLE_UPGRADE,
                        format!("module {id} is immutable"),
                    )
                    .into());
                }
                let old = self
                    .decode(&old)
                    .map_err(|e| err(errcode::INVALID_MODULE, format!("stored {id}: {e}")))?;
                check_compatible(&old, &m).map_err(|reason| {
                    err(
                        errcode::INCOMPATIBLE_UPGRADE,
                        format!("incompatible upgrade of {id}: {reason}"),
                    )
                })?;
            }
            modules.push(m);
        }
        {
            let reader = CtxReader {
                ctx: RefCell::new(&mut *ctx),
                failure: RefCell::new(None),
            };
            let r = self.load_cache(&reader, BTreeSet::new(), modules);
            if let Some(e) = reader.failure.into_inner() {
                return Err(e);
            }
            r?;
        }
        let policy = if policy == upgrade_policy::UNSPECIFIED {
            upgrade_policy::COMPATIBLE
        } else {
            policy
        };
        for (bytes, id) in code.iter().zip(&ids_in_order(code)?) {
            ctx.set(code_key(&id.address, &id.name), bytes.clone())?;
            ctx.set(
                policy_key(&id.address, &id.name),
                vec![u8::try_from(policy).unwrap_or(1)],
            )?;
            ctx.emit(Event::new("publish").attr("module_id", id.to_string()));
        }
        Ok(ids.into_iter().collect())
    }
}

/// Module ids of `code` in message order (the binaries were already checked).
/// Writes a session's new coin balances to the bank, with the SDK's `coin_spent` /
/// `coin_received` events. Move transfers never create or destroy coins (a `FungibleAsset`
/// cannot be dropped or stored), so the changes must sum to zero per denom; anything else is
/// refused rather than minted.
fn apply_coin_changes(
    ctx: &mut Ctx<'_>,
    coins: crate::interpreter::CoinChangeSet,
) -> ExecResult<()> {
    let mut net: BTreeMap<&str, i128> = BTreeMap::new();
    let mut moves = Vec::with_capacity(coins.len());
    // `old` is what the natives read through this tx's `Ctx`, so it is the current balance.
    for ((account, denom), (old, new)) in &coins {
        let addr = bank_account(account).ok_or_else(|| {
            ExecError::Fatal(minitia_core::EngineError::Invariant(format!(
                "coin balance changed at non-bank address {}",
                short_address(account)
            )))
        })?;
        let delta = i128::try_from(*new)
            .ok()
            .zip(i128::try_from(*old).ok())
            .and_then(|(n, o)| n.checked_sub(o))
            .ok_or_else(|| err(errcode::EXECUTION, format!("{denom} balance out of range")))?;
        let sum = net.entry(denom.as_str()).or_default();
        *sum = sum
            .checked_add(delta)
            .ok_or_else(|| err(errcode::EXECUTION, format!("{denom} change out of range")))?;
        moves.push((addr, denom, *old, *new));
    }
    if let Some((denom, n)) = net.iter().find(|(_, n)| **n != 0) {
        return Err(err(
            errcode::EXECUTION,
            format!("coin changes do not balance: {denom} would change supply by {n}"),
        )
        .into());
    }
    let p = ctx.config.bech32_prefix.clone();
    for (addr, denom, old, new) in moves {
        bank::set_balance(ctx, &addr, denom, new)?;
        if new > old {
            auth::ensure_account(ctx, &addr)?;
            ctx.emit(
                Event::new("coin_received")
                    .attr("receiver", addr.to_bech32(&p))
                    .attr("amount", format!("{}{denom}", new - old)),
            );
        } else {
            ctx.emit(
                Event::new("coin_spent")
                    .attr("spender", addr.to_bech32(&p))
                    .attr("amount", format!("{}{denom}", old - new)),
            );
        }
    }
    Ok(())
}

fn ids_in_order(code: &[Vec<u8>]) -> ExecResult<Vec<ModuleId>> {
    code.iter()
        .map(|b| {
            crate::deserialize_module(b)
                .map(|m| ModuleId::of(&m))
                .map_err(|e| err(errcode::INVALID_MODULE, e.to_string()).into())
        })
        .collect()
}

/// Layout and public-API compatibility (Initia's `compatible` policy, simplified): every
/// struct keeps its abilities, type parameters and fields; every public or entry function
/// keeps its signature.
fn check_compatible(old: &CompiledModule, new: &CompiledModule) -> Result<(), String> {
    use crate::verifier::display_token;
    let tokens = |m: &CompiledModule, ts: &[SignatureToken]| -> Vec<String> {
        ts.iter().map(|t| display_token(m, t)).collect()
    };
    for def in &old.struct_defs {
        let h = &old.struct_handles[def.struct_handle.into_index()];
        let name = old.identifier(h.name);
        let Some(new_def) = new.struct_defs.iter().find(|d| {
            new.identifier(new.struct_handles[d.struct_handle.into_index()].name) == name
        }) else {
            return Err(format!("struct {name} was removed"));
        };
        let nh = &new.struct_handles[new_def.struct_handle.into_index()];
        if nh.abilities != h.abilities || nh.type_parameters != h.type_parameters {
            return Err(format!(
                "struct {name} changed abilities or type parameters"
            ));
        }
        let fields = |m: &CompiledModule, info: &crate::file_format::StructFieldInformation| {
            use crate::file_format::StructFieldInformation as I;
            match info {
                I::Native => vec![],
                I::Declared(fs) => fs
                    .iter()
                    .map(|f| {
                        format!(
                            "{}:{}",
                            m.identifier(f.name),
                            display_token(m, &f.signature)
                        )
                    })
                    .collect(),
                I::DeclaredVariants(vs) => vs
                    .iter()
                    .flat_map(|v| {
                        let vn = m.identifier(v.name).to_string();
                        v.fields.iter().map(move |f| {
                            format!(
                                "{vn}.{}:{}",
                                m.identifier(f.name),
                                display_token(m, &f.signature)
                            )
                        })
                    })
                    .collect(),
            }
        };
        if fields(old, &def.field_information) != fields(new, &new_def.field_information) {
            return Err(format!("struct {name} changed its layout"));
        }
    }
    for def in &old.function_defs {
        if def.visibility != Visibility::Public && !def.is_entry {
            continue;
        }
        let h = &old.function_handles[def.function.into_index()];
        let name = old.identifier(h.name);
        let Some(new_def) = new
            .function_defs
            .iter()
            .find(|d| new.identifier(new.function_handles[d.function.into_index()].name) == name)
        else {
            return Err(format!("public function {name} was removed"));
        };
        let nh = &new.function_handles[new_def.function.into_index()];
        let sig = |m: &CompiledModule, idx| m.signature(idx).map(|s| tokens(m, &s.0));
        if sig(old, h.parameters) != sig(new, nh.parameters)
            || sig(old, h.return_) != sig(new, nh.return_)
            || h.type_parameters != nh.type_parameters
            || (def.visibility == Visibility::Public && new_def.visibility != Visibility::Public)
            || (def.is_entry && !new_def.is_entry)
        {
            return Err(format!("public function {name} changed its signature"));
        }
    }
    Ok(())
}

/// Maps a VM failure to the tx error clients see.
fn vm_error(e: VmError) -> TxError {
    match &e {
        VmError::Abort { code, location, .. } => err(
            errcode::ABORTED,
            format!("VM aborted: location={location}, code={code}"),
        ),
        VmError::OutOfGas { .. } => sdk(code::OUT_OF_GAS, format!("{e}: out of gas")),
        VmError::NotFound { .. } | VmError::InvalidCall { .. } => {
            err(errcode::NOT_FOUND, e.to_string())
        }
        _ => err(errcode::EXECUTION, e.to_string()),
    }
}

fn event_json(cache: &ModuleCache, tag: &TypeTag, data: &[u8]) -> String {
    let ty = Type::from_tag(tag);
    crate::interpreter::layout_of(cache, &ty)
        .and_then(|layout| crate::interpreter::value::from_bcs(data, &layout))
        .and_then(|v| to_json(cache, &ty, &v))
        .map_or_else(
            |_| {
                format!(
                    "\"0x{}\"",
                    data.iter().map(|b| format!("{b:02x}")).collect::<String>()
                )
            },
            |j| j.to_string(),
        )
}

fn type_url<M: prost::Message>(name: &str, m: &M) -> Any {
    Any {
        type_url: format!("/initia.move.v1.{name}"),
        value: m.encode_to_vec(),
    }
}

impl Module for MoveModule {
    fn name(&self) -> &'static str {
        "move"
    }

    fn msg_types(&self) -> &'static [&'static str] {
        &[MSG_PUBLISH, MSG_EXECUTE, MSG_SCRIPT]
    }

    fn signers(&self, msg: &Any, config: &AppConfig) -> Result<Vec<Address>, TxError> {
        let sender = match msg.type_url.as_str() {
            MSG_PUBLISH => unpack::<MsgPublish>(msg)?.sender,
            MSG_EXECUTE => unpack::<MsgExecute>(msg)?.sender,
            MSG_SCRIPT => unpack::<MsgScript>(msg)?.sender,
            other => {
                return Err(sdk(
                    code::UNKNOWN_REQUEST,
                    format!("unrecognized move message type: {other}"),
                ))
            }
        };
        Ok(vec![parse_addr("sender", &sender, config)?])
    }

    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> ExecResult<Any> {
        match msg.type_url.as_str() {
            MSG_PUBLISH => {
                let m: MsgPublish = unpack(msg)?;
                let sender = parse_addr("sender", &m.sender, ctx.config)?;
                self.publish(ctx, Some(&sender), &m.code_bytes, m.upgrade_policy)?;
                Ok(type_url("MsgPublishResponse", &MsgPublishResponse {}))
            }
            MSG_EXECUTE => {
                let m: MsgExecute = unpack(msg)?;
                let sender = parse_addr("sender", &m.sender, ctx.config)?;
                let address = parse_address(&m.module_address, &ctx.config.bech32_prefix)
                    .map_err(|e| err(errcode::INVALID_ARGUMENT, e))?;
                let target = Target::Function {
                    module: ModuleId::new(address, m.module_name),
                    function: m.function_name,
                };
                self.deliver_run(ctx, target, &sender, &m.type_args, m.args)?;
                Ok(type_url("MsgExecuteResponse", &MsgExecuteResponse {}))
            }
            MSG_SCRIPT => {
                let m: MsgScript = unpack(msg)?;
                let sender = parse_addr("sender", &m.sender, ctx.config)?;
                self.deliver_run(
                    ctx,
                    Target::Script(m.code_bytes),
                    &sender,
                    &m.type_args,
                    m.args,
                )?;
                Ok(type_url("MsgScriptResponse", &MsgScriptResponse {}))
            }
            other => Err(sdk(
                code::UNKNOWN_REQUEST,
                format!("unrecognized move message type: {other}"),
            )
            .into()),
        }
    }

    fn query_paths(&self) -> &'static [&'static str] {
        &[Q_VIEW_FUNCTION]
    }

    fn query(&self, q: &QueryCtx<'_>, path: &str, data: &[u8]) -> Result<Vec<u8>, QueryError> {
        if path != Q_VIEW_FUNCTION {
            return Err(QueryError::invalid(format!("unknown query path {path}")));
        }
        let r: QueryViewFunctionRequest = decode_query(data)?;
        let address =
            parse_address(&r.address, &q.config.bech32_prefix).map_err(QueryError::invalid)?;
        let reader = ViewReader { q };
        let env = Env {
            block_height: q.height,
            ..Env::default()
        };
        let target = Target::Function {
            module: ModuleId::new(address, r.module_name),
            function: r.function_name,
        };
        let run = self
            .run(
                &reader,
                env,
                VIEW_GAS_LIMIT,
                target,
                &[],
                &r.type_args,
                r.args,
                false,
            )
            .map_err(|e| {
                if e.code == errcode::NOT_FOUND {
                    QueryError::not_found(e.message)
                } else {
                    QueryError::invalid(e.message)
                }
            })?;
        let values = run
            .returns
            .iter()
            .map(|(ty, v)| to_json(&run.cache, ty, v))
            .collect::<Result<Vec<_>, _>>()
            .map_err(QueryError::internal)?;
        let data = match values.as_slice() {
            [one] => one.to_string(),
            many => serde_json::Value::Array(many.to_vec()).to_string(),
        };
        let events = run
            .effects
            .events
            .iter()
            .map(|e| VmEvent {
                type_tag: e.type_tag.to_string(),
                data: event_json(&run.cache, &e.type_tag, &e.data),
            })
            .collect();
        Ok(QueryViewFunctionResponse {
            data,
            events,
            gas_used: run.gas_used,
        }
        .encode_to_vec())
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_>, state: &serde_json::Value) -> ExecResult<()> {
        // The built-in framework first; then any modules the genesis file adds.
        let mut code: Vec<Vec<u8>> = stdlib::FRAMEWORK.iter().map(|(_, b)| b.to_vec()).collect();
        let list = match state.get("modules") {
            None => &vec![],
            Some(serde_json::Value::Array(list)) => list,
            Some(_) => {
                return Err(err(
                    errcode::INVALID_ARGUMENT,
                    "genesis `move.modules` must be a list of base64 modules",
                )
                .into())
            }
        };
        for (i, item) in list.iter().enumerate() {
            let b64 = item.as_str().ok_or_else(|| {
                err(
                    errcode::INVALID_ARGUMENT,
                    format!("genesis module {i} is not a string"),
                )
            })?;
            let bytes = crate::interpreter::framework::base64_decode_bytes(b64.as_bytes())
                .ok_or_else(|| {
                    err(
                        errcode::INVALID_ARGUMENT,
                        format!("genesis module {i} is not base64"),
                    )
                })?;
            code.push(bytes);
        }
        // Genesis publishes in dependency order, at the modules' own addresses.
        let mut decoded: Vec<(ModuleId, Vec<u8>, CompiledModule)> = Vec::new();
        for (i, bytes) in code.into_iter().enumerate() {
            let m = crate::load_verified_module(&bytes)
                .map_err(|e| err(errcode::INVALID_MODULE, format!("genesis module {i}: {e}")))?;
            let id = ModuleId::of(&m);
            if decoded.iter().any(|(d, _, _)| *d == id) {
                return Err(err(
                    errcode::INVALID_MODULE,
                    format!("genesis module {id} is published twice (or replaces the built-in framework)"),
                )
                .into());
            }
            decoded.push((id, bytes, m));
        }
        let mut check = ModuleCache::new();
        let order = check
            .publish_bundle(decoded.iter().map(|(_, _, m)| m.clone()).collect())
            .map_err(|e| err(errcode::LINK, format!("genesis modules: {e}")))?;
        for id in order {
            if let Some((_, bytes, _)) = decoded.iter().find(|(i, _, _)| *i == id) {
                ctx.set(code_key(&id.address, &id.name), bytes.clone())?;
                ctx.set(
                    policy_key(&id.address, &id.name),
                    vec![upgrade_policy::COMPATIBLE as u8],
                )?;
            }
        }
        Ok(())
    }
}

fn build(
    config: minitia_app::AppConfig,
    extra_modules: Vec<std::sync::Arc<dyn minitia_app::Module>>,
) -> minitia_app::CosmosApp {
    let mut modules: Vec<std::sync::Arc<dyn minitia_app::Module>> =
        vec![std::sync::Arc::new(MoveModule::new())];
    modules.extend(extra_modules);
    minitia_app::minitia_cosmos_app(config, modules)
}

/// The Move engine: the Cosmos modules and the Move VM's `initia.move.v1` module.
pub const ENGINE: minitia_app::EngineDef<minitia_app::CosmosApp> = minitia_app::EngineDef {
    vm: "move",
    kind: "minitia-move",
    about: "Move VM with a built-in 0x1 framework",
    native_token: minitia_app::NativeToken::Own,
    build,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn st(module: &str, name: &str, type_args: Vec<Type>) -> Type {
        Type::Struct {
            module: ModuleId::new(crate::types::address_from_u64(1), module),
            name: name.into(),
            type_args,
        }
    }

    #[test]
    fn messages_may_pass_only_primitives_and_initias_allowed_structs() {
        let string = st("string", "String", vec![]);
        for ok in [
            Type::U64,
            Type::Address,
            Type::Vector(Box::new(Type::U8)),
            string.clone(),
            st(
                "object",
                "Object",
                vec![st("fungible_asset", "Metadata", vec![])],
            ),
            st("option", "Option", vec![string.clone()]),
            Type::Vector(Box::new(string)),
        ] {
            assert!(is_arg_type(&ok), "{ok} should be allowed");
        }
        // A fungible asset (or any module's own struct) would be forged from bytes.
        let fa = st("fungible_asset", "FungibleAsset", vec![]);
        let foreign = Type::Struct {
            module: ModuleId::new(crate::types::address_from_u64(0x42), "string"),
            name: "String".into(),
            type_args: vec![],
        };
        for bad in [
            fa.clone(),
            Type::Vector(Box::new(fa.clone())),
            st("option", "Option", vec![fa]),
            foreign,
            Type::Signer,
            Type::Reference(Box::new(Type::U64)),
        ] {
            assert!(!is_arg_type(&bad), "{bad} should be refused");
        }
    }

    #[test]
    fn bank_accounts_are_the_last_20_bytes_of_zero_padded_addresses() {
        let mut a = [0u8; 32];
        a[12..].copy_from_slice(&[7u8; 20]);
        assert_eq!(bank_account(&a), Some(Address([7u8; 20])));
        a[0] = 1;
        assert_eq!(bank_account(&a), None);
    }
}
