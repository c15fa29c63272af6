//! Detection: synchronise, fold, correlate with the pilot, read the payload, map the edits.
//!
//! The test statistic is the pilot correlation's z-score at the best cyclic shift, against the
//! other shifts of the same image (a per-image constant-false-alarm-rate null). Every hypothesis
//! the search tries (candidate geometry x dihedral map x cyclic shift, two-sided for polarity)
//! is paid for by a Bonferroni factor, so `p_value` bounds the probability that an unmarked
//! image, or an image marked under another key, scores as high.

use rayon::prelude::*;
use rustfft::num_complex::Complex32;
use serde::Serialize;

use crate::code::{self, MAX_PAYLOAD_BYTES, MIN_PAYLOAD_BYTES};
use crate::edit_map::{self, EditMap};
use crate::embedding::mark_tile;
use crate::error::{Result, WatermarkError};
use crate::pattern::{self, DIHEDRAL, Patterns, TILE};
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
pub(crate) fn residual(y: &Plane) -> Plane {
    let r0 = y.zip(&y.gaussian(2.0), |a, b| a - b);
    let e = r0.map(|v| v * v).gaussian(4.0);
    r0.zip(&e, |r, e| r / (e.sqrt() + 1.0))
}

/// Folds the residual modulo the tile in the embed frame of `frame`: the mean residual at each
/// tile position, with the mean removed.
fn fold(r: &Plane, frame: &Frame) -> Vec<f32> {
    let (w, h) = (r.width, r.height);
    let (sum, cnt) = if frame.is_identity() {
        (0..h)
            .into_par_iter()
            .fold(
                || (vec![0f64; TILE * TILE], vec![0u32; TILE * TILE]),
                |(mut s, mut n), y| {
                    let row = &r.data[y * w..(y + 1) * w];
                    let base = (y % TILE) * TILE;
                    for (x, &v) in row.iter().enumerate() {
                        s[base + x % TILE] += v as f64;
                        n[base + x % TILE] += 1;
                    }
                    (s, n)
                },
            )
            .reduce(
                || (vec![0f64; TILE * TILE], vec![0u32; TILE * TILE]),
                |(mut a, mut an), (b, bn)| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    an.iter_mut().zip(&bn).for_each(|(x, y)| *x += y);
                    (a, an)
                },
            )
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
        (uy0..=uy1)
            .into_par_iter()
            .fold(
                || (vec![0f64; TILE * TILE], vec![0u32; TILE * TILE]),
                |(mut s, mut n), uy| {
                    let base = (uy.rem_euclid(TILE as i64) as usize) * TILE;
                    let mut px = m[0][0] * ux0 as f64 + m[0][1] * uy as f64 + frame.c[0];
                    let mut py = m[1][0] * ux0 as f64 + m[1][1] * uy as f64 + frame.c[1];
                    for ux in ux0..=ux1 {
                        if let Some(v) = r.sample(px as f32, py as f32) {
                            let i = base + ux.rem_euclid(TILE as i64) as usize;
                            s[i] += v as f64;
                            n[i] += 1;
                        }
                        px += m[0][0];
                        py += m[1][0];
                    }
                    (s, n)
                },
            )
            .reduce(
                || (vec![0f64; TILE * TILE], vec![0u32; TILE * TILE]),
                |(mut a, mut an), (b, bn)| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    an.iter_mut().zip(&bn).for_each(|(x, y)| *x += y);
                    (a, an)
                },
            )
    };
    let mut f: Vec<f32> = sum
        .iter()
        .zip(&cnt)
        .map(|(&s, &n)| if n > 0 { (s / n as f64) as f32 } else { 0.0 })
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

/// The best hypothesis found for one geometry.
#[derive(Clone, Copy, Debug)]
struct Best {
    z: f64,
    dihedral: usize,
    shift: (usize, usize),
}

/// Correlates a fold with the 8 dihedral images of the pilot; returns the best |z|.
fn correlate(fold: &[f32], pilot_spectra: &[Vec<Complex32>], fft: &Fft2) -> Best {
    let mut spec: Vec<Complex32> = fold.iter().map(|&v| Complex32::new(v, 0.0)).collect();
    fft.process(&mut spec, false);
    let mut best = Best {
        z: 0.0,
        dihedral: 0,
        shift: (0, 0),
    };
    for (d, p) in pilot_spectra.iter().enumerate() {
        let mut c: Vec<Complex32> = spec.iter().zip(p).map(|(a, b)| a * b.conj()).collect();
        fft.process(&mut c, true);
        let n = c.len() as f64;
        let mean = c.iter().map(|v| v.re as f64).sum::<f64>() / n;
        let var = c.iter().map(|v| (v.re as f64 - mean).powi(2)).sum::<f64>() / n;
        let sd = var.sqrt().max(1e-30);
        for (i, v) in c.iter().enumerate() {
            let z = (v.re as f64 - mean) / sd;
            if z.abs() > best.z.abs() {
                best = Best {
                    z,
                    dihedral: d,
                    shift: (i % TILE, i / TILE),
                };
            }
        }
    }
    best
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

/// Detection on a luma plane (0-255 scale).
pub(crate) fn detect_luma(y: &Plane, key: &str, opts: &DetectOptions) -> Detection {
    let r = residual(y);
    let patterns = Patterns::new(key, code::coded_len(MAX_PAYLOAD_BYTES));
    let fft = Fft2::new(TILE, TILE);
    let pilot = pattern::expand(patterns.chips(0));
    let pilot_spectra: Vec<Vec<Complex32>> = (0..8)
        .map(|d| {
            let mut s: Vec<Complex32> = pattern::dihedral(&pilot, d)
                .iter()
                .map(|&v| Complex32::new(v, 0.0))
                .collect();
            fft.process(&mut s, false);
            s
        })
        .collect();
    let centre = [(r.width as f64 - 1.0) / 2.0, (r.height as f64 - 1.0) / 2.0];
    let mut frames = vec![Frame::identity()];
    for (b1, b2) in sync::lattices(&r) {
        let t = TILE as f64;
        frames.push(Frame {
            m: [[b1[0] / t, b2[0] / t], [b1[1] / t, b2[1] / t]],
            c: centre,
        });
    }
    let results: Vec<(Best, Vec<f32>)> = frames
        .par_iter()
        .map(|f| {
            let fo = fold(&r, f);
            (correlate(&fo, &pilot_spectra, &fft), fo)
        })
        .collect();
    let (gi, (best, folded)) = results
        .into_iter()
        .enumerate()
        .max_by(|a, b| a.1.0.z.abs().total_cmp(&b.1.0.z.abs()))
        .expect("the identity frame is always tried");
    let log10_p = (stats::log10_two_sided(best.z) + HYPOTHESES.log10()).min(0.0);
    let detected = log10_p <= opts.false_positive_rate.log10();
    let mut det = Detection {
        detected,
        p_value: 10f64.powf(log10_p),
        confidence: -log10_p,
        z_score: best.z,
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
    let frame = frames[gi];
    let sign = best.z.signum() as f32;
    let (sx, sy) = best.shift;
    let aligned: Vec<f32> = (0..TILE * TILE)
        .map(|i| folded[((i / TILE + sy) % TILE) * TILE + (i % TILE + sx) % TILE])
        .collect();
    let soft: Vec<f32> = (1..=patterns.carriers())
        .into_par_iter()
        .map(|k| {
            let p = pattern::dihedral(&pattern::expand(patterns.chips(k)), best.dihedral);
            sign * p.iter().zip(&aligned).map(|(a, b)| a * b).sum::<f32>()
        })
        .collect();
    let decoded = (MIN_PAYLOAD_BYTES..=MAX_PAYLOAD_BYTES)
        .map(|n| code::decode(&soft, n))
        .max_by(|a, b| {
            (a.crc_ok, a.agreement)
                .partial_cmp(&(b.crc_ok, b.agreement))
                .expect("finite")
        })
        .expect("at least one length");
    det.payload = Some(hex::encode(&decoded.payload));
    det.payload_valid = decoded.crc_ok;
    det.geometry = Some(geometry(&frame, &best, sign < 0.0));
    if opts.edit_map {
        // The predicted mark in fold coordinates: the full tile when the payload decoded (more
        // energy, finer map), else the pilot alone.
        let tile = if decoded.crc_ok {
            mark_tile(&patterns, &code::encode(&decoded.payload))
        } else {
            pilot.clone()
        };
        let dt = pattern::dihedral(&tile, best.dihedral);
        let predicted: Vec<f32> = (0..TILE * TILE)
            .map(|i| {
                let (x, yy) = (i % TILE, i / TILE);
                sign * dt[((yy + TILE - sy) % TILE) * TILE + (x + TILE - sx) % TILE]
            })
            .collect();
        det.edit_map = Some(edit_map::compute(y, &r, &frame, &predicted));
    }
    det
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
