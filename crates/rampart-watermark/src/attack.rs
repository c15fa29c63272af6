//! The attacks the mark is tested against: geometric, photometric and re-encoding edits.
//!
//! They are part of the public API so that the tests, the benchmark and users reproducing our
//! numbers apply exactly the same edits.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, imageops::FilterType};

use crate::pattern::Rng;

/// One edit of an image.
#[derive(Clone, Debug, PartialEq)]
pub enum Attack {
    /// Rotate clockwise by degrees; `crop` keeps the largest centred rectangle of the original
    /// aspect that has no padding, else the canvas grows and corners are black.
    Rotate {
        /// Degrees, clockwise.
        degrees: f64,
        /// Crop to fit.
        crop: bool,
    },
    /// Resize by factors (kept at the new size).
    Scale {
        /// Width factor.
        x: f64,
        /// Height factor.
        y: f64,
    },
    /// Mirror left-right.
    FlipHorizontal,
    /// Mirror top-bottom.
    FlipVertical,
    /// Quarter turns clockwise (1, 2 or 3).
    Turn(u8),
    /// Negative image.
    Invert,
    /// Keep a rectangle of this fraction of the area, same aspect, at a relative position
    /// (0,0 = top-left corner, 0.5,0.5 = centre).
    Crop {
        /// Kept area fraction.
        area: f64,
        /// Relative x position of the kept window.
        at_x: f64,
        /// Relative y position.
        at_y: f64,
    },
    /// JPEG re-encode at a quality.
    Jpeg(u8),
    /// Additive Gaussian noise with this standard deviation (0-255 scale).
    Noise {
        /// Standard deviation.
        sigma: f64,
        /// Seed.
        seed: u64,
    },
    /// Multiply intensities by a factor (1.2 = +20%).
    Brightness(f64),
    /// Scale contrast around the mean by a factor.
    Contrast(f64),
    /// Gaussian blur with this sigma in pixels.
    Blur(f32),
    /// A screenshot: displayed at another size, captured and re-encoded (resize, then JPEG).
    Screenshot {
        /// Display scale.
        scale: f64,
        /// JPEG quality of the capture.
        quality: u8,
    },
    /// Replace a rectangle (relative coordinates x, y, width, height) with content from
    /// elsewhere (a smooth synthetic patch), like an inpainting edit.
    Replace {
        /// Relative rectangle.
        rect: [f64; 4],
    },
    /// Several attacks in order.
    Chain(Vec<Attack>),
}

impl Attack {
    /// The attack list of the benchmark, by name.
    pub fn catalogue() -> Vec<(&'static str, Attack)> {
        use Attack::*;
        vec![
            ("none", Chain(vec![])),
            (
                "rot5",
                Rotate {
                    degrees: 5.0,
                    crop: false,
                },
            ),
            (
                "rot15_crop",
                Rotate {
                    degrees: 15.0,
                    crop: true,
                },
            ),
            (
                "rot33",
                Rotate {
                    degrees: 33.0,
                    crop: false,
                },
            ),
            (
                "rot45_crop",
                Rotate {
                    degrees: 45.0,
                    crop: true,
                },
            ),
            ("scale0.5", Scale { x: 0.5, y: 0.5 }),
            ("scale0.75", Scale { x: 0.75, y: 0.75 }),
            ("scale1.5", Scale { x: 1.5, y: 1.5 }),
            ("scale2", Scale { x: 2.0, y: 2.0 }),
            ("aspect1.3x", Scale { x: 1.3, y: 1.0 }),
            ("aspect0.8y", Scale { x: 1.0, y: 0.8 }),
            ("hflip", FlipHorizontal),
            ("vflip", FlipVertical),
            ("turn90", Turn(1)),
            ("turn180", Turn(2)),
            ("turn270", Turn(3)),
            ("invert", Invert),
            (
                "crop50",
                Crop {
                    area: 0.5,
                    at_x: 0.3,
                    at_y: 0.7,
                },
            ),
            (
                "crop25",
                Crop {
                    area: 0.25,
                    at_x: 0.8,
                    at_y: 0.2,
                },
            ),
            ("jpeg90", Jpeg(90)),
            ("jpeg75", Jpeg(75)),
            ("jpeg50", Jpeg(50)),
            (
                "noise5",
                Noise {
                    sigma: 5.0,
                    seed: 7,
                },
            ),
            ("bright+20", Brightness(1.2)),
            ("bright-20", Brightness(0.8)),
            ("contrast+20", Contrast(1.2)),
            ("contrast-20", Contrast(0.8)),
            ("blur1", Blur(1.0)),
            (
                "screenshot",
                Screenshot {
                    scale: 0.8,
                    quality: 80,
                },
            ),
            (
                "combo",
                Chain(vec![
                    Rotate {
                        degrees: 10.0,
                        crop: true,
                    },
                    Scale { x: 0.7, y: 0.7 },
                    FlipHorizontal,
                    Brightness(1.1),
                    Jpeg(70),
                ]),
            ),
        ]
    }

    /// Looks an attack up in the [`catalogue`](Self::catalogue).
    pub fn by_name(name: &str) -> Option<Attack> {
        Self::catalogue()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| a)
    }

    /// Applies the attack; the result is 8-bit RGB.
    pub fn apply(&self, img: &DynamicImage) -> DynamicImage {
        let rgb = img.to_rgb8();
        DynamicImage::ImageRgb8(self.apply_rgb(rgb))
    }

    fn apply_rgb(&self, img: RgbImage) -> RgbImage {
        let (w, h) = img.dimensions();
        match self {
            Attack::Rotate { degrees, crop } => rotate(&img, *degrees, *crop),
            Attack::Scale { x, y } => {
                let nw = ((w as f64 * x).round() as u32).max(1);
                let nh = ((h as f64 * y).round() as u32).max(1);
                let filter = if *x < 1.0 || *y < 1.0 {
                    FilterType::Lanczos3
                } else {
                    FilterType::CatmullRom
                };
                image::imageops::resize(&img, nw, nh, filter)
            }
            Attack::FlipHorizontal => image::imageops::flip_horizontal(&img),
            Attack::FlipVertical => image::imageops::flip_vertical(&img),
            Attack::Turn(n) => match n % 4 {
                1 => image::imageops::rotate90(&img),
                2 => image::imageops::rotate180(&img),
                3 => image::imageops::rotate270(&img),
                _ => img,
            },
            Attack::Invert => {
                let mut o = img;
                o.pixels_mut()
                    .for_each(|p| p.0.iter_mut().for_each(|c| *c = 255 - *c));
                o
            }
            Attack::Crop { area, at_x, at_y } => {
                let f = area.clamp(0.0, 1.0).sqrt();
                let (cw, ch) = (
                    ((w as f64 * f) as u32).max(1),
                    ((h as f64 * f) as u32).max(1),
                );
                let x0 = ((w - cw) as f64 * at_x.clamp(0.0, 1.0)) as u32;
                let y0 = ((h - ch) as f64 * at_y.clamp(0.0, 1.0)) as u32;
                image::imageops::crop_imm(&img, x0, y0, cw, ch).to_image()
            }
            Attack::Jpeg(q) => jpeg(&img, *q),
            Attack::Noise { sigma, seed } => {
                let mut rng = Rng::from_parts(&[b"noise", &seed.to_le_bytes()]);
                let mut o = img;
                o.pixels_mut().for_each(|p| {
                    p.0.iter_mut().for_each(|c| {
                        *c = (*c as f64 + sigma * rng.next_gaussian())
                            .round()
                            .clamp(0.0, 255.0) as u8
                    })
                });
                o
            }
            Attack::Brightness(f) => map_channels(img, |v| v * f),
            Attack::Contrast(f) => {
                let mean = img.as_raw().iter().map(|&v| v as f64).sum::<f64>()
                    / img.as_raw().len().max(1) as f64;
                map_channels(img, |v| (v - mean) * f + mean)
            }
            Attack::Blur(s) => image::imageops::blur(&img, *s),
            Attack::Screenshot { scale, quality } => {
                let s = Attack::Scale {
                    x: *scale,
                    y: *scale,
                }
                .apply_rgb(img);
                jpeg(&s, *quality)
            }
            Attack::Replace { rect } => {
                let mut o = img;
                let x0 = (rect[0] * w as f64) as u32;
                let y0 = (rect[1] * h as f64) as u32;
                let x1 = (((rect[0] + rect[2]) * w as f64) as u32).min(w);
                let y1 = (((rect[1] + rect[3]) * h as f64) as u32).min(h);
                let mut rng = Rng::from_parts(&[b"replace"]);
                for y in y0..y1 {
                    for x in x0..x1 {
                        // Smooth content plus fresh sensor-like noise: carries no mark.
                        let base =
                            100.0 + 60.0 * ((x as f64 / 23.0).sin() * (y as f64 / 31.0).cos());
                        let n = 4.0 * rng.next_gaussian();
                        let v = (base + n).clamp(0.0, 255.0) as u8;
                        o.put_pixel(x, y, Rgb([v, v.saturating_add(10), v.saturating_sub(10)]));
                    }
                }
                o
            }
            Attack::Chain(list) => list.iter().fold(img, |acc, a| a.apply_rgb(acc)),
        }
    }
}

fn map_channels(mut img: RgbImage, f: impl Fn(f64) -> f64) -> RgbImage {
    img.pixels_mut().for_each(|p| {
        p.0.iter_mut()
            .for_each(|c| *c = f(*c as f64).round().clamp(0.0, 255.0) as u8)
    });
    img
}

fn jpeg(img: &RgbImage, q: u8) -> RgbImage {
    let mut buf = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, q);
    if img.write_with_encoder(enc).is_err() {
        return img.clone();
    }
    image::load(Cursor::new(buf), ImageFormat::Jpeg)
        .map(|i| i.to_rgb8())
        .unwrap_or_else(|_| img.clone())
}

/// Bilinear rotation about the centre.
fn rotate(img: &RgbImage, degrees: f64, crop: bool) -> RgbImage {
    let (w, h) = (img.width() as f64, img.height() as f64);
    let t = degrees.to_radians();
    let (c, s) = (t.cos(), t.sin());
    let (ow, oh) = if crop {
        // Largest rectangle of the same aspect inside the rotated image.
        let k = 1.0 / (c.abs() + s.abs() * (w.max(h) / w.min(h)));
        ((w * k).floor(), (h * k).floor())
    } else {
        (
            (w * c.abs() + h * s.abs()).ceil(),
            (w * s.abs() + h * c.abs()).ceil(),
        )
    };
    let (ow, oh) = (ow.max(1.0) as u32, oh.max(1.0) as u32);
    let (icx, icy) = ((w - 1.0) / 2.0, (h - 1.0) / 2.0);
    let (ocx, ocy) = ((ow as f64 - 1.0) / 2.0, (oh as f64 - 1.0) / 2.0);
    RgbImage::from_fn(ow, oh, |x, y| {
        let (dx, dy) = (x as f64 - ocx, y as f64 - ocy);
        // Inverse of a clockwise rotation (y down).
        let sx = c * dx + s * dy + icx;
        let sy = -s * dx + c * dy + icy;
        if sx < 0.0 || sy < 0.0 || sx > w - 1.0 || sy > h - 1.0 {
            return Rgb([0, 0, 0]);
        }
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (x1, y1) = (
            (x0 + 1).min(img.width() - 1),
            (y0 + 1).min(img.height() - 1),
        );
        let (fx, fy) = (sx - x0 as f64, sy - y0 as f64);
        let mut out = [0u8; 3];
        for (k, o) in out.iter_mut().enumerate() {
            let p = |xx, yy| img.get_pixel(xx, yy).0[k] as f64;
            let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
            let bot = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
            *o = (top * (1.0 - fy) + bot * fy).round().clamp(0.0, 255.0) as u8;
        }
        Rgb(out)
    })
}
