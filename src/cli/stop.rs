//! `mls stop`, `mls start`, `mls restart`, `mls kill`, `mls pause`, `mls unpause` and `mls rm`
//! flags: the verbs that act on existing containers.

/// Stop services (dependents are left running, as in Docker Compose).
///
/// Examples:
///   $ mls stop
///   $ mls stop -t 0 backend
#[derive(Debug, Clone, clap::Args)]
pub struct StopArgs {
    /// Services to stop; default all
    pub services: Vec<String>,
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long)]
    pub timeout: Option<u64>,
}

/// Start existing containers of services (and of what they depend on).
///
/// Examples:
///   $ mls start
///   $ mls start backend
#[derive(Debug, Clone, clap::Args)]
pub struct StartArgs {
    /// Services to start; default all
    pub services: Vec<String>,
}

/// Restart service containers.
///
/// Examples:
///   $ mls restart
///   $ mls restart -t 0 backend
#[derive(Debug, Clone, clap::Args)]
pub struct RestartArgs {
    /// Services to restart; default all
    pub services: Vec<String>,
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long)]
    pub timeout: Option<u64>,
    /// Don't restart dependent services
    #[arg(long)]
    pub no_deps: bool,
}

/// Force stop service containers.
///
/// Examples:
///   $ mls kill
///   $ mls kill -s SIGTERM backend
#[derive(Debug, Clone, clap::Args)]
pub struct KillArgs {
    /// Services to kill; default all
    pub services: Vec<String>,
    /// SIGNAL to send to the container
    #[arg(short = 's', long, default_value = "SIGKILL")]
    pub signal: String,
    /// Remove containers for services not defined in the Compose file
    #[arg(long)]
    pub remove_orphans: bool,
}

/// Pause or unpause services.
///
/// Examples:
///   $ mls pause backend
///   $ mls unpause backend
#[derive(Debug, Clone, clap::Args)]
pub struct PauseArgs {
    /// Services; default all
    pub services: Vec<String>,
}

/// Removes stopped service containers.
///
/// By default, anonymous volumes attached to containers are not removed; use -v for that.
///
/// Examples:
///   $ mls rm -f
///   $ mls rm -s -v backend
#[derive(Debug, Clone, clap::Args)]
pub struct RmArgs {
    /// Services whose containers to remove; default all
    pub services: Vec<String>,
    /// Don't ask to confirm removal
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Stop the containers, if required, before removing
    #[arg(short = 's', long)]
    pub stop: bool,
    /// Remove any anonymous volumes attached to containers
    #[arg(short = 'v', long)]
    pub volumes: bool,
}
