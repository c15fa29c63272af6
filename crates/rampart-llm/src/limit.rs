//! Per-target limits: at most N requests in flight and at most M requests per minute.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// A concurrency limit plus smooth requests-per-minute pacing, shared by all clones.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    slots: Arc<Semaphore>,
    /// Earliest instant the next request may start; `None` when there is no RPM limit.
    next_start: Option<Arc<Mutex<Instant>>>,
    interval: Duration,
}

/// Held while a request is in flight; dropping it frees the concurrency slot.
#[derive(Debug)]
pub struct Permit {
    _slot: OwnedSemaphorePermit,
}

impl RateLimiter {
    /// `max_concurrency` of at least 1; `requests_per_minute` of `None` or 0 means unlimited.
    pub fn new(max_concurrency: usize, requests_per_minute: Option<u32>) -> Self {
        let rpm = requests_per_minute.filter(|r| *r > 0);
        RateLimiter {
            slots: Arc::new(Semaphore::new(max_concurrency.max(1))),
            next_start: rpm.map(|_| Arc::new(Mutex::new(Instant::now()))),
            interval: rpm
                .map(|r| Duration::from_secs_f64(60.0 / r as f64))
                .unwrap_or_default(),
        }
    }

    /// Waits for a free slot and for the request's turn under the RPM limit.
    pub async fn acquire(&self) -> Permit {
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        if let Some(next) = &self.next_start {
            let start = {
                let mut next = next.lock().await;
                let now = Instant::now();
                let start = (*next).max(now);
                *next = start + self.interval;
                start
            };
            tokio::time::sleep_until(start).await;
        }
        Permit { _slot: slot }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paces_requests_per_minute() {
        let lim = RateLimiter::new(8, Some(600)); // one every 100 ms
        let t0 = Instant::now();
        for _ in 0..5 {
            drop(lim.acquire().await);
        }
        let elapsed = t0.elapsed();
        assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn bounds_concurrency() {
        let lim = RateLimiter::new(2, None);
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let max_seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (lim, inf, max) = (lim.clone(), in_flight.clone(), max_seen.clone());
            tasks.push(tokio::spawn(async move {
                let _p = lim.acquire().await;
                let now = inf.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                max.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                inf.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(max_seen.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
