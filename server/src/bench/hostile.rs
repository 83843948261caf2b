//! `pivot bench hostile`: what hostile files cost an import. Each is imported through
//! `pivot import`'s code into a fresh SQLite database (and PostgreSQL with
//! `--postgres`), with the process's peak resident memory reset before each, beside a
//! well-formed file of the same kind for scale:
//!
//! - the probe's gzip bomb: a Zeek header, then 1 GiB of `A` with no newline (1 MB gzipped);
//! - a ratio bomb: a Zeek header, then 2 GiB of 4 KiB comment lines, which the parser
//!   skips (2 MB gzipped): only the bound on decompression stops it;
//! - an EVE alert whose signature is 200 MB, on one line;
//! - a Zeek line of 4 KiB fields that parses, but whose `service` is 100 KB.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{conn_log, import, open, peak_mib, reset_peak};
use crate::ingest::Format;

pub struct HostileOptions {
    /// Flows of the well-formed Zeek log imported for scale.
    pub flows: usize,
    pub dir: PathBuf,
    pub postgres: Option<String>,
}

const HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\n";

fn gzip(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    write(&mut gz)?;
    gz.finish()?.flush()?;
    Ok(())
}

/// The hostile files, written into `dir`: (name, format, path).
fn files(dir: &Path) -> anyhow::Result<Vec<(&'static str, Format, PathBuf)>> {
    let line_bomb = dir.join("bomb-line.log.gz");
    gzip(&line_bomb, |w| {
        w.write_all(HEADER.as_bytes())?;
        let block = vec![b'A'; 16 << 20];
        for _ in 0..64 {
            w.write_all(&block)?;
        }
        Ok(())
    })?;
    let ratio_bomb = dir.join("bomb-ratio.log.gz");
    gzip(&ratio_bomb, |w| {
        w.write_all(HEADER.as_bytes())?;
        let line = format!("#{}\n", "A".repeat(4094));
        let block = line.repeat(1024);
        for _ in 0..512 {
            w.write_all(block.as_bytes())?;
        }
        Ok(())
    })?;
    let long_title = dir.join("long-title.json");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&long_title)?);
        write!(
            f,
            r#"{{"timestamp":"2026-01-15T10:00:01.000000+0000","event_type":"alert","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"TCP","alert":{{"severity":1,"signature":""#
        )?;
        let chunk = vec![b'T'; 1 << 20];
        for _ in 0..200 {
            f.write_all(&chunk)?;
        }
        writeln!(f, r#""}}}}"#)?;
        f.flush()?;
    }
    let long_field = dir.join("long-field.log");
    std::fs::write(
        &long_field,
        format!(
            "{HEADER}1573553586.964924\tCx1\t10.0.0.1\t5000\t10.0.0.2\t80\ttcp\t{}\t1.0\t10\t20\tSF\n",
            "h".repeat(100_000)
        ),
    )?;
    Ok(vec![
        ("gzip bomb: 1 GiB line (1 MB gzipped)", Format::Zeek, line_bomb),
        ("gzip bomb: 2 GiB of comments (2 MB gzipped)", Format::Zeek, ratio_bomb),
        ("EVE alert with a 200 MB signature", Format::Suricata, long_title),
        ("Zeek line with a 100 KB service", Format::Zeek, long_field),
    ])
}

pub async fn run(o: HostileOptions) -> anyhow::Result<String> {
    std::fs::create_dir_all(&o.dir)?;
    let mut out = String::new();
    writeln!(out, "| file | size | backend | outcome | time | import peak RSS |")?;
    writeln!(out, "|---|---:|---|---|---:|---:|")?;
    let mut cases = files(&o.dir)?;
    let normal = o.dir.join("hostile-scale-conn.log");
    conn_log(&normal, o.flows)?;
    cases.push(("well-formed Zeek conn.log (for scale)", Format::Zeek, normal));
    let mut backends: Vec<(&str, Option<&str>)> = vec![("SQLite", None)];
    if let Some(pg) = o.postgres.as_deref() {
        backends.push(("PostgreSQL", Some(pg)));
    }
    for (backend, pg) in backends {
        for (i, (name, format, path)) in cases.iter().enumerate() {
            let url = match pg {
                Some(server) => format!("{server}/pivot_bench_hostile_{i}"),
                None => {
                    let file = o.dir.join(format!("hostile-{i}.db"));
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                    }
                    format!("sqlite://{}", file.display())
                }
            };
            let conn = open(&url, pg).await?;
            reset_peak();
            let started = std::time::Instant::now();
            let outcome = match import(&conn, *format, path).await {
                Ok((_, summary)) => format!("imported {} records", summary.read),
                Err(e) => {
                    let text = e.to_string();
                    let mut end = text.len().min(110);
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    format!("refused: {}", &text[..end])
                }
            };
            let took = started.elapsed();
            let size = std::fs::metadata(path)?.len() as f64 / (1 << 20) as f64;
            let peak = peak_mib().map_or("?".into(), |m| format!("{m:.0} MiB"));
            writeln!(
                out,
                "| {name} | {size:.1} MiB | {backend} | {} | {} | {peak} |",
                outcome.replace('|', "/"),
                seconds(took)
            )?;
            conn.close().await?;
        }
    }
    Ok(out)
}

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}
