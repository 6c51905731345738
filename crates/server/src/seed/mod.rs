//! `presale seed <file>`, `presale serve --seed <file>` and `presale export <organizer>`: an
//! organizer's configuration as one declarative JSON or YAML document (docs/testing-with-presale.md).
//!
//! Seeding reads every entry with the API's own body readers and rules
//! ([`presale_domain::seed::validate`]), prints every refused entry with its path, and writes
//! nothing unless the whole document passed; then everything is written in one transaction.

mod export;

pub use export::render;

use crate::cli::CommandError;
use clap::Args;
use presale_domain::seed::{self, FixtureStore, SeedError};
use presale_http_actix::ApiBodyReader;
use presale_storage_diesel::Database;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The fixture: JSON, or YAML when the name ends in .yaml or .yml.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Organizer slugs.
    #[arg(required = true)]
    pub organizers: Vec<String>,
    /// Write to this file instead of stdout (YAML when the name ends in .yaml or .yml).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn fail(e: impl std::fmt::Display) -> CommandError {
    CommandError(e.to_string())
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .as_deref(),
        Some("yaml" | "yml")
    )
}

/// The document in a JSON or YAML file.
pub fn read_document(path: &Path) -> Result<Value, CommandError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
    let parsed = if is_yaml(path) {
        serde_yaml_ng::from_str::<Value>(&text).map_err(|e| e.to_string())
    } else {
        serde_json::from_str::<Value>(&text).map_err(|e| format!("JSON parse error - {e}"))
    };
    parsed.map_err(|e| fail(format!("{}: {e}", path.display())))
}

fn plural(n: usize, one: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {one}s"),
    }
}

/// Validates the file's document and writes it; refused entries are printed on stderr, one
/// per line, and nothing is written.
pub async fn seed_file(db: &Database, path: &Path) -> Result<(), CommandError> {
    let document = read_document(path)?;
    seed_document(db, &document, &path.display().to_string()).await
}

/// The demo organizer's fixture (`serve --demo`): a team with every permission and a sample
/// event with a product, a quota and imported secrets.
const DEMO: &str = include_str!("demo.yaml");

/// Seeds the demo organizer's fixture.
pub async fn seed_demo(db: &Database) -> Result<(), CommandError> {
    let document = serde_yaml_ng::from_str::<Value>(DEMO).map_err(fail)?;
    seed_document(db, &document, "the demo fixture").await
}

/// Validates a document and writes it; refused entries are printed on stderr, one per line,
/// and nothing is written. `origin` names the document in messages.
async fn seed_document(db: &Database, document: &Value, origin: &str) -> Result<(), CommandError> {
    let fixture = match seed::validate(db, &ApiBodyReader, document).await {
        Ok(f) => f,
        Err(SeedError::Invalid(errors)) => {
            let mut err = std::io::stderr().lock();
            for e in &errors {
                writeln!(err, "{e}").map_err(fail)?;
            }
            return Err(fail(format!(
                "{origin}: {}; nothing was written",
                plural(errors.len(), "error")
            )));
        }
        Err(SeedError::Repository(r)) => return Err(fail(r)),
    };
    let organizers = fixture.organizers.len();
    db.apply(fixture).await.map_err(fail)?;
    eprintln!("seeded {} from {origin}", plural(organizers, "organizer"));
    Ok(())
}

/// Writes the organizers as a document to the output file or stdout.
pub async fn export(db: &Database, args: ExportArgs) -> Result<(), CommandError> {
    let mut snapshots = Vec::with_capacity(args.organizers.len());
    for slug in &args.organizers {
        let snapshot = db
            .export(slug)
            .await
            .map_err(fail)?
            .ok_or_else(|| fail(format!("organizer '{slug}' does not exist")))?;
        snapshots.push(snapshot);
    }
    let document = render(&snapshots);
    let yaml = args.output.as_deref().is_some_and(is_yaml);
    let text = if yaml {
        serde_yaml_ng::to_string(&document).map_err(fail)?
    } else {
        let mut t = serde_json::to_string_pretty(&document).map_err(fail)?;
        t.push('\n');
        t
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| fail(format!("cannot write {}: {e}", path.display()))),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).map_err(fail)?;
            out.flush().map_err(fail)
        }
    }
}
