//! What the story records as it goes: a timeline of lines, samples of each canister's cycles and
//! memory, and marks where a canister was upgraded or rolled back.

use std::fmt::Write;

/// Nanoseconds in a second.
pub const NS: u64 = 1_000_000_000;

/// One line of the timeline.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Seconds since the story began (emulated time).
    pub at_secs: u64,
    pub chapter: &'static str,
    pub text: String,
}

/// One canister's cycles and memory at one moment.
#[derive(Clone, Debug)]
pub struct Sample {
    pub at_secs: u64,
    pub canister: &'static str,
    pub cycles: u128,
    pub heap_bytes: u64,
    pub stable_bytes: u64,
}

/// What a mark on a canister's charts stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// A new release went live.
    Upgrade,
    /// A release failed and the canister was brought back to the one before.
    Rollback,
    /// The monitor took a backup.
    Backup,
    /// A backup was restored.
    Restore,
}

/// A moment drawn across a canister's charts: an upgrade, a rollback, a backup, a restore.
#[derive(Clone, Debug)]
pub struct Mark {
    pub at_secs: u64,
    pub canister: &'static str,
    pub kind: MarkKind,
    /// Written beside the mark (`upgrade v2 ✓`).
    pub label: String,
    /// Shown on hover: what happened, in a sentence.
    pub detail: String,
}

/// The timeline, the samples and the marks; entries are printed as they arrive when `echo` is on.
#[derive(Default)]
pub struct Journal {
    pub entries: Vec<Entry>,
    pub samples: Vec<Sample>,
    pub marks: Vec<Mark>,
    start_ns: u64,
    echo: bool,
}

impl Journal {
    /// A journal whose time 0 is `start_ns`; `echo` prints each entry as it is added.
    pub fn new(start_ns: u64, echo: bool) -> Self {
        Journal {
            start_ns,
            echo,
            ..Default::default()
        }
    }

    /// Seconds between the story's start and `now_ns`.
    pub fn secs(&self, now_ns: u64) -> u64 {
        now_ns.saturating_sub(self.start_ns) / NS
    }

    /// Adds a timeline line.
    pub fn note(&mut self, now_ns: u64, chapter: &'static str, text: impl Into<String>) {
        let entry = Entry {
            at_secs: self.secs(now_ns),
            chapter,
            text: text.into(),
        };
        if self.echo {
            println!("{}", format_entry(&entry));
        }
        self.entries.push(entry);
    }

    /// Adds a sample.
    pub fn sample(&mut self, sample: Sample) {
        self.samples.push(sample);
    }

    /// Adds a mark on `canister`'s charts at `now_ns`.
    pub fn mark(
        &mut self,
        now_ns: u64,
        canister: &'static str,
        kind: MarkKind,
        label: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.marks.push(Mark {
            at_secs: self.secs(now_ns),
            canister,
            kind,
            label: label.into(),
            detail: detail.into(),
        });
    }

    /// The whole timeline as text.
    pub fn timeline(&self) -> String {
        let mut out = String::new();
        for entry in &self.entries {
            let _ = writeln!(out, "{}", format_entry(entry));
        }
        out
    }
}

/// `[  mm:ss] chapter  text`
pub fn format_entry(entry: &Entry) -> String {
    format!(
        "[{:>4}:{:02}] {:<10} {}",
        entry.at_secs / 60,
        entry.at_secs % 60,
        entry.chapter,
        entry.text
    )
}
