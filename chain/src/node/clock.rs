//! Where block times come from. Production uses the system clock; dev chains add an offset
//! that a dev-only command advances, so a 7-day finalization period passes in seconds.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tendermint::Time;

pub use minitia_app::clock::Clock;

/// The system clock plus an adjustable offset (zero unless advanced).
#[derive(Debug, Default)]
pub struct SystemClock {
    offset_nanos: AtomicI64,
    dev: bool,
}

/// Advancing time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("time can only be advanced on a dev chain (start the node with dev mode enabled)")]
pub struct NotDevChain;

impl SystemClock {
    /// The plain system clock; [`SystemClock::advance`] is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock for dev chains whose time can be advanced.
    pub fn dev() -> Self {
        Self {
            offset_nanos: AtomicI64::new(0),
            dev: true,
        }
    }

    /// Moves time forward by `by` (dev chains only). Time never moves backwards.
    pub fn advance(&self, by: Duration) -> Result<Duration, NotDevChain> {
        if !self.dev {
            return Err(NotDevChain);
        }
        let n = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
        let total = self
            .offset_nanos
            .fetch_add(n, Ordering::SeqCst)
            .saturating_add(n);
        Ok(Duration::from_nanos(total.max(0) as u64))
    }

    /// The total offset applied.
    pub fn offset(&self) -> Duration {
        Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst).max(0) as u64)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Time {
        let now = Time::now();
        (now + self.offset()).unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_only_on_dev_and_forward() {
        assert_eq!(
            SystemClock::new().advance(Duration::from_secs(1)),
            Err(NotDevChain)
        );
        let c = SystemClock::dev();
        let before = c.now();
        c.advance(Duration::from_secs(7 * 24 * 3600)).unwrap();
        let after = c.now();
        assert!(after.duration_since(before).unwrap() >= Duration::from_secs(7 * 24 * 3600));
    }
}
