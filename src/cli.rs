//! The command line: parses arguments, calls the library, prints, picks the exit code.
//! This is the only module that prints.
//!
//! Exit codes: 0 success / up to date; 1 problems in the spec or its output, or drift
//! (`--check`, `--diff`); 2 usage, I/O, ownership refusal or internal error.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::emit::{Change, Drift, EmitError};
use crate::pipeline::{self, Compiled, Failure};
use crate::{change, diagnostic};
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
    /// Say what applying a fresh render over the output directory does to the databases.
    Plan(PlanArgs),
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

#[derive(Debug, clap::Args)]
struct PlanArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// The committed output directory [default: as for `render`].
    #[arg(short = 'o', long = "out")]
    out: Option<PathBuf>,
    /// Only these environments (repeatable) [default: all].
    #[arg(long = "env")]
    envs: Vec<String>,
    /// `text` for reviewers, `json` for tools.
    #[arg(long, value_enum, default_value = "text")]
    format: PlanFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PlanFormat {
    Text,
    Json,
}

/// Runs the CLI and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Render(args) => render(&args),
        Command::Validate(args) => validate(&args),
        Command::Plan(args) => plan(&args),
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
    let out = output_dir(args.out.as_ref(), &args.spec.file, &compiled);
    if let Err(code) = gate(&compiled, &out) {
        return code;
    }
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

fn output_dir(out: Option<&PathBuf>, file: &Path, compiled: &Compiled) -> PathBuf {
    if let Some(out) = out {
        return out.clone();
    }
    let base = file.parent().unwrap_or_else(|| Path::new(""));
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

/// `dbgen plan`: exit 0 no change, 1 changes needing no acknowledgement, 2 I/O,
/// 3 invalid spec or output, 4 an unacknowledged `data-loss`/`rejected` change in a
/// protected environment.
fn plan(args: &PlanArgs) -> u8 {
    let compiled = match compile(&args.spec.file) {
        Ok(compiled) => compiled,
        Err(code) => return if code == 1 { 3 } else { code },
    };
    let known = compiled.environment_names();
    if let Some(unknown) = args.envs.iter().find(|e| !known.contains(&e.as_str())) {
        eprintln!(
            "error: unknown environment `{unknown}`; the spec defines: {}",
            known.join(", ")
        );
        return 2;
    }
    let out = output_dir(args.out.as_ref(), &args.spec.file, &compiled);
    let mut plan = match change_plan(&compiled, &out) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    if !args.envs.is_empty() {
        plan.environments.retain(|e| args.envs.contains(&e.name));
    }
    print_diagnostics(&compiled.sources, &plan.stale_warnings(&compiled.safety));
    match args.format {
        PlanFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&plan.to_json()).unwrap_or_default()
        ),
        PlanFormat::Text => print!("{}", plan.to_text(use_color())),
    }
    plan.exit_code()
}

fn change_plan(compiled: &Compiled, out: &Path) -> Result<change::ChangePlan, u8> {
    let committed = change::read_tree(out).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", out.display());
        2
    })?;
    Ok(change::plan(
        &committed,
        &compiled.environments,
        &compiled.safety,
    ))
}

/// `render` in a protected environment: refuses (exit 4, nothing written) while a
/// `data-loss` or `rejected` change lacks its `[[acknowledge]]` entry.
fn gate(compiled: &Compiled, out: &Path) -> Result<(), u8> {
    let plan = change_plan(compiled, out)?;
    print_diagnostics(&compiled.sources, &plan.stale_warnings(&compiled.safety));
    let blocking: Vec<_> = plan.blocking().collect();
    if blocking.is_empty() {
        return Ok(());
    }
    for (env, c) in &blocking {
        eprintln!(
            "error[unacknowledged-change]: {} {} `{}` in protected environment `{}`: {}",
            c.verdict.class.as_str(),
            c.action.as_str(),
            c.object.reference(),
            env.name,
            c.verdict.reason
        );
    }
    eprintln!(
        "{} changes need acknowledgement; nothing was written. Run `dbgen plan` for the remedies and the `[[acknowledge]]` entries",
        blocking.len()
    );
    Err(4)
}

fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
