//! What the `presale` binary's integration tests share: running the binary and reading what it
//! printed, and running one scenario on both backends.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test file uses a part

use std::process::{Command, Output};

/// Runs `presale` with `args` against `db_url` (no config file, warnings only).
pub fn presale(db_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_presale"))
        .args(args)
        .env("PRESALE_DATABASE_URL", db_url)
        .env_remove("PRESALE_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run presale")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `on_both_backends!(name, scenario)`: the tests `name::sqlite` and `name::postgres`, each
/// running `scenario(&database_url)` on a fresh database of its backend; the PostgreSQL one
/// says `SKIPPED` without `TEST_DATABASE_URL`. `async` before `scenario` awaits it in a
/// Tokio runtime.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, async $scenario:ident) => {
        mod $name {
            use presale_storage_diesel::testdb::{PostgresTestDatabase, TestDatabase};

            #[tokio::test]
            async fn sqlite() {
                let db = TestDatabase::sqlite().unwrap();
                super::$scenario(&db.url_string()).await;
            }

            #[tokio::test]
            async fn postgres() {
                match TestDatabase::postgres().unwrap() {
                    PostgresTestDatabase::Ready(db) => super::$scenario(&db.url_string()).await,
                    PostgresTestDatabase::Skipped(why) => eprintln!("SKIPPED: {why}"),
                }
            }
        }
    };
    ($name:ident, $scenario:ident) => {
        mod $name {
            use presale_storage_diesel::testdb::{PostgresTestDatabase, TestDatabase};

            #[test]
            fn sqlite() {
                let db = TestDatabase::sqlite().unwrap();
                super::$scenario(&db.url_string());
            }

            #[test]
            fn postgres() {
                match TestDatabase::postgres().unwrap() {
                    PostgresTestDatabase::Ready(db) => super::$scenario(&db.url_string()),
                    PostgresTestDatabase::Skipped(why) => eprintln!("SKIPPED: {why}"),
                }
            }
        }
    };
}
