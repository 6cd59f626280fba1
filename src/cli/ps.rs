//! `mls ps` flags.

/// List containers of the project.
///
/// Examples:
///   $ mls ps
///   $ mls ps -a --format json
///   $ mls ps --status exited --format '{{.Name}} {{.Status}}'
#[derive(Debug, Clone, clap::Args)]
pub struct PsArgs {
    /// Only these services
    pub services: Vec<String>,
    /// Show all stopped containers (including those created by the run command)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only display IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Display services
    #[arg(long = "services", id = "list_services")]
    pub services_only: bool,
    /// Format the output: table (default), json, or a Go template such as '{{.Name}}' or
    /// 'table {{.Name}}\t{{.Status}}'
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Filter services by a property (supported filters: status), e.g. status=running
    #[arg(long)]
    pub filter: Option<String>,
    /// Filter services by status (repeatable). Values: paused, restarting, removing, running,
    /// dead, created, exited
    #[arg(long)]
    pub status: Vec<String>,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Include orphaned services (not declared by project)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_name = "BOOL")]
    pub orphans: bool,
}
