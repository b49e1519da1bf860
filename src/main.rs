//! `dbgen`: see the library docs; this only hands the arguments over.

use clap::Parser;

fn main() -> std::process::ExitCode {
    dbgen::cli::run(dbgen::cli::Cli::parse())
}
