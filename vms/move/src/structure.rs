//! Structural checks run after the bounds checks: no duplicate pool entries or handles,
//! definitions belong to the module itself, every declared handle of the module is
//! defined, field and variant names are unique, friends are not the module itself.
//!
//! Mirrors the intent of the duplication checker of the Move bytecode verifier
//! (aptos-core `move-bytecode-verifier/src/check_duplication.rs`). Assumes bounds checks
//! passed. Lookups use hash maps, but results only depend on table order (first duplicate
//! in table order is reported), so errors are deterministic.

use std::collections::HashMap;
use std::hash::Hash;

use crate::errors::CheckError;
use crate::file_format::*;

/// Fails on the first element equal to an earlier one.
fn unique<T: Eq + Hash>(
    table: &'static str,
    what: &'static str,
    items: impl IntoIterator<Item = T>,
) -> Result<(), CheckError> {
    let mut seen: HashMap<T, usize> = HashMap::new();
    for (i, item) in items.into_iter().enumerate() {
        if let Some(first) = seen.insert(item, i) {
            return Err(CheckError::Duplicate {
                location: format!("{table}[{i}]"),
                what,
                first,
            });
        }
    }
    Ok(())
}

/// Runs all structural checks on a bounds-checked module.
pub fn check_module_structure(m: &CompiledModule) -> Result<(), CheckError> {
    unique("Identifiers", "identifier", &m.identifiers)?;
    unique("AddressIdentifiers", "address", &m.address_identifiers)?;
    unique("ConstantPool", "constant", &m.constant_pool)?;
    unique("Signatures", "signature", &m.signatures)?;
    unique("ModuleHandles", "module handle", &m.module_handles)?;
    unique(
        "StructHandles",
        "struct handle (module, name)",
        m.struct_handles.iter().map(|h| (h.module, h.name)),
    )?;
    unique(
        "FunctionHandles",
        "function handle (module, name)",
        m.function_handles.iter().map(|h| (h.module, h.name)),
    )?;
    unique("FieldHandles", "field handle", &m.field_handles)?;
    unique("FriendDecls", "friend declaration", &m.friend_decls)?;
    unique(
        "StructDefInstantiations",
        "struct instantiation",
        &m.struct_def_instantiations,
    )?;
    unique(
        "FunctionInstantiations",
        "function instantiation",
        &m.function_instantiations,
    )?;
    unique(
        "FieldInstantiations",
        "field instantiation",
        &m.field_instantiations,
    )?;
    unique(
        "StructVariantHandles",
        "struct variant handle",
        &m.struct_variant_handles,
    )?;
    unique(
        "StructVariantInstantiations",
        "struct variant instantiation",
        &m.struct_variant_instantiations,
    )?;
    unique(
        "VariantFieldHandles",
        "variant field handle",
        &m.variant_field_handles,
    )?;
    unique(
        "VariantFieldInstantiations",
        "variant field instantiation",
        &m.variant_field_instantiations,
    )?;

    let self_idx = m.self_module_handle_idx;
    let self_handle = &m.module_handles[self_idx.into_index()];
    for (i, friend) in m.friend_decls.iter().enumerate() {
        if friend == self_handle {
            return Err(CheckError::Invalid {
                location: format!("FriendDecls[{i}]"),
                reason: "a module cannot be its own friend".to_string(),
            });
        }
    }

    // Struct definitions.
    unique(
        "StructDefs",
        "struct definition handle",
        m.struct_defs.iter().map(|d| d.struct_handle),
    )?;
    for (i, def) in m.struct_defs.iter().enumerate() {
        let handle = &m.struct_handles[def.struct_handle.into_index()];
        if handle.module != self_idx {
            return Err(CheckError::Invalid {
                location: format!("StructDefs[{i}]"),
                reason: format!(
                    "defines struct handle {} declared by module handle {}, not the self module {}",
                    def.struct_handle.0, handle.module.0, self_idx.0
                ),
            });
        }
        match &def.field_information {
            StructFieldInformation::Native => {}
            StructFieldInformation::Declared(fields) => {
                unique("fields", "field name", fields.iter().map(|f| f.name))
                    .map_err(|e| relocate(e, format!("StructDefs[{i}]")))?
            }
            StructFieldInformation::DeclaredVariants(variants) => {
                unique("variants", "variant name", variants.iter().map(|v| v.name))
                    .map_err(|e| relocate(e, format!("StructDefs[{i}]")))?;
                for (vi, v) in variants.iter().enumerate() {
                    unique("fields", "field name", v.fields.iter().map(|f| f.name))
                        .map_err(|e| relocate(e, format!("StructDefs[{i}].variants[{vi}]")))?;
                }
            }
        }
    }
    for (i, h) in m.struct_handles.iter().enumerate() {
        if h.module == self_idx
            && !m
                .struct_defs
                .iter()
                .any(|d| d.struct_handle.into_index() == i)
        {
            return Err(CheckError::Invalid {
                location: format!("StructHandles[{i}]"),
                reason: format!(
                    "struct `{}` is declared in the self module but has no definition",
                    m.identifier(h.name)
                ),
            });
        }
    }

    // Function definitions.
    unique(
        "FunctionDefs",
        "function definition handle",
        m.function_defs.iter().map(|d| d.function),
    )?;
    for (i, def) in m.function_defs.iter().enumerate() {
        let handle = &m.function_handles[def.function.into_index()];
        if handle.module != self_idx {
            return Err(CheckError::Invalid {
                location: format!("FunctionDefs[{i}]"),
                reason: format!(
                    "defines function handle {} declared by module handle {}, not the self module {}",
                    def.function.0, handle.module.0, self_idx.0
                ),
            });
        }
        unique(
            "acquires",
            "acquired resource",
            def.acquires_global_resources.iter(),
        )
        .map_err(|e| relocate(e, format!("FunctionDefs[{i}]")))?;
    }
    for (i, h) in m.function_handles.iter().enumerate() {
        if h.module == self_idx && !m.function_defs.iter().any(|d| d.function.into_index() == i) {
            return Err(CheckError::Invalid {
                location: format!("FunctionHandles[{i}]"),
                reason: format!(
                    "function `{}` is declared in the self module but has no definition",
                    m.identifier(h.name)
                ),
            });
        }
    }
    Ok(())
}

/// Prefixes the location of a nested uniqueness error with its owner.
fn relocate(e: CheckError, owner: String) -> CheckError {
    match e {
        CheckError::Duplicate {
            location,
            what,
            first,
        } => CheckError::Duplicate {
            location: format!("{owner}.{location}"),
            what,
            first,
        },
        other => other,
    }
}
