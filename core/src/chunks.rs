//! Bounds on Automerge chunks before Automerge decodes them.
//!
//! Automerge's loader trusts the run lengths of its column encodings and the output size of
//! its DEFLATE-compressed columns: a column of a few bytes saying "the next value, 2^31 times"
//! makes it allocate gigabytes, and the process dies of it (an allocation failure aborts; no
//! panic guard catches it). The fuzzer found that through a bundle. So every untrusted chunk is
//! read here first, without building anything: each column's rows are counted from its runs,
//! compressed columns are inflated under a byte budget, and counts of actors, heads, deps and
//! columns must fit in the bytes that hold them. A chunk that would decode past the limits is
//! refused with a reason; one that passes holds at most [`MAX_COLUMN_ROWS`] rows per column.
//!
//! The format is Automerge's binary format: chunks of `magic | checksum | type | uleb length |
//! body`, document bodies `actors | heads | change columns | op columns | data | head
//! indices`, change bodies `deps | actor | seq | start op | time | message | other actors |
//! op columns | data | extra`, compressed changes a DEFLATE stream of a change body. Columns
//! are (spec, length) pairs; the spec's low three bits give the encoding and bit 3 says
//! DEFLATE.

use std::io::Read;

/// Most rows one column may decode to (above the largest record the store takes, 1,000,000
/// ops).
pub const MAX_COLUMN_ROWS: u64 = 2_000_000;
/// Most bytes the compressed columns (or a compressed change) of one chunk may inflate to.
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// A cursor over untrusted bytes.
struct Input<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Input<'a> {
    fn new(b: &'a [u8]) -> Self {
        Input { b, at: 0 }
    }
    fn left(&self) -> usize {
        self.b.len() - self.at
    }
    fn done(&self) -> bool {
        self.at >= self.b.len()
    }
    fn uleb(&mut self) -> Result<u64, String> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.b.get(self.at).ok_or("truncated number")?;
            self.at += 1;
            v |= u64::from(byte & 0x7f).checked_shl(shift).ok_or("number too large")?;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("number too large".into())
    }
    fn sleb(&mut self) -> Result<i64, String> {
        let mut v: i64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = *self.b.get(self.at).ok_or("truncated number")?;
            self.at += 1;
            if shift >= 64 {
                return Err("number too large".into());
            }
            v |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    v |= -1i64 << shift;
                }
                return Ok(v);
            }
        }
    }
    fn take(&mut self, n: u64) -> Result<&'a [u8], String> {
        let n = usize::try_from(n).ok().filter(|n| *n <= self.left()).ok_or("length past the end")?;
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    /// A count of items at least `min_bytes` each, which must fit in what is left.
    fn count(&mut self, min_bytes: usize) -> Result<u64, String> {
        let n = self.uleb()?;
        if n.saturating_mul(min_bytes as u64) > self.left() as u64 {
            return Err("a count larger than its data".into());
        }
        Ok(n)
    }
}

/// Checks every chunk of `bytes` (see the module docs).
pub fn check(bytes: &[u8]) -> Result<(), String> {
    let mut i = Input::new(bytes);
    while !i.done() {
        let head = i.take(8).map_err(|_| "not Automerge data (bad chunk header)")?;
        if head[..4] != MAGIC {
            return Err("not Automerge data (bad chunk header)".into());
        }
        let ty = *i.take(1)?.first().expect("one byte");
        let len = i.uleb()?;
        let body = i.take(len).map_err(|_| "truncated chunk")?;
        match ty {
            0 => document(body)?,
            1 => change(body)?,
            2 => {
                let inflated = inflate(body, MAX_INFLATED_BYTES)?;
                change(&inflated)?
            }
            3 => return Err("Automerge bundle chunks are not accepted".into()),
            other => return Err(format!("unknown chunk type {other}")),
        }
    }
    Ok(())
}

fn document(body: &[u8]) -> Result<(), String> {
    let mut i = Input::new(body);
    let actors = i.count(1)?;
    for _ in 0..actors {
        let n = i.uleb()?;
        i.take(n)?;
    }
    let heads = i.count(32)?;
    i.take(heads * 32)?;
    let change_cols = columns(&mut i)?;
    let op_cols = columns(&mut i)?;
    let mut budget = MAX_INFLATED_BYTES;
    for (spec, len) in change_cols.into_iter().chain(op_cols) {
        let data = i.take(len)?;
        column(spec, data, &mut budget)?;
    }
    Ok(())
}

fn change(body: &[u8]) -> Result<(), String> {
    let mut i = Input::new(body);
    let deps = i.count(32)?;
    i.take(deps * 32)?;
    let n = i.uleb()?;
    i.take(n)?;
    i.uleb()?; // seq
    i.uleb()?; // start op
    i.sleb()?; // time
    let n = i.uleb()?;
    i.take(n)?; // message
    let others = i.count(1)?;
    for _ in 0..others {
        let n = i.uleb()?;
        i.take(n)?;
    }
    let cols = columns(&mut i)?;
    let mut budget = MAX_INFLATED_BYTES;
    for (spec, len) in cols {
        let data = i.take(len)?;
        column(spec, data, &mut budget)?;
    }
    Ok(())
}

/// Column metadata: (spec, length) pairs whose lengths fit in the bytes left.
fn columns(i: &mut Input<'_>) -> Result<Vec<(u32, u64)>, String> {
    let n = i.count(2)?;
    let mut out = Vec::with_capacity(n as usize);
    let mut total: u64 = 0;
    for _ in 0..n {
        let spec = u32::try_from(i.uleb()?).map_err(|_| "bad column spec")?;
        let len = i.uleb()?;
        total = total.saturating_add(len);
        out.push((spec, len));
    }
    if total > i.left() as u64 {
        return Err("columns longer than their chunk".into());
    }
    Ok(out)
}

fn column(spec: u32, data: &[u8], budget: &mut usize) -> Result<(), String> {
    let inflated;
    let data = if spec & 0b1000 != 0 {
        inflated = inflate(data, *budget)?;
        *budget -= inflated.len();
        &inflated[..]
    } else {
        data
    };
    let rows = match spec & 0b111 {
        // Group, Actor, Integer, ValueMetadata: runs of unsigned numbers.
        0 | 1 | 2 | 6 => rle(data, |i| i.uleb().map(drop))?,
        // DeltaInteger: runs of signed numbers.
        3 => rle(data, |i| i.sleb().map(drop))?,
        4 => booleans(data)?,
        // String: runs of length-prefixed text.
        5 => rle(data, |i| {
            let n = i.uleb()?;
            i.take(n).map(drop)
        })?,
        // Value: raw bytes, sliced by the metadata column.
        _ => 0,
    };
    if rows > MAX_COLUMN_ROWS {
        return Err(format!("a column decodes to {rows} rows (at most {MAX_COLUMN_ROWS})"));
    }
    Ok(())
}

/// Rows of a run-length column: `count > 0` then one value repeated, `count < 0` then
/// `-count` literal values, `0` then a count of nulls.
fn rle(data: &[u8], value: impl Fn(&mut Input<'_>) -> Result<(), String>) -> Result<u64, String> {
    let mut i = Input::new(data);
    let mut rows: u64 = 0;
    while !i.done() {
        let count = i.sleb()?;
        match count {
            c if c > 0 => {
                value(&mut i)?;
                rows = rows.saturating_add(c as u64);
            }
            c if c < 0 => {
                let n = c.unsigned_abs();
                if n > i.left() as u64 {
                    return Err("a literal run longer than its data".into());
                }
                for _ in 0..n {
                    value(&mut i)?;
                }
                rows = rows.saturating_add(n);
            }
            _ => rows = rows.saturating_add(i.uleb()?),
        }
        if rows > MAX_COLUMN_ROWS {
            return Err(format!("a column decodes to more than {MAX_COLUMN_ROWS} rows"));
        }
    }
    Ok(rows)
}

/// Rows of a boolean column: alternating run lengths, false first.
fn booleans(data: &[u8]) -> Result<u64, String> {
    let mut i = Input::new(data);
    let mut rows: u64 = 0;
    while !i.done() {
        rows = rows.saturating_add(i.uleb()?);
        if rows > MAX_COLUMN_ROWS {
            return Err(format!("a column decodes to more than {MAX_COLUMN_ROWS} rows"));
        }
    }
    Ok(rows)
}

fn inflate(data: &[u8], budget: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(data)
        .take(budget as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| "a compressed column is damaged".to_string())?;
    if out.len() > budget {
        return Err(format!("compressed columns inflate past {MAX_INFLATED_BYTES} bytes"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ObjType, ROOT};

    fn sample() -> Automerge {
        let mut d = Automerge::new();
        let mut tx = d.transaction();
        let m = tx.put_object(ROOT, "answers", ObjType::Map).unwrap();
        for k in 0..300 {
            tx.put(&m, format!("q{k}"), format!("a long enough answer {k} to make columns compress")).unwrap();
        }
        let t = tx.put_object(ROOT, "minutes", ObjType::Text).unwrap();
        tx.splice_text(&t, 0, 0, &"minutes of the meeting ".repeat(40)).unwrap();
        tx.commit();
        let base = d.get_heads();
        let mut tx = d.transaction();
        tx.put(&m, "q1", "edited").unwrap();
        tx.commit();
        let _ = base;
        d
    }

    #[test]
    fn real_documents_and_changes_pass() {
        let d = sample();
        check(&d.save()).unwrap();
        check(&d.save_nocompress()).unwrap();
        check(&d.save_after(&[])).unwrap();
        for c in d.get_changes(&[]) {
            check(c.raw_bytes()).unwrap();
        }
    }

    #[test]
    fn a_run_length_bomb_is_refused() {
        // A uleb column of one run: 2^31 copies of 0.
        let mut col = Vec::new();
        let mut v = 1u64 << 31;
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                col.push(b);
                break;
            }
            col.push(b | 0x80);
        }
        col.push(0);
        let e = rle(&col, |i| i.uleb().map(drop)).unwrap_err();
        assert!(e.contains("rows"), "{e}");
        let mut budget = MAX_INFLATED_BYTES;
        assert!(column(2, &col, &mut budget).is_err());
        assert!(booleans(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    }

    #[test]
    fn a_deflate_bomb_is_refused() {
        use std::io::Write;
        let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![0u8; 80 * 1024 * 1024]).unwrap();
        let z = z.finish().unwrap();
        let mut budget = MAX_INFLATED_BYTES;
        let e = column(0b1010, &z, &mut budget).unwrap_err();
        assert!(e.contains("inflate"), "{e}");
    }

    #[test]
    fn garbage_and_truncations_are_errors_not_panics() {
        let bytes = sample().save();
        for cut in (0..bytes.len()).step_by(7) {
            let _ = check(&bytes[..cut]);
        }
        let mut flipped = bytes.clone();
        for k in (9..flipped.len()).step_by(13) {
            flipped[k] ^= 0x5a;
            let _ = check(&flipped);
        }
        assert!(check(b"hello world").is_err());
    }
}
