//! `mls pull` and `mls push` flags.

/// Pull service images from their registries.
///
/// Examples:
///   $ mls pull
///   $ mls pull --ignore-pull-failures db
#[derive(Debug, Clone, clap::Args)]
pub struct PullArgs {
    /// Services whose images to pull; default all that are not built here
    pub services: Vec<String>,
    /// Pull what it can and ignore images that failed
    #[arg(long)]
    pub ignore_pull_failures: bool,
}

/// Push service images (those with both `build` and `image`) to their registries.
///
/// Examples:
///   $ mls push
#[derive(Debug, Clone, clap::Args)]
pub struct PushArgs {
    /// Services whose images to push; default all that are built here and name an image
    pub services: Vec<String>,
    /// Push what it can and ignore images that failed
    #[arg(long)]
    pub ignore_push_failures: bool,
}
