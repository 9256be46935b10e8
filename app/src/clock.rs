//! The source of block times the app asks for when it simulates txs. The node's
//! implementations (the system clock, a dev clock that can be advanced) live in the node.

use tendermint::Time;

/// A source of block times.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> Time;
}
