//! Every built-in default, in one place. `validate` merges `layer()` below the
//! profiles; `plan` uses the rest when the spec leaves a value out.

use crate::spec::Layer;

/// The lowest layer of size settings: what a cluster gets with no profile at all.
pub fn layer() -> Layer {
    Layer {
        instances: Some(1),
        storage: Some("10Gi".to_string()),
        ..Layer::default()
    }
}

pub const DOMAIN: &str = "cluster.local";
pub const OUTPUT_DIR: &str = "out";
pub const REFRESH: &str = "1h";
pub const PASSWORD_PROPERTY: &str = "password";
/// CNPG's operand images; the tag is `<version>-<IMAGE_FLAVOUR>` (rolling: pin with `image`).
pub const CNPG_IMAGE_REPOSITORY: &str = "ghcr.io/cloudnative-pg/postgresql";
pub const POSTGRES_PORT: u16 = 5432;
/// `standard` carries the common extensions (pgvector, pgaudit) and no Barman Cloud,
/// which the Barman Cloud plugin no longer needs; `trixie` is CNPG 1.30's default base.
pub const CNPG_IMAGE_FLAVOUR: &str = "standard-trixie";
