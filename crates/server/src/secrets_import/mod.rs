//! `presale secrets import <organizer> <event> <file>`: loads ticket secrets from a CSV or
//! newline-delimited JSON file of any size, streamed in chunks of 500, with the API's
//! validation (`bulk_create`'s rules, chunk by chunk).
//!
//! By default each chunk is written on its own (valid lines are kept, refused ones reported):
//! an interrupted import goes on with `--from-line`. With `--atomic` the whole file is one
//! transaction, committed only if no line was refused.

mod progress;
mod records;

pub use records::Format;

use crate::cli::CommandError;
use clap::{Args, Subcommand};
use presale_domain::event::EventRepository;
use presale_domain::ids::EventId;
use presale_domain::imported_secret::{
    import_secrets, ImportedSecretError, ImportedSecretRepository, SecretChanges, BULK_MAX,
};
use presale_domain::organizer::OrganizerRepository;
use presale_domain::store::Store;
use presale_domain::validation::FieldErrors;
use presale_http_actix::imported_secret_changes;
use presale_storage_diesel::Database;
use progress::Progress;
use records::{detect, Records};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Import secrets into an event from a CSV file (header `secret[,item,variation,subevent]`)
    /// or a newline-delimited JSON file (objects as the API takes them). Refused lines are
    /// printed on stdout as `line N: field: message`; any makes the exit status 1.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Organizer slug.
    pub organizer: String,
    /// Event slug.
    pub event: String,
    /// The file to import.
    pub file: PathBuf,
    /// All or nothing: one transaction, committed only if every line is valid (on SQLite this
    /// holds the database's write lock until the end).
    #[arg(long)]
    pub atomic: bool,
    /// Start at this line of the file (to resume an interrupted import: the progress output
    /// names the last line written).
    #[arg(long, value_name = "LINE")]
    pub from_line: Option<u64>,
    /// The file format [default: from the extension (.csv; .jsonl, .ndjson, .json), else from
    /// the first character]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

fn lines(n: u64) -> String {
    match n {
        1 => "1 line".to_owned(),
        n => format!("{n} lines"),
    }
}

fn fail(e: impl std::fmt::Display) -> CommandError {
    CommandError(e.to_string())
}

/// A record on its way into a chunk: an object to validate, or a line already refused.
enum Entry {
    Object(u64, SecretChanges),
    Unreadable(u64, String),
}

/// Counts and output of a running import.
struct Import {
    event: EventId,
    imported: u64,
    rejected: u64,
    /// The last line of the last chunk that was written (chunked mode).
    done_through: Option<u64>,
    progress: Progress,
}

/// `line N: field: message`, one line per error (object-level errors without a field).
fn rejection_lines(line: u64, errors: &FieldErrors) -> Vec<String> {
    errors
        .iter()
        .map(|(field, message)| match field {
            "non_field_errors" => format!("line {line}: {message}"),
            field => format!("line {line}: {field}: {message}"),
        })
        .collect()
}

impl Import {
    /// Validates and writes one chunk; prints its refused lines in line order.
    async fn flush(
        &mut self,
        repo: &dyn ImportedSecretRepository,
        chunk: &mut Vec<Entry>,
        bytes_read: u64,
    ) -> Result<(), CommandError> {
        if chunk.is_empty() {
            return Ok(());
        }
        let entries = std::mem::take(chunk);
        let first = match &entries[0] {
            Entry::Object(l, _) | Entry::Unreadable(l, _) => *l,
        };
        let mut lines = Vec::new();
        let mut objects = Vec::new();
        let mut refused: Vec<(u64, FieldErrors)> = Vec::new();
        let mut last = first;
        for entry in entries {
            match entry {
                Entry::Object(line, changes) => {
                    lines.push(line);
                    objects.push(changes);
                    last = line;
                }
                Entry::Unreadable(line, message) => {
                    refused.push((line, FieldErrors::non_field(message)));
                    last = line;
                }
            }
        }
        let outcome = import_secrets(repo, self.event, objects)
            .await
            .map_err(|e| match e {
                ImportedSecretError::Repository(r) => {
                    let resume = match self.done_through {
                        Some(l) => format!(
                            "lines up to {l} are imported; go on with --from-line {}",
                            l + 1
                        ),
                        None => "no line was imported".to_owned(),
                    };
                    fail(format!("lines {first}-{last}: {r}; {resume}"))
                }
                other => fail(other),
            })?;
        refused.extend(
            outcome
                .rejected
                .into_iter()
                .map(|(i, errors)| (lines[i], errors)),
        );
        refused.sort_by_key(|(line, _)| *line);
        let created = outcome.created.len() as u64;
        self.imported += created;
        self.rejected += refused.len() as u64;
        self.done_through = Some(last);
        if !refused.is_empty() {
            self.progress.clear();
            let mut out = std::io::stdout().lock();
            for (line, errors) in &refused {
                for text in rejection_lines(*line, errors) {
                    writeln!(out, "{text}").map_err(fail)?;
                }
            }
            out.flush().map_err(fail)?;
        }
        self.progress.chunk(
            first,
            last,
            created,
            refused.len() as u64,
            self.imported,
            self.rejected,
            bytes_read,
        );
        Ok(())
    }
}

/// Runs a `secrets` subcommand.
pub async fn run(db: &Database, command: SecretsCommand) -> Result<(), CommandError> {
    let SecretsCommand::Import(args) = command;
    let organizer = OrganizerRepository::find_by_slug(db, &args.organizer)
        .await
        .map_err(fail)?
        .ok_or_else(|| fail(format!("organizer '{}' does not exist", args.organizer)))?;
    let event = EventRepository::find_by_slug(db, organizer.id, &args.event)
        .await
        .map_err(fail)?
        .ok_or_else(|| fail(format!("unknown event '{}' in this organizer", args.event)))?;
    let open_error = |e: std::io::Error| fail(format!("cannot read {}: {e}", args.file.display()));
    let file = std::fs::File::open(&args.file).map_err(open_error)?;
    let size = file.metadata().map_err(open_error)?.len();
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let format = match args.format {
        Some(f) => f,
        None => detect(&args.file, reader.fill_buf().map_err(open_error)?),
    };
    let mut records =
        Records::new(reader, format).map_err(|e| fail(format!("{}: {e}", args.file.display())))?;

    let transaction = match args.atomic {
        true => Some(Store::begin(db).await.map_err(fail)?),
        false => None,
    };
    let repo: &dyn ImportedSecretRepository = match &transaction {
        Some(t) => t.imported_secrets(),
        None => db,
    };
    let from_line = args.from_line.unwrap_or(0);
    let mut import = Import {
        event: event.id,
        imported: 0,
        rejected: 0,
        done_through: None,
        progress: Progress::new(size, args.atomic),
    };
    let mut chunk: Vec<Entry> = Vec::with_capacity(BULK_MAX);
    let mut objects = 0;
    loop {
        let record = records
            .next_record()
            .map_err(|e| fail(format!("cannot read {}: {e}", args.file.display())))?;
        let Some(record) = record else { break };
        if record.line < from_line {
            continue;
        }
        match record.object {
            Ok(object) => {
                chunk.push(Entry::Object(record.line, imported_secret_changes(&object)));
                objects += 1;
            }
            Err(message) => chunk.push(Entry::Unreadable(record.line, message)),
        }
        if objects == BULK_MAX {
            import.flush(repo, &mut chunk, records.bytes_read).await?;
            objects = 0;
        }
    }
    import.flush(repo, &mut chunk, records.bytes_read).await?;
    import.progress.finish();

    let (imported, rejected) = (import.imported, import.rejected);
    match transaction {
        Some(t) if rejected == 0 => {
            t.commit().await.map_err(fail)?;
            eprintln!("imported {imported} secrets");
            Ok(())
        }
        Some(_) => Err(fail(format!(
            "{} refused: nothing was imported (--atomic)",
            lines(rejected)
        ))),
        None if rejected == 0 => {
            eprintln!("imported {imported} secrets");
            Ok(())
        }
        None => Err(fail(format!(
            "{} refused; {imported} secrets imported",
            lines(rejected)
        ))),
    }
}
