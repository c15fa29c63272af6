//! Runtime input and output moderation for rampart.
//!
//! - [`classifier`]: rampart's own trained classifiers (prompt attacks: jailbreak, direct and
//!   indirect injection; harm: an overall probability and one per hazard category), with the
//!   data pipeline that trains them, their calibration, and their evaluation. The default weights
//!   live in `models/guard/` and are embedded in this library.
pub mod classifier;
