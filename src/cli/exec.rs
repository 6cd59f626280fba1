//! `mls exec` flags.

/// Execute a command in a running service container.
///
/// Examples:
///   $ mls exec backend sh -c 'id'
#[derive(Debug, Clone, clap::Args)]
#[command(trailing_var_arg = true)]
pub struct ExecArgs {
    /// Run as this user
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Set environment variables (KEY=VALUE)
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Index of the container if the service has several replicas
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// Disable pseudo-TTY allocation
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// Detached mode: run the command in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// The service
    pub service: String,
    /// Command and arguments
    #[arg(required = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}
