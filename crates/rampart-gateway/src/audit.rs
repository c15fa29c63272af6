//! The audit log: one JSON line per guard decision.
//!
//! A record says who (key name, never the key), what (endpoint, model, upstream, direction),
//! the decision (action, categories, findings with scores, spans and detector ids, errors) and
//! how long it took. The checked text is only included with `include_text = true`: by default
//! the log can be kept and shared without holding what users wrote.
//!
//! Lines are written by a dedicated thread, so a slow disk never stalls request handling; if
//! the thread falls more than [`QUEUE`] records behind, records are dropped and counted.

use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

use crate::GatewayError;

/// Records buffered for the writer thread.
pub const QUEUE: usize = 16_384;

/// One audit record.
#[derive(Debug, Clone, Serialize)]
pub struct Record<'a> {
    pub request_id: &'a str,
    pub key: &'a str,
    pub endpoint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<&'a str>,
    /// `input`, `output` or `stream` (one streamed window).
    pub direction: &'a str,
    pub action: &'a str,
    pub categories: Vec<&'static str>,
    /// Findings as guard serialises them (category, score, span, detector, detail, action,
    /// threshold); guard's details never contain the raw sensitive text.
    pub findings: Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    pub latency_us: u64,
}

/// Where records go.
#[derive(Debug)]
pub struct AuditLog {
    sender: Option<SyncSender<String>>,
    include_text: bool,
    dropped: AtomicU64,
}

impl AuditLog {
    /// Appends to `path` when given; otherwise records become `tracing` events.
    pub fn open(path: Option<&Path>, include_text: bool) -> Result<AuditLog, GatewayError> {
        let sender = match path {
            None => None,
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| GatewayError::Audit {
                        path: path.display().to_string(),
                        source,
                    })?;
                let (tx, rx) = sync_channel::<String>(QUEUE);
                std::thread::Builder::new()
                    .name("rampart-audit".into())
                    .spawn(move || {
                        let mut w = std::io::BufWriter::new(file);
                        while let Ok(line) = rx.recv() {
                            let _ = w.write_all(line.as_bytes());
                            // Flush when the queue is drained: batches under load, prompt when idle.
                            let mut more = true;
                            while more {
                                match rx.try_recv() {
                                    Ok(line) => {
                                        let _ = w.write_all(line.as_bytes());
                                    }
                                    Err(_) => more = false,
                                }
                            }
                            let _ = w.flush();
                        }
                        let _ = w.flush();
                    })
                    .map_err(|source| GatewayError::Audit {
                        path: path.display().to_string(),
                        source,
                    })?;
                Some(tx)
            }
        };
        Ok(AuditLog {
            sender,
            include_text,
            dropped: AtomicU64::new(0),
        })
    }

    /// A log that only emits tracing events.
    pub fn tracing_only() -> AuditLog {
        AuditLog {
            sender: None,
            include_text: false,
            dropped: AtomicU64::new(0),
        }
    }

    /// Whether records carry the checked text.
    pub fn includes_text(&self) -> bool {
        self.include_text
    }

    /// Records dropped because the writer fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Writes one record; `text` is included only when the log is configured to.
    pub fn write(&self, record: &Record<'_>, text: Option<&str>) {
        let mut v = match serde_json::to_value(record) {
            Ok(v) => v,
            Err(_) => return,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        v["ts"] = Value::String(rfc3339(now.as_secs(), now.subsec_millis()));
        if self.include_text
            && let Some(t) = text
        {
            v["text"] = Value::String(t.to_string());
        }
        match &self.sender {
            Some(tx) => {
                let mut line = v.to_string();
                line.push('\n');
                if let Err(TrySendError::Full(_)) = tx.try_send(line) {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
            None => {
                tracing::info!(target: "rampart_gateway::audit", record = %v, "decision");
            }
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` from Unix seconds (civil-from-days, proleptic Gregorian).
fn rfc3339(secs: u64, millis: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_700_000_000, 5), "2023-11-14T22:13:20.005Z");
        assert_eq!(rfc3339(951_782_400, 0), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn text_only_when_configured() {
        let dir = tempfile::tempdir().unwrap();
        for include in [false, true] {
            let path = dir.path().join(format!("a{include}.jsonl"));
            {
                let log = AuditLog::open(Some(&path), include).unwrap();
                let rec = Record {
                    request_id: "r1",
                    key: "k",
                    endpoint: "chat",
                    model: Some("m"),
                    upstream: None,
                    direction: "input",
                    action: "redact",
                    categories: vec!["sensitive_data"],
                    findings: Value::Array(vec![]),
                    errors: vec![],
                    latency_us: 12,
                };
                log.write(&rec, Some("my email is a@b.example"));
            }
            // the writer thread ends when the log (its sender) is dropped; wait for the line
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            let text = loop {
                let t = std::fs::read_to_string(&path).unwrap();
                if t.ends_with('\n') || std::time::Instant::now() > deadline {
                    break t;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            };
            let v: Value = serde_json::from_str(text.trim()).unwrap();
            assert_eq!(v["action"], "redact");
            assert_eq!(v["text"].is_string(), include, "{text}");
            assert!(!include || text.contains("a@b.example"));
            assert!(include || !text.contains("a@b.example"));
        }
    }
}
