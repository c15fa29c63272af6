//! API keys and per-key rate limits.
//!
//! Keys are configured as SHA-256 hashes, so the config file never holds a usable key. A
//! presented key is hashed and compared with *every* configured hash in constant time (no early
//! exit), so response timing says nothing about how close a guess was.

use std::sync::Mutex;
use std::time::Instant;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::KeyConfig;

/// Hex SHA-256 of a key, as written in `[[gateway.keys]]`.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// One configured key: its hash and its rate limiter.
#[derive(Debug)]
struct Key {
    name: String,
    hash: [u8; 32],
    bucket: Option<Mutex<TokenBucket>>,
}

/// The configured keys.
#[derive(Debug, Default)]
pub struct KeyStore {
    keys: Vec<Key>,
}

/// Why a request was not let in.
#[derive(Debug, Clone, PartialEq)]
pub enum Denied {
    /// No `Authorization: Bearer` header (or an empty one).
    Missing,
    /// A key that matches no configured hash.
    Wrong,
    /// The key's rate limit is spent; retry after this many seconds.
    RateLimited { key: String, retry_after_secs: u64 },
}

impl KeyStore {
    /// Builds the store; hashes are validated by [`GatewayConfig::validate`](crate::GatewayConfig::validate).
    pub fn new(keys: &[KeyConfig]) -> Self {
        let keys = keys
            .iter()
            .filter_map(|k| {
                let bytes = hex::decode(k.sha256.trim()).ok()?;
                let hash: [u8; 32] = bytes.try_into().ok()?;
                Some(Key {
                    name: k.name.clone(),
                    hash,
                    bucket: k.requests_per_minute.map(|rpm| {
                        let burst = k.burst.unwrap_or(rpm).max(1);
                        Mutex::new(TokenBucket::new(burst as f64, rpm as f64 / 60.0))
                    }),
                })
            })
            .collect();
        KeyStore { keys }
    }

    /// Whether any key is configured (without keys the gateway is open).
    pub fn is_enabled(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Checks the `Authorization` header value and takes one request from the key's budget.
    /// Returns the key's name (`anonymous` when no keys are configured).
    pub fn admit(&self, authorization: Option<&str>) -> Result<String, Denied> {
        if self.keys.is_empty() {
            return Ok("anonymous".into());
        }
        let presented = authorization
            .and_then(|h| {
                let h = h.trim();
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or(Denied::Missing)?;
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        // Compare against every key, accumulating the match without branching on it.
        let mut found: Option<&Key> = None;
        for key in &self.keys {
            let eq: bool = key.hash[..].ct_eq(&digest[..]).into();
            if eq && found.is_none() {
                found = Some(key);
            }
        }
        let key = found.ok_or(Denied::Wrong)?;
        if let Some(bucket) = &key.bucket {
            let mut b = bucket.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(wait) = b.take(Instant::now()) {
                return Err(Denied::RateLimited {
                    key: key.name.clone(),
                    retry_after_secs: wait.ceil().max(1.0) as u64,
                });
            }
        }
        Ok(key.name.clone())
    }
}

/// A token bucket: `capacity` requests at once, refilled at `rate` per second.
#[derive(Debug)]
pub struct TokenBucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl TokenBucket {
    pub fn new(capacity: f64, rate: f64) -> Self {
        TokenBucket {
            capacity,
            rate,
            tokens: capacity,
            last: None,
        }
    }

    /// Takes one token, or says how many seconds until one is available.
    pub fn take(&mut self, now: Instant) -> Result<(), f64> {
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - self.tokens) / self.rate.max(f64::MIN_POSITIVE))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn store(rpm: Option<u32>) -> KeyStore {
        KeyStore::new(&[
            KeyConfig {
                name: "a".into(),
                sha256: hash_key("sk-alpha"),
                requests_per_minute: rpm,
                burst: None,
            },
            KeyConfig {
                name: "b".into(),
                sha256: hash_key("sk-beta"),
                requests_per_minute: None,
                burst: None,
            },
        ])
    }

    #[test]
    fn keys_are_matched_by_hash() {
        let s = store(None);
        assert_eq!(s.admit(Some("Bearer sk-alpha")).unwrap(), "a");
        assert_eq!(s.admit(Some("Bearer sk-beta")).unwrap(), "b");
        assert_eq!(s.admit(Some("Bearer sk-gamma")), Err(Denied::Wrong));
        assert_eq!(s.admit(Some("Basic xyz")), Err(Denied::Missing));
        assert_eq!(s.admit(None), Err(Denied::Missing));
        assert_eq!(KeyStore::default().admit(None).unwrap(), "anonymous");
    }

    #[test]
    fn rate_limit_per_key() {
        let s = store(Some(2));
        assert!(s.admit(Some("Bearer sk-alpha")).is_ok());
        assert!(s.admit(Some("Bearer sk-alpha")).is_ok());
        match s.admit(Some("Bearer sk-alpha")) {
            Err(Denied::RateLimited {
                key,
                retry_after_secs,
            }) => {
                assert_eq!(key, "a");
                assert!((1..=30).contains(&retry_after_secs));
            }
            other => panic!("{other:?}"),
        }
        // the other key is not affected
        assert!(s.admit(Some("Bearer sk-beta")).is_ok());
    }

    #[test]
    fn bucket_refills() {
        let mut b = TokenBucket::new(1.0, 2.0);
        let t0 = Instant::now();
        assert!(b.take(t0).is_ok());
        let wait = b.take(t0).unwrap_err();
        assert!((wait - 0.5).abs() < 1e-9);
        assert!(b.take(t0 + Duration::from_millis(600)).is_ok());
    }
}
