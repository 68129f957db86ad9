//! Start-up of the real binary: bad configuration stops it with one clear line and a non-zero
//! exit; a good one serves `/healthz` on SQLite and PostgreSQL.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn nianjian(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nianjian"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("NIANJIAN_CONFIG")
        .env("NIANJIAN_LOG", "warn")
        .env("RUST_BACKTRACE", "1");
    cmd
}

/// Runs `nianjian migrate` with a DATABASE_URL and returns (exit code, stderr).
fn migrate_with(url: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = nianjian(dir.path())
        .arg("migrate")
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_clear_line(stderr: &str, needle: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(
        lines[0].contains(needle),
        "expected “{needle}” in: {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("stack backtrace"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_database_url_is_refused_with_one_line() {
    for url in [
        "mysql://root@localhost/x",
        "nianjian.db",
        "sqlite://",
        "http://example",
    ] {
        let (code, stderr) = migrate_with(url);
        assert_ne!(code, 0, "{url}");
        assert_one_clear_line(&stderr, "DATABASE_URL");
    }
}

#[test]
fn an_unreachable_postgres_is_refused_with_one_line() {
    // A port nothing listens on: take a free one and let it go.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, stderr) = migrate_with(&format!("postgres://nobody@127.0.0.1:{port}/nowhere"));
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "cannot connect to the database");
    assert!(
        !stderr.contains("password"),
        "no secrets in the message: {stderr}"
    );
}

#[test]
fn a_data_folder_that_cannot_be_written_is_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    // A folder below a plain file cannot be created, even by root.
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let (code, stderr) = migrate_with(&format!("sqlite://{}/sub/nianjian.db", file.display()));
    assert_ne!(code, 0);
    assert_one_clear_line(&stderr, "data folder not writable");
}

#[test]
fn a_backup_with_no_database_says_so_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = nianjian(dir.path())
        .args(["backup", "-o", "x.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database file"));
    assert!(!dir.path().join("x.db").exists());
    // Nor does it create the database it did not find.
    assert!(!dir.path().join("data").exists());
}

fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Some((status, body))
}

/// Starts `nianjian serve` on a free port and waits for `/healthz`.
fn serve_and_check_health(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = nianjian(dir.path());
    let log = dir.path().join("serve.log");
    cmd.arg("serve")
        .env("NIANJIAN_PORT", port.to_string())
        .env("NIANJIAN_ADDRESS", "127.0.0.1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut answer = None;
    while Instant::now() < deadline {
        if let Some(a) = get(port, "/healthz") {
            answer = Some(a);
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let (status, body) = answer.expect("serve never answered /healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"database\":\"ok\""), "{body}");
    // NIANJIAN_LOG is our log filter, not Rocket's long-renamed `log` setting: no warning about
    // it at each start (the log runs at `warn`, so one would show).
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("Rocket has launched"), "{log}");
    assert!(!log.contains("deprecated config key"), "{log}");
    if database_url.is_none() {
        assert!(
            dir.path().join("data/nianjian.db").exists(),
            "the default SQLite file"
        );
        assert!(
            dir.path().join("data/secret.key").exists(),
            "a generated secret key"
        );
    }
}

#[test]
fn serve_answers_healthz_on_sqlite() {
    serve_and_check_health(None);
}

#[test]
fn serve_answers_healthz_on_postgres() {
    let Some(pg) = common::TestDb::postgres() else {
        return;
    };
    let url = match pg.db.url() {
        nianjian::db::DatabaseUrl::Postgres(u) => u.clone(),
        other => panic!("{other:?}"),
    };
    serve_and_check_health(Some(&url));
}
