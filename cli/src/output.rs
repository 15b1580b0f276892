//! Where results go: stdout as coloured text on a terminal, plain text in a pipe, or NDJSON.
//! Decided once, at start-up.

use std::io::{self, IsTerminal, Write};

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The output sink and how to style it.
pub struct Output {
    /// Colour text output (never JSON).
    pub color: bool,
    /// stdout is a terminal: line-buffer, and progress bars make sense on stderr.
    pub stdout_tty: bool,
    /// stderr is a terminal.
    pub stderr_tty: bool,
    w: Box<dyn Write>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("color", &self.color)
            .field("stdout_tty", &self.stdout_tty)
            .finish()
    }
}

impl Output {
    pub fn new(choice: ColorChoice) -> Self {
        let stdout_tty = io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_tty && !no_color && !dumb,
        };
        // `colored` decides on its own too; make it follow our decision only.
        colored::control::set_override(color);
        let w: Box<dyn Write> = if stdout_tty {
            Box::new(io::LineWriter::new(io::stdout()))
        } else {
            Box::new(io::BufWriter::with_capacity(64 * 1024, io::stdout()))
        };
        Output {
            color,
            stdout_tty,
            stderr_tty: io::stderr().is_terminal(),
            w,
        }
    }

    /// JSON output is never coloured.
    pub fn set_json(&mut self) {
        self.color = false;
        colored::control::set_override(false);
    }

    /// One NDJSON line.
    pub fn json<T: serde::Serialize>(&mut self, v: &T) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.w, v)?;
        self.w.write_all(b"\n")?;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}
