//! What this process knows of changes to the data, per organizer: the one source of truth for
//! every cache of reads (the credential cache here, the HTTP edge's kept answers).
//!
//! Everything the API shows belongs to one organizer, and so does every credential (a team's
//! token, a device). A cache entry therefore names its organizer and carries a *mark*, taken
//! with [`Changes::mark`] before its database read; it may be served while
//! [`Changes::unchanged_since`] says that nothing of its organizer changed since that mark. A
//! change to organizer A leaves organizer B's entries alone.
//!
//! Changes are learnt from the database itself, whoever made them (this process, another
//! Presale process, the CLI, plain SQL): triggers on every table the API shows record the
//! organizer of every committed change (the `change_announcements` migrations).
//!
//! - **PostgreSQL** announces each with `NOTIFY presale_changes`; a thread of this process
//!   listens on a connection of its own and marks the organizer changed as soon as the
//!   notification arrives (within milliseconds of the COMMIT). While that connection is lost,
//!   [`Changes::mark`] gives nothing and no entry is fresh: caches are bypassed until the
//!   thread listens again, and then everything from before counts as changed.
//! - **SQLite** records each in the table `presale_changes`; before any entry is judged,
//!   [`Changes::mark`] asks SQLite whether any connection committed since it last looked
//!   (`PRAGMA data_version`, which reads no table) and, if so, reads the organizers changed
//!   since.
//!
//! A write through this process learns what it changed before it returns (see
//! `Database::write`), so its own next read never sees an older entry, notification or not.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::SqliteConnection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

/// The notification channel the PostgreSQL triggers announce changes on.
pub(crate) const CHANNEL: &str = "presale_changes";

/// The `application_name` of the listening connection, as `pg_stat_activity` shows it.
pub const LISTENER_NAME: &str = "presale-changes";

/// The payload that stands for every organizer (a `TRUNCATE`).
const EVERYTHING: &str = "*";

/// More organizers than this changed and remembered: forget them all, as one change to
/// everything.
const MAX_REMEMBERED: usize = 100_000;

/// Process-local change numbers: a counter, and for each organizer (and for everything) the
/// number of its last change.
#[derive(Default)]
struct Versions {
    counter: AtomicU64,
    everything: AtomicU64,
    organizers: RwLock<HashMap<i64, u64>>,
}

impl Versions {
    fn now(&self) -> u64 {
        self.counter.load(Ordering::SeqCst)
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn changed(&self, organizer: i64) {
        let Ok(mut organizers) = self.organizers.write() else {
            self.changed_everything();
            return;
        };
        if organizers.len() >= MAX_REMEMBERED {
            organizers.clear();
            self.everything.store(self.next(), Ordering::SeqCst);
        }
        organizers.insert(organizer, self.next());
    }

    fn changed_everything(&self) {
        self.everything.store(self.next(), Ordering::SeqCst);
    }

    fn unchanged_since(&self, organizer: i64, mark: u64) -> bool {
        if self.everything.load(Ordering::SeqCst) > mark {
            return false;
        }
        match self.organizers.read() {
            Ok(organizers) => organizers.get(&organizer).is_none_or(|&at| at <= mark),
            Err(_) => false,
        }
    }
}

/// Where changes by others are learnt from.
enum Source {
    /// The listening thread's state.
    Postgres(Listening),
    /// SQLite's own record, asked on every [`Changes::mark`].
    Sqlite(Mutex<Watch>),
    /// Nothing but this process's own writes: for tests of the caches.
    #[cfg(test)]
    Own,
    /// Nothing is learnt (a database opened for one command, or with every cache off):
    /// nothing may be kept.
    Unwatched,
}

#[derive(Default)]
struct Listening {
    listening: AtomicBool,
    /// Whether the thread tried to listen at least once.
    attempted: AtomicBool,
    /// Why not, while not.
    reason: Mutex<Option<String>>,
}

/// A connection of its own to the SQLite file, and what it saw last.
struct Watch {
    conn: Option<SqliteConnection>,
    path: String,
    data_version: i64,
    last_change: i64,
}

/// Changes to the data as this process knows them; shared by every clone of a `Database`.
pub(crate) struct Changes {
    versions: Versions,
    source: Source,
}

#[derive(QueryableByName)]
struct DataVersionRow {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

#[derive(QueryableByName)]
struct ChangeRow {
    #[diesel(sql_type = BigInt)]
    organizer_id: i64,
    #[diesel(sql_type = BigInt)]
    version: i64,
}

#[derive(QueryableByName)]
struct TouchedRow {
    #[diesel(sql_type = Nullable<Text>)]
    touched: Option<String>,
}

impl Changes {
    /// Nothing learnt, nothing kept: [`Changes::mark`] is always `None`.
    pub(crate) fn unwatched() -> Arc<Self> {
        Arc::new(Changes {
            versions: Versions::default(),
            source: Source::Unwatched,
        })
    }

    /// Changes learnt from announcements made by hand alone.
    #[cfg(test)]
    pub(crate) fn own_only() -> Arc<Self> {
        Arc::new(Changes {
            versions: Versions::default(),
            source: Source::Own,
        })
    }

    /// Changes on the SQLite file at `path`, learnt from `presale_changes` whenever SQLite
    /// reports a commit by any connection.
    pub(crate) fn sqlite(path: String) -> Arc<Self> {
        Arc::new(Changes {
            versions: Versions::default(),
            source: Source::Sqlite(Mutex::new(Watch {
                conn: None,
                path,
                data_version: -1,
                last_change: 0,
            })),
        })
    }

    /// Changes on the PostgreSQL database at `url`, learnt by a thread that listens for the
    /// triggers' notifications. The thread ends soon after the last `Database` is dropped.
    pub(crate) fn postgres(url: String) -> Arc<Self> {
        let changes = Arc::new(Changes {
            versions: Versions::default(),
            source: Source::Postgres(Listening::default()),
        });
        if let Source::Postgres(listening) = &changes.source {
            listening.suspend("not listening for changes yet".into());
        }
        let weak = Arc::downgrade(&changes);
        let spawned = std::thread::Builder::new()
            .name("presale-changes".into())
            .spawn(move || listen(&url, &weak));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the thread that listens for changes; nothing is kept in memory");
            return changes;
        }
        // The first attempt is waited for (briefly), so that a process serves from memory
        // from its first request on.
        if let Source::Postgres(listening) = &changes.source {
            let started = Instant::now();
            while !listening.attempted.load(Ordering::SeqCst) && started.elapsed() < FIRST_ATTEMPT {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        changes
    }

    /// A mark to take before a database read whose result is to be kept, or `None` when
    /// nothing may be kept or served now (PostgreSQL: not listening for changes; SQLite: the
    /// database could not be asked). On SQLite this first learns the changes committed since
    /// the last look, so it is also what every lookup of a kept entry starts with.
    pub(crate) fn mark(&self) -> Option<u64> {
        match &self.source {
            Source::Postgres(listening) => listening
                .listening
                .load(Ordering::SeqCst)
                .then(|| self.versions.now()),
            Source::Sqlite(watch) => match self.look(watch) {
                Ok(()) => Some(self.versions.now()),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot ask SQLite for changes; nothing is served from memory");
                    None
                }
            },
            #[cfg(test)]
            Source::Own => Some(self.versions.now()),
            Source::Unwatched => None,
        }
    }

    /// Whether nothing of `organizer` is known to have changed since `mark`, and changes
    /// are being learnt now.
    pub(crate) fn unchanged_since(&self, organizer: i64, mark: u64) -> bool {
        if let Source::Postgres(listening) = &self.source {
            if !listening.listening.load(Ordering::SeqCst) {
                return false;
            }
        }
        self.versions.unchanged_since(organizer, mark)
    }

    /// Why nothing is served from memory now, if that is so.
    pub(crate) fn suspended(&self) -> Option<String> {
        match &self.source {
            Source::Postgres(listening) if !listening.listening.load(Ordering::SeqCst) => {
                Some(listening.reason())
            }
            _ => None,
        }
    }

    /// Everything counts as changed (the database was changed by means that announce
    /// nothing).
    pub(crate) fn changed_everything(&self) {
        self.versions.changed_everything();
    }

    /// After a write through `conn`, learn what it changed: on PostgreSQL the organizers its
    /// session collected (and clears them), on SQLite whatever was committed since the last
    /// look. When that cannot be read, everything counts as changed.
    pub(crate) fn learn_own(&self, conn: &mut crate::DbConnection) {
        if matches!(self.source, Source::Unwatched) {
            return;
        }
        let learnt = match conn {
            crate::DbConnection::Pg(pg) => self.learn_touched(pg),
            crate::DbConnection::Sqlite(_) => match &self.source {
                Source::Sqlite(watch) => self.look(watch),
                _ => Err("no watch on this database".into()),
            },
        };
        if let Err(e) = learnt {
            tracing::warn!(error = %e, "cannot tell what a write changed; everything counts as changed");
            self.versions.changed_everything();
        }
    }

    fn learn_touched(&self, conn: &mut PgConnection) -> Result<(), String> {
        let row: TouchedRow = diesel::sql_query(
            "SELECT current_setting('presale.touched', true) AS touched, \
             set_config('presale.touched', '', false) AS cleared",
        )
        .get_result(conn)
        .map_err(|e| e.to_string())?;
        for organizer in row.touched.unwrap_or_default().split_terminator(',') {
            self.apply(organizer);
        }
        Ok(())
    }

    /// One announced organizer id (or everything).
    pub(crate) fn apply(&self, payload: &str) {
        match payload.parse::<i64>() {
            Ok(organizer) => self.versions.changed(organizer),
            Err(_) if payload == EVERYTHING => self.versions.changed_everything(),
            Err(_) => {
                tracing::warn!(
                    payload,
                    "an unknown change announcement; everything counts as changed"
                );
                self.versions.changed_everything();
            }
        }
    }

    /// SQLite: learns what was committed since the last look; after a failure, the next look
    /// starts on a new connection.
    fn look(&self, watch: &Mutex<Watch>) -> Result<(), String> {
        let mut watch = watch
            .lock()
            .map_err(|_| "the watch is poisoned".to_owned())?;
        let learnt = self.learn(&mut watch);
        if learnt.is_err() {
            watch.conn = None;
        }
        learnt
    }

    /// SQLite: if any connection committed since the last look, the organizers changed since.
    fn learn(&self, watch: &mut Watch) -> Result<(), String> {
        if watch.conn.is_none() {
            let mut conn = SqliteConnection::establish(&watch.path).map_err(|e| e.to_string())?;
            conn.batch_execute("PRAGMA busy_timeout = 5000;")
                .map_err(|e| e.to_string())?;
            watch.conn = Some(conn);
            // A new connection's first look: whatever was seen before may be outdated.
            watch.data_version = -1;
        }
        let Some(conn) = watch.conn.as_mut() else {
            return Err("no connection".into());
        };
        let now: DataVersionRow = diesel::sql_query("PRAGMA data_version")
            .get_result(conn)
            .map_err(|e| e.to_string())?;
        if now.data_version == watch.data_version {
            return Ok(());
        }
        let changed: Vec<ChangeRow> = diesel::sql_query(
            "SELECT organizer_id, version FROM presale_changes WHERE version > ? ORDER BY version",
        )
        .bind::<BigInt, _>(watch.last_change)
        .load(conn)
        .map_err(|e| e.to_string())?;
        for row in &changed {
            self.versions.changed(row.organizer_id);
            watch.last_change = watch.last_change.max(row.version);
        }
        watch.data_version = now.data_version;
        Ok(())
    }
}

impl Listening {
    fn suspend(&self, reason: String) {
        self.listening.store(false, Ordering::SeqCst);
        if let Ok(mut r) = self.reason.lock() {
            *r = Some(reason);
        }
    }

    fn reason(&self) -> String {
        self.reason
            .lock()
            .ok()
            .and_then(|r| r.clone())
            .unwrap_or_else(|| "not listening for changes".into())
    }
}

/// How often the listening connection is asked for notifications that arrived.
const POLL: Duration = Duration::from_millis(2);
/// How often the listening connection is tested with a query (a dead peer that sent nothing
/// is noticed this way).
const PING: Duration = Duration::from_secs(1);
/// How long opening a database waits for the first attempt to listen.
const FIRST_ATTEMPT: Duration = Duration::from_secs(5);
/// The longest wait between two attempts to listen again.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// The listening thread: connects, `LISTEN`s, and marks what each notification names; when
/// the connection is lost, suspends every cache and connects again, until `changes` is gone.
fn listen(url: &str, changes: &Weak<Changes>) {
    let mut backoff = Duration::from_millis(20);
    let mut lost = false;
    loop {
        let outcome = match PgConnection::establish(url) {
            Ok(mut conn) => match conn.batch_execute(&format!(
                "SET application_name = '{LISTENER_NAME}'; LISTEN {CHANNEL}"
            )) {
                Ok(()) => {
                    backoff = Duration::from_millis(20);
                    serve(&mut conn, changes, lost)
                }
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        };
        let Some(strong) = changes.upgrade() else {
            return;
        };
        let Err(reason) = outcome else {
            return;
        };
        if let Source::Postgres(listening) = &strong.source {
            listening.attempted.store(true, Ordering::SeqCst);
            if listening.listening.load(Ordering::SeqCst) {
                lost = true;
                tracing::warn!(error = %reason, "lost the connection that listens for changes; nothing is served from memory until it is back");
            }
            listening.suspend(format!("not listening for changes: {}", reason.trim()));
        }
        drop(strong);
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Listens on `conn` until it fails (`Err`) or `changes` is gone (`Ok`).
fn serve(conn: &mut PgConnection, changes: &Weak<Changes>, lost: bool) -> Result<(), String> {
    {
        let Some(strong) = changes.upgrade() else {
            return Ok(());
        };
        // Whatever changed while nobody listened is unknown: everything counts as changed,
        // from now on every change is announced here.
        strong.versions.changed_everything();
        if let Source::Postgres(listening) = &strong.source {
            listening.listening.store(true, Ordering::SeqCst);
            listening.attempted.store(true, Ordering::SeqCst);
            if lost {
                tracing::info!("listening for changes again; kept answers are served again");
            }
        }
    }
    let mut pinged = Instant::now();
    loop {
        std::thread::sleep(POLL);
        let Some(strong) = changes.upgrade() else {
            return Ok(());
        };
        for notification in conn.notifications_iter() {
            let notification = notification.map_err(|e| e.to_string())?;
            strong.apply(&notification.payload);
        }
        if pinged.elapsed() >= PING {
            conn.batch_execute("SELECT 1").map_err(|e| e.to_string())?;
            pinged = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_to_one_organizer_leaves_the_others_fresh() {
        let versions = Versions::default();
        let mark = versions.now();
        versions.changed(1);
        assert!(!versions.unchanged_since(1, mark));
        assert!(versions.unchanged_since(2, mark));
        let later = versions.now();
        assert!(versions.unchanged_since(1, later));
        versions.changed_everything();
        assert!(!versions.unchanged_since(2, later));
        assert!(versions.unchanged_since(2, versions.now()));
    }

    #[test]
    fn own_only_changes_are_learnt_from_announcements() {
        let changes = Changes::own_only();
        let mark = changes.mark().unwrap();
        changes.apply("7");
        assert!(!changes.unchanged_since(7, mark));
        assert!(changes.unchanged_since(8, mark));
        let mark = changes.mark().unwrap();
        changes.apply("*");
        assert!(!changes.unchanged_since(8, mark));
        let mark = changes.mark().unwrap();
        changes.apply("garbage");
        assert!(
            !changes.unchanged_since(8, mark),
            "unknown means everything"
        );
        assert_eq!(changes.suspended(), None);
    }

    #[test]
    fn too_many_organizers_count_as_a_change_to_everything() {
        let versions = Versions::default();
        let mark = versions.now();
        for organizer in 0..MAX_REMEMBERED as i64 {
            versions.changed(organizer);
        }
        let later = versions.now();
        assert!(versions.unchanged_since(MAX_REMEMBERED as i64 + 5, mark));
        versions.changed(-1);
        assert!(!versions.unchanged_since(MAX_REMEMBERED as i64 + 5, mark));
        assert!(
            !versions.unchanged_since(0, later),
            "forgotten counts as changed"
        );
        assert!(versions.unchanged_since(0, versions.now()));
        assert_eq!(versions.organizers.read().unwrap().len(), 1);
    }
}
