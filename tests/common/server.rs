//! The real binary as an operator runs it: `nianjian serve` on a free port, the admin commands,
//! and a minimal HTTP/1.1 client over a plain TCP stream (one request per connection), so tests
//! and benches can drive several servers at once from plain threads.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `nianjian` with a clean environment pointing at `database_url`, run in `dir`.
pub fn nianjian(dir: &Path, database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nianjian"));
    cmd.current_dir(dir)
        .env_remove("NIANJIAN_CONFIG")
        .env("DATABASE_URL", database_url)
        .env("NIANJIAN_LOG", "error");
    cmd
}

/// Runs an admin command and insists it succeeds.
pub fn cli(dir: &Path, database_url: &str, args: &[&str]) -> Output {
    let out = nianjian(dir, database_url)
        .args(args)
        .output()
        .expect("run nianjian");
    assert!(
        out.status.success(),
        "nianjian {args:?}: exit {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `nianjian serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server on `database_url` (its own working folder, so its own secret key) and
    /// waits until `/healthz` answers 200.
    pub fn start(database_url: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = nianjian(dir.path(), database_url)
            .arg("serve")
            .env("NIANJIAN_PORT", port.to_string())
            .env("NIANJIAN_ADDRESS", "127.0.0.1")
            .env("NIANJIAN_WORKERS", "8")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("serve.log")).expect("server log"))
            .spawn()
            .expect("spawn nianjian serve");
        let mut server = Server {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok((200, _)) = server.request("GET", "/healthz", &[], &[]) {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("nianjian serve exited before it answered: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "nianjian serve did not answer /healthz in 120 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One request; the status and the body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<(u16, String)> {
        request(self.port, method, path, headers, body)
    }
}

impl Server {
    /// The end of what the server wrote to its standard error (errors, panics).
    pub fn log_tail(&self) -> String {
        let log = std::fs::read(self._dir.path().join("serve.log")).unwrap_or_default();
        let from = log.len().saturating_sub(8192);
        String::from_utf8_lossy(&log[from..]).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let exited = self.child.try_wait();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failed test or bench shows what the server saw.
        if std::thread::panicking() {
            eprintln!(
                "--- nianjian serve on port {} ({}), end of its standard error:\n{}",
                self.port,
                match exited {
                    Ok(Some(status)) => format!("it had exited: {status}"),
                    _ => "still running".into(),
                },
                self.log_tail()
            );
        }
    }
}

pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(600)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no HTTP status in {text:.200}")))?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunk(body)
    } else {
        body.to_string()
    };
    Ok((status, body))
}

fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A multipart/form-data body of text fields and one file; (content type, body).
pub fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "nianjian-test-boundary-7d1f0c";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads a department's workbook to a round with an API token; (status, body).
pub fn upload(
    port: u16,
    token: &str,
    round: i64,
    department: &str,
    file_name: &str,
    bytes: &[u8],
) -> std::io::Result<(u16, String)> {
    let (content_type, body) = multipart(&[("department", department)], file_name, bytes);
    let auth = format!("Bearer {token}");
    request(
        port,
        "POST",
        &format!("/api/v1/rounds/{round}/submissions"),
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", content_type.as_str()),
        ],
        &body,
    )
}

/// A province, `count` departments (`D001`…) imported as one list, a round and a reviewer of the
/// province, all through the admin commands; returns the department codes.
pub fn seed_province(dir: &Path, database_url: &str, count: usize) -> Vec<String> {
    cli(dir, database_url, &["migrate"]);
    cli(
        dir,
        database_url,
        &["region", "add", "370000", "山东省", "--level", "province"],
    );
    let codes: Vec<String> = (1..=count).map(|i| format!("D{i:03}")).collect();
    let mut csv = String::from("部门代码,部门全称,简称,所属区划代码,联系人,联系电话,电子邮箱\n");
    for (i, code) in codes.iter().enumerate() {
        csv.push_str(&format!(
            "{code},山东省第{}厅,第{}厅,370000,张三,0531-8600{:04},d{i}@example.gov.cn\n",
            i + 1,
            i + 1,
            i
        ));
    }
    let list = dir.join("departments.csv");
    std::fs::write(&list, csv).unwrap();
    cli(
        dir,
        database_url,
        &["department", "import", list.to_str().unwrap()],
    );
    cli(
        dir,
        database_url,
        &[
            "round",
            "add",
            "2026年年检和指定培训清理",
            "--region",
            "370000",
        ],
    );
    cli(
        dir,
        database_url,
        &[
            "user", "add", "office", "--role", "reviewer", "--region", "370000",
        ],
    );
    codes
}
