//! The embedded templates: one per row of the kind table rendered by a template.

use minijinja::{Environment, UndefinedBehavior};

/// A row's template, embedded: (name, source), or `None` for a kind rendered otherwise.
macro_rules! embedded {
    (template($name:literal)) => {
        Some(($name, include_str!(concat!("../../templates/", $name))))
    };
    ($other:ident()) => {
        None
    };
}

macro_rules! row_templates {
    ($(
        $variant:ident($data:ty) $stem:literal,
        $render:ident($($render_args:tt)*),
        $check:ident($($check_args:tt)*);
    )*) => {
        /// The template of every row of the kind table that has one, then the kustomization's.
        const ROWS: &[Option<(&str, &str)>] = &[
            $(embedded!($render($($render_args)*)),)*
            embedded!(template("kustomization.yaml.j2")),
        ];
    };
}

crate::plan::kind_table!(row_templates);

/// Every template, compiled into the binary: (name, source).
pub(super) fn templates() -> impl Iterator<Item = (&'static str, &'static str)> {
    ROWS.iter().flatten().copied()
}

/// A template environment with JSON auto-escaping (from the `.yaml` suffix), strict
/// undefined, and debug info on in release builds too, so a template error shows its line.
pub(super) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    for (name, source) in templates() {
        // Templates are compiled into the binary and loaded by a unit test, so a syntax
        // error cannot reach users.
        env.add_template(name, source)
            .expect("embedded template compiles");
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_file_is_embedded_and_compiles() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<&str> = templates().map(|(n, _)| n).collect();
        embedded.sort_unstable();
        assert_eq!(on_disk, embedded);
        let env = environment();
        for kind in crate::plan::Kind::all() {
            if let crate::plan::Render::Template(name) = kind.spec().render {
                assert!(env.get_template(name).is_ok(), "{kind:?}");
            }
        }
    }

    #[test]
    fn values_are_json_escaped_so_they_cannot_inject_yaml() {
        let mut env = environment();
        env.add_template("probe.yaml.j2", "a: {{ v }}").unwrap();
        let out = env
            .get_template("probe.yaml.j2")
            .unwrap()
            .render(minijinja::context! { v => "x\nevil: on" })
            .unwrap();
        assert_eq!(out, "a: \"x\\nevil: on\"");
        assert_eq!(
            crate::yaml::parse(&out).unwrap(),
            serde_json::json!({ "a": "x\nevil: on" })
        );
    }
}
