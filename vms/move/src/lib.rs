//! A Move virtual machine: deserializer, verifier, loader and interpreter for Move bytecode v6/v7.
//!
//! The crate reads Move binaries in the Aptos/Initia flavour (32-byte addresses, v7 enums),
//! checks that every index is in bounds and that the tables are well structured, links
//! modules against each other and interprets their bytecode with gas metering.
//!
//! The binary format was learned from the public aptos-core `move-binary-format` crate and
//! initia-labs/movevm; the code here is an independent implementation.

pub mod bounds;
pub mod deserializer;
pub mod errors;
pub mod file_format;
pub mod format_common;
pub mod interpreter;
pub mod loader;
pub mod minitia;
pub mod serializer;
pub mod structure;
pub mod types;
pub mod u256;
pub mod verifier;

pub use deserializer::{deserialize_module, deserialize_script};
pub use errors::{BinaryError, CheckError, DeserializeError, DeserializeErrorKind, VmError};
pub use file_format::{CompiledModule, CompiledScript};
pub use minitia::ENGINE;
pub use serializer::{serialize_module, serialize_script};

/// Deserializes a module and runs the bounds and structural checks.
pub fn load_module(binary: &[u8]) -> Result<CompiledModule, BinaryError> {
    let module = deserialize_module(binary)?;
    bounds::check_module(&module)?;
    structure::check_module_structure(&module)?;
    Ok(module)
}

/// Deserializes a script and runs the bounds checks.
pub fn load_script(binary: &[u8]) -> Result<CompiledScript, BinaryError> {
    let script = deserialize_script(binary)?;
    bounds::check_script(&script)?;
    Ok(script)
}

/// [`load_module`] followed by the bytecode verifier.
pub fn load_verified_module(binary: &[u8]) -> Result<CompiledModule, BinaryError> {
    let module = load_module(binary)?;
    verifier::verify_module(&module)?;
    Ok(module)
}
