//! The loom switch rule: library code names the primitives loom replaces only through
//! `weft-shim`. Clippy's `disallowed_types` cannot tell a re-export from the original,
//! so this step reads the sources instead.

use std::fs;
use std::path::Path;

use crate::cmd::workspace_root;

/// Paths that must come from `weft_shim` in library code.
const FORBIDDEN: &[&str] = &[
    "std::sync::atomic",
    "std::sync::Arc",
    "std::sync::Mutex",
    "std::sync::Condvar",
    "std::sync::{",
    "std::thread",
    "std::cell::UnsafeCell",
    "std::time::Instant",
    "loom::",
];

/// Crates exempt from the rule: the shim itself, and the dev-only test kit.
const EXEMPT: &[&str] = &["weft-shim", "weft-testkit"];

/// Fails with every offending `file:line` in the `src/` of weft's library crates.
pub(crate) fn run() -> Result<(), String> {
    eprintln!("\n==> shim check: library code imports std/loom primitives only via weft-shim");
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
            "shim check failed: import these from weft_shim instead:\n{}",
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
            for (number, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if let Some(bad) = FORBIDDEN.iter().find(|f| code.contains(*f)) {
                    offences.push(format!("  {}:{}: {bad}", path.display(), number + 1));
                }
            }
        }
    }
}
