//! The one integration test binary; daemon-backed tests talk to the real engine.

mod context;
