//! One module per top-level subcommand. Each exposes a clap type and a `run` function taking
//! the parsed arguments and the [`GlobalArgs`](crate::GlobalArgs).

pub mod categories;
pub mod chat;
pub mod eval;
pub mod gateway;
pub mod guard;
pub mod guard_check;
pub mod models;
pub mod redteam;
pub mod redteam_run;
pub mod runs;
pub mod scan;
pub mod watermark;
