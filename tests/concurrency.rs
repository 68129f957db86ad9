//! Concurrent writers against the real binary over HTTP: parallel uploads of many departments,
//! the same department twice at once, and two servers on one PostgreSQL (issue #10) while the
//! public list is read. Nothing is lost, nothing doubled, every department has exactly one
//! submission in force, and of two uploads of one department the one that commits second
//! supersedes the other — the order the audit log records.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use common::instances::{self, Stored, audit_verify, live_items, seeded, sha, stored, url_text};
use common::server::{self, Server};
use common::workbook::workbook_bytes;

const ROWS: usize = 120;

#[test]
fn parallel_uploads_land_once_and_the_later_of_two_supersedes_the_earlier() {
    for test_db in common::TestDb::all() {
        let dir = tempfile::tempdir().unwrap();
        let url = url_text(&test_db.url);
        let (round, codes, token) = seeded(&test_db, dir.path(), 21);
        let server = Server::start(&url);

        // 20 departments once each, and the 21st twice at once with different files.
        let twin = codes[20].clone();
        let mut uploads: Vec<(String, Vec<u8>)> = codes[..20]
            .iter()
            .enumerate()
            .map(|(i, code)| (code.clone(), workbook_bytes(ROWS, (i + 1) * 10_000)))
            .collect();
        let first = workbook_bytes(ROWS, 900_000);
        let second = workbook_bytes(ROWS + 7, 900_000);
        uploads.push((twin.clone(), first.clone()));
        uploads.push((twin.clone(), second.clone()));

        let barrier = Arc::new(Barrier::new(uploads.len()));
        let port = server.port;
        let answers: Vec<(String, u16, String)> = uploads
            .into_iter()
            .map(|(code, bytes)| {
                let (barrier, token) = (barrier.clone(), token.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let (status, body) =
                        server::upload(port, &token, round, &code, "年检事项.xlsx", &bytes)
                            .expect("the server answers");
                    (code, status, body)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        for (code, status, body) in &answers {
            assert_eq!(*status, 201, "{}: {code}: {body}", test_db.backend);
        }

        let rows = stored(&test_db.db, round);
        assert_eq!(
            rows.len(),
            22,
            "{}: nothing lost, nothing doubled",
            test_db.backend
        );
        let mut current: HashMap<&str, Vec<&Stored>> = HashMap::new();
        for row in rows.iter().filter(|r| r.4.is_none()) {
            current.entry(row.1.as_str()).or_default().push(row);
        }
        assert_eq!(current.len(), 21, "{}", test_db.backend);
        for (code, rows) in &current {
            assert_eq!(
                rows.len(),
                1,
                "{}: {code} has one submission in force",
                test_db.backend
            );
        }
        // The twin: the one whose import the audit chain records second is in force and
        // supersedes the other.
        let twins: Vec<&Stored> = rows.iter().filter(|r| r.1 == twin).collect();
        assert_eq!(twins.len(), 2);
        let order = instances::import_order(&test_db.db);
        assert_eq!(
            order.len(),
            22,
            "{}: one audit entry per import",
            test_db.backend
        );
        let position = |id: i64| order.iter().position(|&o| o == id).unwrap();
        let (earlier, later) = if position(twins[0].0) < position(twins[1].0) {
            (twins[0], twins[1])
        } else {
            (twins[1], twins[0])
        };
        assert_eq!(earlier.4, Some(later.0), "{}", test_db.backend);
        assert_eq!(later.4, None, "{}", test_db.backend);
        assert!(
            [sha(&first), sha(&second)].contains(&later.2) && earlier.2 != later.2,
            "{}",
            test_db.backend
        );
        // The items in force are the later file's, every other department's are all there.
        let live = live_items(&test_db.db, round);
        assert_eq!(live[&twin], later.3, "{}", test_db.backend);
        for code in &codes[..20] {
            assert_eq!(live[code], ROWS as i64, "{}: {code}", test_db.backend);
        }
        drop(server);
        audit_verify(dir.path(), &url);
    }
}

#[test]
fn two_servers_on_one_postgresql_take_fifty_departments_at_once() {
    if let Some(f) = instances::two_instances(50, 40) {
        eprintln!(
            "two instances: 50 uploads in {:.1} s, {} public reads meanwhile",
            f.upload_seconds,
            f.read_latencies.len()
        );
    }
}
