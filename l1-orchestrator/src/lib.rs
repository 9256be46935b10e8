//! The settlement L1 node: bank, bonds and the OPinit bridge (ophost) module.
//!
//! - [`ophost`] — OPinit's `x/ophost`: bridges, outputs, deposits, withdrawals (type URLs
//!   `/opinit.ophost.v1.*`, hashing from [`minitia_core::opinit`]).
//! - [`bond`] — proposer and challenger bonds (`/minitia.bond.v1.*`).
//! - [`fraud`] — fraud proofs judged on the L1 (`/minitia.fraud.v1.MsgSubmitFraudProof`).
//! - [`proto`] — the OPinit protobuf messages, written by hand with OPinit's field numbers.
//! - [`node`] — running it: home dir, node, CometBFT RPC, dev-only `POST /dev/advance_time`.

pub mod bond;
pub mod fraud;
pub mod node;
pub mod ophost;
pub mod proto;

pub use node::{
    init_home, l1_app, l1_app_with_engines, start, start_on, start_on_with_engines,
    start_with_engines, GenesisSpec, L1Error, L1Handle, L1Options,
};
