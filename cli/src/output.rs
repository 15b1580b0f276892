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
    w: Box<dyn Write + Send>,
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
        let w: Box<dyn Write + Send> = if stdout_tty {
            Box::new(io::LineWriter::new(ClosedPipeEnds(io::stdout())))
        } else {
            // Large writes: renderers hand over chunks of tens of KiB.
            Box::new(io::BufWriter::with_capacity(
                256 * 1024,
                ClosedPipeEnds(io::stdout()),
            ))
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
        // serde_json's error hides the io::Error from `source()`: give it back as one.
        serde_json::to_writer(&mut self.w, v).map_err(|e| {
            if e.is_io() {
                anyhow::Error::from(io::Error::from(e))
            } else {
                anyhow::Error::from(e)
            }
        })?;
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

/// stdout that names itself in write errors, and ends the process quietly with status 0 when the reader has gone (`ietfwg … |
/// head`): the results it wanted were written, and whatever layer the write error would surface
/// in (a renderer, a serialiser, a progress callback, a flush at drop), nothing more can be
/// said on stdout. Rust ignores SIGPIPE, so the closed pipe arrives here as `BrokenPipe`.
struct ClosedPipeEnds<W>(W);

impl<W: Write> ClosedPipeEnds<W> {
    fn check<T>(r: io::Result<T>) -> io::Result<T> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
            // Say where: "No space left on device" alone does not tell which file was full.
            Err(e) => Err(io::Error::new(
                e.kind(),
                format!("writing to standard output: {e}"),
            )),
            r => r,
        }
    }
}

impl<W: Write> Write for ClosedPipeEnds<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Self::check(self.0.write(buf))
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Self::check(self.0.write_all(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        Self::check(self.0.flush())
    }
}
