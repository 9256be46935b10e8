//! Process orchestration that runs an L1, DA and minitias on one machine.
//!
//! `minitia localnet up` ([`up::run`]) starts each component as its own OS process with its
//! own data dir under the localnet home, waits until each answers, bonds the operators and
//! creates one OPinit bridge per minitia on the L1, writes `<home>/localnet.json`
//! ([`manifest::Manifest`]) and serves a status page, `/status` JSON and `/metrics`
//! ([`server`]). The components are data ([`components::plan`]); `down`, `reset`, `logs`
//! and `time advance` are in [`ops`]. Layout of a home:
//!
//! ```text
//! <home>/localnet.json      endpoints, bridge ids, dev accounts (the documented contract)
//! <home>/l1/                the L1 home (minitia-l1)
//! <home>/da/                the DA node's block store (minitia-da)
//! <home>/minitias/<name>/   one minitia home per VM (minitia start)
//! <home>/logs/<name>.log    stdout and stderr of each component
//! <home>/run/<name>.pid     pid files (`up.pid` is localnet up itself); run/state.json
//! ```
//!
//! See `docs/localnet.md` for the commands, ports and the JSON shapes.

pub mod components;
pub mod l1;
pub mod manifest;
pub mod ops;
pub mod process;
pub mod server;
pub mod status;
pub mod up;

pub use manifest::Manifest;
pub use up::{run, UpOptions};
