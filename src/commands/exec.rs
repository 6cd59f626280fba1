//! `mls exec`: run a command in a service's running container; its exit code is passed through.

use super::Ctx;
use crate::cli::ExecArgs;
use crate::engine::{labels, Engine};
use crate::error::{Error, Result};

pub async fn exec(ctx: &Ctx, args: &ExecArgs) -> Result<()> {
    let project = ctx.load(std::slice::from_ref(&args.service), false)?;
    if !project.services.contains_key(&args.service) {
        return Err(Error::Usage(format!("no such service: {}", args.service)));
    }
    let engine = ctx.engine().await?;
    let snapshot = engine.snapshot(&project.name).await?;
    let number = args.index.to_string();
    let container = snapshot
        .containers
        .iter()
        .find(|c| {
            !c.is_oneoff()
                && c.service() == Some(args.service.as_str())
                && c.label(labels::NUMBER) == Some(number.as_str())
                && c.state == "running"
        })
        .ok_or_else(|| {
            Error::Failed(format!(
                "service {:?} is not running: start it with `mls up -d {}`",
                args.service, args.service
            ))
        })?;
    let tty = !args.no_tty && console::Term::stdout().is_term();
    let code = engine
        .exec(
            &container.id,
            args.command.clone(),
            args.user.clone(),
            args.workdir.clone(),
            args.env.clone(),
            tty,
        )
        .await?;
    match code {
        0 => Ok(()),
        c => Err(Error::Exit(c as i32)),
    }
}
