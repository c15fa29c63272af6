//! The crate's error type.

use std::path::PathBuf;

/// What can go wrong while loading suites, running them, storing results or writing reports.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Data { path: PathBuf, message: String },
    #[error("invalid suite manifest {path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error(
        "unknown benchmark `{0}`; run `rampart eval list` to see the built-in ones, or pass a suite manifest (.toml)"
    )]
    UnknownBenchmark(String),
    #[error("unknown judge `{0}`; known judges: refusal, harm, toxicity, gender_polarity, rubric")]
    UnknownJudge(String),
    #[error("results store {path}: {message}")]
    Store { path: PathBuf, message: String },
    #[error("judge {judge} failed: {message}")]
    Judge { judge: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl EvalError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EvalError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn data(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        EvalError::Data {
            path: path.into(),
            message: message.into(),
        }
    }
}
