//! Test images generated in code (no third-party data in the repository).

#![allow(dead_code)]

use image::{DynamicImage, Rgb, RgbImage};

/// A deterministic photo-like image: smooth shapes, edges and fine texture.
pub fn photo(w: u32, h: u32, seed: u32) -> DynamicImage {
    let hash = |x: u32, y: u32| {
        let mut v = x.wrapping_mul(0x9E37_79B1)
            ^ y.wrapping_mul(0x85EB_CA77)
            ^ seed.wrapping_mul(0xC2B2_AE3D);
        v ^= v >> 15;
        v = v.wrapping_mul(0x2C1B_3C6D);
        v ^= v >> 12;
        (v & 0xFF) as f64 / 255.0 - 0.5
    };
    let s = seed as f64;
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f64, y as f64);
        let smooth = 110.0
            + 50.0 * ((xf / 37.0 + s).sin() * (yf / 53.0 - s).cos())
            + 30.0 * ((xf + yf) / 91.0).sin();
        let disc = if ((xf - w as f64 * 0.6).powi(2) + (yf - h as f64 * 0.4).powi(2)).sqrt()
            < w as f64 * 0.2
        {
            35.0
        } else {
            0.0
        };
        // Fine texture, blurred a little by averaging neighbours.
        let tex = 28.0 * (hash(x, y) + 0.5 * hash(x + 1, y) + 0.5 * hash(x, y + 1));
        let v = smooth + disc + tex;
        let c = |o: f64| (v + o).round().clamp(0.0, 255.0) as u8;
        Rgb([c(12.0), c(0.0), c(-18.0 + 10.0 * (xf / 60.0).sin())])
    }))
}

/// A flat-ish synthetic image with little texture (harder for the mask).
pub fn smooth(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        let v = (60.0 + 120.0 * x as f64 / w as f64 + 40.0 * (y as f64 / 40.0).sin()) as u8;
        Rgb([v, v / 2 + 40, 200 - v / 3])
    }))
}
