//! OPinit's `opinit.ophost.v1` protobuf messages; they live in [`minitia_chain::opinit`] so the
//! minitia's bots and the challenger can use them without depending on the L1 node.

pub use minitia_chain::opinit::*;
