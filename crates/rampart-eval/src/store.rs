//! The results store: an append-only SQLite file of replies and verdicts, content-addressed.
//!
//! A reply is keyed by [`request_key`], a hash of (target, conversation, generation
//! parameters); a verdict by (reply key, judge id, judge version). Inserts never overwrite
//! (`INSERT OR IGNORE`), so a record is written once however often a run is resumed, and a
//! finished request is never paid for twice. Failed requests are not stored at all: a resumed run
//! retries them. Each insert is its own transaction in WAL mode, so a killed process loses at
//! most the requests that were in flight.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rampart_core::{Conversation, Verdict, content_hash};
use rampart_llm::{GenParams, Reply};
use rusqlite::{Connection, OptionalExtension, params};

use crate::EvalError;

/// The content hash of a request to a target: equal requests share their reply.
pub fn request_key(target: &str, conversation: &Conversation, params: &GenParams) -> String {
    let body = serde_json::json!({
        "target": target,
        "conversation": conversation,
        "params": params,
    });
    content_hash(body.to_string().as_bytes())
}

/// Append-only, content-addressed store of replies and verdicts (see the module docs).
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    request TEXT NOT NULL,
    params TEXT NOT NULL,
    reply TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS verdicts (
    reply_key TEXT NOT NULL,
    judge_id TEXT NOT NULL,
    judge_version TEXT NOT NULL,
    verdict TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (reply_key, judge_id, judge_version)
);
";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Store {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Store, EvalError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| EvalError::io(dir, e))?;
        }
        let conn = Connection::open(path).map_err(|e| store_err(path, e))?;
        Self::init(conn, path.to_path_buf())
    }

    /// A throwaway store in memory (tests, dry runs).
    pub fn in_memory() -> Result<Store, EvalError> {
        let conn = Connection::open_in_memory().map_err(|e| store_err(Path::new(":memory:"), e))?;
        Self::init(conn, PathBuf::from(":memory:"))
    }

    fn init(conn: Connection, path: PathBuf) -> Result<Store, EvalError> {
        // WAL + NORMAL: a committed insert survives the process being killed; another process
        // (a report viewer) can read while a run writes.
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| conn.busy_timeout(std::time::Duration::from_secs(10)))
            .and_then(|_| conn.execute_batch(SCHEMA))
            .map_err(|e| store_err(&path, e))?;
        Ok(Store {
            conn: Mutex::new(conn),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> EvalError {
        store_err(&self.path, e)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent; keep going.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stored reply for a request key.
    pub fn reply(&self, key: &str) -> Result<Option<Reply>, EvalError> {
        let conn = self.lock();
        let json: Option<String> = conn
            .query_row("SELECT reply FROM replies WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| self.err(e)))
            .transpose()
    }

    /// Stores a reply; returns false when the key was already there (nothing is overwritten).
    pub fn put_reply(
        &self,
        key: &str,
        target: &str,
        conversation: &Conversation,
        params: &GenParams,
        reply: &Reply,
    ) -> Result<bool, EvalError> {
        let request = serde_json::to_string(conversation).map_err(|e| self.err(e))?;
        let params = serde_json::to_string(params).map_err(|e| self.err(e))?;
        let reply = serde_json::to_string(reply).map_err(|e| self.err(e))?;
        let n = self
            .lock()
            .execute(
                "INSERT OR IGNORE INTO replies (key, target, request, params, reply, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![key, target, request, params, reply, now_ms()],
            )
            .map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    /// The stored verdict of a judge (id and version) on a reply.
    pub fn verdict(
        &self,
        reply_key: &str,
        judge_id: &str,
        judge_version: &str,
    ) -> Result<Option<Verdict>, EvalError> {
        let conn = self.lock();
        let json: Option<String> = conn
            .query_row(
                "SELECT verdict FROM verdicts WHERE reply_key = ?1 AND judge_id = ?2 AND judge_version = ?3",
                [reply_key, judge_id, judge_version],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        json.map(|j| serde_json::from_str(&j).map_err(|e| self.err(e)))
            .transpose()
    }

    /// Stores a verdict; returns false when it was already there.
    pub fn put_verdict(
        &self,
        reply_key: &str,
        judge_id: &str,
        judge_version: &str,
        verdict: &Verdict,
    ) -> Result<bool, EvalError> {
        let json = serde_json::to_string(verdict).map_err(|e| self.err(e))?;
        let n = self
            .lock()
            .execute(
                "INSERT OR IGNORE INTO verdicts (reply_key, judge_id, judge_version, verdict, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![reply_key, judge_id, judge_version, json, now_ms()],
            )
            .map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    /// Number of stored replies and verdicts.
    pub fn counts(&self) -> Result<(u64, u64), EvalError> {
        let conn = self.lock();
        let r: i64 = conn
            .query_row("SELECT COUNT(*) FROM replies", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let v: i64 = conn
            .query_row("SELECT COUNT(*) FROM verdicts", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        Ok((r.max(0) as u64, v.max(0) as u64))
    }
}

fn store_err(path: &Path, e: impl std::fmt::Display) -> EvalError {
    EvalError::Store {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &str) -> Reply {
        Reply::stopped(text, "m")
    }

    #[test]
    fn append_only_and_persistent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let conv = Conversation::from_prompt("hi");
        let p = GenParams::default();
        let key = request_key("t", &conv, &p);
        assert_ne!(
            key,
            request_key("t2", &conv, &p),
            "the target is part of the key"
        );
        {
            let s = Store::open(&path).unwrap();
            assert!(s.reply(&key).unwrap().is_none());
            assert!(s.put_reply(&key, "t", &conv, &p, &reply("one")).unwrap());
            assert!(!s.put_reply(&key, "t", &conv, &p, &reply("two")).unwrap());
            let v = Verdict::scored("full_refusal");
            assert!(s.put_verdict(&key, "refusal", "1", &v).unwrap());
            assert!(!s.put_verdict(&key, "refusal", "1", &v).unwrap());
            assert!(s.verdict(&key, "refusal", "2").unwrap().is_none());
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.reply(&key).unwrap().unwrap().text, "one");
        assert_eq!(s.counts().unwrap(), (1, 1));
    }
}
