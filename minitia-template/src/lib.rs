//! The minitia rollup node, generic over execution engine, DA and L1 client.

pub mod batcher;
pub mod bridge;
pub mod challenger;
pub mod config;
pub mod finality;
pub mod follower;
pub mod home;
pub mod recovery;
pub mod run;

/// The TOML crate the config uses (for [`config::set_in_file`]'s values).
pub use toml;
