//! Where rampart keeps models and caches: `$RAMPART_HOME`, by default
//! `$XDG_DATA_HOME/rampart` or `~/.local/share/rampart`.

use std::path::PathBuf;

/// The environment variable that overrides rampart's data directory.
pub const HOME_ENV: &str = "RAMPART_HOME";

/// rampart's data directory (not created here).
pub fn rampart_home() -> PathBuf {
    if let Some(dir) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir).join("rampart");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local").join("share").join("rampart")
}

/// Directory holding downloaded model files: `$RAMPART_HOME/models`.
pub fn models_dir() -> PathBuf {
    rampart_home().join("models")
}

/// Directory for caches (translations, embeddings, …): `$RAMPART_HOME/cache`.
pub fn cache_dir() -> PathBuf {
    rampart_home().join("cache")
}
