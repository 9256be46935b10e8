//! Reads Move binaries (bytecode v6 and v7, Aptos/Initia flavour) into
//! [`CompiledModule`] and [`CompiledScript`].
//!
//! Layout (learned from aptos-core `move-binary-format/src/deserializer.rs`):
//!
//! ```text
//! magic(4) | version u32 LE | table count (uleb) | table headers | table contents | tail
//! table header = kind u8 | offset (uleb, relative to the start of the contents) | size (uleb)
//! module tail  = self module handle index (uleb)
//! script tail  = type parameter abilities | parameters signature index | code unit
//! ```
//!
//! Every table must be non-empty, tables must be disjoint and cover the contents area
//! without gaps, and each table's elements must exactly fill its byte range. All errors
//! carry the element being decoded (e.g. `FunctionDefs[3]`) and an absolute offset.

use crate::errors::{DeserializeError, DeserializeErrorKind as K};
use crate::file_format::*;
use crate::format_common::*;
use crate::u256::U256;

type KResult<T> = Result<T, K>;

/// Deserializes a module, without bounds checks (see [`crate::load_module`] for the checked
/// entry point).
pub fn deserialize_module(binary: &[u8]) -> Result<CompiledModule, DeserializeError> {
    let (mut reader, version, aptos_flavour) = read_header(binary)?;
    let layout = read_table_layout(&mut reader, false)?;
    let mut module = CompiledModule {
        version,
        aptos_flavour,
        ..Default::default()
    };
    for table in &layout.tables {
        let r = Reader::new(binary, table.start, table.end, version);
        load_module_table(table.kind, r, &mut module)?;
    }
    let mut tail = Reader::new(binary, layout.contents_end, binary.len(), version);
    let ctx = |kind| DeserializeError {
        context: "module tail".to_string(),
        kind,
    };
    module.self_module_handle_idx = ModuleHandleIndex(
        tail.uleb_u16(TABLE_INDEX_MAX, "self module handle index")
            .map_err(ctx)?,
    );
    tail.expect_end().map_err(ctx)?;
    Ok(module)
}

/// Deserializes a script, without bounds checks.
pub fn deserialize_script(binary: &[u8]) -> Result<CompiledScript, DeserializeError> {
    let (mut reader, version, aptos_flavour) = read_header(binary)?;
    let layout = read_table_layout(&mut reader, true)?;
    let mut script = CompiledScript {
        version,
        aptos_flavour,
        ..Default::default()
    };
    for table in &layout.tables {
        let r = Reader::new(binary, table.start, table.end, version);
        let mut common = CommonTables::default();
        load_common_table(table.kind, r, &mut common)?;
        common.move_into_script(&mut script);
    }
    let mut tail = Reader::new(binary, layout.contents_end, binary.len(), version);
    let ctx = |kind| DeserializeError {
        context: "script entry point".to_string(),
        kind,
    };
    script.type_parameters = tail.ability_sets().map_err(ctx)?;
    script.parameters = SignatureIndex(
        tail.uleb_u16(TABLE_INDEX_MAX, "parameters signature index")
            .map_err(ctx)?,
    );
    script.code = tail.code_unit().map_err(ctx)?;
    tail.expect_end().map_err(ctx)?;
    Ok(script)
}

fn header_error(kind: K) -> DeserializeError {
    DeserializeError {
        context: "header".to_string(),
        kind,
    }
}

/// Reads magic and version; returns a reader positioned at the table count.
fn read_header(binary: &[u8]) -> Result<(Reader<'_>, u32, bool), DeserializeError> {
    let prefix = &binary[..binary.len().min(MOVE_MAGIC.len())];
    if prefix != &MOVE_MAGIC[..prefix.len()] {
        return Err(header_error(K::BadMagic {
            found: prefix.to_vec(),
        }));
    }
    if prefix.len() < MOVE_MAGIC.len() {
        return Err(header_error(K::Truncated {
            offset: prefix.len(),
            what: "magic",
        }));
    }
    let mut reader = Reader::new(binary, MOVE_MAGIC.len(), binary.len(), 0);
    let raw = reader.u32("version").map_err(header_error)?;
    let marker = raw & FLAVOUR_MASK;
    let aptos_flavour = match marker {
        0 => false,
        APTOS_FLAVOUR_MARKER => true,
        _ => {
            return Err(header_error(K::UnknownFlavour {
                marker: (marker >> 24) as u8,
                raw,
            }))
        }
    };
    let version = raw & !FLAVOUR_MASK;
    if !(VERSION_MIN..=VERSION_MAX).contains(&version) {
        return Err(header_error(K::UnsupportedVersion {
            version,
            raw,
            min: VERSION_MIN,
            max: VERSION_MAX,
        }));
    }
    reader.version = version;
    Ok((reader, version, aptos_flavour))
}

/// A table header resolved to absolute byte positions.
#[derive(Debug)]
struct TableSpan {
    kind: TableKind,
    start: usize,
    end: usize,
}

#[derive(Debug)]
struct TableLayout {
    tables: Vec<TableSpan>,
    contents_end: usize,
}

fn read_table_layout(
    reader: &mut Reader<'_>,
    script: bool,
) -> Result<TableLayout, DeserializeError> {
    let count = reader
        .uleb(TABLE_COUNT_MAX, "table count")
        .map_err(header_error)?;
    let mut headers = Vec::new();
    for i in 0..count {
        let ctx = |kind| DeserializeError {
            context: format!("table header {i}"),
            kind,
        };
        let tag_offset = reader.pos;
        let tag = reader.u8("table kind").map_err(ctx)?;
        let kind = TableKind::from_u8(tag).ok_or_else(|| {
            ctx(K::UnknownTableKind {
                offset: tag_offset,
                tag,
            })
        })?;
        let offset = reader
            .uleb(u64::from(u32::MAX), "table offset")
            .map_err(ctx)?;
        let size = reader
            .uleb(u64::from(u32::MAX), "table size")
            .map_err(ctx)?;
        if kind.min_version() > reader.version {
            return Err(ctx(K::TableNotAllowed {
                table: kind.name(),
                reason: format!(
                    "before bytecode version {} (binary has version {})",
                    kind.min_version(),
                    reader.version
                ),
            }));
        }
        if script && !kind.allowed_in_script() {
            return Err(ctx(K::TableNotAllowed {
                table: kind.name(),
                reason: "in a script".to_string(),
            }));
        }
        headers.push((kind, offset, size));
    }
    let contents_start = reader.pos;
    headers.sort_by_key(|(_, offset, _)| *offset);
    let mut expected: u64 = 0;
    let mut seen: Vec<TableKind> = Vec::new();
    let mut tables = Vec::new();
    let layout_err = |reason: String| header_error(K::BadTableLayout { reason });
    for (kind, offset, size) in headers {
        if seen.contains(&kind) {
            return Err(layout_err(format!("table {} appears twice", kind.name())));
        }
        seen.push(kind);
        if offset != expected {
            return Err(layout_err(format!(
                "table {} starts at content offset {offset}, expected {expected} (tables must be contiguous)",
                kind.name()
            )));
        }
        if size == 0 {
            return Err(layout_err(format!("table {} is empty", kind.name())));
        }
        expected = offset + size;
        let start = usize::try_from(offset)
            .ok()
            .and_then(|o| o.checked_add(contents_start));
        let end = usize::try_from(expected)
            .ok()
            .and_then(|o| o.checked_add(contents_start));
        match (start, end) {
            (Some(start), Some(end)) if end <= reader.data.len() => {
                tables.push(TableSpan { kind, start, end })
            }
            _ => {
                return Err(header_error(K::Truncated {
                    offset: reader.data.len(),
                    what: kind.name(),
                }))
            }
        }
    }
    let contents_end = tables.last().map_or(contents_start, |t| t.end);
    Ok(TableLayout {
        tables,
        contents_end,
    })
}

/// Tables shared by modules and scripts.
#[derive(Default)]
struct CommonTables {
    module_handles: Vec<ModuleHandle>,
    struct_handles: Vec<StructHandle>,
    function_handles: Vec<FunctionHandle>,
    function_instantiations: Vec<FunctionInstantiation>,
    signatures: Vec<Signature>,
    identifiers: Vec<String>,
    address_identifiers: Vec<AccountAddress>,
    constant_pool: Vec<Constant>,
    metadata: Vec<Metadata>,
}

impl CommonTables {
    fn move_into_script(self, s: &mut CompiledScript) {
        s.module_handles.extend(self.module_handles);
        s.struct_handles.extend(self.struct_handles);
        s.function_handles.extend(self.function_handles);
        s.function_instantiations
            .extend(self.function_instantiations);
        s.signatures.extend(self.signatures);
        s.identifiers.extend(self.identifiers);
        s.address_identifiers.extend(self.address_identifiers);
        s.constant_pool.extend(self.constant_pool);
        s.metadata.extend(self.metadata);
    }

    fn move_into_module(self, m: &mut CompiledModule) {
        m.module_handles.extend(self.module_handles);
        m.struct_handles.extend(self.struct_handles);
        m.function_handles.extend(self.function_handles);
        m.function_instantiations
            .extend(self.function_instantiations);
        m.signatures.extend(self.signatures);
        m.identifiers.extend(self.identifiers);
        m.address_identifiers.extend(self.address_identifiers);
        m.constant_pool.extend(self.constant_pool);
        m.metadata.extend(self.metadata);
    }
}

/// Decodes every element of a table with `f`, naming errors `Table[i]`.
fn load_table<'a, T>(
    kind: TableKind,
    mut r: Reader<'a>,
    out: &mut Vec<T>,
    f: impl Fn(&mut Reader<'a>) -> KResult<T>,
) -> Result<(), DeserializeError> {
    while !r.at_end() {
        let index = out.len();
        let item = f(&mut r).map_err(|kind_err| DeserializeError {
            context: format!("{}[{index}]", kind.name()),
            kind: kind_err,
        })?;
        out.push(item);
    }
    Ok(())
}

fn load_common_table(
    kind: TableKind,
    r: Reader<'_>,
    t: &mut CommonTables,
) -> Result<(), DeserializeError> {
    match kind {
        TableKind::ModuleHandles => {
            load_table(kind, r, &mut t.module_handles, Reader::module_handle)
        }
        TableKind::StructHandles => {
            load_table(kind, r, &mut t.struct_handles, Reader::struct_handle)
        }
        TableKind::FunctionHandles => {
            load_table(kind, r, &mut t.function_handles, Reader::function_handle)
        }
        TableKind::FunctionInst => load_table(kind, r, &mut t.function_instantiations, |r| {
            Ok(FunctionInstantiation {
                handle: FunctionHandleIndex(r.index("function handle index")?),
                type_parameters: SignatureIndex(r.index("signature index")?),
            })
        }),
        TableKind::Signatures => load_table(kind, r, &mut t.signatures, |r| {
            r.signature_tokens().map(Signature)
        }),
        TableKind::ConstantPool => load_table(kind, r, &mut t.constant_pool, |r| {
            let type_ = r.signature_token()?;
            let data = r.blob(CONSTANT_SIZE_MAX, "constant data")?;
            Ok(Constant { type_, data })
        }),
        TableKind::Identifiers => load_table(kind, r, &mut t.identifiers, Reader::identifier),
        TableKind::AddressIdentifiers => load_table(kind, r, &mut t.address_identifiers, |r| {
            let bytes = r.bytes(ADDRESS_LENGTH, "address")?;
            let mut addr = [0u8; ADDRESS_LENGTH];
            addr.copy_from_slice(bytes);
            Ok(addr)
        }),
        TableKind::Metadata => load_table(kind, r, &mut t.metadata, |r| {
            let key = r.blob(METADATA_KEY_SIZE_MAX, "metadata key")?;
            let value = r.blob(METADATA_VALUE_SIZE_MAX, "metadata value")?;
            Ok(Metadata { key, value })
        }),
        // Module-only tables never reach here: the layout reader rejects them in scripts
        // and `load_module_table` handles them for modules.
        other => Err(DeserializeError {
            context: other.name().to_string(),
            kind: K::TableNotAllowed {
                table: other.name(),
                reason: "in a script".to_string(),
            },
        }),
    }
}

fn load_module_table(
    kind: TableKind,
    r: Reader<'_>,
    m: &mut CompiledModule,
) -> Result<(), DeserializeError> {
    match kind {
        TableKind::StructDefs => load_table(kind, r, &mut m.struct_defs, Reader::struct_def),
        TableKind::StructDefInst => load_table(kind, r, &mut m.struct_def_instantiations, |r| {
            Ok(StructDefInstantiation {
                def: StructDefinitionIndex(r.index("struct definition index")?),
                type_parameters: SignatureIndex(r.index("signature index")?),
            })
        }),
        TableKind::FunctionDefs => load_table(kind, r, &mut m.function_defs, Reader::function_def),
        TableKind::FieldHandles => load_table(kind, r, &mut m.field_handles, |r| {
            Ok(FieldHandle {
                owner: StructDefinitionIndex(r.index("struct definition index")?),
                field: r.uleb_u16(FIELD_OFFSET_MAX, "field offset")?,
            })
        }),
        TableKind::FieldInst => load_table(kind, r, &mut m.field_instantiations, |r| {
            Ok(FieldInstantiation {
                handle: FieldHandleIndex(r.index("field handle index")?),
                type_parameters: SignatureIndex(r.index("signature index")?),
            })
        }),
        TableKind::FriendDecls => load_table(kind, r, &mut m.friend_decls, Reader::module_handle),
        TableKind::VariantFieldHandles => load_table(kind, r, &mut m.variant_field_handles, |r| {
            let struct_index = StructDefinitionIndex(r.index("struct definition index")?);
            let field = r.uleb_u16(FIELD_OFFSET_MAX, "field offset")?;
            let count = r.uleb(VARIANT_COUNT_MAX, "variant count")?;
            let mut variants = Vec::new();
            for _ in 0..count {
                variants.push(r.uleb_u16(VARIANT_OFFSET_MAX, "variant offset")?);
            }
            Ok(VariantFieldHandle {
                struct_index,
                variants,
                field,
            })
        }),
        TableKind::VariantFieldInst => {
            load_table(kind, r, &mut m.variant_field_instantiations, |r| {
                Ok(VariantFieldInstantiation {
                    handle: VariantFieldHandleIndex(r.index("variant field handle index")?),
                    type_parameters: SignatureIndex(r.index("signature index")?),
                })
            })
        }
        TableKind::StructVariantHandles => {
            load_table(kind, r, &mut m.struct_variant_handles, |r| {
                Ok(StructVariantHandle {
                    struct_index: StructDefinitionIndex(r.index("struct definition index")?),
                    variant: r.uleb_u16(VARIANT_OFFSET_MAX, "variant offset")?,
                })
            })
        }
        TableKind::StructVariantInst => {
            load_table(kind, r, &mut m.struct_variant_instantiations, |r| {
                Ok(StructVariantInstantiation {
                    handle: StructVariantHandleIndex(r.index("struct variant handle index")?),
                    type_parameters: SignatureIndex(r.index("signature index")?),
                })
            })
        }
        common => {
            let mut tables = CommonTables::default();
            load_common_table(common, r, &mut tables)?;
            tables.move_into_module(m);
            Ok(())
        }
    }
}

/// A bounded cursor over the binary; `pos` and `end` are absolute offsets.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
    version: u32,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], pos: usize, end: usize, version: u32) -> Self {
        Reader {
            data,
            pos,
            end: end.min(data.len()),
            version,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.end
    }

    fn expect_end(&self) -> KResult<()> {
        if self.pos < self.end {
            Err(K::TrailingBytes {
                offset: self.pos,
                count: self.end - self.pos,
            })
        } else {
            Ok(())
        }
    }

    fn bytes(&mut self, n: usize, what: &'static str) -> KResult<&'a [u8]> {
        let available = self.end.saturating_sub(self.pos);
        if n > available {
            return Err(K::Truncated {
                offset: self.end,
                what,
            });
        }
        let slice = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn u8(&mut self, what: &'static str) -> KResult<u8> {
        Ok(self.bytes(1, what)?[0])
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> KResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, what)?);
        Ok(out)
    }

    fn u32(&mut self, what: &'static str) -> KResult<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// Reads a ULEB128 value, rejecting overflow, redundant zero bytes and values above `max`.
    fn uleb(&mut self, max: u64, what: &'static str) -> KResult<u64> {
        let start = self.pos;
        let mut value: u64 = 0;
        let mut shift: u32 = 0;
        loop {
            let byte = self.u8(what)?;
            let low = u64::from(byte & 0x7F);
            if shift >= 64 || (shift > 0 && (low << shift) >> shift != low) {
                return Err(K::UlebOverflow {
                    offset: start,
                    what,
                });
            }
            value |= low << shift;
            if byte & 0x80 == 0 {
                if shift > 0 && low == 0 {
                    return Err(K::UlebNonCanonical {
                        offset: start,
                        what,
                    });
                }
                break;
            }
            shift += 7;
        }
        if value > max {
            return Err(K::ValueTooLarge {
                offset: start,
                what,
                value,
                max,
            });
        }
        Ok(value)
    }

    fn uleb_u16(&mut self, max: u64, what: &'static str) -> KResult<u16> {
        let v = self.uleb(max.min(u64::from(u16::MAX)), what)?;
        // `max` is clamped to u16::MAX above, so the conversion cannot fail.
        Ok(u16::try_from(v).unwrap_or(u16::MAX))
    }

    fn uleb_usize(&mut self, max: u64, what: &'static str) -> KResult<usize> {
        let v = self.uleb(max, what)?;
        usize::try_from(v).map_err(|_| K::ValueTooLarge {
            offset: self.pos,
            what,
            value: v,
            max: usize::MAX as u64,
        })
    }

    /// Reads a table index.
    fn index(&mut self, what: &'static str) -> KResult<u16> {
        self.uleb_u16(TABLE_INDEX_MAX, what)
    }

    fn blob(&mut self, max: u64, what: &'static str) -> KResult<Vec<u8>> {
        let len = self.uleb_usize(max, what)?;
        Ok(self.bytes(len, what)?.to_vec())
    }

    fn identifier(&mut self) -> KResult<String> {
        let len = self.uleb_usize(IDENTIFIER_SIZE_MAX, "identifier length")?;
        let offset = self.pos;
        let bytes = self.bytes(len, "identifier")?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| K::InvalidIdentifier {
            offset,
            text: String::from_utf8_lossy(bytes).into_owned(),
            reason: "not UTF-8",
        })?;
        if let Err(reason) = check_identifier(&text) {
            return Err(K::InvalidIdentifier {
                offset,
                text,
                reason,
            });
        }
        Ok(text)
    }

    fn module_handle(&mut self) -> KResult<ModuleHandle> {
        Ok(ModuleHandle {
            address: AddressIdentifierIndex(self.index("address index")?),
            name: IdentifierIndex(self.index("identifier index")?),
        })
    }

    fn abilities(&mut self) -> KResult<AbilitySet> {
        let offset = self.pos;
        let bits = self.uleb(u64::MAX, "ability set")?;
        u8::try_from(bits)
            .ok()
            .and_then(AbilitySet::from_u8)
            .ok_or(K::UnknownAbilities { offset, bits })
    }

    fn ability_sets(&mut self) -> KResult<Vec<AbilitySet>> {
        let n = self.uleb(TYPE_PARAMETER_COUNT_MAX, "type parameter count")?;
        (0..n).map(|_| self.abilities()).collect()
    }

    fn struct_handle(&mut self) -> KResult<StructHandle> {
        let module = ModuleHandleIndex(self.index("module handle index")?);
        let name = IdentifierIndex(self.index("identifier index")?);
        let abilities = self.abilities()?;
        let n = self.uleb(TYPE_PARAMETER_COUNT_MAX, "type parameter count")?;
        let mut type_parameters = Vec::new();
        for _ in 0..n {
            let constraints = self.abilities()?;
            let is_phantom = self.uleb(1, "phantom flag")? == 1;
            type_parameters.push(StructTypeParameter {
                constraints,
                is_phantom,
            });
        }
        Ok(StructHandle {
            module,
            name,
            abilities,
            type_parameters,
        })
    }

    fn function_handle(&mut self) -> KResult<FunctionHandle> {
        let module = ModuleHandleIndex(self.index("module handle index")?);
        let name = IdentifierIndex(self.index("identifier index")?);
        let parameters = SignatureIndex(self.index("parameters signature index")?);
        let return_ = SignatureIndex(self.index("return signature index")?);
        let type_parameters = self.ability_sets()?;
        let access_specifiers = if self.version >= 7 {
            self.access_specifiers()?
        } else {
            None
        };
        Ok(FunctionHandle {
            module,
            name,
            parameters,
            return_,
            type_parameters,
            access_specifiers,
        })
    }

    fn tagged_option(&mut self, what: &'static str) -> KResult<bool> {
        let offset = self.pos;
        match self.u8(what)? {
            option_tag::NONE => Ok(false),
            option_tag::SOME => Ok(true),
            value => Err(K::InvalidTag {
                offset,
                what,
                value,
            }),
        }
    }

    fn access_specifiers(&mut self) -> KResult<Option<Vec<AccessSpecifier>>> {
        if !self.tagged_option("access specifier option")? {
            return Ok(None);
        }
        let n = self.uleb(ACCESS_SPECIFIER_COUNT_MAX, "access specifier count")?;
        let mut specs = Vec::new();
        for _ in 0..n {
            specs.push(self.access_specifier()?);
        }
        Ok(Some(specs))
    }

    fn access_specifier(&mut self) -> KResult<AccessSpecifier> {
        use access_tag::*;
        let offset = self.pos;
        let kind = match self.u8("access kind")? {
            KIND_READ => AccessKind::Reads,
            KIND_WRITE => AccessKind::Writes,
            value => {
                return Err(K::InvalidTag {
                    offset,
                    what: "access kind",
                    value,
                })
            }
        };
        // Booleans use the same 1/2 encoding as options.
        let negated = self.tagged_option("access negation flag")?;
        let offset = self.pos;
        let resource = match self.u8("resource specifier")? {
            RESOURCE_ANY => ResourceSpecifier::Any,
            RESOURCE_AT_ADDRESS => ResourceSpecifier::DeclaredAtAddress(AddressIdentifierIndex(
                self.index("address index")?,
            )),
            RESOURCE_IN_MODULE => ResourceSpecifier::DeclaredInModule(ModuleHandleIndex(
                self.index("module handle index")?,
            )),
            RESOURCE_RESOURCE => {
                ResourceSpecifier::Resource(StructHandleIndex(self.index("struct handle index")?))
            }
            RESOURCE_INSTANTIATION => ResourceSpecifier::ResourceInstantiation(
                StructHandleIndex(self.index("struct handle index")?),
                SignatureIndex(self.index("signature index")?),
            ),
            value => {
                return Err(K::InvalidTag {
                    offset,
                    what: "resource specifier",
                    value,
                })
            }
        };
        let offset = self.pos;
        let address = match self.u8("address specifier")? {
            ADDRESS_ANY => AddressSpecifier::Any,
            ADDRESS_LITERAL => {
                AddressSpecifier::Literal(AddressIdentifierIndex(self.index("address index")?))
            }
            ADDRESS_PARAMETER => {
                let local = self.uleb(LOCAL_INDEX_MAX, "parameter index")? as LocalIndex;
                let func = if self.tagged_option("address function option")? {
                    Some(FunctionInstantiationIndex(
                        self.index("function instantiation index")?,
                    ))
                } else {
                    None
                };
                AddressSpecifier::Parameter(local, func)
            }
            value => {
                return Err(K::InvalidTag {
                    offset,
                    what: "address specifier",
                    value,
                })
            }
        };
        Ok(AccessSpecifier {
            kind,
            negated,
            resource,
            address,
        })
    }

    fn signature_tokens(&mut self) -> KResult<Vec<SignatureToken>> {
        let n = self.uleb(SIGNATURE_SIZE_MAX, "signature length")?;
        (0..n).map(|_| self.signature_token()).collect()
    }

    /// Reads one signature token. Nested tokens are decoded with an explicit stack of
    /// partially built constructors so that hostile input cannot overflow the call stack.
    fn signature_token(&mut self) -> KResult<SignatureToken> {
        enum Partial {
            Vector,
            Reference,
            MutableReference,
            StructInst(StructHandleIndex, usize, Vec<SignatureToken>),
        }
        let mut stack: Vec<Partial> = Vec::new();
        loop {
            if stack.len() > SIGNATURE_TOKEN_DEPTH_MAX {
                return Err(K::SignatureTooDeep {
                    offset: self.pos,
                    max: SIGNATURE_TOKEN_DEPTH_MAX,
                });
            }
            let offset = self.pos;
            let tag = self.u8("type tag")?;
            let mut done = match tag {
                type_tag::BOOL => SignatureToken::Bool,
                type_tag::U8 => SignatureToken::U8,
                type_tag::U16 => SignatureToken::U16,
                type_tag::U32 => SignatureToken::U32,
                type_tag::U64 => SignatureToken::U64,
                type_tag::U128 => SignatureToken::U128,
                type_tag::U256 => SignatureToken::U256,
                type_tag::ADDRESS => SignatureToken::Address,
                type_tag::SIGNER => SignatureToken::Signer,
                type_tag::STRUCT => {
                    SignatureToken::Struct(StructHandleIndex(self.index("struct handle index")?))
                }
                type_tag::TYPE_PARAMETER => SignatureToken::TypeParameter(
                    self.uleb_u16(TYPE_PARAMETER_INDEX_MAX, "type parameter index")?,
                ),
                type_tag::VECTOR => {
                    stack.push(Partial::Vector);
                    continue;
                }
                type_tag::REFERENCE => {
                    stack.push(Partial::Reference);
                    continue;
                }
                type_tag::MUTABLE_REFERENCE => {
                    stack.push(Partial::MutableReference);
                    continue;
                }
                type_tag::STRUCT_INST => {
                    let handle = StructHandleIndex(self.index("struct handle index")?);
                    let arity_offset = self.pos;
                    let arity = self.uleb_usize(TYPE_PARAMETER_COUNT_MAX, "type argument count")?;
                    if arity == 0 {
                        return Err(K::EmptyStructInstantiation {
                            offset: arity_offset,
                        });
                    }
                    stack.push(Partial::StructInst(handle, arity, Vec::new()));
                    continue;
                }
                type_tag::FUNCTION => {
                    return Err(K::VersionMismatch {
                        offset,
                        what: "function type (tag 0x10)".to_string(),
                        required: 8,
                        version: self.version,
                    })
                }
                _ => return Err(K::UnknownTypeTag { offset, tag }),
            };
            // Fold the finished token into its enclosing constructors.
            loop {
                match stack.pop() {
                    None => return Ok(done),
                    Some(Partial::Vector) => done = SignatureToken::Vector(Box::new(done)),
                    Some(Partial::Reference) => done = SignatureToken::Reference(Box::new(done)),
                    Some(Partial::MutableReference) => {
                        done = SignatureToken::MutableReference(Box::new(done))
                    }
                    Some(Partial::StructInst(handle, arity, mut args)) => {
                        args.push(done);
                        if args.len() == arity {
                            done = SignatureToken::StructInstantiation(handle, args);
                        } else {
                            stack.push(Partial::StructInst(handle, arity, args));
                            break;
                        }
                    }
                }
            }
        }
    }

    fn field_defs(&mut self) -> KResult<Vec<FieldDefinition>> {
        let n = self.uleb(FIELD_COUNT_MAX, "field count")?;
        let mut fields = Vec::new();
        for _ in 0..n {
            let name = IdentifierIndex(self.index("identifier index")?);
            let signature = self.signature_token()?;
            fields.push(FieldDefinition { name, signature });
        }
        Ok(fields)
    }

    fn struct_def(&mut self) -> KResult<StructDefinition> {
        let struct_handle = StructHandleIndex(self.index("struct handle index")?);
        let offset = self.pos;
        let field_information = match self.u8("struct layout flag")? {
            struct_flag::NATIVE => StructFieldInformation::Native,
            struct_flag::DECLARED => StructFieldInformation::Declared(self.field_defs()?),
            struct_flag::DECLARED_VARIANTS => {
                if self.version < 7 {
                    return Err(K::VersionMismatch {
                        offset,
                        what: "enum definition".to_string(),
                        required: 7,
                        version: self.version,
                    });
                }
                let n = self.uleb(VARIANT_COUNT_MAX, "variant count")?;
                let mut variants = Vec::new();
                for _ in 0..n {
                    let name = IdentifierIndex(self.index("identifier index")?);
                    let fields = self.field_defs()?;
                    variants.push(VariantDefinition { name, fields });
                }
                StructFieldInformation::DeclaredVariants(variants)
            }
            value => {
                return Err(K::InvalidTag {
                    offset,
                    what: "struct layout flag",
                    value,
                })
            }
        };
        Ok(StructDefinition {
            struct_handle,
            field_information,
        })
    }

    fn function_def(&mut self) -> KResult<FunctionDefinition> {
        let function = FunctionHandleIndex(self.index("function handle index")?);
        let offset = self.pos;
        let visibility = match self.u8("visibility")? {
            0 => Visibility::Private,
            1 => Visibility::Public,
            3 => Visibility::Friend,
            value => {
                return Err(K::InvalidTag {
                    offset,
                    what: "visibility",
                    value,
                })
            }
        };
        let flag_offset = self.pos;
        let flags = self.u8("function flags")?;
        if flags & !(FunctionDefinition::NATIVE | FunctionDefinition::ENTRY) != 0 {
            return Err(K::InvalidTag {
                offset: flag_offset,
                what: "function flags",
                value: flags,
            });
        }
        let is_entry = flags & FunctionDefinition::ENTRY != 0;
        let n = self.uleb(ACQUIRES_COUNT_MAX, "acquires count")?;
        let mut acquires_global_resources = Vec::new();
        for _ in 0..n {
            acquires_global_resources.push(StructDefinitionIndex(
                self.index("struct definition index")?,
            ));
        }
        let code = if flags & FunctionDefinition::NATIVE != 0 {
            None
        } else {
            Some(self.code_unit()?)
        };
        Ok(FunctionDefinition {
            function,
            visibility,
            is_entry,
            acquires_global_resources,
            code,
        })
    }

    fn code_unit(&mut self) -> KResult<CodeUnit> {
        let locals = SignatureIndex(self.index("locals signature index")?);
        let n = self.uleb(BYTECODE_COUNT_MAX, "instruction count")?;
        let mut code = Vec::new();
        for _ in 0..n {
            code.push(self.bytecode()?);
        }
        Ok(CodeUnit { locals, code })
    }

    fn local(&mut self) -> KResult<LocalIndex> {
        // LOCAL_INDEX_MAX is 255, so the value fits in a u8.
        Ok(self.uleb(LOCAL_INDEX_MAX, "local index")? as LocalIndex)
    }

    fn bytecode(&mut self) -> KResult<Bytecode> {
        use opcode::*;
        use Bytecode as B;
        let offset = self.pos;
        let op = self.u8("opcode")?;
        let sig = |r: &mut Self| r.index("signature index").map(SignatureIndex);
        let sdef = |r: &mut Self| {
            r.index("struct definition index")
                .map(StructDefinitionIndex)
        };
        let sinst = |r: &mut Self| {
            r.index("struct instantiation index")
                .map(StructDefInstantiationIndex)
        };
        let fh = |r: &mut Self| r.index("field handle index").map(FieldHandleIndex);
        let fi = |r: &mut Self| {
            r.index("field instantiation index")
                .map(FieldInstantiationIndex)
        };
        let vfh = |r: &mut Self| {
            r.index("variant field handle index")
                .map(VariantFieldHandleIndex)
        };
        let vfi = |r: &mut Self| {
            r.index("variant field instantiation index")
                .map(VariantFieldInstantiationIndex)
        };
        let svh = |r: &mut Self| {
            r.index("struct variant handle index")
                .map(StructVariantHandleIndex)
        };
        let svi = |r: &mut Self| {
            r.index("struct variant instantiation index")
                .map(StructVariantInstantiationIndex)
        };
        let target = |r: &mut Self| r.uleb_u16(BYTECODE_INDEX_MAX, "branch target");
        if (IMM_BORROW_VARIANT_FIELD..=TEST_VARIANT_GENERIC).contains(&op) && self.version < 7 {
            return Err(K::VersionMismatch {
                offset,
                what: format!("enum opcode {op:#04x}"),
                required: 7,
                version: self.version,
            });
        }
        Ok(match op {
            POP => B::Pop,
            RET => B::Ret,
            BR_TRUE => B::BrTrue(target(self)?),
            BR_FALSE => B::BrFalse(target(self)?),
            BRANCH => B::Branch(target(self)?),
            LD_U8 => B::LdU8(self.u8("u8 immediate")?),
            LD_U16 => B::LdU16(u16::from_le_bytes(self.array("u16 immediate")?)),
            LD_U32 => B::LdU32(u32::from_le_bytes(self.array("u32 immediate")?)),
            LD_U64 => B::LdU64(u64::from_le_bytes(self.array("u64 immediate")?)),
            LD_U128 => B::LdU128(u128::from_le_bytes(self.array("u128 immediate")?)),
            LD_U256 => B::LdU256(U256::from_le_bytes(self.array("u256 immediate")?)),
            CAST_U8 => B::CastU8,
            CAST_U16 => B::CastU16,
            CAST_U32 => B::CastU32,
            CAST_U64 => B::CastU64,
            CAST_U128 => B::CastU128,
            CAST_U256 => B::CastU256,
            LD_CONST => B::LdConst(ConstantPoolIndex(self.index("constant index")?)),
            LD_TRUE => B::LdTrue,
            LD_FALSE => B::LdFalse,
            COPY_LOC => B::CopyLoc(self.local()?),
            MOVE_LOC => B::MoveLoc(self.local()?),
            ST_LOC => B::StLoc(self.local()?),
            MUT_BORROW_LOC => B::MutBorrowLoc(self.local()?),
            IMM_BORROW_LOC => B::ImmBorrowLoc(self.local()?),
            CALL => B::Call(FunctionHandleIndex(self.index("function handle index")?)),
            CALL_GENERIC => B::CallGeneric(FunctionInstantiationIndex(
                self.index("function instantiation index")?,
            )),
            PACK => B::Pack(sdef(self)?),
            PACK_GENERIC => B::PackGeneric(sinst(self)?),
            UNPACK => B::Unpack(sdef(self)?),
            UNPACK_GENERIC => B::UnpackGeneric(sinst(self)?),
            PACK_VARIANT => B::PackVariant(svh(self)?),
            PACK_VARIANT_GENERIC => B::PackVariantGeneric(svi(self)?),
            UNPACK_VARIANT => B::UnpackVariant(svh(self)?),
            UNPACK_VARIANT_GENERIC => B::UnpackVariantGeneric(svi(self)?),
            TEST_VARIANT => B::TestVariant(svh(self)?),
            TEST_VARIANT_GENERIC => B::TestVariantGeneric(svi(self)?),
            READ_REF => B::ReadRef,
            WRITE_REF => B::WriteRef,
            FREEZE_REF => B::FreezeRef,
            MUT_BORROW_FIELD => B::MutBorrowField(fh(self)?),
            MUT_BORROW_FIELD_GENERIC => B::MutBorrowFieldGeneric(fi(self)?),
            IMM_BORROW_FIELD => B::ImmBorrowField(fh(self)?),
            IMM_BORROW_FIELD_GENERIC => B::ImmBorrowFieldGeneric(fi(self)?),
            MUT_BORROW_VARIANT_FIELD => B::MutBorrowVariantField(vfh(self)?),
            MUT_BORROW_VARIANT_FIELD_GENERIC => B::MutBorrowVariantFieldGeneric(vfi(self)?),
            IMM_BORROW_VARIANT_FIELD => B::ImmBorrowVariantField(vfh(self)?),
            IMM_BORROW_VARIANT_FIELD_GENERIC => B::ImmBorrowVariantFieldGeneric(vfi(self)?),
            MUT_BORROW_GLOBAL => B::MutBorrowGlobal(sdef(self)?),
            MUT_BORROW_GLOBAL_GENERIC => B::MutBorrowGlobalGeneric(sinst(self)?),
            IMM_BORROW_GLOBAL => B::ImmBorrowGlobal(sdef(self)?),
            IMM_BORROW_GLOBAL_GENERIC => B::ImmBorrowGlobalGeneric(sinst(self)?),
            ADD => B::Add,
            SUB => B::Sub,
            MUL => B::Mul,
            MOD => B::Mod,
            DIV => B::Div,
            BIT_OR => B::BitOr,
            BIT_AND => B::BitAnd,
            XOR => B::Xor,
            OR => B::Or,
            AND => B::And,
            NOT => B::Not,
            EQ => B::Eq,
            NEQ => B::Neq,
            LT => B::Lt,
            GT => B::Gt,
            LE => B::Le,
            GE => B::Ge,
            SHL => B::Shl,
            SHR => B::Shr,
            ABORT => B::Abort,
            NOP => B::Nop,
            EXISTS => B::Exists(sdef(self)?),
            EXISTS_GENERIC => B::ExistsGeneric(sinst(self)?),
            MOVE_FROM => B::MoveFrom(sdef(self)?),
            MOVE_FROM_GENERIC => B::MoveFromGeneric(sinst(self)?),
            MOVE_TO => B::MoveTo(sdef(self)?),
            MOVE_TO_GENERIC => B::MoveToGeneric(sinst(self)?),
            VEC_PACK => B::VecPack(sig(self)?, u64::from_le_bytes(self.array("element count")?)),
            VEC_LEN => B::VecLen(sig(self)?),
            VEC_IMM_BORROW => B::VecImmBorrow(sig(self)?),
            VEC_MUT_BORROW => B::VecMutBorrow(sig(self)?),
            VEC_PUSH_BACK => B::VecPushBack(sig(self)?),
            VEC_POP_BACK => B::VecPopBack(sig(self)?),
            VEC_UNPACK => {
                B::VecUnpack(sig(self)?, u64::from_le_bytes(self.array("element count")?))
            }
            VEC_SWAP => B::VecSwap(sig(self)?),
            op if (FIRST_V8..=FIRST_V8 + 2).contains(&op) => {
                return Err(K::VersionMismatch {
                    offset,
                    what: format!("closure opcode {op:#04x}"),
                    required: 8,
                    version: self.version,
                })
            }
            op => return Err(K::UnknownOpcode { offset, opcode: op }),
        })
    }
}

/// Checks the Move identifier rules of bytecode v6/v7 (move-core-types `identifier.rs`):
/// `<SELF>` or `<SELF>_<digits>` (the compiler names script pseudo-modules this way), or an
/// ASCII letter followed by letters, digits and `_`, or `_` followed by at least one such
/// character.
pub fn check_identifier(s: &str) -> Result<(), &'static str> {
    let b = s.as_bytes();
    let tail_ok = |rest: &[u8]| rest.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    match b {
        [] => Err("empty"),
        b"<SELF>" => Ok(()),
        [b'<', b'S', b'E', b'L', b'F', b'>', b'_', digits @ ..] => {
            if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
                Ok(())
            } else {
                Err("`<SELF>_` must be followed by digits")
            }
        }
        [first, rest @ ..] if first.is_ascii_alphabetic() => {
            if tail_ok(rest) {
                Ok(())
            } else {
                Err("contains a character other than [A-Za-z0-9_]")
            }
        }
        [b'_'] => Err("a lone underscore is not an identifier"),
        [b'_', rest @ ..] => {
            if tail_ok(rest) {
                Ok(())
            } else {
                Err("contains a character other than [A-Za-z0-9_]")
            }
        }
        _ => Err("must start with a letter or an underscore"),
    }
}

#[cfg(test)]
mod tests {
    use super::check_identifier;

    #[test]
    fn identifier_rules() {
        for ok in ["a", "Coin", "_x", "a_1", "<SELF>", "<SELF>_0", "<SELF>_12"] {
            assert_eq!(check_identifier(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "_", "1a", "a-b", "<SELF>_", "<SELF>_x", "<OTHER>", "a$", "é",
        ] {
            assert!(check_identifier(bad).is_err(), "{bad}");
        }
    }
}
