//! The CLI's own journal, when it is given no table: the process's journal kept in a file, so
//! that a run killed between two calls (a second Ctrl-C, a closed terminal, a crash) leaves a
//! record that the next run in the same account and Region finishes first, as the stack's
//! journal does for the functions.
//!
//! One file per account and Region (`journal-ACCOUNT-REGION.json`) in the state directory:
//! `MACIE_GUARD_STATE_DIR`, else `$XDG_STATE_HOME/macie-guard`, else
//! `~/.local/state/macie-guard`. A run holds an exclusive lock on `journal-...lock` for its
//! life, so one run at a time changes jobs there through this journal; a second is refused
//! with a clear error. The lock is the proof that the run which wrote an open entry is gone:
//! a run that takes the lock finishes every open entry at once, without waiting for its lease.
//! Each change to the journal is written whole to a new file and renamed over the old one.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::memory::{MemoryJournal, Snapshot};
use super::{Claim, Entry, Journal, Watch};
use crate::error::{Error, Result};

/// The file's format; a newer one is refused (nothing is changed).
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct OnDisk {
    format: u32,
    #[serde(flatten)]
    journal: Snapshot,
}

/// The journal of the CLI's runs in one account and Region, kept in a file.
#[derive(Debug)]
pub struct FileJournal {
    memory: MemoryJournal,
    path: PathBuf,
    /// Held while the process lives: released by the OS when it ends, however it ends.
    _lock: File,
}

/// Where the CLI keeps its state, from the environment (see the module's documentation).
pub fn state_dir(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |k: &str| var(k).filter(|v| !v.is_empty());
    set("MACIE_GUARD_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| set("XDG_STATE_HOME").map(|d| Path::new(&d).join("macie-guard")))
        .or_else(|| set("HOME").map(|h| Path::new(&h).join(".local/state/macie-guard")))
}

impl FileJournal {
    /// Opens (creating it if needed) the journal of `account` and `region` in `dir`, and takes
    /// its lock; every open entry in it was left by a run that is gone, and is due now.
    pub fn open(dir: &Path, account: &str, region: &str) -> Result<FileJournal> {
        let stem = format!("journal-{account}-{region}");
        let path = dir.join(format!("{stem}.json"));
        let error = |message: String| Error::JournalFile {
            path: path.display().to_string(),
            message,
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| error(format!("cannot create {}: {e}", dir.display())))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let lock_path = dir.join(format!("{stem}.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| error(format!("cannot open {}: {e}", lock_path.display())))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(error(format!(
                    "another macie-guard run in account {account}, {region} holds it ({}): wait for that run to end, or give both runs the stack's --journal-table",
                    lock_path.display()
                )))
            }
            Err(TryLockError::Error(e)) => {
                return Err(error(format!("cannot lock {}: {e}", lock_path.display())))
            }
        }
        let mut snapshot = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Snapshot::default(),
            Err(e) => return Err(error(format!("cannot read it: {e}"))),
            Ok(bytes) => {
                let disk: OnDisk = serde_json::from_slice(&bytes).map_err(|e| {
                    error(format!(
                        "it is not a journal this macie-guard can read ({e}); nothing was changed. Look at the jobs it names before you move it away"
                    ))
                })?;
                if disk.format > FORMAT {
                    return Err(error(format!(
                        "it was written by a newer macie-guard (format {}; this one reads {FORMAT}); nothing was changed: use the newer version",
                        disk.format
                    )));
                }
                disk.journal
            }
        };
        // The lock is ours, so whoever wrote these entries has ended: they are due now.
        for (_, e) in &mut snapshot.entries {
            e.lease_until = 0;
        }
        Ok(FileJournal {
            memory: MemoryJournal::restore(snapshot),
            path,
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many changes are open (claimed, not yet reported).
    pub fn open_entries(&self) -> usize {
        self.memory.all().len()
    }

    /// Writes the journal whole to a new file, then renames it over the old one.
    fn save(&self) -> Result<()> {
        let error = |message: String| Error::JournalFile {
            path: self.path.display().to_string(),
            message,
        };
        let disk = OnDisk {
            format: FORMAT,
            journal: self.memory.snapshot(),
        };
        let bytes = serde_json::to_vec_pretty(&disk).map_err(|e| error(e.to_string()))?;
        let tmp = self.path.with_extension("json.new");
        let mut f = File::create(&tmp).map_err(|e| error(format!("cannot write: {e}")))?;
        f.write_all(&bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| error(format!("cannot write: {e}")))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| error(format!("cannot replace: {e}")))
    }
}

impl Journal for FileJournal {
    async fn entries(&self, scope: &str) -> Result<Vec<Entry>> {
        self.memory.entries(scope).await
    }

    async fn open_scopes(&self) -> Result<Vec<String>> {
        self.memory.open_scopes().await
    }

    async fn claim(&self, scope: &str, entry: &Entry, now: i64) -> Result<Claim> {
        let claim = self.memory.claim(scope, entry, now).await?;
        if matches!(claim, Claim::Granted { .. }) {
            self.save()?;
        }
        Ok(claim)
    }

    async fn release(&self, scope: &str, job_id: &str, owner: &str, made: bool) -> Result<()> {
        self.memory.release(scope, job_id, owner, made).await?;
        self.save()
    }

    async fn hand_over(&self, scope: &str, job_id: &str, owner: &str) -> Result<()> {
        self.memory.hand_over(scope, job_id, owner).await?;
        self.save()
    }

    async fn renew(&self, scope: &str, job_id: &str, owner: &str, until: i64) -> Result<bool> {
        let renewed = self.memory.renew(scope, job_id, owner, until).await?;
        if renewed {
            self.save()?;
        }
        Ok(renewed)
    }

    async fn watch(&self, scope: &str, watch: &Watch) -> Result<()> {
        self.memory.watch(scope, watch).await?;
        self.save()
    }

    async fn watches(&self, scope: &str) -> Result<Vec<Watch>> {
        self.memory.watches(scope).await
    }

    async fn unwatch(&self, scope: &str, job_id: &str) -> Result<()> {
        self.memory.unwatch(scope, job_id).await?;
        self.save()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use macie_guard_core::expiry::plan::Action;
    use macie_guard_core::expiry::policy::Policy;

    fn entry(owner: &str) -> Entry {
        Entry {
            job_id: "j".into(),
            owner: owner.into(),
            lease_until: 4_000_000_000,
            action: Action::KeepPaused,
            policy: Policy::KeepPaused,
            paused_at: "2026-11-01T00:00:00+00:00".into(),
            name: "n".into(),
            decided_at: String::new(),
        }
    }

    /// A folder of the test's own, removed when the test ends (passed or failed).
    struct TempDir(PathBuf);

    impl std::ops::Deref for TempDir {
        type Target = PathBuf;
        fn deref(&self) -> &PathBuf {
            &self.0
        }
    }

    impl AsRef<std::path::Path> for TempDir {
        fn as_ref(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("mg-file-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        TempDir(d)
    }

    /// What a run claimed survives it, is due at once for the next run, and one run at a time
    /// holds the file.
    #[tokio::test]
    async fn a_claim_outlives_its_run_and_one_run_holds_the_file() {
        let d = dir("outlives");
        let first = FileJournal::open(&d, "111122223333", "us-east-1").unwrap();
        assert!(matches!(
            first.claim("s", &entry("run-1"), 10).await.unwrap(),
            Claim::Granted { .. }
        ));
        let err = FileJournal::open(&d, "111122223333", "us-east-1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("another macie-guard run"), "{err}");
        // Another account or Region has a journal of its own.
        FileJournal::open(&d, "111122223333", "eu-west-1").unwrap();
        drop(first);
        let next = FileJournal::open(&d, "111122223333", "us-east-1").unwrap();
        let left = next.entries("s").await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].lease_until, 0, "its writer is gone: due now");
        assert!(matches!(
            next.claim("s", &entry("run-2"), 10).await.unwrap(),
            Claim::Granted { previous: Some(_) }
        ));
        next.release("s", "j", "run-2", true).await.unwrap();
        drop(next);
        // The receipt holds across runs: the same decision is not made again.
        let last = FileJournal::open(&d, "111122223333", "us-east-1").unwrap();
        assert_eq!(
            last.claim("s", &entry("run-3"), 10).await.unwrap(),
            Claim::Done
        );
    }

    /// A file it cannot read, or one of a newer format, stops the run and is left as it is.
    #[test]
    fn an_unreadable_or_newer_file_changes_nothing() {
        let d = dir("unreadable");
        std::fs::create_dir_all(&d).unwrap();
        let path = d.join("journal-1-r.json");
        std::fs::write(&path, "not json").unwrap();
        let err = FileJournal::open(&d, "1", "r").unwrap_err().to_string();
        assert!(
            err.contains("not a journal") && err.contains("nothing was changed"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not json");
        std::fs::write(
            &path,
            r#"{"format": 9, "entries": [], "receipts": [], "watches": []}"#,
        )
        .unwrap();
        let err = FileJournal::open(&d, "1", "r").unwrap_err().to_string();
        assert!(err.contains("newer macie-guard"), "{err}");
    }

    #[test]
    fn the_state_directory_follows_the_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            state_dir(env(&[("MACIE_GUARD_STATE_DIR", "/s"), ("HOME", "/h")])),
            Some(PathBuf::from("/s"))
        );
        assert_eq!(
            state_dir(env(&[("XDG_STATE_HOME", "/x"), ("HOME", "/h")])),
            Some(PathBuf::from("/x/macie-guard"))
        );
        assert_eq!(
            state_dir(env(&[("HOME", "/h")])),
            Some(PathBuf::from("/h/.local/state/macie-guard"))
        );
        assert_eq!(state_dir(env(&[])), None);
    }
}
