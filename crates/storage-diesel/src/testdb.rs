//! Fresh, isolated databases for tests: a SQLite file in a temporary directory, or a new
//! PostgreSQL database created next to the one `TEST_DATABASE_URL` names and dropped again.

use crate::connection::DatabaseUrl;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::Connection;
use std::path::PathBuf;

/// A database that exists for one test and is removed when dropped.
pub struct TestDatabase {
    url: DatabaseUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// The outcome of asking for a PostgreSQL test database.
pub enum PostgresTestDatabase {
    Ready(TestDatabase),
    /// `TEST_DATABASE_URL` is not set (and `REQUIRE_POSTGRES` is not `1`).
    Skipped(String),
}

fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{:08x}",
        std::process::id(),
        nanos,
        rand_u32()
    )
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish() as u32
}

impl TestDatabase {
    /// A new SQLite database file in its own temporary directory.
    pub fn sqlite() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(unique_name("presale_test"));
        std::fs::create_dir_all(&dir)?;
        Ok(TestDatabase {
            url: DatabaseUrl::Sqlite(dir.join("presale.sqlite3")),
            cleanup: Cleanup::Dir(dir),
        })
    }

    /// A new empty PostgreSQL database on the server `TEST_DATABASE_URL` names. Without that
    /// variable the test is skipped, unless `REQUIRE_POSTGRES=1`, which makes it an error, as
    /// does an unreachable server.
    pub fn postgres() -> Result<PostgresTestDatabase, String> {
        let admin_url = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("REQUIRE_POSTGRES").as_deref() == Ok("1") => {
                return Err("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set".into())
            }
            _ => {
                return Ok(PostgresTestDatabase::Skipped(
                    "PostgreSQL test skipped: TEST_DATABASE_URL is not set".into(),
                ))
            }
        };
        let name = unique_name("presale_test");
        let admin_url = without_tls(&admin_url);
        let mut admin = PgConnection::establish(&admin_url)
            .map_err(|e| format!("PostgreSQL at TEST_DATABASE_URL is unreachable: {e}"))?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|e| format!("cannot create test database: {e}"))?;
        let url = replace_database(&admin_url, &name);
        Ok(PostgresTestDatabase::Ready(TestDatabase {
            url: DatabaseUrl::Postgres(url),
            cleanup: Cleanup::Postgres { admin_url, name },
        }))
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The URL as a string, as the server's `--database-url` takes it.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(u) => u.clone(),
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        }
    }

    /// The PostgreSQL database name, for tests that need to cut it off.
    pub fn postgres_admin(&self) -> Option<(&str, &str)> {
        match &self.cleanup {
            Cleanup::Postgres { admin_url, name } => Some((admin_url, name)),
            Cleanup::Dir(_) => None,
        }
    }
}

/// The URL with `sslmode=disable` unless it names a mode: test servers are local, and a
/// TLS library's exit-time cleanup racing the threads that still close connections when a
/// test binary ends can abort it after every test passed.
fn without_tls(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

/// `postgres://u@h:5432/test?x=y` with the database `name` instead of `test`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[after_scheme..]
        .find('/')
        .map(|i| i + after_scheme)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..host_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("postgres://h/test?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
    }
}
