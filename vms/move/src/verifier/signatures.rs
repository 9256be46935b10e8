//! Signature checks: where references may appear, which types constants may have, and
//! whether type arguments written in signatures satisfy the declared constraints.

use super::{abilities, display_token, VerifyError, VerifyErrorKind as K};
use crate::file_format::*;
use crate::interpreter::value::{from_bcs, Layout};

/// Checks every signature-bearing table of the module.
pub fn verify_signatures(m: &CompiledModule) -> Result<(), VerifyError> {
    for (i, h) in m.function_handles.iter().enumerate() {
        let loc = || format!("FunctionHandles[{i}] ({})", m.identifier(h.name));
        for sig in [h.parameters, h.return_] {
            for tok in &m.signatures[sig.into_index()].0 {
                check_token(m, tok, true, &h.type_parameters).map_err(|kind| err(loc(), kind))?;
            }
        }
    }
    for (i, def) in m.struct_defs.iter().enumerate() {
        let handle = &m.struct_handles[def.struct_handle.into_index()];
        let params: Vec<AbilitySet> = handle
            .type_parameters
            .iter()
            .map(|p| p.constraints)
            .collect();
        let fields: Vec<&FieldDefinition> = match &def.field_information {
            StructFieldInformation::Native => vec![],
            StructFieldInformation::Declared(f) => f.iter().collect(),
            StructFieldInformation::DeclaredVariants(vs) => {
                vs.iter().flat_map(|v| v.fields.iter()).collect()
            }
        };
        for field in fields {
            let loc = format!(
                "StructDefs[{i}] ({}).{}",
                m.identifier(handle.name),
                m.identifier(field.name)
            );
            check_token(m, &field.signature, false, &params)
                .map_err(|kind| err(loc.clone(), kind))?;
            check_field_abilities(m, handle, &field.signature, &params)
                .map_err(|kind| err(loc, kind))?;
        }
    }
    for (i, def) in m.function_defs.iter().enumerate() {
        if let Some(code) = &def.code {
            let handle = &m.function_handles[def.function.into_index()];
            for tok in &m.signatures[code.locals.into_index()].0 {
                check_token(m, tok, true, &handle.type_parameters).map_err(|kind| {
                    err(format!("{}.locals", super::function_location(m, i)), kind)
                })?;
            }
        }
    }
    for (i, c) in m.constant_pool.iter().enumerate() {
        check_constant(c).map_err(|kind| err(format!("ConstantPool[{i}]"), kind))?;
    }
    Ok(())
}

fn err(location: String, kind: K) -> VerifyError {
    VerifyError { location, kind }
}

/// References are allowed only at the top level (when `top_ref_ok`), never nested; struct
/// instantiations must satisfy their constraints under `type_params`.
pub fn check_token(
    m: &CompiledModule,
    tok: &SignatureToken,
    top_ref_ok: bool,
    type_params: &[AbilitySet],
) -> Result<(), K> {
    let inner = match tok {
        SignatureToken::Reference(t) | SignatureToken::MutableReference(t) => {
            if !top_ref_ok {
                return Err(K::InvalidSignature(format!(
                    "reference type {} not allowed here",
                    display_token(m, tok)
                )));
            }
            t.as_ref()
        }
        t => t,
    };
    for t in inner.preorder() {
        if t.is_reference() {
            return Err(K::InvalidSignature(format!(
                "nested reference in {}",
                display_token(m, tok)
            )));
        }
        if let SignatureToken::StructInstantiation(sh, args) = t {
            check_struct_constraints(m, *sh, args, type_params)?;
        }
    }
    Ok(())
}

/// Type arguments of a struct instantiation satisfy the struct's parameter constraints.
pub fn check_struct_constraints(
    m: &CompiledModule,
    sh: StructHandleIndex,
    args: &[SignatureToken],
    type_params: &[AbilitySet],
) -> Result<(), K> {
    let handle = &m.struct_handles[sh.into_index()];
    for (param, arg) in handle.type_parameters.iter().zip(args) {
        satisfies(m, arg, param.constraints, type_params).map_err(|missing| {
            K::ConstraintNotSatisfied(format!(
                "type argument {} of {} lacks {missing}",
                display_token(m, arg),
                m.identifier(handle.name)
            ))
        })?;
    }
    Ok(())
}

/// Checks `arg` has every ability in `required`; returns the missing ones' names.
pub fn satisfies(
    m: &CompiledModule,
    arg: &SignatureToken,
    required: AbilitySet,
    type_params: &[AbilitySet],
) -> Result<(), String> {
    let have = abilities(m, arg, type_params);
    if required.is_subset(have) {
        return Ok(());
    }
    let names: Vec<&str> = [
        (Ability::Copy, "copy"),
        (Ability::Drop, "drop"),
        (Ability::Store, "store"),
        (Ability::Key, "key"),
    ]
    .iter()
    .filter(|(a, _)| required.has(*a) && !have.has(*a))
    .map(|(_, n)| *n)
    .collect();
    Err(names.join("+"))
}

/// A struct's fields must have the abilities the struct declares (key needs store fields),
/// assuming its type parameters have the declared abilities (phantom ones excluded).
fn check_field_abilities(
    m: &CompiledModule,
    handle: &StructHandle,
    field: &SignatureToken,
    params: &[AbilitySet],
) -> Result<(), K> {
    // As in the reference verifier (ability_field_requirements): non-phantom type
    // parameters are treated as having every ability, phantom ones only their constraints.
    let assumed: Vec<AbilitySet> = handle
        .type_parameters
        .iter()
        .zip(params)
        .map(|(p, c)| if p.is_phantom { *c } else { AbilitySet::ALL })
        .collect();
    let mut required = AbilitySet::EMPTY;
    for (declared, needed) in [
        (Ability::Copy, Ability::Copy),
        (Ability::Drop, Ability::Drop),
        (Ability::Store, Ability::Store),
        (Ability::Key, Ability::Store),
    ] {
        if handle.abilities.has(declared) {
            required = required.with(needed);
        }
    }
    satisfies(m, field, required, &assumed).map_err(|missing| {
        K::ConstraintNotSatisfied(format!(
            "field of type {} lacks {missing} required by the abilities of {}",
            display_token(m, field),
            m.identifier(handle.name)
        ))
    })
}

/// Layout of a constant type, if it may appear in the constant pool.
pub fn constant_layout(tok: &SignatureToken) -> Option<Layout> {
    Some(match tok {
        SignatureToken::Bool => Layout::Bool,
        SignatureToken::U8 => Layout::U8,
        SignatureToken::U16 => Layout::U16,
        SignatureToken::U32 => Layout::U32,
        SignatureToken::U64 => Layout::U64,
        SignatureToken::U128 => Layout::U128,
        SignatureToken::U256 => Layout::U256,
        SignatureToken::Address => Layout::Address,
        SignatureToken::Vector(t) => Layout::Vector(Box::new(constant_layout(t)?)),
        _ => return None,
    })
}

fn check_constant(c: &Constant) -> Result<(), K> {
    let layout = constant_layout(&c.type_)
        .ok_or_else(|| K::InvalidConstant(format!("type {:?} cannot be a constant", c.type_)))?;
    from_bcs(&c.data, &layout)
        .map(|_| ())
        .map_err(|e| K::InvalidConstant(format!("data does not decode as {:?}: {e}", c.type_)))
}
