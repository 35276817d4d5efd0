//! Paths as the plan names them: relative to the config's directory, so that the files `plan`
//! writes are the same whatever directory it ran from and however the config was named
//! (`examples/saas`, `saas/silo-plan.toml`, an absolute path). Reads no file: the caller gives
//! the working directory.

use std::path::{Component, Path, PathBuf};

/// `path` made absolute against `cwd`, with `.` dropped and `..` applied to what precedes it
/// (lexically: a symbolic link followed by `..` is not resolved).
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                // `/..` is `/`.
                if !matches!(
                    out.components().next_back(),
                    Some(Component::RootDir) | None
                ) {
                    out.pop();
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// `to` relative to the directory `from`, both absolute and normalized as [`absolute`] makes
/// them, `/`-separated (`../db/structure.sql`; `.` for `from` itself).
pub fn relative(from: &Path, to: &Path) -> String {
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..a.len() {
        parts.push("..".to_string());
    }
    for c in &b[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_from_the_config_directory() {
        let cwd = Path::new("/work/repo");
        let dir = absolute(cwd, Path::new("examples/saas"));
        assert_eq!(dir, PathBuf::from("/work/repo/examples/saas"));
        assert_eq!(
            relative(
                &dir,
                &absolute(cwd, Path::new("examples/saas/./schema.sql"))
            ),
            "schema.sql"
        );
        assert_eq!(
            relative(&dir, &absolute(cwd, Path::new("/work/repo/db/../db/x.sql"))),
            "../../db/x.sql"
        );
        assert_eq!(relative(&dir, &dir), ".");
        assert_eq!(absolute(cwd, Path::new("/../a")), PathBuf::from("/a"));
        assert_eq!(relative(Path::new("/"), Path::new("/a/b.sql")), "a/b.sql");
    }
}
