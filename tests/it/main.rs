//! dbgen's integration tests, as one test binary: each module was once a binary of its own,
//! and every one of them linked the whole library again.
//!
//! Input: the built library and `dbgen` binary, `golden/`, `schemas/`, and the tools that
//! scripts/install-tools.sh pins. Output: libtest results; a test whose tool is missing prints a
//! `SKIP:` line, and under CI fails instead (`support::require`). Run one module with
//! `cargo test --test it golden::` (a filter on the test path).

mod accepted_specs;
mod bitnami_redis_values;
mod bitnami_values;
mod changes;
mod cli;
mod diagnostics;
mod flux;
mod golden;
mod guc_catalog;
mod helm_charts;
mod hostile_corpus;
mod kustomize;
mod output_dir;
mod pgconf;
mod properties;
mod redis_statefulset;
mod release;
mod restore;
mod scripts_postgres;
mod scripts_redis;
mod scripts_s3;
mod sharded;
mod strict_decode;
mod support;
mod trees;
