//! mls: a fast compose-style stack manager for the Docker Engine.
//!
//! Data flows one way: files → model (`compose`) → graph → plan → engine, and events flow back to
//! one renderer (`progress`). The core (`compose`, `graph`, `plan`, `context`) is pure.

pub mod cli;
pub mod commands;
pub mod compose;
pub mod context;
pub mod engine;
pub mod error;
pub mod executor;
pub mod graph;
pub mod plan;
pub mod progress;
pub mod watch;

use clap::Parser;
use cli::{Cli, Command};
use commands::Ctx;
use error::{exit, Error};
use progress::Progress;
use std::ffi::OsString;

/// Parses `args`, runs the command and returns the process exit code. Errors are printed here,
/// once, on stderr.
pub async fn run(args: Vec<OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => exit::OK,
                _ => exit::USAGE,
            };
        }
    };
    let ctx = Ctx {
        progress: Progress::new(cli.global.progress),
        global: cli.global,
        environ: std::env::vars().collect(),
        cwd: std::env::current_dir().unwrap_or_default(),
    };
    let result = dispatch(&ctx, &cli.command).await;
    match result {
        Ok(()) => exit::OK,
        Err(Error::Exit(code)) => code,
        Err(Error::Interrupted) => {
            ctx.progress.finish();
            exit::INTERRUPTED
        }
        Err(e) => {
            ctx.progress.finish();
            let label = console::Style::new()
                .red()
                .bold()
                .for_stderr()
                .apply_to("Error:");
            eprintln!("{label} {e}");
            e.exit_code()
        }
    }
}

async fn dispatch(ctx: &Ctx, command: &Command) -> error::Result<()> {
    match command {
        Command::Up(a) => commands::up::up(ctx, a).await,
        Command::Down(a) => commands::down::down(ctx, a).await,
        Command::Ps(a) => commands::ps::ps(ctx, a).await,
        Command::Logs(a) => commands::logs::logs(ctx, a).await,
        Command::Build(a) => commands::build::build(ctx, a).await,
        Command::Pull(a) => commands::pull::pull(ctx, a).await,
        Command::Push(a) => commands::pull::push(ctx, a).await,
        Command::Run(a) => commands::run::run(ctx, a).await,
        Command::Exec(a) => commands::exec::exec(ctx, a).await,
        Command::Stop(a) => commands::lifecycle::stop(ctx, a).await,
        Command::Start(a) => commands::lifecycle::start(ctx, a).await,
        Command::Restart(a) => commands::lifecycle::restart(ctx, a).await,
        Command::Kill(a) => commands::lifecycle::kill(ctx, a).await,
        Command::Pause(a) => commands::lifecycle::pause(ctx, a, true).await,
        Command::Unpause(a) => commands::lifecycle::pause(ctx, a, false).await,
        Command::Rm(a) => commands::lifecycle::rm(ctx, a).await,
        Command::Images(a) => commands::images::images(ctx, a).await,
        Command::Top(a) => commands::images::top(ctx, a).await,
        Command::Ls(a) => commands::images::ls(ctx, a).await,
        Command::Watch(a) => commands::watch::watch(ctx, a).await,
        Command::Config(a) => commands::config::config(ctx, a),
        Command::Version => {
            println!("mls version {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
    }
}
