//! Detection: synchronise, fold, correlate with the pilot, read the payload, map the edits.
//!
//! The test statistic is the pilot correlation's z-score at the best cyclic shift, against the
//! other shifts of the same image (a per-image constant-false-alarm-rate null). Every hypothesis
//! the search tries (candidate geometry x dihedral map x cyclic shift, two-sided for polarity)
//! is paid for by a Bonferroni factor, so `p_value` bounds the probability that an unmarked
//! image, or an image marked under another key, scores as high.

use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use rustfft::num_complex::Complex32;
use serde::Serialize;

use crate::code::{self, MAX_PAYLOAD_BYTES, MIN_PAYLOAD_BYTES};
use crate::edit_map::{self, EditMap};
use crate::embedding::mark_tile;
use crate::error::{Result, WatermarkError};
use crate::pattern::{self, CHIP, CHIPS, DIHEDRAL, Patterns, TILE};
use crate::picture::Picture;
use crate::plane::{Fft2, Plane};
use crate::stats;
use crate::sync::{self, MAX_LATTICES, V2};

/// Smallest image side the detector accepts: one tile.
pub const MIN_DETECT_SIDE: u32 = TILE as u32;

/// Number of hypotheses the search tries on every image: the identity plus up to
/// [`MAX_LATTICES`] candidate geometries, 8 dihedral maps, every cyclic shift of the tile.
/// Polarity (inversion) is covered by the two-sided test.
pub const HYPOTHESES: f64 = ((1 + MAX_LATTICES) * 8 * TILE * TILE) as f64;

/// Parameters of [`detect`].
#[derive(Clone, Debug)]
pub struct DetectOptions {
    /// Family-wise false-positive rate at which `detected` is decided (default 1e-6).
    pub false_positive_rate: f64,
    /// Whether to compute the edit map.
    pub edit_map: bool,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self {
            false_positive_rate: 1e-6,
            edit_map: true,
        }
    }
}

/// The geometric transform the detector recovered: how the image was changed since embedding.
#[derive(Clone, Debug, Serialize)]
pub struct Geometry {
    /// Clockwise rotation in degrees, in (-180, 180], applied after the flip.
    pub rotation_degrees: f64,
    /// Horizontal scale factor (new width / old width for a plain resize).
    pub scale_x: f64,
    /// Vertical scale factor.
    pub scale_y: f64,
    /// Whether the image was mirrored (a vertical flip reads as a mirror plus 180 degrees).
    pub flipped: bool,
    /// Whether the luma was inverted (negative image).
    pub inverted: bool,
    /// Where the image's top-left pixel was in the marked original, modulo the 128-pixel tile
    /// (a crop offset is only known up to whole tiles).
    pub offset: [f64; 2],
    /// The linear part of the map from original to current pixel coordinates (row-major).
    pub matrix: [[f64; 2]; 2],
}

/// The result of [`detect`].
#[derive(Clone, Debug, Serialize)]
pub struct Detection {
    /// Whether the mark is present at the requested false-positive rate.
    pub detected: bool,
    /// Family-wise p-value (probability of a score this high without the mark), in [0, 1].
    /// Underflows to 0 for strong marks: use `confidence`.
    pub p_value: f64,
    /// `-log10(p_value)`, exact even when `p_value` underflows.
    pub confidence: f64,
    /// The pilot correlation's z-score at the best hypothesis.
    pub z_score: f64,
    /// Number of hypotheses paid for in the p-value.
    pub hypotheses: f64,
    /// The false-positive rate used for `detected`.
    pub false_positive_rate: f64,
    /// Decoded payload (hex), when detected.
    pub payload: Option<String>,
    /// Whether the payload's CRC matched.
    pub payload_valid: bool,
    /// Recovered geometry, when detected.
    pub geometry: Option<Geometry>,
    /// Per-region mark strength, when detected and requested.
    pub edit_map: Option<EditMap>,
}

/// One tried geometry: `pixel = m * u + c` for embed-frame tile coordinates `u`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    pub m: [[f64; 2]; 2],
    pub c: V2,
}

impl Frame {
    fn identity() -> Self {
        Self {
            m: [[1.0, 0.0], [0.0, 1.0]],
            c: [0.0, 0.0],
        }
    }

    pub(crate) fn inverse(&self) -> [[f64; 2]; 2] {
        let m = self.m;
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        [
            [m[1][1] / det, -m[0][1] / det],
            [-m[1][0] / det, m[0][0] / det],
        ]
    }

    pub(crate) fn is_identity(&self) -> bool {
        self.m == [[1.0, 0.0], [0.0, 1.0]] && self.c == [0.0, 0.0]
    }
}

/// The noise residual the mark lives in, normalised by local activity so that textured regions
/// do not drown the rest.
///
/// A narrow high-pass (sigma 1) keeps the 2-pixel chips, and after a downscale or JPEG their
/// surviving energy sits at high frequencies, while it removes more of the host, whose
/// energy falls with frequency. With a local energy over sigma 2 the weight follows texture
/// edges closely. Against sigma 2 and 4 this raises the pilot's z-score by about 1.3x on the
/// development photos after the combined attack, and by 1.5-1.8x on most single attacks.
pub(crate) fn residual(y: &Plane) -> Plane {
    residual_with(y, 1.0, 2.0)
}

/// The residual the edit map reads. The map's regions are sized from the overall z-score so
/// that an intact region scores about 10, and its "missing" threshold was set with this
/// wider filter, which varies less with local content.
pub(crate) fn map_residual(y: &Plane) -> Plane {
    residual_with(y, 2.0, 4.0)
}

fn residual_with(y: &Plane, highpass: f32, energy: f32) -> Plane {
    let mut r = y.gaussian(highpass);
    r.data
        .par_iter_mut()
        .zip(&y.data)
        .for_each(|(b, &a)| *b = a - *b);
    // The local energy varies slowly: computed on a 2x-decimated grid and interpolated row
    // by row as it is applied (no full-size planes of squares or energies).
    let e = r.block_means_of(2, |v| v * v).gaussian(energy);
    let cols = e.column_weights();
    r.data.par_chunks_mut(r.width).enumerate().for_each_init(
        || (vec![0f32; e.width], vec![0f32; e.full_width]),
        |(scratch, erow), (y, row)| {
            e.interpolate_row(y, &cols, scratch, erow);
            for (r, &e) in row.iter_mut().zip(erow.iter()) {
                *r /= e.max(0.0).sqrt() + 1.0;
            }
        },
    );
    r
}

/// Per-thread partial sums of a fold.
type FoldSums = (Vec<f32>, Vec<u32>);

fn fold_zero() -> FoldSums {
    (vec![0f32; TILE * TILE], vec![0u32; TILE * TILE])
}

fn fold_merge((mut a, mut an): FoldSums, (b, bn): FoldSums) -> FoldSums {
    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
    an.iter_mut().zip(&bn).for_each(|(x, y)| *x += y);
    (a, an)
}

/// Folds the residual modulo the tile in the embed frame of `frame`: the mean residual at each
/// tile position, with the mean removed.
fn fold(r: &Plane, frame: &Frame) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    let avx2 = std::arch::is_x86_feature_detected!("avx2");
    #[cfg(not(target_arch = "x86_64"))]
    let avx2 = false;
    fold_with(r, frame, avx2)
}

/// [`fold`], with or without the AVX2 kernel (the tests compare the two).
fn fold_with(r: &Plane, frame: &Frame, avx2: bool) -> Vec<f32> {
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    let (w, h) = (r.width, r.height);
    let (sum, cnt) = if frame.is_identity() {
        (0..h)
            .into_par_iter()
            .with_min_len(16)
            .fold(fold_zero, |(mut s, mut n), y| {
                let row = &r.data[y * w..(y + 1) * w];
                let base = (y % TILE) * TILE;
                let (srow, nrow) = (&mut s[base..base + TILE], &mut n[base..base + TILE]);
                for chunk in row.chunks(TILE) {
                    for ((a, c), &v) in srow.iter_mut().zip(nrow.iter_mut()).zip(chunk) {
                        *a += v;
                        *c += 1;
                    }
                }
                (s, n)
            })
            .reduce(fold_zero, fold_merge)
    } else {
        let inv = frame.inverse();
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for p in [
            [0.0, 0.0],
            [w as f64, 0.0],
            [0.0, h as f64],
            [w as f64, h as f64],
        ] {
            let q = [p[0] - frame.c[0], p[1] - frame.c[1]];
            for k in 0..2 {
                let u = inv[k][0] * q[0] + inv[k][1] * q[1];
                lo[k] = lo[k].min(u);
                hi[k] = hi[k].max(u);
            }
        }
        let (ux0, ux1) = (lo[0].floor() as i64, hi[0].ceil() as i64);
        let (uy0, uy1) = (lo[1].floor() as i64, hi[1].ceil() as i64);
        let m = frame.m;
        // Sample positions strictly inside the plane, so every bilinear tap is valid.
        let (xmax, ymax) = ((w - 1) as f64 - 1e-6, (h - 1) as f64 - 1e-6);
        (uy0..=uy1)
            .into_par_iter()
            .fold(fold_zero, |(mut s, mut n), uy| {
                let base = (uy.rem_euclid(TILE as i64) as usize) * TILE;
                // Pixel position p(ux) = p0 + ux * step; keep the ux where p is in the plane.
                let p0 = [
                    m[0][1] * uy as f64 + frame.c[0],
                    m[1][1] * uy as f64 + frame.c[1],
                ];
                let step = [m[0][0], m[1][0]];
                let (mut a, mut b) = (ux0 as f64, ux1 as f64);
                for k in 0..2 {
                    let max = if k == 0 { xmax } else { ymax };
                    if step[k].abs() < 1e-12 {
                        if !(0.0..=max).contains(&p0[k]) {
                            return (s, n);
                        }
                    } else {
                        let (t0, t1) = ((0.0 - p0[k]) / step[k], (max - p0[k]) / step[k]);
                        a = a.max(t0.min(t1));
                        b = b.min(t0.max(t1));
                    }
                }
                let (a, b) = (a.ceil() as i64, b.floor() as i64);
                let line = FoldLine {
                    d: &r.data,
                    w,
                    max: [xmax, ymax],
                    p0,
                    step,
                };
                let (srow, nrow) = (&mut s[base..base + TILE], &mut n[base..base + TILE]);
                #[cfg(target_arch = "x86_64")]
                if avx2 {
                    // SAFETY: `fold` passes `avx2` only when the CPU has AVX2 (and the tests
                    // only when `is_x86_feature_detected!` says so).
                    unsafe { line.add_avx2(a, b, srow, nrow) };
                    return (s, n);
                }
                line.add(a, b, srow, nrow);
                (s, n)
            })
            .reduce(fold_zero, fold_merge)
    };
    let mut f: Vec<f32> = sum
        .iter()
        .zip(&cnt)
        .map(|(&s, &n)| if n > 0 { s / n as f32 } else { 0.0 })
        .collect();
    let covered = cnt.iter().filter(|&&n| n > 0).count().max(1);
    let mean = f.iter().map(|&v| v as f64).sum::<f64>() / covered as f64;
    for (v, &n) in f.iter_mut().zip(&cnt) {
        if n > 0 {
            *v -= mean as f32;
        }
    }
    f
}

/// One row of a resampling fold: bilinear samples of the residual `d` (`w` wide) at
/// `p0 + step * ux`, added to a tile row at `ux mod TILE`. Positions outside `[0, max]` are
/// skipped, which keeps every tap inside the plane.
struct FoldLine<'a> {
    d: &'a [f32],
    w: usize,
    max: V2,
    p0: V2,
    step: V2,
}

impl FoldLine<'_> {
    /// Adds the samples `ux = a..=b`.
    fn add(&self, a: i64, b: i64, s: &mut [f32], n: &mut [u32]) {
        for ux in a..=b {
            self.add_one(ux, s, n);
        }
    }

    #[inline(always)]
    fn add_one(&self, ux: i64, s: &mut [f32], n: &mut [u32]) {
        let (d, w) = (self.d, self.w);
        let px = self.p0[0] + self.step[0] * ux as f64;
        let py = self.p0[1] + self.step[1] * ux as f64;
        if !(px >= 0.0 && py >= 0.0 && px <= self.max[0] && py <= self.max[1]) {
            return;
        }
        // Through i32: a float-to-unsigned cast has no single x86-64 instruction, and this
        // runs once per pixel per geometry.
        let (x0, y0) = (px as i32 as usize, py as i32 as usize);
        let (fx, fy) = ((px - x0 as f64) as f32, (py - y0 as f64) as f32);
        let i = y0 * w + x0;
        let top = d[i] + (d[i + 1] - d[i]) * fx;
        let bot = d[i + w] + (d[i + w + 1] - d[i + w]) * fx;
        let t = ux.rem_euclid(TILE as i64) as usize;
        s[t] += top + (bot - top) * fy;
        n[t] += 1;
    }

    /// [`add`](Self::add), four samples at a time: the scalar loop spent most of its time on
    /// the position arithmetic, float-to-int conversions and bounds checks of each tap, one
    /// sample per iteration. The same operations in the same order (no fused multiply-add, the
    /// tile row accumulated in the same sequence), so the sums are identical to the bit.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn add_avx2(&self, a: i64, b: i64, s: &mut [f32], n: &mut [u32]) {
        use std::arch::x86_64::*;
        assert!(s.len() == TILE && n.len() == TILE && self.d.len() > self.w + 1);
        let mut ux = a;
        // Groups of four start at multiples of four, so a group never wraps round the tile.
        while ux <= b && ux & 3 != 0 {
            self.add_one(ux, s, n);
            ux += 1;
        }
        let lanes = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
        let (p0x, p0y) = (_mm256_set1_pd(self.p0[0]), _mm256_set1_pd(self.p0[1]));
        let (sx, sy) = (_mm256_set1_pd(self.step[0]), _mm256_set1_pd(self.step[1]));
        let (xmax, ymax) = (_mm256_set1_pd(self.max[0]), _mm256_set1_pd(self.max[1]));
        let zero = _mm256_setzero_pd();
        let wv = _mm_set1_epi32(self.w as i32);
        let low32 = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
        while ux + 3 <= b {
            // Exact: |ux| is far below 2^53.
            let u = _mm256_add_pd(_mm256_set1_pd(ux as f64), lanes);
            let px = _mm256_add_pd(p0x, _mm256_mul_pd(sx, u));
            let py = _mm256_add_pd(p0y, _mm256_mul_pd(sy, u));
            let valid = _mm256_and_pd(
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GE_OQ>(px, zero),
                    _mm256_cmp_pd::<_CMP_GE_OQ>(py, zero),
                ),
                _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_LE_OQ>(px, xmax),
                    _mm256_cmp_pd::<_CMP_LE_OQ>(py, ymax),
                ),
            );
            let t = (ux & (TILE as i64 - 1)) as usize;
            ux += 4;
            if _mm256_movemask_pd(valid) == 0 {
                continue;
            }
            let valid32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
                _mm256_castpd_si256(valid),
                low32,
            ));
            // Truncation, as `as i32` does for the non-negative positions kept.
            let (x0, y0) = (_mm256_cvttpd_epi32(px), _mm256_cvttpd_epi32(py));
            let fx = _mm256_cvtpd_ps(_mm256_sub_pd(px, _mm256_cvtepi32_pd(x0)));
            let fy = _mm256_cvtpd_ps(_mm256_sub_pd(py, _mm256_cvtepi32_pd(y0)));
            // Skipped lanes read index 0 (and are masked off anyway).
            let i = _mm_and_si128(_mm_add_epi32(_mm_mullo_epi32(y0, wv), x0), valid32);
            let mut at = [0i32; 4];
            // SAFETY: `at` holds four i32.
            unsafe { _mm_storeu_si128(at.as_mut_ptr() as *mut __m128i, i) };
            // Four (left, right) pairs of one row into lefts and rights. Separate loads beat
            // AVX2's gathers here, which stalled for most of the loop's time.
            let taps = |row: &[f32]| {
                let pair = |k: usize| {
                    let j = at[k] as usize;
                    let p: &[f32; 2] = row[j..j + 2].try_into().expect("two taps");
                    // SAFETY: `p` is 8 readable bytes.
                    unsafe { _mm_load_sd(p.as_ptr() as *const f64) }
                };
                let (lo, hi) = (
                    _mm_castpd_ps(_mm_unpacklo_pd(pair(0), pair(1))),
                    _mm_castpd_ps(_mm_unpacklo_pd(pair(2), pair(3))),
                );
                (
                    _mm_shuffle_ps::<0x88>(lo, hi),
                    _mm_shuffle_ps::<0xdd>(lo, hi),
                )
            };
            let lerp = |(l, r): (__m128, __m128), f: __m128| {
                _mm_add_ps(l, _mm_mul_ps(_mm_sub_ps(r, l), f))
            };
            let (top, bot) = (taps(self.d), taps(&self.d[self.w..]));
            let (top, bot) = (lerp(top, fx), lerp(bot, fx));
            let v = _mm_add_ps(top, _mm_mul_ps(_mm_sub_ps(bot, top), fy));
            let (s4, n4) = (&mut s[t..t + 4], &mut n[t..t + 4]);
            // SAFETY: `s4` and `n4` hold four elements each.
            unsafe {
                // Skipped lanes add +0.0, which leaves every sum as it was: a sum that starts
                // at +0.0 is never -0.0. (A blend here became a masked store, slow on AMD.)
                let v = _mm_and_ps(v, _mm_castsi128_ps(valid32));
                let old = _mm_loadu_ps(s4.as_ptr());
                _mm_storeu_ps(s4.as_mut_ptr(), _mm_add_ps(old, v));
                let cnt = _mm_loadu_si128(n4.as_ptr() as *const __m128i);
                // A kept lane is all ones, i.e. -1.
                let cnt = _mm_sub_epi32(cnt, valid32);
                _mm_storeu_si128(n4.as_mut_ptr() as *mut __m128i, cnt);
            }
        }
        while ux <= b {
            self.add_one(ux, s, n);
            ux += 1;
        }
    }
}

/// How far (in log10 units) below the false-positive rate a conclusive hypothesis must be for
/// the search to stop there.
const SETTLE_MARGIN: f64 = 10.0;
/// The spectrum of a fold.
fn spectrum(fold: &[f32], fft: &Fft2) -> Vec<Complex32> {
    let mut spec: Vec<Complex32> = fold.iter().map(|&v| Complex32::new(v, 0.0)).collect();
    fft.process(&mut spec, false);
    spec
}

/// The best hypothesis found for one geometry.
#[derive(Clone, Copy, Debug)]
struct Best {
    z: f64,
    dihedral: usize,
    shift: (usize, usize),
}

/// Correlates a fold spectrum with the 8 dihedral images of the pilot; returns the
/// best |z|.
///
/// Both the fold and the pilot are real, so each cross-correlation is real: two of them go
/// through one complex inverse transform (the first as the real part, the second as the
/// imaginary part), four transforms instead of eight.
fn correlate(spec: &[Complex32], key: &KeyMaterial, fft: &Fft2) -> Best {
    key.pilot_spectra
        .par_chunks(2)
        .enumerate()
        .flat_map_iter(|(pair, p)| {
            let i = Complex32::new(0.0, 1.0);
            let mut c: Vec<Complex32> = spec
                .iter()
                .zip(&p[0])
                .zip(&p[1])
                .map(|((a, b), d)| a * b + i * (a * d))
                .collect();
            fft.process(&mut c, true);
            [
                best_shift(&c, |v| v.re, 2 * pair),
                best_shift(&c, |v| v.im, 2 * pair + 1),
            ]
        })
        .reduce_with(|a, b| if b.z.abs() > a.z.abs() { b } else { a })
        .expect("8 orientations")
}

/// The shift with the largest |z| of one correlation (`part` of each value), with its z
/// against all shifts.
fn best_shift(c: &[Complex32], part: impl Fn(&Complex32) -> f32, dihedral: usize) -> Best {
    let n = c.len() as f64;
    let mean = c.iter().map(|v| part(v) as f64).sum::<f64>() / n;
    let var = c
        .iter()
        .map(|v| (part(v) as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let sd = var.sqrt().max(1e-30);
    let (i, v) = c
        .iter()
        .map(&part)
        .enumerate()
        .max_by(|a, b| {
            (a.1 as f64 - mean)
                .abs()
                .total_cmp(&(b.1 as f64 - mean).abs())
        })
        .expect("non-empty");
    let z = (v as f64 - mean) / sd;
    Best {
        z: if z.is_finite() { z } else { 0.0 },
        dihedral,
        shift: (i % TILE, i / TILE),
    }
}

/// Everything detection derives from the key, cached for the last few keys (a batch run
/// detects many images under one key).
struct KeyMaterial {
    patterns: Arc<Patterns>,
    pilot: Vec<f32>,
    /// Complex conjugates of the spectra of the pilot in the 8 dihedral orientations.
    pilot_spectra: Vec<Vec<Complex32>>,
}

fn key_material(key: &str, fft: &Fft2) -> Arc<KeyMaterial> {
    static CACHE: pattern::KeyCache<KeyMaterial> = Mutex::new(Vec::new());
    pattern::cached_for_key(&CACHE, b"/key-material", key, || {
        derive_key_material(key, fft)
    })
}

fn derive_key_material(key: &str, fft: &Fft2) -> KeyMaterial {
    let patterns = pattern::for_key(key);
    let pilot = pattern::expand(patterns.chips(0));
    let pilot_spectra = (0..8)
        .map(|d| {
            let mut s: Vec<Complex32> = pattern::dihedral(&pilot, d)
                .iter()
                .map(|&v| Complex32::new(v, 0.0))
                .collect();
            fft.process(&mut s, false);
            s.iter_mut().for_each(|c| *c = c.conj());
            s
        })
        .collect();
    KeyMaterial {
        patterns,
        pilot,
        pilot_spectra,
    }
}

/// One evaluated geometry: its best hypothesis and, when that is significant, the payload.
struct Tried {
    frame: Frame,
    best: Best,
    log10_p: f64,
    decoded: Option<code::Decoded>,
}

impl Tried {
    /// Detected with a payload whose CRC matched: nothing else the search could find would
    /// change the answer.
    fn conclusive(&self, log10_fpr: f64) -> bool {
        self.log10_p <= log10_fpr && self.decoded.as_ref().is_some_and(|d| d.crc_ok)
    }
}

/// Folds and correlates under one geometry; decodes the payload when the pilot is
/// significant.
fn evaluate(r: &Plane, frame: Frame, key: &KeyMaterial, fft: &Fft2, log10_fpr: f64) -> Tried {
    let fold = fold(r, &frame);
    let spec = spectrum(&fold, fft);
    let best = correlate(&spec, key, fft);
    let log10_p = (stats::log10_two_sided(best.z) + HYPOTHESES.log10()).min(0.0);
    let decoded = (log10_p <= log10_fpr).then(|| decode_payload(&fold, &best, &key.patterns));
    Tried {
        frame,
        best,
        log10_p,
        decoded,
    }
}

/// Reads the payload from a fold at the winning hypothesis.
fn decode_payload(fold: &[f32], best: &Best, patterns: &Patterns) -> code::Decoded {
    let soft = soft_values(fold, best, patterns);
    (MIN_PAYLOAD_BYTES..=MAX_PAYLOAD_BYTES)
        .map(|n| code::decode(&soft, n))
        .max_by(|a, b| {
            (a.crc_ok, a.agreement)
                .partial_cmp(&(b.crc_ok, b.agreement))
                .expect("finite")
        })
        .expect("at least one length")
}

/// The payload carriers' correlations with a fold at a hypothesis (positive means bit 1).
fn soft_values(fold: &[f32], best: &Best, patterns: &Patterns) -> Vec<f32> {
    let sign = best.z.signum() as f32;
    let (sx, sy) = best.shift;
    // Undo the shift and the dihedral map: `embed[D x] = fold[x + s]`, then sum each chip.
    let dm = DIHEDRAL[best.dihedral];
    let t = TILE as i32;
    let mut chips = vec![0f32; CHIPS * CHIPS];
    for y in 0..t {
        for x in 0..t {
            let v = fold[((y as usize + sy) % TILE) * TILE + (x as usize + sx) % TILE];
            let ux = (dm[0][0] * x + dm[0][1] * y).rem_euclid(t) as usize;
            let uy = (dm[1][0] * x + dm[1][1] * y).rem_euclid(t) as usize;
            chips[(uy / CHIP) * CHIPS + ux / CHIP] += v;
        }
    }
    (1..=patterns.carriers())
        .map(|k| {
            sign * patterns
                .chips(k)
                .iter()
                .zip(&chips)
                .map(|(a, b)| a * b)
                .sum::<f32>()
        })
        .collect()
}

/// Detects the mark of `key` in a picture.
///
/// ```no_run
/// use rampart_watermark::{DetectOptions, Picture, detect};
///
/// let picture = Picture::open("photo.png".as_ref()).unwrap();
/// let d = detect(&picture, "secret", &DetectOptions::default()).unwrap();
/// if d.detected {
///     println!("marked, p = {:e}, payload {:?} (valid: {})", d.p_value, d.payload, d.payload_valid);
/// }
/// ```
pub fn detect(picture: &Picture, key: &str, opts: &DetectOptions) -> Result<Detection> {
    if key.is_empty() {
        return Err(WatermarkError::EmptyKey);
    }
    if !(opts.false_positive_rate > 0.0 && opts.false_positive_rate < 1.0) {
        return Err(WatermarkError::InvalidParameter(format!(
            "false-positive rate {} must be in (0, 1)",
            opts.false_positive_rate
        )));
    }
    let (w, h) = (picture.width(), picture.height());
    if w < MIN_DETECT_SIDE || h < MIN_DETECT_SIDE {
        return Err(WatermarkError::ImageTooSmall {
            width: w,
            height: h,
            min: MIN_DETECT_SIDE,
            operation: "detection",
        });
    }
    let y = picture.luma()?;
    Ok(detect_luma(&y, key, opts))
}

/// Runs `f` on a worker of the thread pool (in place when already on one). Called from outside
/// the pool, each parallel pass inside `f` is handed to the pool while the caller sleeps until
/// it ends: a wake-up and a context switch per pass, which the autocorrelation and the square
/// search make by the dozen. Only for work whose results do not depend on how rayon splits
/// it: started inside a worker, rayon splits a pass differently, which would change the
/// rounding of a parallel float reduction such as [`fold`]'s (and so the confidences).
fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

/// Detection on a luma plane (0-255 scale).
///
/// The search is ordered so that easy cases stop early, while the p-value always pays for
/// every hypothesis the search *could* try ([`HYPOTHESES`]): stopping early only lowers the
/// maximum over the tried hypotheses, so the family-wise bound still holds.
///
/// 1. The identity geometry (crops, flips, quarter turns, photometric edits and re-encoding
///    keep the tile's lattice). If the pilot is significant and the payload's CRC matches,
///    the answer is final, unless the edit map (when requested) finds regions without the
///    mark: a slight resize can still be read at the identity but drifts off towards the
///    edges, so the full search runs then and the best geometry wins.
/// 2. Otherwise the candidate lattices from the autocorrelation, best supported first, until
///    one is conclusive.
pub(crate) fn detect_luma(y: &Plane, key: &str, opts: &DetectOptions) -> Detection {
    let log10_fpr = opts.false_positive_rate.log10();
    let r = in_pool(|| residual(y));
    let fft = Fft2::new(TILE, TILE);
    let km = key_material(key, &fft);
    let mut tried: Vec<Tried> = Vec::new();
    // Edit maps computed along the way, by index in `tried`.
    let mut maps: Vec<(usize, EditMap)> = Vec::new();
    let map_r = std::cell::OnceCell::new();
    // Whether `t` settles the search: conclusive, and (when an edit map is wanted) its map
    // finds the mark everywhere; a map with holes may mean a slightly wrong geometry, so the
    // remaining candidates are tried and the strongest wins.
    let settles = |t: &Tried, i: usize, maps: &mut Vec<(usize, EditMap)>| {
        // A barely conclusive candidate may be a near miss of the true geometry (a lattice
        // fitted slightly off): the others are tried too, and the strongest wins.
        if !t.conclusive(log10_fpr) || t.log10_p > log10_fpr - SETTLE_MARGIN {
            return false;
        }
        if !opts.edit_map {
            return true;
        }
        let map = edit_map_for(y, map_r.get_or_init(|| map_residual(y)), t, &km);
        let ok = map.reliable && !map.edited;
        maps.push((i, map));
        ok
    };
    tried.push(evaluate(&r, Frame::identity(), &km, &fft, log10_fpr));
    if !settles(&tried[0], 0, &mut maps) {
        let centre = [(r.width as f64 - 1.0) / 2.0, (r.height as f64 - 1.0) / 2.0];
        let t = TILE as f64;
        let lat = in_pool(|| sync::lattices(&r));
        for (b1, b2) in lat {
            let frame = Frame {
                m: [[b1[0] / t, b2[0] / t], [b1[1] / t, b2[1] / t]],
                c: centre,
            };
            let e = evaluate(&r, frame, &km, &fft, log10_fpr);
            tried.push(e);
            let i = tried.len() - 1;
            if settles(&tried[i], i, &mut maps) {
                break;
            }
        }
    }
    let wi = (0..tried.len())
        .max_by(|&a, &b| {
            let key = |t: &Tried| (t.conclusive(log10_fpr), t.best.z.abs());
            key(&tried[a]).partial_cmp(&key(&tried[b])).expect("finite")
        })
        .expect("the identity frame is always tried");
    let edit_map = maps.into_iter().find(|(i, _)| *i == wi).map(|(_, m)| m);
    let win = &tried[wi];
    let detected = win.log10_p <= log10_fpr;
    let mut det = Detection {
        detected,
        p_value: 10f64.powf(win.log10_p),
        confidence: -win.log10_p,
        z_score: win.best.z,
        hypotheses: HYPOTHESES,
        false_positive_rate: opts.false_positive_rate,
        payload: None,
        payload_valid: false,
        geometry: None,
        edit_map: None,
    };
    if !detected {
        return det;
    }
    let decoded = win.decoded.as_ref().expect("decoded when significant");
    det.payload = Some(hex::encode(&decoded.payload));
    det.payload_valid = decoded.crc_ok;
    det.geometry = Some(geometry(&win.frame, &win.best, win.best.z < 0.0));
    if opts.edit_map {
        det.edit_map =
            Some(edit_map.unwrap_or_else(|| {
                edit_map_for(y, map_r.get_or_init(|| map_residual(y)), win, &km)
            }));
    }
    det
}

/// The edit map at a detected hypothesis.
fn edit_map_for(y: &Plane, r: &Plane, win: &Tried, km: &KeyMaterial) -> EditMap {
    // The predicted mark in fold coordinates: the full tile when the payload decoded (more
    // energy, finer map), else the pilot alone.
    let decoded = win.decoded.as_ref().filter(|d| d.crc_ok);
    let tile = match decoded {
        Some(d) => mark_tile(&km.patterns, &code::encode(&d.payload)),
        None => km.pilot.clone(),
    };
    let sign = win.best.z.signum() as f32;
    let (sx, sy) = win.best.shift;
    let dt = pattern::dihedral(&tile, win.best.dihedral);
    let predicted: Vec<f32> = (0..TILE * TILE)
        .map(|i| {
            let (x, yy) = (i % TILE, i / TILE);
            sign * dt[((yy + TILE - sy) % TILE) * TILE + (x + TILE - sx) % TILE]
        })
        .collect();
    edit_map::compute(y, r, &win.frame, &predicted)
}

/// Turns the winning hypothesis into a human-readable geometry.
fn geometry(frame: &Frame, best: &Best, inverted: bool) -> Geometry {
    let d = DIHEDRAL[best.dihedral];
    // D is orthogonal: its inverse is its transpose.
    let dinv = [
        [d[0][0] as f64, d[1][0] as f64],
        [d[0][1] as f64, d[1][1] as f64],
    ];
    let m = frame.m;
    let a = [
        [
            m[0][0] * dinv[0][0] + m[0][1] * dinv[1][0],
            m[0][0] * dinv[0][1] + m[0][1] * dinv[1][1],
        ],
        [
            m[1][0] * dinv[0][0] + m[1][1] * dinv[1][0],
            m[1][0] * dinv[0][1] + m[1][1] * dinv[1][1],
        ],
    ];
    let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    let flipped = det < 0.0;
    // Remove the mirror (applied first) to read a pure rotation-scale.
    let b = if flipped {
        [[-a[0][0], a[0][1]], [-a[1][0], a[1][1]]]
    } else {
        a
    };
    let rotation = (b[1][0] - b[0][1]).atan2(b[0][0] + b[1][1]).to_degrees();
    let rotation = if rotation <= -180.0 + 1e-9 {
        180.0
    } else {
        rotation
    };
    let scale_x = (a[0][0].powi(2) + a[1][0].powi(2)).sqrt();
    let scale_y = (a[0][1].powi(2) + a[1][1].powi(2)).sqrt();
    // Original coordinate of the current origin: D (M^-1 (0 - c) - s), modulo the tile.
    let inv = frame.inverse();
    let u = [
        -(inv[0][0] * frame.c[0] + inv[0][1] * frame.c[1]) - best.shift.0 as f64,
        -(inv[1][0] * frame.c[0] + inv[1][1] * frame.c[1]) - best.shift.1 as f64,
    ];
    let t = TILE as f64;
    let offset = [
        (d[0][0] as f64 * u[0] + d[0][1] as f64 * u[1]).rem_euclid(t),
        (d[1][0] as f64 * u[0] + d[1][1] as f64 * u[1]).rem_euclid(t),
    ];
    let r2 = |v: f64| (v * 100.0).round() / 100.0;
    let r3 = |v: f64| (v * 1000.0).round() / 1000.0 + 0.0;
    Geometry {
        rotation_degrees: r2(rotation) + 0.0,
        scale_x: r3(scale_x),
        scale_y: r3(scale_y),
        flipped,
        inverted,
        offset: [r2(offset[0]), r2(offset[1])],
        matrix: [[r3(a[0][0]), r3(a[0][1])], [r3(a[1][0]), r3(a[1][1])]],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX2 fold sums exactly what the scalar one does, for rotations, resizes, shears,
    /// mirrors and frames that reach past the plane.
    #[test]
    fn avx2_fold_matches_the_portable_one() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let (w, h) = (301usize, 257usize);
            let mut state = 7u32;
            let data = (0..w * h)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (state >> 8) as f32 / (1 << 24) as f32 - 0.5
                })
                .collect();
            let r = Plane {
                width: w,
                height: h,
                data,
            };
            for (angle, sx, sy, shear, flip) in [
                (5.0f64, 1.0, 1.0, 0.0, 1.0),
                (-33.0, 0.75, 0.75, 0.0, 1.0),
                (45.0, 1.5, 1.5, 0.0, -1.0),
                (0.3, 2.0, 0.8, 0.05, 1.0),
                (90.0, 0.5, 0.5, 0.0, 1.0),
                (0.0, 1.3, 1.0, 0.0, 1.0),
            ] {
                let (c, s) = (angle.to_radians().cos(), angle.to_radians().sin());
                let frame = Frame {
                    m: [[c * sx * flip, -s * sy + shear], [s * sx * flip, c * sy]],
                    c: [(w as f64 - 1.0) / 2.0 + 0.37, (h as f64 - 1.0) / 2.0 - 0.21],
                };
                let (a, b) = (fold_with(&r, &frame, false), fold_with(&r, &frame, true));
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&a), bits(&b), "angle {angle}, scale {sx}x{sy}");
            }
        }
    }

    /// The residual and the candidate lattices come out the same, to the bit, whether they run
    /// on a worker of the pool (as `detect` runs them) or are called from outside it.
    #[test]
    fn pool_work_does_not_depend_on_the_calling_thread() {
        let (w, h) = (420usize, 390usize);
        let mut state = 11u32;
        let mut next = || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (state >> 8) as f32 / (1 << 24) as f32 - 0.5
        };
        let tile: Vec<f32> = (0..TILE * TILE).map(|_| next()).collect();
        let data = (0..w * h)
            .map(|i| 128.0 + 20.0 * next() + 4.0 * tile[((i / w) % TILE) * TILE + (i % w) % TILE])
            .collect();
        let y = Plane {
            width: w,
            height: h,
            data,
        };
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let (a, b) = (residual(&y), in_pool(|| residual(&y)));
        assert_eq!(bits(&a.data), bits(&b.data));
        let lat = |l: Vec<(V2, V2)>| {
            l.iter()
                .flat_map(|(p, q)| [p[0], p[1], q[0], q[1]])
                .map(f64::to_bits)
                .collect::<Vec<_>>()
        };
        let (la, lb) = (sync::lattices(&a), in_pool(|| sync::lattices(&a)));
        assert!(!la.is_empty());
        assert_eq!(lat(la), lat(lb));
    }
}
