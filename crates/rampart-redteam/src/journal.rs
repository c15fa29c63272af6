//! An append-only JSON Lines journal: what a campaign paid a model for (rewrites, adaptive runs),
//! kept so that a run resumed after a kill reuses it. A line cut short by the kill is skipped when
//! read (that piece of work is simply done again) and never glued to the next line written.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{RedteamError, Result};

/// An open journal, appended to line by line.
pub struct Journal {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl Journal {
    /// Opens (or creates) `path`, returning the journal and the entries it already holds.
    pub fn open<T: DeserializeOwned>(path: &Path) -> Result<(Journal, Vec<T>)> {
        let err = |e: std::io::Error| error(path, e);
        let mut entries = Vec::new();
        let mut complete = true;
        if path.exists() {
            let bytes = std::fs::read(path).map_err(err)?;
            complete = bytes.is_empty() || bytes.last() == Some(&b'\n');
            for line in bytes.lines() {
                let line = line.map_err(err)?;
                match serde_json::from_str::<T>(&line) {
                    Ok(entry) => entries.push(entry),
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "skipping a damaged journal line")
                    }
                }
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        if !complete {
            file.write_all(b"\n").map_err(err)?;
        }
        let journal = Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        };
        Ok((journal, entries))
    }

    /// Appends one entry as a line.
    pub fn append<T: Serialize>(&self, entry: &T) -> Result<()> {
        let line = serde_json::to_string(entry).map_err(|e| RedteamError::Journal {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut file = self.file.lock().expect("journal lock poisoned");
        writeln!(file, "{line}").map_err(|e| error(&self.path, e))
    }
}

fn error(path: &Path, e: std::io::Error) -> RedteamError {
    RedteamError::Journal {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_skipped_and_not_glued_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"a\":").unwrap();
        let (journal, entries) = Journal::open::<serde_json::Value>(&path).unwrap();
        assert_eq!(entries, vec![serde_json::json!({"a": 1})]);
        journal.append(&serde_json::json!({"a": 3})).unwrap();
        drop(journal);
        let (_, entries) = Journal::open::<serde_json::Value>(&path).unwrap();
        assert_eq!(
            entries,
            vec![serde_json::json!({"a": 1}), serde_json::json!({"a": 3})]
        );
    }
}
