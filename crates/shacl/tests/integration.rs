//! belfort-shacl against external judges.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod engine;
mod quality;
mod w3c_suite;
