//! The error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while embedding, detecting or signing.
///
/// Messages say what went wrong and what to do about it, because they are shown to users as is.
#[derive(Debug, thiserror::Error)]
pub enum WatermarkError {
    /// Reading or writing a file failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What we were doing ("read", "write", "create directory").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file extension or content is not an image format the crate handles.
    #[error(
        "unsupported image format for {path}: {detail}; use PNG (.png), JPEG (.jpg/.jpeg) or WebP (.webp)"
    )]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// What was found.
        detail: String,
    },
    /// The image could not be decoded (truncated or corrupt file).
    #[error(
        "cannot decode {path}: {detail}; the file is truncated or corrupt, re-export it from the source"
    )]
    Decode {
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        detail: String,
    },
    /// The image could not be encoded.
    #[error("cannot encode {path}: {detail}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// The encoder's message.
        detail: String,
    },
    /// The image is smaller than the scheme supports.
    #[error(
        "image is {width}x{height} pixels, below the minimum of {min}x{min} for {operation}; use a larger image"
    )]
    ImageTooSmall {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Minimum side length.
        min: u32,
        /// "embedding" or "detection".
        operation: &'static str,
    },
    /// A colour layout the crate does not handle.
    #[error("unsupported pixel layout {0}; convert the image to 8- or 16-bit RGB(A) or grayscale")]
    UnsupportedPixels(String),
    /// The payload string is not valid.
    #[error(
        "invalid payload {given:?}: {reason}; give 8 to 16 hex digits (an even number), e.g. 1a2b3c4d"
    )]
    InvalidPayload {
        /// What the user gave.
        given: String,
        /// Why it is rejected.
        reason: String,
    },
    /// The key is empty.
    #[error("the watermark key is empty; pass a secret string with --key")]
    EmptyKey,
    /// A parameter is out of range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// Batch mode refused to write where it would overwrite an input.
    #[error("refusing to write {path}: {reason}")]
    WouldOverwrite {
        /// The path we refused to write.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A C2PA operation failed.
    #[error("C2PA {action} failed: {detail}")]
    C2pa {
        /// "sign", "verify", "certificate".
        action: &'static str,
        /// The SDK's message, with a hint where we have one.
        detail: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, WatermarkError>;
