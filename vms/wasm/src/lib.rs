//! The CosmWasm-compatible execution engine (wasmer) for Wasm minitias.
