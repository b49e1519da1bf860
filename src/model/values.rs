//! Typed values `validate` parsed, so `plan` prints them without parsing again.
//!
//! Input: nothing (types; `validate` constructs them from checked text).
//! Output: `CronSchedule`, `Platform`, `PostgresVersion`.
//! Invariant: a value of these types was checked; its accessors cannot fail.

use crate::spec::RoleStyle;

/// A cron schedule as written (5 fields or an `@descriptor`), with the form that
/// CloudNativePG's `ScheduledBackup` takes (a seconds field first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSchedule {
    written: String,
    with_seconds: String,
}

impl CronSchedule {
    /// `with_seconds` is `written` as `validate::rules::cron_with_seconds` converted it.
    pub(crate) fn new(written: String, with_seconds: String) -> Self {
        Self {
            written,
            with_seconds,
        }
    }

    /// As written: what Kubernetes CronJobs take.
    pub fn as_written(&self) -> &str {
        &self.written
    }

    /// With a leading seconds field (descriptors unchanged).
    pub fn with_seconds(&self) -> &str {
        &self.with_seconds
    }
}

/// A Barman retention policy as CloudNativePG takes it (`30d`, `4w`, `6m`): a count of
/// days, weeks or months, printed back exactly as written (the syntax has one spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    count: u32,
    unit: RetentionUnit,
}

/// The unit of a [`Retention`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionUnit {
    Days,
    Weeks,
    Months,
}

impl RetentionUnit {
    pub fn suffix(self) -> char {
        match self {
            Self::Days => 'd',
            Self::Weeks => 'w',
            Self::Months => 'm',
        }
    }
}

impl Retention {
    /// `^[1-9][0-9]*[dwm]$`, CloudNativePG's pattern; `None` otherwise (how long is too long
    /// is `validate::rules::retention`'s decision).
    pub fn parse(text: &str) -> Option<Self> {
        let (number, unit) = text.split_at(text.len().checked_sub(1)?);
        let unit = match unit {
            "d" => RetentionUnit::Days,
            "w" => RetentionUnit::Weeks,
            "m" => RetentionUnit::Months,
            _ => return None,
        };
        let syntax = !number.is_empty()
            && !number.starts_with('0')
            && number.bytes().all(|b| b.is_ascii_digit());
        let count = number.parse().ok().filter(|_| syntax)?;
        Some(Self { count, unit })
    }

    /// `count` days (a placeholder where a reported error stops the spec from reaching `plan`).
    pub const fn days(count: u32) -> Self {
        Self {
            count,
            unit: RetentionUnit::Days,
        }
    }

    pub fn count(self) -> u32 {
        self.count
    }

    pub fn unit(self) -> RetentionUnit {
        self.unit
    }
}

impl std::fmt::Display for Retention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.count, self.unit.suffix())
    }
}

/// A Redis memory size as written (`512mb`, `1gb`, `1000`), with its bytes: Redis reads the
/// text itself, so the output prints it unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisMemory {
    written: String,
    bytes: u64,
}

impl RedisMemory {
    /// `bytes` is `written`'s size as the check that accepted it computed it.
    pub(crate) fn new(written: String, bytes: u64) -> Self {
        Self { written, bytes }
    }

    pub fn as_written(&self) -> &str {
        &self.written
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// `[platform]` with every default applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// The cluster DNS domain (`cluster.local` unless set).
    pub domain: String,
    /// Where the CloudNativePG operator runs.
    pub operator_namespace: String,
    /// Where Prometheus runs (the scraper the network policies let in).
    pub monitoring_namespace: String,
    /// The CloudNativePG release the output targets, `major.minor`.
    pub cnpg_version: (u32, u32),
    /// Inline `managed.roles` or `DatabaseRole` objects: the spec's choice, else objects
    /// from CloudNativePG 1.30 on.
    pub roles: RoleStyle,
}

/// A PostgreSQL version as written (`17`, `17.6`), with its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresVersion {
    written: String,
    major: u32,
    minor: Option<u32>,
}

impl PostgresVersion {
    /// `major` or `major.minor`; `None` otherwise (which versions are supported is
    /// `validate::rules::pg_version`'s decision).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map(str::parse).transpose().ok()?;
        parts.next().is_none().then(|| Self {
            written: text.to_string(),
            major,
            minor,
        })
    }

    pub fn as_written(&self) -> &str {
        &self.written
    }

    pub fn major(&self) -> u32 {
        self.major
    }

    pub fn minor(&self) -> Option<u32> {
        self.minor
    }
}

#[cfg(test)]
mod tests {
    use super::{PostgresVersion, Retention, RetentionUnit};

    #[test]
    fn retentions_parse_and_print_as_written() {
        for text in ["30d", "4w", "6m", "3660d", "1d"] {
            assert_eq!(Retention::parse(text).unwrap().to_string(), text);
        }
        let r = Retention::parse("12w").unwrap();
        assert_eq!((r.count(), r.unit()), (12, RetentionUnit::Weeks));
        for bad in [
            "",
            "d",
            "0d",
            "030d",
            "30",
            "30y",
            "3 d",
            "-3d",
            "99999999999d",
        ] {
            assert_eq!(Retention::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn versions_parse_into_their_numbers() {
        let v = PostgresVersion::parse("16.11").unwrap();
        assert_eq!(
            (v.major(), v.minor(), v.as_written()),
            (16, Some(11), "16.11")
        );
        assert_eq!(PostgresVersion::parse("18").unwrap().minor(), None);
        for bad in ["", "x", "17.", "17.6.1", "17.x", ".6"] {
            assert_eq!(PostgresVersion::parse(bad), None, "{bad}");
        }
    }
}
