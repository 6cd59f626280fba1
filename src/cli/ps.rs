//! `mls ps` flags.

/// List containers of the project.
///
/// Examples:
///   $ mls ps
///   $ mls ps -a --format json
#[derive(Debug, Clone, clap::Args)]
pub struct PsArgs {
    /// Only these services
    pub services: Vec<String>,
    /// Show all stopped containers too
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only display IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Display services
    #[arg(long = "services", id = "list_services")]
    pub services_only: bool,
    /// Output format: table or json
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}
