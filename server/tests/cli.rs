//! The `vanguard` binary's subcommands: help, one-line errors, non-zero exits.

use std::process::{Command, Output};

fn vanguard(args: &[&str], db: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vanguard"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "error")
        .output()
        .expect("run vanguard")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        &[][..],
        &["serve"],
        &["migrate"],
        &["create-admin"],
        &["import-members"],
    ] {
        let mut args = sub.to_vec();
        args.push("--help");
        let out = vanguard(&args, "sqlite::memory:");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn migrate_then_create_admin_then_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("cli.db").display());

    let out = vanguard(&["migrate"], &db);
    assert!(out.status.success(), "{}", stderr(&out));

    // Importing before any committee exists is a clear one-line error.
    let csv = dir.path().join("m.csv");
    std::fs::write(&csv, "用户名,姓名,支部\nzhang01,张三,第一党支部\n").unwrap();
    let out = vanguard(&["import-members", csv.to_str().unwrap()], &db);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: 还没有党委可导入：请先运行 create-admin"
    );

    let out = vanguard(
        &["create-admin", "--username", "root", "--name", "管理员"],
        &db,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.starts_with("created admin root; password: "),
        "{printed}"
    );

    let out = vanguard(
        &["create-admin", "--username", "root", "--name", "又一个"],
        &db,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "error: username “root” is taken");

    let out = vanguard(&["import-members", csv.to_str().unwrap()], &db);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("imported 1 members") && printed.contains("zhang01,"),
        "{printed}"
    );

    let out = vanguard(&["import-members", "/no/such/file.csv"], &db);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: 无法读取 /no/such/file.csv") && !err.contains('\n'),
        "{err}"
    );
}

#[test]
fn bad_database_urls_and_arguments_fail_cleanly() {
    let out = vanguard(&["migrate"], "mysql://nowhere");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: unsupported database URL"),
        "{}",
        stderr(&out)
    );
    let out = vanguard(&["frobnicate"], "sqlite::memory:");
    assert!(!out.status.success());
    let out = vanguard(&["serve", "--addr", "not-an-address"], "sqlite::memory:");
    assert!(!out.status.success());
}
