//! The `presale` command line.

use crate::admin::{self, EventSelection};
use crate::config::{database_settings, FileConfig, LogFormat, DEFAULT_BIND};
use clap::{Args, Parser, Subcommand};
use presale_domain::access::{Permission, PermissionSet};
use presale_storage_diesel::{Database, PoolOptions};
use std::path::PathBuf;
use std::time::Duration;

/// Presale: a server for the organizer side of the pretix REST API v1, on SQLite or
/// PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "presale", version, about, propagate_version = true)]
pub struct Cli {
    /// A TOML file with settings (keys as the long options, with underscores).
    #[arg(long, global = true, env = "PRESALE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives; shared by every subcommand.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Database URL: postgres://..., postgresql://... or sqlite://<path>
    /// [default: sqlite://<data-dir>/presale.sqlite3]
    #[arg(long, global = true, env = "PRESALE_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,

    /// Directory for the default SQLite database [default: ./data]
    #[arg(long, global = true, env = "PRESALE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Most database connections held open [default: 10]
    #[arg(long, global = true, env = "PRESALE_DB_POOL_SIZE", value_name = "N")]
    pub db_pool_size: Option<u32>,

    /// Seconds a request waits for a database connection before it is answered 503
    /// [default: 5]
    #[arg(
        long,
        global = true,
        env = "PRESALE_DB_TIMEOUT_SECS",
        value_name = "SECS"
    )]
    pub db_timeout_secs: Option<u64>,

    /// Milliseconds a GET answer may be kept in memory and served again while nothing of its
    /// organizer changes (changes through any process are learnt from the database within
    /// milliseconds). 0 turns kept answers off [default: 1000]
    #[arg(long, global = true, env = "PRESALE_CACHE_MS", value_name = "MS")]
    pub cache_ms: Option<u64>,

    /// Milliseconds credentials, organizers and sales channels may be kept in memory while
    /// nothing of their organizer changes. 0 turns this cache off [default: 1000]
    #[arg(
        long,
        global = true,
        env = "PRESALE_CREDENTIAL_CACHE_MS",
        value_name = "MS"
    )]
    pub credential_cache_ms: Option<u64>,

    /// PostgreSQL: milliseconds a statement may wait for a lock before the request is
    /// answered 503 [default: 5000]
    #[arg(
        long,
        global = true,
        env = "PRESALE_DB_LOCK_TIMEOUT_MS",
        value_name = "MS"
    )]
    pub db_lock_timeout_ms: Option<u64>,

    /// PostgreSQL: milliseconds a statement may run before the request is answered 503
    /// [default: 30000]
    #[arg(
        long,
        global = true,
        env = "PRESALE_DB_STATEMENT_TIMEOUT_MS",
        value_name = "MS"
    )]
    pub db_statement_timeout_ms: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations and serve the API.
    Serve(ServeArgs),
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage organizers.
    #[command(subcommand)]
    Organizer(OrganizerCommand),
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import ticket secrets.
    #[command(subcommand)]
    Secrets(crate::secrets_import::SecretsCommand),
    /// Load a fixture (organizers, teams and tokens, events with their catalog, devices, ...)
    /// from a JSON or YAML file, with the API's rules: refused entries are printed and nothing
    /// is written; seeding the same file again changes nothing.
    Seed(crate::seed::SeedArgs),
    /// Write organizers as a fixture that `presale seed` loads (JSON, or YAML for an output
    /// file named *.yaml/*.yml).
    Export(crate::seed::ExportArgs),
    /// Print the API's OpenAPI 3.1 document (what `GET /api/v1/openapi.json` serves); needs
    /// no database.
    Openapi,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8000]
    #[arg(long, env = "PRESALE_BIND", value_name = "ADDR")]
    pub bind: Option<String>,

    /// Public base URL for `public_url` and pagination links (e.g. https://tickets.example.org);
    /// taken from each request when not set.
    #[arg(long, env = "PRESALE_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Log format [default: text]
    #[arg(long, env = "PRESALE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// HTTP worker threads [default: one per core]
    #[arg(long, env = "PRESALE_WORKERS", value_name = "N")]
    pub workers: Option<usize>,

    /// The largest request body accepted, in bytes; larger ones answer 413 [default: 10485760]
    #[arg(long, env = "PRESALE_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,

    /// Reverse proxies (addresses or networks, comma-separated) whose `Forwarded` and
    /// `X-Forwarded-Host`/`-Proto` headers shape public URLs; other peers' are ignored
    /// [default: none]
    #[arg(
        long,
        env = "PRESALE_TRUSTED_PROXIES",
        value_name = "ADDRS",
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<String>>,

    /// Make sure an organizer `demo` with an all-permissions team exists, and print a new API
    /// token for it with a curl line to try.
    #[arg(long)]
    pub demo: bool,

    /// Serve a new SQLite database in a temporary directory that is removed when the server
    /// stops (for tests and CI); not with --database-url.
    #[arg(long)]
    pub ephemeral: bool,

    /// Load this fixture (see `presale seed`) before serving; a refused fixture stops the
    /// start.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,

    /// Where Prometheus metrics are served: `api` (`GET /metrics` on the API's address),
    /// an address of their own (`127.0.0.1:9100`), or `off` (nothing is recorded)
    /// [default: api]
    #[arg(long, env = "PRESALE_METRICS", value_name = "WHERE")]
    pub metrics: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OrganizerCommand {
    /// Create an organizer.
    Create {
        /// URL slug: letters, digits, dots and dashes.
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team in an organizer.
    Create(TeamCreateArgs),
}

#[derive(Debug, Args)]
pub struct TeamCreateArgs {
    /// Organizer slug.
    pub organizer: String,
    /// Team name (unique within the organizer).
    pub team: String,
    /// The team may see every event of the organizer.
    #[arg(long, conflicts_with = "limit_events")]
    pub all_events: bool,
    /// The team may see only these events (comma-separated slugs).
    #[arg(long, value_delimiter = ',', value_name = "SLUGS")]
    pub limit_events: Vec<String>,
    /// Grant every permission.
    #[arg(long, conflicts_with = "permission")]
    pub all_permissions: bool,
    /// Grant one permission (repeatable).
    #[arg(long, value_name = "PERMISSION", value_parser = permission_names())]
    pub permission: Vec<String>,
}

fn permission_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(Permission::ALL.map(Permission::name))
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a team; prints the token, alone, on stdout.
    Create {
        /// Organizer slug.
        organizer: String,
        /// Team name.
        team: String,
        /// A label for the token.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// A failed command: the message for stderr.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CommandError(pub String);

fn fail(e: impl std::fmt::Display) -> CommandError {
    CommandError(e.to_string())
}

/// Settings merged from the file, the environment and flags.
struct Resolved {
    file: FileConfig,
}

impl Resolved {
    fn load(cli: &Cli) -> Result<Self, CommandError> {
        Ok(Resolved {
            file: FileConfig::load(cli.config.as_deref()).map_err(fail)?,
        })
    }

    /// How long answers and credentials may be kept: the TTLs given, or 1 s each.
    fn cache_ttls(&self, args: &DatabaseArgs) -> (Duration, Duration) {
        let f = &self.file;
        let ms = |v: Option<u64>| Duration::from_millis(v.unwrap_or(1000));
        (
            ms(args.cache_ms.or(f.cache_ms)),
            ms(args.credential_cache_ms.or(f.credential_cache_ms)),
        )
    }

    /// The cache settings of the pool: credentials kept for their TTL, and changes watched
    /// when the command serves with any cache on.
    fn caches(&self, args: &DatabaseArgs, serving: bool, pool: &mut PoolOptions) {
        let (answers, credentials) = self.cache_ttls(args);
        pool.cache_ttl = credentials;
        pool.watch_changes = serving && !(answers.is_zero() && credentials.is_zero());
    }

    fn open_database(&self, args: &DatabaseArgs, serving: bool) -> Result<Database, CommandError> {
        let f = &self.file;
        let mut settings = database_settings(
            args.database_url.clone().or_else(|| f.database_url.clone()),
            args.data_dir.clone().or_else(|| f.data_dir.clone()),
            args.db_pool_size.or(f.db_pool_size),
            args.db_timeout_secs.or(f.db_timeout_secs),
        )
        .map_err(fail)?;
        self.caches(args, serving, &mut settings.pool);
        self.timeouts(args, &mut settings.pool);
        Database::open(settings.url, settings.pool).map_err(fail)
    }

    /// The PostgreSQL lock and statement timeouts given.
    fn timeouts(&self, args: &DatabaseArgs, pool: &mut PoolOptions) {
        let f = &self.file;
        if let Some(ms) = args.db_lock_timeout_ms.or(f.db_lock_timeout_ms) {
            pool.lock_timeout = std::time::Duration::from_millis(ms);
        }
        if let Some(ms) = args.db_statement_timeout_ms.or(f.db_statement_timeout_ms) {
            pool.statement_timeout = std::time::Duration::from_millis(ms);
        }
    }

    /// A new SQLite database in `dir`, with the pool settings given.
    fn open_ephemeral(
        &self,
        args: &DatabaseArgs,
        dir: &Ephemeral,
    ) -> Result<Database, CommandError> {
        if args.database_url.is_some() {
            return Err(CommandError(
                "--ephemeral cannot be combined with --database-url (or PRESALE_DATABASE_URL)"
                    .into(),
            ));
        }
        let f = &self.file;
        let mut settings = database_settings(
            None,
            Some(dir.0.clone()),
            args.db_pool_size.or(f.db_pool_size),
            args.db_timeout_secs.or(f.db_timeout_secs),
        )
        .map_err(fail)?;
        self.caches(args, true, &mut settings.pool);
        self.timeouts(args, &mut settings.pool);
        Database::open(settings.url, settings.pool).map_err(fail)
    }
}

/// The temporary directory of `serve --ephemeral`, removed with everything in it when dropped
/// (after the server stopped, or when starting failed).
struct Ephemeral(PathBuf);

impl Ephemeral {
    fn create() -> Result<Self, CommandError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("presale-ephemeral-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| CommandError(format!("cannot create {}: {e}", dir.display())))?;
        Ok(Ephemeral(dir))
    }
}

impl Drop for Ephemeral {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CommandError> {
    if let Command::Openapi = cli.command {
        print!("{}", presale_http_actix::openapi::document_json());
        return Ok(());
    }
    let resolved = Resolved::load(&cli)?;
    let log_format = match &cli.command {
        Command::Serve(s) => s
            .log_format
            .or(resolved.file.log_format)
            .unwrap_or_default(),
        _ => resolved.file.log_format.unwrap_or_default(),
    };
    crate::telemetry::init(log_format);
    // Declared before the database, so that it is removed after the pool is closed.
    let ephemeral = match &cli.command {
        Command::Serve(s) if s.ephemeral => Some(Ephemeral::create()?),
        _ => None,
    };
    let db = match &ephemeral {
        Some(dir) => resolved.open_ephemeral(&cli.database, dir)?,
        None => resolved.open_database(&cli.database, matches!(cli.command, Command::Serve(_)))?,
    };
    let (answer_ttl, _) = resolved.cache_ttls(&cli.database);
    match cli.command {
        Command::Migrate => {
            tracing::info!(database = %db.url(), "migrations applied");
            Ok(())
        }
        Command::Organizer(OrganizerCommand::Create { slug, name }) => {
            let org = admin::create_organizer(&db, &slug, &name)
                .await
                .map_err(fail)?;
            eprintln!("created organizer '{}'", org.slug);
            Ok(())
        }
        Command::Team(TeamCommand::Create(args)) => {
            let permissions: PermissionSet = if args.all_permissions {
                PermissionSet::all()
            } else {
                args.permission
                    .iter()
                    .filter_map(|p| Permission::from_name(p))
                    .collect()
            };
            let events = if args.all_events || args.limit_events.is_empty() {
                if !args.all_events {
                    eprintln!("note: neither --all-events nor --limit-events given; the team sees no events");
                }
                match args.all_events {
                    true => EventSelection::All,
                    false => EventSelection::Slugs(Vec::new()),
                }
            } else {
                EventSelection::Slugs(args.limit_events.clone())
            };
            let team =
                admin::create_team(&db, &db, &args.organizer, &args.team, permissions, events)
                    .await
                    .map_err(fail)?;
            eprintln!("created team '{}' (id {})", team.name, team.id.0);
            Ok(())
        }
        Command::Secrets(command) => crate::secrets_import::run(&db, command).await,
        Command::Seed(args) => crate::seed::seed_file(&db, &args.file).await,
        Command::Export(args) => crate::seed::export(&db, args).await,
        // Answered above, before a database is opened.
        Command::Openapi => Ok(()),
        Command::Token(TokenCommand::Create {
            organizer,
            team,
            name,
        }) => {
            let token = admin::create_token(&db, &db, &db, &organizer, &team, &name)
                .await
                .map_err(fail)?;
            println!("{}", token.as_str());
            Ok(())
        }
        Command::Serve(args) => serve(&resolved, &db, args, answer_ttl).await,
    }
}

async fn serve(
    resolved: &Resolved,
    db: &Database,
    args: ServeArgs,
    answer_ttl: Duration,
) -> Result<(), CommandError> {
    let f = &resolved.file;
    let bind = args
        .bind
        .or_else(|| f.bind.clone())
        .unwrap_or_else(|| DEFAULT_BIND.to_owned());
    let base_url = args.base_url.or_else(|| f.base_url.clone());
    if let Some(path) = &args.seed {
        crate::seed::seed_file(db, path).await?;
    }
    let listener = std::net::TcpListener::bind(&bind)
        .map_err(|e| CommandError(format!("cannot listen on {bind}: {e}")))?;
    let local = listener.local_addr().map_err(fail)?;
    let proxies = args
        .trusted_proxies
        .or_else(|| f.trusted_proxies.clone())
        .unwrap_or_default();
    let options = presale_http_actix::HttpOptions {
        base_url: base_url.clone(),
        max_body_bytes: args
            .max_body_bytes
            .or(f.max_body_bytes)
            .unwrap_or(presale_http_actix::DEFAULT_MAX_BODY_BYTES),
        trusted_proxies: crate::config::trusted_proxies(&proxies).map_err(fail)?,
        answer_ttl,
    };
    let placement = crate::metrics::Placement::parse(
        args.metrics
            .as_deref()
            .or(f.metrics.as_deref())
            .unwrap_or("api"),
    );
    let text = match placement {
        crate::metrics::Placement::Off => None,
        _ => crate::metrics::install(db),
    };
    let metrics_server = match (&placement, &text) {
        (crate::metrics::Placement::Address(address), Some(text)) => {
            let listener = std::net::TcpListener::bind(address)
                .map_err(|e| CommandError(format!("cannot listen on {address}: {e}")))?;
            tracing::info!(%address, "metrics are served on their own address");
            Some(crate::server::start_metrics(listener, text.clone()).map_err(fail)?)
        }
        _ => None,
    };
    let on_api = text.filter(|_| placement == crate::metrics::Placement::Api);
    let server = crate::server::start(db, options, listener, args.workers.or(f.workers), on_api)
        .map_err(fail)?;
    let metrics_task = metrics_server.map(|server| {
        let handle = server.handle();
        (tokio::spawn(server), handle)
    });
    tracing::info!(address = %local, database = %db.url(), "presale is serving");
    if !args.demo {
        let url = base_url
            .clone()
            .unwrap_or_else(|| format!("http://{local}"));
        eprintln!("Presale is listening on {url}");
    }
    if args.demo {
        let token = demo_token(db).await?;
        let url = base_url.unwrap_or_else(|| format!("http://{local}"));
        println!("Presale is listening on {url}");
        println!("API token for organizer 'demo': {}", token.as_str());
        let token = token.as_str();
        println!("Try: curl -H \"Authorization: Token {token}\" {url}/api/v1/organizers/");
        println!(
            "     curl -H \"Authorization: Token {token}\" {url}/api/v1/organizers/demo/events/"
        );
    }
    let served = server.await;
    if let Some((task, handle)) = metrics_task {
        handle.stop(true).await;
        let _ = task.await;
    }
    served.map_err(fail)?;
    tracing::info!("presale stopped");
    Ok(())
}

/// The demo organizer with its team and a sample event, seeded once; a new token on every
/// start.
async fn demo_token(db: &Database) -> Result<presale_domain::access::PlainToken, CommandError> {
    use presale_domain::organizer::OrganizerRepository;
    if db.find_by_slug("demo").await.map_err(fail)?.is_none() {
        if let Err(e) = crate::seed::seed_demo(db).await {
            // The sample's fixed ids may be taken in a database that holds other organizers:
            // the demo then starts without its sample event.
            tracing::warn!(error = %e, "the demo organizer's sample event was not created");
            create_bare_demo(db).await?;
        }
    }
    admin::create_token(db, db, db, "demo", "Administrators", "quickstart")
        .await
        .map_err(fail)
}

/// The demo organizer and its all-permissions team, without sample data.
async fn create_bare_demo(db: &Database) -> Result<(), CommandError> {
    admin::create_organizer(db, "demo", "Demo Organizer")
        .await
        .map_err(fail)?;
    admin::create_team(
        db,
        db,
        "demo",
        "Administrators",
        PermissionSet::all(),
        EventSelection::All,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
