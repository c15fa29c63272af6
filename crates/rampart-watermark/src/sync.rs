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
use rayon::prelude::*;

use crate::plane::{Plane, fft_friendly_at_least, plan, transpose_map};

/// Largest side of the central crop whose autocorrelation is computed. 576 keeps a 2x-enlarged
/// tile's lattice (256 px) and its diagonals (362 px) well inside the searched lags (3/4 of
/// the crop) while bounding the FFT cost, which is most of the detector's time on a resized
/// or rotated image; at 512 a 2x-enlarged 1024-pixel photo lost its lattice.
const ACF_MAX: usize = 576;
/// Lags shorter than this are dominated by the residual's own (chip-sized) correlation.
const MIN_LAG: f32 = 16.0;
/// How many candidate lattices (besides the identity) the detector may try. Fixed, so that the
/// Bonferroni factor does not depend on the image.
pub const MAX_LATTICES: usize = 13;
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

/// Buffers of [`Acf::compute`], kept per thread between calls: a batch detects many images,
/// and faulting in ~18 MB of fresh pages on every call cost about as much as the transforms.
/// Bounded by [`ACF_MAX`] (a padded transform of at most 1024x1024).
#[derive(Default)]
struct Scratch {
    a: Vec<Complex32>,
    b: Vec<Complex32>,
    power: Vec<f32>,
    local: Vec<f32>,
    data: Vec<f32>,
    sample: Vec<f32>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

impl Scratch {
    /// This thread's buffers, or fresh ones when they are in use (a rayon worker can start
    /// another image's detection while it waits inside this one).
    fn take() -> Self {
        SCRATCH.with(|s| s.take())
    }

    fn give_back(self) {
        SCRATCH.with(|s| s.set(self));
    }
}

/// `v` resized to `n` elements without clearing: callers overwrite what they read.
fn sized<T: Copy>(v: &mut Vec<T>, n: usize, fill: T) -> &mut [T] {
    v.resize(n, fill);
    &mut v[..n]
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
    /// The buffers used, returned to the thread on drop.
    scratch: Scratch,
}

impl Drop for Acf {
    fn drop(&mut self) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.data = std::mem::take(&mut self.data);
        scratch.give_back();
    }
}

impl Acf {
    fn compute(r: &Plane) -> Self {
        let mut scratch = Scratch::take();
        // A central crop, zero-padded so that the lags searched (up to 3/4 of the crop, plus
        // the few pixels a peak window reaches beyond) do not wrap around onto lags that
        // overlap the crop: 7/4 of its size suffices, against 2x for a fully linear one.
        let (cw, ch) = (r.width.min(ACF_MAX), r.height.min(ACF_MAX));
        // Even sizes: the real-input transforms pair up rows.
        let even = |n: usize| {
            let mut m = fft_friendly_at_least(n);
            while m % 2 == 1 {
                m = fft_friendly_at_least(m + 1);
            }
            m
        };
        let pad = |n: usize| even(n + (n * 3).div_ceil(4) + 4);
        let (w, h) = (pad(cw), pad(ch));
        let (x0, y0) = ((r.width - cw) / 2, (r.height - ch) / 2);
        let mut mean = 0f64;
        for y in 0..ch {
            mean += r.data[(y0 + y) * r.width + x0..][..cw]
                .iter()
                .map(|&v| v as f64)
                .sum::<f64>();
        }
        let mean = (mean / (cw * ch) as f64) as f32;
        let (hh, wh) = (h / 2, w / 2 + 1);
        // The spectrum of a real array is Hermitian, so only the non-negative horizontal
        // frequencies (wh columns) are computed, whitened and transformed back. Two buffers of
        // wh x h complex values serve every pass.
        let zero = Complex32::new(0.0, 0.0);
        let a = sized(&mut scratch.a, wh * h, zero);
        let b = sized(&mut scratch.b, wh * h, zero);
        // Pairs of rows as one complex row (row 2j real, 2j+1 imaginary); rows past the crop
        // are zero and stay so through the row transforms.
        let used = ch.div_ceil(2);
        a[w * used..w * hh].fill(zero);
        a[..w * used]
            .par_chunks_mut(w)
            .enumerate()
            .for_each(|(j, row)| {
                let line = |y: usize| (y < ch).then(|| &r.data[(y0 + y) * r.width + x0..][..cw]);
                let (re, im) = (line(2 * j), line(2 * j + 1));
                for (x, o) in row[..cw].iter_mut().enumerate() {
                    *o = Complex32::new(
                        re.map_or(0.0, |l| l[x] - mean),
                        im.map_or(0.0, |l| l[x] - mean),
                    );
                }
                row[cw..].fill(zero);
            });
        rows_fft(&mut a[..w * used], w, false);
        transpose_map(&a[..w * hh], w, w, hh, b, hh, |v| v);
        // Unpack the two real rows' spectra into one column per frequency: a[kx * h + ky].
        a.par_chunks_mut(h).enumerate().for_each(|(k, col)| {
            let (za, zb) = (&b[k * hh..][..hh], &b[(w - k) % w * hh..][..hh]);
            for ((o, &p), &q) in col.chunks_exact_mut(2).zip(za).zip(zb) {
                let q = q.conj();
                o[0] = (p + q) * 0.5;
                let d = p - q;
                o[1] = Complex32::new(d.im * 0.5, -d.re * 0.5);
            }
        });
        rows_fft(a, h, false);
        // power[ky * wh + kx], kx < wh; the rest of the (even) spectrum mirrors it.
        let power = sized(&mut scratch.power, h * wh, 0.0);
        transpose_map(a, h, h, wh, power, wh, |c| c.norm_sqr());
        // Dividing the power spectrum by its local mean flattens the host's spectral envelope
        // while keeping the narrow lines that the periodic tile produces.
        let local = sized(&mut scratch.local, h * wh, 0.0);
        box_sum_rows_wrapped(power, w, h, BOX_RADIUS, local);
        let local = &*local;
        // Keep only mid frequencies: resampling (rotation, resizing) leaves periodic
        // interpolation artefacts near Nyquist whose autocorrelation peaks would crowd out the
        // tile's lattice; the 2-pixel chips keep most of their energy below 0.3 cycles/pixel.
        let fx2: Vec<f32> = (0..wh).map(|i| frequency(i, w).powi(2)).collect();
        // JPEG's 8x8 block grid puts lines at multiples of 1/8 cycle/pixel on either axis;
        // notch them or their lattice of peaks drowns the tile's after a rotation.
        let on_grid = |i: usize, n: usize| {
            let f = frequency(i, n);
            let k = (f * 8.0).round();
            NOTCH_JPEG && k != 0.0 && (f - k / 8.0).abs() * n as f32 <= 1.5
        };
        let grid_x: Vec<bool> = (0..wh).map(|i| on_grid(i, w)).collect();
        let n = (2 * BOX_RADIUS + 1) as f32;
        power
            .par_chunks_mut(wh)
            .enumerate()
            .for_each_init(Vec::new, |l, (ky, row)| {
                let fy2 = frequency(ky, h).powi(2);
                let grid_y = on_grid(ky, h);
                // The vertical half of the box mean, summed in the same order as
                // `box_mean_wrapped`.
                l.clear();
                l.resize(wh, 0f32);
                for k in 0..=2 * BOX_RADIUS {
                    let src = &local[(ky + h + k - BOX_RADIUS) % h * wh..][..wh];
                    l.iter_mut().zip(src).for_each(|(a, &b)| *a += b);
                }
                for (kx, (p, &l)) in row.iter_mut().zip(l.iter()).enumerate() {
                    let l = l / n;
                    let f2 = fx2[kx] + fy2;
                    let keep =
                        (0.01 * 0.01..=BAND_MAX * BAND_MAX).contains(&f2) && !grid_y && !grid_x[kx];
                    *p = if keep { *p / (l + 1e-12) } else { 0.0 };
                }
            });
        // Back: columns, then pairs of rows (each output row is Hermitian in kx).
        transpose_map(power, wh, wh, h, a, h, |v| Complex32::new(v, 0.0));
        rows_fft(a, h, true);
        transpose_map(a, h, h, wh, b, wh, |v| v);
        a[..w * hh]
            .par_chunks_mut(w)
            .enumerate()
            .for_each(|(j, row)| {
                let (ra, rb) = (&b[2 * j * wh..][..wh], &b[(2 * j + 1) * wh..][..wh]);
                for (k, o) in row.iter_mut().enumerate() {
                    let (p, q) = if k < wh {
                        (ra[k], rb[k])
                    } else {
                        (ra[w - k].conj(), rb[w - k].conj())
                    };
                    // p + i q
                    *o = Complex32::new(p.re - q.im, p.im + q.re);
                }
            });
        rows_fft(&mut a[..w * hh], w, true);
        let zero = a[0].re.max(1e-12);
        let mut data = std::mem::take(&mut scratch.data);
        sized(&mut data, w * h, 0.0)
            .par_chunks_mut(2 * w)
            .zip(a.par_chunks(w))
            .for_each(|(o, zr)| {
                let (p, q) = o.split_at_mut(w);
                for ((x, y), c) in p.iter_mut().zip(q.iter_mut()).zip(zr) {
                    *x = c.re / zero;
                    *y = c.im / zero;
                }
            });
        let mut sample = std::mem::take(&mut scratch.sample);
        sample.clear();
        let mut acf = Acf {
            w,
            h,
            cw,
            ch,
            data,
            median: 0.0,
            sigma: 1.0,
            scratch,
        };
        // Robust noise level over the lag region we search.
        let (lx, ly) = acf.limits();
        let step = ((lx * ly * 2) / 200_000).max(1) as i32;
        // Every `step`-th lag of the window, row by row (dx from -lx up).
        let mut countdown = step;
        for dy in 0..ly as i32 {
            let row = &acf.data[dy as usize * acf.w..][..acf.w];
            let (neg, pos) = (&row[acf.w - lx..], &row[..lx]);
            if step == 1 && dy as f32 > MIN_LAG {
                // Every lag of the row is taken (the usual case): whole slices.
                sample.extend_from_slice(neg);
                sample.extend_from_slice(pos);
                continue;
            }
            for (dx, &v) in (-(lx as i32)..).zip(neg.iter().chain(pos)) {
                countdown -= 1;
                if countdown == 0 {
                    countdown = step;
                    if ((dx * dx + dy * dy) as f32) > MIN_LAG * MIN_LAG {
                        sample.push(v);
                    }
                }
            }
        }
        if !sample.is_empty() {
            let mid = sample.len() / 2;
            let med = select(&sample, mid);
            sample.iter_mut().for_each(|v| *v = (*v - med).abs());
            let mad = select(&sample, mid);
            acf.median = med;
            acf.sigma = (1.4826 * mad).max(1e-9);
        }
        acf.scratch.sample = sample;
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
        // The searches read millions of lags, all within one period of the origin: a
        // compare instead of a division in the common case.
        let wrap = |v: i32, n: usize| {
            let n = n as i32;
            (if (0..n).contains(&v) {
                v
            } else if (-n..0).contains(&v) {
                v + n
            } else {
                v.rem_euclid(n)
            }) as usize
        };
        self.data[wrap(dy, self.h) * self.w + wrap(dx, self.w)]
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
        let (cx, cy) = (round_i32(p[0]), round_i32(p[1]));
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

/// `x.round() as i32` (half away from zero, saturating) without a call to libm's `round`,
/// which the baseline x86-64 target cannot inline: the lattice searches round millions of
/// lags. Without branches, too: whether a lag's fraction is past one half is a coin toss,
/// and mispredicting it cost more than the rest of a lookup.
#[inline]
fn round_i32(x: f64) -> i32 {
    let t = x as i32;
    // Exact: `x` and its truncation share sign and binade.
    let frac = x - t as f64;
    t.saturating_add((frac >= 0.5) as i32)
        .saturating_sub((frac <= -0.5) as i32)
}

/// `f32::total_cmp`'s order as a signed integer key.
#[inline]
fn order_key(v: f32) -> i32 {
    let b = v.to_bits() as i32;
    b ^ (((b >> 31) as u32) >> 1) as i32
}

/// The value of rank `k` (from 0) of `v` in `f32::total_cmp` order: what
/// `select_nth_unstable_by(k, f32::total_cmp)` returns, without reordering a copy of `v`.
/// The robust noise level takes two medians over ~350,000 lags; a full selection walks and
/// swaps all of them several times. Here a sorted sample of every 64th value brackets the rank
/// (with margin for the sample's own spread), one pass counts the values below the bracket and
/// gathers the few inside, and only those are selected. If the bracket misses (it should not,
/// but the values are arbitrary), the full selection runs: the result is exact either way.
fn select(v: &[f32], k: usize) -> f32 {
    assert!(k < v.len(), "rank {k} of {} values", v.len());
    let full = |v: &[f32]| {
        let mut c = v.to_vec();
        *c.select_nth_unstable_by(k, f32::total_cmp).1
    };
    if v.len() < 8192 {
        return full(v);
    }
    let step = 64;
    let mut probe: Vec<i32> = v.iter().step_by(step).map(|&x| order_key(x)).collect();
    probe.sort_unstable();
    let n = probe.len();
    // The sample's rank of the target, give or take 6 standard deviations of a sample quantile.
    let at = k * n / v.len();
    let margin = 3 * (n as f64).sqrt() as usize + 4;
    let (lo, hi) = (
        probe[at.saturating_sub(margin)],
        probe[(at + margin).min(n - 1)],
    );
    // Counting first, then gathering without branches: both loops vectorise or pipeline,
    // where one loop with a data-dependent push did neither.
    let (mut below, mut count) = (0u32, 0u32);
    for &x in v {
        let key = order_key(x);
        below += (key < lo) as u32;
        count += (key >= lo && key <= hi) as u32;
    }
    let (below, count) = (below as usize, count as usize);
    let mut inside = vec![0f32; count + 1];
    let mut j = 0;
    for &x in v {
        let key = order_key(x);
        inside[j.min(count)] = x;
        j += (key >= lo && key <= hi) as usize;
    }
    inside.truncate(count);
    if (below..below + count).contains(&k) {
        *inside.select_nth_unstable_by(k - below, f32::total_cmp).1
    } else {
        full(v)
    }
}

/// Radius of the box whose mean whitens the power spectrum.
const BOX_RADIUS: usize = 4;

/// Signed frequency, in cycles per pixel, of bin `i` of an `n`-point transform.
fn frequency(i: usize, n: usize) -> f32 {
    let f = if i <= n / 2 {
        i as f32
    } else {
        i as f32 - n as f32
    };
    f / n as f32
}

/// Transforms every row (`len` values) of `data` in place.
fn rows_fft(data: &mut [Complex32], len: usize, inverse: bool) {
    let fft = plan(len, inverse);
    let rows = data.len() / len;
    let per_task = rows.div_ceil(4 * rayon::current_num_threads()).max(1);
    data.par_chunks_mut(len * per_task)
        .for_each(|c| fft.process(c));
}

/// Horizontal half of [`box_mean_wrapped`](crate::plane::box_mean_wrapped) for the non-negative-frequency half (`h` rows of
/// `w / 2 + 1`) of an even `w x h` spectrum: the window wraps round through the mirrored
/// half, `f[ky][kx] = f[-ky][-kx]`. Same values, in the same order, as the full-width pass.
fn box_sum_rows_wrapped(half: &[f32], w: usize, h: usize, r: usize, out: &mut [f32]) {
    let wh = w / 2 + 1;
    let n = (2 * r + 1) as f32;
    out.par_chunks_mut(wh)
        .enumerate()
        .for_each_init(Vec::new, |pad, (ky, o)| {
            let (row, mirror) = (&half[ky * wh..][..wh], &half[(h - ky) % h * wh..][..wh]);
            // pad[i] = f[(i + w - r) % w] for i < wh + 2r + 1, where f[kx] for kx >= wh
            // is mirror[w - kx].
            pad.clear();
            pad.extend((w - r..w).map(|kx| mirror[w - kx]));
            pad.extend_from_slice(row);
            pad.extend((wh..wh + r + 1).map(|kx| mirror[w - kx]));
            let mut acc: f32 = pad[..=2 * r].iter().sum();
            for (x, v) in o.iter_mut().enumerate() {
                *v = acc / n;
                acc += pad[x + 2 * r + 1] - pad[x];
            }
        });
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
    // Square lattices (rotation and uniform scale, possibly mirrored) searched directly: the
    // evidence of all their points is summed, so a lattice too weak for any single peak to
    // stand out (rotation + downscale + JPEG on a small image) is still found. They take
    // SIMILARITY_SLOTS of the MAX_LATTICES slots and alternate with the peak-based ones.
    let mut similar: Vec<(V2, V2)> = Vec::new();
    // Sides of the peak-based lattices seed the square search too: one side is often found
    // when its partner is not.
    let seeds: Vec<V2> = found.iter().take(6).flat_map(|f| [f.1, f.2]).collect();
    for group in similarity_lattices(&acf, &seeds) {
        let dup = |l: &(V2, V2)| same_lattice(*l, group[0], 2.0);
        if similar.iter().any(dup) {
            continue;
        }
        // A group that does not fit whole still gets its first basis in.
        let room = SIMILARITY_SLOTS - similar.len();
        similar.extend(group.into_iter().take(room));
        if similar.len() == SIMILARITY_SLOTS {
            break;
        }
    }
    // When the best-supported peak lattice is also a square one (the usual case after a
    // rotation or a uniform resize: both searches found the tile), that square lattice goes
    // first, rather than after the second-best peak lattice, which then usually fails: one
    // fold fewer on most geometric attacks. The candidates are the same.
    let lead = found
        .first()
        .and_then(|f| {
            similar
                .iter()
                .position(|s| same_lattice(*s, (f.1, f.2), 2.0))
        })
        .map(|k| similar.remove(k));
    let mut peaks: Vec<(V2, V2)> = found
        .into_iter()
        .map(|(_, a, b)| (a, b))
        .filter(|l| {
            !lead
                .iter()
                .chain(&similar)
                .any(|s| same_lattice(*s, *l, 2.0))
        })
        .collect();
    peaks.truncate(MAX_LATTICES - similar.len() - lead.iter().len());
    let mut out = Vec::with_capacity(MAX_LATTICES);
    out.extend(lead);
    let (mut p, mut q) = (peaks.into_iter(), similar.into_iter());
    loop {
        match (p.next(), q.next()) {
            (None, None) => break,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
    out
}

/// Score of the square lattice with sides `(c, s)` and `(-s, c)` (pixels) on the lag values
/// `f` gives: points with a + b odd and even are scored apart, and the weaker class counts,
/// because a lattice of half the true one (its diagonals, or one side halved) holds every
/// true point in one class but none in the other.
fn square_score(c: f64, s: f64, f: &(impl Fn(V2) -> Option<f32> + ?Sized)) -> f64 {
    let (mut sum, mut n) = ([0f64; 2], [0usize; 2]);
    for (a, b) in SQUARE_POINTS {
        let p = [a * c - b * s, a * s + b * c];
        if let Some(z) = f(p) {
            let k = (a + b) as usize % 2;
            sum[k] += z as f64;
            n[k] += 1;
        }
    }
    square_combine(sum, n)
}

/// [`square_score`] from the sums and counts of the two classes of points.
#[inline]
fn square_combine(sum: [f64; 2], n: [usize; 2]) -> f64 {
    if n[0] >= 2 && n[1] >= 2 {
        (sum[0] / n[0] as f64).min(sum[1] / n[1] as f64) * ((n[0] + n[1]) as f64).sqrt()
    } else {
        f64::NEG_INFINITY
    }
}

/// Slots of [`MAX_LATTICES`] reserved for the square-lattice search.
const SIMILARITY_SLOTS: usize = 8;
/// A refit that moves a square lattice's side by more than this (pixels) is offered beside
/// the square lattice instead of replacing it.
const REFIT_KEEP_SQUARE: f64 = 0.3;

/// Lattice points (in tile units) scored by the square-lattice search, one per +/- pair.
const SQUARE_POINTS: [(f64, f64); 10] = [
    (1.0, 0.0),
    (0.0, 1.0),
    (1.0, 1.0),
    (1.0, -1.0),
    (2.0, 0.0),
    (0.0, 2.0),
    (2.0, 1.0),
    (1.0, 2.0),
    (2.0, -1.0),
    (1.0, -2.0),
];

/// The dilated z-scores of the lags `dx = -lx..=lx`, `dy = 0..=ly`, row-major (`zw` wide).
struct DilatedLags<'a> {
    dil: &'a [f32],
    zw: i32,
    lx: i32,
    ly: i32,
}

impl DilatedLags<'_> {
    /// The value at lag `p` (or its mirror image `-p`), if the lag is searched.
    fn lookup(&self, p: V2) -> Option<f32> {
        let (mut x, mut y) = (round_i32(p[0]), round_i32(p[1]));
        if y < 0 {
            (x, y) = (-x, -y);
        }
        (x.abs() + 2 < self.lx && y + 2 < self.ly)
            .then(|| self.dil[(y * self.zw + x + self.lx) as usize])
    }
}

/// Work buffers for [`square_score`] over one row (one scale, every angle) of the coarse
/// grid.
struct SquareRow {
    /// Per angle: sums and counts of the two classes of points.
    acc: Vec<[f64; 4]>,
    /// Per angle: the lattice side `(c, s)`.
    sides: Vec<[f64; 2]>,
    /// Per angle: index of the current point's lag in the map, or -1.
    index: Vec<i32>,
}

impl SquareRow {
    fn new(n_angle: usize) -> Self {
        Self {
            acc: vec![[0.0; 4]; n_angle],
            sides: vec![[0.0; 2]; n_angle],
            index: vec![0; n_angle],
        }
    }

    /// `row[i] = square_score(cos_i * scale * TILE, sin_i * scale * TILE, lags)` for the
    /// angles' `(cos_i, sin_i)` in `trig`: the same sums in the same order, point by point
    /// over all angles, in loops without calls or unpredictable branches (the lag indices
    /// first, arithmetic only, then the reads). About twice as fast as a call per cell.
    fn score(&mut self, scale: f64, trig: &[(f64, f64)], lags: &DilatedLags, row: &mut [f64]) {
        for (s, &(cos, sin)) in self.sides.iter_mut().zip(trig) {
            *s = [cos * scale * TILE as f64, sin * scale * TILE as f64];
        }
        self.acc.fill([0.0; 4]);
        let (zw, lx, ly) = (lags.zw, lags.lx, lags.ly);
        for (a, b) in SQUARE_POINTS {
            let k = (a + b) as usize % 2;
            for (i, &[c, sn]) in self.index.iter_mut().zip(&self.sides) {
                let (x, y) = (round_i32(a * c - b * sn), round_i32(a * sn + b * c));
                // The mirror image of a lag below the axis.
                let (x, y) = if y < 0 { (-x, -y) } else { (x, y) };
                let inside = x.abs() + 2 < lx && y + 2 < ly;
                *i = if inside { y * zw + x + lx } else { -1 };
            }
            for (s, &i) in self.acc.iter_mut().zip(&self.index) {
                let inside = i >= 0;
                s[2 * k] += if inside {
                    lags.dil[i as usize] as f64
                } else {
                    0.0
                };
                s[2 * k + 1] += inside as u8 as f64;
            }
        }
        for (g, s) in row.iter_mut().zip(&self.acc) {
            *g = square_combine([s[0], s[2]], [s[1] as usize, s[3] as usize]);
        }
    }

    /// [`score`](Self::score), with AVX2 when the CPU has it.
    fn score_fast(&mut self, scale: f64, trig: &[(f64, f64)], lags: &DilatedLags, row: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        // Lags within +-2^30 (any scale the grid searches): the vector rounding below does
        // not saturate the way `round_i32` does beyond that.
        if std::arch::is_x86_feature_detected!("avx2") && scale.abs() * TILE as f64 * 3.0 < 1e9 {
            // SAFETY: AVX2 was detected at run time.
            unsafe { self.score_avx2(scale, trig, lags, row) };
            return;
        }
        self.score(scale, trig, lags, row);
    }

    /// [`score`](Self::score), four angles at a time with their sums in registers: the
    /// scalar lag indices (two roundings, a mirror and a bounds test per point) were most of
    /// the coarse grid's time. The same operations on each angle in the same order, so the
    /// row is identical to the bit. Only for CPUs with AVX2, and lags within +-2^30.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn score_avx2(&mut self, scale: f64, trig: &[(f64, f64)], lags: &DilatedLags, row: &mut [f64]) {
        use std::arch::x86_64::*;
        for (s, &(cos, sin)) in self.sides.iter_mut().zip(trig) {
            *s = [cos * scale * TILE as f64, sin * scale * TILE as f64];
        }
        let (zw, lx, ly) = (lags.zw, lags.lx, lags.ly);
        let (zwv, lxv, lyv) = (_mm_set1_epi32(zw), _mm_set1_epi32(lx), _mm_set1_epi32(ly));
        let two = _mm_set1_epi32(2);
        let (half, mhalf) = (_mm256_set1_pd(0.5), _mm256_set1_pd(-0.5));
        let one = _mm256_set1_pd(1.0);
        let low32 = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
        let to32 = |m: __m256d| {
            _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(_mm256_castpd_si256(m), low32))
        };
        // `round_i32` on four lags: truncate, then step by the fraction's side of one half.
        let round = |v: __m256d| {
            let t = _mm256_cvttpd_epi32(v);
            let frac = _mm256_sub_pd(v, _mm256_cvtepi32_pd(t));
            let up = to32(_mm256_cmp_pd::<_CMP_GE_OQ>(frac, half));
            let down = to32(_mm256_cmp_pd::<_CMP_LE_OQ>(frac, mhalf));
            // A true mask is -1.
            _mm_add_epi32(_mm_sub_epi32(t, up), down)
        };
        let groups = self.sides.len() / 4;
        for (g, out) in row[..4 * groups].chunks_exact_mut(4).enumerate() {
            let sd = &self.sides[4 * g..4 * g + 4];
            let c = _mm256_setr_pd(sd[0][0], sd[1][0], sd[2][0], sd[3][0]);
            let sn = _mm256_setr_pd(sd[0][1], sd[1][1], sd[2][1], sd[3][1]);
            let mut acc = [_mm256_setzero_pd(); 4];
            for (a, b) in SQUARE_POINTS {
                let k = (a + b) as usize % 2;
                let (av, bv) = (_mm256_set1_pd(a), _mm256_set1_pd(b));
                let x = round(_mm256_sub_pd(_mm256_mul_pd(av, c), _mm256_mul_pd(bv, sn)));
                let y = round(_mm256_add_pd(_mm256_mul_pd(av, sn), _mm256_mul_pd(bv, c)));
                // The mirror image of a lag below the axis: negate both where y < 0.
                let neg = _mm_cmpgt_epi32(_mm_setzero_si128(), y);
                let x = _mm_sub_epi32(_mm_xor_si128(x, neg), neg);
                let y = _mm_sub_epi32(_mm_xor_si128(y, neg), neg);
                let inside = _mm_and_si128(
                    _mm_cmpgt_epi32(lxv, _mm_add_epi32(_mm_abs_epi32(x), two)),
                    _mm_cmpgt_epi32(lyv, _mm_add_epi32(y, two)),
                );
                // Lags outside read index 0 and are then zeroed, as `score` adds 0.0.
                let i = _mm_and_si128(
                    _mm_add_epi32(_mm_add_epi32(_mm_mullo_epi32(y, zwv), x), lxv),
                    inside,
                );
                let mut at = [0i32; 4];
                // SAFETY: `at` holds four i32.
                unsafe { _mm_storeu_si128(at.as_mut_ptr() as *mut __m128i, i) };
                let v = _mm_setr_ps(
                    lags.dil[at[0] as usize],
                    lags.dil[at[1] as usize],
                    lags.dil[at[2] as usize],
                    lags.dil[at[3] as usize],
                );
                let v = _mm_and_ps(v, _mm_castsi128_ps(inside));
                let inside = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(inside));
                acc[2 * k] = _mm256_add_pd(acc[2 * k], _mm256_cvtps_pd(v));
                acc[2 * k + 1] = _mm256_add_pd(acc[2 * k + 1], _mm256_and_pd(inside, one));
            }
            let mut sums = [[0f64; 4]; 4];
            for (o, v) in sums.iter_mut().zip(acc) {
                // SAFETY: `o` holds four f64.
                unsafe { _mm256_storeu_pd(o.as_mut_ptr(), v) };
            }
            for (j, o) in out.iter_mut().enumerate() {
                *o = square_combine(
                    [sums[0][j], sums[2][j]],
                    [sums[1][j] as usize, sums[3][j] as usize],
                );
            }
        }
        for (o, &[c, sn]) in row.iter_mut().zip(&self.sides).skip(4 * groups) {
            *o = square_score(c, sn, &|p| lags.lookup(p));
        }
    }
}

/// The square-lattice search's lag maps (about 1.5 MB each), kept per thread between calls
/// like [`Scratch`], returned on drop.
struct SquareBuffers([Vec<f32>; 3]);

thread_local! {
    static SQUARE_BUFFERS: std::cell::Cell<[Vec<f32>; 3]> = std::cell::Cell::default();
}

impl SquareBuffers {
    fn take() -> Self {
        Self(SQUARE_BUFFERS.with(|s| s.take()))
    }
}

impl Drop for SquareBuffers {
    fn drop(&mut self) {
        SQUARE_BUFFERS.with(|s| s.set(std::mem::take(&mut self.0)));
    }
}

/// The best square lattices `scale * R(theta) * TILE`: a coarse grid over angle (0-90 degrees;
/// the square's symmetry covers the rest, and mirroring does not change a square lattice)
/// and scale, scored on the 3x3-dilated, robustly normalised autocorrelation, then refined on
/// a fine grid with interpolated values. Each is a group of one or two bases for the same
/// lattice (see the refit below), best first.
fn similarity_lattices(acf: &Acf, seeds: &[V2]) -> Vec<Vec<(V2, V2)>> {
    let (lx, ly) = acf.limits();
    let (lx, ly) = (lx as i32, ly as i32);
    // z-scores dilated by a 3x3 max, over the searched half plane (dy >= 0) and its mirror.
    let zw = 2 * lx + 1;
    let clampz = |v: f32| ((v - acf.median) / acf.sigma).clamp(-3.0, 8.0);
    // Rows dy = -1..=ly+1, columns dx = -lx-1..=lx+1, read with the wrap resolved per row.
    let (ew, eh) = (zw + 2, ly + 3);
    let mut bufs = SquareBuffers::take();
    let [ext, hmax, dil] = &mut bufs.0;
    sized(ext, (ew * eh) as usize, 0.0)
        .par_chunks_mut(ew as usize)
        .enumerate()
        .for_each(|(j, row)| {
            let dy = j as i32 - 1;
            let src = &acf.data[dy.rem_euclid(acf.h as i32) as usize * acf.w..][..acf.w];
            // dx = -lx-1..=lx+1: the negative lags wrap to the end of the row.
            let (neg, pos) = row.split_at_mut(lx as usize + 1);
            neg.copy_from_slice(&src[acf.w - lx as usize - 1..]);
            pos.copy_from_slice(&src[..lx as usize + 2]);
        });
    // 3x3 max, separably: horizontal then vertical.
    sized(hmax, (zw * eh) as usize, 0.0)
        .par_chunks_mut(zw as usize)
        .zip(ext.par_chunks(ew as usize))
        .for_each(|(o, e)| {
            for (i, v) in o.iter_mut().enumerate() {
                *v = e[i].max(e[i + 1]).max(e[i + 2]);
            }
        });
    sized(dil, (zw * (ly + 1)) as usize, 0.0)
        .par_chunks_mut(zw as usize)
        .enumerate()
        .for_each(|(dy, o)| {
            let rows = &hmax[dy * zw as usize..][..3 * zw as usize];
            let (a, rest) = rows.split_at(zw as usize);
            let (b, c) = rest.split_at(zw as usize);
            for (((v, &p), &q), &r) in o.iter_mut().zip(a).zip(b).zip(c) {
                *v = clampz(p.max(q).max(r));
            }
        });
    let dil: &[f32] = dil;
    let lookup = |p: V2| DilatedLags { dil, zw, lx, ly }.lookup(p);
    let score = |theta: f64, scale: f64, f: &dyn Fn(V2) -> Option<f32>| -> f64 {
        square_score(
            theta.cos() * scale * TILE as f64,
            theta.sin() * scale * TILE as f64,
            f,
        )
    };
    const ANGLE_STEP: f64 = 0.4;
    const SCALE_STEP: f64 = 1.008;
    let (smin, smax) = (0.4f64, 2.2f64);
    let n_scale = ((smax / smin).ln() / SCALE_STEP.ln()).ceil() as usize;
    let n_angle = (90.0 / ANGLE_STEP) as usize;
    let mut grid = vec![f64::NEG_INFINITY; n_angle * n_scale];
    // The same products as `score` forms, with the angles' sines and cosines computed once.
    let trig: Vec<(f64, f64)> = (0..n_angle)
        .map(|ai| {
            let theta = (ai as f64 * ANGLE_STEP).to_radians();
            (theta.cos(), theta.sin())
        })
        .collect();
    // Lattices longer than the searchable lags cannot be scored.
    let scales = (0..n_scale)
        .take_while(|&si| smin * SCALE_STEP.powi(si as i32) * TILE as f64 + 3.0 < lx.min(ly) as f64)
        .count();
    grid[..scales * n_angle]
        .par_chunks_mut(n_angle)
        .enumerate()
        .for_each_init(
            || SquareRow::new(n_angle),
            |buf, (si, row)| {
                let scale = smin * SCALE_STEP.powi(si as i32);
                buf.score_fast(scale, &trig, &DilatedLags { dil, zw, lx, ly }, row);
            },
        );
    // Local maxima (angle wraps at 90 degrees), strongest first: no value within 2 steps of
    // angle and scale is larger, i.e. the value equals the 5x5 window's maximum, taken
    // separably (angle with wrap-around, then scale clamped to the grid).
    let mut amax = vec![f64::NEG_INFINITY; grid.len()];
    for (row, out) in grid
        .chunks_exact(n_angle)
        .zip(amax.chunks_exact_mut(n_angle))
    {
        for (ai, o) in out.iter_mut().enumerate() {
            for dai in 0..5 {
                *o = o.max(row[(ai + n_angle + dai - 2) % n_angle]);
            }
        }
    }
    let mut maxima: Vec<(f64, usize, usize)> = Vec::new();
    for si in 0..n_scale {
        let rows = si.saturating_sub(2)..(si + 3).min(n_scale);
        for ai in 0..n_angle {
            let v = grid[si * n_angle + ai];
            if v.is_finite() && rows.clone().all(|sj| amax[sj * n_angle + ai] <= v) {
                maxima.push((v, si, ai));
            }
        }
    }
    let mut maxima: Vec<(f64, f64, f64)> = maxima
        .into_iter()
        .map(|(v, si, ai)| (v, ai as f64 * ANGLE_STEP, smin * SCALE_STEP.powi(si as i32)))
        .collect();
    for v in seeds {
        let theta = v[1].atan2(v[0]).to_degrees().rem_euclid(90.0);
        let scale = norm(*v) / TILE as f64;
        let sc = score(theta.to_radians(), scale, &lookup);
        if sc.is_finite() {
            maxima.push((sc, theta, scale));
        }
    }
    maxima.sort_by(|a, b| b.0.total_cmp(&a.0));
    maxima.truncate(2 * SIMILARITY_SLOTS);
    // Fine search with interpolated (undilated) values around each coarse maximum.
    let interp = |p: V2| -> Option<f32> {
        if !acf.in_range(p) {
            return None;
        }
        let (x0, y0) = (p[0].floor(), p[1].floor());
        let (fx, fy) = ((p[0] - x0) as f32, (p[1] - y0) as f32);
        let (x0, y0) = (x0 as i32, y0 as i32);
        let g = |x, y| acf.get(x, y);
        let top = g(x0, y0) + (g(x0 + 1, y0) - g(x0, y0)) * fx;
        let bot = g(x0, y0 + 1) + (g(x0 + 1, y0 + 1) - g(x0, y0 + 1)) * fx;
        Some(clampz(top + (bot - top) * fy))
    };
    maxima
        .into_iter()
        .map(|(_, theta0, scale0)| {
            let mut best = (f64::NEG_INFINITY, theta0, scale0);
            for i in -8..=8 {
                for j in -8..=8 {
                    let theta = theta0 + i as f64 * ANGLE_STEP / 8.0;
                    let scale = scale0 * SCALE_STEP.powf(j as f64 / 8.0);
                    let v = score(theta.to_radians(), scale, &interp);
                    if v > best.0 {
                        best = (v, theta, scale);
                    }
                }
            }
            let (t, sc) = (best.1.to_radians(), best.2 * TILE as f64);
            let (b1, b2) = ([t.cos() * sc, t.sin() * sc], [-t.sin() * sc, t.cos() * sc]);
            // A least-squares refit on the measured peaks, when there are enough of them, is
            // more precise over the whole image when the peaks are strong; when they are weak,
            // a few noisy peaks can pull it off the square lattice that the summed evidence
            // found. Both are offered then (the refit first), and the pilot decides.
            match fit(acf, b1, b2) {
                Some((f1, f2, _))
                    if acceptable(f1, f2) && same_lattice((b1, b2), (f1, f2), 2.0) =>
                {
                    let moved = norm([f1[0] - b1[0], f1[1] - b1[1]])
                        .max(norm([f2[0] - b2[0], f2[1] - b2[1]]));
                    if moved > REFIT_KEEP_SQUARE {
                        vec![(f1, f2), (b1, b2)]
                    } else {
                        vec![(f1, f2)]
                    }
                }
                _ => vec![(b1, b2)],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plane::{Fft2, box_mean_wrapped};

    /// The transforms as first written, with full-size arrays and column walks.
    mod reference {
        use super::*;

        /// `|FFT2(x)|^2` of a real `w x h` array (`h` even), with half the work of a complex
        /// transform: pairs of rows go through one complex row transform, and only the non-negative
        /// horizontal frequencies through the column transforms (the rest follow by symmetry).
        pub(super) fn power_spectrum_real(x: &[f32], w: usize, h: usize) -> Vec<f32> {
            let (hh, wh) = (h / 2, w / 2 + 1);
            let zero = Complex32::new(0.0, 0.0);
            let mut z: Vec<Complex32> = vec![zero; w * hh];
            z.par_chunks_mut(w).enumerate().for_each(|(j, row)| {
                let (a, b) = (&x[2 * j * w..][..w], &x[(2 * j + 1) * w..][..w]);
                for ((o, &re), &im) in row.iter_mut().zip(a).zip(b) {
                    *o = Complex32::new(re, im);
                }
            });
            super::super::rows_fft(&mut z, w, false);
            // Unpack the two real rows' spectra, non-negative frequencies only, transposed so each
            // column is contiguous: cols[kx * h + ky].
            let mut cols = vec![zero; wh * h];
            cols.par_chunks_mut(h).enumerate().for_each(|(k, col)| {
                for j in 0..hh {
                    let zr = &z[j * w..][..w];
                    let a = zr[k];
                    let b = zr[(w - k) % w].conj();
                    col[2 * j] = (a + b) * 0.5;
                    let d = a - b;
                    col[2 * j + 1] = Complex32::new(d.im * 0.5, -d.re * 0.5);
                }
            });
            super::super::rows_fft(&mut cols, h, false);
            let mut power = vec![0f32; w * h];
            power.par_chunks_mut(w).enumerate().for_each(|(ky, row)| {
                let mirror = (h - ky) % h;
                for (kx, p) in row.iter_mut().enumerate() {
                    *p = if kx < wh {
                        cols[kx * h + ky].norm_sqr()
                    } else {
                        cols[(w - kx) * h + mirror].norm_sqr()
                    };
                }
            });
            power
        }

        /// Unnormalised inverse 2-D transform of a real, even spectrum (`f[-k] = f[k]`), whose
        /// result is real: the mirror image of [`power_spectrum_real`].
        pub(super) fn inverse_real_even(f: &[f32], w: usize, h: usize) -> Vec<f32> {
            let (hh, wh) = (h / 2, w / 2 + 1);
            let zero = Complex32::new(0.0, 0.0);
            let mut cols = vec![zero; wh * h];
            cols.par_chunks_mut(h).enumerate().for_each(|(kx, col)| {
                for (ky, c) in col.iter_mut().enumerate() {
                    *c = Complex32::new(f[ky * w + kx], 0.0);
                }
            });
            super::super::rows_fft(&mut cols, h, true);
            // Each output row is Hermitian in kx; two rows share one complex inverse transform.
            let mut z = vec![zero; w * hh];
            z.par_chunks_mut(w).enumerate().for_each(|(j, row)| {
                let (y1, y2) = (2 * j, 2 * j + 1);
                for (k, o) in row.iter_mut().enumerate() {
                    let (a, b) = if k < wh {
                        (cols[k * h + y1], cols[k * h + y2])
                    } else {
                        (cols[(w - k) * h + y1].conj(), cols[(w - k) * h + y2].conj())
                    };
                    // a + i b
                    *o = Complex32::new(a.re - b.im, a.im + b.re);
                }
            });
            super::super::rows_fft(&mut z, w, true);
            let mut out = vec![0f32; w * h];
            out.par_chunks_mut(2 * w)
                .zip(z.par_chunks(w))
                .for_each(|(o, zr)| {
                    let (a, b) = o.split_at_mut(w);
                    for ((x, y), c) in a.iter_mut().zip(b.iter_mut()).zip(zr) {
                        *x = c.re;
                        *y = c.im;
                    }
                });
            out
        }
    }

    #[test]
    fn fast_rounding_matches_round() {
        for x in [
            0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.4999999,
            -2.5000001,
            1e9,
            -1e12,
            0.49999999999999994,
        ] {
            assert_eq!(round_i32(x), x.round() as i32, "{x}");
        }
        for i in -4000..4000 {
            let x = i as f64 * 0.123456;
            assert_eq!(round_i32(x), x.round() as i32, "{x}");
        }
        assert_eq!(round_i32(f64::INFINITY), i32::MAX);
        assert_eq!(round_i32(f64::NAN), 0);
    }

    fn noise(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (state >> 8) as f32 / (1 << 24) as f32 - 0.5
            })
            .collect()
    }

    #[test]
    fn reference_real_transforms_match_the_complex_one() {
        let (w, h) = (30, 20);
        let x = noise(w * h, 12345);
        let fft = Fft2::new(w, h);
        let mut c: Vec<Complex32> = x.iter().map(|&v| Complex32::new(v, 0.0)).collect();
        fft.process(&mut c, false);
        let power = reference::power_spectrum_real(&x, w, h);
        for (a, b) in c.iter().zip(&power) {
            assert!((a.norm_sqr() - b).abs() < 1e-3 * (1.0 + b), "{a} vs {b}");
        }
        // The power spectrum is real and even: its inverse is real.
        let mut c: Vec<Complex32> = power.iter().map(|&v| Complex32::new(v, 0.0)).collect();
        fft.process(&mut c, true);
        let back = reference::inverse_real_even(&power, w, h);
        for (a, b) in c.iter().zip(&back) {
            assert!((a.re - b).abs() < 1e-2 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    /// The bracketed selection returns exactly what a full selection returns, including with
    /// ties, signed zeros, infinities and values that make the sample's bracket miss.
    #[test]
    fn select_matches_a_full_selection() {
        let full = |v: &[f32], k: usize| {
            let mut c = v.to_vec();
            *c.select_nth_unstable_by(k, f32::total_cmp).1
        };
        let mut cases: Vec<Vec<f32>> = vec![
            noise(100_000, 1),
            noise(9_000, 2).iter().map(|v| (v * 4.0).round()).collect(),
            noise(50_000, 3).iter().map(|v| v.abs() * 1e-3).collect(),
            (0..20_000)
                .map(|i| if i % 2 == 0 { 0.0 } else { -0.0 })
                .collect(),
            (0..30_000)
                .map(|i| if i < 29_000 { 1.0 } else { f32::INFINITY })
                .collect(),
            // Sorted, and reverse sorted: the strided sample is then far from uniform.
            (0..40_000).map(|i| i as f32).collect(),
            (0..40_000).map(|i| -(i as f32)).collect(),
            noise(100, 4),
        ];
        // Every 64th value tiny, the rest large: the sample puts the bracket at the wrong end.
        cases.push(
            (0..64_000)
                .map(|i| if i % 64 == 0 { -1.0 } else { i as f32 })
                .collect(),
        );
        for v in &cases {
            for k in [0, v.len() / 3, v.len() / 2, v.len() - 1] {
                assert_eq!(
                    select(v, k).to_bits(),
                    full(v, k).to_bits(),
                    "rank {k} of {}",
                    v.len()
                );
            }
        }
    }

    /// The coarse square-lattice grid, computed a row at a time (portable and AVX2), equals
    /// `square_score` cell by cell.
    #[test]
    fn square_row_matches_square_score() {
        let (lx, ly) = (300i32, 280i32);
        let zw = 2 * lx + 1;
        let dil: Vec<f32> = noise((zw * (ly + 1)) as usize, 99)
            .iter()
            .map(|v| v * 16.0)
            .collect();
        let lags = DilatedLags {
            dil: &dil,
            zw,
            lx,
            ly,
        };
        let trig: Vec<(f64, f64)> = (0..225)
            .map(|i| {
                let t = (i as f64 * 0.4).to_radians();
                (t.cos(), t.sin())
            })
            .collect();
        let mut buf = SquareRow::new(trig.len());
        let mut row = vec![0f64; trig.len()];
        let mut fast = vec![0f64; trig.len()];
        for scale in [0.4, 0.77, 1.0, 1.31, 2.2] {
            buf.score(scale, &trig, &lags, &mut row);
            // The AVX2 row (when the CPU has it) too, to the bit.
            buf.score_fast(scale, &trig, &lags, &mut fast);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&row), bits(&fast), "scale {scale}");
            for (&g, &(cos, sin)) in row.iter().zip(&trig) {
                let want =
                    square_score(cos * scale * TILE as f64, sin * scale * TILE as f64, &|p| {
                        lags.lookup(p)
                    });
                assert_eq!(g.to_bits(), want.to_bits(), "scale {scale}");
            }
        }
    }

    /// Buffers reused from a previous, larger or smaller, call leave no trace in the result.
    #[test]
    fn acf_does_not_depend_on_earlier_calls() {
        let plane = |w: usize, h: usize, seed: u32| Plane {
            width: w,
            height: h,
            data: noise(w * h, seed),
        };
        let (small, large) = (plane(180, 150, 5), plane(400, 390, 6));
        let first = Acf::compute(&small).data.clone();
        drop(Acf::compute(&large));
        let again = Acf::compute(&small);
        assert_eq!(first, again.data);
        let fresh = std::thread::spawn(move || Acf::compute(&small).data.clone())
            .join()
            .unwrap();
        assert_eq!(fresh, again.data);
    }

    /// The half-spectrum pipeline of `Acf::compute` gives the autocorrelation of the
    /// full-array one, value for value.
    #[test]
    fn half_spectrum_acf_matches_the_full_one() {
        for (rw, rh) in [(300usize, 260usize), (200, 333)] {
            let r = Plane {
                width: rw,
                height: rh,
                data: noise(rw * rh, 777),
            };
            let acf = Acf::compute(&r);
            let (w, h, cw, ch) = (acf.w, acf.h, acf.cw, acf.ch);
            let mean = (r.data.iter().map(|&v| v as f64).sum::<f64>() / (cw * ch) as f64) as f32;
            let mut buf = vec![0f32; w * h];
            for y in 0..ch {
                for x in 0..cw {
                    buf[y * w + x] = r.data[y * rw + x] - mean;
                }
            }
            let power = reference::power_spectrum_real(&buf, w, h);
            let local = box_mean_wrapped(&power, w, h, BOX_RADIUS);
            let white: Vec<f32> = (0..w * h)
                .map(|i| {
                    let f2 = frequency(i % w, w).powi(2) + frequency(i / w, h).powi(2);
                    let keep = (0.01 * 0.01..=BAND_MAX * BAND_MAX).contains(&f2);
                    if keep {
                        power[i] / (local[i] + 1e-12)
                    } else {
                        0.0
                    }
                })
                .collect();
            let back = reference::inverse_real_even(&white, w, h);
            let zero = back[0].max(1e-12);
            for (i, (&a, &b)) in acf.data.iter().zip(&back).enumerate() {
                assert!(
                    (a - b / zero).abs() < 1e-5,
                    "{rw}x{rh} at {i}: {a} vs {}",
                    b / zero
                );
            }
        }
    }
}
