//! What a step's reply means: advance, repeat, list the snapshots again or fail; and the
//! snapshot bookkeeping a reply brings (which to replace, which retention deletes).

use super::*;

/// What a reply leads to.
pub(super) enum Verdict {
    Advance,
    /// The step has more calls to make (retention deleting several backups).
    Again,
    /// The listing found the snapshot an unknown take made: skip the take.
    AdvanceTwice,
    Repeat(String),
    /// List the snapshots again before retrying the take.
    ListAgain(String),
    Fail(String),
}

impl Pipeline {
    /// Decides what a reply means for step `s`.
    pub(super) fn judge(&mut self, s: Step, reply: Reply) -> Verdict {
        use StepKind::*;
        match (s.kind, reply) {
            (_, Reply::Refused(why)) => Verdict::Fail(why),
            (Install, Reply::Unknown(why)) => {
                // It may have run: only a rollback makes the state known again.
                self.installed |= s.on == StepOn::Target;
                Verdict::Fail(format!("install outcome unknown: {why}"))
            }
            (TakeSnapshot, Reply::Unknown(why)) => {
                self.adopt_new_snapshot = true;
                Verdict::ListAgain(format!("snapshot outcome unknown: {why}"))
            }
            (_, Reply::Unknown(why) | Reply::NotYet(why)) => Verdict::Repeat(why),
            (ListSnapshots, Reply::Snapshots(list)) => {
                if self.adopt_new_snapshot {
                    self.adopt_new_snapshot = false;
                    let known =
                        |x: &SnapshotInfo| self.known_snapshots.iter().any(|k| k.id == x.id);
                    if let Some(new) = list.iter().find(|x| !known(x)).cloned() {
                        // The unknown call took it: adopt it rather than take another.
                        self.took(new);
                        return Verdict::AdvanceTwice;
                    }
                }
                self.known_snapshots = list.clone();
                match choose_replacement(&list, &self.replaceable()) {
                    Ok(replace) => {
                        self.replace = replace;
                        Verdict::Advance
                    }
                    Err(why) => Verdict::Fail(why),
                }
            }
            (TakeSnapshot, Reply::Taken(info)) => {
                self.took(info);
                Verdict::Advance
            }
            (DeleteSnapshot, Reply::Done) => {
                if !self.prune.is_empty() {
                    self.deleted.push(self.prune.remove(0));
                }
                if self.prune.is_empty() {
                    Verdict::Advance
                } else {
                    Verdict::Again
                }
            }
            (VerifyModule, Reply::ModuleHash(hash)) => {
                let Work::Upgrade { module, .. } = &self.request.work else {
                    return Verdict::Fail("only upgrades verify a module".into());
                };
                if hash.as_ref() == Some(&module.hash) {
                    return Verdict::Advance;
                }
                Verdict::Fail(format!(
                    "the canister runs module {}, not the one installed ({})",
                    hash.map_or_else(|| "none".into(), hex),
                    hex(module.hash.clone())
                ))
            }
            (Install, Reply::Done) => {
                self.installed |= s.on == StepOn::Target;
                Verdict::Advance
            }
            (_, Reply::Done) => Verdict::Advance,
            (kind, other) => Verdict::Fail(format!("unexpected reply to {kind:?}: {other:?}")),
        }
    }

    /// The snapshots a new one may replace and retention may delete: those the request names,
    /// or every one the canister holds for a backup told to `replace_any`.
    pub(super) fn replaceable(&self) -> Vec<SnapshotId> {
        match self.request.work {
            Work::Backup {
                replace_any: true, ..
            } => self.known_snapshots.iter().map(|k| k.id.clone()).collect(),
            _ => self.request.replaceable.clone(),
        }
    }

    /// Records the snapshot taken; a backup's retention then names the backups to delete: the
    /// oldest of those it may delete beyond `keep` (counting the new one).
    pub(super) fn took(&mut self, info: SnapshotInfo) {
        self.replaced = self.replace.take();
        if let Work::Backup { keep, .. } = self.request.work {
            let replaceable = self.replaceable();
            let mut backups: Vec<&SnapshotInfo> = self
                .known_snapshots
                .iter()
                .filter(|k| replaceable.contains(&k.id))
                .filter(|k| Some(&k.id) != self.replaced.as_ref() && k.id != info.id)
                .collect();
            backups.sort_by_key(|k| (k.taken_at_ns, k.id.clone()));
            let excess = (backups.len() + 1).saturating_sub(usize::from(keep.max(1)));
            self.prune = backups.iter().take(excess).map(|k| k.id.clone()).collect();
        }
        self.snapshot = Some(info);
    }
}
