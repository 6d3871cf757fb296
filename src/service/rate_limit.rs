//! Request rate limits, per app node (in memory): API calls per token (or per address without
//! one) and password sign-in attempts per address and login name. Exceeding a limit answers
//! 429 with `Retry-After`.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::LimitSettings;
use crate::error::{Error, ErrorKind, Result};

/// Limits count over a sliding five minutes, as Mastodon's do.
const WINDOW: Duration = Duration::from_secs(300);

pub struct RateLimits {
    api: Option<DefaultKeyedRateLimiter<String>>,
    sign_in: Option<DefaultKeyedRateLimiter<String>>,
    checks: AtomicU64,
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
            sign_in: limiter(limits.sign_in_attempts_per_5_minutes),
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

    /// One password sign-in attempt.
    pub fn check_sign_in(&self, address: &str, login: &str) -> Result<()> {
        self.check(
            self.sign_in.as_ref(),
            format!("{address}|{}", login.trim().to_lowercase()),
            "Too many sign-in attempts. Please wait a few minutes and try again.",
        )
    }
}
