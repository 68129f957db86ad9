//! The command line of CONTRACTS.md over the same services as the web.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod admin;
mod backup;
pub mod demo;
mod import;

use crate::config::{self, Settings};
use crate::db::scope::Scope;
use crate::db::{Db, audit, users, write_transaction};
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
    /// The report upward of a round: figures, departments, the four lists, charts (xlsx).
    Report {
        #[arg(long)]
        round: i64,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        #[arg(long, default_value = "zh")]
        lang: String,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage regions (GB/T 2260 codes).
    Region {
        #[command(subcommand)]
        command: admin::RegionCommand,
    },
    /// Manage departments.
    Department {
        #[command(subcommand)]
        command: admin::DepartmentCommand,
    },
    /// Manage rounds.
    Round {
        #[command(subcommand)]
        command: admin::RoundCommand,
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
    /// Add a user and print its one-time password once.
    Add {
        username: String,
        /// submitter, reviewer or admin.
        #[arg(long)]
        role: String,
        /// The department code of a submitter.
        #[arg(long)]
        department: Option<String>,
        /// The region code (GB/T 2260) of a reviewer.
        #[arg(long)]
        region: Option<String>,
    },
    /// Give a user a new one-time password (printed once) and end its sessions.
    ResetPassword { username: String },
    /// Disable a user: its sessions end and its tokens stop at once.
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
    /// Give a user another role (with the department of a submitter or the region of a reviewer).
    SetRole {
        username: String,
        /// submitter, reviewer or admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        region: Option<String>,
    },
    /// List the users.
    List,
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
        Command::Demo { no_serve, force } => demo::demo(no_serve, force),
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
        Command::Export {
            publication,
            format,
            output,
        } => import::export(&publication, &format, output, Lang::Zh),
        Command::Report {
            round,
            output,
            lang,
        } => report(round, &output, parse_lang(&lang)?),
        Command::User { command } => user(command),
        Command::Region { command } => admin::region(&open_db()?.2, command),
        Command::Department { command } => admin::department(&open_db()?.2, command),
        Command::Round { command } => admin::round(&open_db()?.2, command),
        Command::Backup { output } => backup::backup(&output),
        Command::Restore { file } => backup::restore(&file),
    }
}

/// Writes the report upward of a round over the whole region (the operator's scope).
/// Exit 1 when there is no such round.
fn report(round: i64, output: &std::path::Path, lang: Lang) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let (_, _, db) = open_db()?;
    let mut conn = db.conn()?;
    let Some(d) = crate::service::dashboard::compute(&mut conn, &Scope::All, round, lang)? else {
        eprintln!("未找到清理批次 (no such round): {round}");
        return Ok(ExitCode::from(1));
    };
    let bytes = crate::export::report::write(&d, lang).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(output, &bytes)
        .with_context(|| format!("无法写入 (cannot write) {}", output.display()))?;
    let o = &d.outcome;
    println!(
        "已写出进展情况报告 (report written): {}  年检 (inspections) {} → {}，指定培训 (trainings) {} → {}，未决定 (undecided) {}",
        output.display(),
        o.inspections_before,
        o.inspections_after,
        o.trainings_before,
        o.trainings_after,
        o.undecided
    );
    Ok(ExitCode::SUCCESS)
}

fn serve() -> anyhow::Result<ExitCode> {
    let (figment, settings, db) = open_db()?;
    print_first_admin(&db)?;
    serve_with(figment, settings, db)
}

/// Launches the web service on an opened database.
fn serve_with(
    figment: rocket::figment::Figment,
    settings: Settings,
    db: Db,
) -> anyhow::Result<ExitCode> {
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

/// On a database with no admin, creates one and prints its one-time password to stdout, once
/// (never to the log). `serve` and `demo` call it before they start.
pub fn print_first_admin(db: &Db) -> anyhow::Result<()> {
    if let Some((username, password)) = users::ensure_first_admin(db)? {
        println!(
            "已创建首个管理员账号 (first admin created): 用户名 (username) {username}  一次性密码 (one-time password) {password}"
        );
        println!(
            "此密码只显示这一次，首次登录后须修改 (shown only this once; change it at first sign-in)"
        );
    }
    Ok(())
}

fn user(command: UserCommand) -> anyhow::Result<ExitCode> {
    let (_, _, db) = open_db()?;
    let mut conn = db.conn()?;
    let actor = audit::Actor::cli();
    let disable = matches!(command, UserCommand::Disable { .. });
    match command {
        UserCommand::SetRole {
            username,
            role,
            department,
            region,
        } => return admin::user_set_role(&mut conn, &username, role, department, region),
        UserCommand::List => return admin::user_list(&mut conn),
        UserCommand::Add {
            username,
            role,
            department,
            region,
        } => {
            let new = users::resolve(
                &mut conn,
                &username,
                &role,
                department.as_deref(),
                region.as_deref(),
            )?;
            let (user, password) = users::add_with_one_time_password(&mut conn, &actor, &new)?;
            println!(
                "已添加用户 (user added): {} ({})  一次性密码 (one-time password) {password}",
                user.username, user.role
            );
            println!(
                "此密码只显示这一次，首次登录后须修改 (shown only this once; change it at first sign-in)"
            );
        }
        UserCommand::ResetPassword { username } => {
            let user = users::find_by_username(&mut conn, &username)?
                .ok_or(users::AccountError::NoUser)?;
            let password = users::generate_password();
            let hash = users::hash_password(&password)?;
            write_transaction(&mut conn, |c| {
                users::set_password(c, &actor, user.id, &hash, true, None)
            })?;
            println!(
                "已重置密码 (password reset): {}  一次性密码 (one-time password) {password}",
                user.username
            );
        }
        UserCommand::Disable { username } | UserCommand::Enable { username } => {
            let user = users::find_by_username(&mut conn, &username)?
                .ok_or(users::AccountError::NoUser)?;
            write_transaction(&mut conn, |c| {
                users::set_disabled(c, &actor, user.id, disable)
            })?;
            if disable {
                println!("已停用 (disabled): {}", user.username);
            } else {
                println!("已启用 (enabled): {}", user.username);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
