//! A per-client-address limit on sign-in attempts (a `governor` GCRA limiter in memory, so each
//! node counts on its own).

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

/// Limits sign-in requests per client address.
pub struct SignInLimiter {
    limiter: Option<DefaultKeyedRateLimiter<Option<IpAddr>>>,
    checks: AtomicU64,
}

impl SignInLimiter {
    /// Allows `per_minute` requests per address per minute, in bursts of up to that many;
    /// 0 turns the limit off.
    pub fn per_minute(per_minute: u32) -> SignInLimiter {
        SignInLimiter {
            limiter: NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request from `client` (unknown addresses share one budget). `Err` carries
    /// how long the client must wait.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        // Forget idle addresses now and then, so memory stays bounded.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_budget_must_wait_while_others_may_go_on() {
        let limiter = SignInLimiter::per_minute(2);
        let a = Some(IpAddr::from([192, 0, 2, 1]));
        let b = Some(IpAddr::from([192, 0, 2, 2]));
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        let wait = limiter
            .check(a)
            .expect_err("third attempt is over the budget");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
        assert!(limiter.check(b).is_ok());
        let unlimited = SignInLimiter::per_minute(0);
        assert!((0..100).all(|_| unlimited.check(a).is_ok()));
    }
}
