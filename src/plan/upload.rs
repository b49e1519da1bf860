//! The optional upload step of a backup `CronJob`: after the backup script (an init
//! container) succeeded, the AWS CLI copies the volume's complete backups to an
//! S3-compatible object store, with keys from a Secret delivered by the secret provider.
//!
//! Input: validated `MergedUpload` settings, the environment and the name `{cluster}` stands
//! for. Output: an `UploadStep` for `script_job` and the credentials Secret's object.
//! Invariant: the keys reach the container only through `env` from that Secret (the keys CNPG
//! backups use, `backup::S3_KEYS`), and nothing in the step can delete a remote object.

use super::ObjectData;
use super::backup::S3_KEYS;
use super::credentials;
use crate::model::MergedUpload;

pub(super) use crate::pins::AWS_CLI_IMAGE;

/// What `script_job` needs to add the upload container.
pub(super) struct UploadStep {
    /// `s3://bucket/path/`, placeholders expanded, ending with `/`.
    pub(super) destination: String,
    pub(super) endpoint: Option<String>,
    /// Secret with `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY`.
    pub(super) credentials: String,
    /// `aws s3 sync` filter matching the files of a complete backup.
    pub(super) complete: &'static str,
}

/// Where the upload goes and what it reads.
pub(super) struct Target<'a> {
    pub(super) checked: &'a crate::model::Checked,
    pub(super) env: &'a str,
    /// What `{cluster}` stands for: the PostgreSQL cluster's or the Redis's name.
    pub(super) cluster: &'a str,
    pub(super) namespace: &'a str,
}

/// The step and its credentials Secret (identical Secrets asked for by several backups of
/// one namespace are merged by `Plan::build`).
pub(super) fn step(
    t: &Target<'_>,
    upload: &MergedUpload,
    complete: &'static str,
) -> (UploadStep, ObjectData) {
    let target = &upload.target;
    let mut destination = target.destination.clone();
    if !destination.ends_with('/') {
        destination.push('/');
    }
    let credentials = target.credentials.clone();
    let secret = credentials::opaque_secret(&credentials, &target.credentials_key, &S3_KEYS);
    let object = credentials::provided_secret(t.checked, t.env, t.cluster, t.namespace, &secret);
    let step = UploadStep {
        destination,
        endpoint: upload.endpoint.clone(),
        credentials,
        complete,
    };
    (step, object)
}
