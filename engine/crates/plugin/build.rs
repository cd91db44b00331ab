//! Builds the bundled plugins (`plugins/`, a workspace of its own) for
//! `wasm32-wasip2`, so that the README's two set-up commands also produce
//! every plugin the engine, its tests and its benchmarks load.
//!
//! The nested cargo gets its own target directory (next to ours) so it never
//! waits for the lock the outer build holds, and a clean environment: the
//! outer build's flags and wrappers (clippy's among them) are for the host,
//! not for WebAssembly. A missing `wasm32-wasip2` target is installed with
//! rustup when rustup is there; otherwise the build fails saying what to run.

// A build script reports failure by panicking; that is its interface.
#![allow(clippy::panic)]

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest_dir.join("../../..");
    let plugins = root.join("plugins");
    println!("cargo:rerun-if-changed={}", root.join("wit").display());
    for dir in walk(&plugins) {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default());
    let target_dir = outer_target_dir(&out_dir).join("wasm-plugins");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    ensure_target();
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&plugins)
        .args(["build", "--release", "--locked", "--target", TARGET, "--target-dir"])
        .arg(&target_dir);
    for (key, _) in env::vars_os() {
        let k = key.to_string_lossy();
        let outer = k.starts_with("CARGO_")
            && !matches!(&*k, "CARGO_HOME" | "CARGO_NET_OFFLINE" | "CARGO_HTTP_TIMEOUT" | "CARGO_MAKEFLAGS");
        if outer || matches!(&*k, "RUSTFLAGS" | "RUSTC_WRAPPER" | "RUSTC_WORKSPACE_WRAPPER" | "RUSTDOCFLAGS") {
            cmd.env_remove(&key);
        }
    }
    let status = cmd.status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("building the bundled plugins in {} failed ({s})", plugins.display()),
        Err(e) => panic!("could not run cargo to build the bundled plugins: {e}"),
    }
    let dir = target_dir.join(TARGET).join("release");
    println!("cargo:rustc-env=TRADEBOT_BUNDLED_PLUGIN_DIR={}", dir.display());
}

/// `target/` of the outer build: OUT_DIR is `<target>/<profile>/build/<pkg>/out`
/// (with a target triple in between when cross-compiling).
fn outer_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .and_then(|build| build.parent())
        .and_then(|profile| profile.parent())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.to_path_buf())
}

fn ensure_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let libdir = Command::new(&rustc).args(["--print", "target-libdir", "--target", TARGET]).output();
    let installed = libdir
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .is_some_and(|p| p.exists());
    if installed {
        return;
    }
    println!("cargo:warning=installing the {TARGET} target with rustup (needed by the bundled plugins)");
    let ok = Command::new("rustup").args(["target", "add", TARGET]).status().is_ok_and(|s| s.success());
    if !ok {
        panic!("the Rust target {TARGET} is missing and rustup could not add it; run `rustup target add {TARGET}`");
    }
}

/// `plugins/` and every directory under it except build output.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && p.file_name().is_some_and(|n| n != "target") {
            out.extend(walk(&p));
        } else if p.is_file() {
            out.push(p);
        }
    }
    out
}
