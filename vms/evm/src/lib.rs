//! The EVM execution engine (revm) for EVM minitias.
