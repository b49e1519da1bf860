//! The `dbgen` binary end to end: exit codes, default paths, ownership of the output
//! directory, `--check`/`--diff`/`--stdout`, and `validate`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPEC: &str = include_str!("../../golden/vixens-shared/dbgen.toml");

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new(spec: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dbgen.toml"), spec).unwrap();
        Self { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn dbgen(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_dbgen"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn render_with_no_flags_writes_out_beside_the_spec_and_check_is_clean() {
    let sandbox = Sandbox::new(SPEC);
    let render = sandbox.dbgen(&["render"]);
    assert_eq!(code(&render), 0, "{}", stderr(&render));
    assert!(sandbox.path("out/prod/kustomization.yaml").is_file());
    assert!(sandbox.path("out/.dbgen-manifest").is_file());
    let check = sandbox.dbgen(&["render", "--check"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
    assert!(stdout(&check).contains("up to date"));
}

#[test]
fn check_fails_after_the_spec_changes_and_lists_each_file() {
    let sandbox = Sandbox::new(SPEC);
    assert_eq!(code(&sandbox.dbgen(&["render"])), 0);
    std::fs::write(
        sandbox.path("dbgen.toml"),
        SPEC.replace("instances = 3", "instances = 5"),
    )
    .unwrap();
    let before = snapshot(&sandbox.path("out"));
    let check = sandbox.dbgen(&["render", "--check"]);
    assert_eq!(code(&check), 1);
    assert!(
        stdout(&check).contains("would update: out/prod/databases/cluster-postgresql-shared.yaml"),
        "{}",
        stdout(&check)
    );
    assert_eq!(
        stdout(&check).lines().count(),
        1,
        "only the prod cluster changes: {}",
        stdout(&check)
    );
    assert_eq!(
        before,
        snapshot(&sandbox.path("out")),
        "--check wrote something"
    );
    let diff = sandbox.dbgen(&["render", "--diff"]);
    assert_eq!(code(&diff), 1);
    assert!(
        stdout(&diff).contains("-  instances: 3\n+  instances: 5\n"),
        "{}",
        stdout(&diff)
    );
}

#[test]
fn check_fails_after_a_generated_file_is_edited_or_deleted() {
    let sandbox = Sandbox::new(SPEC);
    assert_eq!(code(&sandbox.dbgen(&["render"])), 0);
    let cluster = sandbox.path("out/dev/databases/cluster-postgresql-shared.yaml");
    let text = std::fs::read_to_string(&cluster).unwrap();
    std::fs::write(&cluster, text.replace("instances: 1", "instances: 2")).unwrap();
    let check = sandbox.dbgen(&["render", "--check"]);
    assert_eq!(code(&check), 1);
    assert!(
        stdout(&check).contains("would update: out/dev/databases/cluster-postgresql-shared.yaml")
    );
    std::fs::remove_file(&cluster).unwrap();
    let check = sandbox.dbgen(&["render", "--check"]);
    assert!(
        stdout(&check).contains("would create: out/dev/databases/cluster-postgresql-shared.yaml")
    );
    assert_eq!(code(&sandbox.dbgen(&["render"])), 0);
    assert_eq!(
        std::fs::read_to_string(&cluster).unwrap(),
        text,
        "render restores the file"
    );
}

#[test]
fn files_no_longer_produced_are_deleted_and_reported_as_stale() {
    let sandbox = Sandbox::new(SPEC);
    assert_eq!(code(&sandbox.dbgen(&["render"])), 0);
    let without_docspell = SPEC.replace(
        "[apps.docspell]\npostgres = \"postgresql-shared\"       # database \"docspell\", login role \"docspell\"\nnamespace = \"docspell\"               # where the app reads its connection Secret\n",
        "",
    );
    assert_ne!(without_docspell, SPEC);
    // Removed without being retired first, its login is kept: prod needs the acknowledgement.
    let without_docspell = format!(
        "{without_docspell}\n[[acknowledge]]\nenvironment = \"prod\"\nobject = \"DatabaseRole/databases/postgresql-shared-docspell\"\nclass = \"login-kept\"\nreason = \"role disabled by hand\"\n"
    );
    std::fs::write(sandbox.path("dbgen.toml"), without_docspell).unwrap();
    let check = sandbox.dbgen(&["render", "--check"]);
    assert_eq!(code(&check), 1);
    assert!(
        stdout(&check)
            .contains("would delete: out/prod/docspell/externalsecret-docspell-postgresql.yaml")
    );
    assert_eq!(code(&sandbox.dbgen(&["render"])), 0);
    assert!(
        !sandbox.path("out/prod/docspell").exists(),
        "stale file and its directory remain"
    );
    assert!(
        sandbox
            .path("out/prod/authentik/externalsecret-authentik-postgresql.yaml")
            .is_file()
    );
}

#[test]
fn foreign_files_are_never_overwritten_and_nothing_is_written() {
    let sandbox = Sandbox::new(SPEC);
    assert_eq!(code(&sandbox.dbgen(&["render"])), 0);
    // A symlink where dbgen's file was is not dbgen's, even though the manifest lists the path.
    let foreign = sandbox.path("out/prod/kustomization.yaml");
    std::fs::remove_file(&foreign).unwrap();
    std::os::unix::fs::symlink("../README.md", &foreign).unwrap();
    std::fs::write(sandbox.path("out/README.md"), "notes\n").unwrap();
    let before = snapshot(&sandbox.path("out"));
    let render = sandbox.dbgen(&["render"]);
    assert_eq!(code(&render), 2);
    assert!(
        stderr(&render).contains("prod/kustomization.yaml"),
        "{}",
        stderr(&render)
    );
    assert_eq!(before, snapshot(&sandbox.path("out")));
    // A foreign file that is not in the way survives a render.
    std::fs::remove_file(&foreign).unwrap();
    assert_eq!(code(&sandbox.dbgen(&["render"])), 0);
    assert_eq!(
        std::fs::read_to_string(sandbox.path("out/README.md")).unwrap(),
        "notes\n"
    );
}

#[test]
fn output_dir_from_flag_and_from_spec() {
    let sandbox = Sandbox::new(&format!("{SPEC}\n[output]\ndir = \"deploy\"\n"));
    assert_eq!(code(&sandbox.dbgen(&["render"])), 0);
    assert!(sandbox.path("deploy/dev/kustomization.yaml").is_file());
    assert_eq!(code(&sandbox.dbgen(&["render", "-o", "elsewhere"])), 0);
    assert!(sandbox.path("elsewhere/dev/kustomization.yaml").is_file());
    std::fs::create_dir(sandbox.path("sub")).unwrap();
    std::fs::rename(
        sandbox.path("dbgen.toml"),
        sandbox.path("sub/platform.toml"),
    )
    .unwrap();
    assert_eq!(
        code(&sandbox.dbgen(&["render", "-f", "sub/platform.toml"])),
        0
    );
    assert!(
        sandbox.path("sub/deploy/prod/kustomization.yaml").is_file(),
        "relative to the spec file"
    );
}

#[test]
fn stdout_prints_one_environment_as_a_stream() {
    let sandbox = Sandbox::new(SPEC);
    let output = sandbox.dbgen(&["render", "--stdout", "--env", "prod"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("# Code generated by dbgen. DO NOT EDIT.\n---\n"));
    // Every object of the committed prod tree, each after a separator.
    let kustomization = include_str!("../../golden/vixens-shared/expected/prod/kustomization.yaml");
    let objects = kustomization
        .lines()
        .filter(|l| l.starts_with("- "))
        .count();
    assert!(objects >= 7, "{kustomization}");
    assert_eq!(
        text.matches("\n---\n").count(),
        objects,
        "{objects} objects, each after a separator:\n{text}"
    );
    assert!(!text.contains("kind: Kustomization"));
    assert!(!sandbox.path("out").exists());
    let unknown = sandbox.dbgen(&["render", "--stdout", "--env", "qa"]);
    assert_eq!(code(&unknown), 2);
    assert!(stderr(&unknown).contains("dev, prod, staging"));
}

/// A `bitnami` environment's database is a Helm chart only a kustomize build inflates: a
/// stream without it would deploy Secrets and Jobs but no database, so nothing is printed.
#[test]
fn stdout_refuses_an_environment_with_helm_charts() {
    let sandbox = Sandbox::new(include_str!(
        "../../golden/seed-000-bitnami-shared/dbgen.toml"
    ));
    let output = sandbox.dbgen(&["render", "--stdout", "--env", "prod"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(message.contains("prod/databases/"), "{message}");
    assert!(
        message.contains("kubectl kustomize --enable-helm"),
        "{message}"
    );
    assert!(message.contains("delivery = \"flux\""), "{message}");
    assert!(!sandbox.path("out").exists());
    // With Flux delivery the charts are HelmRelease objects: the stream holds them.
    let flux = Sandbox::new(include_str!("../../golden/bitnami-flux/dbgen.toml"));
    let output = flux.dbgen(&["render", "--stdout", "--env", "prod"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stdout(&output).contains("kind: HelmRelease"));
}

#[test]
fn validate_and_exit_codes() {
    let sandbox = Sandbox::new(SPEC);
    let ok = sandbox.dbgen(&["validate"]);
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
    assert!(!sandbox.path("out").exists(), "validate writes nothing");
    std::fs::write(
        sandbox.path("dbgen.toml"),
        SPEC.replace("storage = \"50Gi\"", "storage = \"50Gb\""),
    )
    .unwrap();
    let bad = sandbox.dbgen(&["validate"]);
    assert_eq!(code(&bad), 3, "an invalid spec is not drift");
    assert!(
        stderr(&bad).contains("dbgen.toml:25:11"),
        "{}",
        stderr(&bad)
    );
    assert_eq!(code(&sandbox.dbgen(&["validate", "-f", "missing.toml"])), 2);
    assert_eq!(
        code(&sandbox.dbgen(&["render", "--check", "--stdout"])),
        2,
        "usage error"
    );
    assert_eq!(code(&sandbox.dbgen(&["frobnicate"])), 2);
}

#[test]
fn schema_is_json_and_describes_the_spec() {
    let output = Sandbox::new(SPEC).dbgen(&["schema"]);
    assert_eq!(code(&output), 0);
    let schema: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(schema["properties"]["platform"]["$ref"], "#/$defs/Platform");
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbgen"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

#[test]
fn invalid_spec_and_drift_have_distinct_codes_and_json_documents() {
    let sandbox = Sandbox::new(SPEC);
    let valid = sandbox.dbgen(&["validate", "--format", "json"]);
    assert_eq!(code(&valid), 0, "{}", stderr(&valid));
    let doc = json(&valid);
    assert_eq!(doc["status"], "valid");
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["environments"][1]["name"], "prod");

    std::fs::write(
        sandbox.path("dbgen.toml"),
        SPEC.replace("storage = \"50Gi\"", "storage = \"50Gb\""),
    )
    .unwrap();
    for args in [
        &["validate", "--format", "json"][..],
        &["render", "--check", "--format", "json"],
    ] {
        let bad = sandbox.dbgen(args);
        assert_eq!(code(&bad), 3, "{args:?}");
        let doc = json(&bad);
        assert_eq!(doc["status"], "invalid");
        assert_eq!(doc["exit_code"], 3);
        let d = &doc["diagnostics"][0];
        assert_eq!(
            (&d["severity"], &d["file"], &d["line"], &d["column"]),
            (
                &"error".into(),
                &"dbgen.toml".into(),
                &25.into(),
                &11.into()
            ),
            "{doc}"
        );
    }
    let github = sandbox.dbgen(&["validate", "--message-format", "github"]);
    assert_eq!(code(&github), 3);
    assert!(
        stdout(&github).starts_with("::error file=dbgen.toml,line=25,col=11,"),
        "{}",
        stdout(&github)
    );
    assert!(
        stderr(&github).contains("dbgen.toml:25:11"),
        "human text too"
    );

    std::fs::write(sandbox.path("dbgen.toml"), SPEC).unwrap();
    assert_eq!(code(&sandbox.dbgen(&["render", "-q"])), 0);
    let clean = sandbox.dbgen(&["render", "--check", "--format", "json"]);
    assert_eq!(code(&clean), 0);
    assert_eq!(json(&clean)["status"], "up-to-date");
    std::fs::write(
        sandbox.path("dbgen.toml"),
        SPEC.replace("instances = 3", "instances = 5"),
    )
    .unwrap();
    let drift = sandbox.dbgen(&["render", "--diff", "--format", "json"]);
    assert_eq!(code(&drift), 1, "drift is 1");
    let doc = json(&drift);
    assert_eq!(doc["status"], "drift");
    let change = &doc["changes"][0];
    assert_eq!(
        change["path"],
        "out/prod/databases/cluster-postgresql-shared.yaml"
    );
    assert_eq!(change["change"], "update");
    assert!(
        change["diff"]
            .as_str()
            .unwrap()
            .contains("-  instances: 3\n+  instances: 5\n"),
        "{doc}"
    );
    let github = sandbox.dbgen(&["render", "--check", "--message-format", "github"]);
    assert_eq!(code(&github), 1);
    assert!(stdout(&github).contains(
        "::error file=out/prod/databases/cluster-postgresql-shared.yaml,title=dbgen render --check::"
    ));
}

#[test]
fn diff_paths_are_repository_relative_and_coloured_on_request() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("platform")).unwrap();
    std::fs::write(dir.path().join("platform/dbgen.toml"), SPEC).unwrap();
    let render = run_in(dir.path(), &["render", "-f", "platform"], None);
    assert_eq!(code(&render), 0, "{}", stderr(&render));
    std::fs::write(
        dir.path().join("platform/dbgen.toml"),
        SPEC.replace("instances = 3", "instances = 5"),
    )
    .unwrap();
    // From a subdirectory: the spec is found in the parent, and the diff still names files
    // from the repository root, as `git apply` wants.
    let sub = dir.path().join("platform/out");
    let diff = run_in(&sub, &["render", "--diff", "--color", "never"], None);
    assert_eq!(code(&diff), 1, "{}", stderr(&diff));
    assert!(
        stdout(&diff).starts_with(
            "--- a/platform/out/prod/databases/cluster-postgresql-shared.yaml\n+++ b/platform/out/prod/databases/cluster-postgresql-shared.yaml\n"
        ),
        "{}",
        stdout(&diff)
    );
    assert!(!stdout(&diff).contains('\x1b'));
    let coloured = run_in(&sub, &["render", "--diff", "--color", "always"], None);
    assert!(stdout(&coloured).contains("\x1b[31m-  instances: 3\x1b[0m"));
    // Not a terminal: `auto` does not colour.
    let auto = run_in(&sub, &["render", "--diff"], None);
    assert!(!stdout(&auto).contains('\x1b'));
}

#[test]
fn spec_discovery_directory_stdin_and_a_helpful_miss() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run_in(dir.path(), &["render"], None);
    assert_eq!(code(&missing), 2);
    let text = stderr(&missing);
    assert!(text.contains("looked for:"), "{text}");
    assert!(text.contains(&dir.path().join("dbgen.toml").display().to_string()));
    assert!(text.contains("dbgen init"), "{text}");

    let from_stdin = run_in(dir.path(), &["validate", "-f", "-"], Some(SPEC));
    assert_eq!(code(&from_stdin), 0, "{}", stderr(&from_stdin));
    assert!(stdout(&from_stdin).contains("<stdin>: valid"));
    let no_out = run_in(dir.path(), &["render", "-f", "-"], Some(SPEC));
    assert_eq!(code(&no_out), 2);
    assert!(stderr(&no_out).contains("-o DIR"));
    let with_out = run_in(
        dir.path(),
        &["render", "-f", "-", "-o", "deploy"],
        Some(SPEC),
    );
    assert_eq!(code(&with_out), 0, "{}", stderr(&with_out));
    assert!(dir.path().join("deploy/prod/kustomization.yaml").is_file());

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let no_spec_in_dir = run_in(dir.path(), &["validate", "-f", "empty"], None);
    assert_eq!(code(&no_spec_in_dir), 2);
    assert!(stderr(&no_spec_in_dir).contains("no dbgen.toml in empty"));
}

#[test]
fn init_writes_a_starter_that_renders_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let init = run_in(dir.path(), &["init", "--engine", "statefulset"], None);
    assert_eq!(code(&init), 0, "{}", stderr(&init));
    assert!(stdout(&init).contains("next steps"));
    let spec = std::fs::read_to_string(dir.path().join("dbgen.toml")).unwrap();
    assert!(spec.starts_with("#:schema ./dbgen.schema.json\n"));
    assert!(dir.path().join("dbgen.schema.json").is_file());
    let render = run_in(dir.path(), &["render", "--deny-warnings"], None);
    assert_eq!(code(&render), 0, "{}", stderr(&render));
    assert_eq!(code(&run_in(dir.path(), &["render", "--check"], None)), 0);
    let again = run_in(dir.path(), &["init"], None);
    assert_eq!(code(&again), 2);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dbgen.toml")).unwrap(),
        spec
    );
    let refused = run_in(
        dir.path(),
        &["init", "x", "--engine", "bitnami", "--secrets", "infisical"],
        None,
    );
    assert_eq!(code(&refused), 2);
    assert!(!dir.path().join("x/dbgen.toml").exists());
}

#[test]
fn deny_warnings_and_unknown_environments() {
    // The Bitnami seed warns about its deprecated images unless `[bitnami] images` is set.
    let spec = include_str!("../../golden/seed-000-bitnami-shared/dbgen.toml")
        .replace("[bitnami]\nimages = \"bitnamilegacy\"\n", "");
    let sandbox = Sandbox::new(&spec);
    let warned = sandbox.dbgen(&["validate"]);
    assert_eq!(code(&warned), 0, "{}", stderr(&warned));
    assert!(stderr(&warned).contains("warning[bitnami-images]"));
    let denied = sandbox.dbgen(&["render", "--deny-warnings"]);
    assert_eq!(code(&denied), 3);
    assert!(!sandbox.path("out").exists(), "nothing written");
    let allowed = spec.replace(
        "namespace = \"databases\"\n",
        "namespace = \"databases\"\nallow_warnings = [\"bitnami-images\"]\n",
    );
    assert_ne!(allowed, spec);
    std::fs::write(sandbox.path("dbgen.toml"), &allowed).unwrap();
    let quiet = sandbox.dbgen(&["validate", "--deny-warnings"]);
    assert_eq!(code(&quiet), 0, "{}", stderr(&quiet));
    assert!(!stderr(&quiet).contains("warning"), "{}", stderr(&quiet));
    let typo = sandbox.dbgen(&["list", "--env", "prd"]);
    assert_eq!(code(&typo), 2);
    assert!(
        stderr(&typo).contains("unknown environment `prd` (did you mean `prod`?)"),
        "{}",
        stderr(&typo)
    );
}

#[test]
fn explain_a_code_and_the_closing_hint() {
    let sandbox = Sandbox::new(SPEC);
    for args in [
        &["--explain", "unknown-key"][..],
        &["explain", "unknown-key"],
    ] {
        let explained = sandbox.dbgen(args);
        assert_eq!(code(&explained), 0, "{}", stderr(&explained));
        assert!(
            stdout(&explained).starts_with("A key is not part of the spec's schema. [unknown-key]"),
            "{}",
            stdout(&explained)
        );
        assert!(stdout(&explained).contains("```toml"));
    }
    let typo = sandbox.dbgen(&["--explain", "unknown-kye"]);
    assert_eq!(code(&typo), 2);
    assert!(
        stderr(&typo).contains("did you mean `unknown-key`?"),
        "{}",
        stderr(&typo)
    );
    assert_eq!(
        code(&sandbox.dbgen(&["--explain", "unknown-key", "validate"])),
        2
    );
    // `explain app` is unchanged beside `explain CODE`.
    let app = sandbox.dbgen(&["explain", "app", "docspell"]);
    assert_eq!(code(&app), 0, "{}", stderr(&app));

    // Two problems with two codes: each printed, then one line about `--explain` at the end.
    let spec = SPEC.replacen(
        "[postgres.",
        "[postgres.bad]\nstorage_clas = 1\n\n[postgres.",
        1,
    );
    std::fs::write(sandbox.path("dbgen.toml"), &spec).unwrap();
    let invalid = sandbox.dbgen(&["validate"]);
    assert_eq!(code(&invalid), 3);
    let text = stderr(&invalid);
    assert!(
        text.contains("error[missing-key]") && text.contains("error[unknown-key]"),
        "{text}"
    );
    assert_eq!(text.matches("dbgen --explain").count(), 1, "{text}");
    assert!(
        text.ends_with("Some problems have detailed explanations: missing-key, unknown-key.\nFor more information about one, try `dbgen --explain missing-key`.\n"),
        "{text}"
    );
    let quiet = sandbox.dbgen(&["validate", "-q"]);
    assert!(!stderr(&quiet).contains("--explain"), "{}", stderr(&quiet));
    let json = sandbox.dbgen(&["validate", "--format", "json"]);
    assert!(!stdout(&json).contains("--explain") && stderr(&json).is_empty());
}

#[test]
fn completions_man_page_and_help() {
    let sandbox = Sandbox::new(SPEC);
    let bash = sandbox.dbgen(&["completions", "bash"]);
    assert_eq!(code(&bash), 0);
    assert!(stdout(&bash).contains("_dbgen()"));
    let man = sandbox.dbgen(&["man"]);
    assert_eq!(code(&man), 0);
    assert!(stdout(&man).starts_with(".ie"), "{}", &stdout(&man)[..40]);
    let help = sandbox.dbgen(&["--help"]);
    assert!(stdout(&help).contains("PostgreSQL and Redis"));
    assert!(stdout(&help).contains("3  invalid spec"));
}

/// `dbgen list` and `dbgen explain app` for the seed cases, compared with
/// `golden/inventory/` (`DBGEN_BLESS=1` rewrites them).
#[test]
fn list_and_explain_match_their_goldens() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("DBGEN_BLESS").is_some();
    let mut failures = Vec::new();
    for (case, app) in [
        ("seed-000-bitnami-shared", "authentik"),
        ("seed-001-single-statefulset", "saas-platform"),
        ("seed-002-per-service-statefulsets", "order"),
        ("seed-003-cnpg-shared-infisical", "docspell"),
        ("seed-004-cnpg-dedicated", "focalboard"),
    ] {
        let spec = root.join("golden").join(case);
        let mut runs = vec![(format!("{case}.list.txt"), vec!["list"])];
        if !app.is_empty() {
            runs.push((
                format!("{case}.explain-{app}.txt"),
                vec!["explain", "app", app],
            ));
        }
        for (file, mut args) in runs {
            args.extend(["-f", spec.to_str().unwrap()]);
            let output = run_in(root, &args, None);
            assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
            let golden = root.join("golden/inventory").join(&file);
            if bless {
                std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
                std::fs::write(&golden, stdout(&output)).unwrap();
            } else if std::fs::read_to_string(&golden).ok() != Some(stdout(&output)) {
                failures.push(format!("{file}:\n{}", stdout(&output)));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The pre-commit framework installed by `scripts/install-tools.sh pre-commit`, or on PATH;
/// `None` (the test is skipped) only outside CI.
fn pre_commit() -> Option<PathBuf> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/pre-commit");
    let found = if local.is_file() {
        Some(local)
    } else {
        Command::new("pre-commit")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
            .then(|| PathBuf::from("pre-commit"))
    };
    assert!(
        found.is_some() || std::env::var_os("CI").is_none(),
        "pre-commit is missing: run scripts/install-tools.sh pre-commit"
    );
    found
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=dbgen", "-c", "user.email=dbgen@localhost"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", stderr(&output));
}

/// Drives the real pre-commit framework with this repository's `.pre-commit-hooks.yaml`,
/// the spec in a subdirectory and the hook's documented `args: [-f, platform/dbgen.toml]`.
#[test]
fn pre_commit_hook_catches_spec_edits_and_hand_edits_with_the_spec_in_a_subdirectory() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    let bin = Path::new(env!("CARGO_BIN_EXE_dbgen")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let root = tempfile::tempdir().unwrap();
    // The hooks repository: this repository's hook definitions, committed.
    let hooks = root.path().join("hooks");
    std::fs::create_dir(&hooks).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-qm", "hooks"]);
    let rev = String::from_utf8(
        Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(&hooks)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    // The user's repository.
    let repo = root.path().join("repo");
    std::fs::create_dir_all(repo.join("platform")).unwrap();
    std::fs::write(repo.join("platform/dbgen.toml"), SPEC).unwrap();
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: dbgen-check-system\n        args: [-f, platform/dbgen.toml]\n",
            hooks.display(),
            rev.trim()
        ),
    )
    .unwrap();
    git(&repo, &["init", "-q"]);
    let run = |what: &str, all: bool| -> bool {
        git(&repo, &["add", "-A"]);
        let output = Command::new(&pre_commit)
            .arg("run")
            .args(all.then_some("--all-files"))
            .current_dir(&repo)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", root.path().join("cache"))
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        let text = format!("{what}:\n{}{}", stdout(&output), stderr(&output));
        // Skipped would pass without checking: every staged change here must trigger it.
        assert!(!text.contains("no files to check"), "{text}");
        assert!(!text.contains("cannot read"), "{text}");
        output.status.success()
    };
    let dbgen = |args: &[&str]| {
        let output = run_in(&repo, args, None);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
    };
    dbgen(&["render", "-f", "platform", "-q"]);
    assert!(run("first render", false), "a fresh render passes");
    git(&repo, &["commit", "-qm", "platform", "--no-verify"]);

    std::fs::write(
        repo.join("platform/dbgen.toml"),
        SPEC.replace("instances = 3", "instances = 5"),
    )
    .unwrap();
    assert!(
        !run("spec edited", false),
        "a spec edit without a render fails"
    );
    dbgen(&["render", "-f", "platform/dbgen.toml", "-q"]);
    assert!(
        run("spec edited and rendered", false),
        "passes after dbgen render"
    );
    git(&repo, &["commit", "-qm", "five", "--no-verify"]);

    let cluster = repo.join("platform/out/dev/databases/cluster-postgresql-shared.yaml");
    let text = std::fs::read_to_string(&cluster).unwrap();
    std::fs::write(&cluster, text.replace("instances: 1", "instances: 2")).unwrap();
    assert!(
        !run("output edited by hand", false),
        "a hand edit of the output fails"
    );
    dbgen(&["render", "-f", "platform", "-q"]);
    assert_eq!(
        std::fs::read_to_string(&cluster).unwrap(),
        text,
        "dbgen render restores the file, so nothing is left to commit"
    );
    assert!(run("output restored", true), "passes after dbgen render");
}

/// The README's quick start, run exactly as written in an empty directory with this dbgen
/// on PATH.
#[test]
fn readme_quick_start_runs_as_written() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split_once("\n## Quick start\n")
        .expect("README has a Quick start section")
        .1;
    let script = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("the Quick start has a sh block")
        .0;
    assert!(script.contains("dbgen init"), "{script}");
    let dir = tempfile::tempdir().unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_dbgen")).parent().unwrap();
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir.path())
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script}\n{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        dir.path()
            .join("platform/out/prod/kustomization.yaml")
            .is_file()
    );
    assert!(
        stdout(&output).contains("my-app-postgresql"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn list_and_explain_as_json() {
    let sandbox = Sandbox::new(SPEC);
    let list = sandbox.dbgen(&["list", "--env", "prod", "--format", "json"]);
    assert_eq!(code(&list), 0, "{}", stderr(&list));
    let doc = json(&list);
    let envs = doc["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 1);
    let prod = &envs[0];
    assert_eq!(prod["name"], "prod");
    let cluster = &prod["workloads"][0];
    assert_eq!(cluster["kind"], "CNPG Cluster");
    assert_eq!(cluster["pods"], 3);
    // 3 instances × 50Gi (the spec's storage for prod).
    assert_eq!(prod["totals"]["storage_bytes"], (3 * 50u64) << 30);
    let explain = sandbox.dbgen(&[
        "explain", "app", "docspell", "--env", "prod", "--format", "json",
    ]);
    assert_eq!(code(&explain), 0, "{}", stderr(&explain));
    let doc = json(&explain);
    let connection = &doc["connections"][0];
    assert_eq!(connection["secret"], "docspell-postgresql");
    assert_eq!(connection["namespace"], "docspell");
    assert_eq!(connection["host"], "postgresql-shared-rw.databases");
    assert_eq!(connection["port"], "5432");
    assert_eq!(connection["remote"][0]["key"], "databases/prod/docspell");
    assert_eq!(connection["remote"][0]["property"], "password");
    let unknown = sandbox.dbgen(&["explain", "app", "docspel"]);
    assert_eq!(code(&unknown), 2);
    assert!(stderr(&unknown).contains("did you mean `docspell`?"));
}
