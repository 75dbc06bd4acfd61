//! Message bodies as files in one directory.
//!
//! A body is written to `<key>.tmp`, fsynced, then renamed to `<key>`. The
//! rename is made durable by an fsync of the directory, which the writer task
//! does once per batch, before the database commit that makes the message
//! visible. Blocking calls; the async side runs them under `spawn_blocking`.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};

const TMP_SUFFIX: &str = ".tmp";

/// The body directory.
#[derive(Debug)]
pub(crate) struct BodyDir {
    dir: PathBuf,
}

impl BodyDir {
    /// Uses (creating if needed) `dir`.
    pub(crate) fn open(dir: PathBuf) -> Result<Self> {
        fs::create_dir_all(&dir).map_err(|e| StoreError::Open {
            path: dir.clone(),
            detail: format!("creating body directory: {e}"),
        })?;
        Ok(Self { dir })
    }

    /// The path of the body with this key.
    pub(crate) fn path(&self, key: &str) -> PathBuf {
        self.dir.join(key)
    }

    /// Writes `bytes` as the body `key`: temp file, fsync, rename. The
    /// directory is NOT synced here (see [`BodyDir::sync_dir`]). On error the
    /// temp file is removed and nothing is left under `key`.
    pub(crate) fn write(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let tmp = self.dir.join(format!("{key}{TMP_SUFFIX}"));
        let result = (|| -> io::Result<()> {
            let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, self.path(key))
        })();
        result.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            StoreError::io(format!("writing body {}", tmp.display()), e)
        })
    }

    /// Makes the renames and removals done so far durable.
    pub(crate) fn sync_dir(&self) -> Result<()> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| {
                StoreError::io(format!("syncing body directory {}", self.dir.display()), e)
            })
    }

    /// Reads the body `key`.
    pub(crate) fn read(&self, key: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path(key))
    }

    /// Removes the body `key`; a missing file is fine.
    pub(crate) fn remove(&self, key: &str) -> Result<()> {
        match fs::remove_file(self.path(key)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(StoreError::io(format!("removing body {key}"), e))
            }
            _ => Ok(()),
        }
    }

    /// At open: removes temp files (a write a crash interrupted) and bodies
    /// the database does not list as present (a crash between the rename and
    /// the commit, or between a GC commit and the file removal). Returns how
    /// many files were removed.
    pub(crate) fn sweep(&self, present: &HashSet<String>) -> Result<usize> {
        let mut removed = 0;
        let entries = fs::read_dir(&self.dir)
            .map_err(|e| StoreError::io(format!("listing {}", self.dir.display()), e))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| StoreError::io(format!("listing {}", self.dir.display()), e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !is_ours(name) || present.contains(name) {
                continue;
            }
            fs::remove_file(entry.path())
                .map_err(|e| StoreError::io(format!("removing stale body {name}"), e))?;
            removed += 1;
        }
        if removed > 0 {
            self.sync_dir()?;
        }
        Ok(removed)
    }

    /// The directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Body file names are 32 lowercase hex digits, optionally with the temp
/// suffix; anything else in the directory is left alone.
fn is_ours(name: &str) -> bool {
    let key = name.strip_suffix(TMP_SUFFIX).unwrap_or(name);
    key.len() == 32
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A fresh random body key.
pub(crate) fn new_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_sweep() {
        let t = tempfile::tempdir().unwrap();
        let b = BodyDir::open(t.path().join("bodies")).unwrap();
        let k1 = new_key();
        let k2 = new_key();
        b.write(&k1, b"hello").unwrap();
        b.write(&k2, b"orphan").unwrap();
        fs::write(b.dir().join(format!("{}.tmp", new_key())), b"half").unwrap();
        fs::write(b.dir().join("README"), b"not ours").unwrap();
        // Writing an existing temp name fails and leaves no temp behind.
        fs::write(b.dir().join(format!("{k1}.tmp")), b"x").unwrap();
        assert!(b.write(&k1, b"again").is_err());
        assert!(!b.dir().join(format!("{k1}.tmp")).exists());
        assert_eq!(b.read(&k1).unwrap(), b"hello");

        let present: HashSet<String> = [k1.clone()].into();
        assert_eq!(b.sweep(&present).unwrap(), 2);
        let mut left: Vec<_> = fs::read_dir(b.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut want = vec![k1.clone(), "README".to_string()];
        want.sort();
        assert_eq!(left, want);
        b.remove(&k1).unwrap();
        b.remove(&k1).unwrap();
    }
}
