//! This rank's [`Probe`]: what every worker must share with the client before it runs
//! a task (invariant P1).

use weftkit_process::remote::RemoteCall;

use crate::wire::Probe;

/// A known function, named as tasks are: its offsets are the same only in the same
/// layout of the same executable.
#[inline(never)]
fn known(n: u64) -> u64 {
    std::hint::black_box(n ^ 0x5eed)
}

/// This process's probe.
pub(crate) fn here() -> Probe {
    Probe {
        // `known` is in this crate, linked into the executable with weftkit-process,
        // so it can be named; were it not, no probe would match.
        call: RemoteCall::new(known).ok(),
        executable: executable_fingerprint(),
    }
}

/// The length and CRC-32 of the running executable's bytes: equal for the same build
/// copied to another host, unequal for another program or build.
fn executable_fingerprint() -> Option<(u64, u32)> {
    let path = std::env::current_exe().ok()?;
    let bytes = std::fs::read(path).ok()?;
    Some((bytes.len() as u64, crc32fast::hash(&bytes)))
}

/// Why `theirs` does not match `ours`, if it does not.
pub(crate) fn mismatch(ours: &Probe, theirs: &Probe) -> Option<String> {
    match (&ours.executable, &theirs.executable) {
        (None, _) | (_, None) => Some(
            "the executable file could not be read to compare it (is /proc mounted, is the file still there?)".to_owned(),
        ),
        (Some(a), Some(b)) if a != b => Some(format!(
            "it runs another executable ({} bytes, CRC-32 {:08x}; rank 0's: {} bytes, CRC-32 {:08x})",
            b.0, b.1, a.0, a.1
        )),
        _ if ours.call.is_none() || ours.call != theirs.call => {
            Some("its functions are laid out differently (another build)".to_owned())
        }
        _ => None,
    }
}
