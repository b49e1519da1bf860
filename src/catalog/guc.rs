//! The PostgreSQL configuration parameters (GUCs) of each supported major version.
//!
//! Input: `data/guc-<major>.tsv`, written by `scripts/gen-guc-catalog.sh` from `pg_settings` of
//! a real server of that major (the file's header names the build). Output: [`lookup`] by name
//! (case-insensitive, as PostgreSQL reads names), [`names`] for did-you-mean. Invariant: the
//! data is exactly what the server reports; nothing here is typed by hand.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The PostgreSQL majors with a catalog, oldest first.
pub const MAJORS: [u32; 5] = [14, 15, 16, 17, 18];

/// When a parameter's new value takes effect (`pg_settings.context`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    /// Fixed at compile or initdb time; cannot be set.
    Internal,
    /// Needs a server restart.
    Postmaster,
    /// Read on reload (SIGHUP).
    Sighup,
    /// Set at connection start by a superuser only.
    SuperuserBackend,
    /// Set at connection start.
    Backend,
    /// Set by a superuser in a session.
    Superuser,
    /// Set by any user in a session.
    User,
}

impl Context {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "internal" => Self::Internal,
            "postmaster" => Self::Postmaster,
            "sighup" => Self::Sighup,
            "superuser-backend" => Self::SuperuserBackend,
            "backend" => Self::Backend,
            "superuser" => Self::Superuser,
            "user" => Self::User,
            _ => return None,
        })
    }

    /// The name `pg_settings.context` and the documentation use.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Postmaster => "postmaster",
            Self::Sighup => "sighup",
            Self::SuperuserBackend => "superuser-backend",
            Self::Backend => "backend",
            Self::Superuser => "superuser",
            Self::User => "user",
        }
    }
}

/// A parameter's value type (`pg_settings.vartype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Bool,
    Integer,
    Real,
    String,
    Enum,
}

impl Type {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "bool" => Self::Bool,
            "integer" => Self::Integer,
            "real" => Self::Real,
            "string" => Self::String,
            "enum" => Self::Enum,
            _ => return None,
        })
    }

    /// The name `pg_settings.vartype` uses.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bool => "bool",
            Self::Integer => "integer",
            Self::Real => "real",
            Self::String => "string",
            Self::Enum => "enum",
        }
    }
}

/// One parameter of one major version.
#[derive(Clone, Debug, PartialEq)]
pub struct Guc {
    /// The name as PostgreSQL spells it (`DateStyle`, `shared_buffers`).
    pub name: &'static str,
    pub context: Context,
    pub kind: Type,
    /// The base unit of a bare number (`kB`, `8kB`, `ms`, `s`, `min`), if any.
    pub unit: Option<&'static str>,
    /// Bounds of a numeric parameter, in its base unit, as the server prints them.
    pub min: Option<&'static str>,
    pub max: Option<&'static str>,
    /// The accepted values of an enum parameter.
    pub values: Vec<&'static str>,
}

impl Guc {
    /// [`Self::min`] as a number.
    #[must_use]
    pub fn min_value(&self) -> Option<f64> {
        self.min.and_then(|m| m.parse().ok())
    }

    /// [`Self::max`] as a number.
    #[must_use]
    pub fn max_value(&self) -> Option<f64> {
        self.max.and_then(|m| m.parse().ok())
    }
}

/// One major's catalog: the header lines (source and version) and the parameters by lowercase name.
struct Catalog {
    header: Vec<&'static str>,
    by_name: BTreeMap<String, Guc>,
}

fn data(major: u32) -> Option<&'static str> {
    Some(match major {
        14 => include_str!("data/guc-14.tsv"),
        15 => include_str!("data/guc-15.tsv"),
        16 => include_str!("data/guc-16.tsv"),
        17 => include_str!("data/guc-17.tsv"),
        18 => include_str!("data/guc-18.tsv"),
        _ => return None,
    })
}

fn parse(text: &'static str) -> Catalog {
    let mut header = Vec::new();
    let mut by_name = BTreeMap::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            header.push(comment);
            continue;
        }
        let cols: Vec<&'static str> = line.split('\t').collect();
        let [name, context, kind, unit, min, max, values] = cols[..] else {
            panic!("GUC catalog line without 7 columns: {line:?}");
        };
        let some = |s: &'static str| (!s.is_empty()).then_some(s);
        let guc = Guc {
            name,
            context: Context::parse(context)
                .unwrap_or_else(|| panic!("GUC catalog: unknown context {context:?}")),
            kind: Type::parse(kind).unwrap_or_else(|| panic!("GUC catalog: unknown type {kind:?}")),
            unit: some(unit),
            min: some(min),
            max: some(max),
            values: some(values).map_or_else(Vec::new, |v| v.split('|').collect()),
        };
        by_name.insert(name.to_ascii_lowercase(), guc);
    }
    Catalog { header, by_name }
}

fn catalog(major: u32) -> Option<&'static Catalog> {
    static CATALOGS: [OnceLock<Catalog>; MAJORS.len()] = [const { OnceLock::new() }; MAJORS.len()];
    let index = MAJORS.iter().position(|m| *m == major)?;
    let text = data(major)?;
    Some(CATALOGS[index].get_or_init(|| parse(text)))
}

/// The parameter `name` (any case) of PostgreSQL `major`; `None` for an unknown name or major.
#[must_use]
pub fn lookup(major: u32, name: &str) -> Option<&'static Guc> {
    catalog(major)?.by_name.get(&name.to_ascii_lowercase())
}

/// Every parameter name of PostgreSQL `major`, in its own spelling, sorted by lowercase name.
pub fn names(major: u32) -> impl Iterator<Item = &'static str> {
    catalog(major)
        .into_iter()
        .flat_map(|c| c.by_name.values().map(|g| g.name))
}

/// Where `major`'s catalog came from: the header lines of its data file (version, build, columns).
#[must_use]
pub fn source(major: u32) -> &'static [&'static str] {
    catalog(major).map_or(&[], |c| &c.header[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_major_parses_and_names_its_version() {
        for major in MAJORS {
            let header = source(major);
            assert!(
                header[0].starts_with(&format!("PostgreSQL {major}.")),
                "{major}: {header:?}"
            );
            assert!(header[1].starts_with("Source: "), "{major}: {header:?}");
            assert!(names(major).count() > 300, "{major}");
        }
        assert!(lookup(13, "shared_buffers").is_none());
    }

    #[test]
    fn facts_the_server_documents() {
        for major in MAJORS {
            let sb = lookup(major, "shared_buffers").unwrap();
            assert_eq!(
                (sb.context, sb.kind, sb.unit),
                (Context::Postmaster, Type::Integer, Some("8kB"))
            );
            assert_eq!(sb.min_value(), Some(16.0));
            let wm = lookup(major, "work_mem").unwrap();
            assert_eq!((wm.context, wm.unit), (Context::User, Some("kB")));
            assert_eq!(
                lookup(major, "checkpoint_timeout").unwrap().context,
                Context::Sighup
            );
            let wl = lookup(major, "wal_level").unwrap();
            assert_eq!(wl.kind, Type::Enum);
            assert!(wl.values.contains(&"logical"), "{:?}", wl.values);
            // Names are case-insensitive, as in postgresql.conf.
            assert_eq!(lookup(major, "datestyle").unwrap().name, "DateStyle");
            assert_eq!(
                lookup(major, "server_version").unwrap().context,
                Context::Internal
            );
            assert!(lookup(major, "shared_buffer").is_none());
        }
        // Parameters that came and went across majors.
        assert!(lookup(14, "vacuum_defer_cleanup_age").is_some());
        assert!(lookup(16, "vacuum_defer_cleanup_age").is_none());
        assert!(lookup(16, "io_method").is_none());
        assert!(lookup(18, "io_method").is_some());
    }
}
