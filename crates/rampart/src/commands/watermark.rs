//! `rampart watermark` and `rampart c2pa`: owned by the watermark work (issue 3); this file is
//! replaced by the real commands.

use clap::Subcommand;

use crate::GlobalArgs;

#[derive(Subcommand)]
pub enum WatermarkCommand {}

#[derive(Subcommand)]
pub enum C2paCommand {}

pub fn run(command: WatermarkCommand, _global: &GlobalArgs) -> anyhow::Result<()> {
    match command {}
}

pub fn run_c2pa(command: C2paCommand, _global: &GlobalArgs) -> anyhow::Result<()> {
    match command {}
}
