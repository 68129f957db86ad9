//! Configuration through Rocket's figment: `Rocket.toml` (or the file `NIANJIAN_CONFIG` names),
//! then `NIANJIAN_*` environment variables, then `DATABASE_URL`. One struct, read once.

use std::path::{Path, PathBuf};

use rocket::figment::Figment;
use rocket::figment::providers::{Env, Format, Toml};
use serde::Deserialize;

use crate::db::{DatabaseUrl, DbError};

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `sqlite://PATH` or `postgres://…`; `DATABASE_URL` in the environment wins.
    pub database_url: Option<String>,
    /// Where the default SQLite file and the generated secret key live.
    pub data_dir: PathBuf,
    /// Largest accepted upload, in MiB.
    pub upload_limit_mib: u64,
    /// Largest number of data rows in one sheet.
    pub max_rows_per_sheet: u32,
    /// Largest number of cells in one workbook.
    pub max_cells: u64,
    /// Wall-clock limit of one import's parse, in seconds.
    pub import_timeout_secs: u64,
    /// Address-space limit of the parsing child process, in MiB.
    pub import_memory_mib: u64,
    /// Trust `X-Forwarded-For` for per-address limits (only behind a proxy you control).
    pub trust_forwarded_for: bool,
    /// How long a sign-in lasts, in hours.
    pub session_hours: u64,
    /// The binary that parses uploads in a child process (default: the running one). Tests
    /// point it at the built `nianjian`.
    pub parser_exe: Option<PathBuf>,
    /// Mark the session cookie `Secure` although Rocket itself speaks plain HTTP: set it when a
    /// TLS-terminating proxy stands in front (Rocket's own TLS sets the flag by itself).
    pub secure_cookies: bool,
    /// Sign-in attempts one address may make per minute (also the burst).
    pub signin_per_minute: u32,
    /// Sign-in attempts one address may make per hour: past it the wait grows from seconds to
    /// minutes (the back-off).
    pub signin_per_hour: u32,
    /// Public comments one address may send per minute (also the burst).
    pub comment_per_minute: u32,
    /// Public comments one address may send per hour.
    pub comment_per_hour: u32,
    /// Public comments everyone together may send per minute (the flood guard).
    pub comment_overall_per_minute: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: None,
            data_dir: PathBuf::from("data"),
            upload_limit_mib: 20,
            max_rows_per_sheet: 100_000,
            max_cells: 3_000_000,
            import_timeout_secs: 60,
            import_memory_mib: 1536,
            trust_forwarded_for: false,
            session_hours: 12,
            parser_exe: None,
            secure_cookies: false,
            signin_per_minute: 5,
            signin_per_hour: 30,
            comment_per_minute: 5,
            comment_per_hour: 30,
            comment_overall_per_minute: 300,
        }
    }
}

/// Rocket's own configuration sources plus ours.
pub fn figment() -> Figment {
    let file = Env::var_or("NIANJIAN_CONFIG", "Rocket.toml");
    rocket::Config::figment()
        .merge(Toml::file(file).nested())
        // NIANJIAN_LOG is the log filter (`cli::init_tracing`), not a setting: as `log` it would
        // be Rocket's old name for `log_level`, warned about at every start.
        .merge(Env::prefixed("NIANJIAN_").ignore(&["log"]).global())
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("配置有误 (invalid configuration): {0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("无法读写密钥文件 (cannot read or write the secret key file) {path}: {source}")]
    SecretKey {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Settings {
    pub fn load(figment: &Figment) -> Result<Settings, ConfigError> {
        figment
            .extract::<Settings>()
            .map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    /// `DATABASE_URL`, else the configured URL, else the SQLite file in the data folder.
    pub fn database_url(&self) -> Result<DatabaseUrl, ConfigError> {
        let env = std::env::var("DATABASE_URL")
            .ok()
            .filter(|s| !s.trim().is_empty());
        match env.or_else(|| self.database_url.clone()) {
            Some(url) => Ok(DatabaseUrl::parse(&url)?),
            None => Ok(DatabaseUrl::Sqlite(self.data_dir.join("nianjian.db"))),
        }
    }

    pub fn upload_limit_bytes(&self) -> u64 {
        self.upload_limit_mib * 1024 * 1024
    }

    /// The limits one import's parse runs under.
    pub fn import_limits(&self) -> crate::sheets::Limits {
        crate::sheets::Limits {
            max_file_bytes: self.upload_limit_bytes(),
            max_rows: self.max_rows_per_sheet,
            max_cells: self.max_cells,
            ..crate::sheets::Limits::default()
        }
    }
}

/// The secret key for private cookies: the configured one, else one generated once and kept in
/// the data folder (mode 0600), so sessions survive restarts without any set-up.
pub fn secret_key(figment: &Figment, data_dir: &Path) -> Result<Option<String>, ConfigError> {
    let configured = figment
        .extract_inner::<rocket::config::SecretKey>("secret_key")
        .is_ok_and(|k| !k.is_zero());
    if configured {
        return Ok(None);
    }
    let path = data_dir.join("secret.key");
    let fail = |source| ConfigError::SecretKey {
        path: path.clone(),
        source,
    };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let key = existing.trim().to_string();
        if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Some(key));
        }
    }
    std::fs::create_dir_all(data_dir).map_err(fail)?;
    let key = hex::encode(rand::random::<[u8; 32]>());
    write_private(&path, key.as_bytes()).map_err(fail)?;
    Ok(Some(key))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
