//! A program that forgot `weftkit::process::init()` gets a clear error, never a hang.

use weftkit::process::{BuildError, ProcessPool};

#[test]
fn a_pool_without_init_is_refused_with_the_fix() {
    let error = ProcessPool::builder().max_workers(1).build().unwrap_err();
    assert_eq!(error, BuildError::NotInitialized);
    assert!(error.to_string().contains("call it first in main"));
}
