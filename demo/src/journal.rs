//! What the story records as it goes: a timeline of lines and samples of each canister's
//! cycles and memory.

use std::fmt::Write;

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

/// The timeline and the samples, printed as they arrive when `echo` is on.
#[derive(Default)]
pub struct Journal {
    pub entries: Vec<Entry>,
    pub samples: Vec<Sample>,
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
        now_ns.saturating_sub(self.start_ns) / 1_000_000_000
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
