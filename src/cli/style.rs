//! Terminal colour: decides whether to colour, and paints already-rendered text.
//!
//! Input: `--color`, the `NO_COLOR` environment variable and whether a stream is a terminal;
//! the plain text the library rendered (diagnostics, unified diffs).
//! Output: the same text with ANSI escapes added at line starts and ends.
//! Invariant: painting never changes the visible characters, so the uncoloured output (what
//! tests and pipes see) is exactly the library's text.

use std::io::IsTerminal as _;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    Always,
    Never,
}

/// Which stream a text goes to; each is checked separately, as `dbgen render --diff | less`
/// keeps colour in the diagnostics on stderr but not in the diff on stdout.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stream {
    Stdout,
    Stderr,
}

/// Whether to colour `stream`, per `choice` and <https://no-color.org>.
pub(super) fn enabled(choice: ColorChoice, stream: Stream) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let terminal = match stream {
                Stream::Stdout => std::io::stdout().is_terminal(),
                Stream::Stderr => std::io::stderr().is_terminal(),
            };
            terminal && !no_color
        }
    }
}

const RESET: &str = "\x1b[0m";
const RED_BOLD: &str = "\x1b[1;31m";
const YELLOW_BOLD: &str = "\x1b[1;33m";
const BLUE_BOLD: &str = "\x1b[1;34m";
const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";

/// Paints rustc-style diagnostics: the `error[..]`/`warning[..]` heading, the location arrows
/// and the gutter.
pub(super) fn diagnostics(text: &str) -> String {
    map_lines(text, |line| {
        let trimmed = line.trim_start();
        if line.starts_with("error") {
            Some(heading(line, RED_BOLD))
        } else if line.starts_with("warning") {
            Some(heading(line, YELLOW_BOLD))
        } else if trimmed.starts_with("-->")
            || trimmed.starts_with(":::")
            || trimmed.starts_with('|')
            || trimmed.starts_with('=')
            || trimmed.split_once(" |").is_some_and(|(n, _)| {
                !n.trim().is_empty() && n.trim().chars().all(|c| c.is_ascii_digit())
            })
        {
            Some(format!("{BLUE_BOLD}{line}{RESET}"))
        } else {
            None
        }
    })
}

/// `error[code]` in colour, the message in bold.
fn heading(line: &str, colour: &str) -> String {
    match line.split_once(": ") {
        Some((level, message)) => format!("{colour}{level}{RESET}{BOLD}: {message}{RESET}"),
        None => format!("{colour}{line}{RESET}"),
    }
}

/// Paints a unified diff as git does: headers bold, hunks cyan, removals red, additions green.
pub(super) fn diff(text: &str) -> String {
    map_lines(text, |line| {
        let colour = if line.starts_with("--- ") || line.starts_with("+++ ") {
            BOLD
        } else if line.starts_with("@@") {
            CYAN
        } else if line.starts_with('-') {
            RED
        } else if line.starts_with('+') {
            GREEN
        } else {
            return None;
        };
        Some(format!("{colour}{line}{RESET}"))
    })
}

fn map_lines(text: &str, paint: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.split_inclusive('\n') {
        let (body, newline) = line
            .strip_suffix('\n')
            .map_or((line, ""), |body| (body, "\n"));
        match paint(body) {
            Some(painted) => out.push_str(&painted),
            None => out.push_str(body),
        }
        out.push_str(newline);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("\x1b[") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('m').unwrap();
            rest = &rest[start + end + 1..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn painting_keeps_the_visible_text() {
        let diag = "error[unknown-key]: unknown key `x`\n --> dbgen.toml:3:1\n  |\n3 | x = 1\n  | ^\n1 error; nothing was written\n";
        let painted = diagnostics(diag);
        assert_ne!(painted, diag);
        assert!(painted.starts_with("\x1b[1;31merror[unknown-key]"));
        assert_eq!(strip(&painted), diag);
        let patch = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n c\n";
        let painted = diff(patch);
        assert!(painted.contains("\x1b[31m-a\x1b[0m\n\x1b[32m+b\x1b[0m\n c\n"));
        assert_eq!(strip(&painted), patch);
    }

    #[test]
    fn always_and_never_ignore_the_terminal() {
        assert!(enabled(ColorChoice::Always, Stream::Stdout));
        assert!(!enabled(ColorChoice::Never, Stream::Stderr));
    }
}
