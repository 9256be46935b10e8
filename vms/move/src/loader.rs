//! Module cache and linker.
//!
//! Modules are published into a [`ModuleCache`] keyed by [`ModuleId`] (address, name).
//! Publishing links a module against the modules already in the cache: every module handle
//! other than the module itself must name a loaded module, every imported struct handle must
//! match the definition it names (abilities, type parameter constraints and phantomness),
//! and every imported function handle must name a function visible to the importer with the
//! same type parameter constraints, parameter types and return types. This corresponds to
//! the dependency checks of the Move bytecode verifier (aptos-core
//! `move-bytecode-verifier/src/dependencies.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use thiserror::Error;

use crate::file_format::*;
use crate::types::{ModuleId, Type};

/// A linking failure.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LinkError {
    /// A module with the same id is already in the cache.
    #[error("{module}: already published")]
    AlreadyPublished {
        /// The module.
        module: ModuleId,
    },
    /// A module handle names a module that is not loaded.
    #[error("{module}: ModuleHandles[{index}]: dependency {dependency} is not loaded")]
    MissingDependency {
        /// The importing module.
        module: ModuleId,
        /// Index of the module handle.
        index: usize,
        /// The missing module.
        dependency: ModuleId,
    },
    /// An imported struct handle does not match its definition.
    #[error("{module}: StructHandles[{index}]: {reason}")]
    StructMismatch {
        /// The importing module.
        module: ModuleId,
        /// Index of the struct handle.
        index: usize,
        /// Explanation.
        reason: String,
    },
    /// An imported function handle does not match its definition or is not visible.
    #[error("{module}: FunctionHandles[{index}]: {reason}")]
    FunctionMismatch {
        /// The importing module.
        module: ModuleId,
        /// Index of the function handle.
        index: usize,
        /// Explanation.
        reason: String,
    },
    /// The module failed the bounds or structure checks.
    #[error("{module}: {source}")]
    Check {
        /// The module (as named by its self handle, if readable).
        module: String,
        /// The failed check.
        source: crate::errors::CheckError,
    },
    /// Modules of a bundle depend on each other cyclically.
    #[error("cyclic dependency among {modules}")]
    Cycle {
        /// The modules left unpublished.
        modules: String,
    },
}

/// A published module with name lookup tables.
#[derive(Debug)]
pub struct LoadedModule {
    /// The module.
    pub module: CompiledModule,
    /// Its id.
    pub id: ModuleId,
    functions: BTreeMap<String, FunctionDefinitionIndex>,
    structs: BTreeMap<String, StructDefinitionIndex>,
}

impl LoadedModule {
    /// Wraps a module that passed the bounds and structure checks (name tables built here).
    pub(crate) fn new(module: CompiledModule) -> Self {
        let id = ModuleId::of(&module);
        let functions = module
            .function_defs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let h = &module.function_handles[d.function.into_index()];
                (
                    module.identifier(h.name).to_string(),
                    FunctionDefinitionIndex(i as u16),
                )
            })
            .collect();
        let structs = module
            .struct_defs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let h = &module.struct_handles[d.struct_handle.into_index()];
                (
                    module.identifier(h.name).to_string(),
                    StructDefinitionIndex(i as u16),
                )
            })
            .collect();
        LoadedModule {
            module,
            id,
            functions,
            structs,
        }
    }

    /// Definition index of the function named `name`.
    pub fn function_index(&self, name: &str) -> Option<FunctionDefinitionIndex> {
        self.functions.get(name).copied()
    }

    /// Definition index of the struct named `name`.
    pub fn struct_index(&self, name: &str) -> Option<StructDefinitionIndex> {
        self.structs.get(name).copied()
    }

    /// Handle of function definition `idx`.
    pub fn function_handle(&self, idx: FunctionDefinitionIndex) -> &FunctionHandle {
        let def = &self.module.function_defs[idx.into_index()];
        &self.module.function_handles[def.function.into_index()]
    }

    /// Whether `other` is declared a friend of this module.
    pub fn is_friend(&self, other: &ModuleId) -> bool {
        self.module.friend_decls.iter().any(|f| {
            self.module.address_identifiers[f.address.into_index()] == other.address
                && self.module.identifier(f.name) == other.name
        })
    }
}

/// Published modules, keyed and iterated by module id. Cloning is cheap (shared modules).
#[derive(Debug, Default, Clone)]
pub struct ModuleCache {
    modules: BTreeMap<ModuleId, Arc<LoadedModule>>,
}

impl ModuleCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The module with the given id.
    pub fn get(&self, id: &ModuleId) -> Option<&Arc<LoadedModule>> {
        self.modules.get(id)
    }

    /// Ids of all modules in order.
    pub fn ids(&self) -> impl Iterator<Item = &ModuleId> {
        self.modules.keys()
    }

    /// Checks `module` (bounds and structure, see [`crate::load_module`]), links it against
    /// the cache and adds it.
    pub fn publish(&mut self, module: CompiledModule) -> Result<ModuleId, LinkError> {
        check(&module)?;
        let loaded = LoadedModule::new(module);
        if self.modules.contains_key(&loaded.id) {
            return Err(LinkError::AlreadyPublished { module: loaded.id });
        }
        self.link(&loaded)?;
        let id = loaded.id.clone();
        self.modules.insert(id.clone(), Arc::new(loaded));
        Ok(id)
    }

    /// Publishes a set of modules in dependency order (ties broken by module id).
    pub fn publish_bundle(
        &mut self,
        modules: Vec<CompiledModule>,
    ) -> Result<Vec<ModuleId>, LinkError> {
        for m in &modules {
            check(m)?;
        }
        let mut pending: BTreeMap<ModuleId, CompiledModule> =
            modules.into_iter().map(|m| (ModuleId::of(&m), m)).collect();
        let mut order = Vec::new();
        while !pending.is_empty() {
            let ready = pending
                .iter()
                .find(|(id, m)| {
                    dependencies(m)
                        .iter()
                        .all(|d| d == *id || !pending.contains_key(d))
                })
                .map(|(id, _)| id.clone());
            let Some(id) = ready else {
                let names: Vec<String> = pending.keys().map(ToString::to_string).collect();
                return Err(LinkError::Cycle {
                    modules: names.join(", "),
                });
            };
            if let Some(m) = pending.remove(&id) {
                order.push(self.publish(m)?);
            }
        }
        Ok(order)
    }

    fn link(&self, m: &LoadedModule) -> Result<(), LinkError> {
        let module = &m.module;
        let self_idx = module.self_module_handle_idx;
        for (i, mh) in module.module_handles.iter().enumerate() {
            if i == self_idx.into_index() {
                continue;
            }
            let dep = handle_id(module, mh);
            if !self.modules.contains_key(&dep) {
                return Err(LinkError::MissingDependency {
                    module: m.id.clone(),
                    index: i,
                    dependency: dep,
                });
            }
        }
        for (i, sh) in module.struct_handles.iter().enumerate() {
            if sh.module == self_idx {
                continue;
            }
            let err = |reason: String| LinkError::StructMismatch {
                module: m.id.clone(),
                index: i,
                reason,
            };
            let dep_id = handle_id(module, &module.module_handles[sh.module.into_index()]);
            let dep = self.dependency(&dep_id)?;
            let name = module.identifier(sh.name);
            let def_idx = dep
                .struct_index(name)
                .ok_or_else(|| err(format!("{dep_id} has no struct `{name}`")))?;
            let def = &dep.module.struct_defs[def_idx.into_index()];
            let decl = &dep.module.struct_handles[def.struct_handle.into_index()];
            if decl.abilities != sh.abilities {
                return Err(err(format!(
                    "{dep_id}::{name}: abilities {:#x} imported, {:#x} declared",
                    sh.abilities.into_u8(),
                    decl.abilities.into_u8()
                )));
            }
            if decl.type_parameters != sh.type_parameters {
                return Err(err(format!(
                    "{dep_id}::{name}: type parameters (constraints or phantomness) differ from the declaration"
                )));
            }
        }
        for (i, fh) in module.function_handles.iter().enumerate() {
            if fh.module == self_idx {
                continue;
            }
            let err = |reason: String| LinkError::FunctionMismatch {
                module: m.id.clone(),
                index: i,
                reason,
            };
            let dep_id = handle_id(module, &module.module_handles[fh.module.into_index()]);
            let dep = self.dependency(&dep_id)?;
            let name = module.identifier(fh.name);
            let def_idx = dep
                .function_index(name)
                .ok_or_else(|| err(format!("{dep_id} has no function `{name}`")))?;
            let def = &dep.module.function_defs[def_idx.into_index()];
            let visible = match def.visibility {
                Visibility::Public => true,
                Visibility::Friend => dep.is_friend(&m.id),
                Visibility::Private => false,
            };
            if !visible {
                return Err(err(format!(
                    "{dep_id}::{name} is {:?} and not visible to {}",
                    def.visibility, m.id
                )));
            }
            let decl = dep.function_handle(def_idx);
            if decl.type_parameters != fh.type_parameters {
                return Err(err(format!(
                    "{dep_id}::{name}: type parameter constraints differ from the declaration"
                )));
            }
            let types = |owner: &CompiledModule, sig: SignatureIndex| -> Vec<Type> {
                owner.signatures[sig.into_index()]
                    .0
                    .iter()
                    .map(|t| Type::from_token(owner, t))
                    .collect()
            };
            if types(module, fh.parameters) != types(&dep.module, decl.parameters) {
                return Err(err(format!(
                    "{dep_id}::{name}: parameter types differ from the declaration"
                )));
            }
            if types(module, fh.return_) != types(&dep.module, decl.return_) {
                return Err(err(format!(
                    "{dep_id}::{name}: return types differ from the declaration"
                )));
            }
        }
        Ok(())
    }

    fn dependency(&self, id: &ModuleId) -> Result<&LoadedModule, LinkError> {
        // Presence of every dependency was checked first; report it again if absent.
        self.modules
            .get(id)
            .map(AsRef::as_ref)
            .ok_or_else(|| LinkError::MissingDependency {
                module: id.clone(),
                index: 0,
                dependency: id.clone(),
            })
    }
}

/// Bounds and structure checks, so that linking and execution can index tables safely.
fn check(module: &CompiledModule) -> Result<(), LinkError> {
    let checked = crate::bounds::check_module(module)
        .and_then(|()| crate::structure::check_module_structure(module));
    checked.map_err(|source| LinkError::Check {
        module: module
            .module_handles
            .get(module.self_module_handle_idx.into_index())
            .and_then(|h| module.identifiers.get(h.name.into_index()))
            .cloned()
            .unwrap_or_else(|| "<unnamed module>".to_string()),
        source,
    })
}

fn handle_id(module: &CompiledModule, mh: &ModuleHandle) -> ModuleId {
    ModuleId::new(
        module.address_identifiers[mh.address.into_index()],
        module.identifier(mh.name),
    )
}

/// Ids of the modules `module` imports (excluding itself), sorted.
pub fn dependencies(module: &CompiledModule) -> BTreeSet<ModuleId> {
    module
        .module_handles
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != module.self_module_handle_idx.into_index())
        .map(|(_, mh)| handle_id(module, mh))
        .collect()
}

/// Turns a script into a module with a single entry function `main`, published nowhere,
/// so that the interpreter can run it like any function. The synthetic module is
/// `0x0::<SELF>`. The script must have passed [`crate::bounds::check_script`].
pub fn script_into_module(script: &CompiledScript) -> CompiledModule {
    fn find_or_push<T: PartialEq>(table: &mut Vec<T>, item: T) -> u16 {
        let idx = table.iter().position(|x| *x == item).unwrap_or_else(|| {
            table.push(item);
            table.len() - 1
        });
        idx as u16
    }
    let mut identifiers = script.identifiers.clone();
    let self_name = IdentifierIndex(find_or_push(&mut identifiers, "<SELF>".to_string()));
    let main_name = IdentifierIndex(find_or_push(&mut identifiers, "main".to_string()));
    let mut address_identifiers = script.address_identifiers.clone();
    let self_address = AddressIdentifierIndex(find_or_push(&mut address_identifiers, [0; 32]));
    let mut module_handles = script.module_handles.clone();
    module_handles.push(ModuleHandle {
        address: self_address,
        name: self_name,
    });
    let self_handle = ModuleHandleIndex((module_handles.len() - 1) as u16);
    let mut signatures = script.signatures.clone();
    let no_returns = SignatureIndex(find_or_push(&mut signatures, Signature(vec![])));
    let mut function_handles = script.function_handles.clone();
    function_handles.push(FunctionHandle {
        module: self_handle,
        name: main_name,
        parameters: script.parameters,
        return_: no_returns,
        type_parameters: script.type_parameters.clone(),
        access_specifiers: None,
    });
    let main = FunctionHandleIndex((function_handles.len() - 1) as u16);
    CompiledModule {
        version: script.version,
        aptos_flavour: script.aptos_flavour,
        self_module_handle_idx: self_handle,
        module_handles,
        struct_handles: script.struct_handles.clone(),
        function_handles,
        function_instantiations: script.function_instantiations.clone(),
        signatures,
        identifiers,
        address_identifiers,
        constant_pool: script.constant_pool.clone(),
        metadata: script.metadata.clone(),
        function_defs: vec![FunctionDefinition {
            function: main,
            visibility: Visibility::Private,
            is_entry: true,
            acquires_global_resources: vec![],
            code: Some(script.code.clone()),
        }],
        ..Default::default()
    }
}
