//! What any input may cost, whatever its format: a record (a line; a CSV record; in
//! XML, a text or a tag) of at most [`MAX_LINE`] bytes,
//! a stored text field of at most [`MAX_FIELD`] (script output [`MAX_OUTPUT`]), and a
//! gzip stream that expands at most [`MAX_RATIO`] times (past the first
//! [`RATIO_GRACE`] bytes). Every parser reads through [`Bounded`], so a hostile file
//! fails with the line and the reason instead of filling the server's memory; with
//! batches of bounded count, an import holds a few batches of bounded records at once.

use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The longest line an input may have: Zeek, Suricata and IPDR records are a few
/// hundred bytes; an nmap host with its scripts' output a few tens of KiB.
pub const MAX_LINE: usize = 1 << 20;
/// The longest text of one stored field (a title, a name, a service, a product).
pub const MAX_FIELD: usize = 4096;
/// The longest output of one NSE script (certificates, directory listings).
pub const MAX_OUTPUT: usize = 256 * 1024;
/// How many times its compressed size a gzip input may expand to: logs compress ten
/// to twenty times; a stream of one repeated byte, a thousand.
pub const MAX_RATIO: u64 = 200;
/// Decompressed bytes allowed before the ratio is enforced (small inputs expand more).
pub const RATIO_GRACE: u64 = 64 << 20;

/// Counts the bytes read from a compressed input.
#[derive(Clone, Default)]
pub struct Counted(Arc<AtomicU64>);

/// A reader that counts what passes through it into a [`Counted`].
pub struct Counting<R> {
    inner: R,
    count: Counted,
}

impl<R> Counting<R> {
    pub fn new(inner: R, count: Counted) -> Self {
        Self { inner, count }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// How an input's records are delimited, for the bound of [`MAX_LINE`] bytes a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Records {
    /// One per line (Zeek, Suricata).
    Lines,
    /// CSV: a line, unless a quoted field spans lines (IPDR).
    Csv,
    /// XML: text or a tag between `<` and `>` (nmap); no line is needed at all.
    Markup,
}

/// A reader of decompressed (or plain) input that fails at a record over [`MAX_LINE`]
/// or, with `compressed` set, at a gzip stream expanding over [`MAX_RATIO`] times.
pub struct Bounded<R> {
    inner: R,
    records: Records,
    compressed: Option<Counted>,
    produced: u64,
    /// Bytes since the last record break.
    open: usize,
    /// Inside a quoted CSV field.
    quoted: bool,
    /// Newlines seen: the current line is this plus one.
    lines: u64,
    /// The line the open record began on.
    record_line: u64,
}

impl<R> Bounded<R> {
    pub fn new(inner: R, records: Records, compressed: Option<Counted>) -> Self {
        Self {
            inner,
            records,
            compressed,
            produced: 0,
            open: 0,
            quoted: false,
            lines: 0,
            record_line: 1,
        }
    }

    /// Follows the record breaks of `chunk`; an error at a record over the bound.
    fn scan(&mut self, chunk: &[u8]) -> io::Result<()> {
        // Where the open record starts in `chunk` (0: it began before).
        let mut start = 0;
        let mut close = |this: &mut Self, at: usize| -> io::Result<()> {
            if this.open + (at - start) > MAX_LINE {
                return Err(this.too_long());
            }
            this.open = 0;
            start = at + 1;
            this.record_line = this.lines + 1;
            Ok(())
        };
        // A newline is counted before the break it makes: the next record is on the next line.
        match self.records {
            Records::Lines => {
                for at in memchr::memchr_iter(b'\n', chunk) {
                    self.lines += 1;
                    close(self, at)?;
                }
            }
            Records::Csv => {
                for at in memchr::memchr2_iter(b'"', b'\n', chunk) {
                    if chunk[at] == b'"' {
                        self.quoted = !self.quoted;
                        continue;
                    }
                    self.lines += 1;
                    if !self.quoted {
                        close(self, at)?;
                    }
                }
            }
            Records::Markup => {
                for at in memchr::memchr3_iter(b'<', b'>', b'\n', chunk) {
                    if chunk[at] == b'\n' {
                        self.lines += 1;
                    } else {
                        close(self, at)?;
                    }
                }
            }
        }
        self.open += chunk.len() - start;
        if self.open > MAX_LINE {
            return Err(self.too_long());
        }
        Ok(())
    }

    fn too_long(&self) -> io::Error {
        let line = self.record_line;
        refuse(match self.records {
            Records::Lines => format!("line {line} is longer than {MAX_LINE} bytes"),
            Records::Csv => format!("the record at line {line} is longer than {MAX_LINE} bytes"),
            Records::Markup => {
                format!("near line {line}: a text or a tag is longer than {MAX_LINE} bytes")
            }
        })
    }
}

fn refuse(reason: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n])?;
        self.produced += n as u64;
        if let Some(compressed) = &self.compressed {
            let read = compressed.0.load(Ordering::Relaxed).max(1);
            if self.produced > RATIO_GRACE && self.produced > read.saturating_mul(MAX_RATIO) {
                return Err(refuse(format!(
                    "the gzip stream expands more than {MAX_RATIO} times ({read} bytes gave {}): refused as a decompression bomb",
                    self.produced
                )));
            }
        }
        Ok(n)
    }
}

/// Fails when `value` of `field` is longer than `max` bytes: a field no real tool writes
/// that long is refused with the import, not stored.
pub fn field(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.len() > max {
        return Err(format!("{field} is {} bytes long (at most {max})", value.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(r: impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut r = r;
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn long_lines_are_refused_with_their_number() {
        let mut text = b"short\nlines\n".to_vec();
        text.extend(std::iter::repeat_n(b'A', MAX_LINE + 1));
        let e = read_all(Bounded::new(&text[..], Records::Lines, None)).unwrap_err();
        assert!(e.to_string().contains("line 3 is longer"), "{e}");
        let mut ok = vec![b'A'; MAX_LINE];
        ok.push(b'\n');
        ok.extend(vec![b'B'; MAX_LINE]);
        assert_eq!(
            read_all(Bounded::new(&ok[..], Records::Lines, None)).unwrap().len(),
            ok.len()
        );
    }

    #[test]
    fn csv_records_spanning_lines_are_bounded() {
        let mut text = b"a,b\n1,\"".to_vec();
        for _ in 0..(MAX_LINE / 100 + 1) {
            text.extend([b'x'; 99]);
            text.push(b'\n');
        }
        let e = read_all(Bounded::new(&text[..], Records::Csv, None)).unwrap_err();
        assert!(e.to_string().contains("the record at line 2"), "{e}");
        // Quoted newlines in records of a normal size pass.
        let fine = b"a,b\n1,\"two\nlines\"\n2,3\n".repeat(10_000);
        assert!(read_all(Bounded::new(&fine[..], Records::Csv, None)).is_ok());
    }

    #[test]
    fn markup_text_without_tags_is_bounded() {
        let mut xml = b"<nmaprun>\n<host><elem>".to_vec();
        for _ in 0..(MAX_LINE / 100 + 1) {
            xml.extend([b'x'; 99]);
            xml.push(b'\n');
        }
        let e = read_all(Bounded::new(&xml[..], Records::Markup, None)).unwrap_err();
        assert!(e.to_string().contains("near line 2"), "{e}");
        let fine = b"<host>\n<port portid=\"1\"/></host>\n".repeat(100_000);
        assert!(read_all(Bounded::new(&fine[..], Records::Markup, None)).is_ok());
    }

    #[test]
    fn gzip_bombs_are_refused() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let line = [b"A".repeat(1000), b"\n".to_vec()].concat();
        for _ in 0..(RATIO_GRACE as usize / 1000 + 10_000) {
            gz.write_all(&line).unwrap();
        }
        let bomb = gz.finish().unwrap();
        let count = Counted::default();
        let reader = flate2::read::MultiGzDecoder::new(Counting::new(&bomb[..], count.clone()));
        let e = read_all(Bounded::new(reader, Records::Lines, Some(count))).unwrap_err();
        assert!(e.to_string().contains("decompression bomb"), "{e}");
    }

    #[test]
    fn fields_are_bounded() {
        assert!(field("title", "x", 4).is_ok());
        assert_eq!(
            field("title", "xxxxx", 4).unwrap_err(),
            "title is 5 bytes long (at most 4)"
        );
    }
}
