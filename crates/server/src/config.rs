//! Settings: defaults, then an optional TOML file, then `PRESALE_*` environment variables and
//! command-line flags (last wins).

use presale_storage_diesel::{DatabaseUrl, PoolOptions, UrlError};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What may be set in the TOML file given with `--config`; every key is optional.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub base_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub db_pool_size: Option<u32>,
    pub db_timeout_secs: Option<u64>,
    pub db_lock_timeout_ms: Option<u64>,
    pub db_statement_timeout_ms: Option<u64>,
    pub cache_ms: Option<u64>,
    pub credential_cache_ms: Option<u64>,
    pub log_format: Option<LogFormat>,
    pub workers: Option<usize>,
    pub max_body_bytes: Option<usize>,
    pub trusted_proxies: Option<Vec<String>>,
    /// `api`, `off` or an address (see `--metrics`).
    pub metrics: Option<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {0}: {1}")]
    Read(String, std::io::Error),
    #[error("invalid config file {0}: {1}")]
    Parse(String, String),
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("invalid trusted proxy '{0}': expected an IP address or network (10.0.0.0/8)")]
    Proxy(String),
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read(path.display().to_string(), e))?;
        toml::from_str(&text)
            .map_err(|e| ConfigError::Parse(path.display().to_string(), e.to_string()))
    }
}

/// The reverse proxies whose forwarding headers are believed: addresses or networks
/// (`10.0.0.0/8`, `::1`).
pub fn trusted_proxies(entries: &[String]) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    entries
        .iter()
        .flat_map(|e| e.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            e.parse::<ipnet::IpNet>()
                .or_else(|_| e.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| ConfigError::Proxy(e.to_owned()))
        })
        .collect()
}

/// Database settings, resolved.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool: PoolOptions,
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8000";
pub const DEFAULT_DATA_DIR: &str = "./data";

/// The database URL: given, else `sqlite://<data_dir>/presale.sqlite3`.
pub fn database_settings(
    url: Option<String>,
    data_dir: Option<PathBuf>,
    pool_size: Option<u32>,
    timeout_secs: Option<u64>,
) -> Result<DatabaseSettings, ConfigError> {
    let url = match url {
        Some(u) => DatabaseUrl::parse(&u)?,
        None => {
            let dir = data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
            DatabaseUrl::Sqlite(dir.join("presale.sqlite3"))
        }
    };
    let defaults = PoolOptions::default();
    Ok(DatabaseSettings {
        url,
        pool: PoolOptions {
            max_size: pool_size.unwrap_or(defaults.max_size).max(1),
            connection_timeout: timeout_secs
                .map(Duration::from_secs)
                .unwrap_or(defaults.connection_timeout),
            ..defaults
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let parsed =
            trusted_proxies(&["10.0.0.0/8, 127.0.0.1".to_owned(), "::1".to_owned()]).unwrap();
        let shown: Vec<String> = parsed.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
        assert_eq!(
            trusted_proxies(&["proxy.local".to_owned()])
                .unwrap_err()
                .to_string(),
            "invalid trusted proxy 'proxy.local': expected an IP address or network (10.0.0.0/8)"
        );
    }

    #[test]
    fn default_database_is_sqlite_in_data_dir() {
        let s = database_settings(None, None, None, None).unwrap();
        assert_eq!(
            s.url,
            DatabaseUrl::Sqlite(PathBuf::from("./data/presale.sqlite3"))
        );
        let s = database_settings(None, Some("/var/presale".into()), Some(3), Some(1)).unwrap();
        assert_eq!(
            s.url,
            DatabaseUrl::Sqlite(PathBuf::from("/var/presale/presale.sqlite3"))
        );
        assert_eq!(s.pool.max_size, 3);
    }

    #[test]
    fn unknown_scheme_names_the_accepted_ones() {
        let err = database_settings(Some("mysql://x".into()), None, None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported database URL 'mysql://x': use postgres://..., postgresql://... or sqlite://<path>"
        );
    }

    #[test]
    fn file_config_rejects_unknown_keys() {
        let dir = std::env::temp_dir().join(format!("presale-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "bind = \"0.0.0.0:9000\"\nlog_format = \"json\"\n").unwrap();
        let cfg = FileConfig::load(Some(&good)).unwrap();
        assert_eq!(cfg.bind.as_deref(), Some("0.0.0.0:9000"));
        assert_eq!(cfg.log_format, Some(LogFormat::Json));
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "bindd = 1\n").unwrap();
        assert!(FileConfig::load(Some(&bad)).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
