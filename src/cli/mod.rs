//! The command line of CONTRACTS.md over the same services as the web.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod import;

use crate::config::{self, Settings};
use crate::db::{Db, audit};
use crate::domain::Lang;

#[derive(Debug, Parser)]
#[command(
    name = "nianjian",
    version,
    about = "年检和政府指定培训清理登记系统 — registry of annual inspections and designated trainings"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web service (pages and /api/v1).
    Serve,
    /// Fresh demo database from imports/, review, publish, exports/, then serve.
    Demo {
        /// Stop after the exports instead of serving.
        #[arg(long)]
        no_serve: bool,
        /// Allow resetting a PostgreSQL database.
        #[arg(long)]
        force: bool,
    },
    /// Apply the database migrations.
    Migrate,
    /// Write the blank department template.
    Template {
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        #[arg(long, default_value = "zh")]
        lang: String,
    },
    /// Read a department's workbook; store it unless --dry-run.
    Import {
        file: PathBuf,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        round: Option<i64>,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        annotate: Option<PathBuf>,
        #[arg(long, default_value = "zh")]
        lang: String,
    },
    /// Export a publication.
    Export {
        #[arg(long, default_value = "latest")]
        publication: String,
        #[arg(long, default_value = "xlsx")]
        format: String,
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
    },
    /// The report upward of a round.
    Report {
        #[arg(long)]
        round: i64,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Copy the database to a file.
    Backup {
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Replace the database with a backup.
    Restore { file: PathBuf },
    /// Internal: parse a workbook from stdin under resource limits (run by nianjian itself).
    #[command(name = "__parse-child", hide = true)]
    ParseChild,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        department: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain and name the first broken entry.
    Verify,
}

/// Entry point of the binary. Errors are one clear line on stderr, never a backtrace.
pub fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 (error): {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("NIANJIAN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Settings and the database they name, migrated.
fn open_db() -> anyhow::Result<(rocket::figment::Figment, Settings, Db)> {
    let figment = config::figment();
    let settings = Settings::load(&figment)?;
    let url = settings.database_url()?;
    let db = Db::open(&url)?;
    Ok((figment, settings, db))
}

fn parse_lang(code: &str) -> anyhow::Result<Lang> {
    Lang::from_code(code).ok_or_else(|| {
        anyhow::anyhow!("--lang 只能是 zh 或 en (--lang must be zh or en), not “{code}”")
    })
}

fn not_built(what: &str) -> anyhow::Result<ExitCode> {
    eprintln!("“{what}”尚未实现 (not built yet): this command arrives with a later issue.");
    Ok(ExitCode::from(3))
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve => serve(),
        Command::Migrate => {
            let (_, _, db) = open_db()?;
            println!(
                "数据库已是最新 (migrations applied): {}",
                db.url().display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let (_, _, db) = open_db()?;
            let mut conn = db.conn()?;
            match audit::verify(&mut conn)? {
                audit::Verdict::Intact { entries } => {
                    println!("审计日志完整 (audit chain intact): {entries} entries");
                    Ok(ExitCode::SUCCESS)
                }
                audit::Verdict::Broken {
                    entries_checked,
                    first_broken_id,
                    reason,
                } => {
                    println!(
                        "审计日志被改动 (audit chain BROKEN) at entry {first_broken_id}: {reason} ({entries_checked} entries before it hold)"
                    );
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Demo { .. } => not_built("demo"),
        Command::Template { output, lang } => import::template(&output, parse_lang(&lang)?),
        Command::Import {
            file,
            department,
            round,
            dry_run,
            json,
            annotate,
            lang,
        } => import::import(import::ImportArgs {
            file,
            department,
            round,
            dry_run,
            json,
            annotate,
            lang: parse_lang(&lang)?,
        }),
        Command::ParseChild => Ok(crate::service::parse::child_main()),
        Command::Export { .. } => not_built("export"),
        Command::Report { .. } => not_built("report"),
        Command::User { .. } => not_built("user add"),
        Command::Backup { .. } => not_built("backup"),
        Command::Restore { .. } => not_built("restore"),
    }
}

fn serve() -> anyhow::Result<ExitCode> {
    let (figment, settings, db) = open_db()?;
    let figment = match config::secret_key(&figment, &settings.data_dir)? {
        Some(key) => figment.merge(("secret_key", key)),
        None => figment,
    };
    rocket::execute(async move {
        crate::web::build(figment, db, settings)
            .launch()
            .await
            .map(drop)
            .map_err(|e| anyhow::anyhow!("服务启动失败 (the server could not start): {e}"))
    })?;
    Ok(ExitCode::SUCCESS)
}
