//! The embedded templates, one per `Kind`.

use minijinja::{Environment, UndefinedBehavior};

use crate::plan::Kind;

macro_rules! template {
    ($name:literal) => {
        ($name, include_str!(concat!("../../templates/", $name)))
    };
}

/// Every template, compiled into the binary: (name, source).
pub(super) const TEMPLATES: &[(&str, &str)] = &[
    template!("applicationset.yaml.j2"),
    template!("cluster.yaml.j2"),
    template!("clustersecretstore.yaml.j2"),
    template!("configmap.yaml.j2"),
    template!("cronjob.yaml.j2"),
    template!("database.yaml.j2"),
    template!("databaserole.yaml.j2"),
    template!("externalsecret.yaml.j2"),
    template!("fluxkustomization.yaml.j2"),
    template!("helmrelease.yaml.j2"),
    template!("helmrepository.yaml.j2"),
    template!("helmvalues.yaml.j2"),
    template!("infisicalauth.yaml.j2"),
    template!("infisicalconnection.yaml.j2"),
    template!("infisicalsecret.yaml.j2"),
    template!("infisicalstaticsecret.yaml.j2"),
    template!("job.yaml.j2"),
    template!("kustomization.yaml.j2"),
    template!("networkpolicy.yaml.j2"),
    template!("objectstore.yaml.j2"),
    template!("persistentvolumeclaim.yaml.j2"),
    template!("poddisruptionbudget.yaml.j2"),
    template!("podmonitor.yaml.j2"),
    template!("pooler.yaml.j2"),
    template!("prometheusrule.yaml.j2"),
    template!("scheduledbackup.yaml.j2"),
    template!("service.yaml.j2"),
    template!("statefulset.yaml.j2"),
];

pub(super) fn name(kind: Kind) -> &'static str {
    match kind {
        Kind::Cluster => "cluster.yaml.j2",
        Kind::ClusterSecretStore => "clustersecretstore.yaml.j2",
        Kind::ConfigMap => "configmap.yaml.j2",
        Kind::CronJob => "cronjob.yaml.j2",
        Kind::Database => "database.yaml.j2",
        Kind::DatabaseRole => "databaserole.yaml.j2",
        Kind::ExternalSecret => "externalsecret.yaml.j2",
        Kind::InfisicalAuth => "infisicalauth.yaml.j2",
        Kind::InfisicalConnection => "infisicalconnection.yaml.j2",
        Kind::InfisicalSecret => "infisicalsecret.yaml.j2",
        Kind::InfisicalStaticSecret => "infisicalstaticsecret.yaml.j2",
        Kind::Kustomization => "kustomization.yaml.j2",
        Kind::NetworkPolicy => "networkpolicy.yaml.j2",
        Kind::ObjectStore => "objectstore.yaml.j2",
        Kind::PersistentVolumeClaim => "persistentvolumeclaim.yaml.j2",
        Kind::PodMonitor => "podmonitor.yaml.j2",
        Kind::Pooler => "pooler.yaml.j2",
        Kind::PrometheusRule => "prometheusrule.yaml.j2",
        Kind::ScheduledBackup => "scheduledbackup.yaml.j2",
        Kind::StatefulSet => "statefulset.yaml.j2",
        Kind::Service => "service.yaml.j2",
        Kind::PodDisruptionBudget => "poddisruptionbudget.yaml.j2",
        Kind::Job => "job.yaml.j2",
        Kind::HelmValues => "helmvalues.yaml.j2",
        Kind::HelmRelease => "helmrelease.yaml.j2",
        Kind::HelmRepository => "helmrepository.yaml.j2",
        Kind::ApplicationSet => "applicationset.yaml.j2",
        Kind::FluxKustomization => "fluxkustomization.yaml.j2",
    }
}

/// A template environment with JSON auto-escaping (from the `.yaml` suffix), strict
/// undefined, and debug info on in release builds too, so a template error shows its line.
pub(super) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    for (name, source) in TEMPLATES {
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
        let embedded: Vec<&str> = TEMPLATES.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, embedded);
        let env = environment();
        for kind in [
            Kind::Cluster,
            Kind::Database,
            Kind::ExternalSecret,
            Kind::InfisicalAuth,
            Kind::InfisicalConnection,
            Kind::InfisicalSecret,
            Kind::InfisicalStaticSecret,
            Kind::Kustomization,
        ] {
            assert!(env.get_template(name(kind)).is_ok());
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
