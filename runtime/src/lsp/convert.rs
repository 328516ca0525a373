//! Positions and URIs: capz's byte offsets against LSP's (line, UTF-16 column) positions,
//! and `file://` URIs against paths.
//!
//! LSP positions count UTF-16 code units by default (the LSP 3.17 specification, "Position":
//! "character offset on a line in a document (zero-based) ... based on the
//! PositionEncodingKind ... defaults to UTF-16"); capz spans count bytes.

use lsp_types::{Position, Range, Uri};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Line starts of one text, for converting offsets both ways.
#[derive(Clone, Debug)]
pub struct LineIndex {
    text: std::sync::Arc<str>,
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index `text`.
    pub fn new(text: std::sync::Arc<str>) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The text indexed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The LSP position of byte `offset` (clamped to the text).
    pub fn position(&self, offset: u32) -> Position {
        let offset = (offset as usize).min(self.text.len());
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let start = self.starts[line];
        let mut end = offset;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col: usize = self.text[start..end].chars().map(char::len_utf16).sum();
        Position::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(col).unwrap_or(u32::MAX),
        )
    }

    /// The byte offset of an LSP position (a column past the end of its line is the line's
    /// end; a line past the end is the end of the text).
    pub fn offset(&self, p: Position) -> u32 {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        };
        let line_end = self
            .starts
            .get(p.line as usize + 1)
            .map_or(self.text.len(), |e| e - 1);
        let mut units = 0u32;
        let mut at = start;
        for c in self.text[start..line_end].chars() {
            if units >= p.character {
                break;
            }
            units += u32::try_from(c.len_utf16()).unwrap_or(1);
            at += c.len_utf8();
        }
        u32::try_from(at).unwrap_or(u32::MAX)
    }

    /// The LSP range of a byte span.
    pub fn range(&self, start: u32, end: u32) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    /// The range of the whole text.
    pub fn whole(&self) -> Range {
        self.range(0, u32::try_from(self.text.len()).unwrap_or(u32::MAX))
    }
}

/// The path of a `file://` URI (percent-decoded); `None` for other schemes.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // `file://host/path`: only the local host (empty) is a path here.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = path.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

/// The `file://` URI of an absolute path (bytes outside RFC 3986's unreserved set and `/`
/// percent-encoded). A relative path is made absolute against the current directory.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    let s = abs.to_str()?;
    let mut out = String::from("file://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_round_trip_with_utf16_columns() {
        let ix = LineIndex::new("ab\né𝄞x\n".into());
        assert_eq!(ix.position(0), Position::new(0, 0));
        assert_eq!(ix.position(3), Position::new(1, 0));
        // é is 2 bytes / 1 unit, 𝄞 4 bytes / 2 units.
        assert_eq!(ix.position(9), Position::new(1, 3));
        assert_eq!(ix.offset(Position::new(1, 3)), 9);
        assert_eq!(ix.offset(Position::new(1, 99)), 10);
        assert_eq!(ix.offset(Position::new(9, 0)), 11);
        // Inside a multi-byte char: the char's start.
        assert_eq!(ix.position(4), Position::new(1, 0));
    }

    #[test]
    fn file_uris_and_paths() {
        let u = path_to_uri(Path::new("/tmp/a b/c.capz")).unwrap();
        assert_eq!(u.as_str(), "file:///tmp/a%20b/c.capz");
        assert_eq!(uri_to_path(&u).unwrap(), PathBuf::from("/tmp/a b/c.capz"));
        assert!(uri_to_path(&Uri::from_str("untitled:Untitled-1").unwrap()).is_none());
    }
}
