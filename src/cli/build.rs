//! `mls build` flags.

/// Build or rebuild service images.
///
/// Examples:
///   $ mls build
///   $ mls build --no-cache backend
#[derive(Debug, Clone, clap::Args)]
pub struct BuildArgs {
    /// Services to build; default all that have a build section
    pub services: Vec<String>,
    /// Do not use the layer cache when building
    #[arg(long)]
    pub no_cache: bool,
}
