//! The command line: parses arguments, calls the library, prints, picks the exit code.
//! This is the only module that prints.
//!
//! Exit codes: 0 success / up to date; 1 problems in the spec or its output, or drift
//! (`--check`, `--diff`); 2 usage, I/O, ownership refusal or internal error.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::diagnostic;
use crate::emit::{Change, Drift, EmitError};
use crate::pipeline::{self, Compiled, Failure};
use crate::{defaults, spec};

#[derive(Debug, Parser)]
#[command(
    name = "dbgen",
    version,
    about = "Compile a TOML platform spec into Kustomize trees for PostgreSQL on Kubernetes"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render every environment into the output directory (dbgen owns that directory).
    Render(RenderArgs),
    /// Check the spec and everything it would render, writing nothing.
    Validate(SpecArg),
    /// Print the JSON Schema of the spec file (for editor completion).
    Schema,
}

#[derive(Debug, clap::Args)]
struct SpecArg {
    /// The platform spec.
    #[arg(short = 'f', long = "file", default_value = "dbgen.toml")]
    file: PathBuf,
}

#[derive(Debug, clap::Args)]
struct RenderArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// Output directory [default: `[output] dir` of the spec, else `out/` beside the spec].
    #[arg(short = 'o', long = "out")]
    out: Option<PathBuf>,
    /// Write nothing; exit 1 if any file would be created, changed or deleted.
    #[arg(long, conflicts_with_all = ["diff", "stdout"])]
    check: bool,
    /// Write nothing; print a unified diff of what would change; exit 1 if anything would.
    #[arg(long, conflicts_with = "stdout")]
    diff: bool,
    /// Print one environment as a multi-document YAML stream instead of writing files.
    #[arg(long, requires = "env")]
    stdout: bool,
    /// The environment for `--stdout`.
    #[arg(long, requires = "stdout")]
    env: Option<String>,
}

/// Runs the CLI and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Render(args) => render(&args),
        Command::Validate(args) => validate(&args),
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&spec::json_schema()).unwrap_or_default()
            );
            0
        }
    };
    ExitCode::from(code)
}

fn validate(args: &SpecArg) -> u8 {
    let compiled = match compile(&args.file) {
        Ok(compiled) => compiled,
        Err(code) => return code,
    };
    let files: usize = compiled.environments.iter().map(|(_, m)| m.len()).sum();
    println!(
        "{}: valid; {} environments, {files} files verified",
        args.file.display(),
        compiled.environments.len()
    );
    0
}

fn render(args: &RenderArgs) -> u8 {
    let compiled = match compile(&args.spec.file) {
        Ok(compiled) => compiled,
        Err(code) => return code,
    };
    if args.stdout {
        let env = args.env.as_deref().unwrap_or_default();
        // Without its charts the stream would ship Secrets and Jobs but no database.
        let charts = compiled.helm_values_files(env);
        if !charts.is_empty() {
            eprintln!(
                "error: environment `{env}` installs Helm charts ({}), which `--stdout` cannot \
                 inline; nothing was printed.\n  build it instead: `dbgen render` then \
                 `kubectl kustomize --enable-helm <output>/{env} | kubectl apply -f -`,\n  \
                 or set `[bitnami] delivery = \"flux\"` to deliver the charts as HelmReleases",
                charts.join(", ")
            );
            return 2;
        }
        let Some(stream) = compiled.stream(env) else {
            eprintln!(
                "error: unknown environment `{env}`; the spec defines: {}",
                compiled.environment_names().join(", ")
            );
            return 2;
        };
        print!("{stream}");
        return 0;
    }
    let out = output_dir(args, &compiled);
    let tree = match compiled.tree() {
        Ok(tree) => tree,
        Err(e) => return emit_error(&e),
    };
    if args.check || args.diff {
        return match tree.check(&out) {
            Ok(drift) => report_drift(&out, &drift, args.diff),
            Err(e) => emit_error(&e),
        };
    }
    match tree.write(&out) {
        Ok(report) => {
            println!(
                "rendered {} environments into {}: {} created, {} updated, {} deleted, {} unchanged",
                compiled.environments.len(),
                out.display(),
                report.created.len(),
                report.updated.len(),
                report.deleted.len(),
                report.unchanged
            );
            0
        }
        Err(e) => emit_error(&e),
    }
}

/// Reads and compiles the spec, printing warnings; on failure prints why and returns
/// the exit code: 1 for problems in the spec or its output, 2 for I/O or internal errors.
fn compile(file: &Path) -> Result<Compiled, u8> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", file.display());
        2
    })?;
    match pipeline::compile(&file.display().to_string(), &text) {
        Ok(compiled) => {
            print_diagnostics(&compiled.sources, &compiled.warnings);
            Ok(compiled)
        }
        Err(Failure::Invalid {
            sources,
            diagnostics,
        }) => {
            print_diagnostics(&sources, &diagnostics);
            Err(1)
        }
        Err(Failure::Output {
            sources,
            warnings,
            problems,
        }) => {
            print_diagnostics(&sources, &warnings);
            for problem in &problems {
                eprintln!("error[invalid-output]: {problem}");
            }
            eprintln!(
                "{} problems in the generated objects; nothing was written",
                problems.len()
            );
            Err(1)
        }
        Err(Failure::Render(e)) => {
            eprintln!("error: {e}");
            Err(2)
        }
    }
}

fn print_diagnostics(
    sources: &crate::source::Sources,
    diagnostics: &[crate::diagnostic::Diagnostic],
) {
    if !diagnostics.is_empty() {
        eprint!("{}", diagnostic::render(sources, diagnostics));
    }
}

fn output_dir(args: &RenderArgs, compiled: &Compiled) -> PathBuf {
    if let Some(out) = &args.out {
        return out.clone();
    }
    let base = args.spec.file.parent().unwrap_or_else(|| Path::new(""));
    base.join(
        compiled
            .output_dir
            .as_deref()
            .unwrap_or(defaults::OUTPUT_DIR),
    )
}

fn report_drift(out: &Path, drift: &[Drift], diff: bool) -> u8 {
    if drift.is_empty() {
        println!("{} is up to date", out.display());
        return 0;
    }
    for d in drift {
        if diff {
            print!("{}", d.unified_diff());
        } else {
            let what = match d.change {
                Change::Create => "would create",
                Change::Update => "would update",
                Change::Delete => "would delete",
            };
            println!("{what}: {}", out.join(&d.path).display());
        }
    }
    eprintln!(
        "{} files in {} are out of date; run `dbgen render`",
        drift.len(),
        out.display()
    );
    1
}

fn emit_error(error: &EmitError) -> u8 {
    eprintln!("error: {error}");
    2
}
