//! Riding out a DA outage: exponential backoff for retryable errors, and a failover signal
//! once the outage has lasted longer than the configured limit (the caller then posts to the
//! L1 instead and comes back to DA when a probe succeeds).
//!
//! Time is whatever `tokio::time` says, so tests run it paused and advance it instantly.

use std::time::Duration;

use minitia_core::{BlobPointer, DaClient, DaError, Namespace};
use tokio::time::Instant;
use tracing::warn;

/// Retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First delay.
    pub initial: Duration,
    /// Cap on any single delay.
    pub max: Duration,
    /// Outage length after which the caller should fail over; `None` never fails over.
    pub failover_after: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            failover_after: Some(Duration::from_secs(600)),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `attempt` (0-based): `initial · 2^attempt`, capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// What to do after a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Wait this long, then call again.
    RetryAfter(Duration),
    /// DA has been down too long: post elsewhere.
    FailOver {
        /// How long DA has been failing.
        down_for: Duration,
    },
    /// The error will not go away by retrying.
    GiveUp(DaError),
}

/// Tracks one outage: when it began and how many retries it has cost.
#[derive(Debug, Clone)]
pub struct Outage {
    policy: RetryPolicy,
    since: Option<Instant>,
    attempt: u32,
}

impl Outage {
    /// No outage yet.
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            since: None,
            attempt: 0,
        }
    }

    /// Whether DA is currently considered down.
    pub fn is_down(&self) -> bool {
        self.since.is_some()
    }

    /// Records a failure at `now` and says what to do next.
    pub fn on_error(&mut self, err: DaError, now: Instant) -> Next {
        if !err.is_retryable() {
            return Next::GiveUp(err);
        }
        let since = *self.since.get_or_insert(now);
        let down_for = now.saturating_duration_since(since);
        if let Some(limit) = self.policy.failover_after {
            if down_for >= limit {
                return Next::FailOver { down_for };
            }
        }
        let delay = self.policy.delay(self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        Next::RetryAfter(delay)
    }

    /// Records a success: the outage is over.
    pub fn on_success(&mut self) {
        self.since = None;
        self.attempt = 0;
    }
}

/// Why [`submit_with_retry`] stopped without posting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// DA was down longer than the failover limit.
    #[error("DA down for {down_for:?}, past the failover limit; post the batch to the L1")]
    FailOver {
        /// Outage length.
        down_for: Duration,
        /// The last error seen.
        last: DaError,
    },
    /// DA refused the blobs.
    #[error("DA refused the batch: {0}")]
    Rejected(DaError),
}

/// Submits `blobs`, retrying retryable errors with backoff until it succeeds, DA refuses, or
/// the outage passes the failover limit.
pub async fn submit_with_retry<C: DaClient>(
    client: &C,
    namespace: Namespace,
    blobs: Vec<Vec<u8>>,
    outage: &mut Outage,
) -> Result<Vec<BlobPointer>, SubmitError> {
    loop {
        match client.submit(namespace, blobs.clone()).await {
            Ok(pointers) => {
                outage.on_success();
                return Ok(pointers);
            }
            Err(err) => match outage.on_error(err.clone(), Instant::now()) {
                Next::RetryAfter(delay) => {
                    warn!(error = %err, ?delay, "DA submit failed; retrying");
                    tokio::time::sleep(delay).await;
                }
                Next::FailOver { down_for } => {
                    return Err(SubmitError::FailOver {
                        down_for,
                        last: err,
                    })
                }
                Next::GiveUp(e) => return Err(SubmitError::Rejected(e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    /// A DA that fails `fail_first` times with `error`, then succeeds.
    struct Flaky {
        fail_first: u32,
        error: DaError,
        calls: AtomicU32,
        times: Mutex<Vec<Instant>>,
    }

    impl DaClient for Flaky {
        async fn submit(
            &self,
            _: Namespace,
            blobs: Vec<Vec<u8>>,
        ) -> Result<Vec<BlobPointer>, DaError> {
            self.times.lock().unwrap().push(Instant::now());
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if n < self.fail_first {
                return Err(self.error.clone());
            }
            Ok(blobs
                .iter()
                .map(|_| BlobPointer {
                    height: 9,
                    commitment: minitia_core::Hash32::ZERO,
                })
                .collect())
        }
        async fn get(&self, _: Namespace, p: BlobPointer) -> Result<Vec<u8>, DaError> {
            Err(DaError::NotFound(p.height))
        }
        async fn get_all(&self, _: Namespace, _: u64) -> Result<Vec<Vec<u8>>, DaError> {
            Ok(vec![])
        }
        async fn head(&self) -> Result<u64, DaError> {
            Ok(0)
        }
    }

    fn flaky(n: u32, error: DaError) -> Flaky {
        Flaky {
            fail_first: n,
            error,
            calls: AtomicU32::new(0),
            times: Mutex::new(vec![]),
        }
    }

    #[test]
    fn delays_double_and_cap() {
        let p = RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            failover_after: None,
        };
        let d: Vec<_> = (0..6).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(d, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.delay(u32::MAX), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_through_short_outage_with_backoff() {
        let da = flaky(3, DaError::Unavailable("down".into()));
        let policy = RetryPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            failover_after: Some(Duration::from_secs(600)),
        };
        let mut outage = Outage::new(policy);
        let ptrs = submit_with_retry(&da, Namespace([0; 29]), vec![vec![1]], &mut outage)
            .await
            .unwrap();
        assert_eq!(ptrs.len(), 1);
        assert!(!outage.is_down());
        let t = da.times.lock().unwrap().clone();
        let gaps: Vec<u64> = t.windows(2).map(|w| (w[1] - w[0]).as_secs()).collect();
        assert_eq!(gaps, vec![1, 2, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn long_outage_fails_over() {
        let da = flaky(u32::MAX, DaError::Unavailable("down".into()));
        let policy = RetryPolicy {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
            failover_after: Some(Duration::from_secs(60)),
        };
        let mut outage = Outage::new(policy);
        let start = Instant::now();
        let err = submit_with_retry(&da, Namespace([0; 29]), vec![vec![1]], &mut outage)
            .await
            .unwrap_err();
        match err {
            SubmitError::FailOver { down_for, .. } => assert!(down_for >= Duration::from_secs(60)),
            other => panic!("unexpected {other:?}"),
        }
        let waited = Instant::now() - start;
        assert!(
            waited >= Duration::from_secs(60) && waited < Duration::from_secs(75),
            "{waited:?}"
        );
        assert!(outage.is_down());
    }

    #[tokio::test(start_paused = true)]
    async fn rejection_is_not_retried() {
        let da = flaky(u32::MAX, DaError::Rejected("blob too large".into()));
        let mut outage = Outage::new(RetryPolicy::default());
        let err = submit_with_retry(&da, Namespace([0; 29]), vec![vec![1]], &mut outage)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            SubmitError::Rejected(DaError::Rejected("blob too large".into()))
        );
        assert_eq!(da.calls.load(Ordering::SeqCst), 1);
    }
}
