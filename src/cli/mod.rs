//! Command-line structs (clap derive) only; no logic. Flags and env vars match Docker Compose.

mod build;
mod config;
mod down;
mod exec;
mod images;
mod logs;
mod ps;
mod pull;
mod run;
mod stop;
mod up;
mod watch;

pub use build::BuildArgs;
pub use config::ConfigArgs;
pub use down::DownArgs;
pub use exec::ExecArgs;
pub use images::{ImagesArgs, LsArgs, TopArgs};
pub use logs::LogsArgs;
pub use ps::PsArgs;
pub use pull::{PullArgs, PushArgs};
pub use run::RunArgs;
pub use stop::{KillArgs, PauseArgs, RestartArgs, RmArgs, StartArgs, StopArgs};
pub use up::UpArgs;
pub use watch::WatchArgs;

use crate::progress::Mode;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// A fast compose-style stack manager for the Docker Engine.
///
/// mls reads the same compose files as Docker Compose and manages the same containers.
#[derive(Debug, Parser)]
#[command(name = "mls", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "Examples:
  $ mls up -d --wait        start the stack in the background, wait until healthy
  $ mls ps                  list the project's containers
  $ mls logs -f backend     follow one service's logs
  $ mls down -v             remove containers, networks and named volumes
  $ mls config              print the resolved compose file
  $ mls up --watch          start the stack, follow logs, apply file changes as they happen";

/// Options every command takes (before the verb), like `docker compose -f x.yaml up`.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Compose configuration files (repeatable; default: compose.yaml in this folder or above)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Project name (default: the `name:` key, else the project folder's name)
    #[arg(short = 'p', long = "project-name")]
    pub project_name: Option<String>,
    /// Alternate working directory (default: the folder of the first compose file)
    #[arg(long)]
    pub project_directory: Option<PathBuf>,
    /// Alternate environment files (repeatable; default: .env in the project folder)
    #[arg(long = "env-file")]
    pub env_files: Vec<PathBuf>,
    /// Profiles to enable (repeatable)
    #[arg(long = "profile")]
    pub profiles: Vec<String>,
    /// How to show progress
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub progress: Mode,
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definitions_are_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and start containers (building images when needed)
    Up(UpArgs),
    /// Stop and remove containers and networks
    Down(DownArgs),
    /// List containers
    Ps(PsArgs),
    /// View output from containers
    Logs(LogsArgs),
    /// Build or rebuild service images
    Build(BuildArgs),
    /// Pull service images
    Pull(PullArgs),
    /// Push service images
    Push(PushArgs),
    /// Run a one-off command on a service
    Run(RunArgs),
    /// Execute a command in a running container
    Exec(ExecArgs),
    /// Stop services
    Stop(StopArgs),
    /// Start services
    Start(StartArgs),
    /// Restart service containers
    Restart(RestartArgs),
    /// Force stop service containers
    Kill(KillArgs),
    /// Pause services
    Pause(PauseArgs),
    /// Unpause services
    Unpause(PauseArgs),
    /// Removes stopped service containers
    Rm(RmArgs),
    /// List images used by the created containers
    Images(ImagesArgs),
    /// Display the running processes
    Top(TopArgs),
    /// List running compose projects
    Ls(LsArgs),
    /// Watch files and sync, rebuild or restart services when they change
    Watch(WatchArgs),
    /// Parse, resolve and render the compose file in canonical format
    Config(ConfigArgs),
    /// Show the mls version
    Version,
}
