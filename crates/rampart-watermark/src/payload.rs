//! The identifier carried by the mark.

use std::fmt;
use std::str::FromStr;

use crate::code::{MAX_PAYLOAD_BYTES, MIN_PAYLOAD_BYTES};
use crate::error::WatermarkError;

/// A payload of 4 to 8 bytes (32 to 64 bits), written as 8 to 16 hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Payload(Vec<u8>);

impl Payload {
    /// Wraps bytes, checking the length.
    pub fn new(bytes: Vec<u8>) -> Result<Self, WatermarkError> {
        if !(MIN_PAYLOAD_BYTES..=MAX_PAYLOAD_BYTES).contains(&bytes.len()) {
            return Err(WatermarkError::InvalidPayload {
                given: hex::encode(&bytes),
                reason: format!("{} bits is outside 32..=64", bytes.len() * 8),
            });
        }
        Ok(Self(bytes))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Number of bits.
    pub fn bits(&self) -> usize {
        self.0.len() * 8
    }
}

impl FromStr for Payload {
    type Err = WatermarkError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().trim_start_matches("0x");
        let bytes = hex::decode(t).map_err(|e| WatermarkError::InvalidPayload {
            given: s.to_string(),
            reason: e.to_string(),
        })?;
        Self::new(bytes).map_err(|_| WatermarkError::InvalidPayload {
            given: s.to_string(),
            reason: format!("{} hex digits", t.len()),
        })
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}
