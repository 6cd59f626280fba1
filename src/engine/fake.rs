//! An in-memory engine for fast executor tests.
