//! `nianjian backup -o FILE` and `nianjian restore FILE`.
//!
//! Exit codes: 0 done (and the result checked); 1 restore refused because the database is in use
//! (stop the server and run it again; nothing changed); 2 it cannot be done at all (no database,
//! a file that is not an intact nianjian database of this version or older, pg_dump missing —
//! then the exact command is printed), with one clear message on stderr.

use std::path::Path;
use std::process::ExitCode;

use crate::config::{self, Settings};
use crate::db::DatabaseUrl;
use crate::db::backup::{self, BackupError, Contents};

fn database() -> anyhow::Result<DatabaseUrl> {
    let settings = Settings::load(&config::figment())?;
    Ok(settings.database_url()?)
}

fn describe(c: &Contents) -> String {
    format!(
        "报送 (submissions) {}，事项 (items) {}，审计日志 (audit entries) {}，数据库版本 (schema) {}",
        c.submissions, c.items, c.audit_entries, c.schema_version
    )
}

pub fn backup(output: &Path) -> anyhow::Result<ExitCode> {
    match database()? {
        DatabaseUrl::Sqlite(path) => match backup::backup(&path, output) {
            Ok(contents) => {
                println!(
                    "已备份并校验 (backup written and checked): {} ← {}",
                    output.display(),
                    path.display()
                );
                println!("  {}", describe(&contents));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("备份失败，未写出文件 (backup failed; no file written): {e}");
                Ok(ExitCode::from(2))
            }
        },
        DatabaseUrl::Postgres(url) => pg_dump(&url, output),
    }
}

/// Whether a program is on PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// The URL as it may be shown: with the password masked (give it through PGPASSWORD instead).
fn shown(url: &str) -> String {
    DatabaseUrl::Postgres(url.to_string()).display()
}

fn pg_dump(url: &str, output: &Path) -> anyhow::Result<ExitCode> {
    let command = format!(
        "pg_dump --format=custom --no-owner --file '{}' '{}'",
        output.display(),
        shown(url)
    );
    if !on_path("pg_dump") {
        eprintln!(
            "PostgreSQL 数据库请用 pg_dump 备份，本机未找到 pg_dump。请安装 PostgreSQL 客户端后运行 (PostgreSQL is backed up with pg_dump, which is not on PATH; install the PostgreSQL client and run):"
        );
        eprintln!("  {command}");
        return Ok(ExitCode::from(2));
    }
    let tmp = output.with_file_name(format!(
        ".{}.partial-{}",
        output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "backup".into()),
        std::process::id()
    ));
    let status = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(&tmp)
        .arg(url)
        .status();
    match status {
        Ok(s) if s.success() => {
            std::fs::rename(&tmp, output)?;
            println!(
                "已用 pg_dump 备份 (backup written by pg_dump): {}",
                output.display()
            );
            println!(
                "  恢复 (restore): pg_restore --clean --if-exists --no-owner --dbname '{}' '{}'",
                shown(url),
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            let _ = std::fs::remove_file(&tmp);
            eprintln!(
                "pg_dump 失败，未写出文件 (pg_dump failed; no file written). 命令 (command): {command}"
            );
            Ok(ExitCode::from(2))
        }
    }
}

pub fn restore(file: &Path) -> anyhow::Result<ExitCode> {
    match database()? {
        DatabaseUrl::Sqlite(live) => match backup::restore(file, &live) {
            Ok(restored) => {
                println!("已恢复 (restored): {} → {}", file.display(), live.display());
                println!("  {}", describe(&restored.contents));
                if let Some(kept) = &restored.kept {
                    println!(
                        "  原数据库已保留为 (the replaced database is kept as): {}",
                        kept.display()
                    );
                }
                println!(
                    "  请启动服务 nianjian serve；它会先把数据库升级到本版本 (start nianjian serve; it brings the schema up to this version first)"
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e @ BackupError::Busy) => {
                eprintln!("{e}");
                Ok(ExitCode::from(1))
            }
            Err(e) => {
                eprintln!("{e}");
                Ok(ExitCode::from(2))
            }
        },
        DatabaseUrl::Postgres(url) => {
            eprintln!(
                "PostgreSQL 数据库请先停止服务，再用 pg_restore 恢复 pg_dump 的备份 (stop the servers, then restore a pg_dump backup with pg_restore):"
            );
            eprintln!(
                "  pg_restore --clean --if-exists --no-owner --dbname '{}' '{}'",
                shown(&url),
                file.display()
            );
            Ok(ExitCode::from(2))
        }
    }
}
