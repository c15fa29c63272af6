//! A single-channel float image and the filters the scheme needs (Gaussian and box blur, 2-D FFT).

use rayon::prelude::*;
use rustfft::{Fft, FftPlanner, num_complex::Complex32};
use std::sync::Arc;

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
        let (w, h) = (self.width, self.height);
        let r = kernel.len() - 1;
        let mut tmp = vec![0f32; w * h];
        tmp.par_chunks_mut(w).enumerate().for_each(|(y, out)| {
            let row = &self.data[y * w..(y + 1) * w];
            for (x, o) in out.iter_mut().enumerate() {
                let mut acc = kernel[0] * row[x];
                for (k, &kv) in kernel.iter().enumerate().skip(1) {
                    let l = row[x.saturating_sub(k)];
                    let rr = row[(x + k).min(w - 1)];
                    acc += kv * (l + rr);
                }
                *o = acc;
            }
        });
        let mut out = vec![0f32; w * h];
        out.par_chunks_mut(w).enumerate().for_each(|(y, o)| {
            let c = &tmp[y * w..(y + 1) * w];
            for (x, v) in o.iter_mut().enumerate() {
                *v = kernel[0] * c[x];
            }
            for (k, &kv) in kernel.iter().enumerate().skip(1).take(r) {
                let up = &tmp[y.saturating_sub(k) * w..][..w];
                let dn = &tmp[(y + k).min(h - 1) * w..][..w];
                for x in 0..w {
                    o[x] += kv * (up[x] + dn[x]);
                }
            }
        });
        Plane {
            width: w,
            height: h,
            data: out,
        }
    }

    /// Gaussian blur with standard deviation `sigma` pixels.
    pub fn gaussian(&self, sigma: f32) -> Plane {
        let r = (3.0 * sigma).ceil().max(1.0) as usize;
        let mut k: Vec<f32> = (0..=r)
            .map(|i| (-(i as f32).powi(2) / (2.0 * sigma * sigma)).exp())
            .collect();
        let s: f32 = k[0] + 2.0 * k[1..].iter().sum::<f32>();
        k.iter_mut().for_each(|v| *v /= s);
        self.convolve(&k)
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

impl Fft2 {
    /// Plans transforms for `width x height` arrays.
    pub fn new(width: usize, height: usize) -> Self {
        let mut p = FftPlanner::<f32>::new();
        Self {
            width,
            height,
            row_fwd: p.plan_fft_forward(width),
            row_inv: p.plan_fft_inverse(width),
            col_fwd: p.plan_fft_forward(height),
            col_inv: p.plan_fft_inverse(height),
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
        data.par_chunks_mut(w).for_each(|row| rf.process(row));
        let mut t = vec![Complex32::new(0.0, 0.0); w * h];
        transpose(data, &mut t, w, h);
        t.par_chunks_mut(h).for_each(|col| cf.process(col));
        transpose(&t, data, h, w);
    }
}

/// `dst[x * h + y] = src[y * w + x]`, blocked for cache friendliness.
fn transpose(src: &[Complex32], dst: &mut [Complex32], w: usize, h: usize) {
    const B: usize = 32;
    dst.par_chunks_mut(h * B.min(w))
        .enumerate()
        .for_each(|(bi, chunk)| {
            let x0 = bi * B;
            let xs = chunk.len() / h;
            for y0 in (0..h).step_by(B) {
                for x in x0..x0 + xs {
                    for y in y0..(y0 + B).min(h) {
                        chunk[(x - x0) * h + y] = src[y * w + x];
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
