//! Retry with exponential backoff and jitter, honouring the server's `Retry-After`.

use std::time::{Duration, SystemTime};

/// How a connector retries rate-limited and failed requests.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Delay before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Upper bound on a computed backoff delay.
    pub max_delay: Duration,
    /// Upper bound on a server-requested `Retry-After`, so a hostile or broken server cannot
    /// park a scan for hours; beyond it the request fails with the server's status.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `retry` (0-based). `jitter` in `[0, 1)` spreads concurrent
    /// clients apart ("full jitter" on the upper half). A server's `Retry-After` wins when
    /// present, as long as it is within `max_retry_after`; `None` means: do not retry.
    pub fn delay(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        if let Some(ra) = retry_after {
            return (ra <= self.max_retry_after).then_some(ra);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(16)))
            .min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        Some(exp.mul_f64(0.5 + 0.5 * jitter))
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Reads the retry hint from response headers: `retry-after-ms` (OpenAI) or `Retry-After`.
pub fn retry_after_from_headers(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(60),
        };
        // jitter 1.0 gives the full exponential value
        assert_eq!(p.delay(0, None, 1.0), Some(Duration::from_millis(100)));
        assert_eq!(p.delay(1, None, 1.0), Some(Duration::from_millis(200)));
        assert_eq!(p.delay(3, None, 1.0), Some(Duration::from_millis(800)));
        assert_eq!(p.delay(9, None, 1.0), Some(Duration::from_secs(1)));
        // jitter 0 gives half
        assert_eq!(p.delay(1, None, 0.0), Some(Duration::from_millis(100)));
        assert_eq!(p.delay(10, None, 1.0), None, "retries exhausted");
    }

    #[test]
    fn retry_after_wins_unless_too_long() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3)), 0.5),
            Some(Duration::from_secs(3))
        );
        assert_eq!(p.delay(0, Some(Duration::from_secs(3600)), 0.5), None);
    }

    #[test]
    fn parses_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn headers_prefer_retry_after_ms() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "9".parse().unwrap());
        assert_eq!(retry_after_from_headers(&h), Some(Duration::from_secs(9)));
        h.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(
            retry_after_from_headers(&h),
            Some(Duration::from_millis(250))
        );
    }
}
