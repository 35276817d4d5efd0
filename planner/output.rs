//! Writing the plan directory: the only library code that touches the filesystem (it never
//! prints; the binary prints what it returns).
//!
//! The files are written into a temporary sibling directory, `.<name>.silo-plan-tmp-<pid>`,
//! and moved into place at the end, so a failure while rendering or writing leaves the output
//! as it was. Replacing an existing output takes two renames: the old one aside to
//! `.<name>.silo-plan-old-<pid>`, the new one into place; then the old one is removed. A run
//! killed between the two renames leaves no output at the path, only those two directories: the
//! next run puts the old output back before it does anything else, and removes leftover
//! temporary directories (their names say they are silo-plan's). An old output left beside a
//! new one (its removal failed, or the run was killed just before) is removed by the next run.
//!
//! Refused before anything is rendered: an output that is a file (or anything but a
//! directory), even with `force`; one that is, or contains, an input of the plan (the config,
//! a dump), which replacing it would delete; a non-empty directory without `force`.
//!
//! Two runs writing the same output at the same time are not supported.
//!
//! Every message says what is on disk afterwards: "nothing was written" only when the output
//! is as it was.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::render::{OutFile, RenderError};

/// Where [`write_dir`] fails on purpose: a seam for tests of the failure paths, which cannot be
/// caused reliably from outside (a full disk, a kill at one precise moment). The binary always
/// passes [`Fault::None`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fault {
    /// No failure.
    #[default]
    None,
    /// Writing the file with this index (0-based, in the order rendered) fails.
    WriteFails(usize),
    /// The run stops dead after the old output was moved aside and before the new one is moved
    /// into place, cleaning nothing up: what a kill at that moment leaves.
    StopBetweenRenames,
    /// Removing the old output, once the new one is in place, fails.
    RemoveOldFails,
}

/// How [`write_dir`] writes.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Replace a non-empty output directory.
    pub force: bool,
    /// The files and directories the plan was made from (config, dumps): an output that is or
    /// contains one of them is refused.
    pub inputs: Vec<PathBuf>,
    /// A failure to cause (tests only).
    pub fault: Fault,
}

/// What [`write_dir`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// The files written, relative to the output directory, sorted.
    pub files: Vec<String>,
    /// Things done or left besides the files, each a sentence: leftovers of an earlier run
    /// restored or removed, an old output that could not be removed.
    pub notes: Vec<String>,
}

/// Why [`write_dir`] failed, and what is on disk.
#[derive(Debug)]
pub struct WriteError {
    /// The error, ending with what the output is now.
    pub message: String,
    /// As [`Written::notes`]: what was done to leftovers of an earlier run before failing.
    pub notes: Vec<String>,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WriteError {}

/// The names of the two kinds of sibling directories a run uses for `name`.
const TMP: &str = "silo-plan-tmp-";
const OLD: &str = "silo-plan-old-";

fn sibling(parent: &Path, name: &str, kind: &str) -> PathBuf {
    parent.join(format!(".{name}.{kind}{}", std::process::id()))
}

/// Leftovers of earlier runs for `name` in `parent`, of one kind: `.<name>.<kind><pid>`, sorted.
fn leftovers(parent: &Path, name: &str, kind: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}.{kind}");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name().to_str().is_some_and(|n| {
                n.strip_prefix(&prefix)
                    .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            })
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

fn remove_any(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Puts back what an interrupted earlier run left: an old output whose replacement never
/// arrived (no output at `out`, and the same run's temporary directory still there: it was
/// killed between the renames) is moved back to `out`; other old outputs (their removal failed)
/// and leftover temporary directories are removed. Adds a sentence to `notes` for each thing
/// done.
fn recover(out: &Path, parent: &Path, name: &str, notes: &mut Vec<String>) -> Result<(), String> {
    let mut olds = leftovers(parent, name, OLD);
    let tmps = leftovers(parent, name, TMP);
    if std::fs::symlink_metadata(out).is_err() {
        let pid_of = |p: &Path, kind: &str| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.rsplit_once(kind))
                .map(|(_, pid)| pid.to_string())
        };
        let interrupted: Vec<usize> = (0..olds.len())
            .filter(|&i| {
                let pid = pid_of(&olds[i], OLD);
                tmps.iter().any(|t| pid_of(t, TMP) == pid)
            })
            .collect();
        // The newest, should there be several.
        let newest = interrupted.into_iter().max_by_key(|&i| {
            std::fs::metadata(&olds[i])
                .and_then(|m| m.modified())
                .unwrap_or(std::time::SystemTime::UNIX_EPOCH)
        });
        if let Some(i) = newest {
            let old = olds.remove(i);
            std::fs::rename(&old, out).map_err(|e| {
                format!(
                    "an earlier run was interrupted and left the previous output in {}; it cannot be moved back to {}: {e}",
                    old.display(),
                    out.display()
                )
            })?;
            notes.push(format!(
                "restored {} from {}, where an interrupted earlier run had left it",
                out.display(),
                old.display()
            ));
        }
    }
    for old in olds {
        remove_any(&old).map_err(|e| {
            format!(
                "cannot remove {}, an old output an earlier run left beside {}: {e}",
                old.display(),
                out.display()
            )
        })?;
        notes.push(format!(
            "removed {}, an old output an earlier run left beside {}",
            old.display(),
            out.display()
        ));
    }
    for tmp in tmps {
        remove_any(&tmp).map_err(|e| {
            format!(
                "cannot remove {}, a temporary directory an earlier run left: {e}",
                tmp.display()
            )
        })?;
        notes.push(format!(
            "removed {}, a temporary directory an earlier run left",
            tmp.display()
        ));
    }
    Ok(())
}

/// The input that `out` is or contains, if any (paths compared canonicalized; an output that
/// does not exist contains nothing).
fn input_inside(out: &Path, inputs: &[PathBuf]) -> Option<PathBuf> {
    let out = std::fs::canonicalize(out).ok()?;
    inputs.iter().find_map(|i| {
        let c = std::fs::canonicalize(i).ok()?;
        c.starts_with(&out).then(|| i.clone())
    })
}

/// Writes the files `produce` hands over under `out` (see the module documentation). Returns
/// the files written, sorted, and notes about leftovers of earlier runs.
pub fn write_dir(
    out: &Path,
    opts: &Options,
    produce: impl FnOnce(&mut dyn FnMut(OutFile) -> Result<(), RenderError>) -> Result<(), RenderError>,
) -> Result<Written, WriteError> {
    let fail = |message: String, notes: &[String]| WriteError {
        message,
        notes: notes.to_vec(),
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .ok_or_else(|| {
            fail(
                format!(
                    "{}: not a directory name; nothing was written",
                    out.display()
                ),
                &[],
            )
        })?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut notes = Vec::new();
    if let Err(e) = recover(out, &parent, &name, &mut notes) {
        return Err(fail(format!("{e}; nothing was written"), &notes));
    }
    let refuse = |message: String| fail(format!("{message}; nothing was written"), &notes);
    if let Some(input) = input_inside(out, &opts.inputs) {
        return Err(refuse(format!(
            "{} holds {}, an input of this plan, which replacing it would delete: choose another --out",
            out.display(),
            input.display()
        )));
    }
    let present = match std::fs::metadata(out) {
        Ok(m) if !m.is_dir() => {
            return Err(refuse(format!(
                "{} is a file, not a directory: refusing to replace it (--force replaces only a directory); choose another --out",
                out.display()
            )));
        }
        Ok(_) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(refuse(format!("cannot read {}: {e}", out.display()))),
    };
    if present {
        let empty = std::fs::read_dir(out)
            .map_err(|e| refuse(format!("cannot read {}: {e}", out.display())))?
            .next()
            .is_none();
        if !empty && !opts.force {
            return Err(refuse(format!(
                "{} is not empty: pass --force to replace it",
                out.display()
            )));
        }
    }

    let tmp = sibling(&parent, &name, TMP);
    let mut written: Vec<String> = Vec::new();
    // A rendering error and a writing error end the same way (no output), but say different
    // things.
    let mut io_error: Option<io::Error> = None;
    let filled = (|| -> Result<(), String> {
        let io = |e: io::Error| format!("cannot write {}: {e}", out.display());
        std::fs::create_dir_all(&tmp).map_err(io)?;
        let fault = opts.fault;
        let mut write_one = |f: &OutFile| -> io::Result<()> {
            if fault == Fault::WriteFails(written.len()) {
                return Err(io::Error::other("simulated write failure"));
            }
            let path = tmp.join(&f.path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, &f.contents)?;
            // Generated scripts (phases/run.sh) are run directly, as the runbook says.
            #[cfg(unix)]
            if f.path.ends_with(".sh") {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
            }
            written.push(f.path.clone());
            Ok(())
        };
        let rendered = produce(&mut |f| {
            write_one(&f).map_err(|e| {
                let r = RenderError(e.to_string());
                io_error = Some(e);
                r
            })
        });
        if let Some(e) = io_error.take() {
            return Err(io(e));
        }
        rendered.map_err(|e| e.to_string())
    })();
    // Before the swap: the output is untouched whatever happens to the temporary directory.
    let as_it_was = if present {
        format!("{} is as it was", out.display())
    } else {
        format!("{} was not created", out.display())
    };
    let drop_tmp = |message: String, notes: &[String]| {
        match remove_any(&tmp) {
        Ok(()) => fail(format!("{message}; nothing was written ({as_it_was})"), notes),
        Err(e) => fail(
            format!(
                "{message}; {as_it_was}, and the partial output is left in {} (cannot remove it: {e}; the next run removes it)",
                tmp.display()
            ),
            notes,
        ),
    }
    };
    if let Err(e) = filled {
        return Err(drop_tmp(e, &notes));
    }

    if !present {
        std::fs::rename(&tmp, out).map_err(|e| {
            drop_tmp(
                format!("cannot move the new plan to {}: {e}", out.display()),
                &notes,
            )
        })?;
    } else {
        let old = sibling(&parent, &name, OLD);
        std::fs::rename(out, &old).map_err(|e| {
            drop_tmp(
                format!(
                    "cannot move the previous output {} aside: {e}",
                    out.display()
                ),
                &notes,
            )
        })?;
        if opts.fault == Fault::StopBetweenRenames {
            return Err(fail(
                format!(
                    "stopped between the renames (simulated): the previous output is in {}, the new plan in {}",
                    old.display(),
                    tmp.display()
                ),
                &notes,
            ));
        }
        if let Err(e) = std::fs::rename(&tmp, out) {
            let message = format!("cannot move the new plan to {}: {e}", out.display());
            return Err(match std::fs::rename(&old, out) {
                Ok(()) => drop_tmp(message, &notes),
                Err(back) => fail(
                    format!(
                        "{message}; the previous output cannot be moved back either ({back}): it is in {}, and the new plan in {} (the next run moves the previous output back)",
                        old.display(),
                        tmp.display()
                    ),
                    &notes,
                ),
            });
        }
        let removed = if opts.fault == Fault::RemoveOldFails {
            Err(io::Error::other("simulated removal failure"))
        } else {
            remove_any(&old)
        };
        if let Err(e) = removed {
            notes.push(format!(
                "the new plan is in {}, but the previous output could not be removed from {}: {e} (remove it by hand; the next run removes it)",
                out.display(),
                old.display()
            ));
        }
    }
    written.sort();
    Ok(Written {
        files: written,
        notes,
    })
}
