//! The payload's channel code: CRC-16 for validity, a rate-1/2 convolutional code (constraint
//! length 7, the NASA/CCSDS generators 171/133) with soft-decision Viterbi decoding for errors.
//!
//! The CRC covers the payload length as well as its bytes, so a 4-byte payload never validates
//! when decoded as a 5-byte one.

/// Payload length bounds, in bytes.
pub const MIN_PAYLOAD_BYTES: usize = 4;
/// See [`MIN_PAYLOAD_BYTES`].
pub const MAX_PAYLOAD_BYTES: usize = 8;

const CONSTRAINT: usize = 7;
const STATES: usize = 1 << (CONSTRAINT - 1);
const G1: u32 = 0o171;
const G2: u32 = 0o133;

/// Number of coded bits (= payload carriers) for a payload of `bytes` bytes.
pub fn coded_len(bytes: usize) -> usize {
    2 * (bytes * 8 + 16 + CONSTRAINT - 1)
}

/// CRC-16/CCITT-FALSE over the length byte and the payload.
pub fn crc16(payload: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in std::iter::once(&(payload.len() as u8)).chain(payload) {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn bits_of(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
        .collect()
}

fn parity(x: u32) -> u8 {
    (x.count_ones() & 1) as u8
}

/// Encodes payload + CRC into coded bits (0/1).
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let crc = crc16(payload);
    let mut info = bits_of(payload);
    info.extend(bits_of(&crc.to_be_bytes()));
    info.extend(std::iter::repeat_n(0, CONSTRAINT - 1));
    let mut reg: u32 = 0;
    let mut out = Vec::with_capacity(info.len() * 2);
    for b in info {
        reg = ((reg << 1) | b as u32) & ((1 << CONSTRAINT) - 1);
        out.push(parity(reg & G1));
        out.push(parity(reg & G2));
    }
    out
}

/// The result of decoding soft values.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Payload bytes (best guess even when the CRC fails).
    pub payload: Vec<u8>,
    /// Whether the CRC matched.
    pub crc_ok: bool,
    /// Normalised agreement between the soft values and the re-encoded codeword, in [-1, 1].
    pub agreement: f64,
}

/// Soft-decision Viterbi decoding of `soft` (positive means bit 1) as a payload of `bytes` bytes.
///
/// `soft` must hold at least [`coded_len`]`(bytes)` values.
pub fn decode(soft: &[f32], bytes: usize) -> Decoded {
    let n_info = bytes * 8 + 16 + CONSTRAINT - 1;
    let soft = &soft[..2 * n_info];
    let neg = f64::NEG_INFINITY;
    let mut metric = vec![neg; STATES];
    metric[0] = 0.0;
    // Survivor decisions per step: the input bit and the previous state.
    let mut prev = vec![[0u8; STATES]; n_info];
    for t in 0..n_info {
        let (y1, y2) = (soft[2 * t] as f64, soft[2 * t + 1] as f64);
        let mut next = vec![neg; STATES];
        let mut dec = [0u8; STATES];
        for (s, &m) in metric.iter().enumerate() {
            if m == neg {
                continue;
            }
            let max_bit = if t >= n_info - (CONSTRAINT - 1) { 0 } else { 1 };
            for b in 0..=max_bit {
                let reg = ((s as u32) << 1) | b;
                let c1 = parity(reg & G1) as f64 * 2.0 - 1.0;
                let c2 = parity(reg & G2) as f64 * 2.0 - 1.0;
                let ns = (reg as usize) & (STATES - 1);
                let cand = m + c1 * y1 + c2 * y2;
                if cand > next[ns] {
                    next[ns] = cand;
                    dec[ns] = s as u8;
                }
            }
        }
        prev[t] = dec;
        metric = next;
    }
    let mut state = 0usize;
    let mut bits = vec![0u8; n_info];
    for t in (0..n_info).rev() {
        bits[t] = (state & 1) as u8;
        state = prev[t][state] as usize;
    }
    let payload: Vec<u8> = bits[..bytes * 8]
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |a, &b| (a << 1) | b))
        .collect();
    let crc_bits = &bits[bytes * 8..bytes * 8 + 16];
    let crc = crc_bits.iter().fold(0u16, |a, &b| (a << 1) | b as u16);
    let crc_ok = crc == crc16(&payload);
    let code = encode(&payload);
    let (mut dot, mut norm) = (0f64, 0f64);
    for (c, y) in code.iter().zip(soft) {
        dot += (*c as f64 * 2.0 - 1.0) * *y as f64;
        norm += (*y as f64).abs();
    }
    Decoded {
        payload,
        crc_ok,
        agreement: if norm > 0.0 { dot / norm } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_errors() {
        let payload = [0xde, 0xad, 0xbe, 0xef];
        let code = encode(&payload);
        assert_eq!(code.len(), coded_len(4));
        let mut soft: Vec<f32> = code
            .iter()
            .map(|&c| if c == 1 { 1.0 } else { -1.0 })
            .collect();
        // Flip a few scattered symbols: the code corrects them.
        for i in [3, 20, 41, 77, 100] {
            soft[i] = -soft[i] * 0.5;
        }
        let d = decode(&soft, 4);
        assert!(d.crc_ok);
        assert_eq!(d.payload, payload);
        soft.resize(coded_len(5), 0.0);
        assert!(!decode(&soft, 5).crc_ok);
    }
}
