//! Time, injected: one [`Clock`] for the store, the server, the client and
//! the CLI, like rustls' time provider.
//!
//! Production code uses [`SystemClock`]; tests pass a [`ManualClock`] and
//! move it forward, so expiry, throttle and waiting-period tests never
//! sleep and never depend on how busy the machine is. vault-core reads no
//! clock at all: callers hand it times.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use vault_sync::clock::{Clock, ManualClock, SharedClock};
//!
//! let clock = Arc::new(ManualClock::new(1_700_000_000_000));
//! let shared: SharedClock = clock.clone();
//! assert_eq!(shared.now_secs(), 1_700_000_000);
//! clock.advance(Duration::from_secs(90));
//! assert_eq!(shared.now_ms(), 1_700_000_090_000);
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// A source of wall-clock time in Unix milliseconds.
pub trait Clock: Send + Sync + core::fmt::Debug {
    /// Now, in Unix milliseconds.
    fn now_ms(&self) -> i64;

    /// Now, in whole Unix seconds.
    fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

/// A clock shared by everything that needs one.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            // A clock set before 1970 reads as the epoch.
            .unwrap_or(0)
    }
}

/// The system clock, shared.
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

/// A clock that only moves when told to (tests, simulations).
#[derive(Debug)]
pub struct ManualClock {
    ms: AtomicI64,
}

impl ManualClock {
    /// A clock reading `start_ms`.
    pub fn new(start_ms: i64) -> Self {
        ManualClock {
            ms: AtomicI64::new(start_ms),
        }
    }

    /// A clock reading the system clock's time now (then frozen).
    pub fn starting_now() -> Self {
        ManualClock::new(SystemClock.now_ms())
    }

    /// Sets the time.
    pub fn set(&self, ms: i64) {
        self.ms.store(ms, Ordering::SeqCst);
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let d = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let _ = self
            .ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(d))
            });
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.ms.load(Ordering::SeqCst)
    }
}
