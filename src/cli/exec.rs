//! `mls exec` flags.

/// Execute a command in a running service container. stdin is passed on; a TTY is allocated
/// when mls's output is a terminal (`-T` turns it off).
///
/// Examples:
///   $ mls exec backend sh -c 'id'
///   $ echo hello | mls exec -T backend cat
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
    /// Index of the container if the service has several replicas (default: the first)
    #[arg(long, default_value_t = 0)]
    pub index: u32,
    /// Disable pseudo-TTY allocation (default: a TTY when the output is a terminal)
    #[arg(short = 'T', long = "no-tty", visible_alias = "no-TTY")]
    pub no_tty: bool,
    /// Give extended privileges to the process
    #[arg(long)]
    pub privileged: bool,
    /// Detached mode: run the command in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Keep STDIN open (the default; accepted for compatibility)
    #[arg(short = 'i', long, hide = true)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY (the default on a terminal; accepted for compatibility)
    #[arg(short = 't', long, hide = true)]
    pub tty: bool,
    /// The service
    pub service: String,
    /// Command and arguments
    #[arg(required = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}
