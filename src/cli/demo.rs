//! `nianjian demo`: a fresh database from the department workbooks in `imports/`, the office's
//! decisions of `imports/decisions.csv`, a closed consultation on the kept flagged inspections,
//! a publication, its exports in `exports/`, and then the server.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{self, Settings};
use crate::db::audit::Actor;
use crate::db::departments::{self, NewDepartment};
use crate::db::regions::{self, NewRegion};
use crate::db::schema::{decisions as decisions_t, items, rounds};
use crate::db::users::{self, NewUser, Role};
use crate::db::{DatabaseUrl, Db, DbConnection, write_transaction};
use crate::domain::publication::List;
use crate::domain::{Kind, Lang, text};
use crate::export;
use crate::service::decisions::{self, DecisionInput};
use crate::service::import::{self, CommitOutcome};
use crate::service::parse::Sandbox;
use crate::service::{consultation, publish};
use crate::sheets::ImportReport;

/// Every demo account signs in with this password (the demo is for showing, not for keeping).
pub const DEMO_PASSWORD: &str = "nianjian-demo-2017";

/// What the demo made, for the summary and for tests.
#[derive(Debug, Default)]
pub struct DemoOutcome {
    pub imported: Vec<(String, usize)>,
    pub rejected: Vec<(String, usize)>,
    pub decided: usize,
    pub publication: Option<i64>,
    pub exports: Vec<PathBuf>,
    pub accounts: Vec<(String, String)>,
}

fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// Moves an existing SQLite database aside (never deletes it).
fn move_aside(path: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", path.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}.bak{suffix}", path.display()));
            std::fs::rename(&from, &to).with_context(|| {
                format!(
                    "无法移走旧数据库 (cannot move the old database aside) {}",
                    from.display()
                )
            })?;
        }
    }
    Ok(())
}

/// The workbooks to import, in name order.
fn import_files(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("找不到导入目录 (no imports folder) {}", folder.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let ext = p
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods" | "csv")
                && name != "decisions.csv"
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The department a file's rows name in 实施部门 (the demo files name one each).
fn department_of(report: &ImportReport) -> Option<String> {
    report
        .items
        .iter()
        .map(|i| i.draft.department.trim().to_string())
        .find(|d| !d.is_empty())
}

/// Full name of a provincial department from how clerks write it (省交通运输厅 → 山东省交通运输厅).
fn full_name(short: &str) -> String {
    match short.strip_prefix('省') {
        Some(rest) => format!("山东省{rest}"),
        None if short.starts_with("山东") => short.to_string(),
        None => format!("山东省{short}"),
    }
}

/// Runs the whole demo against `db`. `imports` is the folder of workbooks, `exports` where the
/// exports go. Prints progress when `progress` is set.
pub fn run_demo(
    db: &Db,
    sandbox: &Sandbox,
    settings: &Settings,
    imports: &Path,
    exports: &Path,
    progress: bool,
) -> anyhow::Result<DemoOutcome> {
    let mut out = DemoOutcome::default();
    let actor = Actor::cli();
    let mut conn = db.conn()?;

    // The province, the office's reviewer and the round.
    let province = write_transaction(&mut conn, |c| {
        regions::insert(
            c,
            &actor,
            &NewRegion {
                code: "370000",
                name: "山东省",
                level: "province",
                parent_id: None,
            },
        )
    })?;
    let round_id: i64 = diesel::insert_into(rounds::table)
        .values((
            rounds::region_id.eq(province.id),
            rounds::name.eq("2017年山东省清理年检和政府指定培训"),
            rounds::submission_deadline.eq(Some(at(2017, 4, 30))),
            rounds::consultation_starts_at.eq(Some(at(2017, 5, 10))),
            rounds::consultation_ends_at.eq(Some(at(2017, 5, 31))),
            rounds::publication_deadline.eq(Some(at(2017, 6, 30))),
            rounds::created_at.eq(crate::db::now()),
        ))
        .returning(rounds::id)
        .get_result(&mut conn)?;
    let hash = users::hash_password(DEMO_PASSWORD)?;
    for (name, role) in [("admin", Role::Admin), ("shenhe", Role::Reviewer)] {
        write_transaction(&mut conn, |c| {
            users::insert(
                c,
                &actor,
                &NewUser {
                    username: name.to_string(),
                    role,
                    department_id: None,
                    region_id: (role == Role::Reviewer).then_some(province.id),
                },
                &hash,
                false,
            )
        })?;
        out.accounts
            .push((name.to_string(), role.label(Lang::Zh).to_string()));
    }

    // Read every workbook in the sandbox, as an upload would be.
    let files = import_files(imports)?;
    let bar = if progress {
        ProgressBar::new(files.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix("导入 (importing)");
    let limits = settings.import_limits();
    let mut departments_by_name: HashMap<String, i64> = HashMap::new();
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        bar.set_message(name.clone());
        let bytes = std::fs::read(file)?;
        let mut report = sandbox
            .parse(&name, &bytes, Lang::Zh, &limits)
            .map_err(|e| anyhow::anyhow!("{name}: {}", e.message(Lang::Zh)))?;
        let Some(short) = department_of(&report) else {
            bar.inc(1);
            continue;
        };
        let key = text::normalise_name(&short);
        let department_id = match departments_by_name.get(&key) {
            Some(id) => *id,
            None => {
                let n = departments_by_name.len() + 1;
                let code = format!("SD{n:02}");
                let full = full_name(&short);
                let dep = write_transaction(&mut conn, |c| {
                    departments::insert(
                        c,
                        &actor,
                        &NewDepartment {
                            region_id: province.id,
                            code: &code,
                            name: &full,
                            short_name: Some(&short),
                        },
                    )
                })?;
                let username = format!("tianbao{n:02}");
                write_transaction(&mut conn, |c| {
                    users::insert(
                        c,
                        &actor,
                        &NewUser {
                            username: username.clone(),
                            role: Role::Submitter,
                            department_id: Some(dep.id),
                            region_id: None,
                        },
                        &hash,
                        false,
                    )
                })?;
                out.accounts.push((username, format!("部门填报人：{full}")));
                departments_by_name.insert(key, dep.id);
                dep.id
            }
        };
        if !report.errors.is_empty() {
            // Kept for the error report: the department's own workbook with the bad cells marked.
            let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
            let path = exports.join(format!("{stem}-批注.xlsx"));
            if let Ok(marked) = crate::sheets::annotate(&report, &bytes, &name, Lang::Zh) {
                std::fs::write(&path, marked)?;
                out.exports.push(path);
            }
            out.rejected.push((name, report.errors.len()));
            bar.inc(1);
            continue;
        }
        let upload = import::Upload {
            round_id,
            department_id,
            file_name: &name,
            bytes: &bytes,
            uploaded_by: None,
        };
        let outcome = import::commit_report(&mut conn, &actor, &upload, &mut report)
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        if let CommitOutcome::Stored { .. } = outcome {
            out.imported.push((name, report.items.len()));
        }
        bar.inc(1);
    }
    bar.finish_with_message("完成 (done)");

    // The office's decisions, batch by batch: each batch is decided, consulted on where the plan
    // requires it, and published as the next version, so the public site has a history and a
    // diff to show (batch 2: 省公安厅, whose first file was rejected and came back corrected).
    let decisions_csv = imports.join("decisions.csv");
    for batch in decision_batches(&decisions_csv)? {
        out.decided += apply_decisions(&mut conn, &actor, round_id, &decisions_csv, batch)?;
        consult_on_flagged(&mut conn, &actor, round_id, batch)?;
        let (number, files) = publish_and_export(&mut conn, &actor, round_id, exports)?;
        out.publication = Some(number);
        out.exports.extend(files);
    }
    Ok(out)
}

/// The consultation the plan requires for flagged inspections that are kept: those of this
/// batch (not yet published), opened and closed with a summary per item.
fn consult_on_flagged(
    conn: &mut DbConnection,
    actor: &Actor,
    round_id: i64,
    batch: u32,
) -> anyhow::Result<()> {
    let flagged: Vec<i64> = items::table
        .inner_join(decisions_t::table)
        .filter(items::round_id.eq(round_id))
        .filter(items::withdrawn.eq(false))
        .filter(items::state.ne("published"))
        .filter(items::kind.eq(Kind::Inspection.code()))
        .filter(decisions_t::superseded_at.is_null())
        .filter(decisions_t::disposition.ne("cancel"))
        .filter(decisions_t::necessity.is_not_null())
        .select(items::id)
        .load(conn)?;
    if flagged.is_empty() {
        return Ok(());
    }
    let month = 4 + batch;
    let id = consultation::open(
        conn,
        actor,
        round_id,
        "关于拟保留部分年检事项的公开征求意见",
        "以下年检事项没有法律、行政法规依据或为我省自行设定，拟予保留。现公开征求社会各界意见。",
        at(2017, month, 10),
        at(2017, month, 31),
        &flagged,
    )?;
    // The three comments the summaries speak of, approved, so the public page shows them.
    let texts = [
        "该年检对保障安全确有必要，支持保留。",
        "支持保留，建议简化提交材料，推行网上办理。",
        "同意保留，希望进一步压缩办理时限。",
    ];
    for &item in &flagged {
        for (n, text) in texts.iter().enumerate() {
            let comment = consultation::ValidComment {
                stance: consultation::Stance::Support,
                body: (*text).to_string(),
                name: None,
                contact: None,
            };
            let hash = consultation::address_hash(b"demo", &format!("192.0.2.{n}"));
            let comment_id = consultation::submit_comment(
                conn,
                Some(id),
                item,
                &comment,
                &hash,
                at(2017, month, 15),
            )?;
            consultation::moderate(conn, actor, comment_id, "approve", None)?;
        }
    }
    let summaries: HashMap<i64, String> = flagged
        .iter()
        .map(|&i| {
            (
                i,
                "征求意见期间共收到意见3条，均支持保留并建议简化程序；已在必要性评估中采纳。"
                    .to_string(),
            )
        })
        .collect();
    consultation::close(conn, actor, id, &summaries)?;
    Ok(())
}

/// Publishes the round's decided items as the next version and writes its three exports.
fn publish_and_export(
    conn: &mut DbConnection,
    actor: &Actor,
    round_id: i64,
    exports: &Path,
) -> anyhow::Result<(i64, Vec<PathBuf>)> {
    let row = match publish::publish(conn, actor, round_id) {
        Ok(row) => row,
        Err(publish::PublishError::Blocked(blocking)) => {
            let names: Vec<String> = blocking
                .iter()
                .map(|b| format!("{}：{}", b.department, b.name))
                .collect();
            bail!(
                "公布被拒绝，仍有错误未解决 (publication refused): {}",
                names.join("；")
            );
        }
        Err(e) => bail!("{e}"),
    };
    let p = publish::load(conn, &row)?;
    std::fs::create_dir_all(exports)?;
    let xlsx = exports.join(export::file_name(&p, export::ExportFormat::Xlsx));
    std::fs::write(
        &xlsx,
        export::xlsx::write(&p, Lang::Zh).map_err(|e| anyhow::anyhow!("{e}"))?,
    )?;
    let csv = exports.join(export::file_name(&p, export::ExportFormat::Csv));
    std::fs::write(&csv, export::csv::write(&p, None, Lang::Zh))?;
    let json = exports.join(export::file_name(&p, export::ExportFormat::Json));
    std::fs::write(&json, export::json::write(&p))?;
    let mut counts = BTreeMap::new();
    for list in List::ALL {
        counts.insert(list.zh(), p.list(*list).count());
    }
    tracing::info!(number = row.number, ?counts, "published");
    Ok((row.number, vec![xlsx, csv, json]))
}

/// The batch of a `decisions.csv` row: its `batch` column, 1 when empty.
fn batch_of(record: &csv::StringRecord) -> u32 {
    record
        .get(6)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// The batches `decisions.csv` names, in order.
fn decision_batches(path: &Path) -> anyhow::Result<Vec<u32>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("无法读取 {}", path.display()))?;
    let mut batches = std::collections::BTreeSet::new();
    for record in reader.records() {
        batches.insert(batch_of(&record?));
    }
    Ok(batches.into_iter().collect())
}

/// Applies the rows of `batch` of `decisions.csv` (department, item_name, decision,
/// cycle_months, rationale, necessity, batch) to the round's items.
fn apply_decisions(
    conn: &mut DbConnection,
    actor: &Actor,
    round_id: i64,
    path: &Path,
    batch: u32,
) -> anyhow::Result<usize> {
    use crate::db::schema::departments as deps;
    let items_of_round: Vec<(i64, String, String, Option<String>)> = items::table
        .inner_join(deps::table)
        .filter(items::round_id.eq(round_id))
        .filter(items::withdrawn.eq(false))
        .select((items::id, items::name, deps::name, deps::short_name))
        .load(conn)?;
    let mut index: HashMap<(String, String), i64> = HashMap::new();
    for (id, name, dep, short) in items_of_round {
        let n = text::normalise_name(&name);
        index.insert((text::normalise_name(&dep), n.clone()), id);
        if let Some(s) = short {
            index.insert((text::normalise_name(&s), n), id);
        }
    }
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("无法读取 {}", path.display()))?;
    let mut decided = 0;
    for record in reader.records() {
        let r = record?;
        if batch_of(&r) != batch {
            continue;
        }
        let get = |i: usize| r.get(i).map(str::trim).filter(|s| !s.is_empty());
        let (Some(dep), Some(name), Some(decision)) = (get(0), get(1), get(2)) else {
            continue;
        };
        let Some(&item) = index.get(&(text::normalise_name(dep), text::normalise_name(name)))
        else {
            // An item of a rejected file: nothing to decide.
            continue;
        };
        let input = DecisionInput {
            decision: decision.to_string(),
            cycle_months: get(3).and_then(|c| c.parse().ok()),
            rationale: get(4).unwrap_or("经审核决定").to_string(),
            necessity: get(5).map(str::to_string),
        };
        decisions::decide(conn, actor, round_id, item, &input)
            .map_err(|e| anyhow::anyhow!("{dep} {name}: {}", e.message(Lang::Zh)))?;
        decided += 1;
    }
    Ok(decided)
}

/// The command: fresh database, demo, summary, and the server unless `--no-serve`.
pub fn demo(no_serve: bool, force: bool) -> anyhow::Result<ExitCode> {
    let figment = config::figment();
    let settings = Settings::load(&figment)?;
    let url = settings.database_url()?;
    match &url {
        DatabaseUrl::Sqlite(path) => move_aside(path)?,
        DatabaseUrl::Postgres(_) if !force => bail!(
            "演示会清空数据库，PostgreSQL 上须加 --force 确认 (the demo resets the database: add --force to do it on PostgreSQL)"
        ),
        DatabaseUrl::Postgres(_) => crate::db::reset(&url)?,
    }
    let db = Db::open(&url)?;
    let sandbox = match &settings.parser_exe {
        Some(exe) => Sandbox::with_exe(
            exe,
            settings.import_memory_mib,
            settings.import_timeout_secs,
        ),
        None => Sandbox::current(settings.import_memory_mib, settings.import_timeout_secs)?,
    };
    let exports = PathBuf::from("exports");
    std::fs::create_dir_all(&exports)?;
    let outcome = run_demo(
        &db,
        &sandbox,
        &settings,
        Path::new("imports"),
        &exports,
        true,
    )?;

    println!();
    println!(
        "演示数据已就绪 (demo ready) — 数据库 (database): {}",
        url.display()
    );
    for (file, n) in &outcome.imported {
        println!("  ✓ {file}: {n} 项 (items)");
    }
    for (file, n) in &outcome.rejected {
        println!(
            "  ✗ {file}: {n} 处错误，未导入，批注工作簿见 exports/ ({n} errors: not imported; annotated copy in exports/)"
        );
    }
    println!("  决定 (decisions): {}", outcome.decided);
    if let Some(n) = outcome.publication {
        println!(
            "  公布 (publication): 第 1 至 {n} 版，最新为第 {n} 版 (versions 1 to {n}; latest {n})"
        );
    }
    for path in &outcome.exports {
        println!("  导出 (export): {}", path.display());
    }
    println!("账号 (accounts), 密码均为 (password for all) {DEMO_PASSWORD}:");
    for (name, what) in &outcome.accounts {
        println!("  {name:<12} {what}");
    }
    if no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    let address = figment
        .extract_inner::<String>("address")
        .unwrap_or_else(|_| "127.0.0.1".into());
    let port = figment.extract_inner::<u16>("port").unwrap_or(8000);
    println!("打开 (open) http://{address}:{port}/  — 按 Ctrl+C 停止 (Ctrl+C stops)");
    super::serve_with(figment, settings, db)
}
