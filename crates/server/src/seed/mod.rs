//! Fixtures: an organizer's whole configuration as one declarative document (the `presale seed`
//! and `presale export` format), written through the API.
//!
//! - A document is `{"version": 1, "organizers": [...]}`; every entry has the API's field
//!   names and shapes (an event entry is a `POST /events/` body plus nested `settings`,
//!   `items`, `subevents`, `quotas`, `digital_contents` and `imported_secrets`).
//! - Seeding opens one transaction and walks the document ([`walk`]): each entry is read with
//!   the API's body readers and written with the API's use cases, as a `PUT` of the stored
//!   object it names (by natural key) or a `POST` of a new one. A refused entry writes
//!   nothing; every one is reported with its path ([`EntryError`]), and the transaction is
//!   committed only when there is none.
//! - Export reads the organizers through the same repositories and shows each resource with
//!   the API's renderers, keeping the fields a document gives.

mod export;
mod fields;
#[cfg(test)]
mod tests;
mod walk;

use crate::cli::CommandError;
use clap::Args;
use presale_domain::store::Store;
use presale_storage_diesel::Database;
use serde_json::Value;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The document version this module reads and writes.
pub const VERSION: i64 = 1;

/// One refused entry of a document: where it is, which field, and the API's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    /// `organizers[0].events[1]`, or `` for the document itself.
    pub path: String,
    /// The entry's natural key as written (an event's slug, a product's name, ...).
    pub label: Option<String>,
    /// `None` for an error of the entry as a whole.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for EntryError {
    /// `organizers[0].events[1] (conference): date_from: This field is required.`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "document"
        } else {
            &self.path
        };
        f.write_str(path)?;
        if let Some(label) = &self.label {
            write!(f, " ({label})")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A token written in a fixture (a team's API token, a device's API or initialization token):
/// 16 to 128 characters of `A-Za-z0-9_-`, so that tests can use fixed, readable values.
/// Generated tokens (64 characters of `a-z0-9`) have this shape too.
pub fn check_fixed_token(token: &str) -> Result<(), &'static str> {
    let ok = (16..=128).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err("A token has 16 to 128 characters of a-z, A-Z, 0-9, '-' and '_'.")
    }
}

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
    let yaml =
        |e: &std::ffi::OsStr| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml");
    path.extension().is_some_and(yaml)
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
    let tx = db.begin().await.map_err(fail)?;
    let (organizers, errors) = walk::walk(tx.as_ref(), document).await.map_err(fail)?;
    if !errors.is_empty() {
        drop(tx);
        let mut err = std::io::stderr().lock();
        for e in &errors {
            writeln!(err, "{e}").map_err(fail)?;
        }
        return Err(fail(format!(
            "{origin}: {}; nothing was written",
            plural(errors.len(), "error")
        )));
    }
    tx.commit().await.map_err(fail)?;
    eprintln!("seeded {} from {origin}", plural(organizers, "organizer"));
    Ok(())
}

pub async fn export(db: &Database, args: ExportArgs) -> Result<(), CommandError> {
    let mut organizers = Vec::with_capacity(args.organizers.len());
    for slug in &args.organizers {
        let organizer = export::organizer(db, slug)
            .await
            .map_err(fail)?
            .ok_or_else(|| fail(format!("organizer '{slug}' does not exist")))?;
        organizers.push(organizer);
    }
    let document = serde_json::json!({"version": VERSION, "organizers": organizers});
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
