//! Bytecode verifier (subset).
//!
//! Runs after the bounds and structure checks and implements, independently, the intent of
//! these passes of the Move bytecode verifier (aptos-core `move-bytecode-verifier`):
//!
//! * signatures ([`signatures`]): references only at the top level of parameter, return and
//!   local types, no references in fields or type arguments, constants of constant-able
//!   types, and type arguments satisfying the ability constraints of the struct or
//!   function they instantiate;
//! * control flow ([`control_flow`]): non-empty code that cannot fall off its end;
//! * stack usage and type safety ([`type_safety`]): per basic block, an abstract operand
//!   stack of types that starts and ends empty, checking every instruction's operand types
//!   and ability requirements (copy, drop, key) and return types;
//! * locals safety ([`locals`]): no use of moved locals, no silent drop of values
//!   without `drop`;
//! * reference safety ([`reference_safety`]): borrow checking, no dangling references;
//! * `acquires` lists ([`acquires`]);
//! * recursive struct definitions and generic instantiation loops ([`recursion`]).

pub mod acquires;
pub mod control_flow;
pub mod locals;
pub mod recursion;
pub mod reference_safety;
pub mod signatures;
pub mod type_safety;

use thiserror::Error;

use crate::file_format::*;

/// A verification failure.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{location}: {kind}")]
pub struct VerifyError {
    /// Where, e.g. `FunctionDefs[3] (foo).code[12]`.
    pub location: String,
    /// What.
    pub kind: VerifyErrorKind,
}

/// Kinds of verification failures.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum VerifyErrorKind {
    /// A reference where none is allowed, or a nested reference.
    #[error("invalid signature: {0}")]
    InvalidSignature(String),
    /// A type argument lacks an ability required by its parameter.
    #[error("constraint not satisfied: {0}")]
    ConstraintNotSatisfied(String),
    /// A constant's type is not allowed in the constant pool, or its data does not decode.
    #[error("invalid constant: {0}")]
    InvalidConstant(String),
    /// A function body is empty.
    #[error("empty code unit")]
    EmptyCode,
    /// The last instruction can fall through past the end of the code.
    #[error("control can fall off the end of the code")]
    FallThrough,
    /// An instruction pops from an empty abstract stack.
    #[error("operand stack underflow")]
    StackUnderflow,
    /// A basic block ends with values left on the stack.
    #[error("basic block ends with {0} value(s) on the operand stack")]
    UnbalancedStack(usize),
    /// An operand has the wrong type.
    #[error("type mismatch: {0}")]
    TypeMismatch(String),
    /// A value lacks an ability the instruction needs.
    #[error("missing ability: {0}")]
    MissingAbility(String),
    /// A borrow-checking violation (the Move status code is named in the message).
    #[error("reference safety: {0}")]
    ReferenceSafety(String),
    /// An `acquires` annotation is missing, duplicated or extraneous.
    #[error("acquires: {0}")]
    Acquires(String),
    /// A struct contains itself.
    #[error("recursive struct: {0}")]
    RecursiveStruct(String),
    /// Generic calls that need infinitely many instantiations.
    #[error("instantiation loop: {0}")]
    InstantiationLoop(String),
    /// Any other violation.
    #[error("{0}")]
    Other(String),
}

/// Verifies a module. The bounds and structure checks are run first (they are cheap), so
/// that the passes below can index tables safely.
pub fn verify_module(m: &CompiledModule) -> Result<(), VerifyError> {
    crate::bounds::check_module(m)
        .and_then(|()| crate::structure::check_module_structure(m))
        .map_err(|e| VerifyError {
            location: "module".to_string(),
            kind: VerifyErrorKind::Other(format!("not well-formed: {e}")),
        })?;
    signatures::verify_signatures(m)?;
    recursion::verify_structs(m)?;
    recursion::verify_instantiation_loops(m)?;
    for (i, def) in m.function_defs.iter().enumerate() {
        acquires::verify_function(m, def, &function_location(m, i))?;
        if let Some(code) = &def.code {
            let location = function_location(m, i);
            control_flow::verify(code).map_err(|kind| VerifyError {
                location: location.clone(),
                kind,
            })?;
            type_safety::verify_function(m, def, code, &location)?;
            locals::verify_function(m, def, code, &location)?;
            reference_safety::verify_function(m, def, code, &location)?;
        }
    }
    Ok(())
}

/// `FunctionDefs[i] (name)`.
pub fn function_location(m: &CompiledModule, i: usize) -> String {
    let name = m
        .function_defs
        .get(i)
        .and_then(|d| m.function_handles.get(d.function.into_index()))
        .map_or("<invalid>", |h| m.identifier(h.name));
    format!("FunctionDefs[{i}] ({name})")
}

/// Abilities of `ty` given the constraints of the type parameters in scope, following the
/// Move rules: primitives have copy+drop+store, `signer` only drop, references copy+drop,
/// vectors inherit from their element, and a struct instance has each declared ability
/// only if every non-phantom type argument has the ability it requires (key requires
/// store).
pub fn abilities(
    m: &CompiledModule,
    ty: &SignatureToken,
    type_params: &[AbilitySet],
) -> AbilitySet {
    use SignatureToken as S;
    match ty {
        S::Bool | S::U8 | S::U16 | S::U32 | S::U64 | S::U128 | S::U256 | S::Address => {
            AbilitySet::PRIMITIVES
        }
        S::Signer => AbilitySet::EMPTY.with(Ability::Drop),
        S::Reference(_) | S::MutableReference(_) => {
            AbilitySet::EMPTY.with(Ability::Copy).with(Ability::Drop)
        }
        S::TypeParameter(i) => type_params
            .get(usize::from(*i))
            .copied()
            .unwrap_or(AbilitySet::EMPTY),
        S::Vector(elem) => abilities(m, elem, type_params).intersect(AbilitySet::PRIMITIVES),
        S::Struct(sh) => m
            .struct_handles
            .get(sh.into_index())
            .map_or(AbilitySet::EMPTY, |h| h.abilities),
        S::StructInstantiation(sh, args) => {
            let Some(handle) = m.struct_handles.get(sh.into_index()) else {
                return AbilitySet::EMPTY;
            };
            let mut result = handle.abilities;
            for (param, arg) in handle.type_parameters.iter().zip(args) {
                if param.is_phantom {
                    continue;
                }
                let arg_abilities = abilities(m, arg, type_params);
                for (ability, required) in [
                    (Ability::Copy, Ability::Copy),
                    (Ability::Drop, Ability::Drop),
                    (Ability::Store, Ability::Store),
                    (Ability::Key, Ability::Store),
                ] {
                    if result.has(ability) && !arg_abilities.has(required) {
                        result = AbilitySet::from_u8(result.into_u8() & !(ability as u8))
                            .unwrap_or(AbilitySet::EMPTY);
                    }
                }
            }
            result
        }
    }
}

/// Replaces type parameters in `ty` by `args` (out-of-range parameters are kept).
pub fn instantiate(ty: &SignatureToken, args: &[SignatureToken]) -> SignatureToken {
    use SignatureToken as S;
    if args.is_empty() {
        return ty.clone();
    }
    match ty {
        S::TypeParameter(i) => args.get(usize::from(*i)).cloned().unwrap_or(ty.clone()),
        S::Vector(t) => S::Vector(Box::new(instantiate(t, args))),
        S::Reference(t) => S::Reference(Box::new(instantiate(t, args))),
        S::MutableReference(t) => S::MutableReference(Box::new(instantiate(t, args))),
        S::StructInstantiation(sh, ts) => {
            S::StructInstantiation(*sh, ts.iter().map(|t| instantiate(t, args)).collect())
        }
        other => other.clone(),
    }
}

/// Renders a token for error messages using the module's names.
pub fn display_token(m: &CompiledModule, ty: &SignatureToken) -> String {
    use SignatureToken as S;
    match ty {
        S::Bool => "bool".into(),
        S::U8 => "u8".into(),
        S::U16 => "u16".into(),
        S::U32 => "u32".into(),
        S::U64 => "u64".into(),
        S::U128 => "u128".into(),
        S::U256 => "u256".into(),
        S::Address => "address".into(),
        S::Signer => "signer".into(),
        S::Vector(t) => format!("vector<{}>", display_token(m, t)),
        S::Reference(t) => format!("&{}", display_token(m, t)),
        S::MutableReference(t) => format!("&mut {}", display_token(m, t)),
        S::TypeParameter(i) => format!("T{i}"),
        S::Struct(sh) => struct_name(m, *sh),
        S::StructInstantiation(sh, args) => {
            let args: Vec<String> = args.iter().map(|a| display_token(m, a)).collect();
            format!("{}<{}>", struct_name(m, *sh), args.join(", "))
        }
    }
}

fn struct_name(m: &CompiledModule, sh: StructHandleIndex) -> String {
    m.struct_handles
        .get(sh.into_index())
        .map_or("<invalid>".to_string(), |h| {
            m.identifier(h.name).to_string()
        })
}
