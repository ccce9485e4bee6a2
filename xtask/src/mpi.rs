//! OpenMPI for the `weftkit-mpi` crate: found, installed where the project can, or a
//! failure that names the one command to run; and the MPI tests, run under `mpirun`.

use std::path::Path;
use std::process::Command;

use crate::cmd::{cargo, step};

/// The Debian packages the MPI crate and its tests need: the runtime (`mpirun`), the
/// headers and `mpicc` that rsmpi's build probes, libclang for its bindgen. The same
/// list the MPI tests name when `mpirun` is missing (one file, included by both).
pub(crate) const PACKAGES: &[&str] = &include!("../../crates/weftkit-mpi/tests/common/packages.in");

/// Debian's mpi4py (for `/usr/bin/python3`): the MPI benchmark's peer, needed by
/// `cargo xtask bench` only, never by CI's build and tests.
pub(crate) const PEER_PACKAGE: &str = "python3-mpi4py";

/// One copy-pasteable line that installs `packages` (as root, through sudo).
fn install_line(packages: &[&str]) -> String {
    format!(
        "sudo sh -c 'apt-get update && apt-get install -y {}'",
        packages.join(" ")
    )
}

/// Makes sure OpenMPI is installed, for building and testing (what CI and the MPI
/// tests need; not mpi4py): returns at once when it is, installs it with apt-get when
/// running as root where apt-get exists, and otherwise fails naming the command to
/// run.
///
/// # Errors
///
/// OpenMPI is missing and cannot be installed here, or the installation failed.
pub(crate) fn ensure_build() -> Result<(), String> {
    install(false)
}

/// As [`ensure_build`], and mpi4py too (the MPI benchmark's peer):
/// `cargo xtask mpi --setup`.
///
/// # Errors
///
/// As [`ensure_build`].
pub(crate) fn ensure() -> Result<(), String> {
    install(true)
}

fn install(peer: bool) -> Result<(), String> {
    let missing = missing(peer);
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = PACKAGES
        .iter()
        .copied()
        .chain(peer.then_some(PEER_PACKAGE))
        .collect();
    let command = install_line(&packages);
    let root = is_root();
    let apt = on_path("apt-get");
    if !(root && apt) {
        let why = if apt {
            "not running as root"
        } else {
            "apt-get is not available"
        };
        return Err(format!(
            "OpenMPI is needed and is not installed (missing: {}), and it cannot be installed from here ({why}); run this one line: {command}",
            missing.join(", ")
        ));
    }
    eprintln!(
        "\n==> OpenMPI is missing ({}): installing it with apt-get",
        missing.join(", ")
    );
    step(
        "apt-get update",
        Command::new("apt-get")
            .args(["update", "-q"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    step(
        "install OpenMPI",
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    let still = self::missing(peer);
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "apt-get installed OpenMPI but these are still missing: {}; run this one line: {command}",
            still.join(", ")
        ))
    }
}

/// What of OpenMPI is not here: the commands, the headers' probe, libclang, and
/// mpi4py if `peer`.
fn missing(peer: bool) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !on_path("mpirun") {
        missing.push("mpirun (openmpi-bin)");
    }
    if !on_path("mpicc") {
        missing.push("mpicc (libopenmpi-dev)");
    }
    if !has_libclang() {
        missing.push("libclang (libclang-dev)");
    }
    if peer && !has_mpi4py() {
        missing.push("mpi4py (python3-mpi4py)");
    }
    missing
}

/// Whether the MPI crate can be built and run here (OpenMPI and libclang present).
pub(crate) fn buildable() -> bool {
    on_path("mpirun") && on_path("mpicc") && has_libclang()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Whether `program` is an executable file in a `PATH` directory.
pub(crate) fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Whether a `libclang.so` is where bindgen's loader looks on Debian.
fn has_libclang() -> bool {
    if std::env::var_os("LIBCLANG_PATH").is_some() {
        return true;
    }
    let Ok(dirs) = std::fs::read_dir("/usr/lib") else {
        return false;
    };
    dirs.flatten()
        .filter(|d| d.file_name().to_string_lossy().starts_with("llvm-"))
        .any(|d| {
            std::fs::read_dir(d.path().join("lib")).is_ok_and(|files| {
                files
                    .flatten()
                    .any(|f| f.file_name().to_string_lossy().starts_with("libclang.so"))
            })
        })
}

/// The Python that Debian's mpi4py is installed for (not a pyenv `python3` on `PATH`).
pub(crate) const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// Whether Debian's `python3-mpi4py` is importable by [`SYSTEM_PYTHON`].
fn has_mpi4py() -> bool {
    Path::new(SYSTEM_PYTHON).is_file()
        && Command::new(SYSTEM_PYTHON)
            .args(["-c", "import mpi4py.futures"])
            .output()
            .is_ok_and(|out| out.status.success())
}

/// Runs the MPI test programs of `weftkit-mpi` (`harness = false`; each starts itself
/// again under `mpirun -n 4 --oversubscribe`, and fails, never skips, without it),
/// after making sure OpenMPI is installed.
///
/// # Errors
///
/// OpenMPI is missing and cannot be installed, or a test failed.
pub(crate) fn test() -> Result<(), String> {
    ensure_build()?;
    step(
        "MPI tests (each program runs itself under mpirun -n 4 --oversubscribe)",
        cargo().args([
            "test",
            "--release",
            "--package",
            "weftkit-mpi",
            "--all-features",
        ]),
    )
}

/// `mpirun` with the flags every run here needs: `ranks` ranks on this one host
/// (`--oversubscribe`: more ranks than cores), allowed to run as root (CI does).
pub(crate) fn mpirun(ranks: &str) -> Command {
    let mut cmd = Command::new("mpirun");
    cmd.args(["-n", ranks, "--oversubscribe"])
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    cmd
}

/// The directory cargo builds into: `CARGO_TARGET_DIR`, or the workspace's `target`.
pub(crate) fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::cmd::workspace_root().join("target"))
}

/// README's MPI commands, as written: the MPI tour built, then run on 4 ranks (it
/// checks its own answers).
///
/// # Errors
///
/// The tour failed to build or to run.
pub(crate) fn tour() -> Result<(), String> {
    step(
        "mpi tour (build)",
        cargo().args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "weftkit",
            "--features",
            "mpi",
            "--example",
            "mpi_tour",
        ]),
    )?;
    let tour = target_dir()
        .join("release")
        .join("examples")
        .join("mpi_tour");
    step("mpi tour on 4 ranks", mpirun("4").arg(tour))
}
