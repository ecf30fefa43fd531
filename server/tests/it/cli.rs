//! The binary itself: help, and bad --db paths refused with a clear message and the file untouched.

use std::process::Command;

fn spendwatch() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spendwatch"));
    c.env_remove("SPENDWATCH_DB").env_remove("RUST_LOG");
    c
}

#[test]
fn help_teaches_the_commands() {
    let out = spendwatch().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "demo", "--db", "spendwatch serve --demo"] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
    let out = spendwatch().args(["demo", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--services") && text.contains("--days") && text.contains("--seed"), "{text}");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("important.csv");
    std::fs::write(&path, "a,b,c\n1,2,3\n").unwrap();
    let out = spendwatch().arg("--db").arg(&path).args(["demo", "--days", "1"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("important.csv") && err.contains("not an SQLite database"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b,c\n1,2,3\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no -wal or -shm file was created");
}

#[test]
fn an_unwritable_place_is_named() {
    let out = spendwatch().args(["--db", "/nonexistent-spendwatch/sub/x.db", "demo", "--days", "1"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent-spendwatch/sub/x.db"), "{err}");
}

#[test]
fn a_bad_end_date_is_explained() {
    let out = spendwatch().args(["demo", "--end", "yesterday"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'yesterday' is not YYYY-MM-DD"), "{err}");
}
