//! Files and folders: single-file embed/detect helpers and parallel batch runs that produce one
//! JSON record per image and never overwrite their inputs.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::detection::{DetectOptions, Detection, detect};
use crate::embedding::{EmbedOptions, EmbedReport, embed};
use crate::error::{Result, WatermarkError};
use crate::payload::Payload;
use crate::picture::{Picture, SaveOptions, format_for_path};

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Reads `input`, embeds, writes `output`. Refuses to write over the input.
pub fn embed_file(
    input: &Path,
    output: &Path,
    key: &str,
    payload: &Payload,
    opts: &EmbedOptions,
    save: &SaveOptions,
) -> Result<EmbedReport> {
    format_for_path(output)?;
    if same_file(input, output) {
        return Err(WatermarkError::WouldOverwrite {
            path: output.to_path_buf(),
            reason: "it is the input; choose another output path".into(),
        });
    }
    let mut picture = Picture::open(input)?;
    let report = embed(&mut picture, key, payload, opts)?;
    picture.save(output, save)?;
    Ok(report)
}

/// Reads `input` and detects.
pub fn detect_file(input: &Path, key: &str, opts: &DetectOptions) -> Result<Detection> {
    detect(&Picture::open(input)?, key, opts)
}

/// Image files (PNG, JPEG, WebP by extension) directly inside `dir`, sorted.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|source| WatermarkError::Io {
        action: "read directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && format_for_path(p).is_ok())
        .collect();
    files.sort();
    Ok(files)
}

/// One line of a batch report.
#[derive(Clone, Debug, Serialize)]
pub struct BatchRecord {
    /// The input file.
    pub input: PathBuf,
    /// The written file (embed only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<PathBuf>,
    /// Whether the file was processed.
    pub ok: bool,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Embed result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed: Option<EmbedReport>,
    /// Detect result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detection: Option<Detection>,
}

impl BatchRecord {
    fn failed(input: &Path, output: Option<PathBuf>, e: WatermarkError) -> Self {
        Self {
            input: input.to_path_buf(),
            output,
            ok: false,
            error: Some(e.to_string()),
            embed: None,
            detection: None,
        }
    }
}

/// Embeds into every image of `input_dir`, writing same-named files into `output_dir` (created
/// if needed). The output folder must differ from the input folder, and existing outputs are
/// skipped unless `overwrite_outputs`. `progress` is called once per finished file.
#[allow(clippy::too_many_arguments)]
pub fn embed_dir(
    input_dir: &Path,
    output_dir: &Path,
    key: &str,
    payload: &Payload,
    opts: &EmbedOptions,
    save: &SaveOptions,
    overwrite_outputs: bool,
    progress: &(dyn Fn(&BatchRecord) + Sync),
) -> Result<Vec<BatchRecord>> {
    let files = list_images(input_dir)?;
    if output_dir.exists() && same_file(input_dir, output_dir) {
        return Err(WatermarkError::WouldOverwrite {
            path: output_dir.to_path_buf(),
            reason: "the output folder is the input folder; choose another".into(),
        });
    }
    std::fs::create_dir_all(output_dir).map_err(|source| WatermarkError::Io {
        action: "create directory",
        path: output_dir.to_path_buf(),
        source,
    })?;
    Ok(files
        .par_iter()
        .map(|input| {
            let output = output_dir.join(input.file_name().expect("listed files have names"));
            let rec = if output.exists() && !overwrite_outputs {
                BatchRecord::failed(
                    input,
                    Some(output.clone()),
                    WatermarkError::WouldOverwrite {
                        path: output,
                        reason: "it exists; pass --overwrite to replace outputs".into(),
                    },
                )
            } else {
                match embed_file(input, &output, key, payload, opts, save) {
                    Ok(r) => BatchRecord {
                        input: input.clone(),
                        output: Some(output),
                        ok: true,
                        error: None,
                        embed: Some(r),
                        detection: None,
                    },
                    Err(e) => BatchRecord::failed(input, Some(output), e),
                }
            };
            progress(&rec);
            rec
        })
        .collect())
}

/// Detects in every image of `dir`. `progress` is called once per finished file.
pub fn detect_dir(
    dir: &Path,
    key: &str,
    opts: &DetectOptions,
    progress: &(dyn Fn(&BatchRecord) + Sync),
) -> Result<Vec<BatchRecord>> {
    let files = list_images(dir)?;
    Ok(files
        .par_iter()
        .map(|input| {
            let rec = match detect_file(input, key, opts) {
                Ok(d) => BatchRecord {
                    input: input.clone(),
                    output: None,
                    ok: true,
                    error: None,
                    embed: None,
                    detection: Some(d),
                },
                Err(e) => BatchRecord::failed(input, None, e),
            };
            progress(&rec);
            rec
        })
        .collect())
}
