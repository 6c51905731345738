#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure
//! `presale secrets import` as a user runs it, on both backends: files with good and bad
//! lines in CSV and JSON lines, the refused lines reported by number with the API's
//! messages, the exit status, resuming with `--from-line`, and `--atomic`.

mod common;

use common::{presale, stderr, stdout};

use diesel::connection::SimpleConnection;
use presale_domain::event::EventRepository;
use presale_domain::imported_secret::{ImportedSecretRepository, SecretFilter};
use presale_domain::organizer::OrganizerRepository;
use presale_domain::pagination::Window;
use presale_storage_diesel::{Database, DbConnection, PoolOptions};
use std::path::PathBuf;

/// A file in the temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, content: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "presale-{}-{}-{name}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Organizer `bigevents` with the event `conf` (product 1 with variation 11) and `other`
/// (product 2).
fn setup(url: &str) {
    let o = presale(url, &["organizer", "create", "bigevents", "--name", "Big"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut conn = presale_storage_diesel::DatabaseUrl::parse(url)
        .unwrap()
        .connect()
        .unwrap();
    let sql = "\
        INSERT INTO events (organizer_id, slug, name, currency, date_from, timezone, \
            signing_private_key, signing_public_key, created) \
        SELECT id, 'conf', '{\"en\":\"Conf\"}', 'EUR', '2030-01-01 10:00:00', 'UTC', 'k', 'k', \
            '2030-01-01 00:00:00' FROM organizers; \
        INSERT INTO events (organizer_id, slug, name, currency, date_from, timezone, \
            signing_private_key, signing_public_key, created) \
        SELECT id, 'other', '{\"en\":\"Other\"}', 'EUR', '2030-01-01 10:00:00', 'UTC', 'k', 'k', \
            '2030-01-01 00:00:00' FROM organizers; \
        INSERT INTO items (id, event_id, name) SELECT 1, id, '{\"en\":\"T\"}' FROM events WHERE slug = 'conf'; \
        INSERT INTO item_variations (id, item_id, value) VALUES (11, 1, '{\"en\":\"V\"}'); \
        INSERT INTO items (id, event_id, name) SELECT 2, id, '{\"en\":\"T\"}' FROM events WHERE slug = 'other';";
    match &mut conn {
        DbConnection::Pg(c) => c.batch_execute(sql),
        DbConnection::Sqlite(c) => c.batch_execute(sql),
    }
    .unwrap();
}

/// The secrets of event `conf`, in id order: `secret item variation used`.
async fn stored(url: &str) -> Vec<String> {
    let db = Database::open(
        presale_storage_diesel::DatabaseUrl::parse(url).unwrap(),
        PoolOptions::default(),
    )
    .unwrap();
    let org = OrganizerRepository::find_by_slug(&db, "bigevents")
        .await
        .unwrap()
        .unwrap();
    let event = EventRepository::find_by_slug(&db, org.id, "conf")
        .await
        .unwrap()
        .unwrap();
    let window = Window {
        offset: 0,
        limit: 100_000,
    };
    let page = ImportedSecretRepository::list(&db, event.id, SecretFilter::default(), window)
        .await
        .unwrap();
    let show = |v: Option<i64>| v.map_or("-".to_owned(), |v| v.to_string());
    page.items
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {}",
                s.data.secret,
                show(s.data.item.map(|i| i.0)),
                show(s.data.variation.map(|v| v.0)),
                s.data.used
            )
        })
        .collect()
}

/// Good lines, and bad ones of every kind; line 5 is blank.
fn csv() -> String {
    let long = "x".repeat(256);
    format!(
        "secret,item,variation,subevent
good-1,,,
good-2,1,11,
\"good,3\",1,,

,
dup,,,
good-1,,,
{long},,,
bad-item,2,,
bad-variation,x,11,
short
dup,,,
good-4,1,,
"
    )
}

async fn csv_with_good_and_bad_lines(url: &str) {
    setup(url);
    let file = TempFile::new("secrets.csv", &csv());
    let o = presale(
        url,
        &["secrets", "import", "bigevents", "conf", file.path()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "line 6: Expected 4 fields, found 2.
line 8: secret: This secret is contained in the request more than once.
line 9: secret: Ensure this field has no more than 255 characters.
line 10: item: Invalid pk \"2\" - object does not exist.
line 11: item: Incorrect type. Expected pk value, received str.
line 12: Expected 4 fields, found 1.
line 13: secret: This secret is contained in the request more than once.
"
    );
    let err = stderr(&o);
    assert!(err.contains("lines 2-14: 5 imported, 7 refused\n"), "{err}");
    assert!(
        err.ends_with("error: 7 lines refused; 5 secrets imported\n"),
        "{err}"
    );
    assert_eq!(
        stored(url).await,
        [
            "good-1 - - false",
            "good-2 1 11 false",
            "good,3 1 - false",
            "dup - - false",
            "good-4 1 - false"
        ]
    );

    // Run again from line 10: the lines before are skipped, the rest checked again.
    let o = presale(
        url,
        &[
            "secrets",
            "import",
            "bigevents",
            "conf",
            file.path(),
            "--from-line",
            "13",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "line 13: secret: This secret has already been imported.
line 14: secret: This secret has already been imported.
"
    );

    // A file without a usable header, an unknown event: nothing happens, exit status 1.
    let bad = TempFile::new("bad.csv", "code,item\nA,1\n");
    let o = presale(url, &["secrets", "import", "bigevents", "conf", bad.path()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("line 1: unknown column 'code'"),
        "{}",
        stderr(&o)
    );
    let o = presale(
        url,
        &["secrets", "import", "bigevents", "nope", file.path()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "error: unknown event 'nope' in this organizer\n"
    );
    let o = presale(url, &["secrets", "import", "nobody", "conf", file.path()]);
    assert_eq!(stderr(&o), "error: organizer 'nobody' does not exist\n");
    assert_eq!(stored(url).await.len(), 5);
}

/// 1,200 lines, three chunks; line 1,150 repeats line 3: a duplicate across chunks.
fn json_lines(bad: bool) -> String {
    let mut text = String::new();
    for i in 1..=1200 {
        let line = match i {
            1150 if bad => "{\"secret\": \"s3\"}".to_owned(),
            700 if bad => "{\"secret\": \"s700\", \"used\": \"maybe\"}".to_owned(),
            900 if bad => "[\"s900\"]".to_owned(),
            _ => format!(
                "{{\"secret\": \"s{i}\", \"item\": 1, \"used\": {}}}",
                i % 2 == 0
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

async fn atomic_json_lines(url: &str) {
    setup(url);
    let file = TempFile::new("secrets.jsonl", &json_lines(true));
    let o = presale(
        url,
        &[
            "secrets",
            "import",
            "bigevents",
            "conf",
            file.path(),
            "--atomic",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "line 700: used: Must be a valid boolean.
line 900: Invalid data. Expected a dictionary, but got list.
line 1150: secret: This secret has already been imported.
"
    );
    let err = stderr(&o);
    assert!(err.contains("lines 1-500: 500 valid, 0 refused\n"), "{err}");
    assert!(
        err.ends_with("error: 3 lines refused: nothing was imported (--atomic)\n"),
        "{err}"
    );
    assert_eq!(stored(url).await, Vec::<String>::new());

    // The corrected file: all of it, in one go.
    let fixed = TempFile::new("fixed.ndjson", &json_lines(false));
    let o = presale(
        url,
        &[
            "secrets",
            "import",
            "bigevents",
            "conf",
            fixed.path(),
            "--atomic",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).ends_with("imported 1200 secrets\n"));
    let all = stored(url).await;
    assert_eq!(all.len(), 1200);
    assert_eq!(all[0], "s1 1 - false");
    assert_eq!(all[1199], "s1200 1 - true");
}

on_both_backends!(csv_import, async csv_with_good_and_bad_lines);

on_both_backends!(atomic_import, async atomic_json_lines);
