//! Geometric synchronisation: finds the lattice of the repeated tile in an attacked image.
//!
//! The mark is a tile repeated over the image, so the autocorrelation of the image's noise
//! residual has peaks on the lattice spanned by the (rotated, scaled, sheared) tile vectors
//! (Kutter 1998; Deguillaume, Voloshynovskiy & Pun 2002). We whiten the spectrum so the host's
//! own correlations do not dominate, pick peaks, and fit 2-D lattices to them. Each lattice is a
//! candidate geometry; the detector tries all of them plus the identity and pays for every try
//! in its p-value.

use rustfft::num_complex::Complex32;

use crate::pattern::TILE;
use crate::plane::{Fft2, Plane, box_mean_wrapped, fft_friendly_at_least};

/// Largest side of the central crop whose autocorrelation is computed. 640 keeps a 2x-enlarged
/// tile's lattice (256 px) and its diagonals in view while bounding the FFT cost.
const ACF_MAX: usize = 640;
/// Lags shorter than this are dominated by the residual's own (chip-sized) correlation.
const MIN_LAG: f32 = 16.0;
/// How many candidate lattices (besides the identity) the detector may try. Fixed, so that the
/// Bonferroni factor does not depend on the image.
pub const MAX_LATTICES: usize = 8;
/// Highest spatial frequency (cycles per pixel) kept in the whitened spectrum.
const BAND_MAX: f32 = 0.71;
/// Whether to notch the JPEG block-grid frequencies.
const NOTCH_JPEG: bool = false;
/// Robust z-score above which an autocorrelation maximum is a candidate lattice vector.
const PEAK_SIGMA: f32 = 5.0;
/// Robust z-score above which a predicted lattice point counts as present.
const HIT_SIGMA: f32 = 3.5;

/// A 2-D vector in pixels.
pub type V2 = [f64; 2];

fn norm(v: V2) -> f64 {
    (v[0] * v[0] + v[1] * v[1]).sqrt()
}

fn dot(a: V2, b: V2) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

fn add(a: V2, b: V2, n: f64, m: f64) -> V2 {
    [n * a[0] + m * b[0], n * a[1] + m * b[1]]
}

/// The whitened, normalised circular autocorrelation of a central crop of the residual.
struct Acf {
    w: usize,
    h: usize,
    /// Size of the crop (the padded transform is `w x h`).
    cw: usize,
    ch: usize,
    data: Vec<f32>,
    median: f32,
    sigma: f32,
}

impl Acf {
    fn compute(r: &Plane) -> Self {
        // A central crop, zero-padded to twice its size so the autocorrelation is linear (no
        // wrap-around) and lags up to 3/4 of the crop can be searched.
        let (cw, ch) = (r.width.min(ACF_MAX), r.height.min(ACF_MAX));
        let w = fft_friendly_at_least(2 * cw);
        let h = fft_friendly_at_least(2 * ch);
        let (x0, y0) = ((r.width - cw) / 2, (r.height - ch) / 2);
        let mut buf = vec![Complex32::new(0.0, 0.0); w * h];
        let mut mean = 0f64;
        for y in 0..ch {
            for x in 0..cw {
                mean += r.at(x0 + x, y0 + y) as f64;
            }
        }
        let mean = (mean / (cw * ch) as f64) as f32;
        for y in 0..ch {
            for x in 0..cw {
                buf[y * w + x].re = r.at(x0 + x, y0 + y) - mean;
            }
        }
        let fft = Fft2::new(w, h);
        fft.process(&mut buf, false);
        let power: Vec<f32> = buf.iter().map(|c| c.norm_sqr()).collect();
        // Dividing the power spectrum by its local mean flattens the host's spectral envelope
        // while keeping the narrow lines that the periodic tile produces.
        let local = box_mean_wrapped(&power, w, h, 4);
        // Keep only mid frequencies: resampling (rotation, resizing) leaves periodic
        // interpolation artefacts near Nyquist whose autocorrelation peaks would crowd out the
        // tile's lattice; the 2-pixel chips keep most of their energy below 0.3 cycles/pixel.
        let band = |i: usize, n: usize| {
            let f = if i <= n / 2 {
                i as f32
            } else {
                i as f32 - n as f32
            };
            f / n as f32
        };
        for (i, ((c, p), l)) in buf.iter_mut().zip(&power).zip(&local).enumerate() {
            let (fx, fy) = (band(i % w, w), band(i / w, h));
            let f2 = fx * fx + fy * fy;
            // JPEG's 8x8 block grid puts lines at multiples of 1/8 cycle/pixel on either axis;
            // notch them or their lattice of peaks drowns the tile's after a rotation.
            let on_grid = |f: f32, n: usize| {
                let k = (f * 8.0).round();
                k != 0.0 && (f - k / 8.0).abs() * n as f32 <= 1.5
            };
            let keep = (0.01 * 0.01..=BAND_MAX * BAND_MAX).contains(&f2)
                && (!NOTCH_JPEG || (!on_grid(fx, w) && !on_grid(fy, h)));
            *c = Complex32::new(if keep { p / (l + 1e-12) } else { 0.0 }, 0.0);
        }
        fft.process(&mut buf, true);
        let zero = buf[0].re.max(1e-12);
        let data: Vec<f32> = buf.iter().map(|c| c.re / zero).collect();
        let mut acf = Acf {
            w,
            h,
            cw,
            ch,
            data,
            median: 0.0,
            sigma: 1.0,
        };
        // Robust noise level over the lag region we search.
        let mut sample = Vec::new();
        let (lx, ly) = acf.limits();
        let step = ((lx * ly * 2) / 200_000).max(1) as i32;
        let mut i = 0;
        for dy in 0..ly as i32 {
            for dx in -(lx as i32)..lx as i32 {
                i += 1;
                if i % step == 0 && ((dx * dx + dy * dy) as f32) > MIN_LAG * MIN_LAG {
                    sample.push(acf.get(dx, dy));
                }
            }
        }
        if !sample.is_empty() {
            let mid = sample.len() / 2;
            let med = *sample.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1;
            let mut dev: Vec<f32> = sample.iter().map(|v| (v - med).abs()).collect();
            let mad = *dev.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1;
            acf.median = med;
            acf.sigma = (1.4826 * mad).max(1e-9);
        }
        acf
    }

    /// Half-extents of the lag window: longer lags overlap too little of the crop.
    fn limits(&self) -> (usize, usize) {
        (
            (self.cw as f32 * 0.75) as usize,
            (self.ch as f32 * 0.75) as usize,
        )
    }

    fn get(&self, dx: i32, dy: i32) -> f32 {
        let x = dx.rem_euclid(self.w as i32) as usize;
        let y = dy.rem_euclid(self.h as i32) as usize;
        self.data[y * self.w + x]
    }

    fn in_range(&self, p: V2) -> bool {
        let (lx, ly) = self.limits();
        p[0].abs() + 3.0 < lx as f64 && p[1].abs() + 3.0 < ly as f64
    }

    /// Sub-pixel position of the peak at integer lag (dx, dy) by parabolic fits.
    fn refine(&self, dx: i32, dy: i32) -> V2 {
        let c = self.get(dx, dy) as f64;
        let fit = |a: f64, b: f64| {
            let den = a - 2.0 * c + b;
            if den < 0.0 {
                (0.5 * (a - b) / den).clamp(-0.5, 0.5)
            } else {
                0.0
            }
        };
        let ox = fit(self.get(dx - 1, dy) as f64, self.get(dx + 1, dy) as f64);
        let oy = fit(self.get(dx, dy - 1) as f64, self.get(dx, dy + 1) as f64);
        [dx as f64 + ox, dy as f64 + oy]
    }

    /// The measured peak near `p`, if there is a significant one within `tol` pixels.
    fn hit(&self, p: V2, tol: f64) -> Option<V2> {
        self.hit_z(p, tol).map(|(q, _)| q)
    }

    /// Like [`hit`](Self::hit), with the peak's robust z-score.
    fn hit_z(&self, p: V2, tol: f64) -> Option<(V2, f64)> {
        if !self.in_range(p) {
            return None;
        }
        let (cx, cy) = (p[0].round() as i32, p[1].round() as i32);
        let mut best = (f32::NEG_INFINITY, 0, 0);
        for dy in -2..=2 {
            for dx in -2..=2 {
                let v = self.get(cx + dx, cy + dy);
                if v > best.0 {
                    best = (v, cx + dx, cy + dy);
                }
            }
        }
        if best.0 < self.median + HIT_SIGMA * self.sigma {
            return None;
        }
        let q = self.refine(best.1, best.2);
        let z = ((best.0 - self.median) / self.sigma) as f64;
        (norm([q[0] - p[0], q[1] - p[1]]) <= tol).then_some((q, z))
    }

    /// Like [`hit`](Self::hit) but also at short lags (for harmonic checks).
    fn hit_any(&self, p: V2, tol: f64) -> Option<V2> {
        self.hit(p, tol)
    }

    /// Strongest local maxima in the half plane, strongest first.
    fn peaks(&self, max: usize) -> Vec<V2> {
        let (lx, ly) = self.limits();
        let thr = self.median + PEAK_SIGMA * self.sigma;
        let mut found = Vec::new();
        for dy in 0..ly as i32 {
            for dx in -(lx as i32)..lx as i32 {
                if dy == 0 && dx <= 0 {
                    continue;
                }
                if ((dx * dx + dy * dy) as f32) <= MIN_LAG * MIN_LAG {
                    continue;
                }
                let v = self.get(dx, dy);
                if v < thr {
                    continue;
                }
                let is_max = (-1..=1)
                    .all(|j| (-1..=1).all(|i| (i == 0 && j == 0) || self.get(dx + i, dy + j) <= v));
                if is_max {
                    found.push((v, dx, dy));
                }
            }
        }
        found.sort_by(|a, b| b.0.total_cmp(&a.0));
        found.truncate(max);
        found
            .into_iter()
            .map(|(_, dx, dy)| self.refine(dx, dy))
            .collect()
    }
}

/// Lagrange-Gauss reduction of a 2-D lattice basis.
fn reduce(mut a: V2, mut b: V2) -> (V2, V2) {
    for _ in 0..10 {
        if norm(b) < norm(a) {
            std::mem::swap(&mut a, &mut b);
        }
        let mu = (dot(a, b) / dot(a, a)).round();
        if mu == 0.0 {
            break;
        }
        b = add(b, a, 1.0, -mu);
    }
    if norm(b) < norm(a) {
        std::mem::swap(&mut a, &mut b);
    }
    (a, b)
}

/// Collects the lattice points that hit a peak and least-squares refits the basis to them.
/// The score is the summed z-score of the hits: strong, consistent peaks beat many weak ones.
fn fit(acf: &Acf, mut b1: V2, mut b2: V2) -> Option<(V2, V2, f64)> {
    let mut score = 0.0;
    for tol in [3.0, 1.5, 1.0] {
        // Normal equations for x = n*b1 + m*b2 per coordinate.
        let (mut snn, mut snm, mut smm) = (0f64, 0f64, 0f64);
        let (mut snx, mut smx) = ([0f64; 2], [0f64; 2]);
        let mut hits = 0;
        score = 0.0;
        for n in -4i32..=4 {
            for m in -4i32..=4 {
                if n == 0 && m == 0 {
                    continue;
                }
                let p = add(b1, b2, n as f64, m as f64);
                if let Some((q, z)) = acf.hit_z(p, tol) {
                    hits += 1;
                    score += z;
                    let (nf, mf) = (n as f64, m as f64);
                    snn += nf * nf;
                    snm += nf * mf;
                    smm += mf * mf;
                    for k in 0..2 {
                        snx[k] += nf * q[k];
                        smx[k] += mf * q[k];
                    }
                }
            }
        }
        let det = snn * smm - snm * snm;
        if hits < 4 || det.abs() < 1e-9 {
            return None;
        }
        for k in 0..2 {
            b1[k] = (smm * snx[k] - snm * smx[k]) / det;
            b2[k] = (snn * smx[k] - snm * snx[k]) / det;
        }
    }
    Some((b1, b2, score))
}

fn acceptable(b1: V2, b2: V2) -> bool {
    let (n1, n2) = (norm(b1), norm(b2));
    let det = (b1[0] * b2[1] - b1[1] * b2[0]).abs();
    let rel = det.sqrt() / TILE as f64;
    n1 >= MIN_LAG as f64
        && n2 >= MIN_LAG as f64
        && n2 / n1 < 1.6
        && (dot(b1, b2) / (n1 * n2)).abs() < 0.5
        && rel > 0.2
        && rel < 5.0
}

/// Whether two bases span the same lattice (within `tol` pixels).
fn same_lattice(a: (V2, V2), b: (V2, V2), tol: f64) -> bool {
    let det = a.0[0] * a.1[1] - a.0[1] * a.1[0];
    if det.abs() < 1e-9 {
        return false;
    }
    let in_a = |v: V2| {
        let n = (v[0] * a.1[1] - v[1] * a.1[0]) / det;
        let m = (a.0[0] * v[1] - a.0[1] * v[0]) / det;
        let r = add(a.0, a.1, n.round(), m.round());
        norm([r[0] - v[0], r[1] - v[1]]) <= tol
    };
    let det_b = (b.0[0] * b.1[1] - b.0[1] * b.1[0]).abs();
    in_a(b.0) && in_a(b.1) && (det_b / det.abs() - 1.0).abs() < 0.1
}

/// Candidate tile lattices `(b1, b2)` found in the residual, best supported first, at most
/// [`MAX_LATTICES`]. The vectors are the observed images of the tile's sides, in pixels.
pub fn lattices(residual: &Plane) -> Vec<(V2, V2)> {
    let acf = Acf::compute(residual);
    // A tile side is a primitive lattice vector: no fraction of it is a peak. Harmonics of a
    // short period (resampling moire, JPEG's 8-pixel grid, textures) are not, so drop them.
    let peaks: Vec<V2> = acf
        .peaks(usize::MAX)
        .into_iter()
        .filter(|&v| {
            (2..=8).all(|k| {
                let f = [v[0] / k as f64, v[1] / k as f64];
                norm(f) < 6.0 || acf.hit_any(f, 1.0).is_none()
            })
        })
        .take(40)
        .collect();
    // Rank peaks by their own strength plus that of their multiples 2v..4v.
    let support = |v: V2| {
        (1..=4)
            .filter_map(|k| acf.hit_z([v[0] * k as f64, v[1] * k as f64], 2.0))
            .map(|(_, z)| z)
            .sum::<f64>()
    };
    // Resampling a rotated image leaves moire peaks where the rotated pixel grid realigns with
    // the original one: at integer lags off the axes. A rotated tile lattice almost never falls
    // on integers, so such peaks go to the back of the queue.
    let moire = |v: V2| {
        let near_int = |x: f64| (x - x.round()).abs() < 0.1;
        v[0].abs() > 2.0 && v[1].abs() > 2.0 && near_int(v[0]) && near_int(v[1])
    };
    let mut ranked: Vec<(f64, V2)> = peaks.iter().map(|&v| (support(v), v)).collect();
    ranked.sort_by(|a, b| moire(a.1).cmp(&moire(b.1)).then(b.0.total_cmp(&a.0)));
    ranked.truncate(12);
    let mut found: Vec<(f64, V2, V2)> = Vec::new();
    for i in 0..ranked.len() {
        for j in i + 1..ranked.len() {
            let (a, b) = (ranked[i].1, ranked[j].1);
            if (dot(a, b) / (norm(a) * norm(b))).abs() > 0.8 {
                continue;
            }
            let (r1, r2) = reduce(a, b);
            if norm(r1) < MIN_LAG as f64 {
                continue;
            }
            let Some((b1, b2, hits)) = fit(&acf, r1, r2) else {
                continue;
            };
            let (b1, b2) = reduce(b1, b2);
            if !acceptable(b1, b2) {
                continue;
            }
            let mut offer = vec![(b1, b2, hits)];
            // Index-2 super-lattices: a lattice fitted on every other peak (e.g. the diagonals
            // only) looks self-consistent but folds the tile wrongly.
            for (c1, c2) in [
                (add(b1, b2, 0.5, 0.5), add(b1, b2, 0.5, -0.5)),
                (add(b1, b2, 0.5, 0.0), b2),
                (b1, add(b1, b2, 0.0, 0.5)),
            ] {
                let (c1, c2) = reduce(c1, c2);
                if norm(c1) >= MIN_LAG as f64
                    && acf.hit(c1, 2.0).is_some()
                    && acf.hit(c2, 2.0).is_some()
                    && let Some((d1, d2, h)) = fit(&acf, c1, c2)
                {
                    let (d1, d2) = reduce(d1, d2);
                    if acceptable(d1, d2) {
                        offer.push((d1, d2, h));
                    }
                }
            }
            for (b1, b2, h) in offer {
                if let Some(existing) = found
                    .iter_mut()
                    .find(|f| same_lattice((f.1, f.2), (b1, b2), 2.0))
                {
                    if h > existing.0 {
                        *existing = (h, b1, b2);
                    }
                } else {
                    found.push((h, b1, b2));
                }
            }
        }
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    found.truncate(MAX_LATTICES);
    found.into_iter().map(|(_, a, b)| (a, b)).collect()
}
