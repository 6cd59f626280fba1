//! The mls binary: all behaviour lives in the library.
fn main() {}
