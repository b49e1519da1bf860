//! The command line: parses arguments, calls the library, prints, picks the exit code.
//! This module and its submodules are the only code that prints.
//!
//! Exit codes (the same table is in `--help` and docs/cli.md):
//! 0 success, up to date, no change; 1 drift found by `render --check`/`--diff`, or `plan`
//! found changes that are all `in-place`/`restart`/`downtime`; 2 usage, I/O, ownership
//! refusal, lock or internal error; 3 invalid spec (diagnostics) or output that failed
//! verification; 4 an unacknowledged `data-loss`/`rejected`/`login-kept` change in a protected
//! environment.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod discover;
mod inspect;
mod report;
mod style;
mod table;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};
use serde_json::{Value, json};

use crate::diagnostic::{self, Code, Diagnostic};
use crate::emit::{self, Change, Drift, EmitError};
use crate::pipeline::{self, Compiled, Failure, Prepared, RenderStop, Rendered};
use crate::source::Sources;
use crate::{change, defaults, inventory, spec, starter, suggest};

use style::ColorChoice;

/// Process exit codes, agreed for every subcommand.
pub mod exit {
    /// Success; up to date; no change.
    pub const OK: u8 = 0;
    /// Drift found by `render --check`/`--diff`; `plan`: changes, none needing acknowledgement.
    pub const DRIFT: u8 = 1;
    /// Usage error, I/O error, ownership refusal, lock held, internal error.
    pub const FAILURE: u8 = 2;
    /// Invalid spec, or generated output that failed verification.
    pub const INVALID: u8 = 3;
    /// An unacknowledged `data-loss`/`rejected`/`login-kept` change in a protected environment.
    pub const DATA_LOSS: u8 = 4;
}

const EXIT_CODES: &str = "\
Exit codes:
  0  success; up to date; no change
  1  drift found by `render --check`/`--diff`; `plan` found changes, all in-place/restart/downtime
  2  usage error, I/O error, ownership refusal, lock held, internal error
  3  invalid spec (diagnostics), or the generated output failed verification
  4  an unacknowledged data-loss/rejected/login-kept change in a protected environment";

#[derive(Debug, Parser)]
#[command(
    name = "dbgen",
    version,
    about = "Compile a TOML platform spec into Kustomize trees for PostgreSQL and Redis on Kubernetes",
    after_help = EXIT_CODES,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Explain a diagnostic code (`error[CODE]`): what it means, an example, the fix.
    #[arg(long, value_name = "CODE")]
    explain: Option<String>,
    #[command(flatten)]
    global: Global,
}

/// Options every subcommand takes.
#[derive(Debug, clap::Args)]
struct Global {
    /// When to colour diagnostics and diffs; `auto` honours `NO_COLOR`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,
    /// Print only errors, warnings and the requested output (no summary lines).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print each file written, and per-environment counts.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// How diagnostics are printed: `human`, or `github` for GitHub Actions annotations
    /// (`::error file=…,line=…,col=…::…` on stdout, the human text still on stderr).
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human, value_name = "FMT")]
    message_format: MessageFormat,
    /// Treat warnings as errors: exit 3 and write nothing when the spec has any.
    #[arg(long, global = true)]
    deny_warnings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MessageFormat {
    Human,
    Github,
}

/// `--format` of commands that report a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
enum Format {
    #[default]
    Text,
    /// One JSON document on stdout (schema: docs/cli.md).
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render every environment into the output directory (dbgen owns that directory).
    Render(RenderArgs),
    /// Check the spec and everything it would render, writing nothing.
    Validate(ValidateArgs),
    /// Say what applying a fresh render over the output directory does to the databases.
    Plan(PlanArgs),
    /// Print the JSON Schema of the spec file (for editor completion).
    Schema,
    /// Write a commented starter spec (dbgen.toml) and its JSON Schema into a directory.
    Init(InitArgs),
    /// Explain what an app gets (`explain app NAME`: its Secret, keys, hosts and ports, store
    /// keys, backups), or a diagnostic code (`explain CODE`, the same as `--explain CODE`).
    Explain(ExplainArgs),
    /// List what each environment runs: workloads with CPU, memory and storage totals,
    /// apps, databases, roles, Secrets and scheduled jobs.
    List(ListArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout.
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum InitEngine {
    /// CloudNativePG operator.
    Cnpg,
    /// Bitnami postgresql-ha Helm chart.
    Bitnami,
    /// Plain `StatefulSet`.
    Statefulset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum InitSecrets {
    /// External Secrets Operator (ExternalSecret objects).
    ExternalSecrets,
    /// Infisical operator (InfisicalSecret objects).
    Infisical,
}

#[derive(Debug, clap::Args)]
struct InitArgs {
    /// Directory to write dbgen.toml into (created if missing).
    #[arg(default_value = ".")]
    dir: PathBuf,
    #[arg(long, value_enum, default_value_t = InitEngine::Cnpg)]
    engine: InitEngine,
    #[arg(long, value_enum, default_value_t = InitSecrets::ExternalSecrets)]
    secrets: InitSecrets,
}

#[derive(Debug, Subcommand)]
enum ExplainWhat {
    /// An app of the spec (`[apps.NAME]`).
    App {
        name: String,
        #[command(flatten)]
        spec: SpecArg,
        /// Only this environment [default: every environment].
        #[arg(long)]
        env: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, arg_required_else_help = true)]
struct ExplainArgs {
    #[command(subcommand)]
    what: Option<ExplainWhat>,
    /// A diagnostic code, e.g. `unknown-key`.
    #[arg(value_name = "CODE")]
    code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
enum ListFormat {
    #[default]
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// Only this environment [default: every environment].
    #[arg(long)]
    env: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: ListFormat,
}

#[derive(Debug, clap::Args)]
struct SpecArg {
    /// The platform spec: a file, a directory holding dbgen.toml, or `-` for stdin
    /// [default: dbgen.toml in the current directory or the nearest parent that has one].
    #[arg(short = 'f', long = "file", value_name = "FILE|DIR|-")]
    file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ValidateArgs {
    #[command(flatten)]
    spec: SpecArg,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Debug, clap::Args)]
#[allow(clippy::struct_excessive_bools)] // each bool is one independent command-line flag
struct RenderArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// Output directory [default: `[output] dir` of the spec, else `out/` beside the spec;
    /// required when the spec is read from stdin].
    #[arg(short = 'o', long = "out")]
    out: Option<PathBuf>,
    /// Write nothing; exit 1 if any file would be created, changed or deleted.
    #[arg(long, conflicts_with_all = ["diff", "stdout"])]
    check: bool,
    /// Write nothing; print a unified diff (paths relative to the repository root, for
    /// `git apply`) of what would change; exit 1 if anything would.
    #[arg(long, conflicts_with = "stdout")]
    diff: bool,
    /// Print one environment as a multi-document YAML stream instead of writing files.
    #[arg(long, requires = "env")]
    stdout: bool,
    /// The environment for `--stdout`.
    #[arg(long, requires = "stdout")]
    env: Option<String>,
    #[arg(long, value_enum, default_value_t, conflicts_with = "stdout")]
    format: Format,
    /// Take over a directory whose `.dbgen-manifest` was lost: files carrying dbgen's
    /// "Code generated by dbgen" header become dbgen's again; other files are kept.
    #[arg(long, conflicts_with = "stdout")]
    adopt: bool,
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
    /// `text` for reviewers, `json` for tools (schema: docs/cli.md).
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Runs the CLI and returns the process exit code.
#[allow(clippy::needless_pass_by_value)] // `main` hands over the parsed arguments
pub fn run(cli: Cli) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_default();
    let command = match (&cli.command, &cli.explain) {
        (None, Some(name)) => {
            return ExitCode::from(explain_code(
                &Session::new(&cli.global, Format::Text, cwd),
                name,
            ));
        }
        (Some(command), None) => command,
        (Some(_), Some(_)) | (None, None) => {
            let message = "give either `--explain CODE` or a command, not both";
            return ExitCode::from(
                Session::new(&cli.global, Format::Text, cwd).fail(message, exit::FAILURE),
            );
        }
    };
    let code = match command {
        Command::Render(args) => {
            let mut session = Session::new(&cli.global, args.format, cwd);
            let code = render(&mut session, args);
            session.finish(code)
        }
        Command::Validate(args) => {
            let mut session = Session::new(&cli.global, args.format, cwd);
            let code = validate(&mut session, args);
            session.finish(code)
        }
        Command::Plan(args) => {
            let mut session = Session::new(&cli.global, args.format, cwd);
            let code = plan(&mut session, args);
            session.finish(code)
        }
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&spec::json_schema()).unwrap_or_default()
            );
            exit::OK
        }
        Command::Init(args) => init(&Session::new(&cli.global, Format::Text, cwd), args),
        Command::Explain(ExplainArgs {
            what:
                Some(ExplainWhat::App {
                    name,
                    spec,
                    env,
                    format,
                }),
            ..
        }) => {
            let mut session = Session::new(&cli.global, *format, cwd);
            let code = explain(&mut session, spec, name, env.as_deref());
            session.finish(code)
        }
        Command::Explain(ExplainArgs { what: None, code }) => {
            let session = Session::new(&cli.global, Format::Text, cwd);
            // clap requires a code or a subcommand (`arg_required_else_help`).
            explain_code(&session, code.as_deref().unwrap_or_default())
        }
        Command::List(args) => {
            let format = match args.format {
                ListFormat::Table => Format::Text,
                ListFormat::Json => Format::Json,
            };
            let mut session = Session::new(&cli.global, format, cwd);
            let code = list(&mut session, args);
            session.finish(code)
        }
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "dbgen", &mut std::io::stdout());
            exit::OK
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => {
                    print!("{}", String::from_utf8_lossy(&page));
                    exit::OK
                }
                Err(e) => {
                    Session::new(&cli.global, Format::Text, cwd).fail(&e.to_string(), exit::FAILURE)
                }
            }
        }
    };
    ExitCode::from(code)
}

/// One command's printing state: the global options, and in `--format json` the
/// diagnostics gathered for the final document.
struct Session<'a> {
    global: &'a Global,
    format: Format,
    cwd: PathBuf,
    diagnostics: Vec<Value>,
    /// The codes of the diagnostics printed as text, for the `--explain` hint at the end.
    printed: BTreeSet<Code>,
}

impl<'a> Session<'a> {
    fn new(global: &'a Global, format: Format, cwd: PathBuf) -> Self {
        Self {
            global,
            format,
            cwd,
            diagnostics: Vec::new(),
            printed: BTreeSet::new(),
        }
    }

    /// Ends the command: after diagnostics printed as text, says once how to get their
    /// explanation (as rustc does); returns `code`.
    fn finish(&self, code: u8) -> u8 {
        if !self.json()
            && !self.global.quiet
            && let Some(hint) = explain_hint(&self.printed)
        {
            eprintln!("{hint}");
        }
        code
    }

    fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// A status line (summary, "up to date"): stdout in text mode unless `--quiet`.
    fn status(&self, line: &str) {
        if !self.json() && !self.global.quiet {
            println!("{line}");
        }
    }

    /// Ends the command with an error that has no spec location; returns `code`.
    fn fail(&self, message: &str, code: u8) -> u8 {
        if self.json() {
            self.document(json!({"status": "error", "message": message}), code);
        } else {
            eprintln!("{}", self.paint_error(&format!("error: {message}")));
        }
        code
    }

    fn paint_error(&self, text: &str) -> String {
        if style::enabled(self.global.color, style::Stream::Stderr) {
            style::diagnostics(text)
        } else {
            text.to_owned()
        }
    }

    /// Prints the command's one JSON document, with the diagnostics gathered so far.
    fn document(&self, mut body: Value, code: u8) {
        body["format_version"] = json!(report::FORMAT_VERSION);
        body["exit_code"] = json!(code);
        body["diagnostics"] = json!(self.diagnostics);
        println!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
    }

    fn repo_relative(&self, path: &Path) -> String {
        discover::repo_relative(path, &self.cwd)
    }

    /// Reports diagnostics in the chosen format.
    fn diagnostics(&mut self, input: &discover::SpecInput, sources: &Sources, list: &[Diagnostic]) {
        let spec_path = self.spec_path(input);
        let naming = report::Naming {
            spec_name: &input.name,
            spec_path: &spec_path,
        };
        if self.json() {
            self.diagnostics
                .extend(list.iter().map(|d| report::diagnostic(sources, &naming, d)));
            return;
        }
        if self.global.message_format == MessageFormat::Github {
            for d in list {
                println!("{}", report::github_diagnostic(sources, &naming, d));
            }
        }
        if !list.is_empty() {
            self.printed.extend(list.iter().map(|d| d.code));
            eprint!("{}", self.paint_error(&diagnostic::render(sources, list)));
        }
    }

    fn spec_path(&self, input: &discover::SpecInput) -> String {
        if input.dir.is_some() {
            self.repo_relative(Path::new(&input.name))
        } else {
            input.name.clone()
        }
    }

    /// Reads the spec (`-f` or discovery), then compiles it; on failure everything is
    /// reported and the exit code returned.
    fn compile(&mut self, arg: &SpecArg) -> Result<(discover::SpecInput, Compiled), u8> {
        let (input, mut prepared) = self.prepare(arg)?;
        let environments = prepared.each_environment(|_, manifests| manifests);
        let environments =
            self.finish_compile(&input, &prepared, environments.map_err(Stopped::Stop))?;
        Ok((input, prepared.into_compiled(environments)))
    }

    /// Reads the spec, then validates and plans it; an invalid spec is reported and its
    /// exit code returned. Warnings wait for `finish_compile`.
    fn prepare(&mut self, arg: &SpecArg) -> Result<(discover::SpecInput, Prepared), u8> {
        let input = discover::locate(arg.file.as_deref(), &self.cwd)
            .map_err(|message| self.fail(&message, exit::FAILURE))?;
        match pipeline::prepare(&input.name, &input.text) {
            Ok(prepared) => Ok((input, prepared)),
            Err(failure) => Err(self.failure(&input, failure)),
        }
    }

    /// Reports how rendering the environments of `prepared` ended: its warnings (denied
    /// by `--deny-warnings`), or the render or verification failure.
    fn finish_compile<R>(
        &mut self,
        input: &discover::SpecInput,
        prepared: &Prepared,
        result: Result<R, Stopped>,
    ) -> Result<R, u8> {
        let done = match result {
            Ok(done) => done,
            Err(Stopped::Stop(stop)) => {
                let failure = match stop {
                    pipeline::Stop::Render(e) => Failure::Render(e),
                    pipeline::Stop::Output(problems) => Failure::Output {
                        sources: prepared.sources.clone(),
                        warnings: prepared.warnings.clone(),
                        problems,
                    },
                };
                return Err(self.failure(input, failure));
            }
            Err(Stopped::Committed(out, e)) => {
                return Err(self.fail(
                    &format!("cannot read {}: {e}", out.display()),
                    exit::FAILURE,
                ));
            }
        };
        self.diagnostics(input, &prepared.sources, &prepared.warnings);
        if self.global.deny_warnings && !prepared.warnings.is_empty() {
            return Err(self.invalid(
                &format!(
                    "{} warnings denied by --deny-warnings; nothing was written",
                    prepared.warnings.len()
                ),
                true,
            ));
        }
        Ok(done)
    }

    /// Reports a compile failure; returns the exit code.
    fn failure(&mut self, input: &discover::SpecInput, failure: Failure) -> u8 {
        match failure {
            Failure::Invalid {
                sources,
                diagnostics,
            } => {
                self.diagnostics(input, &sources, &diagnostics);
                self.invalid("the spec is invalid; nothing was written", false)
            }
            Failure::Output {
                sources,
                warnings,
                problems,
            } => {
                self.diagnostics(input, &sources, &warnings);
                let out = input
                    .dir
                    .clone()
                    .unwrap_or_default()
                    .join(defaults::OUTPUT_DIR);
                for problem in &problems {
                    let file = self.repo_relative(&out.join(&problem.file));
                    if self.json() {
                        self.diagnostics.push(report::problem(problem, &file));
                    } else {
                        if self.global.message_format == MessageFormat::Github {
                            println!("{}", report::github_problem(problem, &file));
                        }
                        self.printed.insert(Code::InvalidOutput);
                        eprintln!(
                            "{}",
                            self.paint_error(&format!("error[{}]: {problem}", Code::InvalidOutput))
                        );
                    }
                }
                self.invalid(
                    &format!(
                        "{} problems in the generated objects; nothing was written",
                        problems.len()
                    ),
                    true,
                )
            }
            Failure::Render(e) => self.fail(&e.to_string(), exit::FAILURE),
        }
    }

    /// Ends the command because of diagnostics already reported; `summary` is printed
    /// unless the diagnostics' own summary line says it all.
    fn invalid(&self, summary: &str, print: bool) -> u8 {
        if self.json() {
            self.document(
                json!({"status": "invalid", "message": summary}),
                exit::INVALID,
            );
        } else if print {
            eprintln!("{summary}");
        }
        exit::INVALID
    }
}

/// Why rendering the environments stopped, as the CLI reports it.
enum Stopped {
    Stop(pipeline::Stop),
    /// The committed tree in this output directory could not be read.
    Committed(PathBuf, std::io::Error),
}

impl Stopped {
    fn from_render(out: &Path, stop: RenderStop) -> Stopped {
        match stop {
            RenderStop::Stop(stop) => Stopped::Stop(stop),
            RenderStop::Committed(e) => Stopped::Committed(out.to_path_buf(), e),
        }
    }
}

fn validate(session: &mut Session<'_>, args: &ValidateArgs) -> u8 {
    let (input, mut prepared) = match session.prepare(&args.spec) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    // One environment's objects in memory at a time: only their number is kept.
    let counted = prepared.verify_environments().map_err(Stopped::Stop);
    let counts = match session.finish_compile(&input, &prepared, counted) {
        Ok(counts) => counts,
        Err(code) => return code,
    };
    let files: usize = counts.iter().map(|(_, n)| n).sum();
    if session.json() {
        let environments: Vec<Value> = counts
            .iter()
            .map(|(name, n)| json!({"name": name, "files": n}))
            .collect();
        session.document(
            json!({"status": "valid", "spec": session.spec_path(&input), "environments": environments, "files": files}),
            exit::OK,
        );
        return exit::OK;
    }
    if session.global.verbose {
        for (name, n) in &counts {
            println!("{name}: {n} files");
        }
    }
    session.status(&format!(
        "{}: valid; {} environments, {files} files verified",
        input.name,
        counts.len()
    ));
    exit::OK
}

fn render(session: &mut Session<'_>, args: &RenderArgs) -> u8 {
    if args.spec.file.as_deref() == Some(Path::new("-")) && args.out.is_none() && !args.stdout {
        return session.fail(
            "a spec read from stdin (`-f -`) has no directory to write beside; pass -o DIR",
            exit::FAILURE,
        );
    }
    if args.stdout {
        let (input, compiled) = match session.compile(&args.spec) {
            Ok(ok) => ok,
            Err(code) => return code,
        };
        if let Some(refusal) = &compiled.stream_refusal {
            session.diagnostics(&input, &compiled.sources, std::slice::from_ref(refusal));
            return session.invalid("the spec's layout is sharded; nothing was printed", false);
        }
        return stream(session, &compiled, args.env.as_deref().unwrap_or_default());
    }
    let (input, mut prepared) = match session.prepare(&args.spec) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    let Some(out) = output_dir(args.out.as_ref(), &input, prepared.output_dir.as_deref()) else {
        return session.fail(
            &format!(
                "{} is not a regular file, so there is no directory beside it to default to; pass the output directory with -o",
                input.name
            ),
            exit::FAILURE,
        );
    };
    // Each environment is rendered, verified and planned against its committed files in
    // turn; only its file texts are kept for the write.
    let rendered = prepared
        .render_against(&out, pipeline::Want::Files)
        .map_err(|stop| Stopped::from_render(&out, stop));
    let Rendered {
        files,
        counts,
        changes,
    } = match session.finish_compile(&input, &prepared, rendered) {
        Ok(rendered) => rendered,
        Err(code) => return code,
    };
    if let Err(code) = gate(session, &input, &prepared, &changes) {
        return code;
    }
    let tree = match emit::Tree::new(files) {
        Ok(tree) => tree,
        Err(e) => return emit_error(session, &e),
    };
    let quiet = session.global.quiet;
    let on_wait = |dir: &Path| {
        if !quiet {
            eprintln!(
                "waiting for another dbgen to finish with {} (it holds the directory's lock)...",
                dir.display()
            );
        }
    };
    let options = emit::Options {
        adopt: args.adopt,
        on_wait: Some(&on_wait),
    };
    if args.check || args.diff {
        return match tree.check_with(&out, options) {
            Ok(drift) => report_drift(session, &out, &drift, args.diff),
            Err(e) => emit_error(session, &e),
        };
    }
    match tree.write_with(&out, options) {
        Ok(report) => {
            for leftover in &report.leftovers {
                eprintln!(
                    "warning: could not remove {leftover} left in {} by an earlier render; delete it by hand",
                    out.display()
                );
            }
            let rel = |paths: &[String]| -> Vec<String> {
                paths
                    .iter()
                    .map(|p| session.repo_relative(&out.join(p)))
                    .collect()
            };
            if session.json() {
                session.document(
                    json!({
                        "status": "written",
                        "out": session.repo_relative(&out),
                        "created": rel(&report.created),
                        "updated": rel(&report.updated),
                        "deleted": rel(&report.deleted),
                        "unchanged": report.unchanged,
                    }),
                    exit::OK,
                );
                return exit::OK;
            }
            if session.global.verbose {
                for (what, paths) in [
                    ("created", &report.created),
                    ("updated", &report.updated),
                    ("deleted", &report.deleted),
                ] {
                    for path in paths {
                        println!("{what}: {}", out.join(path).display());
                    }
                }
            }
            session.status(&format!(
                "rendered {} environments into {}: {} created, {} updated, {} deleted, {} unchanged",
                counts.len(),
                out.display(),
                report.created.len(),
                report.updated.len(),
                report.deleted.len(),
                report.unchanged
            ));
            exit::OK
        }
        Err(e) => emit_error(session, &e),
    }
}

/// `render --stdout --env ENV`.
fn stream(session: &Session<'_>, compiled: &Compiled, env: &str) -> u8 {
    // Without its charts the stream would ship Secrets and Jobs but no database.
    let charts = compiled.helm_values_files(env);
    if !charts.is_empty() {
        return session.fail(
            &format!(
                "environment `{env}` installs Helm charts ({}), which `--stdout` cannot \
                 inline; nothing was printed.\n  build it instead: `dbgen render` then \
                 `kubectl kustomize --enable-helm <output>/{env} | kubectl apply -f -`,\n  \
                 or set `[bitnami] delivery = \"flux\"` to deliver the charts as HelmReleases",
                charts.join(", ")
            ),
            exit::FAILURE,
        );
    }
    let Some(stream) = compiled.stream(env) else {
        let names = compiled.environment_names();
        let hint = suggest::did_you_mean(env, names.iter().copied())
            .map(|name| format!(" (did you mean `{name}`?)"))
            .unwrap_or_default();
        return session.fail(
            &format!(
                "unknown environment `{env}`{hint}; the spec defines: {}",
                names.join(", ")
            ),
            exit::FAILURE,
        );
    };
    print!("{stream}");
    exit::OK
}

/// `None` when the spec has no directory of its own (stdin, a pipe, `/dev/stdin`).
fn output_dir(
    out: Option<&PathBuf>,
    input: &discover::SpecInput,
    spec_dir: Option<&str>,
) -> Option<PathBuf> {
    if let Some(out) = out {
        return Some(out.clone());
    }
    let base = input.dir.as_ref()?;
    Some(base.join(spec_dir.unwrap_or(defaults::OUTPUT_DIR)))
}

fn report_drift(session: &Session<'_>, out: &Path, drift: &[Drift], diff: bool) -> u8 {
    let out_path = session.repo_relative(out);
    let code = if drift.is_empty() {
        exit::OK
    } else {
        exit::DRIFT
    };
    let diff_of = |d: &Drift| -> String { rebase_diff(&d.unified_diff(), &out_path) };
    if session.json() {
        let changes: Vec<Value> = drift
            .iter()
            .map(|d| {
                let path = session.repo_relative(&out.join(&d.path));
                report::drift(d, &path, diff.then(|| diff_of(d)).as_deref())
            })
            .collect();
        let status = if drift.is_empty() {
            "up-to-date"
        } else {
            "drift"
        };
        session.document(
            json!({"status": status, "out": out_path, "changes": changes}),
            code,
        );
        return code;
    }
    if drift.is_empty() {
        session.status(&format!("{} is up to date", out.display()));
        return code;
    }
    let colour = style::enabled(session.global.color, style::Stream::Stdout);
    for d in drift {
        if session.global.message_format == MessageFormat::Github {
            println!(
                "{}",
                report::github_drift(d, &session.repo_relative(&out.join(&d.path)))
            );
        }
        if diff {
            let text = diff_of(d);
            print!("{}", if colour { style::diff(&text) } else { text });
        } else {
            let what = match d.change {
                Change::Create => "would create",
                Change::Update => "would update",
                Change::Delete => "would delete",
            };
            println!("{what}: {}", out.join(&d.path).display());
        }
    }
    if !session.global.quiet {
        eprintln!(
            "{} files in {} are out of date; run `dbgen render`",
            drift.len(),
            out.display()
        );
    }
    code
}

/// Puts the output directory's repository-relative path into a diff's `a/`/`b/` headers, so
/// that `git apply` works from the repository root.
fn rebase_diff(diff: &str, out: &str) -> String {
    // An output directory outside the repository keeps its absolute path, minus the root.
    let out = out.trim_start_matches('/');
    if out.is_empty() {
        return diff.to_owned();
    }
    let mut text = String::with_capacity(diff.len() + 2 * out.len());
    for (i, line) in diff.split_inclusive('\n').enumerate() {
        let rebased = if i < 2 {
            line.strip_prefix("--- a/")
                .map(|rest| format!("--- a/{out}/{rest}"))
                .or_else(|| {
                    line.strip_prefix("+++ b/")
                        .map(|rest| format!("+++ b/{out}/{rest}"))
                })
        } else {
            None
        };
        text.push_str(rebased.as_deref().unwrap_or(line));
    }
    text
}

fn emit_error(session: &Session<'_>, error: &EmitError) -> u8 {
    session.fail(&error.to_string(), exit::FAILURE)
}

fn init(session: &Session<'_>, args: &InitArgs) -> u8 {
    let spec_path = args.dir.join(discover::SPEC_NAME);
    if spec_path.exists() {
        return session.fail(
            &format!(
                "{} already exists; dbgen init never overwrites a spec",
                spec_path.display()
            ),
            exit::FAILURE,
        );
    }
    let engine = match args.engine {
        InitEngine::Cnpg => starter::Engine::Cnpg,
        InitEngine::Bitnami => starter::Engine::Bitnami,
        InitEngine::Statefulset => starter::Engine::Statefulset,
    };
    let secrets = match args.secrets {
        InitSecrets::ExternalSecrets => starter::Secrets::ExternalSecrets,
        InitSecrets::Infisical => starter::Secrets::Infisical,
    };
    if let Some(reason) = starter::unsupported(engine, secrets) {
        return session.fail(reason, exit::FAILURE);
    }
    let schema = serde_json::to_string_pretty(&spec::json_schema()).unwrap_or_default() + "\n";
    let written = std::fs::create_dir_all(&args.dir)
        .and_then(|()| std::fs::write(&spec_path, starter::spec(engine, secrets)))
        .and_then(|()| std::fs::write(args.dir.join(starter::SCHEMA_FILE), schema));
    if let Err(e) = written {
        return session.fail(
            &format!("cannot write {}: {e}", spec_path.display()),
            exit::FAILURE,
        );
    }
    session.status(&format!(
        "wrote {} and {}",
        spec_path.display(),
        args.dir.join(starter::SCHEMA_FILE).display()
    ));
    session.status(&starter::next_steps(&spec_path.display().to_string()));
    exit::OK
}

/// Checks `--env` against the compiled environments; the error names them and suggests one.
fn known_env(session: &Session<'_>, names: &[&str], env: Option<&str>) -> Result<(), u8> {
    let Some(env) = env else { return Ok(()) };
    if names.contains(&env) {
        return Ok(());
    }
    let hint = suggest::did_you_mean(env, names.iter().copied())
        .map(|name| format!(" (did you mean `{name}`?)"))
        .unwrap_or_default();
    Err(session.fail(
        &format!(
            "unknown environment `{env}`{hint}; the spec defines: {}",
            names.join(", ")
        ),
        exit::FAILURE,
    ))
}

fn list(session: &mut Session<'_>, args: &ListArgs) -> u8 {
    let (_, compiled) = match session.compile(&args.spec) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    if let Err(code) = known_env(session, &compiled.environment_names(), args.env.as_deref()) {
        return code;
    }
    let mut environments = inventory::inventory(&compiled.environments);
    environments.retain(|e| args.env.as_deref().is_none_or(|env| e.name == env));
    if session.json() {
        session.document(
            json!({"status": "ok", "environments": environments}),
            exit::OK,
        );
    } else {
        print!("{}", inspect::list(&environments));
    }
    exit::OK
}

fn explain(session: &mut Session<'_>, spec: &SpecArg, app: &str, env: Option<&str>) -> u8 {
    let (_, compiled) = match session.compile(spec) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    if let Err(code) = known_env(session, &compiled.environment_names(), env) {
        return code;
    }
    let environments = inventory::inventory(&compiled.environments);
    let connections = inventory::connections_of(&environments, app, env);
    if connections.is_empty() {
        let apps: std::collections::BTreeSet<&str> = environments
            .iter()
            .flat_map(|e| e.apps.iter().map(String::as_str))
            .collect();
        let hint = suggest::did_you_mean(app, apps.iter().copied())
            .map(|name| format!(" (did you mean `{name}`?)"))
            .unwrap_or_default();
        let apps: Vec<&str> = apps.into_iter().collect();
        return session.fail(
            &format!(
                "no app `{app}`{hint} in {}; the spec's apps: {}",
                env.map_or_else(
                    || "any environment".to_owned(),
                    |e| format!("environment `{e}`")
                ),
                apps.join(", ")
            ),
            exit::FAILURE,
        );
    }
    if session.json() {
        session.document(
            json!({"status": "ok", "app": app, "connections": connections}),
            exit::OK,
        );
    } else {
        print!("{}", inspect::explain(app, &connections));
    }
    exit::OK
}

/// `dbgen plan`: exit 0 no change, 1 changes needing no acknowledgement, 2 I/O,
/// 3 invalid spec or output, 4 an unacknowledged `data-loss`/`rejected`/`login-kept` change
/// in a protected environment.
fn plan(session: &mut Session<'_>, args: &PlanArgs) -> u8 {
    let (input, mut prepared) = match session.prepare(&args.spec) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    for env in &args.envs {
        if let Err(code) = known_env(session, &prepared.environment_names(), Some(env)) {
            return code;
        }
    }
    let Some(out) = output_dir(args.out.as_ref(), &input, prepared.output_dir.as_deref()) else {
        return session.fail(
            &format!(
                "{} is not a regular file, so there is no committed tree beside it; pass the output directory with -o",
                input.name
            ),
            exit::FAILURE,
        );
    };
    // One environment's objects (rendered and committed) in memory at a time.
    let rendered = prepared
        .render_against(&out, pipeline::Want::Changes)
        .map_err(|stop| Stopped::from_render(&out, stop));
    let mut plan = match session.finish_compile(&input, &prepared, rendered) {
        Ok(rendered) => rendered.changes,
        Err(code) => return code,
    };
    if !args.envs.is_empty() {
        plan.environments.retain(|e| args.envs.contains(&e.name));
    }
    let warnings = plan.stale_warnings(&prepared.safety);
    if session.json() {
        // The plan's JSON document is the stable shape; its warnings (a stale
        // acknowledgement) go to stderr as text rather than into a document nobody prints.
        if !warnings.is_empty() {
            eprint!("{}", diagnostic::render(&prepared.sources, &warnings));
        }
    } else {
        session.diagnostics(&input, &prepared.sources, &warnings);
    }
    let code = plan.exit_code();
    if session.json() {
        // The plan's own document, as documented; diagnostics go to stderr.
        println!(
            "{}",
            serde_json::to_string_pretty(&plan.to_json()).unwrap_or_default()
        );
    } else {
        print!(
            "{}",
            plan.to_text(style::enabled(session.global.color, style::Stream::Stdout))
        );
    }
    code
}

/// `render` in a protected environment: refuses (exit 4, nothing written) while a
/// `data-loss`, `rejected` or `login-kept` change lacks its `[[acknowledge]]` entry.
fn gate(
    session: &mut Session<'_>,
    input: &discover::SpecInput,
    prepared: &Prepared,
    plan: &change::ChangePlan,
) -> Result<(), u8> {
    session.diagnostics(
        input,
        &prepared.sources,
        &plan.stale_warnings(&prepared.safety),
    );
    let blocking: Vec<_> = plan.blocking().collect();
    if blocking.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = blocking
        .iter()
        .map(|(env, c)| {
            format!(
                "error[{}]: {} {} `{}` in protected environment `{}`: {}",
                Code::UnacknowledgedChange,
                c.verdict.class.as_str(),
                c.action.as_str(),
                c.object.reference(),
                env.name,
                c.verdict.reason
            )
        })
        .collect();
    let summary = format!(
        "{} changes need acknowledgement; nothing was written. Run `dbgen plan` for the remedies and the `[[acknowledge]]` entries",
        blocking.len()
    );
    if session.json() {
        session.document(
            json!({"status": "refused", "message": summary, "changes": lines}),
            exit::DATA_LOSS,
        );
    } else {
        session.printed.insert(Code::UnacknowledgedChange);
        for line in &lines {
            eprintln!("{}", session.paint_error(line));
        }
        eprintln!("{summary}");
    }
    Err(exit::DATA_LOSS)
}

/// `dbgen --explain CODE` and `dbgen explain CODE`: prints the code's explanation.
fn explain_code(session: &Session<'_>, name: &str) -> u8 {
    match diagnostic::explain::explain(name) {
        Ok(text) => {
            print!("{text}");
            exit::OK
        }
        Err(message) => session.fail(&message, exit::FAILURE),
    }
}

/// rustc's closing hint: which printed codes have an explanation, and the command to read one.
fn explain_hint(printed: &BTreeSet<Code>) -> Option<String> {
    let first = printed.first()?;
    Some(if printed.len() == 1 {
        format!("For more information about `{first}`, try `dbgen --explain {first}`.")
    } else {
        let names: Vec<&str> = printed.iter().map(|c| c.name()).collect();
        format!(
            "Some problems have detailed explanations: {}.\nFor more information about one, try `dbgen --explain {first}`.",
            names.join(", ")
        )
    })
}
