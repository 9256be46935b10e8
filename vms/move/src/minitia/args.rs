//! Parsing of message fields (addresses, type tags, BCS arguments) and rendering of Move
//! values as the JSON Initia's view queries return.

use serde_json::{json, Value as Json};

use crate::file_format::{AccountAddress, StructFieldInformation};
use crate::interpreter::value::Value;
use crate::loader::ModuleCache;
use crate::types::{short_address, ModuleId, StructTag, Type, TypeTag};

/// A Move address from `0x`-hex (left-padded) or a bech32 account address (20 bytes,
/// left-padded with zeros as Initia does).
pub fn parse_address(s: &str, bech32_prefix: &str) -> Result<AccountAddress, String> {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if hex.is_empty() || hex.len() > 64 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("invalid hex address {s:?}"));
        }
        let padded = format!("{hex:0>64}");
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&padded[2 * i..2 * i + 2], 16)
                .map_err(|e| format!("invalid hex address {s:?}: {e}"))?;
        }
        return Ok(out);
    }
    let a = minitia_core::Address::parse(s, bech32_prefix)
        .map_err(|e| format!("invalid address {s:?}: {e}"))?;
    Ok(from_account(&a))
}

/// The 32-byte Move address of a 20-byte account.
pub fn from_account(a: &minitia_core::Address) -> AccountAddress {
    let mut out = [0u8; 32];
    out[12..].copy_from_slice(a.as_bytes());
    out
}

/// Parses a type tag: `bool`, `u8`..`u256`, `address`, `signer`, `vector<T>`,
/// `0xADDR::module::Name<T1, T2>`.
pub fn parse_type_tag(s: &str) -> Result<TypeTag, String> {
    let mut p = Parser {
        s: s.as_bytes(),
        i: 0,
        depth: 0,
    };
    let t = p.tag()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected trailing input in type {s:?}"));
    }
    Ok(t)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn ident(&mut self) -> Result<String, String> {
        self.ws();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.i += 1;
        }
        if start == self.i {
            return Err(format!("expected an identifier at offset {start}"));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn eat(&mut self, tok: &[u8]) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(tok) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }

    fn tag(&mut self) -> Result<TypeTag, String> {
        self.depth += 1;
        if self.depth > 16 {
            return Err("type nests too deeply".into());
        }
        let word = self.ident()?;
        let t = match word.as_str() {
            "bool" => TypeTag::Bool,
            "u8" => TypeTag::U8,
            "u16" => TypeTag::U16,
            "u32" => TypeTag::U32,
            "u64" => TypeTag::U64,
            "u128" => TypeTag::U128,
            "u256" => TypeTag::U256,
            "address" => TypeTag::Address,
            "signer" => TypeTag::Signer,
            "vector" => {
                if !self.eat(b"<") {
                    return Err("expected `<` after vector".into());
                }
                let inner = self.tag()?;
                if !self.eat(b">") {
                    return Err("expected `>` closing vector".into());
                }
                TypeTag::Vector(Box::new(inner))
            }
            addr if addr.starts_with("0x") => {
                let address = parse_address(addr, "")?;
                if !self.eat(b"::") {
                    return Err("expected `::` after the address".into());
                }
                let module = self.ident()?;
                if !self.eat(b"::") {
                    return Err("expected `::` after the module".into());
                }
                let name = self.ident()?;
                let mut type_args = Vec::new();
                if self.eat(b"<") {
                    loop {
                        type_args.push(self.tag()?);
                        if self.eat(b">") {
                            break;
                        }
                        if !self.eat(b",") {
                            return Err("expected `,` or `>` in type arguments".into());
                        }
                    }
                }
                TypeTag::Struct(Box::new(StructTag {
                    module: ModuleId::new(address, module),
                    name,
                    type_args,
                }))
            }
            other => return Err(format!("unknown type {other:?}")),
        };
        self.depth -= 1;
        Ok(t)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON of a value of type `ty`, in Initia's conventions: integers wider than 32 bits as
/// decimal strings, addresses as short `0x` hex, `vector<u8>` as `0x` hex, `String` as a
/// string, `Option` as `null` or its value, structs as objects keyed by field name.
pub fn to_json(cache: &ModuleCache, ty: &Type, v: &Value) -> Result<Json, String> {
    to_json_at(cache, ty, v, 0)
}

fn to_json_at(cache: &ModuleCache, ty: &Type, v: &Value, depth: usize) -> Result<Json, String> {
    if depth > crate::interpreter::MAX_TYPE_DEPTH {
        return Err("value nests too deeply".into());
    }
    Ok(match (ty, v) {
        (_, Value::Ref(r)) => {
            let inner = match ty {
                Type::Reference(t) | Type::MutableReference(t) => t.as_ref(),
                other => other,
            };
            return to_json_at(cache, inner, &r.read()?, depth + 1);
        }
        (_, Value::Bool(b)) => json!(b),
        (_, Value::U8(x)) => json!(x),
        (_, Value::U16(x)) => json!(x),
        (_, Value::U32(x)) => json!(x),
        (_, Value::U64(x)) => json!(x.to_string()),
        (_, Value::U128(x)) => json!(x.to_string()),
        (_, Value::U256(x)) => json!(x.to_string()),
        (_, Value::Address(a)) | (_, Value::Signer(a)) => json!(short_address(a)),
        (Type::Vector(elem), Value::Vector(items)) => {
            if **elem == Type::U8 {
                let bytes: Vec<u8> = items
                    .iter()
                    .map(|i| match i {
                        Value::U8(b) => Ok(*b),
                        _ => Err("vector<u8> holds a non-u8".to_string()),
                    })
                    .collect::<Result<_, _>>()?;
                json!(format!("0x{}", hex(&bytes)))
            } else {
                Json::Array(
                    items
                        .iter()
                        .map(|i| to_json_at(cache, elem, i, depth + 1))
                        .collect::<Result<_, _>>()?,
                )
            }
        }
        (
            Type::Struct {
                module,
                name,
                type_args,
            },
            Value::Struct(fields) | Value::Variant(_, fields),
        ) => {
            let std = module.address == crate::types::address_from_u64(1);
            if std && module.name == "string" && name == "String" {
                if let Some(Value::Vector(bytes)) = fields.first() {
                    let b: Vec<u8> = bytes
                        .iter()
                        .filter_map(|x| match x {
                            Value::U8(b) => Some(*b),
                            _ => None,
                        })
                        .collect();
                    return Ok(json!(String::from_utf8_lossy(&b)));
                }
            }
            let loaded = cache
                .get(module)
                .ok_or_else(|| format!("module {module} not loaded"))?;
            let idx = loaded
                .struct_index(name)
                .ok_or_else(|| format!("struct {module}::{name} not found"))?;
            let def = &loaded.module.struct_defs[idx.into_index()];
            let decls = match (&def.field_information, v) {
                (StructFieldInformation::Declared(fs), _) => fs.clone(),
                (StructFieldInformation::DeclaredVariants(vs), Value::Variant(i, _)) => vs
                    .get(usize::from(*i))
                    .map(|v| v.fields.clone())
                    .ok_or_else(|| format!("variant {i} of {name} out of range"))?,
                _ => return Err(format!("{module}::{name} has no JSON form")),
            };
            if std && module.name == "option" && name == "Option" {
                if let (Some(Value::Vector(items)), Some(t)) = (fields.first(), type_args.first()) {
                    return match items.first() {
                        None => Ok(Json::Null),
                        Some(x) => to_json_at(cache, t, x, depth + 1),
                    };
                }
            }
            let mut obj = serde_json::Map::new();
            for (decl, value) in decls.iter().zip(fields) {
                let fty = Type::from_token(&loaded.module, &decl.signature)
                    .subst(type_args)
                    .ok_or_else(|| format!("bad type argument in {module}::{name}"))?;
                obj.insert(
                    loaded.module.identifier(decl.name).to_string(),
                    to_json_at(cache, &fty, value, depth + 1)?,
                );
            }
            Json::Object(obj)
        }
        (ty, v) => {
            return Err(format!(
                "value {} does not match type {ty}",
                crate::interpreter::value::kind(v)
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_tags_parse_and_print_back() {
        for s in [
            "u64",
            "vector<u8>",
            "0x1::string::String",
            "0x42::bank::Vault<0x1::string::String>",
            "vector<0x1::m::P<u8, vector<bool>>>",
        ] {
            assert_eq!(parse_type_tag(s).unwrap().to_string(), s);
        }
        for bad in ["", "u7", "vector<u8", "0x1::m", "0xzz::m::S", "u8 u8"] {
            assert!(parse_type_tag(bad).is_err(), "{bad}");
        }
        let deep = format!("{}u8{}", "vector<".repeat(40), ">".repeat(40));
        assert!(parse_type_tag(&deep).is_err());
    }

    #[test]
    fn addresses_parse_from_hex_and_bech32() {
        let a = parse_address("0x1", "init").unwrap();
        assert_eq!(a, crate::types::address_from_u64(1));
        assert!(parse_address("0x", "init").is_err());
        assert!(parse_address(&format!("0x{}", "1".repeat(65)), "init").is_err());
        let acct = minitia_core::Address([7; 20]);
        let b = parse_address(&acct.to_bech32("init"), "init").unwrap();
        assert_eq!(&b[12..], &[7; 20]);
        assert_eq!(&b[..12], &[0; 12]);
    }
}
