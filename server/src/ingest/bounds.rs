//! What any input may cost, whatever its format: a line of at most [`MAX_LINE`] bytes,
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

/// A reader of decompressed (or plain) input that fails at a line over [`MAX_LINE`] or,
/// with `compressed` set, at a gzip stream expanding over [`MAX_RATIO`] times.
pub struct Bounded<R> {
    inner: R,
    compressed: Option<Counted>,
    produced: u64,
    /// Bytes since the last newline.
    open_line: usize,
    /// Newlines seen: the current line is this plus one.
    lines: u64,
}

impl<R> Bounded<R> {
    pub fn new(inner: R, compressed: Option<Counted>) -> Self {
        Self {
            inner,
            compressed,
            produced: 0,
            open_line: 0,
            lines: 0,
        }
    }
}

fn refuse(reason: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        match (memchr::memchr(b'\n', chunk), memchr::memrchr(b'\n', chunk)) {
            (Some(first), Some(last)) => {
                if self.open_line + first > MAX_LINE {
                    return Err(self.too_long());
                }
                self.lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
                self.open_line = n - last - 1;
            }
            _ => self.open_line += n,
        }
        // Lines wholly inside one read are shorter than the read.
        if self.open_line > MAX_LINE {
            return Err(self.too_long());
        }
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

impl<R> Bounded<R> {
    fn too_long(&self) -> io::Error {
        refuse(format!("line {} is longer than {MAX_LINE} bytes", self.lines + 1))
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
        let e = read_all(Bounded::new(&text[..], None)).unwrap_err();
        assert!(e.to_string().contains("line 3 is longer"), "{e}");
        let mut ok = vec![b'A'; MAX_LINE];
        ok.push(b'\n');
        ok.extend(vec![b'B'; MAX_LINE]);
        assert_eq!(read_all(Bounded::new(&ok[..], None)).unwrap().len(), ok.len());
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
        let e = read_all(Bounded::new(reader, Some(count))).unwrap_err();
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
