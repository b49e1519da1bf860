//! Logins a change leaves behind: roles the committed tree lets log in that the fresh
//! render no longer declares at all, on a server that stays.
//!
//! Input: one environment's committed and rendered objects. Output: for each committed
//! object that carried such a login (a removed CNPG `DatabaseRole`, a `Cluster` whose
//! inline `managed.roles` drop it, the provisioning `ConfigMap` of the `statefulset` and
//! `bitnami` engines), the roles whose LOGIN and password stay valid in PostgreSQL.
//! Invariant: a role retired before it is removed (`login: false`, or a retired role of
//! the provisioning script) is never reported, nor a role dropped by its reclaim policy,
//! nor one whose server is removed in the same change (that removal is `data-loss`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::diff::{Identity, Object};

/// The objects of one environment.
type Env = BTreeMap<Identity, Object>;

/// Whether `kept` reads objects of `kind` (even unchanged ones): every other kind's
/// unchanged objects can be left out of its input.
pub(super) fn reads(kind: &str) -> bool {
    matches!(kind, "Cluster" | "DatabaseRole" | "ConfigMap")
}

/// Per committed object, the roles it let log in that nothing declares any more.
pub(super) fn kept(old: &Env, new: &Env) -> BTreeMap<Identity, Vec<String>> {
    let mut out: BTreeMap<Identity, Vec<String>> = BTreeMap::new();
    for (id, object) in old {
        // The server must stay: a removed Cluster or provisioning ConfigMap is the
        // removal of the cluster itself, classified on its own.
        let Some(next) = new.get(id) else { continue };
        match id.kind.as_str() {
            "Cluster" => {
                let declared = cnpg_roles(id, next, new);
                for (carrier, role) in cnpg_logins(id, object, old) {
                    if !declared.contains(&role) {
                        out.entry(carrier).or_default().push(role);
                    }
                }
            }
            "ConfigMap" => {
                let (Some(before), Some(after)) = (provision_sql(object), provision_sql(next))
                else {
                    continue;
                };
                let (before, after) = (Script::parse(before), Script::parse(after));
                let declared: BTreeSet<&String> =
                    after.logins.iter().chain(&after.retired).collect();
                let roles: Vec<String> = before
                    .logins
                    .iter()
                    .filter(|r| !before.retired.contains(r) && !declared.contains(r))
                    .cloned()
                    .collect();
                if !roles.is_empty() {
                    out.insert(id.clone(), roles);
                }
            }
            _ => {}
        }
    }
    for roles in out.values_mut() {
        roles.sort();
        roles.dedup();
    }
    out
}

/// `DatabaseRole` objects of the CNPG cluster `cluster` in `objects`.
fn database_roles<'a>(
    cluster: &'a Identity,
    objects: &'a Env,
) -> impl Iterator<Item = (&'a Identity, &'a Value)> {
    objects
        .iter()
        .filter(move |(id, o)| {
            id.kind == "DatabaseRole"
                && id.namespace == cluster.namespace
                && o.document["spec"]["cluster"]["name"].as_str() == Some(cluster.name.as_str())
        })
        .map(|(id, o)| (id, &o.document["spec"]))
}

/// Every role name the rendered `Cluster` declares, with or without LOGIN.
fn cnpg_roles(id: &Identity, cluster: &Object, objects: &Env) -> BTreeSet<String> {
    let inline = managed_roles(&cluster.document).map(|r| &r["name"]);
    let objects = database_roles(id, objects).map(|(_, spec)| &spec["name"]);
    inline
        .chain(objects)
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The committed roles of the `Cluster` that may log in and survive their removal
/// (CNPG leaves a role it no longer manages; a `DatabaseRole` with reclaim policy
/// `delete` is dropped), each with the object that declares it.
fn cnpg_logins(id: &Identity, cluster: &Object, objects: &Env) -> Vec<(Identity, String)> {
    let login = |spec: &Value| spec["login"].as_bool() == Some(true);
    let inline = managed_roles(&cluster.document)
        .filter(|r| login(r) && r["ensure"].as_str() != Some("absent"))
        .filter_map(|r| r["name"].as_str())
        .map(|name| (id.clone(), name.to_owned()));
    let objects = database_roles(id, objects)
        .filter(|(_, spec)| {
            login(spec) && spec["databaseRoleReclaimPolicy"].as_str() != Some("delete")
        })
        .filter_map(|(role, spec)| Some((role.clone(), spec["name"].as_str()?.to_owned())));
    inline.chain(objects).collect()
}

fn managed_roles(cluster: &Value) -> impl Iterator<Item = &Value> {
    cluster["spec"]["managed"]["roles"]
        .as_array()
        .into_iter()
        .flatten()
}

fn provision_sql(object: &Object) -> Option<&str> {
    object.document["data"]["provision.sql"].as_str()
}

/// The roles of dbgen's provisioning script (`scripts::provision_sql_retiring`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Script {
    /// Roles created or updated WITH LOGIN (app owners, read-only and other roles).
    pub(super) logins: Vec<String>,
    /// Roles set NOLOGIN PASSWORD NULL (retired apps).
    pub(super) retired: Vec<String>,
}

impl Script {
    /// Reads the roles off the section comments and the `\set dbgen_role` line that
    /// follows each: the script names roles nowhere else.
    pub(super) fn parse(text: &str) -> Self {
        let mut script = Script::default();
        let mut retired = None;
        for line in text.lines() {
            if line.starts_with("-- Database ") || line.starts_with("-- Role ") {
                retired = Some(false);
            } else if line.starts_with("-- Retired role ") {
                retired = Some(true);
            } else if let Some(arg) = line.strip_prefix("\\set dbgen_role ")
                && let Some(is_retired) = retired.take()
            {
                let role = unquote(arg);
                if is_retired {
                    script.retired.push(role);
                } else {
                    script.logins.push(role);
                }
            }
        }
        script
    }
}

/// The value of a psql meta-command argument written by `scripts::psql_meta_arg`:
/// `'...'` with `''`, `\\`, `\n`, `\r`, `\t` and `\ooo` (octal bytes) escapes.
fn unquote(arg: &str) -> String {
    let inner = arg
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(arg);
    let mut bytes = Vec::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    let push = |bytes: &mut Vec<u8>, c: char| {
        let mut buf = [0u8; 4];
        bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' if chars.peek() == Some(&'\'') => {
                chars.next();
                push(&mut bytes, '\'');
            }
            '\\' => match chars.next() {
                Some('n') => push(&mut bytes, '\n'),
                Some('r') => push(&mut bytes, '\r'),
                Some('t') => push(&mut bytes, '\t'),
                Some(d @ '0'..='7') => {
                    let mut value = d.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match chars.peek().and_then(|c| c.to_digit(8)) {
                            Some(digit) => {
                                value = value * 8 + digit;
                                chars.next();
                            }
                            None => break,
                        }
                    }
                    bytes.push(u8::try_from(value & 0xff).unwrap_or(0));
                }
                Some(other) => push(&mut bytes, other),
                None => push(&mut bytes, '\\'),
            },
            c => push(&mut bytes, c),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripts::{ProvisionedDatabase, ProvisionedRole, provision_sql_retiring};
    use serde_json::json;

    fn database(name: &str) -> ProvisionedDatabase {
        ProvisionedDatabase {
            database: name.to_owned(),
            role: name.to_owned(),
            password_file: format!("/secrets/{name}"),
            extensions: Vec::new(),
        }
    }

    #[test]
    fn reads_the_roles_of_the_provisioning_script_whatever_their_names() {
        let hostile = "it's a \\ \"role\"\n\u{1}é";
        let sql = provision_sql_retiring(
            &[database("orders"), database(hostile)],
            &[ProvisionedRole {
                role: "reader".to_owned(),
                password_file: "/secrets/reader".to_owned(),
                member_of: vec!["pg_read_all_data".to_owned()],
                connect: vec!["orders".to_owned()],
            }],
            &["catalog".to_owned()],
        );
        assert_eq!(
            Script::parse(&sql),
            Script {
                logins: vec!["orders".to_owned(), hostile.to_owned(), "reader".to_owned()],
                retired: vec!["catalog".to_owned()],
            }
        );
    }

    fn object(document: Value) -> Object {
        Object {
            file: String::new(),
            document,
        }
    }

    fn id(kind: &str, name: &str) -> Identity {
        Identity {
            kind: kind.to_owned(),
            namespace: "db".to_owned(),
            name: name.to_owned(),
        }
    }

    fn configmap(sql: &str) -> Env {
        BTreeMap::from([(
            id("ConfigMap", "main-provision"),
            object(json!({"data": {"provision.sql": sql}})),
        )])
    }

    #[test]
    fn a_provisioned_login_left_behind_is_kept_unless_retired_first() {
        let both = provision_sql_retiring(&[database("orders"), database("catalog")], &[], &[]);
        let one = provision_sql_retiring(&[database("orders")], &[], &[]);
        let retiring = provision_sql_retiring(&[database("orders")], &[], &["catalog".to_owned()]);
        let kept_of = |a: &str, b: &str| kept(&configmap(a), &configmap(b));
        assert_eq!(
            kept_of(&both, &one),
            BTreeMap::from([(
                id("ConfigMap", "main-provision"),
                vec!["catalog".to_owned()]
            )])
        );
        assert!(kept_of(&both, &retiring).is_empty());
        assert!(kept_of(&retiring, &one).is_empty());
        assert!(kept_of(&both, &both).is_empty());
        // The whole server goes: its removal decides, not the login.
        assert!(kept(&configmap(&both), &BTreeMap::new()).is_empty());
    }

    fn cnpg(inline: &[(&str, bool)], roles: &[(&str, bool, &str)]) -> Env {
        let inline: Vec<Value> = inline
            .iter()
            .map(|(name, login)| json!({"name": name, "ensure": "present", "login": login}))
            .collect();
        let mut env = BTreeMap::from([(
            id("Cluster", "main"),
            object(json!({"spec": {"managed": {"roles": inline}}})),
        )]);
        for (name, login, reclaim) in roles {
            env.insert(
                id("DatabaseRole", &format!("main-{name}")),
                object(json!({"spec": {
                    "cluster": {"name": "main"},
                    "name": name,
                    "login": login,
                    "databaseRoleReclaimPolicy": reclaim,
                }})),
            );
        }
        env
    }

    #[test]
    fn a_cnpg_login_left_behind_is_kept_unless_retired_dropped_or_its_cluster_removed() {
        let before = cnpg(
            &[],
            &[("orders", true, "retain"), ("catalog", true, "retain")],
        );
        let after = cnpg(&[], &[("orders", true, "retain")]);
        assert_eq!(
            kept(&before, &after),
            BTreeMap::from([(
                id("DatabaseRole", "main-catalog"),
                vec!["catalog".to_owned()]
            )])
        );
        let retired = cnpg(
            &[],
            &[("orders", true, "retain"), ("catalog", false, "retain")],
        );
        assert!(kept(&retired, &after).is_empty());
        let dropped = cnpg(
            &[],
            &[("orders", true, "retain"), ("catalog", true, "delete")],
        );
        assert!(kept(&dropped, &after).is_empty());
        assert!(kept(&before, &BTreeMap::new()).is_empty());
        // The same role moved inline is still declared.
        assert!(
            kept(
                &before,
                &cnpg(&[("catalog", true)], &[("orders", true, "retain")])
            )
            .is_empty()
        );

        let inline = cnpg(&[("orders", true), ("catalog", true)], &[]);
        assert_eq!(
            kept(&inline, &cnpg(&[("orders", true)], &[])),
            BTreeMap::from([(id("Cluster", "main"), vec!["catalog".to_owned()])])
        );
        let inline_retired = cnpg(&[("orders", true), ("catalog", false)], &[]);
        assert!(kept(&inline_retired, &cnpg(&[("orders", true)], &[])).is_empty());
    }
}
