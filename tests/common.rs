//! Helpers shared by the integration tests: run the real `tradebot` binary.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn tradebot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tradebot")).args(args).output().expect("run tradebot")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit status, asserting the process was not killed and did not panic.
pub fn status(o: &Output) -> i32 {
    let code = o.status.code().expect("tradebot was killed by a signal");
    assert_ne!(code, 101, "tradebot panicked:\n{}", stderr(o));
    code
}

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

pub fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

pub fn import(input: &Path, store: &Path, symbol: &str, interval: &str, extra: &[&str]) -> Output {
    let mut args = vec!["import", "--input", p(input), "--store", p(store), "--symbol", symbol, "--interval", interval];
    args.extend_from_slice(extra);
    tradebot(&args)
}

/// Every file in a directory with its bytes, to show a store did not change.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    v.sort();
    v
}
