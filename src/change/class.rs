//! The consequence classes and the verdict on one object.
//!
//! Input: nothing (vocabulary). Output: `Class`, ordered from harmless to
//! dangerous, and `Verdict` (class, reason naming the field, what to do instead).
//! Invariant: `Ord` is the severity order the plan sorts and gates by.

use serde::{Deserialize, Serialize};

/// What applying a change does to the running databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Applied online.
    InPlace,
    /// Pods roll.
    Restart,
    /// The service is unavailable for a while.
    Downtime,
    /// A login stays valid for a role the spec no longer declares: its app was removed
    /// without being retired first. Nothing breaks, which is why it needs a reviewer.
    LoginKept,
    /// The API server, a webhook or the operator refuses it.
    Rejected,
    /// Stored data is deleted or replaced, or an app is pointed at an empty database.
    DataLoss,
}

impl Class {
    pub const ALL: [Class; 6] = [
        Class::DataLoss,
        Class::Rejected,
        Class::LoginKept,
        Class::Downtime,
        Class::Restart,
        Class::InPlace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::InPlace => "in-place",
            Class::Restart => "restart",
            Class::Downtime => "downtime",
            Class::LoginKept => "login-kept",
            Class::Rejected => "rejected",
            Class::DataLoss => "data-loss",
        }
    }

    /// Whether a protected environment needs an acknowledgement for it.
    pub fn needs_acknowledgement(self) -> bool {
        matches!(self, Class::LoginKept | Class::Rejected | Class::DataLoss)
    }
}

/// The classification of one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub class: Class,
    pub reason: String,
    /// For classes that need an acknowledgement: the documented procedure or safer setting.
    pub remedy: Option<String>,
}

impl Verdict {
    pub fn new(class: Class, reason: impl Into<String>) -> Self {
        Self {
            class,
            reason: reason.into(),
            remedy: None,
        }
    }

    #[must_use]
    pub fn remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }
}
