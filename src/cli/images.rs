//! `mls images`, `mls top` and `mls ls` flags: what the engine holds for projects.

/// List images used by the created containers.
///
/// Examples:
///   $ mls images
///   $ mls images --format json
#[derive(Debug, Clone, clap::Args)]
pub struct ImagesArgs {
    /// Only these services
    pub services: Vec<String>,
    /// Format the output. Values: [table | json]
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// Only display IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Display the running processes.
///
/// Examples:
///   $ mls top
///   $ mls top backend
#[derive(Debug, Clone, clap::Args)]
pub struct TopArgs {
    /// Only these services
    pub services: Vec<String>,
}

/// List running compose projects.
///
/// Examples:
///   $ mls ls
///   $ mls ls -a --format json
#[derive(Debug, Clone, clap::Args)]
pub struct LsArgs {
    /// Show all stopped Compose projects
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Format the output. Values: [table | json]
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// Only display project names
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Filter output based on conditions provided (name=REGEX)
    #[arg(long)]
    pub filter: Vec<String>,
}
