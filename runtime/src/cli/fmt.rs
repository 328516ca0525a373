//! `capz fmt [--check] [PATH...]`: rewrite `.capz` files in the canonical style
//! ([`lang::fmt::format_source`] has the rules; this module does the file IO).
//!
//! - A PATH that is a directory is searched recursively for `*.capz` files (folders whose
//!   name starts with `.`, such as `.git` and `.capz`, and `target` are skipped); a PATH
//!   that is a file is formatted whatever its extension; no PATH means the current
//!   directory. `-` reads a program from stdin and writes the formatted program to stdout.
//! - Without `--check`, changed files are rewritten and their paths printed on stdout.
//!   With `--check`, nothing is written: the paths of files that would change are printed
//!   (`-` for stdin) and the exit code is 1 if there is any.
//! - A file that does not parse is left alone; its syntax diagnostics go to stderr and the
//!   exit code is 1. Other files are still formatted.
//!
//! Exit codes: 0 all files formatted (or, with `--check`, nothing would change); 1 a file
//! would change (`--check`), does not parse, or cannot be read or written.

use super::eprint_diagnostics;
use crate::codes;
use lang::{Diagnostic, SourceFile, SourceMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Run `capz fmt`; returns the exit code.
pub fn run(paths: &[PathBuf], check: bool) -> u8 {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut failed = false;
    let mut changed = false;
    for path in paths {
        if path.as_os_str() == "-" {
            match stdin(check) {
                Ok(c) => changed |= c,
                Err(()) => failed = true,
            }
            continue;
        }
        let mut files = Vec::new();
        if let Err(d) = collect(path, &mut files) {
            eprint_diagnostics(&SourceMap::default(), &[d]);
            failed = true;
        }
        for file in files {
            match one_file(&file, check) {
                Ok(c) => changed |= c,
                Err(()) => failed = true,
            }
        }
    }
    u8::from(failed || (check && changed))
}

/// `path` itself if it is a file, else the `*.capz` files under it, sorted.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| read_failed(path, &e))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut stack = vec![path.to_path_buf()];
    let mut found = Vec::new();
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| read_failed(&dir, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| read_failed(&dir, &e))?;
            let p = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let is_dir = entry.file_type().map_err(|e| read_failed(&p, &e))?.is_dir();
            if is_dir {
                if !name.starts_with('.') && name != "target" {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "capz") {
                found.push(p);
            }
        }
    }
    found.sort();
    out.extend(found);
    Ok(())
}

/// Format one file; `Ok(true)` when it changed (or would, with `check`).
fn one_file(path: &Path, check: bool) -> Result<bool, ()> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprint_diagnostics(&SourceMap::default(), &[read_failed(path, &e)]);
    })?;
    let formatted = format(&name, &text)?;
    if formatted == text {
        return Ok(false);
    }
    if !check {
        std::fs::write(path, &formatted).map_err(|e| {
            let d = Diagnostic::error(codes::CLI_WRITE_FAILED, format!("cannot write {name}: {e}"))
                .with_help("check that the file is writable; it was not changed");
            eprint_diagnostics(&SourceMap::default(), &[d]);
        })?;
    }
    println!("{name}");
    Ok(true)
}

/// `-`: stdin to stdout (nothing on stdout with `check`, only `-` if it would change).
fn stdin(check: bool) -> Result<bool, ()> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| {
        let d = Diagnostic::error(codes::CLI_READ_FAILED, format!("cannot read stdin: {e}"))
            .with_help("pipe a UTF-8 .capz program into capz fmt -");
        eprint_diagnostics(&SourceMap::default(), &[d]);
    })?;
    let formatted = format("<stdin>", &text)?;
    let changed = formatted != text;
    if check {
        if changed {
            println!("-");
        }
    } else {
        let mut out = std::io::stdout().lock();
        // A closed stdout (e.g. `| head`) is not worth a diagnostic; report it as failure.
        out.write_all(formatted.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|_| ())?;
    }
    Ok(changed)
}

/// Format `text`; print its diagnostics (syntax errors) under `name` on failure.
fn format(name: &str, text: &str) -> Result<String, ()> {
    lang::fmt::format_source(text).map_err(|diags| {
        let sources = SourceMap::new(SourceFile::new(name, text));
        eprint_diagnostics(&sources, &diags);
        super::eprint_summary(&diags);
    })
}

fn read_failed(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        codes::CLI_READ_FAILED,
        format!("cannot read {}: {e}", path.display()),
    )
    .with_help("check the path; capz fmt takes .capz files, directories, or - for stdin")
}
