//! `mls logs` flags.

/// View output from containers.
///
/// Examples:
///   $ mls logs -f
///   $ mls logs --tail 20 backend
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
}
