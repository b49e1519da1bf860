//! The PostgreSQL extensions each engine's image ships, by major version.
//!
//! Input: `data/extensions.tsv` (sources in its header). Output: [`available`] and [`names`]
//! for did-you-mean. Invariant: an extension missing here is one `CREATE EXTENSION` would
//! fail on in the image dbgen emits for that engine and major.

use crate::spec::Engine;

const DATA: &str = include_str!("data/extensions.tsv");

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Cnpg => "cnpg",
        Engine::Statefulset => "statefulset",
        Engine::Bitnami => "bitnami",
    }
}

/// The extensions shipped for `engine` on PostgreSQL `major`, in file order.
pub fn names(engine: Engine, major: u32) -> impl Iterator<Item = &'static str> {
    let engine = engine_name(engine);
    DATA.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(move |line| {
            let [name, first, last, engines] = line.split('\t').collect::<Vec<_>>()[..] else {
                return None;
            };
            let first: u32 = first.parse().ok()?;
            let last: u32 = last.parse().unwrap_or(u32::MAX);
            let shipped = engines == "all" || engines.split(',').any(|e| e == engine);
            ((first..=last).contains(&major) && shipped).then_some(name)
        })
}

/// Whether `name` ships with `engine`'s image of PostgreSQL `major`.
#[must_use]
pub fn available(engine: Engine, major: u32, name: &str) -> bool {
    names(engine, major).any(|n| n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrib_and_image_extras() {
        for major in crate::catalog::guc::MAJORS {
            for engine in [Engine::Cnpg, Engine::Statefulset, Engine::Bitnami] {
                for name in [
                    "pg_trgm",
                    "pgcrypto",
                    "uuid-ossp",
                    "hstore",
                    "pg_stat_statements",
                    "plpgsql",
                ] {
                    assert!(available(engine, major, name), "{name} {major}");
                }
            }
        }
        assert!(available(Engine::Cnpg, 17, "vector"));
        assert!(!available(Engine::Statefulset, 17, "vector"));
        assert!(available(Engine::Bitnami, 17, "pgaudit"));
        assert!(available(Engine::Cnpg, 16, "adminpack"));
        assert!(!available(Engine::Cnpg, 17, "adminpack"));
        assert!(!available(Engine::Cnpg, 14, "pg_walinspect"));
        assert!(!available(Engine::Cnpg, 17, "pg_trgrm"));
    }
}
