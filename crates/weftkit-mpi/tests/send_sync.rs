//! The public types that cross threads: a pool is shared by the caller's threads (each
//! may submit, map and read stats), and its errors and stats travel anywhere.
#![cfg(not(weft_loom))]

fn send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<weftkit::mpi::MpiPool>();
    send_sync::<weftkit::mpi::MpiPoolBuilder>();
    send_sync::<weftkit::mpi::Stats>();
    send_sync::<weftkit::mpi::BuildError>();
    send_sync::<weftkit::mpi::InitError>();
    send_sync::<weftkit::mpi::SubmitError<u64>>();
}

#[test]
fn a_map_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    fn check(pool: &weftkit::mpi::MpiPool) {
        send(&pool.map(|n: u64| n, 0..3u64));
        send(&pool.map_unordered(|n: u64| n, 0..3u64));
    }
    let _ = check;
}
