//! The edit map: where in the image the mark is present, and where it is missing.
//!
//! Once the detector knows the geometry and (ideally) the payload, it can predict the mark at
//! every pixel. Correlating that prediction with the residual region by region tells which
//! regions still carry the mark. A region that was replaced, inpainted or pasted in from
//! another image shows no correlation, so a partly edited image is reported as `edited` instead
//! of simply "detected".
//!
//! Region sizes adapt to the overall mark strength so each region's score is reliable, and the
//! null spread is measured on the same image with decoy patterns (the prediction shifted by half
//! a tile), not assumed.

use serde::Serialize;

use crate::detection::Frame;
use crate::pattern::TILE;
use crate::plane::Plane;

/// Side of the micro-cells that regions are built from, in pixels.
const MICRO: usize = 16;
/// Region z-score we aim for on an intact mark: high enough that an intact region is almost
/// never called missing at half that value.
const TARGET_Z: f64 = 10.0;
/// Below this typical region z-score the map cannot tell "missing" from "weak".
const RELIABLE_Z: f64 = 7.0;
/// A region scoring below this shows no evidence of the mark (an unmarked region exceeds it
/// with probability 2.3%).
const MISSING_Z: f64 = 2.0;
/// Regions that must be missing before the image is called edited: one stray region is more
/// often a dark or clipped patch than an edit.
const MIN_MISSING_REGIONS: usize = 2;

/// Per-region mark strength.
#[derive(Clone, Debug, Serialize)]
pub struct EditMap {
    /// Regions per row.
    pub columns: usize,
    /// Regions per column.
    pub rows: usize,
    /// Region width in pixels (the last column may be narrower).
    pub cell_width: usize,
    /// Region height in pixels (the last row may be shorter).
    pub cell_height: usize,
    /// Row-major mark strength per region relative to a typical intact region (about 1 when
    /// intact, about 0 when missing); `None` where the region is saturated or blank and cannot
    /// carry a mark.
    pub strength: Vec<Option<f32>>,
    /// Row-major flags of regions whose mark is missing.
    pub missing: Vec<bool>,
    /// Fraction of the assessable image area whose mark is missing.
    pub missing_fraction: f64,
    /// Whether the mark is strong enough for the map to be trusted.
    pub reliable: bool,
    /// Whether part of the image has lost its mark (reliable map and at least two regions
    /// missing): the image was partly replaced, inpainted or composited.
    pub edited: bool,
}

#[derive(Clone, Copy, Default)]
struct Sums {
    rw: f64,
    rr: f64,
    ww: f64,
    decoy: [f64; 3],
    pixels: usize,
    saturated: usize,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.rw += o.rw;
        self.rr += o.rr;
        self.ww += o.ww;
        for k in 0..3 {
            self.decoy[k] += o.decoy[k];
        }
        self.pixels += o.pixels;
        self.saturated += o.saturated;
    }

    fn t(&self, v: f64) -> f64 {
        let d = (self.rr * self.ww).sqrt();
        if d > 0.0 { v / d } else { 0.0 }
    }
}

/// Computes the map. `predicted` is the expected mark (sign included) in fold coordinates.
pub(crate) fn compute(y: &Plane, r: &Plane, frame: &Frame, predicted: &[f32]) -> EditMap {
    let (w, h) = (r.width, r.height);
    let (mw, mh) = (w.div_ceil(MICRO), h.div_ceil(MICRO));
    let mut micro = vec![Sums::default(); mw * mh];
    let inv = frame.inverse();
    let half = TILE / 2;
    let identity = frame.is_identity();
    for py in 0..h {
        for px in 0..w {
            let (ux, uy) = if identity {
                (px % TILE, py % TILE)
            } else {
                let q = [px as f64 - frame.c[0], py as f64 - frame.c[1]];
                let u0 = (inv[0][0] * q[0] + inv[0][1] * q[1]).round() as i64;
                let u1 = (inv[1][0] * q[0] + inv[1][1] * q[1]).round() as i64;
                (
                    u0.rem_euclid(TILE as i64) as usize,
                    u1.rem_euclid(TILE as i64) as usize,
                )
            };
            let rv = r.data[py * w + px] as f64;
            let wv = predicted[uy * TILE + ux] as f64;
            let s = &mut micro[(py / MICRO) * mw + px / MICRO];
            s.rw += rv * wv;
            s.rr += rv * rv;
            s.ww += wv * wv;
            s.decoy[0] += rv * predicted[uy * TILE + (ux + half) % TILE] as f64;
            s.decoy[1] += rv * predicted[((uy + half) % TILE) * TILE + ux] as f64;
            s.decoy[2] += rv * predicted[((uy + half) % TILE) * TILE + (ux + half) % TILE] as f64;
            s.pixels += 1;
            let l = y.data[py * w + px];
            if !(1.0..=254.0).contains(&l) {
                s.saturated += 1;
            }
        }
    }
    // Null spread of the normalised correlation, per pixel count: t ~ N(0, kappa / n).
    let kappa = {
        let (mut acc, mut n) = (0f64, 0usize);
        for s in &micro {
            if s.rr > 0.0 && s.pixels > MICRO * MICRO / 2 {
                for k in 0..3 {
                    acc += s.t(s.decoy[k]).powi(2) * s.pixels as f64;
                    n += 1;
                }
            }
        }
        if n > 0 {
            (acc / n as f64).max(1e-12)
        } else {
            1.0
        }
    };
    let mut total = Sums::default();
    micro.iter().for_each(|s| total.add(s));
    let z_total = total.t(total.rw) / (kappa / total.pixels as f64).sqrt();
    // Choose the number of regions so that an intact region scores about TARGET_Z
    // (z grows with the square root of the area).
    let n_regions = ((z_total / TARGET_Z).powi(2)).clamp(1.0, 400.0);
    let cols = ((n_regions * w as f64 / h as f64).sqrt().round() as usize).clamp(1, mw);
    let rows = ((n_regions / cols as f64).round() as usize).clamp(1, mh);
    let (cmw, cmh) = (mw.div_ceil(cols), mh.div_ceil(rows));
    let (cols, rows) = (mw.div_ceil(cmw), mh.div_ceil(cmh));
    let mut cells = vec![Sums::default(); cols * rows];
    for my in 0..mh {
        for mx in 0..mw {
            cells[(my / cmh) * cols + mx / cmw].add(&micro[my * mw + mx]);
        }
    }
    let z: Vec<Option<f64>> = cells
        .iter()
        .map(|c| {
            let assessable =
                c.pixels > 0 && c.saturated * 2 < c.pixels && c.rr > 1e-6 * c.pixels as f64;
            assessable.then(|| c.t(c.rw) / (kappa / c.pixels as f64).sqrt())
        })
        .collect();
    let mut known: Vec<f64> = z.iter().flatten().copied().collect();
    known.sort_by(|a, b| a.total_cmp(b));
    // The 75th percentile is a typical intact region as long as fewer than three quarters of
    // the regions were edited.
    let typical = if known.is_empty() {
        0.0
    } else {
        known[(known.len() * 3 / 4).min(known.len() - 1)]
    };
    let reliable = typical >= RELIABLE_Z && cells.len() > 1;
    // Strength varies with content (dark, flat or clipped areas hold less mark), so a region
    // is called missing only when it shows no evidence of the mark at all (z below
    // MISSING_Z, where an intact region would score about `typical` >= RELIABLE_Z), not merely
    // a weaker one.
    let missing: Vec<bool> = z
        .iter()
        .map(|v| reliable && v.is_some_and(|v| v < MISSING_Z))
        .collect();
    let area = |i: usize| cells[i].pixels as f64;
    let assess_area: f64 = (0..cells.len()).filter(|&i| z[i].is_some()).map(area).sum();
    let missing_area: f64 = (0..cells.len()).filter(|&i| missing[i]).map(area).sum();
    let n_missing = missing.iter().filter(|&&m| m).count();
    let missing_fraction = if assess_area > 0.0 {
        missing_area / assess_area
    } else {
        0.0
    };
    EditMap {
        columns: cols,
        rows,
        cell_width: cmw * MICRO,
        cell_height: cmh * MICRO,
        strength: z
            .iter()
            .map(|v| {
                v.map(|v| ((v / typical.max(1e-9)).clamp(-2.0, 3.0) * 100.0).round() as f32 / 100.0)
            })
            .collect(),
        missing,
        missing_fraction: (missing_fraction * 1000.0).round() / 1000.0,
        reliable,
        edited: reliable && n_missing >= MIN_MISSING_REGIONS,
    }
}
