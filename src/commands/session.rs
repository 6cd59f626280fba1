//! mls's own terminal and process edge for attached commands: connects stdin/stdout/stderr to a
//! container process (`run`, `exec`) the way the docker CLI does (stdin copied until EOF, then
//! closed; output copied as it arrives; with a TTY, the local terminal in raw mode and its size
//! passed on at start and on every SIGWINCH), and turns SIGINT/SIGTERM into one stream.

use crate::engine::{Engine, LogChunk, Session, TtyOf};
use crate::error::{Error, Result};
use futures_util::StreamExt;
use std::io::Write;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::signal::unix::{signal, Signal, SignalKind};

/// Whether mls's stdin is a terminal (decides `-t` for `run` and `exec`, as in Compose).
pub fn stdin_is_terminal() -> bool {
    rustix::termios::isatty(std::io::stdin())
}

/// Copies the session's output to stdout/stderr until the process ends, feeding it mls's stdin
/// when `stdin`; `tty` names the pseudo-terminal to keep the size of.
pub async fn connect<E: Engine>(
    engine: &Arc<E>,
    session: Session,
    stdin: bool,
    tty: Option<TtyOf>,
) {
    let raw = tty.as_ref().and_then(|_| RawMode::enable());
    let resize = tty.map(|of| tokio::spawn(keep_size(engine.clone(), of)));
    let Session { mut output, input } = session;
    let feed = stdin.then(|| {
        tokio::spawn(async move {
            let mut input = input;
            let _ = tokio::io::copy(&mut tokio::io::stdin(), &mut input).await;
            // EOF: close the process's stdin (a half-close; its output still flows).
            let _ = input.shutdown().await;
        })
    });
    while let Some(chunk) = output.next().await {
        let written = match chunk {
            Ok(LogChunk::Stdout(b)) => write_all(&mut std::io::stdout().lock(), &b),
            Ok(LogChunk::Stderr(b)) => write_all(&mut std::io::stderr().lock(), &b),
            Err(_) => break,
        };
        if !written {
            break;
        }
    }
    for task in [feed, resize].into_iter().flatten() {
        task.abort();
    }
    drop(raw);
}

fn write_all(out: &mut impl Write, bytes: &[u8]) -> bool {
    out.write_all(bytes).and_then(|()| out.flush()).is_ok()
}

/// The terminal's size (rows, columns), from stdout or else stdin.
fn size() -> Option<(u16, u16)> {
    let ws = rustix::termios::tcgetwinsize(std::io::stdout())
        .or_else(|_| rustix::termios::tcgetwinsize(std::io::stdin()))
        .ok()?;
    (ws.ws_row > 0 && ws.ws_col > 0).then_some((ws.ws_row, ws.ws_col))
}

async fn keep_size<E: Engine>(engine: Arc<E>, of: TtyOf) {
    if let Some((rows, cols)) = size() {
        let _ = engine.resize(&of, rows, cols).await;
    }
    let Ok(mut winch) = signal(SignalKind::window_change()) else {
        return;
    };
    while winch.recv().await.is_some() {
        if let Some((rows, cols)) = size() {
            let _ = engine.resize(&of, rows, cols).await;
        }
    }
}

/// The local terminal in raw mode (keys go to the container as typed, Ctrl-C included) until
/// dropped.
struct RawMode {
    saved: rustix::termios::Termios,
}

impl RawMode {
    fn enable() -> Option<RawMode> {
        let stdin = std::io::stdin();
        if !rustix::termios::isatty(&stdin) {
            return None;
        }
        let saved = rustix::termios::tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &raw).ok()?;
        Some(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.saved,
        );
    }
}

/// SIGINT (Ctrl-C) and SIGTERM as one stream, installed when created: until then the default
/// action (exit) applies.
pub struct Interrupts {
    int: Signal,
    term: Signal,
}

impl Interrupts {
    pub fn new() -> Result<Interrupts> {
        let install =
            |kind| signal(kind).map_err(|e| Error::Failed(format!("cannot handle signals: {e}")));
        Ok(Interrupts {
            int: install(SignalKind::interrupt())?,
            term: install(SignalKind::terminate())?,
        })
    }

    /// Waits for the next signal and names it ("SIGINT" or "SIGTERM").
    pub async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
        }
    }
}
