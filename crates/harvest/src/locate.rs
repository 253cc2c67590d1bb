//! Where a record sits in its payload: the line range of a JSON pointer, or a CSV line.

/// The first and last line (1-based) of the record at `location` in `payload`: a JSON
/// pointer (`/report/13`) is resolved in the JSON text; `line N` is that line. `None` when
/// the location does not resolve.
pub fn record_lines(payload: &[u8], location: &str) -> Option<(u64, u64)> {
    if let Some(range) = location.strip_prefix("lines ") {
        let (first, last) = range.split_once('-')?;
        return Some((first.trim().parse().ok()?, last.trim().parse().ok()?));
    }
    if let Some(line) = location.strip_prefix("line ") {
        let line = line.trim().parse().ok()?;
        return Some((line, line));
    }
    let tokens = pointer_tokens(location)?;
    let mut scanner = Scanner::new(payload);
    scanner.seek(&tokens)?;
    scanner.value_lines()
}

/// [`record_lines`] for many locations at once, in one pass over the payload for the
/// records of one array (`/report/0`, `/report/1`, …), so a large payload costs linear time.
pub fn records_lines(payload: &[u8], locations: &[String]) -> Vec<Option<(u64, u64)>> {
    let mut by_array: std::collections::HashMap<&str, Option<Vec<(u64, u64)>>> =
        std::collections::HashMap::new();
    locations
        .iter()
        .map(|location| {
            let Some((parent, index)) = location
                .rsplit_once('/')
                .filter(|(_, i)| location.starts_with('/') && i.parse::<usize>().is_ok())
            else {
                return record_lines(payload, location);
            };
            let elements = by_array.entry(parent).or_insert_with(|| {
                let tokens = if parent.is_empty() {
                    Some(Vec::new())
                } else {
                    pointer_tokens(parent)
                };
                let mut scanner = Scanner::new(payload);
                scanner.seek(&tokens?)?;
                scanner.element_lines()
            });
            let index: usize = index.parse().ok()?;
            elements.as_ref()?.get(index).copied()
        })
        .collect()
}

fn pointer_tokens(pointer: &str) -> Option<Vec<String>> {
    Some(
        pointer
            .strip_prefix('/')?
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// The deepest nesting followed; deeper documents are not located (never a stack overflow).
const MAX_DEPTH: usize = 256;

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
    depth: usize,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            pos: 0,
            line: 1,
            depth: 0,
        }
    }

    /// The lines of the value that starts here.
    fn value_lines(&mut self) -> Option<(u64, u64)> {
        self.skip_whitespace();
        let first = self.line;
        self.skip_value()?;
        Some((first, self.line))
    }

    /// The lines of every element of the array that starts here.
    fn element_lines(&mut self) -> Option<Vec<(u64, u64)>> {
        self.skip_whitespace();
        if self.bump()? != b'[' {
            return None;
        }
        let mut lines = Vec::new();
        loop {
            self.skip_whitespace();
            match self.peek()? {
                b']' => return Some(lines),
                b',' => {
                    self.bump();
                }
                _ => lines.push(self.value_lines()?),
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.bump();
        }
    }

    /// Reads a string (the opening quote is next) and returns its raw content.
    fn string(&mut self) -> Option<&[u8]> {
        if self.bump()? != b'"' {
            return None;
        }
        let start = self.pos;
        loop {
            match self.bump()? {
                b'\\' => {
                    self.bump()?;
                }
                b'"' => return self.bytes.get(start..self.pos - 1),
                _ => {}
            }
        }
    }

    fn skip_value(&mut self) -> Option<()> {
        self.skip_whitespace();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                let close = if self.bump()? == b'{' { b'}' } else { b']' };
                loop {
                    self.skip_whitespace();
                    match self.peek()? {
                        b if b == close => {
                            self.bump();
                            self.depth -= 1;
                            return Some(());
                        }
                        b',' | b':' => {
                            self.bump();
                        }
                        _ => self.skip_value()?,
                    }
                }
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
                ) {
                    self.bump();
                }
                Some(())
            }
        }
    }

    /// Moves to the start of the value at `path` (relative to the value that starts here).
    fn seek(&mut self, path: &[String]) -> Option<()> {
        self.skip_whitespace();
        let Some((token, rest)) = path.split_first() else {
            return Some(());
        };
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        match self.bump()? {
            b'{' => loop {
                self.skip_whitespace();
                if self.peek()? == b'}' {
                    return None;
                }
                let key = self.string()?.to_vec();
                self.skip_whitespace();
                if self.bump()? != b':' {
                    return None;
                }
                if key == token.as_bytes() {
                    return self.seek(rest);
                }
                self.skip_value()?;
                self.skip_whitespace();
                if self.bump()? != b',' {
                    return None;
                }
            },
            b'[' => {
                let wanted: usize = token.parse().ok()?;
                let mut index = 0;
                loop {
                    self.skip_whitespace();
                    if self.peek()? == b']' {
                        return None;
                    }
                    if index == wanted {
                        return self.seek(rest);
                    }
                    self.skip_value()?;
                    self.skip_whitespace();
                    if self.bump()? != b',' {
                        return None;
                    }
                    index += 1;
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = "{\n  \"status\": \"ok\",\n  \"report\": [\n    {\"a\": 1},\n    {\n      \"a\": \"x,]}\",\n      \"b\": [1, 2]\n    }\n  ],\n  \"a/b\": {\"c\": null}\n}\n";

    #[test]
    fn pointers_resolve_to_the_lines_of_the_value() {
        assert_eq!(record_lines(DOCUMENT.as_bytes(), "/report/0"), Some((4, 4)));
        assert_eq!(record_lines(DOCUMENT.as_bytes(), "/report/1"), Some((5, 8)));
        assert_eq!(
            record_lines(DOCUMENT.as_bytes(), "/report/1/b"),
            Some((7, 7))
        );
        assert_eq!(record_lines(DOCUMENT.as_bytes(), "/a~1b/c"), Some((10, 10)));
        assert_eq!(record_lines(DOCUMENT.as_bytes(), "/report/2"), None);
        assert_eq!(record_lines(DOCUMENT.as_bytes(), "/missing"), None);
        assert_eq!(record_lines(b"line 12", "line 12"), Some((12, 12)));
        assert_eq!(record_lines(b"", "lines 62-71"), Some((62, 71)));
    }

    #[test]
    fn many_records_resolve_in_one_pass_with_the_same_answers() {
        let locations: Vec<String> = ["/report/1", "/report/0", "/report/5", "/a~1b/c", "line 3"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let one_by_one: Vec<_> = locations
            .iter()
            .map(|l| record_lines(DOCUMENT.as_bytes(), l))
            .collect();
        assert_eq!(records_lines(DOCUMENT.as_bytes(), &locations), one_by_one);
        let array = "[\n{\"a\": 1},\n{\"a\": 2}\n]";
        assert_eq!(
            records_lines(array.as_bytes(), &["/0".to_owned(), "/1".to_owned()]),
            vec![Some((2, 2)), Some((3, 3))]
        );
    }

    #[test]
    fn truncated_or_hostile_documents_do_not_resolve() {
        assert_eq!(record_lines(b"{\"report\": [ {\"a\": ", "/report/0"), None);
        let deep = "[".repeat(100_000);
        assert_eq!(record_lines(deep.as_bytes(), "/0/0"), None);
        assert_eq!(record_lines(deep.as_bytes(), "/0"), None);
    }
}
