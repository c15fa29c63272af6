//! Key-derived pseudo-random chip patterns: the pilot and the payload carriers.
//!
//! Every pattern is a `CHIPS x CHIPS` array of ±1 chips; a chip covers `CHIP x CHIP` pixels of
//! the `TILE x TILE` tile that is repeated over the whole image. Pattern 0 is the pilot used for
//! synchronisation and detection; patterns 1.. carry the coded payload bits (CDMA).

use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// Side of the repeated tile, in pixels.
pub const TILE: usize = 128;
/// Side of one chip, in pixels. Two pixels keep the mark in mid frequencies that survive JPEG.
pub const CHIP: usize = 2;
/// Chips per tile side.
pub const CHIPS: usize = TILE / CHIP;

/// Domain separation so that keys used elsewhere never produce the same patterns.
const DOMAIN: &[u8] = b"rampart-watermark/v1/pattern";

/// xoshiro256** seeded from SHA-256: small, fast and reproducible across platforms.
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is the SHA-256 of the given parts.
    pub(crate) fn from_parts(parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        let d = h.finalize();
        let mut s = [0u64; 4];
        for (i, w) in s.iter_mut().enumerate() {
            *w = u64::from_le_bytes(d[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Self { s }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box-Muller).
    pub(crate) fn next_gaussian(&mut self) -> f64 {
        let u1 = self.next_f64().max(1e-300);
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// The chip patterns derived from one key.
pub struct Patterns {
    /// `patterns[k][cy * CHIPS + cx]` is ±1.
    chips: Vec<Vec<f32>>,
}

impl Patterns {
    /// Derives `1 + carriers` patterns from the key: the pilot and `carriers` payload carriers.
    pub fn new(key: &str, carriers: usize) -> Self {
        let chips = (0..=carriers)
            .map(|k| {
                let mut rng = Rng::from_parts(&[DOMAIN, key.as_bytes(), &(k as u64).to_le_bytes()]);
                let mut v = Vec::with_capacity(CHIPS * CHIPS);
                while v.len() < CHIPS * CHIPS {
                    let mut bits = rng.next_u64();
                    for _ in 0..64 {
                        if v.len() == CHIPS * CHIPS {
                            break;
                        }
                        v.push(if bits & 1 == 1 { 1.0 } else { -1.0 });
                        bits >>= 1;
                    }
                }
                v
            })
            .collect();
        Self { chips }
    }

    /// Number of payload carriers.
    pub fn carriers(&self) -> usize {
        self.chips.len() - 1
    }

    /// Chip array of pattern `k` (0 = pilot).
    pub fn chips(&self, k: usize) -> &[f32] {
        &self.chips[k]
    }

    /// The pixel-level `TILE x TILE` image of a weighted sum of chip patterns.
    pub fn tile(&self, weights: &[(usize, f32)]) -> Vec<f32> {
        let mut chip_sum = vec![0f32; CHIPS * CHIPS];
        for &(k, w) in weights {
            for (a, b) in chip_sum.iter_mut().zip(&self.chips[k]) {
                *a += w * b;
            }
        }
        expand(&chip_sum)
    }
}

/// The patterns of `key` for the longest payload, cached for the last few keys (batch runs
/// embed and detect many images under one key). Pattern `k` does not depend on how many
/// carriers are derived, so shorter payloads use a prefix.
pub(crate) fn for_key(key: &str) -> Arc<Patterns> {
    static CACHE: KeyCache<Patterns> = Mutex::new(Vec::new());
    cached_for_key(&CACHE, b"/cache", key, || {
        Patterns::new(key, crate::code::coded_len(crate::code::MAX_PAYLOAD_BYTES))
    })
}

/// The last few keys' derived material, each under a hash of its key.
pub(crate) type KeyCache<T> = Mutex<Vec<([u8; 32], Arc<T>)>>;

/// What `make` derives from `key`, from `cache` when one of the last four keys was `key`.
/// `purpose` separates the caches' key hashes; the cache holds a hash of the key, never the key.
pub(crate) fn cached_for_key<T>(
    cache: &KeyCache<T>,
    purpose: &[u8],
    key: &str,
    make: impl FnOnce() -> T,
) -> Arc<T> {
    let id: [u8; 32] = Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(purpose)
        .chain_update(key.as_bytes())
        .finalize()
        .into();
    if let Some((_, v)) = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(h, _)| *h == id)
    {
        return v.clone();
    }
    let v = Arc::new(make());
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= 4 {
        cache.remove(0);
    }
    cache.push((id, v.clone()));
    v
}

/// Expands a chip array to pixels.
pub(crate) fn expand(chips: &[f32]) -> Vec<f32> {
    let mut out = vec![0f32; TILE * TILE];
    for y in 0..TILE {
        for x in 0..TILE {
            out[y * TILE + x] = chips[(y / CHIP) * CHIPS + x / CHIP];
        }
    }
    out
}

/// The 8 maps of the dihedral group of the square tile, as integer 2x2 matrices acting on
/// `(x, y)` modulo `TILE`. Index 0 is the identity.
pub(crate) const DIHEDRAL: [[[i32; 2]; 2]; 8] = [
    [[1, 0], [0, 1]],
    [[-1, 0], [0, 1]],
    [[1, 0], [0, -1]],
    [[-1, 0], [0, -1]],
    [[0, 1], [1, 0]],
    [[0, -1], [1, 0]],
    [[0, 1], [-1, 0]],
    [[0, -1], [-1, 0]],
];

/// `out[x] = tile[D x mod TILE]`: the tile as seen through dihedral map `d`.
pub(crate) fn dihedral(tile: &[f32], d: usize) -> Vec<f32> {
    let m = DIHEDRAL[d];
    let t = TILE as i32;
    let mut out = vec![0f32; TILE * TILE];
    for y in 0..t {
        for x in 0..t {
            let sx = (m[0][0] * x + m[0][1] * y).rem_euclid(t);
            let sy = (m[1][0] * x + m[1][1] * y).rem_euclid(t);
            out[(y * t + x) as usize] = tile[(sy * t + sx) as usize];
        }
    }
    out
}
