//! Change plans: for every `golden/changes/<case>/`, the plan from the tree rendered from
//! `before.toml` (what is committed) to `after.toml` must equal `expected.txt` (text, with
//! the exit code) and `expected.json`. `DBGEN_BLESS=1 cargo test --test changes` rewrites
//! them. And `render` must refuse, writing nothing, every case with an unacknowledged
//! `data-loss`/`rejected`/`login-kept` change in a protected environment, then pass once
//! the spec acknowledges each of them. What `login-kept` claims is checked on a real
//! PostgreSQL server with the provisioning scripts the change cases render.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use dbgen::change::{self, ChangePlan};
use dbgen::pipeline;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/changes");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("before.toml").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "expected at least 20 change cases");
    cases
}

fn compile(case: &Path, file: &str) -> pipeline::Compiled {
    let text = std::fs::read_to_string(case.join(file)).unwrap();
    pipeline::compile(file, &text).unwrap_or_else(|e| panic!("{}/{file}: {e:?}", case.display()))
}

fn plan_of(case: &Path) -> ChangePlan {
    let before = compile(case, "before.toml").tree().unwrap();
    let after = compile(case, "after.toml");
    change::plan(before.files(), &after.environments, &after.safety)
}

#[test]
fn change_plans_match() {
    let bless = std::env::var_os("DBGEN_BLESS").is_some();
    let mut failures = Vec::new();
    for case in cases() {
        let plan = plan_of(&case);
        let text = format!("{}exit code: {}\n", plan.to_text(false), plan.exit_code());
        let json = format!(
            "{}\n",
            serde_json::to_string_pretty(&plan.to_json()).unwrap()
        );
        for (file, actual) in [("expected.txt", text), ("expected.json", json)] {
            let path = case.join(file);
            if bless {
                std::fs::write(&path, &actual).unwrap();
                continue;
            }
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            if expected != actual {
                failures.push(format!(
                    "{}:\n{}",
                    path.display(),
                    similar::TextDiff::from_lines(&expected, &actual).unified_diff()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "change plans differ (DBGEN_BLESS=1 to accept):\n{}",
        failures.join("\n")
    );
}

/// `dbgen plan` and `render` plan one environment at a time against the tree on disk,
/// leaving out objects whose file is unchanged (`Prepared::render_against`): every case
/// must plan exactly what the whole-tree plan says.
#[test]
fn per_environment_plans_equal_the_whole_tree_plan() {
    for case in cases() {
        let whole = plan_of(&case);
        let dir = tempfile::tempdir().unwrap();
        compile(&case, "before.toml")
            .tree()
            .unwrap()
            .write(dir.path())
            .unwrap();
        let text = std::fs::read_to_string(case.join("after.toml")).unwrap();
        let mut prepared = pipeline::prepare("after.toml", &text).unwrap();
        let per_env = prepared
            .render_against(dir.path(), pipeline::Want::Changes)
            .unwrap_or_else(|e| panic!("{}: {e:?}", case.display()))
            .changes;
        assert_eq!(
            per_env.to_text(false),
            whole.to_text(false),
            "{}",
            case.display()
        );
        assert_eq!(per_env.exit_code(), whole.exit_code(), "{}", case.display());
    }
}

#[test]
fn an_unchanged_spec_plans_nothing() {
    let plan = plan_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/changes/unchanged"));
    assert!(plan.is_empty());
    assert_eq!(plan.exit_code(), 0);
}

fn dbgen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dbgen"))
        .args(args)
        .output()
        .unwrap()
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn render_refuses_unacknowledged_dangerous_changes_and_passes_once_acknowledged() {
    let mut gated = 0;
    for case in cases() {
        let plan = plan_of(&case);
        let blocking: Vec<(String, String, &'static str)> = plan
            .blocking()
            .map(|(env, c)| {
                (
                    env.name.clone(),
                    c.object.reference(),
                    c.verdict.class.as_str(),
                )
            })
            .collect();
        if blocking.is_empty() {
            continue;
        }
        gated += 1;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        compile(&case, "before.toml")
            .tree()
            .unwrap()
            .write(&out)
            .unwrap();
        let before = snapshot(&out);
        let after = dir.path().join("after.toml");
        std::fs::copy(case.join("after.toml"), &after).unwrap();
        let (spec, out_arg) = (after.to_str().unwrap(), out.to_str().unwrap());
        for extra in [&["--check"][..], &[][..]] {
            let mut args = vec!["render", "-f", spec, "-o", out_arg];
            args.extend_from_slice(extra);
            let output = dbgen(&args);
            assert_eq!(
                output.status.code(),
                Some(4),
                "{}: render {extra:?} must refuse: {}",
                case.display(),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(String::from_utf8_lossy(&output.stderr).contains("nothing was written"));
            assert_eq!(
                snapshot(&out),
                before,
                "{}: render wrote files",
                case.display()
            );
        }
        let mut text = std::fs::read_to_string(&after).unwrap();
        for (env, object, class) in &blocking {
            let _ = write!(
                text,
                "\n[[acknowledge]]\nenvironment = \"{env}\"\nobject = \"{object}\"\nclass = \"{class}\"\nreason = \"reviewed in this change\"\n"
            );
        }
        std::fs::write(&after, text).unwrap();
        let output = dbgen(&["render", "-f", spec, "-o", out_arg]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: acknowledged render must pass: {}",
            case.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let output = dbgen(&["render", "--check", "-f", spec, "-o", out_arg]);
        assert_eq!(output.status.code(), Some(0), "{}", case.display());
        // Rendered, the acknowledgements now cover nothing: reported, not fatal.
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("stale-acknowledgement"),
            "{}",
            case.display()
        );
    }
    assert!(
        gated >= 8,
        "only {gated} cases exercise the protected-environment gate"
    );
}

/// Writes the tree of `case`'s `before.toml` into a fresh `out` directory and renders
/// `spec` over it: the exit code, stderr, and whether the tree is untouched.
fn render_over(case: &str, spec: &str, args: &[&str]) -> (Option<i32>, String, bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/changes");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    compile(&root.join(case), "before.toml")
        .tree()
        .unwrap()
        .write(&out)
        .unwrap();
    let before = snapshot(&out);
    let spec = root.join(spec);
    let mut all = vec![
        "render",
        "-f",
        spec.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let output = dbgen(&all);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr, snapshot(&out) == before)
}

#[test]
fn a_login_left_behind_is_refused_in_protected_environments_until_acknowledged() {
    for (case, object) in [
        (
            "remove-app-shared-cluster",
            "DatabaseRole/db-prod/main-catalog",
        ),
        ("remove-app-statefulset", "ConfigMap/db-prod/main-provision"),
    ] {
        for args in [&["--check"][..], &[][..]] {
            let (code, stderr, untouched) = render_over(case, &format!("{case}/after.toml"), args);
            assert_eq!(code, Some(4), "{case} {args:?}: {stderr}");
            assert!(
                stderr.contains(&format!("login-kept remove `{object}`"))
                    || stderr.contains(&format!("login-kept change `{object}`")),
                "{case}: {stderr}"
            );
            assert!(stderr.contains("nothing was written"), "{case}: {stderr}");
            assert!(untouched, "{case} {args:?}: render wrote files");
        }
        // The same edit with its `[[acknowledge]] class = "login-kept"` entry renders.
        let acknowledged = format!("{case}-acknowledged/after.toml");
        let (code, stderr, untouched) = render_over(case, &acknowledged, &[]);
        assert_eq!(code, Some(0), "{case}: {stderr}");
        assert!(!untouched, "{case}: the acknowledged render wrote nothing");
    }
    // Retired first, then removed: the role has no LOGIN any more, nothing to acknowledge.
    for case in ["remove-retired-app-cnpg", "remove-retired-app-statefulset"] {
        let (code, stderr, untouched) = render_over(case, &format!("{case}/after.toml"), &[]);
        assert_eq!(code, Some(0), "{case}: {stderr}");
        assert!(!untouched, "{case}: render wrote nothing");
    }
    // Not protected: `plan` reports it (golden), `render` is not stopped.
    let case = "unprotected-dev-removal";
    let (code, stderr, _) = render_over(case, &format!("{case}/after.toml"), &[]);
    assert_eq!(code, Some(0), "{case}: {stderr}");
    let plan = plan_of(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("golden/changes")
            .join(case),
    );
    assert!(
        plan.environments
            .iter()
            .flat_map(|e| &e.changes)
            .any(|c| c.verdict.class == change::Class::LoginKept)
    );
    assert_eq!(plan.exit_code(), 1);
}

/// The provisioning script `case`'s `file` renders for cluster `main` in prod, reading its
/// password files under `secrets` instead of the Job's mount.
fn provisioning_script(case: &str, file: &str, secrets: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/changes");
    let compiled = compile(&root.join(case), file);
    let script = compiled
        .environments
        .iter()
        .flat_map(|(_, manifests)| manifests)
        .find(|m| m.path == "prod/db-prod/configmap-main-provision.yaml")
        .and_then(|m| m.document["data"]["provision.sql"].as_str())
        .unwrap_or_else(|| panic!("{case}/{file}: no provisioning script"))
        .to_owned();
    script.replace("'/secrets/", &format!("'{}/", secrets.display()))
}

/// What `login-kept` claims, on a real server, with the scripts the change cases render:
/// an app removed without retiring keeps a working login; retired first, it has none.
#[test]
fn on_a_real_server_a_removed_app_keeps_its_login_unless_retired_first() {
    let Some(pg) = crate::support::Postgres::start("") else {
        return;
    };
    let secrets = pg.dir.path().join("secrets");
    for (role, password) in [("orders", "orders-pw"), ("catalog", "catalog-pw")] {
        let dir = secrets.join(format!("main-{role}-role"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("password"), password).unwrap();
    }
    let run = |case: &str, file: &str| {
        let script = pg.dir.path().join("provision.sql");
        std::fs::write(&script, provisioning_script(case, file, &secrets)).unwrap();
        let output = pg
            .admin_psql("postgres")
            .arg("-f")
            .arg(&script)
            .output()
            .unwrap();
        assert!(output.status.success(), "{case}/{file}: {output:?}");
    };
    let catalog_logs_in = || {
        pg.client("psql", "catalog", "catalog-pw", "catalog")
            .args(["-X", "-w", "-c", "SELECT 1"])
            .output()
            .unwrap()
            .status
            .success()
    };
    run("remove-app-statefulset", "before.toml");
    assert!(catalog_logs_in());
    // Removed without retiring (`login-kept` in the plan): the login still works.
    run("remove-app-statefulset", "after.toml");
    assert!(catalog_logs_in(), "the plan says the login is kept");
    // Retired (`in-place`), then removed (`in-place`): no login, the database stays.
    run("remove-retired-app-statefulset", "before.toml");
    assert!(!catalog_logs_in(), "retiring disables the login");
    run("remove-retired-app-statefulset", "after.toml");
    assert!(
        !catalog_logs_in(),
        "removing a retired app keeps its login disabled"
    );
    let state = pg.query(
        "postgres",
        &[],
        "SELECT rolcanlogin, rolpassword IS NULL, (SELECT count(*) FROM pg_database WHERE datname = 'catalog') \
         FROM pg_authid WHERE rolname = 'catalog';",
    );
    assert_eq!(
        state.trim(),
        "f|t|1",
        "NOLOGIN, no password, the database stays"
    );
}

#[test]
fn deletion_guards_are_on_every_data_holding_object_of_protected_environments_only() {
    use dbgen::change::guard::{ARGO_ANNOTATION, ARGO_VALUE, FLUX_ANNOTATION, FLUX_VALUE};
    use dbgen::plan::Kind;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut guarded = 0;
    for case in std::fs::read_dir(root).unwrap() {
        let case = case.unwrap().path();
        if !case.join("dbgen.toml").is_file() {
            continue;
        }
        let compiled = compile(&case, "dbgen.toml");
        for (env, manifests) in &compiled.environments {
            let protected = compiled.safety.protected.contains(env);
            for m in manifests {
                let data = match m.kind {
                    Kind::Cluster
                    | Kind::PersistentVolumeClaim
                    | Kind::Database
                    | Kind::DatabaseRole
                    | Kind::HelmRelease
                    | Kind::HelmValues => true,
                    Kind::StatefulSet => m.document["spec"]["volumeClaimTemplates"].is_array(),
                    _ => false,
                };
                let annotations = if m.kind == Kind::HelmValues {
                    &m.document["commonAnnotations"]
                } else {
                    &m.document["metadata"]["annotations"]
                };
                let has = annotations[ARGO_ANNOTATION] == ARGO_VALUE
                    && annotations[FLUX_ANNOTATION] == FLUX_VALUE;
                assert_eq!(has, protected && data, "{}: {}", case.display(), m.path);
                guarded += usize::from(has);
            }
        }
    }
    assert!(
        guarded > 20,
        "only {guarded} guarded objects in the goldens"
    );
}
