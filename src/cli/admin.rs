//! The administration commands: `region`, `department`, `round`, and `user set-role` /
//! `user list`, over `crate::service::admin` like the pages and the API.
//!
//! Exit status: 0 done; 1 an imported list has bad rows (each printed on stderr, nothing
//! imported); 2 refused or failed (one line on stderr).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use crate::db::audit::Actor;
use crate::db::scope::Scope;
use crate::db::{Db, DbConnection};
use crate::service::admin::departments::{self as dept_service, DepartmentInput};
use crate::service::admin::regions::{self as region_service, Level, RegionInput, RegionNode};
use crate::service::admin::rounds::{self as round_service, RoundInput};
use crate::service::admin::users::{self as user_service, RoleInput};
use crate::service::admin::{AdminError, time};

#[derive(Debug, Subcommand)]
pub enum RegionCommand {
    /// Add a region by its GB/T 2260 code.
    Add {
        code: String,
        name: String,
        /// province, city, county or township.
        #[arg(long)]
        level: String,
        /// The parent's code (required below province level; implied by the code if left out).
        #[arg(long)]
        parent: Option<String>,
    },
    /// Import a region list (xlsx/xls/ods/csv with columns 代码, 名称, 级别, 上级代码): all or nothing.
    Import {
        file: PathBuf,
        /// Check the list only; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the regions as a tree.
    List,
}

#[derive(Debug, Subcommand)]
pub enum DepartmentCommand {
    /// Add a department of a region.
    Add {
        code: String,
        /// The full name.
        name: String,
        /// The region's code.
        #[arg(long)]
        region: String,
        #[arg(long)]
        short: Option<String>,
        /// The contact person.
        #[arg(long)]
        contact: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// Import a department list (columns 部门代码, 部门全称, 简称, 所属区划代码, 联系人, 联系电话, 电子邮箱): all or nothing.
    Import {
        file: PathBuf,
        /// Check the list only; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the departments.
    List,
}

#[derive(Debug, Subcommand)]
pub enum RoundCommand {
    /// Add a round of a region; times in Beijing time, e.g. 2017-04-30T18:00.
    Add {
        name: String,
        /// The region's code.
        #[arg(long)]
        region: String,
        #[arg(long)]
        submission_deadline: Option<String>,
        #[arg(long)]
        consultation_start: Option<String>,
        #[arg(long)]
        consultation_end: Option<String>,
        #[arg(long)]
        publication_deadline: Option<String>,
    },
    /// Print the rounds (times in Beijing time).
    List,
}

/// Turns a refusal into the one-line error of the command line; prints bad rows and answers 1.
fn finish(result: Result<ExitCode, AdminError>) -> anyhow::Result<ExitCode> {
    match result {
        Ok(code) => Ok(code),
        Err(AdminError::Rows(rows)) => {
            for row in &rows {
                eprintln!("{}", row.line());
            }
            eprintln!("{}", AdminError::Rows(rows));
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

fn read_file(path: &Path) -> anyhow::Result<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).map_err(|e| {
        anyhow::anyhow!(
            "无法读取文件 (cannot read the file) {}: {e}",
            path.display()
        )
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok((name, bytes))
}

fn print_import(what: &str, created: &[String], unchanged: usize, dry_run: bool) {
    if dry_run {
        println!(
            "检查通过，未做改动 (dry run, nothing changed): 将新增 {} 条{what}，{unchanged} 条未变 ({} to add, {unchanged} unchanged)",
            created.len(),
            created.len()
        );
    } else {
        println!(
            "已导入{what} (imported): 新增 {} 条，{unchanged} 条未变 ({} added, {unchanged} unchanged)",
            created.len(),
            created.len()
        );
    }
}

pub fn region(db: &Db, command: RegionCommand) -> anyhow::Result<ExitCode> {
    let mut conn = db.conn()?;
    let conn = &mut *conn;
    let actor = Actor::cli();
    let result = match command {
        RegionCommand::Add {
            code,
            name,
            level,
            parent,
        } => region_service::create(
            conn,
            &actor,
            &RegionInput {
                code,
                name,
                level: Some(level),
                parent,
            },
        )
        .map(|r| {
            println!(
                "已添加区划 (region added): {} {} ({})",
                r.code, r.name, r.level
            );
            ExitCode::SUCCESS
        }),
        RegionCommand::Import { file, dry_run } => {
            let (name, bytes) = read_file(&file)?;
            region_service::import(conn, &actor, &name, &bytes, dry_run).map(|o| {
                print_import("区划", &o.created, o.unchanged, dry_run);
                ExitCode::SUCCESS
            })
        }
        RegionCommand::List => region_service::tree(conn).map(|tree| {
            fn print(nodes: &[RegionNode], depth: usize) {
                for n in nodes {
                    let level = Level::from_code(&n.level).map_or("", Level::zh);
                    println!("{}{} {} ({level})", "  ".repeat(depth), n.code, n.name);
                    print(&n.children, depth + 1);
                }
            }
            print(&tree, 0);
            ExitCode::SUCCESS
        }),
    };
    finish(result)
}

pub fn department(db: &Db, command: DepartmentCommand) -> anyhow::Result<ExitCode> {
    let mut conn = db.conn()?;
    let conn = &mut *conn;
    let actor = Actor::cli();
    let result = match command {
        DepartmentCommand::Add {
            code,
            name,
            region,
            short,
            contact,
            phone,
            email,
        } => dept_service::create(
            conn,
            &actor,
            &DepartmentInput {
                code,
                name,
                short_name: short,
                region,
                contact_person: contact,
                contact_phone: phone,
                contact_email: email,
            },
        )
        .map(|d| {
            println!("已添加部门 (department added): {} {}", d.code, d.name);
            ExitCode::SUCCESS
        }),
        DepartmentCommand::Import { file, dry_run } => {
            let (name, bytes) = read_file(&file)?;
            dept_service::import(conn, &actor, &name, &bytes, dry_run).map(|o| {
                print_import("部门", &o.created, o.unchanged, dry_run);
                ExitCode::SUCCESS
            })
        }
        DepartmentCommand::List => dept_service::list(conn).map(|list| {
            for d in list {
                let dep = &d.department;
                let contact: Vec<&str> = [
                    dep.contact_person.as_deref(),
                    dep.contact_phone.as_deref(),
                    dep.contact_email.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect();
                println!(
                    "{}\t{}\t{} {}\t{}",
                    dep.code,
                    dep.name,
                    d.region_code,
                    d.region_name,
                    contact.join(" ")
                );
            }
            ExitCode::SUCCESS
        }),
    };
    finish(result)
}

pub fn round(db: &Db, command: RoundCommand) -> anyhow::Result<ExitCode> {
    let mut conn = db.conn()?;
    let conn = &mut *conn;
    let actor = Actor::cli();
    let result = match command {
        RoundCommand::Add {
            name,
            region,
            submission_deadline,
            consultation_start,
            consultation_end,
            publication_deadline,
        } => round_service::create(
            conn,
            &actor,
            &RoundInput {
                name,
                region,
                submission_deadline,
                consultation_start,
                consultation_end,
                publication_deadline,
            },
        )
        .map(|r| {
            println!("已添加清理批次 (round added): {} {}", r.id, r.name);
            ExitCode::SUCCESS
        }),
        RoundCommand::List => round_service::list_visible(conn, &Scope::All)
            .map_err(AdminError::from)
            .map(|rounds| {
                let show = |t: &Option<String>| {
                    t.as_deref()
                        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                        .map(|t| time::display(t.naive_utc()))
                        .unwrap_or_else(|| "—".into())
                };
                println!(
                    "编号 (id)\t名称 (name)\t区划 (region)\t报送截止 (submission)\t征求意见 (consultation)\t公布截止 (publication)  [北京时间 Beijing time]"
                );
                for r in rounds {
                    println!(
                        "{}\t{}\t{} {}\t{}\t{} – {}\t{}",
                        r.id,
                        r.name,
                        r.region_code,
                        r.region_name,
                        show(&r.submission_deadline),
                        show(&r.consultation_start),
                        show(&r.consultation_end),
                        show(&r.publication_deadline)
                    );
                }
                ExitCode::SUCCESS
            }),
    };
    finish(result)
}

/// `user set-role USERNAME --role R [--department CODE] [--region CODE]`.
pub fn user_set_role(
    conn: &mut DbConnection,
    username: &str,
    role: String,
    department: Option<String>,
    region: Option<String>,
) -> anyhow::Result<ExitCode> {
    let actor = Actor::cli();
    let result = user_service::by_username(conn, username).and_then(|user| {
        user_service::set_role(
            conn,
            &actor,
            user.id,
            &RoleInput {
                role,
                department,
                region,
            },
        )
    });
    finish(result.map(|u| {
        println!("已修改角色 (role changed): {} → {}", u.username, u.role);
        ExitCode::SUCCESS
    }))
}

/// `user list`.
pub fn user_list(conn: &mut DbConnection) -> anyhow::Result<ExitCode> {
    finish(user_service::list(conn).map(|users| {
        for u in users {
            let attached = match (&u.department_code, &u.region_code) {
                (Some(d), _) => format!("department {d}"),
                (None, Some(r)) => format!("region {r}"),
                (None, None) => String::new(),
            };
            println!(
                "{}\t{}\t{}\t{}",
                u.username,
                u.role,
                attached,
                if u.disabled {
                    "已停用 (disabled)"
                } else {
                    ""
                }
            );
        }
        ExitCode::SUCCESS
    }))
}
