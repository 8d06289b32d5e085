//! Login throttling: per identifier and per client address, with backoff.
//!
//! Two rules, checked before any PAKE work:
//!
//! * **Failures back off.** Each failed login counts against the identifier
//!   and against the address. After [`LimitConfig::free_failures`] failures
//!   (within [`LimitConfig::failure_window_secs`]) the key is locked for
//!   `2^(n - free)` seconds, doubling with each further failure up to
//!   [`LimitConfig::max_lockout_secs`]. A success clears the identifier's
//!   count (not the address's: one account's success must not unlock an
//!   address that is guessing others). Unknown identifiers count exactly
//!   like real ones, so throttling does not reveal who has an account.
//! * **Attempts are capped.** Login starts per address per minute are capped
//!   ([`LimitConfig::starts_per_minute`]), whatever their outcome.
//!
//! Keys are the SHA-256 of the identifier (never the identifier itself, which
//! may be an email) and the address. The state lives in process memory
//! (single node, the SQLite default) or in Redis (shared by every node), with
//! the same rules; a Redis outage fails closed (503), since an attacker could
//! otherwise cause one to lift the throttle.

use crate::clock::SharedClock;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The throttle's settings.
#[derive(Clone, Debug)]
pub struct LimitConfig {
    /// Failures allowed before the first lockout.
    pub free_failures: u32,
    /// Failures older than this are forgotten.
    pub failure_window_secs: u64,
    /// The longest lockout.
    pub max_lockout_secs: u64,
    /// Login starts per address per minute.
    pub starts_per_minute: u32,
}

impl Default for LimitConfig {
    fn default() -> Self {
        LimitConfig {
            free_failures: 5,
            failure_window_secs: 3600,
            max_lockout_secs: 900,
            starts_per_minute: 60,
        }
    }
}

/// What the throttle is keyed by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LimitKey(String);

impl LimitKey {
    /// The key for an account identifier (hashed).
    pub fn identifier(identifier: &str) -> Self {
        LimitKey(format!(
            "id:{}",
            hex::encode(Sha256::digest(identifier.as_bytes()))
        ))
    }
    /// The key for registrations of an account identifier (hashed; apart
    /// from the identifier's login key).
    pub fn registration(identifier: &str) -> Self {
        LimitKey(format!(
            "reg:{}",
            hex::encode(Sha256::digest(identifier.as_bytes()))
        ))
    }
    /// The key for a client address.
    pub fn address(addr: &str) -> Self {
        LimitKey(format!(
            "ip:{}",
            hex::encode(Sha256::digest(addr.as_bytes()))
        ))
    }
}

/// A throttle failure: the backing store is unreachable.
#[derive(Debug, thiserror::Error)]
#[error("rate-limit store unavailable: {0}")]
pub struct LimitUnavailable(String);

/// The throttle.
pub enum Limiter {
    /// In process memory (one node).
    Memory(MemoryLimiter),
    /// In Redis (every node).
    Redis(RedisLimiter),
}

impl core::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Limiter::Memory(_) => "Limiter::Memory",
            Limiter::Redis(_) => "Limiter::Redis",
        })
    }
}

/// Whole seconds, rounded up (at least 1): a client that waits as long as
/// `Retry-After` says must find the lock gone.
fn ceil_secs(d: Duration) -> u64 {
    d.as_millis()
        .div_ceil(1000)
        .max(1)
        .try_into()
        .unwrap_or(u64::MAX)
}

fn lockout(cfg: &LimitConfig, failures: u32) -> u64 {
    if failures < cfg.free_failures {
        return 0;
    }
    let exp = (failures - cfg.free_failures).min(20);
    (1u64 << exp).min(cfg.max_lockout_secs)
}

impl Limiter {
    /// An in-memory throttle.
    pub fn memory(cfg: LimitConfig) -> Self {
        Limiter::memory_with_clock(cfg, crate::clock::system())
    }

    /// An in-memory throttle reading time from `clock` (tests move a
    /// [`ManualClock`](crate::clock::ManualClock) instead of sleeping).
    pub fn memory_with_clock(cfg: LimitConfig, clock: SharedClock) -> Self {
        Limiter::Memory(MemoryLimiter {
            cfg,
            clock,
            state: Mutex::new(HashMap::new()),
        })
    }

    /// A Redis throttle (`redis://host:port/db`); connects lazily and
    /// reconnects on its own.
    pub async fn redis(url: &str, cfg: LimitConfig) -> Result<Self, LimitUnavailable> {
        let client = redis::Client::open(url).map_err(|e| LimitUnavailable(e.to_string()))?;
        let conn = redis::aio::ConnectionManager::new(client)
            .await
            .map_err(|e| LimitUnavailable(e.to_string()))?;
        Ok(Limiter::Redis(RedisLimiter {
            cfg,
            conn,
            prefix: "vault:rl:".into(),
        }))
    }

    /// Uses this key prefix in Redis (tests give each run its own).
    pub fn with_prefix(self, prefix: &str) -> Self {
        match self {
            Limiter::Redis(mut r) => {
                r.prefix = prefix.into();
                Limiter::Redis(r)
            }
            m => m,
        }
    }

    /// Before a login starts: `Ok(None)` to go ahead, `Ok(Some(secs))` if a
    /// key is locked or the address is over its cap.
    pub async fn check_start(
        &self,
        keys: &[LimitKey],
        address: &LimitKey,
    ) -> Result<Option<u64>, LimitUnavailable> {
        match self {
            Limiter::Memory(m) => Ok(m.check_start(keys, address)),
            Limiter::Redis(r) => r.check_start(keys, address).await,
        }
    }

    /// A login failed for these keys.
    pub async fn failed(&self, keys: &[LimitKey]) -> Result<(), LimitUnavailable> {
        match self {
            Limiter::Memory(m) => {
                m.failed(keys);
                Ok(())
            }
            Limiter::Redis(r) => r.failed(keys).await,
        }
    }

    /// A login succeeded: forget this key's failures.
    pub async fn succeeded(&self, key: &LimitKey) -> Result<(), LimitUnavailable> {
        match self {
            Limiter::Memory(m) => {
                m.succeeded(key);
                Ok(())
            }
            Limiter::Redis(r) => r.succeeded(key).await,
        }
    }
}

/// Times are the clock's Unix milliseconds.
#[derive(Default)]
struct Entry {
    failures: u32,
    last_failure: Option<i64>,
    locked_until: Option<i64>,
    window_start: Option<i64>,
    starts: u32,
}

/// The in-memory throttle.
pub struct MemoryLimiter {
    cfg: LimitConfig,
    clock: SharedClock,
    state: Mutex<HashMap<LimitKey, Entry>>,
}

/// How long from `then` to `now` (zero if the clock went back).
fn since(now: i64, then: i64) -> Duration {
    Duration::from_millis(u64::try_from(now.saturating_sub(then)).unwrap_or(0))
}

fn dur_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Entries kept before stale ones are swept.
const MEMORY_SWEEP_AT: usize = 100_000;

impl MemoryLimiter {
    fn check_start(&self, keys: &[LimitKey], address: &LimitKey) -> Option<u64> {
        let now = self.clock.now_ms();
        let Ok(mut st) = self.state.lock() else {
            return Some(1);
        };
        for k in keys {
            if let Some(e) = st.get(k)
                && let Some(until) = e.locked_until
                && until > now
            {
                return Some(ceil_secs(since(until, now)));
            }
        }
        let e = st.entry(address.clone()).or_default();
        match e.window_start {
            Some(w) if since(now, w) < Duration::from_secs(60) => {
                e.starts = e.starts.saturating_add(1);
                if e.starts > self.cfg.starts_per_minute {
                    let left = Duration::from_secs(60).saturating_sub(since(now, w));
                    return Some(ceil_secs(left));
                }
            }
            _ => {
                e.window_start = Some(now);
                e.starts = 1;
            }
        }
        None
    }

    fn failed(&self, keys: &[LimitKey]) {
        let now = self.clock.now_ms();
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if st.len() > MEMORY_SWEEP_AT {
            let window = Duration::from_secs(self.cfg.failure_window_secs);
            st.retain(|_, e| {
                e.last_failure.is_some_and(|t| since(now, t) < window)
                    || e.window_start
                        .is_some_and(|t| since(now, t) < Duration::from_secs(60))
            });
        }
        for k in keys {
            let e = st.entry(k.clone()).or_default();
            if e.last_failure
                .is_some_and(|t| since(now, t) > Duration::from_secs(self.cfg.failure_window_secs))
            {
                e.failures = 0;
            }
            e.failures = e.failures.saturating_add(1);
            e.last_failure = Some(now);
            let lock = lockout(&self.cfg, e.failures);
            if lock > 0 {
                e.locked_until = Some(now.saturating_add(dur_ms(Duration::from_secs(lock))));
            }
        }
    }

    fn succeeded(&self, key: &LimitKey) {
        if let Ok(mut st) = self.state.lock()
            && let Some(e) = st.get_mut(key)
        {
            e.failures = 0;
            e.locked_until = None;
        }
    }
}

/// The Redis throttle.
pub struct RedisLimiter {
    cfg: LimitConfig,
    conn: redis::aio::ConnectionManager,
    prefix: String,
}

fn unavailable(e: redis::RedisError) -> LimitUnavailable {
    LimitUnavailable(e.to_string())
}

impl RedisLimiter {
    async fn check_start(
        &self,
        keys: &[LimitKey],
        address: &LimitKey,
    ) -> Result<Option<u64>, LimitUnavailable> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        for k in keys {
            pipe.cmd("PTTL").arg(format!("{}lock:{}", self.prefix, k.0));
        }
        let starts = format!("{}starts:{}", self.prefix, address.0);
        pipe.cmd("INCR").arg(&starts);
        pipe.cmd("EXPIRE").arg(&starts).arg(60).arg("NX").ignore();
        pipe.cmd("PTTL").arg(&starts);
        let out: Vec<i64> = pipe.query_async(&mut conn).await.map_err(unavailable)?;
        let (locks, rest) = out.split_at(keys.len().min(out.len()));
        if let Some(ms) = locks.iter().copied().filter(|&ms| ms > 0).max() {
            return Ok(Some(ceil_secs(Duration::from_millis(ms as u64))));
        }
        if let [count, ttl] = rest
            && *count > i64::from(self.cfg.starts_per_minute)
        {
            return Ok(Some(ceil_secs(Duration::from_millis((*ttl).max(1) as u64))));
        }
        Ok(None)
    }

    async fn failed(&self, keys: &[LimitKey]) -> Result<(), LimitUnavailable> {
        let mut conn = self.conn.clone();
        for k in keys {
            let fails = format!("{}fail:{}", self.prefix, k.0);
            let (n,): (i64,) = redis::pipe()
                .cmd("INCR")
                .arg(&fails)
                .cmd("EXPIRE")
                .arg(&fails)
                .arg(self.cfg.failure_window_secs)
                .ignore()
                .query_async(&mut conn)
                .await
                .map_err(unavailable)?;
            let lock = lockout(&self.cfg, u32::try_from(n).unwrap_or(u32::MAX));
            if lock > 0 {
                let _: () = redis::cmd("SET")
                    .arg(format!("{}lock:{}", self.prefix, k.0))
                    .arg(1)
                    .arg("EX")
                    .arg(lock)
                    .query_async(&mut conn)
                    .await
                    .map_err(unavailable)?;
            }
        }
        Ok(())
    }

    async fn succeeded(&self, key: &LimitKey) -> Result<(), LimitUnavailable> {
        let mut conn = self.conn.clone();
        let _: () = redis::cmd("DEL")
            .arg(format!("{}fail:{}", self.prefix, key.0))
            .arg(format!("{}lock:{}", self.prefix, key.0))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    #[test]
    fn backoff_doubles_and_caps() {
        let cfg = LimitConfig::default();
        assert_eq!(lockout(&cfg, 4), 0);
        assert_eq!(lockout(&cfg, 5), 1);
        assert_eq!(lockout(&cfg, 6), 2);
        assert_eq!(lockout(&cfg, 9), 16);
        assert_eq!(lockout(&cfg, 40), 900);
    }

    #[test]
    fn memory_locks_after_free_failures_and_success_clears() {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let l = MemoryLimiter {
            cfg: LimitConfig::default(),
            clock: clock.clone(),
            state: Mutex::new(HashMap::new()),
        };
        let id = LimitKey::identifier("alice");
        let ip = LimitKey::address("10.0.0.1");
        for _ in 0..4 {
            assert_eq!(l.check_start(std::slice::from_ref(&id), &ip), None);
            l.failed(&[id.clone(), ip.clone()]);
        }
        assert_eq!(l.check_start(std::slice::from_ref(&id), &ip), None);
        l.failed(&[id.clone(), ip.clone()]);
        assert!(l.check_start(std::slice::from_ref(&id), &ip).is_some());
        l.succeeded(&id);
        // The address is still locked.
        assert!(l.check_start(&[id.clone(), ip.clone()], &ip).is_some());
        let other_ip = LimitKey::address("10.0.0.2");
        assert_eq!(l.check_start(std::slice::from_ref(&id), &other_ip), None);
        // The address's lock (one second after the fifth failure) runs out.
        clock.advance(Duration::from_millis(999));
        assert_eq!(l.check_start(std::slice::from_ref(&ip), &other_ip), Some(1));
        clock.advance(Duration::from_millis(1));
        assert_eq!(l.check_start(std::slice::from_ref(&ip), &other_ip), None);
    }

    #[test]
    fn memory_caps_starts_per_minute() {
        let clock = Arc::new(ManualClock::new(5_000_000));
        let l = MemoryLimiter {
            cfg: LimitConfig {
                starts_per_minute: 3,
                ..LimitConfig::default()
            },
            clock: clock.clone(),
            state: Mutex::new(HashMap::new()),
        };
        let ip = LimitKey::address("10.0.0.1");
        for _ in 0..3 {
            assert_eq!(l.check_start(&[], &ip), None);
        }
        assert_eq!(l.check_start(&[], &ip), Some(60));
        clock.advance(Duration::from_secs(45));
        assert_eq!(l.check_start(&[], &ip), Some(15));
        // A new minute, a new window.
        clock.advance(Duration::from_secs(15));
        assert_eq!(l.check_start(&[], &ip), None);
    }
}
