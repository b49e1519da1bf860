//! The `dbgen` binary end to end: exit codes, default paths, ownership of the output
//! directory, `--check`/`--diff`/`--stdout`, and `validate`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPEC: &str = include_str!("../golden/vixens-shared/dbgen.toml");

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
    let foreign = sandbox.path("out/prod/kustomization.yaml");
    std::fs::create_dir_all(foreign.parent().unwrap()).unwrap();
    std::fs::write(&foreign, "# mine\n").unwrap();
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
    let kustomization = include_str!("../golden/vixens-shared/expected/prod/kustomization.yaml");
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
