//! `mls config` flags.

/// Parse, resolve and render the compose file in canonical format.
///
/// Examples:
///   $ mls config
///   $ mls config --format json
///   $ mls config --services
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// Only these services
    pub services: Vec<String>,
    /// Output format: yaml or json
    #[arg(long, default_value = "yaml", value_parser = ["yaml", "json"])]
    pub format: String,
    /// Print the service names, one per line
    #[arg(long = "services", id = "list_services")]
    pub list_services: bool,
    /// Print the volume names, one per line
    #[arg(long)]
    pub volumes: bool,
    /// Print the profile names, one per line
    #[arg(long = "profiles", id = "list_profiles")]
    pub profiles: bool,
    /// Print the image names, one per line
    #[arg(long)]
    pub images: bool,
    /// Print the service config hash, one per line ("*" for all services)
    #[arg(long)]
    pub hash: Option<String>,
    /// Only validate the configuration, don't print anything
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Don't interpolate environment variables
    #[arg(long)]
    pub no_interpolate: bool,
    /// Save to file (default: stdout)
    #[arg(short = 'o', long)]
    pub output: Option<std::path::PathBuf>,
}
