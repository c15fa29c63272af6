//! A single-channel float image and the filters the scheme needs (Gaussian and box blur, 2-D FFT).

use rayon::prelude::*;
use rustfft::{Fft, FftPlanner, num_complex::Complex32};
use std::sync::{Arc, Mutex};

/// A row-major single-channel `f32` image.
#[derive(Clone, Debug)]
pub struct Plane {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `data[y * width + x]`.
    pub data: Vec<f32>,
}

impl Plane {
    /// A zero plane.
    pub fn zeros(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            data: vec![0.0; width * height],
        }
    }

    /// Value at integer coordinates.
    #[inline]
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }

    /// Bilinear sample at continuous coordinates; `None` outside the plane.
    #[inline]
    pub fn sample(&self, x: f32, y: f32) -> Option<f32> {
        if !(x >= 0.0 && y >= 0.0) {
            return None;
        }
        let (x0, y0) = (x as usize, y as usize);
        if x0 + 1 >= self.width || y0 + 1 >= self.height {
            if x0 < self.width && y0 < self.height && x - x0 as f32 == 0.0 && y - y0 as f32 == 0.0 {
                return Some(self.at(x0, y0));
            }
            return None;
        }
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let i = y0 * self.width + x0;
        let d = &self.data;
        let top = d[i] + (d[i + 1] - d[i]) * fx;
        let bot = d[i + self.width] + (d[i + self.width + 1] - d[i + self.width]) * fx;
        Some(top + (bot - top) * fy)
    }

    /// Mean of all pixels.
    pub fn mean(&self) -> f64 {
        self.data.iter().map(|&v| v as f64).sum::<f64>() / self.data.len().max(1) as f64
    }

    /// Element-wise map.
    pub fn map(&self, f: impl Fn(f32) -> f32 + Sync) -> Plane {
        Plane {
            width: self.width,
            height: self.height,
            data: self.data.par_iter().map(|&v| f(v)).collect(),
        }
    }

    /// Element-wise combination of two planes of the same size.
    pub fn zip(&self, other: &Plane, f: impl Fn(f32, f32) -> f32 + Sync) -> Plane {
        Plane {
            width: self.width,
            height: self.height,
            data: self
                .data
                .par_iter()
                .zip(&other.data)
                .map(|(&a, &b)| f(a, b))
                .collect(),
        }
    }

    /// Separable convolution with a symmetric 1-D kernel (`kernel[0]` is the centre), edges
    /// clamped.
    fn convolve(&self, kernel: &[f32]) -> Plane {
        Plane {
            width: self.width,
            height: self.height,
            data: convolve_separable(&self.data, self.width, self.height, kernel),
        }
    }

    /// Gaussian blur with standard deviation `sigma` pixels.
    pub fn gaussian(&self, sigma: f32) -> Plane {
        self.convolve(&gaussian_kernel(sigma))
    }

    /// Means over `factor x factor` blocks (partial blocks at the right and bottom edges
    /// average what they hold).
    #[cfg(test)]
    pub(crate) fn block_means(&self, factor: usize) -> Coarse {
        self.block_means_of(factor, |v| v)
    }

    /// Means of `f(value)` over `factor x factor` blocks (partial blocks at the right and
    /// bottom edges average what they hold), without storing the mapped plane.
    pub(crate) fn block_means_of(&self, factor: usize, f: impl Fn(f32) -> f32 + Sync) -> Coarse {
        let (w, h) = (self.width, self.height);
        let (bw, bh) = (w.div_ceil(factor), h.div_ceil(factor));
        let mut small = vec![0f32; bw * bh];
        small.par_chunks_mut(bw).enumerate().for_each(|(by, out)| {
            let y0 = by * factor;
            let y1 = (y0 + factor).min(h);
            for y in y0..y1 {
                let row = &self.data[y * w..(y + 1) * w];
                for (o, c) in out.iter_mut().zip(row.chunks(factor)) {
                    *o += c.iter().map(|&v| f(v)).sum::<f32>();
                }
            }
            for (bx, o) in out.iter_mut().enumerate() {
                let n = ((y1 - y0) * (((bx + 1) * factor).min(w) - bx * factor)) as f32;
                *o /= n;
            }
        });
        Coarse {
            width: bw,
            height: bh,
            factor,
            full_width: w,
            data: small,
        }
    }
}

/// Means over 2x2 blocks of the squared high-pass `(y - G_sigma * y)^2` of a plane whose rows
/// come from `rows(y0, out)` (rows `y0..` filling `out`): the same values as
/// `y.zip(&y.gaussian(sigma), ..).block_means(2)`, to the bit, computed in bands of rows that
/// stay in cache, with no full-size plane stored (for a 1024x1024 image the three full-size
/// planes of the unfused form cost more in page faults and memory traffic than the
/// arithmetic).
pub(crate) fn highpass_energy_half(
    width: usize,
    height: usize,
    sigma: f32,
    rows: impl Fn(usize, &mut [f32]) + Sync,
) -> Coarse {
    let (w, h) = (width, height);
    let kernel = gaussian_kernel(sigma);
    let r = kernel.len() - 1;
    // The horizontally blurred rows a vertical window needs, in a ring: a band's working set
    // stays in L1/L2.
    let ring = 2 * r + 1;
    let (bw, bh) = (w.div_ceil(2), h.div_ceil(2));
    let mut small = vec![0f32; bw * bh];
    // Each band recomputes `r` rows of halo on each side: a few bands per thread balance load
    // without much of that.
    let band = bh.div_ceil(4 * rayon::current_num_threads()).max(16);
    small.par_chunks_mut(bw * band).enumerate().for_each_init(
        || {
            let rows = vec![0f32; ring * w];
            (rows.clone(), rows, Vec::new(), vec![0f32; w])
        },
        |(luma, blur, pad, vrow), (bi, out)| {
            let y0 = bi * band * 2;
            let y1 = (y0 + out.len() / bw * 2).min(h);
            let slot = |yy: usize| (yy % ring) * w;
            for yy in y0.saturating_sub(r)..(y1 + r).min(h) {
                let l = &mut luma[slot(yy)..][..w];
                rows(yy, l);
                blur_row(l, &mut blur[slot(yy)..][..w], pad, &kernel);
                // Rows whose vertical window (clamped at the bottom edge) is complete.
                let ready = if yy + 1 == h {
                    yy.saturating_sub(r).max(y0)..y1
                } else if yy >= y0 + r {
                    yy - r..yy - r + 1
                } else {
                    0..0
                };
                for y in ready {
                    let at = |yy: usize| &blur[slot(yy)..][..w];
                    for (v, &c) in vrow.iter_mut().zip(at(y)) {
                        *v = kernel[0] * c;
                    }
                    for (k, &kv) in kernel.iter().enumerate().skip(1) {
                        let (up, dn) = (at(y.saturating_sub(k)), at((y + k).min(h - 1)));
                        for ((v, &a), &b) in vrow.iter_mut().zip(up).zip(dn) {
                            *v += kv * (a + b);
                        }
                    }
                    for (v, &a) in vrow.iter_mut().zip(&luma[slot(y)..][..w]) {
                        let d = a - *v;
                        *v = d * d;
                    }
                    let o = &mut out[(y - y0) / 2 * bw..][..bw];
                    let pairs = vrow.chunks_exact(2);
                    if let Some(&last) = pairs.remainder().first() {
                        o[bw - 1] += last;
                    }
                    for (o, v) in o.iter_mut().zip(pairs) {
                        *o += v[0] + v[1];
                    }
                }
            }
            // Blocks hold 4, 2 or 1 pixels: multiplying by the reciprocal of a power of two
            // is exact, the same as dividing.
            for (cy, o) in out.chunks_exact_mut(bw).enumerate() {
                let rows_in = ((y0 + 2 * cy + 2).min(h) - (y0 + 2 * cy)) as f32;
                let (full, last) = o.split_at_mut(w / 2);
                let inv = 1.0 / (2.0 * rows_in);
                full.iter_mut().for_each(|v| *v *= inv);
                last.iter_mut().for_each(|v| *v *= 2.0 * inv);
            }
        },
    );
    Coarse {
        width: bw,
        height: bh,
        factor: 2,
        full_width: w,
        data: small,
    }
}

/// A slowly varying field on a grid decimated by `factor`: value `i` belongs to the block
/// whose centre is at `(i + 0.5) * factor` full-resolution pixels.
#[derive(Clone, Debug)]
pub(crate) struct Coarse {
    pub width: usize,
    pub height: usize,
    pub factor: usize,
    pub full_width: usize,
    pub data: Vec<f32>,
}

impl Coarse {
    /// Gaussian blur with `sigma` in full-resolution pixels. The block means this grid was
    /// made of already smoothed with variance `(factor^2 - 1) / 12` pixels^2.
    pub(crate) fn gaussian(&self, sigma: f32) -> Coarse {
        let box_var = (self.factor * self.factor - 1) as f32 / 12.0;
        let s = (sigma * sigma - box_var).max(0.25).sqrt() / self.factor as f32;
        Coarse {
            data: convolve_separable(&self.data, self.width, self.height, &gaussian_kernel(s)),
            ..self.clone_shape()
        }
    }

    fn clone_shape(&self) -> Coarse {
        Coarse {
            data: Vec::new(),
            ..*self
        }
    }

    /// Per full-resolution column: the two grid columns and the weight of the second.
    pub(crate) fn column_weights(&self) -> Vec<(usize, usize, f32)> {
        column_weights(self.width, self.factor, self.full_width)
    }

    /// Full-resolution row `y` by bilinear interpolation; `row` holds `width` values of
    /// scratch, `cols` comes from [`column_weights`](Self::column_weights).
    pub(crate) fn interpolate_row(
        &self,
        y: usize,
        cols: &[(usize, usize, f32)],
        row: &mut [f32],
        out: &mut [f32],
    ) {
        interpolate_row(
            &self.data,
            self.width,
            self.height,
            self.factor,
            y,
            cols,
            row,
            out,
        );
    }
}

/// Sum of `f(v)` over `data` in `f64`, in eight interleaved partial sums: one running sum is
/// bound by the latency of each addition.
pub(crate) fn sum_f64(data: &[f32], f: impl Fn(f32) -> f64) -> f64 {
    let mut acc = [0f64; 8];
    let chunks = data.chunks_exact(8);
    let rest: f64 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    acc.iter().sum::<f64>() + rest
}

/// Normalised half kernel (`k[0]` is the centre) of a Gaussian, radius `3 sigma`.
fn gaussian_kernel(sigma: f32) -> Vec<f32> {
    let r = (3.0 * sigma).ceil().max(1.0) as usize;
    let mut k: Vec<f32> = (0..=r)
        .map(|i| (-(i as f32).powi(2) / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f32 = k[0] + 2.0 * k[1..].iter().sum::<f32>();
    k.iter_mut().for_each(|v| *v /= s);
    k
}

/// Separable convolution with a symmetric half kernel, edges clamped. Rows are padded once so
/// the inner loops run over contiguous slices and vectorise.
fn convolve_separable(data: &[f32], w: usize, h: usize, kernel: &[f32]) -> Vec<f32> {
    let mut tmp = vec![0f32; w * h];
    tmp.par_chunks_mut(w)
        .enumerate()
        .for_each_init(Vec::new, |pad, (y, out)| {
            blur_row(&data[y * w..(y + 1) * w], out, pad, kernel)
        });
    let mut out = vec![0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, o)| {
        let c = &tmp[y * w..(y + 1) * w];
        for (v, &cv) in o.iter_mut().zip(c) {
            *v = kernel[0] * cv;
        }
        for (k, &kv) in kernel.iter().enumerate().skip(1) {
            let up = &tmp[y.saturating_sub(k) * w..][..w];
            let dn = &tmp[(y + k).min(h - 1) * w..][..w];
            for ((v, &a), &b) in o.iter_mut().zip(up).zip(dn) {
                *v += kv * (a + b);
            }
        }
    });
    out
}

/// One row of the horizontal pass of [`convolve_separable`]; `pad` is scratch.
#[inline]
fn blur_row(row: &[f32], out: &mut [f32], pad: &mut Vec<f32>, kernel: &[f32]) {
    let (w, r) = (row.len(), kernel.len() - 1);
    pad.clear();
    pad.extend(std::iter::repeat_n(row[0], r));
    pad.extend_from_slice(row);
    pad.extend(std::iter::repeat_n(row[w - 1], r));
    for (o, &v) in out.iter_mut().zip(&pad[r..r + w]) {
        *o = kernel[0] * v;
    }
    for (k, &kv) in kernel.iter().enumerate().skip(1) {
        let (l, rr) = (&pad[r - k..r - k + w], &pad[r + k..r + k + w]);
        for ((o, &a), &b) in out.iter_mut().zip(l).zip(rr) {
            *o += kv * (a + b);
        }
    }
}

/// Per output column: the two source columns and the weight of the second.
fn column_weights(bw: usize, factor: usize, w: usize) -> Vec<(usize, usize, f32)> {
    let f = factor as f32;
    (0..w)
        .map(|x| {
            let u = ((x as f32 + 0.5) / f - 0.5).clamp(0.0, (bw - 1) as f32);
            let x0 = u as usize;
            (x0, (x0 + 1).min(bw - 1), u - x0 as f32)
        })
        .collect()
}

/// One full-resolution row of the bilinear interpolation of a grid of block values (block
/// centres at `(i + 0.5) * factor`), edges clamped: `row` is `bw` values of scratch.
#[allow(clippy::too_many_arguments)]
#[inline]
fn interpolate_row(
    small: &[f32],
    bw: usize,
    bh: usize,
    factor: usize,
    y: usize,
    cols: &[(usize, usize, f32)],
    row: &mut [f32],
    out: &mut [f32],
) {
    let v = ((y as f32 + 0.5) / factor as f32 - 0.5).clamp(0.0, (bh - 1) as f32);
    let y0 = v as usize;
    let y1 = (y0 + 1).min(bh - 1);
    let fy = v - y0 as f32;
    let (a, b) = (&small[y0 * bw..][..bw], &small[y1 * bw..][..bw]);
    for ((r, &p), &q) in row.iter_mut().zip(a).zip(b) {
        *r = p + (q - p) * fy;
    }
    if factor == 2 && bw >= 2 {
        // Output pixels sit a quarter of a block from the grid points: fixed weights, no
        // per-pixel lookups.
        out[0] = row[0];
        // Whole pairs only (the last pixel of an even width is the clamped one below), so
        // the loop has no branch and vectorises.
        for (o, (&l, &r)) in out[1..].chunks_exact_mut(2).zip(row.iter().zip(&row[1..])) {
            o[0] = 0.75 * l + 0.25 * r;
            o[1] = 0.25 * l + 0.75 * r;
        }
        let last = row[bw - 1];
        for o in out.iter_mut().skip(2 * bw - 1) {
            *o = last;
        }
        return;
    }
    for (o, &(x0, x1, fx)) in out.iter_mut().zip(cols) {
        *o = row[x0] + (row[x1] - row[x0]) * fx;
    }
}

/// In-place 2-D FFT of a row-major complex array.
pub struct Fft2 {
    width: usize,
    height: usize,
    row_fwd: Arc<dyn Fft<f32>>,
    row_inv: Arc<dyn Fft<f32>>,
    col_fwd: Arc<dyn Fft<f32>>,
    col_inv: Arc<dyn Fft<f32>>,
}

/// A 1-D transform of length `len`. Planning is not free (twiddles, algorithm choice): every
/// size is planned once per process and shared.
pub(crate) fn plan(len: usize, inverse: bool) -> Arc<dyn Fft<f32>> {
    static PLANNER: Mutex<Option<FftPlanner<f32>>> = Mutex::new(None);
    let mut guard = PLANNER.lock().unwrap_or_else(|e| e.into_inner());
    let p = guard.get_or_insert_with(FftPlanner::new);
    if inverse {
        p.plan_fft_inverse(len)
    } else {
        p.plan_fft_forward(len)
    }
}

impl Fft2 {
    /// Plans transforms for `width x height` arrays.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            row_fwd: plan(width, false),
            row_inv: plan(width, true),
            col_fwd: plan(height, false),
            col_inv: plan(height, true),
        }
    }

    /// Forward (`inverse == false`) or unnormalised inverse transform.
    pub fn process(&self, data: &mut [Complex32], inverse: bool) {
        let (w, h) = (self.width, self.height);
        let (rf, cf) = if inverse {
            (&self.row_inv, &self.col_inv)
        } else {
            (&self.row_fwd, &self.col_fwd)
        };
        if w * h <= SMALL_FFT {
            // Small transforms (the 128x128 tile): threads cost more than they save.
            rf.process(data);
            let mut t = vec![Complex32::new(0.0, 0.0); w * h];
            transpose_serial(data, &mut t, w, h);
            cf.process(&mut t);
            transpose_serial(&t, data, h, w);
            return;
        }
        // `process` handles a whole run of rows with one scratch buffer.
        let rows_per_task = h.div_ceil(4 * rayon::current_num_threads()).max(1);
        data.par_chunks_mut(w * rows_per_task)
            .for_each(|rows| rf.process(rows));
        let mut t = vec![Complex32::new(0.0, 0.0); w * h];
        transpose(data, &mut t, w, h);
        let cols_per_task = w.div_ceil(4 * rayon::current_num_threads()).max(1);
        t.par_chunks_mut(h * cols_per_task)
            .for_each(|cols| cf.process(cols));
        transpose(&t, data, h, w);
    }
}

/// Transforms up to this many points run on the calling thread.
const SMALL_FFT: usize = 128 * 128;

/// `dst[x * h + y] = src[y * w + x]`, on the calling thread.
fn transpose_serial(src: &[Complex32], dst: &mut [Complex32], w: usize, h: usize) {
    for (y, row) in src.chunks_exact(w).enumerate() {
        for (x, &v) in row.iter().enumerate() {
            dst[x * h + y] = v;
        }
    }
}

/// `dst[x * h + y] = src[y * w + x]`, blocked for cache friendliness.
fn transpose(src: &[Complex32], dst: &mut [Complex32], w: usize, h: usize) {
    transpose_map(src, w, w, h, dst, h, |v| v);
}

/// `dst[x * dst_stride + y] = f(src[y * stride + x])` for `x < w`, `y < h`: a transpose (of
/// the left `w` columns of a row-major array), in blocks small enough that every cache line
/// read or written is used whole. Walking a column of a megabyte-sized array instead misses
/// the cache at every element, which costs more than the FFTs between the transposes.
pub(crate) fn transpose_map<S: Copy + Sync, T: Copy + Default + Send>(
    src: &[S],
    stride: usize,
    w: usize,
    h: usize,
    dst: &mut [T],
    dst_stride: usize,
    f: impl Fn(S) -> T + Sync,
) {
    const B: usize = 32;
    dst.par_chunks_mut(dst_stride * B)
        .take(w.div_ceil(B))
        .enumerate()
        .for_each(|(bi, chunk)| {
            let x0 = bi * B;
            let xs = (w - x0).min(B);
            // Each block goes through a tile on the stack: rows of the source are read whole
            // and columns of the destination written whole, and the strided accesses hit a
            // fixed-size array without bounds checks. Indexing both arrays per element (as
            // before) cost several times the memory traffic.
            let mut tile = [[T::default(); B]; B];
            for y0 in (0..h).step_by(B) {
                let ys = (h - y0).min(B);
                for (y, row) in src[y0 * stride..].chunks(stride).take(ys).enumerate() {
                    for (t, &v) in tile.iter_mut().zip(&row[x0..x0 + xs]) {
                        t[y] = f(v);
                    }
                }
                for (t, col) in tile.iter().zip(chunk.chunks_mut(dst_stride)).take(xs) {
                    if ys == B {
                        // A fixed length: inline moves instead of a call to `memmove`.
                        let col: &mut [T; B] = (&mut col[y0..y0 + B]).try_into().expect("B");
                        *col = *t;
                    } else {
                        col[y0..y0 + ys].copy_from_slice(&t[..ys]);
                    }
                }
            }
        });
}

/// Smallest `n >= limit` whose prime factors are 2, 3 and 5 (fast FFT sizes).
pub fn fft_friendly_at_least(limit: usize) -> usize {
    (limit.max(1)..)
        .find(|&n| {
            let mut m = n;
            for p in [2, 3, 5] {
                while m % p == 0 {
                    m /= p;
                }
            }
            m == 1
        })
        .expect("powers of two are unbounded")
}

/// Box mean over a `(2r+1)^2` window with wrap-around (for periodic spectra).
pub fn box_mean_wrapped(data: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let n = (2 * r + 1) as f32;
    let mut tmp = vec![0f32; w * h];
    tmp.par_chunks_mut(w).enumerate().for_each(|(y, o)| {
        let row = &data[y * w..(y + 1) * w];
        let mut acc: f32 = (0..=2 * r).map(|k| row[(k + w - r) % w]).sum();
        for x in 0..w {
            o[x] = acc / n;
            acc += row[(x + r + 1) % w] - row[(x + w - r) % w];
        }
    });
    let mut out = vec![0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, o)| {
        for k in 0..=2 * r {
            let yy = (y + h + k - r) % h;
            let src = &tmp[yy * w..(yy + 1) * w];
            for x in 0..w {
                o[x] += src[x];
            }
        }
        for v in o.iter_mut() {
            *v /= n;
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tiled transpose, with partial blocks on both sides and a source wider than the
    /// part transposed, against the definition.
    #[test]
    fn transpose_map_matches_the_definition() {
        for (w, h, stride) in [
            (70usize, 45usize, 73usize),
            (32, 64, 32),
            (5, 3, 9),
            (33, 31, 40),
        ] {
            let src: Vec<Complex32> = (0..stride * h)
                .map(|i| Complex32::new(i as f32, -(i as f32) * 0.5))
                .collect();
            let dst_stride = h + 3;
            let mut dst = vec![-1f32; w * dst_stride];
            transpose_map(&src, stride, w, h, &mut dst, dst_stride, |c| {
                c.re + c.im * 0.25
            });
            for x in 0..w {
                for y in 0..dst_stride {
                    let want = if y < h {
                        let c = src[y * stride + x];
                        c.re + c.im * 0.25
                    } else {
                        -1.0
                    };
                    assert_eq!(dst[x * dst_stride + y], want, "{w}x{h} at ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn half_resolution_interpolation_matches_the_general_one() {
        for (w, h) in [(10usize, 7usize), (9, 6), (2, 2), (3, 5)] {
            let (bw, bh) = (w.div_ceil(2), h.div_ceil(2));
            let small: Vec<f32> = (0..bw * bh).map(|i| ((i * 37) % 11) as f32).collect();
            let cols = column_weights(bw, 2, w);
            let mut row = vec![0f32; bw];
            for y in 0..h {
                let mut fast = vec![0f32; w];
                interpolate_row(&small, bw, bh, 2, y, &cols, &mut row, &mut fast);
                let v = ((y as f32 + 0.5) / 2.0 - 0.5).clamp(0.0, (bh - 1) as f32);
                let (y0, fy) = (v as usize, v - (v as usize) as f32);
                let y1 = (y0 + 1).min(bh - 1);
                for (x, &(x0, x1, fx)) in cols.iter().enumerate() {
                    let at = |xx: usize| {
                        small[y0 * bw + xx] + (small[y1 * bw + xx] - small[y0 * bw + xx]) * fy
                    };
                    let want = at(x0) + (at(x1) - at(x0)) * fx;
                    assert!((fast[x] - want).abs() < 1e-4, "{w}x{h} ({x}, {y})");
                }
            }
        }
    }
}
