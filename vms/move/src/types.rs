//! Module-independent runtime types: module ids, type tags and struct tags, and runtime
//! [`Type`]s resolved from signature tokens.

use std::fmt;

use crate::file_format::{AccountAddress, CompiledModule, SignatureToken, StructHandleIndex};

/// Formats an address the way Move prints it: `0x` followed by hex without leading zeros.
pub fn short_address(addr: &AccountAddress) -> String {
    let hex: String = addr.iter().map(|b| format!("{b:02x}")).collect();
    let trimmed = hex.trim_start_matches('0');
    format!("0x{}", if trimmed.is_empty() { "0" } else { trimmed })
}

/// An address from a small integer (for tests and well-known addresses).
pub fn address_from_u64(v: u64) -> AccountAddress {
    let mut a = [0u8; 32];
    a[24..].copy_from_slice(&v.to_be_bytes());
    a
}

/// The global name of a module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId {
    /// Publishing address.
    pub address: AccountAddress,
    /// Module name.
    pub name: String,
}

impl ModuleId {
    /// Builds a module id.
    pub fn new(address: AccountAddress, name: impl Into<String>) -> Self {
        ModuleId {
            address,
            name: name.into(),
        }
    }

    /// The id of a compiled module (its self handle).
    pub fn of(module: &CompiledModule) -> Self {
        ModuleId::new(module.address(), module.name())
    }

    /// The module named by the module handle of a struct handle.
    pub fn of_struct_handle(module: &CompiledModule, sh: StructHandleIndex) -> Self {
        let handle = &module.struct_handles[sh.into_index()];
        let mh = &module.module_handles[handle.module.into_index()];
        ModuleId::new(
            module.address_identifiers[mh.address.into_index()],
            module.identifier(mh.name),
        )
    }
}

impl fmt::Display for ModuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", short_address(&self.address), self.name)
    }
}

/// A fully instantiated type without references, as used for storage keys and type arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum TypeTag {
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    U256,
    Address,
    Signer,
    Vector(Box<TypeTag>),
    Struct(Box<StructTag>),
}

/// A fully instantiated struct type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StructTag {
    /// Declaring module.
    pub module: ModuleId,
    /// Struct name.
    pub name: String,
    /// Type arguments.
    pub type_args: Vec<TypeTag>,
}

impl fmt::Display for TypeTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeTag::Bool => write!(f, "bool"),
            TypeTag::U8 => write!(f, "u8"),
            TypeTag::U16 => write!(f, "u16"),
            TypeTag::U32 => write!(f, "u32"),
            TypeTag::U64 => write!(f, "u64"),
            TypeTag::U128 => write!(f, "u128"),
            TypeTag::U256 => write!(f, "u256"),
            TypeTag::Address => write!(f, "address"),
            TypeTag::Signer => write!(f, "signer"),
            TypeTag::Vector(t) => write!(f, "vector<{t}>"),
            TypeTag::Struct(s) => write!(f, "{s}"),
        }
    }
}

impl fmt::Display for StructTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.module, self.name)?;
        if !self.type_args.is_empty() {
            let args: Vec<String> = self.type_args.iter().map(ToString::to_string).collect();
            write!(f, "<{}>", args.join(", "))?;
        }
        Ok(())
    }
}

/// A runtime type; may contain type parameters until instantiated.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Type {
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    U256,
    Address,
    Signer,
    Vector(Box<Type>),
    Struct {
        module: ModuleId,
        name: String,
        type_args: Vec<Type>,
    },
    Reference(Box<Type>),
    MutableReference(Box<Type>),
    TyParam(u16),
}

impl Type {
    /// Converts a signature token of `module` into a module-independent type, keeping type
    /// parameters symbolic. Assumes the module passed the bounds checks.
    pub fn from_token(module: &CompiledModule, token: &SignatureToken) -> Type {
        let struct_type = |sh: &StructHandleIndex, args: Vec<Type>| Type::Struct {
            module: ModuleId::of_struct_handle(module, *sh),
            name: module
                .identifier(module.struct_handles[sh.into_index()].name)
                .to_string(),
            type_args: args,
        };
        match token {
            SignatureToken::Bool => Type::Bool,
            SignatureToken::U8 => Type::U8,
            SignatureToken::U16 => Type::U16,
            SignatureToken::U32 => Type::U32,
            SignatureToken::U64 => Type::U64,
            SignatureToken::U128 => Type::U128,
            SignatureToken::U256 => Type::U256,
            SignatureToken::Address => Type::Address,
            SignatureToken::Signer => Type::Signer,
            SignatureToken::Vector(t) => Type::Vector(Box::new(Type::from_token(module, t))),
            SignatureToken::Reference(t) => Type::Reference(Box::new(Type::from_token(module, t))),
            SignatureToken::MutableReference(t) => {
                Type::MutableReference(Box::new(Type::from_token(module, t)))
            }
            SignatureToken::Struct(sh) => struct_type(sh, vec![]),
            SignatureToken::StructInstantiation(sh, args) => struct_type(
                sh,
                args.iter().map(|a| Type::from_token(module, a)).collect(),
            ),
            SignatureToken::TypeParameter(i) => Type::TyParam(*i),
        }
    }

    /// Replaces type parameters by `args`; `None` if a parameter index is out of range.
    pub fn subst(&self, args: &[Type]) -> Option<Type> {
        Some(match self {
            Type::TyParam(i) => args.get(usize::from(*i))?.clone(),
            Type::Vector(t) => Type::Vector(Box::new(t.subst(args)?)),
            Type::Reference(t) => Type::Reference(Box::new(t.subst(args)?)),
            Type::MutableReference(t) => Type::MutableReference(Box::new(t.subst(args)?)),
            Type::Struct {
                module,
                name,
                type_args,
            } => Type::Struct {
                module: module.clone(),
                name: name.clone(),
                type_args: type_args
                    .iter()
                    .map(|t| t.subst(args))
                    .collect::<Option<Vec<_>>>()?,
            },
            other => other.clone(),
        })
    }

    /// The type tag of a fully instantiated, reference-free type.
    pub fn to_tag(&self) -> Option<TypeTag> {
        Some(match self {
            Type::Bool => TypeTag::Bool,
            Type::U8 => TypeTag::U8,
            Type::U16 => TypeTag::U16,
            Type::U32 => TypeTag::U32,
            Type::U64 => TypeTag::U64,
            Type::U128 => TypeTag::U128,
            Type::U256 => TypeTag::U256,
            Type::Address => TypeTag::Address,
            Type::Signer => TypeTag::Signer,
            Type::Vector(t) => TypeTag::Vector(Box::new(t.to_tag()?)),
            Type::Struct {
                module,
                name,
                type_args,
            } => TypeTag::Struct(Box::new(StructTag {
                module: module.clone(),
                name: name.clone(),
                type_args: type_args
                    .iter()
                    .map(Type::to_tag)
                    .collect::<Option<Vec<_>>>()?,
            })),
            Type::Reference(_) | Type::MutableReference(_) | Type::TyParam(_) => return None,
        })
    }

    /// The runtime type of a type tag.
    pub fn from_tag(tag: &TypeTag) -> Type {
        match tag {
            TypeTag::Bool => Type::Bool,
            TypeTag::U8 => Type::U8,
            TypeTag::U16 => Type::U16,
            TypeTag::U32 => Type::U32,
            TypeTag::U64 => Type::U64,
            TypeTag::U128 => Type::U128,
            TypeTag::U256 => Type::U256,
            TypeTag::Address => Type::Address,
            TypeTag::Signer => Type::Signer,
            TypeTag::Vector(t) => Type::Vector(Box::new(Type::from_tag(t))),
            TypeTag::Struct(s) => Type::Struct {
                module: s.module.clone(),
                name: s.name.clone(),
                type_args: s.type_args.iter().map(Type::from_tag).collect(),
            },
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Vector(t) => write!(f, "vector<{t}>"),
            Type::Reference(t) => write!(f, "&{t}"),
            Type::MutableReference(t) => write!(f, "&mut {t}"),
            Type::TyParam(i) => write!(f, "T{i}"),
            Type::Struct {
                module,
                name,
                type_args,
            } => {
                write!(f, "{module}::{name}")?;
                if !type_args.is_empty() {
                    let args: Vec<String> = type_args.iter().map(ToString::to_string).collect();
                    write!(f, "<{}>", args.join(", "))?;
                }
                Ok(())
            }
            prim => match prim.to_tag() {
                Some(tag) => write!(f, "{tag}"),
                None => write!(f, "?"),
            },
        }
    }
}
