//! The file-system [`lang::source::Loader`]: `use "path.capz"` is resolved relative to the
//! directory of the file that says it.

use lang::SourceFile;
use lang::source::Loader;
use std::path::Path;

/// Loads modules from disk. Display names are the joined paths (`examples/modules/x.capz`).
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
        let err = FsLoader.load(&from, "missing.capz").unwrap_err();
        assert!(err.contains("missing.capz"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
