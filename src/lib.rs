//! dbgen compiles a typed TOML platform spec into one reviewed, GitOps-ready
//! Kustomize tree per environment.
//!
//! ```text
//! dbgen.toml ──spec──▶ Document<Spec> ──validate──▶ Checked ──plan──▶ Plan
//!   (+ profiles/*.toml, same loader)     (all problems,         (infallible: every
//!                                          with spans)           name and path decided)
//!            ──render──▶ Vec<Manifest> ──verify──▶ (built-in and CRD schemas)  ──emit──▶ out/<env>/…
//!               (one template per kind,                                   (owned dir: write,
//!                JSON-escaped, re-emitted canonically)                     check, diff)
//! ```
//!
//! Each stage consumes only the previous stage's type; `validate` and `plan` share only
//! [`model`], the resolved model between them. [`pipeline::compile`] runs the
//! stages up to verification; [`emit::Tree`] writes or checks the result. Only
//! [`cli`] prints.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod catalog;
pub mod change;
pub mod cli;
pub mod defaults;
pub mod diagnostic;
pub mod emit;
pub mod inventory;
pub mod model;
pub mod naming;
pub mod pgconf;
pub mod pins;
pub mod pipeline;
pub mod plan;
pub mod reference;
pub mod render;
pub mod scripts;
pub mod source;
pub mod spec;
pub mod starter;
pub mod suggest;
pub mod validate;
pub mod verify;
pub mod yaml;
