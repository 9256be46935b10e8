//! The bytecode interpreter.
//!
//! A [`Session`] executes functions of modules published in a [`ModuleCache`] against a
//! [`Storage`] backend, metering gas, and yields a [`ChangeSet`] of resource writes.
//!
//! There is no bytecode verifier in front of the interpreter yet, so every instruction
//! checks the shapes of its operands at runtime and reports ill-typed code as
//! [`VmError::InvariantViolation`] instead of misbehaving. Frames live in an explicit stack
//! (no host recursion); the operand stack is shared by all frames.

pub mod framework;
pub mod gas;
pub mod natives;
pub mod storage;
pub mod value;

mod exec;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use crate::errors::VmError;
use crate::file_format::{
    CompiledScript, FunctionDefinitionIndex, SignatureIndex, StructFieldInformation,
};
use crate::loader::{LoadedModule, ModuleCache};
use crate::types::{ModuleId, Type, TypeTag};

pub use framework::{CoinChangeSet, Env, Event, Extensions, TableChangeSet};
pub use gas::GasMeter;
pub use storage::{ChangeSet, DataCache, InMemoryStorage, Storage};
pub use value::{Layout, Reference, Value};

/// Maximum call depth.
pub const MAX_CALL_DEPTH: usize = 1024;
/// Maximum nesting of types when computing layouts.
pub const MAX_TYPE_DEPTH: usize = 128;

/// An execution session: shared module cache and storage, private data cache and gas meter.
pub struct Session<'a> {
    cache: &'a ModuleCache,
    storage: &'a dyn Storage,
    data: DataCache,
    gas: GasMeter,
    ext: Extensions,
}

/// Everything a session changed: resource writes, table entry writes, coin balances and
/// events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Resource writes.
    pub resources: ChangeSet,
    /// Table entry writes.
    pub tables: TableChangeSet,
    /// New coin balances (the host's bank applies them).
    pub coins: CoinChangeSet,
    /// Events in emission order.
    pub events: Vec<Event>,
}

impl<'a> Session<'a> {
    /// A new session with the given gas limit.
    pub fn new(cache: &'a ModuleCache, storage: &'a dyn Storage, gas_limit: u64) -> Self {
        Self::with_env(cache, storage, gas_limit, Env::default())
    }

    /// A new session with block and transaction facts for the natives.
    pub fn with_env(
        cache: &'a ModuleCache,
        storage: &'a dyn Storage,
        gas_limit: u64,
        env: Env,
    ) -> Self {
        Session {
            cache,
            storage,
            data: DataCache::default(),
            gas: GasMeter::new(gas_limit),
            ext: Extensions::new(env),
        }
    }

    /// Bytecode instructions executed so far.
    pub fn instructions_executed(&self) -> u64 {
        self.gas.instructions()
    }

    /// Events emitted so far.
    pub fn events(&self) -> &[Event] {
        &self.ext.events
    }

    /// Ends the session, returning resource writes, table writes and events.
    pub fn finish_effects(self) -> Result<Effects, VmError> {
        let tables = self
            .ext
            .table_changes()
            .map_err(|reason| VmError::Storage { reason })?;
        let resources = self
            .data
            .into_change_set()
            .map_err(|reason| VmError::Storage { reason })?;
        Ok(Effects {
            resources,
            tables,
            coins: self.ext.coin_changes(),
            events: self.ext.events,
        })
    }

    /// Gas consumed so far.
    pub fn gas_used(&self) -> u64 {
        self.gas.used()
    }

    /// Ends the session, returning the resource changes it made.
    pub fn finish(self) -> Result<ChangeSet, VmError> {
        self.data
            .into_change_set()
            .map_err(|reason| VmError::Storage { reason })
    }

    /// Executes `module::function<ty_args>(args)` and returns its results.
    ///
    /// Arguments whose parameter type is a reference may be passed by value; they are
    /// placed in a fresh cell and passed by reference (e.g. a `Value::Signer` for `&signer`).
    pub fn execute_function(
        &mut self,
        module: &ModuleId,
        function: &str,
        ty_args: &[TypeTag],
        args: Vec<Value>,
    ) -> Result<Vec<Value>, VmError> {
        let loaded = self
            .cache
            .get(module)
            .cloned()
            .ok_or_else(|| VmError::NotFound {
                what: format!("module {module}"),
            })?;
        let fidx = loaded
            .function_index(function)
            .ok_or_else(|| VmError::NotFound {
                what: format!("function {module}::{function}"),
            })?;
        let handle = loaded.function_handle(fidx);
        if ty_args.len() != handle.type_parameters.len() {
            return Err(VmError::InvalidCall {
                reason: format!(
                    "{module}::{function} expects {} type argument(s), got {}",
                    handle.type_parameters.len(),
                    ty_args.len()
                ),
            });
        }
        let ty_args: Vec<Type> = ty_args.iter().map(Type::from_tag).collect();
        let args = prepare_args(&loaded, fidx, args)?;
        exec::run(self, loaded, fidx, ty_args, args)
    }

    /// Executes a script's entry point. Scripts return no values.
    pub fn execute_script(
        &mut self,
        script: &CompiledScript,
        ty_args: &[TypeTag],
        args: Vec<Value>,
    ) -> Result<(), VmError> {
        crate::bounds::check_script(script).map_err(|e| VmError::InvalidCall {
            reason: format!("ill-formed script: {e}"),
        })?;
        if ty_args.len() != script.type_parameters.len() {
            return Err(VmError::InvalidCall {
                reason: format!(
                    "script expects {} type argument(s), got {}",
                    script.type_parameters.len(),
                    ty_args.len()
                ),
            });
        }
        let loaded = Arc::new(LoadedModule::new(crate::loader::script_into_module(script)));
        let main = FunctionDefinitionIndex(0);
        let args = prepare_args(&loaded, main, args)?;
        let ty_args: Vec<Type> = ty_args.iter().map(Type::from_tag).collect();
        exec::run(self, loaded, main, ty_args, args).map(|_| ())
    }

    /// The layout of a fully instantiated type, used to decode BCS.
    pub fn layout(&self, ty: &Type) -> Result<Layout, String> {
        layout_of(self.cache, ty)
    }
}

/// The layout of a fully instantiated type, resolving structs in `cache`.
pub fn layout_of(cache: &ModuleCache, ty: &Type) -> Result<Layout, String> {
    layout_at(cache, ty, 0)
}

fn layout_at(cache: &ModuleCache, ty: &Type, depth: usize) -> Result<Layout, String> {
    if depth > MAX_TYPE_DEPTH {
        return Err(format!("type nests deeper than {MAX_TYPE_DEPTH}"));
    }
    Ok(match ty {
        Type::Bool => Layout::Bool,
        Type::U8 => Layout::U8,
        Type::U16 => Layout::U16,
        Type::U32 => Layout::U32,
        Type::U64 => Layout::U64,
        Type::U128 => Layout::U128,
        Type::U256 => Layout::U256,
        Type::Address => Layout::Address,
        Type::Signer => Layout::Signer,
        Type::Vector(t) => Layout::Vector(Box::new(layout_at(cache, t, depth + 1)?)),
        Type::Struct {
            module,
            name,
            type_args,
        } => {
            let loaded = cache
                .get(module)
                .ok_or_else(|| format!("module {module} not loaded"))?;
            let idx = loaded
                .struct_index(name)
                .ok_or_else(|| format!("struct {module}::{name} not found"))?;
            let def = &loaded.module.struct_defs[idx.into_index()];
            let field_layouts = |fields: &[crate::file_format::FieldDefinition]| {
                fields
                    .iter()
                    .map(|f| {
                        let t = Type::from_token(&loaded.module, &f.signature)
                            .subst(type_args)
                            .ok_or_else(|| format!("bad type argument in {module}::{name}"))?;
                        layout_at(cache, &t, depth + 1)
                    })
                    .collect::<Result<Vec<_>, String>>()
            };
            match &def.field_information {
                StructFieldInformation::Native => {
                    return Err(format!("native struct {module}::{name} has no layout"))
                }
                StructFieldInformation::Declared(fields) => Layout::Struct(field_layouts(fields)?),
                StructFieldInformation::DeclaredVariants(variants) => Layout::Enum(
                    variants
                        .iter()
                        .map(|v| field_layouts(&v.fields))
                        .collect::<Result<_, _>>()?,
                ),
            }
        }
        Type::Reference(_) | Type::MutableReference(_) | Type::TyParam(_) => {
            return Err(format!("type {ty} has no storage layout"))
        }
    })
}

/// Checks the argument count and passes by-value arguments of reference parameters
/// through fresh cells.
fn prepare_args(
    module: &LoadedModule,
    f: FunctionDefinitionIndex,
    args: Vec<Value>,
) -> Result<Vec<Value>, VmError> {
    let params = signature_types(module, module.function_handle(f).parameters);
    if params.len() != args.len() {
        return Err(VmError::InvalidCall {
            reason: format!(
                "{} expects {} argument(s), got {}",
                location(module, f),
                params.len(),
                args.len()
            ),
        });
    }
    Ok(params
        .iter()
        .zip(args)
        .map(|(ty, arg)| match (ty, arg) {
            (_, Value::Ref(r)) => Value::Ref(r),
            (Type::Reference(_), v) => Value::Ref(Reference::to_fresh(v, false)),
            (Type::MutableReference(_), v) => Value::Ref(Reference::to_fresh(v, true)),
            (_, v) => v,
        })
        .collect())
}

/// Types of a signature in `module`'s context (type parameters left symbolic).
fn signature_types(module: &LoadedModule, sig: SignatureIndex) -> Vec<Type> {
    module
        .module
        .signature(sig)
        .map(|s| {
            s.0.iter()
                .map(|t| Type::from_token(&module.module, t))
                .collect()
        })
        .unwrap_or_default()
}

/// A call frame.
struct Frame {
    module: Arc<LoadedModule>,
    function: FunctionDefinitionIndex,
    pc: u16,
    locals: Vec<Rc<RefCell<Value>>>,
    ty_args: Vec<Type>,
    /// Operand stack height when the frame started.
    stack_base: usize,
    /// Number of values the function returns.
    returns: usize,
}

impl Frame {
    fn location(&self) -> String {
        location(&self.module, self.function)
    }
}

/// `0xADDR::module::function` of a function definition.
fn location(module: &LoadedModule, f: FunctionDefinitionIndex) -> String {
    let h = module.function_handle(f);
    format!("{}::{}", module.id, module.module.identifier(h.name))
}

/// Convenience for tests and hosts: the module id of `address::name`.
pub fn module_id(address: u64, name: &str) -> ModuleId {
    ModuleId::new(crate::types::address_from_u64(address), name)
}
