//! Image files in and out: decoding with metadata (ICC profile, EXIF), luma extraction, adding a
//! luma offset to every colour channel, and encoding back in the same bit depth.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader};
use rayon::prelude::*;

use crate::error::{Result, WatermarkError};
use crate::plane::Plane;

/// A decoded image with the metadata that must survive a round trip.
#[derive(Clone)]
pub struct Picture {
    /// The pixels.
    pub image: DynamicImage,
    /// Format the picture was decoded from (`None` when built from pixels).
    pub format: Option<ImageFormat>,
    /// Embedded ICC colour profile, if any.
    pub icc: Option<Vec<u8>>,
    /// Raw EXIF block, if any.
    pub exif: Option<Vec<u8>>,
}

/// How to write a picture.
#[derive(Clone, Debug)]
pub struct SaveOptions {
    /// JPEG quality (1-100) when the output is JPEG.
    pub jpeg_quality: u8,
}

impl Default for SaveOptions {
    fn default() -> Self {
        Self { jpeg_quality: 95 }
    }
}

fn supported(f: ImageFormat) -> bool {
    matches!(f, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)
}

/// The output format implied by a path's extension.
pub fn format_for_path(path: &Path) -> Result<ImageFormat> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "png" => Ok(ImageFormat::Png),
        "jpg" | "jpeg" => Ok(ImageFormat::Jpeg),
        "webp" => Ok(ImageFormat::WebP),
        other => Err(WatermarkError::UnsupportedFormat {
            path: path.to_path_buf(),
            detail: if other.is_empty() {
                "no file extension".into()
            } else {
                format!("extension .{other}")
            },
        }),
    }
}

impl Picture {
    /// Wraps pixels without metadata.
    pub fn from_image(image: DynamicImage) -> Self {
        Self {
            image,
            format: None,
            icc: None,
            exif: None,
        }
    }

    /// Reads and decodes a file.
    pub fn open(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| WatermarkError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Decodes an in-memory file; `path` is only used in error messages.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self> {
        let p = || path.to_path_buf();
        let reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| WatermarkError::Decode {
                path: p(),
                detail: e.to_string(),
            })?;
        let format = reader
            .format()
            .ok_or_else(|| WatermarkError::UnsupportedFormat {
                path: p(),
                detail: "the content is not a recognised image".into(),
            })?;
        if !supported(format) {
            return Err(WatermarkError::UnsupportedFormat {
                path: p(),
                detail: format!("{format:?}"),
            });
        }
        let decode_err = |e: image::ImageError| match e {
            image::ImageError::Unsupported(u) => WatermarkError::UnsupportedFormat {
                path: p(),
                detail: u.to_string(),
            },
            other => WatermarkError::Decode {
                path: p(),
                detail: other.to_string(),
            },
        };
        let mut decoder = reader.into_decoder().map_err(decode_err)?;
        let icc = decoder.icc_profile().ok().flatten();
        let exif = decoder.exif_metadata().ok().flatten();
        let image = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
        Ok(Self {
            image,
            format: Some(format),
            icc,
            exif,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// Luma (BT.601 weights) on a 0-255 scale whatever the bit depth.
    pub fn luma(&self) -> Result<Plane> {
        let (w, h) = (self.width() as usize, self.height() as usize);
        self.check_luma()?;
        let mut p = Plane::zeros(w, h);
        p.data
            .par_chunks_mut(w)
            .enumerate()
            .for_each(|(y, row)| self.luma_rows(y, row));
        Ok(p)
    }

    /// Whether [`luma_rows`](Self::luma_rows) can read these pixels.
    pub(crate) fn check_luma(&self) -> Result<()> {
        match &self.image {
            DynamicImage::ImageLuma8(_)
            | DynamicImage::ImageLumaA8(_)
            | DynamicImage::ImageRgb8(_)
            | DynamicImage::ImageRgba8(_)
            | DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA16(_)
            | DynamicImage::ImageRgb16(_)
            | DynamicImage::ImageRgba16(_) => Ok(()),
            other => Err(WatermarkError::UnsupportedPixels(format!(
                "{:?}",
                other.color()
            ))),
        }
    }

    /// Luma of rows `y0..`, as many as `out` holds (whole rows), as in [`luma`](Self::luma).
    /// Leaves `out` untouched for pixel types [`check_luma`](Self::check_luma) refuses.
    pub(crate) fn luma_rows(&self, y0: usize, out: &mut [f32]) {
        let w = self.width() as usize;
        macro_rules! fill {
            ($buf:expr, $n:expr, $scale:expr, $gray:expr) => {{
                let src = &$buf.as_raw()[y0 * w * $n..][..out.len() * $n];
                for (o, px) in out.iter_mut().zip(src.chunks_exact($n)) {
                    *o = if $gray {
                        px[0] as f32 * $scale
                    } else {
                        (0.299 * px[0] as f32 + 0.587 * px[1] as f32 + 0.114 * px[2] as f32)
                            * $scale
                    };
                }
            }};
        }
        const S16: f32 = 1.0 / 257.0;
        match &self.image {
            DynamicImage::ImageLuma8(b) => fill!(b, 1, 1.0, true),
            DynamicImage::ImageLumaA8(b) => fill!(b, 2, 1.0, true),
            DynamicImage::ImageRgb8(b) => luma_8bit(&b.as_raw()[y0 * w * 3..], 3, out),
            DynamicImage::ImageRgba8(b) => luma_8bit(&b.as_raw()[y0 * w * 4..], 4, out),
            DynamicImage::ImageLuma16(b) => fill!(b, 1, S16, true),
            DynamicImage::ImageLumaA16(b) => fill!(b, 2, S16, true),
            DynamicImage::ImageRgb16(b) => fill!(b, 3, S16, false),
            DynamicImage::ImageRgba16(b) => fill!(b, 4, S16, false),
            _ => {}
        }
    }

    /// Adds `delta` (0-255 scale) to every colour channel, leaving alpha alone; rounds and clips.
    ///
    /// Adding the same offset to R, G and B changes luma by exactly `delta` and leaves chroma
    /// untouched, which is why the mark stays invisible as colour noise.
    pub fn add_luma(&mut self, delta: &Plane) -> Result<()> {
        macro_rules! add {
            ($buf:expr, $n:expr, $colours:expr, $scale:expr, $max:expr, $t:ty) => {{
                for (px, d) in $buf.chunks_exact_mut($n).zip(&delta.data) {
                    for c in px.iter_mut().take($colours) {
                        *c = (*c as f32 + d * $scale).round().clamp(0.0, $max) as $t;
                    }
                }
            }};
        }
        match &mut self.image {
            DynamicImage::ImageLuma8(b) => add!(b, 1, 1, 1.0, 255.0, u8),
            DynamicImage::ImageLumaA8(b) => add!(b, 2, 1, 1.0, 255.0, u8),
            DynamicImage::ImageRgb8(b) => add!(b, 3, 3, 1.0, 255.0, u8),
            DynamicImage::ImageRgba8(b) => add!(b, 4, 3, 1.0, 255.0, u8),
            DynamicImage::ImageLuma16(b) => add!(b, 1, 1, 257.0, 65535.0, u16),
            DynamicImage::ImageLumaA16(b) => add!(b, 2, 1, 257.0, 65535.0, u16),
            DynamicImage::ImageRgb16(b) => add!(b, 3, 3, 257.0, 65535.0, u16),
            DynamicImage::ImageRgba16(b) => add!(b, 4, 3, 257.0, 65535.0, u16),
            other => {
                return Err(WatermarkError::UnsupportedPixels(format!(
                    "{:?}",
                    other.color()
                )));
            }
        }
        Ok(())
    }

    /// Adds a per-pixel offset (0-255 scale) to every colour channel of an 8-bit picture,
    /// leaving alpha alone, rounding and clipping, and returns the PSNR of the change over the
    /// colour channels (the same as [`psnr`](crate::psnr) of the two 8-bit RGB images).
    /// `fill(y, row, scratch)` writes the offsets of row `y` (`scratch` is its own, kept
    /// between rows of one thread); rows are produced on the fly, so no full-size offset plane
    /// is stored. `None`, with the picture untouched, for other pixel
    /// types.
    pub(crate) fn add_luma_8bit_rows(
        &mut self,
        fill: impl Fn(usize, &mut [f32], &mut Vec<f32>) + Sync,
    ) -> Option<f64> {
        let w = self.width() as usize;
        // Channels per pixel as a constant in each arm, so the loop is specialised.
        macro_rules! add {
            ($b:expr, $n:literal, $colours:literal) => {{
                let buf: &mut [u8] = $b;
                let se: u64 = buf
                    .par_chunks_mut(w * $n)
                    .enumerate()
                    .map_init(
                        || (vec![0f32; w], vec![0i16; w], vec![0i16; w * $n], Vec::new()),
                        |(drow, di, dsamples, scratch), (y, row)| {
                            fill(y, drow, scratch);
                            for (o, &d) in di.iter_mut().zip(drow.iter()) {
                                *o = round_offset(d);
                            }
                            // The offset per sample (0 on alpha), so that the per-sample loop
                            // below runs over flat slices and vectorises.
                            for (o, &d) in dsamples.chunks_exact_mut($n).zip(di.iter()) {
                                o[..$colours].fill(d);
                            }
                            add_clipped(row, dsamples)
                        },
                    )
                    .sum();
                (se, buf.len() / $n * $colours)
            }};
        }
        let (se, samples) = match &mut self.image {
            DynamicImage::ImageLuma8(b) => add!(b, 1, 1),
            DynamicImage::ImageLumaA8(b) => add!(b, 2, 1),
            DynamicImage::ImageRgb8(b) => add!(b, 3, 3),
            DynamicImage::ImageRgba8(b) => add!(b, 4, 3),
            _ => return None,
        };
        Some(if se == 0 {
            f64::INFINITY
        } else {
            10.0 * (255f64.powi(2) / (se as f64 / samples as f64)).log10()
        })
    }

    /// Encodes to bytes in `format`, keeping ICC and EXIF where the format can hold them.
    ///
    /// JPEG holds neither alpha nor 16 bits and image's WebP encoder only 8 bits, so those
    /// are converted (alpha is dropped for JPEG).
    pub fn encode(&self, format: ImageFormat, opts: &SaveOptions, path: &Path) -> Result<Vec<u8>> {
        let enc_err = |e: image::ImageError| WatermarkError::Encode {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let mut out = Vec::new();
        let img = &self.image;
        let converted;
        let img: &DynamicImage = match format {
            ImageFormat::Jpeg => {
                converted = if img.color().has_color() {
                    DynamicImage::ImageRgb8(img.to_rgb8())
                } else {
                    DynamicImage::ImageLuma8(img.to_luma8())
                };
                &converted
            }
            ImageFormat::WebP => {
                converted = if img.color().has_alpha() {
                    DynamicImage::ImageRgba8(img.to_rgba8())
                } else {
                    DynamicImage::ImageRgb8(img.to_rgb8())
                };
                &converted
            }
            _ => img,
        };
        macro_rules! write {
            ($enc:expr) => {{
                let mut enc = $enc;
                if let Some(icc) = &self.icc {
                    let _ = enc.set_icc_profile(icc.clone());
                }
                if let Some(exif) = &self.exif {
                    let _ = enc.set_exif_metadata(exif.clone());
                }
                enc.write_image(
                    img.as_bytes(),
                    img.width(),
                    img.height(),
                    img.color().into(),
                )
                .map_err(enc_err)?;
            }};
        }
        match format {
            ImageFormat::Png => write!(image::codecs::png::PngEncoder::new(&mut out)),
            ImageFormat::Jpeg => {
                write!(image::codecs::jpeg::JpegEncoder::new_with_quality(
                    &mut out,
                    opts.jpeg_quality.clamp(1, 100)
                ))
            }
            ImageFormat::WebP => write!(image::codecs::webp::WebPEncoder::new_lossless(&mut out)),
            other => {
                return Err(WatermarkError::UnsupportedFormat {
                    path: path.to_path_buf(),
                    detail: format!("{other:?}"),
                });
            }
        }
        Ok(out)
    }

    /// Encodes and writes to `path`, the format chosen by its extension.
    pub fn save(&self, path: &Path, opts: &SaveOptions) -> Result<()> {
        let format = format_for_path(path)?;
        let bytes = self.encode(format, opts, path)?;
        write_file(path, &bytes)
    }
}

/// Luma of 8-bit colour pixels (`n` channels, colour first) from per-channel tables: the
/// products `0.299 * r` etc. are the same `f32`s the formula of [`Picture::luma`] computes and
/// are added in the same order, so the result is identical, without three int-to-float
/// conversions per pixel.
fn luma_8bit(src: &[u8], n: usize, out: &mut [f32]) {
    static TABLES: std::sync::LazyLock<[[f32; 256]; 3]> = std::sync::LazyLock::new(|| {
        let mut t = [[0f32; 256]; 3];
        for (table, weight) in t.iter_mut().zip([0.299f32, 0.587, 0.114]) {
            for (v, e) in table.iter_mut().enumerate() {
                *e = weight * v as f32;
            }
        }
        t
    });
    let [tr, tg, tb] = &*TABLES;
    for (o, px) in out.iter_mut().zip(src.chunks_exact(n)) {
        *o = tr[px[0] as usize] + tg[px[1] as usize] + tb[px[2] as usize];
    }
}

/// `d` rounded half up, as an offset to add to 8-bit samples: round(c + d) = c + round(d)
/// for integer c, and beyond +-255 every sample clips anyway.
///
/// The same as `(d + 256.5) as i32 - 256` (truncating a positive number), without Rust's
/// saturating float-to-int cast, which stops the loop from vectorising: adding 2^23 rounds
/// `x` to the nearest integer in the low bits of the float, and one less where that rounded
/// up gives the floor.
#[inline]
fn round_offset(d: f32) -> i16 {
    const MAGIC: f32 = 8_388_608.0;
    let x = d.clamp(-255.0, 255.0) + 256.5;
    let m = x + MAGIC;
    let rounded = m.to_bits() as i32 - MAGIC.to_bits() as i32;
    (rounded - ((m - MAGIC) > x) as i32 - 256) as i16
}

/// `row[i] += d[i]` clipped to 0-255; returns the sum of squared changes.
fn add_clipped(row: &mut [u8], d: &[i16]) -> u64 {
    let mut total = 0u64;
    // A u32 sum cannot overflow over 65,536 samples of at most 255^2 each.
    for (r, d) in row.chunks_mut(1 << 16).zip(d.chunks(1 << 16)) {
        let mut se = 0u32;
        for (c, &d) in r.iter_mut().zip(d) {
            let v = (*c as i16 + d).clamp(0, 255);
            let e = (v - *c as i16) as i32;
            se += (e * e) as u32;
            *c = v as u8;
        }
        total += se as u64;
    }
    total
}

/// Writes bytes, with a helpful error.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|source| WatermarkError::Io {
        action: "write",
        path: PathBuf::from(path),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_offset_matches_truncation() {
        let mut d = -300.0f32;
        while d < 300.0 {
            for v in [d, d.next_up(), d.next_down(), d + 0.5] {
                let want = ((v + 256.5) as i32 - 256).clamp(-255, 255) as i16;
                assert_eq!(round_offset(v), want, "{v}");
            }
            d += 0.0625;
        }
        assert_eq!(round_offset(f32::INFINITY), 255);
        assert_eq!(round_offset(f32::NEG_INFINITY), -255);
    }

    #[test]
    fn luma_tables_match_the_formula() {
        let mut src = Vec::new();
        for r in (0..=255u8).step_by(3) {
            for g in 0..=255u8 {
                for b in (0..=255u8).step_by(5) {
                    src.extend([r, g, b]);
                }
            }
        }
        let mut out = vec![0f32; src.len() / 3];
        luma_8bit(&src, 3, &mut out);
        for (px, &o) in src.chunks_exact(3).zip(&out) {
            let want = (0.299 * px[0] as f32 + 0.587 * px[1] as f32 + 0.114 * px[2] as f32) * 1.0;
            assert_eq!(o.to_bits(), want.to_bits(), "{px:?}");
        }
    }
}
