//! The only code that writes to the terminal: live progress (indicatif on a TTY, plain lines
//! otherwise, nothing when quiet) on stderr, and service logs with a coloured `service |` prefix.
//!
//! Logs go to stdout, like Docker Compose's, so `mls logs | grep` works; everything else goes to
//! stderr so stdout stays clean for results (`ps`, `config`).

use console::{Style, Term};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `--progress auto|tty|plain|quiet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    #[default]
    Auto,
    Tty,
    Plain,
    Quiet,
}

/// The state a resource line shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Working,
    Done,
    /// Finished, but not as asked (e.g. a network still in use was kept).
    Warning,
    Failed,
}

/// A cheap, cloneable handle on the one renderer.
#[derive(Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    multi: Option<MultiProgress>,
    bars: Mutex<HashMap<String, (ProgressBar, Instant)>>,
    colors: Mutex<HashMap<String, Style>>,
    width: Mutex<usize>,
}

const PALETTE: [u8; 6] = [6, 3, 2, 5, 4, 1];

impl Progress {
    /// Resolves `Auto` to `Tty` when stderr is a terminal, else `Plain`.
    pub fn new(mode: Mode) -> Progress {
        let mode = match mode {
            Mode::Auto if Term::stderr().is_term() => Mode::Tty,
            Mode::Auto => Mode::Plain,
            m => m,
        };
        if std::env::var_os("NO_COLOR").is_some() {
            console::set_colors_enabled(false);
            console::set_colors_enabled_stderr(false);
        }
        let multi = (mode == Mode::Tty)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress {
            inner: Arc::new(Inner {
                mode,
                multi,
                bars: Mutex::new(HashMap::new()),
                colors: Mutex::new(HashMap::new()),
                width: Mutex::new(0),
            }),
        }
    }

    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// Reports the state of a resource, e.g. ("Container", "demo-backend-1", Working, "Starting").
    pub fn status(&self, kind: &str, name: &str, state: State, text: &str) {
        let key = format!("{kind} {name}");
        match self.inner.mode {
            Mode::Quiet => {}
            Mode::Plain | Mode::Auto => {
                let mark = match state {
                    State::Failed => "Error ",
                    _ => "",
                };
                eprintln!(" {key}  {mark}{text}");
            }
            Mode::Tty => self.status_tty(key, state, text),
        }
    }

    fn status_tty(&self, key: String, state: State, text: &str) {
        let Some(multi) = &self.inner.multi else {
            return;
        };
        let mut bars = lock(&self.inner.bars);
        let (bar, started) = bars.entry(key.clone()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template(" {spinner:.blue} {prefix} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(key.clone());
            bar.enable_steady_tick(Duration::from_millis(100));
            (bar, Instant::now())
        });
        let elapsed = format!("{:.1}s", started.elapsed().as_secs_f64());
        match state {
            State::Working => bar.set_message(text.to_string()),
            State::Done => {
                bar.set_style(
                    ProgressStyle::with_template(" {prefix} {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(format!("{} {key}", Style::new().green().apply_to("✔")));
                bar.finish_with_message(format!(
                    "{text}  {}",
                    Style::new().dim().apply_to(elapsed)
                ));
            }
            State::Warning => {
                bar.set_style(
                    ProgressStyle::with_template(" {prefix} {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(format!("{} {key}", Style::new().yellow().apply_to("!")));
                bar.finish_with_message(Style::new().yellow().apply_to(text).to_string());
            }
            State::Failed => {
                bar.set_style(
                    ProgressStyle::with_template(" {prefix} {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(format!("{} {key}", Style::new().red().apply_to("✘")));
                bar.finish_with_message(Style::new().red().apply_to(text).to_string());
            }
        }
    }

    /// One line of build output for `service`: on a TTY it becomes the build line's message;
    /// in plain mode it is printed with the service as prefix.
    pub fn build_line(&self, service: &str, line: &str) {
        match self.inner.mode {
            Mode::Quiet => {}
            Mode::Tty => {
                let key = format!("Image {service}");
                if let Some((bar, _)) = lock(&self.inner.bars).get(&key) {
                    bar.set_message(line.to_string());
                }
            }
            _ => eprintln!(" {service}  | {line}"),
        }
    }

    /// One watch action, as `service  text` (e.g. `backend  rebuilt in 1.8s`).
    pub fn action(&self, service: &str, text: &str) {
        if self.inner.mode == Mode::Quiet {
            return;
        }
        let style = self.color_of(service);
        self.println_stderr(&format!("{}  {text}", style.for_stderr().apply_to(service)));
    }

    fn color_of(&self, service: &str) -> Style {
        let mut colors = lock(&self.inner.colors);
        let n = colors.len();
        colors
            .entry(service.to_string())
            .or_insert_with(|| Style::new().color256(PALETTE[n % PALETTE.len()]))
            .clone()
    }

    /// A warning: printed even in quiet mode, like errors.
    pub fn warn(&self, message: &str) {
        self.println_stderr(&format!(
            "{} {message}",
            Style::new().yellow().for_stderr().apply_to("WARN")
        ));
    }

    /// A line on stderr that does not tear the live display.
    pub fn println_stderr(&self, line: &str) {
        match &self.inner.multi {
            Some(m) if !m.is_hidden() => m.suspend(|| eprintln!("{line}")),
            _ => eprintln!("{line}"),
        }
    }

    /// Stops the live display, leaving finished lines on screen.
    pub fn finish(&self) {
        let bars = std::mem::take(&mut *lock(&self.inner.bars));
        for (bar, _) in bars.into_values() {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
    }

    /// Makes prefixes of `log_line` line up for these service names.
    pub fn align_services<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        let mut w = lock(&self.inner.width);
        for n in names {
            *w = (*w).max(n.len());
        }
    }

    /// A line about a container on the log stream (stdout), like Compose's `b-1 exited with
    /// code 4`: the label in its colour, then the text; an empty label prints the bare text.
    pub fn container_status(&self, label: &str, text: &str) {
        let line = if label.is_empty() {
            format!("{text}\n")
        } else {
            format!("{} {text}\n", self.color_of(label).apply_to(label))
        };
        let mut stdout = std::io::stdout().lock();
        if stdout.write_all(line.as_bytes()).is_err() {
            std::process::exit(0);
        }
    }

    /// One line of a container's output, as `service  | line` with a stable colour per service.
    /// `prefix: false` prints the bare line (`logs --no-log-prefix`).
    pub fn log_line(&self, service: &str, line: &str, prefix: bool) {
        let out = if prefix {
            let style = self.color_of(service);
            let width = *lock(&self.inner.width);
            format!(
                "{} {line}\n",
                style.apply_to(format!("{service:<width$}  |"))
            )
        } else {
            format!("{line}\n")
        };
        let mut stdout = std::io::stdout().lock();
        if stdout.write_all(out.as_bytes()).is_err() {
            // A closed pipe (e.g. `| head`): exit quietly like other Unix tools.
            std::process::exit(0);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
