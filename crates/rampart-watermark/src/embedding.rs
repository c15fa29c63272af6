//! Embedding: adds the key's tiled spread-spectrum pattern to the luma, shaped by a perceptual
//! mask and scaled to a target PSNR.

use image::DynamicImage;

use crate::code;
use crate::error::{Result, WatermarkError};

use crate::pattern::{self, Patterns, TILE};
use crate::payload::Payload;
use crate::picture::Picture;
use crate::plane::{Coarse, Plane, highpass_energy_half, sum_f64};

/// Smallest image side that can be marked: two tiles, so the detector sees the repetition.
pub const MIN_EMBED_SIDE: u32 = 256;
/// Share of the mark's power given to the pilot (synchronisation and detection); the rest
/// carries the payload. 0.35 balances detection margin against payload bit errors.
pub(crate) const PILOT_SHARE: f32 = 0.35;

/// Parameters of [`embed`].
#[derive(Clone, Debug)]
pub struct EmbedOptions {
    /// Target peak signal-to-noise ratio in dB (default 40). Lower is stronger and more visible.
    pub target_psnr: f64,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        Self { target_psnr: 40.0 }
    }
}

impl EmbedOptions {
    /// Options from a strength multiplier: 1.0 is the default 40 dB, 2.0 doubles the amplitude
    /// (about 34 dB).
    pub fn with_strength(strength: f64) -> Result<Self> {
        if !(strength.is_finite() && strength > 0.0 && strength <= 10.0) {
            return Err(WatermarkError::InvalidParameter(format!(
                "strength {strength} must be in (0, 10]; 1.0 gives 40 dB PSNR"
            )));
        }
        Ok(Self {
            target_psnr: 40.0 - 20.0 * strength.log10(),
        })
    }

    /// Options from a PSNR target, checked to a sensible range.
    pub fn with_psnr(psnr: f64) -> Result<Self> {
        if !(psnr.is_finite() && (20.0..=60.0).contains(&psnr)) {
            return Err(WatermarkError::InvalidParameter(format!(
                "PSNR {psnr} dB must be between 20 and 60 (40 is the default)"
            )));
        }
        Ok(Self { target_psnr: psnr })
    }
}

/// What [`embed`] did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EmbedReport {
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Payload written, hex.
    pub payload: String,
    /// Measured PSNR between input and output (8-bit RGB), dB.
    pub psnr: f64,
}

/// Perceptual mask: local texture energy relative to the image mean, clipped so flat regions
/// keep some mark (detection) and busy regions do not get too much (visibility).
///
/// The texture energy is that of the luma above its sigma-1.5 local mean, averaged over sigma
/// 3. The energy varies slowly, so it is averaged on a 2x-decimated grid, where the mask
/// stays; it is interpolated where the mark is added. The luma is read straight from the
/// pixels, a band of rows at a time (see [`highpass_energy_half`]).
pub(crate) fn mask(picture: &Picture) -> Result<Coarse> {
    picture.check_luma()?;
    let e = highpass_energy_half(
        picture.width() as usize,
        picture.height() as usize,
        1.5,
        |y0, out| picture.luma_rows(y0, out),
    );
    Ok(finish_mask(e))
}

/// The mask from the 2x2 block means of the squared high-pass.
fn finish_mask(e: Coarse) -> Coarse {
    let mut a = e.gaussian(3.0);
    a.data.iter_mut().for_each(|v| *v = v.max(0.0).sqrt());
    let mean = (sum_f64(&a.data, |v| v as f64) / a.data.len().max(1) as f64).max(1e-6) as f32;
    a.data
        .iter_mut()
        .for_each(|v| *v = (*v / mean).clamp(0.35, 2.5));
    a
}

/// The pixel tile for a payload: pilot plus the coded bits spread over their carriers.
pub(crate) fn mark_tile(patterns: &Patterns, coded: &[u8]) -> Vec<f32> {
    let k = coded.len() as f32;
    let pw = PILOT_SHARE.sqrt();
    let cw = ((1.0 - PILOT_SHARE) / k).sqrt();
    let mut weights = vec![(0usize, pw)];
    weights.extend(
        coded
            .iter()
            .enumerate()
            .map(|(i, &b)| (i + 1, if b == 1 { cw } else { -cw })),
    );
    patterns.tile(&weights)
}

/// Embeds `payload` under `key` into the picture in place.
///
/// ```
/// use image::{DynamicImage, RgbImage};
/// use rampart_watermark::{EmbedOptions, Picture, embed};
///
/// let img = RgbImage::from_fn(256, 256, |x, y| image::Rgb([(x ^ y) as u8, (x * 3) as u8, y as u8]));
/// let mut picture = Picture::from_image(DynamicImage::ImageRgb8(img));
/// let report = embed(&mut picture, "secret", &"1a2b3c4d".parse().unwrap(), &EmbedOptions::default()).unwrap();
/// assert!(report.psnr > 38.0);
/// ```
pub fn embed(
    picture: &mut Picture,
    key: &str,
    payload: &Payload,
    opts: &EmbedOptions,
) -> Result<EmbedReport> {
    if key.is_empty() {
        return Err(WatermarkError::EmptyKey);
    }
    let (w, h) = (picture.width(), picture.height());
    if w < MIN_EMBED_SIDE || h < MIN_EMBED_SIDE {
        return Err(WatermarkError::ImageTooSmall {
            width: w,
            height: h,
            min: MIN_EMBED_SIDE,
            operation: "embedding",
        });
    }
    let m = mask(picture)?;
    let coded = code::encode(payload.as_bytes());
    let tile = mark_tile(&pattern::for_key(key), &coded);
    let (wu, hu) = (w as usize, h as usize);
    // The mask varies slowly and independently of the tile's pixel-scale pattern, so the
    // mark's energy is the mask's (on the coarse grid) times the tile's mean square, to well
    // under 0.1 dB of PSNR; the PSNR reported is measured on the result.
    let tile_ms = tile.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / tile.len() as f64;
    let cell = (m.factor * m.factor) as f64;
    let energy = sum_f64(&m.data, |v| (v as f64).powi(2)) * cell * tile_ms;
    let mse = energy / (wu * hu) as f64;
    let target = 255f64.powi(2) / 10f64.powf(opts.target_psnr / 10.0);
    let alpha = (target / mse.max(1e-12)).sqrt() as f32;
    let tile: Vec<f32> = tile.iter().map(|&t| t * alpha).collect();
    let cols = m.column_weights();
    // The mark of row `yy`, mask times tile, interpolated from the coarse mask as the pixels
    // are written: no full-size plane in between.
    let mark_row = |yy: usize, row: &mut [f32], scratch: &mut Vec<f32>| {
        scratch.resize(m.width, 0.0);
        m.interpolate_row(yy, &cols, scratch, row);
        let trow = &tile[(yy % TILE) * TILE..][..TILE];
        for chunk in row.chunks_mut(TILE) {
            for (v, &t) in chunk.iter_mut().zip(trow) {
                *v *= t;
            }
        }
    };
    let fast = picture.add_luma_8bit_rows(mark_row);
    let psnr = match fast {
        Some(psnr) => psnr,
        None => {
            let mut d = Plane::zeros(wu, hu);
            let mut scratch = Vec::new();
            for (yy, row) in d.data.chunks_mut(wu).enumerate() {
                mark_row(yy, row, &mut scratch);
            }
            let before = picture.image.clone();
            picture.add_luma(&d)?;
            psnr(&before, &picture.image)
        }
    };
    Ok(EmbedReport {
        width: w,
        height: h,
        payload: payload.to_string(),
        psnr,
    })
}

/// PSNR in dB between two images of the same size, over 8-bit RGB.
pub fn psnr(a: &DynamicImage, b: &DynamicImage) -> f64 {
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    let n = a.as_raw().len().max(1) as f64;
    let se: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
        .sum();
    if se == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255f64.powi(2) / (se / n)).log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask as first written, with full-size planes.
    fn mask_reference(y: &Plane) -> Coarse {
        let mut e = y.gaussian(1.5);
        e.data.iter_mut().zip(&y.data).for_each(|(b, &a)| {
            let h = a - *b;
            *b = h * h;
        });
        finish_mask(e.block_means(2))
    }

    #[test]
    fn banded_mask_equals_the_full_plane_one() {
        // Odd sizes: partial blocks, partial bands, halos clamped at both edges.
        for (w, h) in [(257u32, 301u32), (300, 256), (64, 7)] {
            let img = image::RgbImage::from_fn(w, h, |x, y| {
                let v = ((x * 7 + y * 13) % 97 + (x * y) % 31) as u8;
                image::Rgb([v, v.wrapping_add(40), 255 - v])
            });
            let p = Picture::from_image(DynamicImage::ImageRgb8(img));
            let (fast, slow) = (mask(&p).unwrap(), mask_reference(&p.luma().unwrap()));
            assert_eq!((fast.width, fast.height), (slow.width, slow.height));
            assert_eq!(fast.data, slow.data, "{w}x{h}");
        }
    }
}
