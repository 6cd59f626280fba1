//! `mls down` flags.

/// Stop and remove containers, networks (and with -v, named volumes).
///
/// Examples:
///   $ mls down
///   $ mls down -v --rmi local
#[derive(Debug, Clone, clap::Args)]
pub struct DownArgs {
    /// Services to stop and remove; default all
    pub services: Vec<String>,
    /// Remove named volumes declared in the "volumes" section and anonymous volumes
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Remove images used by services: "local" only those without a custom tag, or "all"
    #[arg(long, value_parser = ["local", "all"])]
    pub rmi: Option<String>,
    /// Remove containers for services not defined in the compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long)]
    pub timeout: Option<u64>,
}
