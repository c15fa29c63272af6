use rampart_core::{Category, Dimension};

use crate::GlobalArgs;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    if global.json {
        let cats: Vec<_> = Category::ALL
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id(),
                    "name": c.name(),
                    "mlcommons": c.mlcommons_code(),
                    "dimension": c.dimension().id(),
                    "description": c.description(),
                })
            })
            .collect();
        let dims: Vec<_> = Dimension::ALL
            .iter()
            .map(|d| serde_json::json!({"id": d.id(), "name": d.name()}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"categories": cats, "dimensions": dims})
            )?
        );
        return Ok(());
    }
    for d in Dimension::ALL {
        let cats: Vec<_> = Category::ALL
            .iter()
            .filter(|c| c.dimension() == d)
            .collect();
        if cats.is_empty() {
            continue;
        }
        println!("{} ({})", d.name(), d.id());
        for c in cats {
            let code = c
                .mlcommons_code()
                .map(|k| format!(" [{k}]"))
                .unwrap_or_default();
            println!("  {:<28}{code} {}", c.id(), c.description());
        }
    }
    Ok(())
}
