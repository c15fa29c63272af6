//! Loading `rampart.toml`.
//!
//! One TOML file configures rampart; each crate owns one section (`[llm]`, `[guard]`,
//! `[gateway]`, …) and reads it with [`ConfigFile::section`], so this crate does not need to
//! know every crate's options. CLI flags override what the file says.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// The default file name looked up in the working directory.
pub const DEFAULT_FILE: &str = "rampart.toml";

/// Errors while loading or reading the configuration. Messages name the file and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path} does not exist; create it or drop --config to use the defaults")]
    NotFound { path: PathBuf },
    #[error("cannot read config file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path} is not valid UTF-8; save it as UTF-8 text")]
    NotUtf8 { path: PathBuf },
    #[error("config file {path} is not valid TOML: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config file {path}, section [{section}]: {message}")]
    Section {
        path: PathBuf,
        section: String,
        message: String,
    },
}

/// A parsed `rampart.toml`: the raw table plus where it came from.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    /// The file this was read from; `None` when running on defaults.
    pub path: Option<PathBuf>,
    table: toml::Table,
    text: String,
}

impl ConfigFile {
    /// Loads `path` if given (it must exist); otherwise `./rampart.toml` if present; otherwise
    /// an empty configuration, so every section takes its defaults.
    pub fn discover(path: Option<&Path>) -> Result<Self, ConfigError> {
        match path {
            Some(p) => Self::load(p),
            None => {
                let default = Path::new(DEFAULT_FILE);
                if default.is_file() {
                    Self::load(default)
                } else {
                    Ok(Self::default())
                }
            }
        }
    }

    /// Loads and parses a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let bytes = std::fs::read(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    path: path.to_path_buf(),
                }
            } else {
                ConfigError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8 {
            path: path.to_path_buf(),
        })?;
        let mut cfg = Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })?;
        cfg.path = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Parses TOML text (no file attached). The error is a one-paragraph message with the line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let msg = e.to_string();
            // toml's message is multi-line with a source excerpt; keep it but trim the tail.
            msg.trim_end().to_string()
        })?;
        Ok(ConfigFile {
            path: None,
            table,
            text: text.to_string(),
        })
    }

    /// Deserializes section `name` into `T`, or `T::default()` when the section is absent.
    /// Section types should use `#[serde(deny_unknown_fields)]` so typos are reported.
    pub fn section<T: DeserializeOwned + Default>(&self, name: &str) -> Result<T, ConfigError> {
        match self.table.get(name) {
            None => Ok(T::default()),
            Some(value) => {
                value
                    .clone()
                    .try_into()
                    .map_err(|e: toml::de::Error| ConfigError::Section {
                        path: self.display_path(),
                        section: name.to_string(),
                        message: e.message().trim().to_string(),
                    })
            }
        }
    }

    /// Whether section `name` is present.
    pub fn has_section(&self, name: &str) -> bool {
        self.table.contains_key(name)
    }

    /// Top-level keys that are not among `known`, so the binary can report typos such as
    /// `[gaurd]` instead of silently ignoring them.
    pub fn unknown_sections(&self, known: &[&str]) -> Vec<String> {
        self.table
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .cloned()
            .collect()
    }

    /// A stable hash of the configuration text, recorded with every run for reproducibility.
    pub fn hash(&self) -> String {
        crate::content_hash(self.text.as_bytes())
    }

    fn display_path(&self) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| PathBuf::from("<inline config>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Llm {
        max_tokens: u32,
        target: Option<String>,
    }

    #[test]
    fn missing_section_gives_defaults() {
        let cfg = ConfigFile::parse("[other]\nx = 1\n").unwrap();
        assert_eq!(cfg.section::<Llm>("llm").unwrap(), Llm::default());
    }

    #[test]
    fn section_is_deserialized() {
        let cfg = ConfigFile::parse("[llm]\nmax_tokens = 64\ntarget = \"local\"\n").unwrap();
        let llm: Llm = cfg.section("llm").unwrap();
        assert_eq!(llm.max_tokens, 64);
        assert_eq!(llm.target.as_deref(), Some("local"));
    }

    #[test]
    fn wrong_type_names_the_section() {
        let cfg = ConfigFile::parse("[llm]\nmax_tokens = \"many\"\n").unwrap();
        let err = cfg.section::<Llm>("llm").unwrap_err().to_string();
        assert!(err.contains("[llm]"), "{err}");
        assert!(
            err.contains("invalid type") || err.contains("expected"),
            "{err}"
        );
    }

    #[test]
    fn unknown_field_is_reported() {
        let cfg = ConfigFile::parse("[llm]\nmax_tokenz = 3\n").unwrap();
        let err = cfg.section::<Llm>("llm").unwrap_err().to_string();
        assert!(err.contains("max_tokenz"), "{err}");
    }

    #[test]
    fn syntax_error_has_line_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rampart.toml");
        std::fs::write(&path, "[llm]\nmax_tokens = = 3\n").unwrap();
        let err = ConfigFile::load(&path).unwrap_err().to_string();
        assert!(err.contains("not valid TOML"), "{err}");
        assert!(err.contains("line 2") || err.contains(":2:"), "{err}");
    }

    #[test]
    fn missing_explicit_file_is_an_error_with_advice() {
        let err = ConfigFile::discover(Some(Path::new("/nonexistent/rampart.toml")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn invalid_utf8_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rampart.toml");
        std::fs::write(&path, b"[llm]\nx = \"\xff\xfe\"\n").unwrap();
        let err = ConfigFile::load(&path).unwrap_err().to_string();
        assert!(err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn unknown_sections_are_listed() {
        let cfg = ConfigFile::parse("[gaurd]\n[llm]\n").unwrap();
        assert_eq!(cfg.unknown_sections(&["llm", "guard"]), vec!["gaurd"]);
    }
}
