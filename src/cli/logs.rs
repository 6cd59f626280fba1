//! `mls logs` flags.

/// View output from containers.
///
/// Examples:
///   $ mls logs -f
///   $ mls logs --tail 20 backend
///   $ mls logs --since 10m --until 2m
#[derive(Debug, Clone, clap::Args)]
pub struct LogsArgs {
    /// Only these services
    pub services: Vec<String>,
    /// Follow log output
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs for each container ("all" or a number)
    #[arg(short = 'n', long, default_value = "all")]
    pub tail: String,
    /// Show timestamps
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Don't print a prefix in logs
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)
    #[arg(long)]
    pub since: Option<String>,
    /// Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)
    #[arg(long)]
    pub until: Option<String>,
    /// Index of the container if the service has multiple replicas
    #[arg(long)]
    pub index: Option<u32>,
}
