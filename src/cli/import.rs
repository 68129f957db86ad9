//! `nianjian import` and `nianjian template`: the command-line side of the import contract
//! (CONTRACTS.md): exit 0 read without row errors, 1 read with row errors (nothing committed),
//! 2 the file cannot be used at all, with one clear message on stderr.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::config::{self, Settings};
use crate::db::Db;
use crate::db::audit::Actor;
use crate::domain::Lang;
use crate::service::import::{CommitError, CommitOutcome};
use crate::service::parse::{Sandbox, WithItems};
use crate::service::{self, registry};
use crate::sheets::{self, ImportReport};

pub struct ImportArgs {
    pub file: PathBuf,
    pub department: Option<String>,
    pub round: Option<i64>,
    pub dry_run: bool,
    pub json: bool,
    pub annotate: Option<PathBuf>,
    pub lang: Lang,
}

pub fn template(output: &Path, lang: Lang) -> anyhow::Result<ExitCode> {
    let bytes = sheets::write_template(lang)
        .map_err(|e| anyhow::anyhow!("无法生成模板 (cannot write the template): {e}"))?;
    std::fs::write(output, bytes)
        .with_context(|| format!("无法写入 (cannot write) {}", output.display()))?;
    println!("已生成填报模板 (template written): {}", output.display());
    Ok(ExitCode::SUCCESS)
}

pub fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let figment = config::figment();
    let settings = Settings::load(&figment)?;
    let limits = settings.import_limits();
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "upload".into());

    // The size first: a huge file is refused before it is read into memory.
    let meta = std::fs::metadata(&args.file)
        .with_context(|| format!("无法读取文件 (cannot read) {}", args.file.display()))?;
    if meta.len() > limits.max_file_bytes {
        let e = sheets::FileError::over(
            sheets::FileErrorCode::TooLarge,
            limits.max_file_bytes,
            meta.len(),
        )
        .with_detail(sheets::guard::Detail::FileSize);
        eprintln!("{}", e.message(args.lang));
        return Ok(ExitCode::from(2));
    }
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("无法读取文件 (cannot read) {}", args.file.display()))?;

    let sandbox = Sandbox::current(settings.import_memory_mib, settings.import_timeout_secs)?;
    let upload_to = |round_id, department_id| service::import::Upload {
        round_id,
        department_id,
        file_name: &file_name,
        bytes: &bytes,
        uploaded_by: None,
    };
    // The database stored into, kept to the end: its write-ahead log is copied into the file
    // once the report is out (`backend::with_bulk_write_settings`).
    let mut stored_in: Option<Db> = None;
    let (report, committed) = if let Some((db, round, department)) = known_target(&args, &settings)
    {
        // Where the file goes is known before it is read: its items are stored as the parse
        // child reads them, in one transaction that a kill leaves undone.
        eprintln!(
            "{}",
            args.lang.pick(
                "正在读取并保存到数据库……",
                "Reading and storing in the database…"
            )
        );
        // Only the JSON report lists the items: the human one (and the annotated workbook)
        // need not keep 100,000 of them to the end, nor their findings, which the commit works
        // out again against the database.
        let with_items = if args.json {
            WithItems::All
        } else {
            WithItems::Drafts
        };
        let parsing = match sandbox.start(&file_name, &bytes, args.lang, &limits, with_items) {
            Ok(parsing) => parsing,
            Err(e) => {
                eprintln!("{}", e.message(args.lang));
                return Ok(ExitCode::from(2));
            }
        };
        let mut conn = db.conn()?;
        let upload = upload_to(round, department);
        let read = service::import::read_and_commit(&mut conn, &Actor::cli(), &upload, parsing);
        drop(conn);
        stored_in = Some(db);
        match read {
            Ok((report, stored)) => (report, Some(stored)),
            Err(e) => {
                eprintln!("{}", e.message(args.lang));
                return Ok(ExitCode::from(2));
            }
        }
    } else {
        // A dry run that prints only the summary and the findings needs no items from the
        // child.
        let with_items = if args.json || !args.dry_run {
            WithItems::All
        } else {
            WithItems::No
        };
        match sandbox.parse_report(&file_name, &bytes, args.lang, &limits, with_items) {
            Ok(report) => (report, None),
            Err(e) => {
                eprintln!("{}", e.message(args.lang));
                return Ok(ExitCode::from(2));
            }
        }
    };
    let mut report = report;
    if let Some(out) = &args.annotate {
        let annotated = sheets::annotate(&report, &bytes, &file_name, args.lang).map_err(|e| {
            anyhow::anyhow!("无法生成批注工作簿 (cannot write the annotated workbook): {e}")
        })?;
        std::fs::write(out, annotated)
            .with_context(|| format!("无法写入 (cannot write) {}", out.display()))?;
    }

    let stored = match committed {
        Some(stored) => Some(stored),
        None if !args.dry_run && report.errors.is_empty() => {
            let url = settings.database_url()?;
            let db = Db::open(&url)?;
            let mut conn = db.conn()?;
            let round = registry::resolve_round(&mut conn, args.round)?;
            let department =
                registry::resolve_department(&mut conn, args.department.as_deref(), &report)?;
            // A big file takes a while to store: say so (on stderr, apart from the report)
            // before the transaction starts. A kill from here on leaves the database as it was.
            eprintln!(
                "{}",
                match args.lang {
                    Lang::Zh => format!("正在保存 {} 项到数据库……", report.items.len()),
                    Lang::En => format!("Storing {} items in the database…", report.items.len()),
                }
            );
            let upload = upload_to(round, department);
            let stored =
                service::import::commit_report(&mut conn, &Actor::cli(), &upload, &mut report);
            drop(conn);
            stored_in = Some(db);
            Some(stored)
        }
        None => None,
    };
    let committed = match stored {
        None | Some(Err(CommitError::HasErrors(_))) => None,
        Some(Ok(outcome)) => Some(outcome),
        Some(Err(CommitError::Db(e))) => return Err(e.into()),
        Some(Err(e)) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(1));
        }
    };

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let mut out = std::io::BufWriter::new(&mut out);
        match &committed {
            // Streamed straight out: a 100,000-row report is never held twice in memory.
            None => serde_json::to_writer(&mut out, &report)?,
            // The report's fields and then `submission`, streamed the same way.
            Some(c) => {
                #[derive(serde::Serialize)]
                struct Committed<'a> {
                    #[serde(flatten)]
                    report: &'a ImportReport,
                    submission: &'a CommitOutcome,
                }
                serde_json::to_writer(
                    &mut out,
                    &Committed {
                        report: &report,
                        submission: c,
                    },
                )?
            }
        }
        writeln!(out)?;
    } else {
        print_human(&mut out, &report, args.lang)?;
        if let Some(c) = &committed {
            print_outcome(&mut out, c, args.lang)?;
        } else if !args.dry_run {
            writeln!(
                out,
                "{}",
                args.lang.pick(
                    "文件有错误，未保存任何内容。请按上面的提示修改后重新导入。",
                    "The file has errors; nothing was stored. Fix them and import again."
                )
            )?;
        }
    }
    out.flush()?;
    if let Some(db) = stored_in
        && let Ok(mut conn) = db.conn()
    {
        crate::db::backend::checkpoint(&mut conn);
    }
    Ok(ExitCode::from(report.exit_code() as u8))
}

/// The database, round and department of an import that names its department, when all three
/// are there; `None` sends the import the long way (read, then resolve, then store), which
/// also gives the messages for whatever is missing.
fn known_target(args: &ImportArgs, settings: &Settings) -> Option<(Db, i64, i64)> {
    let code = args.department.as_deref()?;
    if args.dry_run {
        return None;
    }
    let db = Db::open(&settings.database_url().ok()?).ok()?;
    let mut conn = db.conn().ok()?;
    let round = registry::resolve_round(&mut conn, args.round).ok()?;
    let department = registry::resolve_department_code(&mut conn, code).ok()?;
    drop(conn);
    Some((db, round, department))
}

fn print_human(out: &mut impl Write, report: &ImportReport, lang: Lang) -> std::io::Result<()> {
    let zh = lang == Lang::Zh;
    writeln!(
        out,
        "{} {}",
        if zh { "文件：" } else { "File:" },
        report.file
    )?;
    for s in &report.sheets {
        writeln!(
            out,
            "  {} “{}”: {} {}, {} {}",
            if zh { "工作表" } else { "sheet" },
            s.name,
            if zh { "表头在第" } else { "header at row" },
            s.header_row,
            s.rows,
            if zh { "行事项" } else { "item rows" },
        )?;
    }
    for n in &report.notices {
        writeln!(
            out,
            "  {} {}",
            if zh { "提示：" } else { "note:" },
            n.message
        )?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "{}",
        if zh {
            format!(
                "共 {} 项（年检 {}，指定培训 {}），错误 {} 处，警告 {} 条",
                s.items, s.inspections, s.trainings, s.errors, s.warnings
            )
        } else {
            format!(
                "{} items ({} inspections, {} trainings), {} errors, {} warnings",
                s.items, s.inspections, s.trainings, s.errors, s.warnings
            )
        }
    )?;
    for e in &report.errors {
        writeln!(
            out,
            "  ✗ {}!{} [{}] {}",
            e.sheet,
            e.cell.as_deref().unwrap_or("-"),
            e.column.as_deref().unwrap_or("-"),
            e.message
        )?;
    }
    Ok(())
}

fn print_outcome(out: &mut impl Write, outcome: &CommitOutcome, lang: Lang) -> std::io::Result<()> {
    match outcome {
        CommitOutcome::Unchanged { submission_id } => writeln!(
            out,
            "{}",
            lang.pick(
                &format!("与已报送的第 {submission_id} 号文件完全相同，未作改动。"),
                &format!("Identical to submission {submission_id}; nothing changed."),
            )
        ),
        CommitOutcome::Stored {
            submission_id,
            superseded,
            added,
            removed,
            changed,
            unchanged,
        } => {
            writeln!(
                out,
                "{}",
                lang.pick(
                    &format!(
                        "已保存为第 {submission_id} 号报送{}：新增 {}，删除 {}，修改 {}，未变 {}。",
                        superseded.map(|s| format!("（替代第 {s} 号）")).unwrap_or_default(),
                        added.len(),
                        removed.len(),
                        changed.len(),
                        unchanged
                    ),
                    &format!(
                        "Stored as submission {submission_id}{}: {} added, {} removed, {} changed, {} unchanged.",
                        superseded.map(|s| format!(" (supersedes {s})")).unwrap_or_default(),
                        added.len(),
                        removed.len(),
                        changed.len(),
                        unchanged
                    ),
                )
            )
        }
    }
}

/// `nianjian export`: a publication of the top region (or `--region`) to a file.
pub fn export(
    publication: &str,
    format: &str,
    output: Option<PathBuf>,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    use crate::export::{self, ExportFormat};
    use crate::service::publish::{self, Which};
    let which = Which::parse(publication).ok_or_else(|| {
        anyhow::anyhow!(
            "--publication 应为版本号或 latest (a number or latest), not “{publication}”"
        )
    })?;
    let format = ExportFormat::from_extension(format).ok_or_else(|| {
        anyhow::anyhow!("--format 只能是 xlsx、csv 或 json (xlsx, csv or json), not “{format}”")
    })?;
    let figment = config::figment();
    let settings = Settings::load(&figment)?;
    let db = Db::open(&settings.database_url()?)?;
    let mut conn = db.conn()?;
    let region = publish::region_id(&mut conn, None)?.ok_or_else(|| {
        anyhow::anyhow!("还没有行政区划和公布 (no region and no publication yet)")
    })?;
    let Some(row) = publish::find(&mut conn, region, which)? else {
        eprintln!("未找到该公布版本 (no such publication): {publication}");
        return Ok(ExitCode::from(1));
    };
    let p = publish::load(&mut conn, &row)?;
    let bytes = match format {
        ExportFormat::Xlsx => export::xlsx::write(&p, lang).map_err(|e| anyhow::anyhow!("{e}"))?,
        ExportFormat::Csv => export::csv::write(&p, None, lang),
        ExportFormat::Json => export::json::write(&p),
    };
    let path =
        output.unwrap_or_else(|| PathBuf::from("exports").join(export::file_name(&p, format)));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, &bytes)
        .with_context(|| format!("无法写入 (cannot write) {}", path.display()))?;
    println!(
        "已导出第 {} 版 (exported publication {}): {} ({} bytes)",
        p.number,
        p.number,
        path.display(),
        bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}
