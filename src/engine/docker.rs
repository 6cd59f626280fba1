//! The Docker Engine implementation of `Engine`, over bollard.
pub struct Docker;
