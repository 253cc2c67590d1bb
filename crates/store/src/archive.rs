//! Content-addressed archive of raw payloads: every published value traces back to its bytes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::StoreError;

/// A directory of payloads named by the SHA-256 of their bytes (`sha256/ab/abcdef…`).
#[derive(Debug, Clone)]
pub struct PayloadArchive {
    root: PathBuf,
}

/// A payload once archived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedPayload {
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Byte length.
    pub size: u64,
    /// Where the bytes are.
    pub path: PathBuf,
    /// Whether these bytes were already archived before.
    pub already_present: bool,
}

impl PayloadArchive {
    /// An archive rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The hex SHA-256 of some bytes.
    pub fn digest(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// The path the payload with this digest has (or would have).
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join("sha256").join(prefix).join(sha256)
    }

    /// Stores the bytes unless already present. The file appears whole or not at all
    /// (written to a temporary file, synced, then renamed).
    pub fn archive(&self, bytes: &[u8]) -> Result<ArchivedPayload, StoreError> {
        let sha256 = Self::digest(bytes);
        let path = self.path_of(&sha256);
        let size = bytes.len() as u64;
        if path.exists() {
            return Ok(ArchivedPayload {
                sha256,
                size,
                path,
                already_present: true,
            });
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        let io = |source| StoreError::Io {
            path: dir.clone(),
            source,
        };
        fs::create_dir_all(&dir).map_err(io)?;
        let mut file = tempfile::NamedTempFile::new_in(&dir).map_err(io)?;
        file.write_all(bytes).map_err(io)?;
        file.as_file().sync_all().map_err(io)?;
        file.persist(&path).map_err(|e| StoreError::Io {
            path: path.clone(),
            source: e.error,
        })?;
        Ok(ArchivedPayload {
            sha256,
            size,
            path,
            already_present: false,
        })
    }

    /// Reads an archived payload back.
    pub fn read(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path_of(sha256);
        fs::read(&path).map_err(|source| StoreError::Io { path, source })
    }

    /// The archive root.
    pub fn root(&self) -> &Path {
        &self.root
    }
}
