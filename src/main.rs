//! `dbgen`: see the library docs; this only hands the arguments over, and turns
//! a failed write to a closed or full standard stream into an exit code.
//! Input: the process arguments. Output: the exit code of `cli::run`; 2, with
//! no panic message or backtrace, when printing failed (quietly when the
//! reader went away, as with `| head -1`; with a one-line error otherwise, as
//! with `> /dev/full`).

use std::panic;
use std::process::ExitCode;

use clap::Parser;

/// How std's `print!` family reports a failed write (it panics).
const PRINT_FAILED: [&str; 2] = ["failed printing to stdout", "failed printing to stderr"];

// A render allocates and frees millions of small strings and maps; glibc's malloc spent a
// fifth of `render --check`'s CPU on them (and musl's, in the static binary, is slower).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        // A print failure is reported once `main` has caught it; any other
        // panic is a bug and keeps its message and backtrace.
        if print_failure(info.payload()).is_none() {
            default_hook(info);
        }
    }));
    match panic::catch_unwind(|| dbgen::cli::run(dbgen::cli::Cli::parse())) {
        Ok(code) => code,
        Err(payload) => {
            let Some(message) = print_failure(payload.as_ref()) else {
                panic::resume_unwind(payload)
            };
            // A reader that closed the pipe wants no more output, not an error.
            if !message.contains("Broken pipe") {
                // stderr may be the broken stream too; then there is nowhere to say it.
                let _ = std::io::Write::write_all(
                    &mut std::io::stderr(),
                    format!("error: {message}\n").as_bytes(),
                );
            }
            ExitCode::from(2)
        }
    }
}

/// The panic message when the panic is std's report of a failed print.
fn print_failure(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())?;
    PRINT_FAILED
        .iter()
        .any(|prefix| message.starts_with(prefix))
        .then_some(message)
}
