//! The one integration test binary: runs the real `mls` binary; daemon tests use the real
//! Docker Engine and fail (never skip) when it is unreachable.

mod cli;
mod conformance;
mod context;
mod demo;
mod engine;
mod registry;
mod spec;
mod support;
mod watch;
