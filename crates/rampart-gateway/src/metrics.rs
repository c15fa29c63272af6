//! Prometheus metrics, written in the text exposition format by hand (a handful of counters and
//! histograms do not need a metrics framework).
//!
//! | metric | labels | what |
//! | --- | --- | --- |
//! | `rampart_gateway_requests_total` | endpoint, status | requests answered |
//! | `rampart_gateway_decisions_total` | direction, action | guard decisions |
//! | `rampart_gateway_category_decisions_total` | direction, category, action | categories that fired |
//! | `rampart_gateway_guard_errors_total` | direction | detector errors (fail mode applied) |
//! | `rampart_gateway_upstream_errors_total` | upstream, kind | upstream failures after retries |
//! | `rampart_gateway_upstream_retries_total` | upstream | retried upstream attempts |
//! | `rampart_gateway_rate_limited_total` | key | requests refused by a key's rate limit |
//! | `rampart_gateway_in_flight` | | requests being served |
//! | `rampart_gateway_request_duration_seconds` | endpoint | whole request, histogram |
//! | `rampart_gateway_guard_duration_seconds` | direction | one guard check, histogram (`stream` for windows) |
//! | `rampart_gateway_upstream_duration_seconds` | upstream | upstream call until the reply head (non-streamed: whole reply) |
//! | `rampart_gateway_stream_chunk_delay_seconds` | | how long a streamed chunk was held for checking |

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

/// Histogram bucket bounds in seconds: fine below a millisecond (guard), coarse up to a minute
/// (upstream).
const BUCKETS: [f64; 18] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 15.0, 60.0,
];

#[derive(Debug, Default)]
struct Hist {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

type Labels = Vec<(&'static str, String)>;

/// A family of counters keyed by label values.
#[derive(Debug, Default)]
struct CounterFamily(Mutex<BTreeMap<Labels, u64>>);

impl CounterFamily {
    fn inc(&self, labels: Labels, by: u64) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry(labels).or_insert(0) += by;
    }
}

#[derive(Debug, Default)]
struct HistFamily(Mutex<BTreeMap<Labels, Hist>>);

impl HistFamily {
    fn observe(&self, labels: Labels, secs: f64) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let h = m.entry(labels).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }
}

/// The gateway's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: CounterFamily,
    decisions: CounterFamily,
    categories: CounterFamily,
    guard_errors: CounterFamily,
    upstream_errors: CounterFamily,
    upstream_retries: CounterFamily,
    rate_limited: CounterFamily,
    in_flight: AtomicI64,
    request_duration: HistFamily,
    guard_duration: HistFamily,
    upstream_duration: HistFamily,
    chunk_delay: HistFamily,
}

/// Decrements the in-flight gauge when dropped.
#[derive(Debug)]
pub struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    pub fn request(&self, endpoint: &'static str, status: u16, secs: f64) {
        self.requests.inc(
            vec![
                ("endpoint", endpoint.into()),
                ("status", status.to_string()),
            ],
            1,
        );
        self.request_duration
            .observe(vec![("endpoint", endpoint.into())], secs);
    }

    /// Counts one guard decision and the categories that fired in it.
    pub fn decision(
        &self,
        direction: &str,
        action: &str,
        categories: &[(String, String)],
        secs: f64,
    ) {
        self.decisions.inc(
            vec![("direction", direction.into()), ("action", action.into())],
            1,
        );
        for (category, cat_action) in categories {
            self.categories.inc(
                vec![
                    ("direction", direction.into()),
                    ("category", category.clone()),
                    ("action", cat_action.clone()),
                ],
                1,
            );
        }
        self.guard_duration
            .observe(vec![("direction", direction.into())], secs);
    }

    pub fn guard_error(&self, direction: &str) {
        self.guard_errors
            .inc(vec![("direction", direction.into())], 1);
    }

    pub fn upstream(&self, upstream: &str, secs: f64) {
        self.upstream_duration
            .observe(vec![("upstream", upstream.into())], secs);
    }

    pub fn upstream_error(&self, upstream: &str, kind: &'static str) {
        self.upstream_errors.inc(
            vec![("upstream", upstream.into()), ("kind", kind.into())],
            1,
        );
    }

    pub fn upstream_retry(&self, upstream: &str) {
        self.upstream_retries
            .inc(vec![("upstream", upstream.into())], 1);
    }

    pub fn rate_limited(&self, key: &str) {
        self.rate_limited.inc(vec![("key", key.into())], 1);
    }

    pub fn chunk_delay(&self, secs: f64) {
        self.chunk_delay.observe(Vec::new(), secs);
    }

    /// Counts a request as in flight until the guard is dropped.
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8192);
        counter(
            &mut out,
            "rampart_gateway_requests_total",
            "Requests answered.",
            &self.requests,
        );
        counter(
            &mut out,
            "rampart_gateway_decisions_total",
            "Guard decisions by direction and action.",
            &self.decisions,
        );
        counter(
            &mut out,
            "rampart_gateway_category_decisions_total",
            "Risk categories that fired, with the action their rule asked for.",
            &self.categories,
        );
        counter(
            &mut out,
            "rampart_gateway_guard_errors_total",
            "Guard detector errors.",
            &self.guard_errors,
        );
        counter(
            &mut out,
            "rampart_gateway_upstream_errors_total",
            "Upstream failures answered to clients.",
            &self.upstream_errors,
        );
        counter(
            &mut out,
            "rampart_gateway_upstream_retries_total",
            "Retried upstream attempts.",
            &self.upstream_retries,
        );
        counter(
            &mut out,
            "rampart_gateway_rate_limited_total",
            "Requests refused by a key's rate limit.",
            &self.rate_limited,
        );
        let _ = writeln!(
            out,
            "# HELP rampart_gateway_in_flight Requests being served."
        );
        let _ = writeln!(out, "# TYPE rampart_gateway_in_flight gauge");
        let _ = writeln!(
            out,
            "rampart_gateway_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        histogram(
            &mut out,
            "rampart_gateway_request_duration_seconds",
            "Whole request duration.",
            &self.request_duration,
        );
        histogram(
            &mut out,
            "rampart_gateway_guard_duration_seconds",
            "Duration of one guard check.",
            &self.guard_duration,
        );
        histogram(
            &mut out,
            "rampart_gateway_upstream_duration_seconds",
            "Upstream call duration (streams: until the first event).",
            &self.upstream_duration,
        );
        histogram(
            &mut out,
            "rampart_gateway_stream_chunk_delay_seconds",
            "Time a streamed chunk was held back until its window was checked.",
            &self.chunk_delay,
        );
        out
    }
}

fn label_text(labels: &Labels, extra: Option<(&str, String)>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn counter(out: &mut String, name: &str, help: &str, fam: &CounterFamily) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let m = fam.0.lock().unwrap_or_else(|e| e.into_inner());
    for (labels, v) in m.iter() {
        let _ = writeln!(out, "{name}{} {v}", label_text(labels, None));
    }
}

fn histogram(out: &mut String, name: &str, help: &str, fam: &HistFamily) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} histogram");
    let m = fam.0.lock().unwrap_or_else(|e| e.into_inner());
    for (labels, h) in m.iter() {
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{} {}",
                label_text(labels, Some(("le", b.to_string()))),
                h.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{} {}",
            label_text(labels, Some(("le", "+Inf".into()))),
            h.count
        );
        let _ = writeln!(out, "{name}_sum{} {}", label_text(labels, None), h.sum);
        let _ = writeln!(out, "{name}_count{} {}", label_text(labels, None), h.count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.request("chat", 200, 0.003);
        m.decision(
            "input",
            "block",
            &[("jailbreak".into(), "block".into())],
            0.0004,
        );
        {
            let _g = m.in_flight();
            assert!(m.render().contains("rampart_gateway_in_flight 1"));
        }
        let text = m.render();
        assert!(
            text.contains("rampart_gateway_requests_total{endpoint=\"chat\",status=\"200\"} 1")
        );
        assert!(text.contains(
            "rampart_gateway_category_decisions_total{direction=\"input\",category=\"jailbreak\",action=\"block\"} 1"
        ));
        assert!(text.contains(
            "rampart_gateway_guard_duration_seconds_bucket{direction=\"input\",le=\"0.0005\"} 1"
        ));
        assert!(
            text.contains("rampart_gateway_guard_duration_seconds_count{direction=\"input\"} 1")
        );
        assert!(text.contains("rampart_gateway_in_flight 0"));
    }
}
