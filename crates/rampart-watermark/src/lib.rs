//! Invisible image watermarking with calibrated detection, an edit map and C2PA provenance.
//!
//! `rampart-watermark` marks generated images so they stay traceable after people edit them.
//! The mark is a key-driven spread-spectrum pattern added to the luma, tiled over the image
//! and shaped by a perceptual mask (about 40 dB PSNR by default). It carries a 32- to 64-bit
//! payload protected by a convolutional code and a CRC, and it survives rotation by any angle,
//! scaling, aspect changes, flips, quarter turns, colour inversion, heavy crops, JPEG,
//! noise, brightness/contrast changes, blur and screenshots.
//!
//! Detection resynchronises the geometry from the tile's periodicity (autocorrelation
//! lattice), searches the 8 dihedral orientations and every cyclic shift, and reports a
//! **p-value** that pays for every hypothesis tried (Bonferroni), so `detected` at the default
//! false-positive rate of 1e-6 means what it says. It also reports the recovered geometry and
//! an **edit map** (per-region mark strength) that flags images whose mark is missing in
//! places, i.e. partly replaced or inpainted.
//!
//! The signed C2PA manifest ([`provenance`]) is the authoritative claim; the mark is a soft
//! binding that points back to it when metadata is stripped.
//!
//! # Example
//!
//! ```
//! use image::{DynamicImage, RgbImage};
//! use rampart_watermark::{Attack, DetectOptions, EmbedOptions, Payload, Picture, detect, embed};
//!
//! // A textured 256x256 test image.
//! let img = RgbImage::from_fn(256, 256, |x, y| {
//!     let v = ((x * 7 + y * 13) % 97 + (x * y) % 31) as u8;
//!     image::Rgb([v, v.wrapping_add(40), 255 - v])
//! });
//! let mut picture = Picture::from_image(DynamicImage::ImageRgb8(img));
//! let payload: Payload = "1a2b3c4d".parse()?;
//! let report = embed(&mut picture, "my secret key", &payload, &EmbedOptions::default())?;
//! assert!(report.psnr > 38.0);
//!
//! // Someone mirrors the image and saves it as JPEG.
//! let edited = Attack::Chain(vec![Attack::FlipHorizontal, Attack::Jpeg(80)]).apply(&picture.image);
//! let found = detect(&Picture::from_image(edited), "my secret key", &DetectOptions::default())?;
//! assert!(found.detected && found.payload_valid);
//! assert_eq!(found.payload.as_deref(), Some("1a2b3c4d"));
//! assert!(found.geometry.unwrap().flipped);
//!
//! // The wrong key finds nothing.
//! let other = detect(&picture, "another key", &DetectOptions::default())?;
//! assert!(!other.detected);
//! # Ok::<(), rampart_watermark::WatermarkError>(())
//! ```
//!
//! Files and folders: [`embed_file`], [`detect_file`], [`batch::embed_dir`],
//! [`batch::detect_dir`]. C2PA: [`provenance::sign_file`], [`provenance::verify_file`],
//! [`provenance::generate_test_chain`].

pub mod attack;
pub mod batch;
pub mod code;
pub mod detection;
pub mod edit_map;
pub mod embedding;
pub mod error;
pub mod pattern;
pub mod payload;
pub mod picture;
pub mod plane;
pub mod provenance;
pub mod stats;
pub mod sync;

pub use attack::Attack;
pub use batch::{detect_file, embed_file};
pub use detection::{DetectOptions, Detection, Geometry, detect};
pub use edit_map::EditMap;
pub use embedding::{EmbedOptions, EmbedReport, embed, psnr};
pub use error::{Result, WatermarkError};
pub use payload::Payload;
pub use picture::{Picture, SaveOptions};

/// The `image` crate this API speaks (`DynamicImage`), re-exported so callers use the same version.
pub use image;
