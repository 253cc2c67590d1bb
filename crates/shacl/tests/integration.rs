//! belfort-shacl against external judges.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod engine;
mod quality;
mod w3c_suite;

/// This crate's directory, as `cargo test` gives it when the test runs: a path compiled in
/// goes stale when one build directory serves checkouts at several paths.
fn manifest_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
}
