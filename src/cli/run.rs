//! `mls run` flags.

/// Run a one-off command on a service (its dependencies are started first). stdin is passed
/// on; a TTY is allocated when mls's output is a terminal (`-T` turns it off).
///
/// Examples:
///   $ mls run --rm backend sh -c 'echo hi'
///   $ echo hello | mls run --rm -T backend cat
#[derive(Debug, Clone, clap::Args)]
#[command(trailing_var_arg = true)]
pub struct RunArgs {
    /// Automatically remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Build the image before starting the container
    #[arg(long)]
    pub build: bool,
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Assign a name to the container
    #[arg(long)]
    pub name: Option<String>,
    /// Set environment variables (KEY=VALUE)
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Override the entrypoint of the image
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Run as this user
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Publish the service's ports
    #[arg(long)]
    pub service_ports: bool,
    /// Disable pseudo-TTY allocation (default: a TTY when the output is a terminal)
    #[arg(short = 'T', long = "no-tty", visible_alias = "no-TTY")]
    pub no_tty: bool,
    /// Keep STDIN open (the default; accepted for compatibility)
    #[arg(short = 'i', long, hide = true)]
    pub interactive: bool,
    /// The service
    pub service: String,
    /// Command and arguments (default: the service's command)
    #[arg(allow_hyphen_values = true)]
    pub command: Vec<String>,
}
