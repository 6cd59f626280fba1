//! `mls watch` flags.

/// Watch the build context and the `develop.watch` paths of services, and sync, rebuild or
/// restart their containers when files change.
///
/// Examples:
///   $ mls watch
///   $ mls watch --no-up backend
#[derive(Debug, Clone, clap::Args)]
pub struct WatchArgs {
    /// Services to watch (with their dependencies); default all
    pub services: Vec<String>,
    /// Do not build and start the services before watching
    #[arg(long)]
    pub no_up: bool,
}
