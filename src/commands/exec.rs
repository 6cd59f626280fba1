//! `mls exec`: run a command in a service's running container, stdin and (on a terminal) a TTY
//! connected like the docker CLI does; its exit code is passed through.

use super::session;
use super::Ctx;
use crate::cli::ExecArgs;
use crate::engine::{labels, ContainerSummary, Engine, ExecSpec, TtyOf};
use crate::error::{Error, Result};

pub async fn exec(ctx: &Ctx, args: &ExecArgs) -> Result<()> {
    let name = ctx.project_name()?;
    let engine = ctx.engine().await?;
    let snapshot = engine.snapshot(&name).await?;
    let container = pick(&snapshot.containers, &args.service, args.index)?;
    let tty = !args.no_tty && console::Term::stdout().is_term();
    let spec = ExecSpec {
        cmd: args.command.clone(),
        user: args.user.clone(),
        workdir: args.workdir.clone(),
        env: args.env.clone(),
        tty,
        stdin: !args.detach,
        privileged: args.privileged,
    };
    if args.detach {
        return Ok(engine.exec_detached(&container.id, spec).await?);
    }
    let (exec_id, io) = engine.exec_attach(&container.id, spec).await?;
    let of = tty.then(|| TtyOf::Exec(exec_id.clone()));
    session::connect(&engine, io, true, of).await;
    match engine.exec_exit_code(&exec_id).await? {
        0 => Ok(()),
        c => Err(Error::Exit(c as i32)),
    }
}

/// The running container of `service` with number `index` (0: the lowest number, service
/// containers before one-offs), worded like Compose when there is none.
fn pick<'c>(
    containers: &'c [ContainerSummary],
    service: &str,
    index: u32,
) -> Result<&'c ContainerSummary> {
    let number = |c: &ContainerSummary| {
        c.label(labels::NUMBER)
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    };
    containers
        .iter()
        .filter(|c| c.service() == Some(service) && c.state == "running")
        .filter(|c| index == 0 || (!c.is_oneoff() && number(c) == index))
        .min_by_key(|c| (c.is_oneoff(), number(c)))
        .ok_or_else(|| {
            Error::Failed(if index > 0 {
                format!("service {service:?} is not running container #{index}")
            } else {
                format!("service {service:?} is not running")
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, number: &str, oneoff: bool, state: &str) -> ContainerSummary {
        ContainerSummary {
            name: name.into(),
            state: state.into(),
            labels: [
                (labels::SERVICE, "web"),
                (labels::NUMBER, number),
                (labels::ONEOFF, if oneoff { "True" } else { "False" }),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn index_picks_the_replica_like_compose() {
        let cs = vec![
            c("p-web-run-1", "", true, "running"),
            c("p-web-2", "2", false, "running"),
            c("p-web-1", "1", false, "exited"),
        ];
        assert_eq!(pick(&cs, "web", 0).unwrap().name, "p-web-2");
        assert_eq!(pick(&cs, "web", 2).unwrap().name, "p-web-2");
        let err = pick(&cs, "web", 1).unwrap_err().to_string();
        assert_eq!(err, "service \"web\" is not running container #1");
        let err = pick(&cs, "db", 0).unwrap_err().to_string();
        assert_eq!(err, "service \"db\" is not running");
    }
}
