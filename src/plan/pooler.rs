//! The CNPG `Pooler` (PgBouncer in front of the primary) of one cluster.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Meta;
use crate::model::MergedPooler;
use crate::spec::PoolMode;

#[derive(Debug, Clone, Serialize)]
pub struct PoolerPlan {
    pub meta: Meta,
    pub cluster: String,
    pub instances: u32,
    pub mode: &'static str,
    /// PgBouncer parameters, strings as CNPG's schema requires.
    pub parameters: BTreeMap<String, String>,
}

/// `<cluster>-pooler-rw`: also the name of the Service apps connect to.
pub(super) fn name(cluster: &str) -> String {
    format!("{cluster}-pooler-rw")
}

pub(super) fn plan(meta: Meta, cluster: &str, pooler: &MergedPooler) -> PoolerPlan {
    PoolerPlan {
        meta,
        cluster: cluster.to_string(),
        instances: pooler.instances,
        mode: mode(pooler.mode),
        parameters: BTreeMap::from([
            (
                "default_pool_size".to_string(),
                pooler.default_pool_size.to_string(),
            ),
            (
                "max_client_conn".to_string(),
                pooler.max_client_conn.to_string(),
            ),
        ]),
    }
}

pub(super) fn mode(mode: PoolMode) -> &'static str {
    match mode {
        PoolMode::Transaction => "transaction",
        PoolMode::Session => "session",
    }
}
