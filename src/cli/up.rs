//! `mls up` flags.

/// Create and start containers.
///
/// Examples:
///   $ mls up -d --wait
///   $ mls up --build backend
///   $ mls up --abort-on-container-exit --exit-code-from tests
#[derive(Debug, Clone, clap::Args)]
pub struct UpArgs {
    /// Services to start (with their dependencies); default all
    pub services: Vec<String>,
    /// Detached mode: run containers in the background
    #[arg(short = 'd', long, conflicts_with_all = ["abort_on_container_exit", "exit_code_from"])]
    pub detach: bool,
    /// Wait for services to be running|healthy (implies detached mode)
    #[arg(long)]
    pub wait: bool,
    /// Maximum duration in seconds to wait for the project to be running|healthy
    #[arg(long, value_name = "SECONDS")]
    pub wait_timeout: Option<u64>,
    /// Build images before starting containers
    #[arg(long, conflicts_with = "no_build")]
    pub build: bool,
    /// Don't build an image, even if it's missing or its sources changed
    #[arg(long)]
    pub no_build: bool,
    /// Recreate containers even if their configuration and image haven't changed
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them
    #[arg(long)]
    pub no_recreate: bool,
    /// Remove containers for services not defined in the compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Use this timeout in seconds for container shutdown when attached or when recreating
    #[arg(short = 't', long)]
    pub timeout: Option<u64>,
    /// Watch source code and rebuild/refresh containers when files are updated
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Stops all containers if any container was stopped
    #[arg(long)]
    pub abort_on_container_exit: bool,
    /// Return the exit code of the selected service container (implies
    /// --abort-on-container-exit)
    #[arg(long, value_name = "SERVICE")]
    pub exit_code_from: Option<String>,
    /// Scale SERVICE to NUM instances (SERVICE=NUM). Overrides the `scale` setting in the
    /// Compose file if present
    #[arg(long, value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
}
