//! The file-system [`lang::source::Loader`]: `use "path.capz"` is resolved relative to the
//! directory of the file that says it.

use lang::SourceFile;
use lang::source::Loader;
use std::path::{Component, Path, PathBuf};

/// `a/./b/../c` → `a/c`, without touching the file system (so that one file reached by
/// two spellings has one name, which is how lang recognises it and `use` cycles). A `..`
/// that climbs above the start is kept.
fn normalize(p: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// Loads modules from disk. Display names are the joined, normalised paths
/// (`examples/modules/x.capz` for `use "./modules/x.capz"` in `examples/fleet.capz`).
#[derive(Clone, Copy, Debug, Default)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn load(&self, from: &str, path: &str) -> Result<SourceFile, String> {
        let p = Path::new(path);
        let full = if p.is_absolute() {
            p.to_path_buf()
        } else {
            Path::new(from)
                .parent()
                .map_or_else(|| p.to_path_buf(), |dir| dir.join(p))
        };
        let full = normalize(&full);
        let name = full.display().to_string();
        std::fs::read_to_string(&full)
            .map(|text| SourceFile::new(name.clone(), text))
            .map_err(|e| format!("cannot read {name}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_to_the_using_file() {
        let dir = std::env::temp_dir().join(format!("capz-loader-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("modules")).unwrap();
        std::fs::write(dir.join("modules/m.capz"), "param x: int = 1\n").unwrap();
        let from = dir.join("main.capz").display().to_string();
        let f = FsLoader.load(&from, "modules/m.capz").unwrap();
        assert!(f.name.ends_with("modules/m.capz"));
        assert_eq!(&*f.text, "param x: int = 1\n");
        let back = FsLoader.load(&f.name, "../modules/./m.capz").unwrap();
        assert_eq!(back.name, f.name);
        let err = FsLoader.load(&from, "missing.capz").unwrap_err();
        assert!(err.contains("missing.capz"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn normalizes_dots() {
        assert_eq!(
            normalize(Path::new("./a/./b/../c.capz")),
            Path::new("a/c.capz")
        );
        assert_eq!(normalize(Path::new("../x/../y")), Path::new("../y"));
        assert_eq!(normalize(Path::new("/a/../../b")), Path::new("/b"));
    }
}
