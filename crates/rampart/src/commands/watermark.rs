//! `rampart watermark` (embed, detect, batch over folders) and `rampart c2pa` (sign, verify,
//! test-chain): thin wrappers over `rampart-watermark`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use rampart_watermark::batch::{self, BatchRecord};
use rampart_watermark::provenance::{self, SignOptions};
use rampart_watermark::{
    Attack, DetectOptions, Detection, EmbedOptions, Payload, Picture, SaveOptions,
};

use crate::GlobalArgs;

#[derive(Subcommand)]
pub enum WatermarkCommand {
    /// Embed an invisible watermark. INPUT and OUTPUT are files, or folders for batch mode.
    Embed {
        /// Image (PNG, JPEG, WebP) or folder of images.
        input: PathBuf,
        /// Output image (format from the extension) or output folder (must differ from INPUT).
        output: PathBuf,
        /// Secret key that drives the patterns (also RAMPART_WATERMARK_KEY).
        #[arg(long, env = "RAMPART_WATERMARK_KEY", hide_env_values = true)]
        key: String,
        /// Payload: 8 to 16 hex digits (32 to 64 bits).
        #[arg(long)]
        payload: String,
        /// Amplitude multiplier; 1.0 is 40 dB PSNR, 2.0 about 34 dB.
        #[arg(long, conflicts_with = "psnr")]
        strength: Option<f64>,
        /// Target PSNR in dB (default 40).
        #[arg(long)]
        psnr: Option<f64>,
        /// JPEG quality for JPEG outputs.
        #[arg(long, default_value_t = 95)]
        quality: u8,
        /// Batch: replace existing files in the output folder (inputs are never overwritten).
        #[arg(long)]
        overwrite: bool,
        /// Batch: write the JSONL report here instead of stdout.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Detect the watermark, read its payload, geometry and edit map. INPUT may be a folder.
    Detect {
        /// Image or folder of images.
        input: PathBuf,
        /// Secret key (also RAMPART_WATERMARK_KEY).
        #[arg(long, env = "RAMPART_WATERMARK_KEY", hide_env_values = true)]
        key: String,
        /// False-positive rate at which `detected` is decided.
        #[arg(long, default_value_t = 1e-6)]
        fpr: f64,
        /// Skip the edit map.
        #[arg(long)]
        no_edit_map: bool,
        /// Batch: write the JSONL report here instead of stdout.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Apply a named test attack (used by the benchmark). `--list` prints the names.
    #[command(hide = true)]
    Attack {
        /// Input image.
        #[arg(required_unless_present = "list")]
        input: Option<PathBuf>,
        /// Output image.
        #[arg(required_unless_present = "list")]
        output: Option<PathBuf>,
        /// Attack name.
        #[arg(long, required_unless_present = "list")]
        name: Option<String>,
        /// List attack names.
        #[arg(long)]
        list: bool,
    },
}

#[derive(Subcommand)]
pub enum C2paCommand {
    /// Sign a C2PA manifest (AI-generated, watermarked, soft binding) into a copy of INPUT.
    Sign {
        /// Image to sign (PNG, JPEG, WebP).
        input: PathBuf,
        /// Signed copy (same format).
        output: PathBuf,
        /// Certificate chain, PEM: leaf then intermediates, no root.
        #[arg(long, value_name = "CHAIN.pem")]
        cert: PathBuf,
        /// Leaf private key, PEM.
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        /// Signature algorithm: es256, es384, es512, ps256, ps384, ps512, ed25519.
        #[arg(long, default_value = "es256")]
        alg: String,
        /// Payload of the invisible watermark, recorded as the soft binding.
        #[arg(long, value_name = "HEX")]
        watermark_payload: Option<String>,
    },
    /// Validate and print the C2PA manifest of INPUT. Exits non-zero when invalid.
    Verify {
        /// Signed image.
        input: PathBuf,
        /// Trust anchors (PEM roots); without them trust is not checked.
        #[arg(long, value_name = "ROOTS.pem")]
        trust: Option<PathBuf>,
    },
    /// Create a throw-away root -> intermediate -> leaf test signing chain in DIR.
    TestChain {
        /// Output folder (chain.pem, signer.key, root.pem).
        dir: PathBuf,
    },
}

fn embed_options(strength: Option<f64>, psnr: Option<f64>) -> anyhow::Result<EmbedOptions> {
    Ok(match (strength, psnr) {
        (Some(s), _) => EmbedOptions::with_strength(s)?,
        (None, Some(p)) => EmbedOptions::with_psnr(p)?,
        (None, None) => EmbedOptions::default(),
    })
}

fn progress_bar(n: usize) -> ProgressBar {
    let pb = ProgressBar::new(n as u64);
    pb.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

/// Writes JSONL records to the report file or stdout.
fn write_report(records: &[BatchRecord], report: Option<&Path>) -> anyhow::Result<()> {
    let mut out: Box<dyn Write> = match report {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("cannot create report {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    for r in records {
        writeln!(out, "{}", serde_json::to_string(r)?)?;
    }
    out.flush()?;
    Ok(())
}

fn summarise(records: &[BatchRecord], what: &str) {
    let ok = records.iter().filter(|r| r.ok).count();
    let detected = records
        .iter()
        .filter(|r| r.detection.as_ref().is_some_and(|d| d.detected))
        .count();
    if what == "detect" {
        eprintln!(
            "{} files: {} read, {} detected, {} failed",
            records.len(),
            ok,
            detected,
            records.len() - ok
        );
    } else {
        eprintln!(
            "{} files: {} marked, {} failed",
            records.len(),
            ok,
            records.len() - ok
        );
    }
}

fn print_detection(input: &Path, d: &Detection) {
    println!(
        "{}: {}",
        input.display(),
        if d.detected {
            "watermark DETECTED"
        } else {
            "no watermark detected"
        }
    );
    println!(
        "  p-value     {:.3e}  (confidence {:.1}, z {:.2}, {} hypotheses, FPR {:e})",
        d.p_value, d.confidence, d.z_score, d.hypotheses, d.false_positive_rate
    );
    if let Some(p) = &d.payload {
        println!(
            "  payload     {p} ({})",
            if d.payload_valid {
                "CRC valid"
            } else {
                "CRC FAILED: unreliable"
            }
        );
    }
    if let Some(g) = &d.geometry {
        println!(
            "  geometry    rotation {:.2} deg, scale {:.3} x {:.3}, flipped {}, inverted {}, offset ({:.1}, {:.1}) mod 128",
            g.rotation_degrees,
            g.scale_x,
            g.scale_y,
            g.flipped,
            g.inverted,
            g.offset[0],
            g.offset[1]
        );
    }
    if let Some(m) = &d.edit_map {
        println!(
            "  edit map    {}x{} regions of {}x{} px, missing {:.1}% {}",
            m.columns,
            m.rows,
            m.cell_width,
            m.cell_height,
            100.0 * m.missing_fraction,
            if !m.reliable {
                "(mark too weak for a reliable map)"
            } else if m.edited {
                "-> EDITED"
            } else {
                "(intact)"
            }
        );
        if m.reliable && m.edited {
            for r in 0..m.rows {
                let row: String = (0..m.columns)
                    .map(|c| {
                        let i = r * m.columns + c;
                        if m.missing[i] {
                            'X'
                        } else if m.strength[i].is_none() {
                            '?'
                        } else {
                            '.'
                        }
                    })
                    .collect();
                println!("              {row}");
            }
        }
    }
}

pub fn run(command: WatermarkCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        WatermarkCommand::Embed {
            input,
            output,
            key,
            payload,
            strength,
            psnr,
            quality,
            overwrite,
            report,
        } => {
            let payload: Payload = payload.parse()?;
            let opts = embed_options(strength, psnr)?;
            let save = SaveOptions {
                jpeg_quality: quality,
            };
            if input.is_dir() {
                let n = batch::list_images(&input)?.len();
                let pb = progress_bar(n);
                let records = batch::embed_dir(
                    &input,
                    &output,
                    &key,
                    &payload,
                    &opts,
                    &save,
                    overwrite,
                    &|_| pb.inc(1),
                )?;
                pb.finish_and_clear();
                write_report(&records, report.as_deref())?;
                summarise(&records, "embed");
                if records.iter().any(|r| !r.ok) {
                    bail!("some files failed; see the report");
                }
                return Ok(());
            }
            let rep = rampart_watermark::embed_file(&input, &output, &key, &payload, &opts, &save)?;
            if global.json {
                println!("{}", serde_json::to_string_pretty(&rep)?);
            } else {
                println!(
                    "{} -> {}: payload {} embedded, {}x{}, PSNR {:.2} dB",
                    input.display(),
                    output.display(),
                    rep.payload,
                    rep.width,
                    rep.height,
                    rep.psnr
                );
            }
            Ok(())
        }
        WatermarkCommand::Detect {
            input,
            key,
            fpr,
            no_edit_map,
            report,
        } => {
            let opts = DetectOptions {
                false_positive_rate: fpr,
                edit_map: !no_edit_map,
            };
            if input.is_dir() {
                let n = batch::list_images(&input)?.len();
                let pb = progress_bar(n);
                let found = Mutex::new(0usize);
                let records = batch::detect_dir(&input, &key, &opts, &|r| {
                    if r.detection.as_ref().is_some_and(|d| d.detected) {
                        *found.lock().expect("not poisoned") += 1;
                    }
                    pb.set_message(format!("{} detected", found.lock().expect("not poisoned")));
                    pb.inc(1);
                })?;
                pb.finish_and_clear();
                write_report(&records, report.as_deref())?;
                summarise(&records, "detect");
                return Ok(());
            }
            let d = rampart_watermark::detect_file(&input, &key, &opts)?;
            if global.json {
                println!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                print_detection(&input, &d);
            }
            Ok(())
        }
        WatermarkCommand::Attack {
            input,
            output,
            name,
            list,
        } => {
            if list {
                for (n, a) in Attack::catalogue() {
                    println!("{n}\t{a:?}");
                }
                return Ok(());
            }
            let (input, output, name) = (
                input.expect("required"),
                output.expect("required"),
                name.expect("required"),
            );
            let attack = Attack::by_name(&name)
                .with_context(|| format!("unknown attack {name:?}; see --list"))?;
            let picture = Picture::open(&input)?;
            let attacked = Picture::from_image(attack.apply(&picture.image));
            attacked.save(&output, &SaveOptions::default())?;
            Ok(())
        }
    }
}

pub fn run_c2pa(command: C2paCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        C2paCommand::Sign {
            input,
            output,
            cert,
            key,
            alg,
            watermark_payload,
        } => {
            let opts = SignOptions {
                cert_chain_pem: std::fs::read(&cert)
                    .with_context(|| format!("cannot read certificate chain {}", cert.display()))?,
                private_key_pem: std::fs::read(&key)
                    .with_context(|| format!("cannot read private key {}", key.display()))?,
                alg: provenance::parse_alg(&alg)?,
                watermark_payload: watermark_payload.map(|p| p.parse()).transpose()?,
                generator: "rampart".into(),
            };
            let rep = provenance::sign_file(&input, &output, &opts)?;
            if global.json {
                println!("{}", serde_json::to_string_pretty(&rep)?);
            } else {
                println!(
                    "{} -> {}: C2PA manifest {} signed ({} bytes)",
                    input.display(),
                    output.display(),
                    rep.manifest_label.as_deref().unwrap_or("?"),
                    rep.manifest_bytes
                );
            }
            Ok(())
        }
        C2paCommand::Verify { input, trust } => {
            let anchors = trust
                .as_ref()
                .map(|p| {
                    std::fs::read_to_string(p)
                        .with_context(|| format!("cannot read trust anchors {}", p.display()))
                })
                .transpose()?;
            let v = provenance::verify_file(&input, anchors.as_deref())?;
            if global.json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("{}: C2PA manifest {}", input.display(), v.state);
                println!(
                    "  signature and hashes: {}",
                    if v.valid { "valid" } else { "INVALID" }
                );
                println!(
                    "  signer trusted: {}",
                    if trust.is_none() {
                        "not checked (pass --trust ROOTS.pem)".to_string()
                    } else {
                        v.trusted.to_string()
                    }
                );
                if let Some(t) = &v.digital_source_type {
                    println!("  digital source type: {t}");
                }
                if let Some(p) = &v.soft_binding_payload {
                    println!(
                        "  watermark soft binding: {p} (check with `rampart watermark detect`)"
                    );
                }
                for f in &v.failures {
                    println!("  failure: {f}");
                }
                if global.verbose > 0 {
                    println!("{}", serde_json::to_string_pretty(&v.manifest_store)?);
                }
            }
            if !v.valid {
                bail!("C2PA validation failed for {}", input.display());
            }
            Ok(())
        }
        C2paCommand::TestChain { dir } => {
            let c = provenance::generate_test_chain(&dir)?;
            if global.json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else {
                println!("test signing chain written (for tests only, keys unprotected):");
                println!("  --cert  {}", c.chain.display());
                println!("  --key   {}", c.key.display());
                println!("  --trust {}", c.root.display());
            }
            Ok(())
        }
    }
}
