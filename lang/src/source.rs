//! Source files and byte spans.
//!
//! Every syntax node, checked item and diagnostic label carries a [`Span`]: a half-open
//! byte range `start..end` into one [`SourceFile`]'s text. Byte offsets map directly onto
//! pest's positions and miette's `SourceSpan`.

use std::sync::Arc;

/// Identifies a loaded source file within one compilation (index into the file list).
pub type FileId = u32;

/// A half-open byte range `start..end` in the text of file `file`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// File the span belongs to (0 = the root program).
    pub file: FileId,
    /// First byte, inclusive.
    pub start: u32,
    /// Last byte, exclusive.
    pub end: u32,
}

impl Span {
    /// A span of `start..end` bytes in file `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span that covers both `self` and `other` (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        (self.end.saturating_sub(self.start)) as usize
    }

    /// True for an empty span (a point, e.g. "expected `}` here").
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// A named source text. `name` is what diagnostics print (usually the path as given).
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Display name, e.g. `examples/managed-cluster.capz`.
    pub name: String,
    /// The full text.
    pub text: Arc<str>,
}

impl SourceFile {
    /// Wrap a name and text.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }

    /// 1-based (line, column) of a byte offset; columns count chars.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = (offset as usize).min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The set of files one compilation read: the root program (id 0) and every `use`d module.
/// lang never reads files itself: the caller supplies a [`Loader`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    /// Files indexed by [`FileId`].
    pub files: Vec<SourceFile>,
}

impl SourceMap {
    /// A map holding only the root file.
    pub fn new(root: SourceFile) -> Self {
        SourceMap { files: vec![root] }
    }

    /// Add a file and return its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX)
    }

    /// The file with this id, if any.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id as usize)
    }

    /// The text a span covers ("" when out of range).
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
    }
}

/// Supplies the text of `use`d modules. The runtime implements it over the file system,
/// tests over a map; lang itself stays free of IO.
pub trait Loader {
    /// Resolve `path` (as written in `use "..."`) relative to the file `from`, and return
    /// the display name and text, or a human-readable reason it could not be read.
    fn load(&self, from: &str, path: &str) -> Result<SourceFile, String>;
}

/// A loader that refuses every `use` (for programs that have none, and the REPL's tests).
pub struct NoLoader;

impl Loader for NoLoader {
    fn load(&self, _from: &str, path: &str) -> Result<SourceFile, String> {
        Err(format!(
            "modules are not available here (tried to load {path})"
        ))
    }
}
