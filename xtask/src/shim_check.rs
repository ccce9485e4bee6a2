//! The loom switch rule: library code names the primitives loom replaces only through
//! `weftkit-shim`. Clippy's `disallowed_types` cannot tell a re-export from the original,
//! so this step reads the sources instead.

use std::fs;
use std::path::Path;

use crate::cmd::workspace_root;

/// Paths that must come from `weftkit_shim` in library code.
const FORBIDDEN: &[&str] = &[
    "std::sync::atomic",
    "std::sync::Arc",
    "std::sync::Mutex",
    "std::sync::Condvar",
    "std::thread",
    "std::cell::UnsafeCell",
    "std::time::Instant",
    "loom::",
];

/// Crates exempt from the rule: the shim itself, and the dev-only test kit.
const EXEMPT: &[&str] = &["weftkit-shim", "weftkit-testkit"];

/// Fails with every offending `file:line` in the `src/` of weft's library crates.
pub(crate) fn run() -> Result<(), String> {
    eprintln!("\n==> shim check: library code imports std/loom primitives only via weftkit-shim");
    let crates = workspace_root().join("crates");
    let mut offences = Vec::new();
    let entries =
        fs::read_dir(&crates).map_err(|e| format!("reading {}: {e}", crates.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if EXEMPT.contains(&name.as_str()) {
            continue;
        }
        scan(&entry.path().join("src"), &mut offences);
    }
    if offences.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "shim check failed: import these from weftkit_shim instead:\n{}",
            offences.join("\n")
        ))
    }
}

fn scan(dir: &Path, offences: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            scan(&path, offences);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            for (number, bad) in offending_lines(&text) {
                offences.push(format!("  {}:{number}: {bad}", path.display()));
            }
        }
    }
}

/// `(line number, what)` for every line of `text` that names a forbidden path, either
/// spelled out (`std::thread::park()`) or through a grouped import
/// (`use std::time::{Duration, Instant};`, also across several lines).
fn offending_lines(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    // A `use` item being read: its first line number and its text so far.
    let mut import: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if let Some(bad) = FORBIDDEN.iter().find(|f| code.contains(*f)) {
            found.push((index + 1, (*bad).to_owned()));
            import = None;
            continue;
        }
        let trimmed = code.trim_start();
        if import.is_none() && is_use_item(trimmed) {
            import = Some((index + 1, String::new()));
        }
        if let Some((start, item)) = &mut import {
            item.push_str(code);
            item.push(' ');
            if code.contains(';') {
                if let Some(bad) = imported_paths(item)
                    .into_iter()
                    .find(|path| is_forbidden(path))
                {
                    found.push((*start, bad));
                }
                import = None;
            }
        }
    }
    found
}

/// Whether a line starts a `use` item (`use`, `pub use`, `pub(crate) use`, ...).
fn is_use_item(line: &str) -> bool {
    let rest = line
        .strip_prefix("pub(crate) ")
        .or_else(|| line.strip_prefix("pub(super) "))
        .or_else(|| line.strip_prefix("pub "))
        .unwrap_or(line);
    rest.starts_with("use ")
}

/// The full paths a `use` item imports: `use std::{a, b::{c, d as e}};` gives
/// `std::a`, `std::b::c` and `std::b::d`.
fn imported_paths(item: &str) -> Vec<String> {
    let body = item.split_once("use ").map_or("", |(_, rest)| rest);
    let body = body.split(';').next().unwrap_or("");
    let mut paths = Vec::new();
    expand("", body, &mut paths);
    paths
}

fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    match (tree.find('{'), tree.rfind('}')) {
        (Some(open), Some(close)) if open < close => {
            let head: String = tree[..open].split_whitespace().collect();
            let inner = &tree[open + 1..close];
            let mut depth = 0usize;
            let mut start = 0;
            for (at, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    ',' if depth == 0 => {
                        expand(&format!("{prefix}{head}"), &inner[start..at], out);
                        start = at + 1;
                    }
                    _ => {}
                }
            }
            expand(&format!("{prefix}{head}"), &inner[start..], out);
        }
        _ => {
            let leaf = tree.split(" as ").next().unwrap_or("").trim();
            if !leaf.is_empty() {
                let leaf: String = leaf.split_whitespace().collect();
                out.push(format!("{prefix}{leaf}"));
            }
        }
    }
}

/// Whether an imported path starts with one of the [`FORBIDDEN`] paths (as the line
/// check reads them: `std::thread` also covers `std::thread_local`).
fn is_forbidden(path: &str) -> bool {
    let path = path.strip_prefix("::").unwrap_or(path);
    FORBIDDEN
        .iter()
        .any(|forbidden| path.starts_with(forbidden))
}

#[cfg(test)]
mod tests {
    use super::{imported_paths, offending_lines};

    #[test]
    fn grouped_and_multi_line_imports_are_expanded() {
        assert_eq!(
            imported_paths("use std::{sync::{Arc, atomic::AtomicU8 as A}, fmt};"),
            ["std::sync::Arc", "std::sync::atomic::AtomicU8", "std::fmt"]
        );
    }

    #[test]
    fn grouped_imports_of_forbidden_paths_are_caught() {
        let text = "use std::fmt;\nuse std::time::{Duration, Instant};\n\
                    use std::{\n    cell::UnsafeCell,\n};\nuse std::{fmt, thread_local};\n";
        let lines: Vec<usize> = offending_lines(text).into_iter().map(|(n, _)| n).collect();
        assert_eq!(lines, [2, 3, 6]);
    }

    #[test]
    fn allowed_imports_pass() {
        let text = "use std::time::Duration;\nuse std::sync::OnceLock;\n\
                    use weftkit_shim::sync::{Arc, atomic::AtomicU8};\nuse std::cell::Cell;\n";
        assert_eq!(offending_lines(text), []);
    }
}
