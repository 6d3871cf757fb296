//! Request rate limits, per app node (in memory): API calls per token (or per address without
//! one), and failed password sign-ins per client address and account. Exceeding a limit
//! answers 429 with `Retry-After`.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::LimitSettings;
use crate::error::{Error, ErrorKind, Result};

/// Limits count over a sliding five minutes, as Mastodon's do.
const WINDOW: Duration = Duration::from_secs(300);

pub struct RateLimits {
    api: Option<DefaultKeyedRateLimiter<String>>,
    sign_in: Option<FailureBudget>,
    checks: AtomicU64,
}

/// Failed attempts per key over the last [`WINDOW`]. An attempt takes a place in the budget
/// before the password is checked (so concurrent attempts cannot overrun it) and gives it
/// back if it succeeds: only failures count.
struct FailureBudget {
    limit: usize,
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
    ops: AtomicU64,
}

/// A password sign-in attempt holding a place in the budget. Pass it to
/// [`RateLimits::sign_in_succeeded`] if the password was right; dropped otherwise, it stays
/// counted as a failure.
#[must_use]
pub struct SignInAttempt {
    key: Option<(String, Instant)>,
}

fn limiter(per_window: u32) -> Option<DefaultKeyedRateLimiter<String>> {
    let n = NonZeroU32::new(per_window)?;
    let quota = Quota::with_period(WINDOW / n.get())?.allow_burst(n);
    Some(RateLimiter::keyed(quota))
}

impl RateLimits {
    pub fn new(limits: &LimitSettings) -> RateLimits {
        RateLimits {
            api: limiter(limits.api_requests_per_5_minutes),
            sign_in: (limits.sign_in_attempts_per_5_minutes > 0).then(|| FailureBudget {
                limit: limits.sign_in_attempts_per_5_minutes as usize,
                attempts: Mutex::new(HashMap::new()),
                ops: AtomicU64::new(0),
            }),
            checks: AtomicU64::new(0),
        }
    }

    fn check(
        &self,
        limiter: Option<&DefaultKeyedRateLimiter<String>>,
        key: String,
        message: &'static str,
    ) -> Result<()> {
        let Some(limiter) = limiter else {
            return Ok(());
        };
        // Forget idle keys now and then so memory stays bounded.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            limiter.retain_recent();
        }
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::new(ErrorKind::RateLimited, message).with_retry_after(wait.as_secs().max(1))
        })
    }

    /// One API request by `key` (a token id, or an address for anonymous requests).
    pub fn check_api(&self, key: String) -> Result<()> {
        self.check(self.api.as_ref(), key, "Too many requests")
    }

    /// Start a password sign-in from `address` for `account` (the account's id when the
    /// login names one, so its username and e-mail share one budget; else the login as
    /// typed). Refused with 429 once the failures of this address and account in the last
    /// five minutes reach `limits.sign_in_attempts_per_5_minutes`.
    pub fn begin_sign_in(&self, address: &str, account: &str) -> Result<SignInAttempt> {
        let Some(budget) = &self.sign_in else {
            return Ok(SignInAttempt { key: None });
        };
        let key = format!("{address}|{account}");
        let now = Instant::now();
        let mut attempts = budget
            .attempts
            .lock()
            .map_err(|_| Error::internal(anyhow::anyhow!("sign-in budget lock poisoned")))?;
        // Forget idle keys now and then so memory stays bounded.
        if budget.ops.fetch_add(1, Ordering::Relaxed) % 1_000 == 999 {
            attempts.retain(|_, times| times.back().is_some_and(|t| now - *t < WINDOW));
        }
        let times = attempts.entry(key.clone()).or_default();
        while times.front().is_some_and(|t| now - *t >= WINDOW) {
            times.pop_front();
        }
        if times.len() >= budget.limit {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = WINDOW.saturating_sub(now - oldest);
            return Err(Error::new(
                ErrorKind::RateLimited,
                "Too many sign-in attempts. Please wait a few minutes and try again.",
            )
            .with_retry_after(wait.as_secs().max(1)));
        }
        times.push_back(now);
        Ok(SignInAttempt {
            key: Some((key, now)),
        })
    }

    /// The attempt's password was right: it does not count against the budget.
    pub fn sign_in_succeeded(&self, attempt: SignInAttempt) {
        let (Some(budget), Some((key, at))) = (&self.sign_in, attempt.key) else {
            return;
        };
        if let Ok(mut attempts) = budget.attempts.lock()
            && let Some(times) = attempts.get_mut(&key)
            && let Some(i) = times.iter().position(|t| *t == at)
        {
            times.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_count_and_the_budget_is_per_address_and_account() {
        let limits = LimitSettings {
            sign_in_attempts_per_5_minutes: 3,
            ..LimitSettings::default()
        };
        let rl = RateLimits::new(&limits);
        // Successes give their place back.
        for _ in 0..10 {
            let attempt = rl.begin_sign_in("10.0.0.1", "account:1").unwrap();
            rl.sign_in_succeeded(attempt);
        }
        for _ in 0..3 {
            let _failed = rl.begin_sign_in("10.0.0.1", "account:1").unwrap();
        }
        let err = rl.begin_sign_in("10.0.0.1", "account:1").err().unwrap();
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        // Another account from that address, or that account from another address: own budget.
        assert!(rl.begin_sign_in("10.0.0.1", "account:2").is_ok());
        assert!(rl.begin_sign_in("10.0.0.2", "account:1").is_ok());
    }
}
