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
    fn new(module: CompiledModule) -> Self {
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

/// Published modules, keyed and iterated by module id.
#[derive(Debug, Default)]
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

    /// Links `module` against the cache and adds it. The module must have passed the
    /// bounds and structure checks (see [`crate::load_module`]).
    pub fn publish(&mut self, module: CompiledModule) -> Result<ModuleId, LinkError> {
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
