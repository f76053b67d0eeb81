//! A batch of whole records, transposed so that compression sees like next to like (ADR 0006).
//!
//! An Automerge document is columnar inside: the keys of all its operations in one column, their
//! value lengths in another, all their values in a third, and so on. A batch of compact records
//! (see `compact`) laid end to end interleaves those columns record by record, and zstd finds
//! little to share between a phone number, a name and a timestamp. Here every record is cut along
//! its own structure and each piece joins a stream of the same piece from the other records:
//!
//! - `heads`: each record's actors and number of heads;
//! - `layout`: its column layout (the ids and lengths of its columns);
//! - `columns`: one stream per (section, column id), the column's bytes;
//! - `values`: the operation values, one stream per map key (all the `mobile` values together,
//!   all the `village` values together), cut at the lengths the record's own value-length column
//!   gives;
//! - `tails`: whether the values were cut by key, and the record's trailing bytes.
//!
//! Nothing is re-encoded: every byte of a record lands in exactly one stream, and [`unpack`]
//! takes them back in the same order, so a record comes out exactly as it went in. `unpack` reads
//! untrusted bytes: every read is bounded and a malformed batch is an error, never a panic. The
//! records it yields are compact records, which go through `compact::expand` and the strict load.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::compact;
use crate::doc::put_uleb;
use super::wire::WireId;

/// The operations section's columns (in a document chunk, section 1): the key string column,
/// the value metadata column (length and type of each value) and the raw value column.
const KEY_STR: u64 = 21;
const VALUE_META: u64 = 86;
const VALUE_RAW: u64 = 87;
/// Bounds on what one record may claim, so a hostile batch cannot make us loop or allocate
/// without end.
const MAX_ROWS: u64 = 1 << 20;
/// Rows cut by key in one batch in all; the sender stays within it (cutting no further), so only
/// a hostile batch runs into it.
const BATCH_ROWS: u64 = 1 << 22;
const MAX_COLUMNS: u64 = 256;
const MAX_ACTORS: u64 = 1 << 16;

/// Whole records, transposed. See the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WholeBatch {
    pub count: u32,
    pub heads: Vec<u8>,
    pub layout: Vec<u8>,
    pub columns: Vec<(u8, u64, Vec<u8>)>,
    pub values: Vec<(Option<Vec<u8>>, Vec<u8>)>,
    pub tails: Vec<u8>,
}

impl WholeBatch {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// A cursor over bytes; every read is checked.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn uleb(&mut self) -> Option<u64> {
        let (v, used) = crate::doc::uleb(self.buf.get(self.pos..)?)?;
        self.pos += used;
        Some(v)
    }

    fn sleb(&mut self) -> Option<i64> {
        let mut v: i64 = 0;
        for i in 0..10u32 {
            let byte = *self.buf.get(self.pos)?;
            self.pos += 1;
            v |= i64::from(byte & 0x7f).checked_shl(7 * i)?;
            if byte & 0x80 == 0 {
                if 7 * (i + 1) < 64 && byte & 0x40 != 0 {
                    v |= -1i64 << (7 * (i + 1));
                }
                return Some(v);
            }
        }
        None
    }

    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
}

/// Reads a record's actors and head count; returns the bytes read.
fn read_heads<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let start = r.pos;
    let actors = r.uleb()?;
    if actors > MAX_ACTORS {
        return None;
    }
    for _ in 0..actors {
        let len = r.uleb()?;
        r.take(len)?;
    }
    r.uleb()?;
    Some(&r.buf[start..r.pos])
}

/// Reads a record's column layout (change columns, then operation columns); returns the bytes
/// read and the columns as (section, id, length).
fn read_layout<'a>(r: &mut Reader<'a>) -> Option<(&'a [u8], Vec<(u8, u64, u64)>)> {
    let start = r.pos;
    let mut cols = Vec::new();
    for section in 0..2u8 {
        let n = r.uleb()?;
        if n > MAX_COLUMNS {
            return None;
        }
        for _ in 0..n {
            let spec = r.uleb()?;
            let len = r.uleb()?;
            cols.push((section, spec, len));
        }
    }
    Some((&r.buf[start..r.pos], cols))
}

/// One run-length-encoded column (Automerge's RLE: a signed count, then one value repeated, or
/// that many literal values, or — for a count of 0 — a number of nulls), read row by row.
struct Rle<'a, T: Copy> {
    r: Reader<'a>,
    value: fn(&mut Reader<'a>) -> Option<T>,
    run: Run<T>,
}

#[derive(Clone, Copy)]
enum Run<T> {
    Repeat(T, u64),
    Literal(u64),
    Nulls(u64),
    Empty,
}

impl<'a, T: Copy> Rle<'a, T> {
    fn new(bytes: &'a [u8], value: fn(&mut Reader<'a>) -> Option<T>) -> Self {
        Rle { r: Reader::new(bytes), value, run: Run::Empty }
    }

    /// Whether every row has been read.
    fn exhausted(&self) -> bool {
        self.r.done() && matches!(self.run, Run::Empty | Run::Repeat(_, 0) | Run::Literal(0) | Run::Nulls(0))
    }

    /// The next row: `Ok(None)` for a null (or past the end), `Err` for malformed bytes.
    fn next_row(&mut self) -> Result<Option<T>, ()> {
        loop {
            match self.run {
                Run::Repeat(v, n) if n > 0 => {
                    self.run = Run::Repeat(v, n - 1);
                    return Ok(Some(v));
                }
                Run::Literal(n) if n > 0 => {
                    self.run = Run::Literal(n - 1);
                    return (self.value)(&mut self.r).map(Some).ok_or(());
                }
                Run::Nulls(n) if n > 0 => {
                    self.run = Run::Nulls(n - 1);
                    return Ok(None);
                }
                _ => {
                    if self.r.done() {
                        return Ok(None);
                    }
                    let count = self.r.sleb().ok_or(())?;
                    self.run = match count {
                        c if c > 0 => Run::Repeat((self.value)(&mut self.r).ok_or(())?, c.unsigned_abs()),
                        c if c < 0 => Run::Literal(c.unsigned_abs()),
                        _ => Run::Nulls(self.r.uleb().ok_or(())?),
                    };
                }
            }
        }
    }
}

fn read_str<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let len = r.uleb()?;
    r.take(len)
}

fn read_u64(r: &mut Reader<'_>) -> Option<u64> {
    r.uleb()
}

/// How a record's value column divides by key: for each operation, its key (`None` for list
/// and text elements) and the length of its value. `None` if the columns are malformed or do not
/// add up to `total` bytes. Sender and receiver both derive the cut from the same bytes with this
/// one function, so the cut is lossless whatever the bytes mean.
fn value_cuts<'a>(keys: &'a [u8], meta: &'a [u8], total: u64, budget: &mut u64) -> Option<Vec<(Option<&'a [u8]>, u64)>> {
    let mut keys = Rle::new(keys, read_str);
    let mut meta = Rle::new(meta, read_u64);
    let mut out = Vec::new();
    let mut sum = 0u64;
    let mut rows = 0u64;
    while !meta.exhausted() {
        rows += 1;
        if rows > MAX_ROWS || *budget == 0 {
            return None;
        }
        *budget -= 1;
        let len = meta.next_row().ok()?.unwrap_or(0) >> 4;
        let key = keys.next_row().ok()?;
        sum = sum.checked_add(len)?;
        if len > 0 {
            out.push((key, len));
        }
    }
    (sum == total).then_some(out)
}

/// Packs compact records (as `compact::compact` makes) into one transposed batch. Records whose
/// structure cannot be read are left out; their positions are returned, to send them another way.
pub(crate) fn pack(records: &[Vec<u8>]) -> (WholeBatch, Vec<usize>) {
    let mut batch = WholeBatch::default();
    let mut columns: BTreeMap<(u8, u64), Vec<u8>> = BTreeMap::new();
    let mut values: BTreeMap<Option<Vec<u8>>, Vec<u8>> = BTreeMap::new();
    let mut left = Vec::new();
    let mut budget = BATCH_ROWS;
    for (i, rec) in records.iter().enumerate() {
        match cut(rec, &mut budget) {
            Some(pieces) => {
                batch.count += 1;
                batch.heads.extend_from_slice(pieces.heads);
                batch.layout.extend_from_slice(pieces.layout);
                for (key, bytes) in pieces.columns {
                    columns.entry(key).or_default().extend_from_slice(bytes);
                }
                batch.tails.push(u8::from(pieces.values.is_some()));
                for (key, bytes) in pieces.values.into_iter().flatten() {
                    values.entry(key.map(<[u8]>::to_vec)).or_default().extend_from_slice(bytes);
                }
                put_uleb(&mut batch.tails, pieces.tail.len() as u64);
                batch.tails.extend_from_slice(pieces.tail);
            }
            None => left.push(i),
        }
    }
    batch.columns = columns.into_iter().map(|((s, c), b)| (s, c, b)).collect();
    batch.values = values.into_iter().collect();
    (batch, left)
}

/// Whole records to send: each document chunk made compact and the lot packed. Chunks that
/// cannot go that way (never expected from `save`) come back, to go as they are with their id.
pub(crate) fn pack_whole(chunks: Vec<(WireId, Vec<u8>)>) -> (WholeBatch, Vec<(WireId, Vec<u8>)>) {
    let mut plain = Vec::new();
    let mut compacts = Vec::with_capacity(chunks.len());
    let mut kept = Vec::with_capacity(chunks.len());
    for (id, chunk) in chunks {
        match compact::compact(&chunk) {
            Some(c) => {
                compacts.push(c);
                kept.push((id, chunk));
            }
            None => plain.push((id, chunk)),
        }
    }
    let (batch, left) = pack(&compacts);
    let mut kept: Vec<Option<(WireId, Vec<u8>)>> = kept.into_iter().map(Some).collect();
    plain.extend(left.into_iter().filter_map(|i| kept[i].take()));
    (batch, plain)
}

/// Whole records received: each rebuilt into its document chunk and named, or the reason it
/// could not be. Runs the untrusted parts inside the panic guard.
#[cfg(test)]
pub(crate) fn unpack_whole(batch: &WholeBatch) -> Vec<Result<compact::Expanded, String>> {
    let (records, err) = unpack_compact(batch);
    let mut out: Vec<Result<compact::Expanded, String>> = records.iter().map(|rec| expand(rec)).collect();
    if let Some(e) = err {
        out.push(Err(e));
    }
    out
}

/// Whole records received, still compact (cheap to hold; [`expand`] each when it is due), and
/// the reason the batch stopped early if it did.
pub(crate) fn unpack_compact(batch: &WholeBatch) -> (Vec<Vec<u8>>, Option<String>) {
    match crate::doc::guard(|| unpack(batch)) {
        Ok(v) => v,
        Err(reason) => (Vec::new(), Some(reason)),
    }
}

/// One compact record rebuilt and loaded (`compact::expand`) inside the panic guard.
pub(crate) fn expand(rec: &[u8]) -> Result<compact::Expanded, String> {
    crate::doc::guard(|| compact::expand(rec)).unwrap_or_else(Err)
}

/// A whole record received, rebuilt, and loaded as the strict load of its chunk would
/// (`doc::validate_chunks`); `doc` is `None` if the strict load refused it (applying the chunk
/// then refuses it again, with the reason).
pub(crate) struct Loaded {
    pub id: String,
    pub chunk: Vec<u8>,
    pub heads: Vec<automerge::ChangeHash>,
    pub doc: Option<automerge::Automerge>,
}

/// The machine's cores (what [`load_wholes`] may use when nothing else runs beside it).
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Whole records at least, before loading them is spread over threads.
const PARALLEL_WHOLES: usize = 16;
/// Threads at most for loading whole records.
const LOAD_THREADS: usize = 4;

/// Rebuilds and loads compact whole records (the costly part of receiving one: two loads, see
/// `compact::expand`), in order, spread over up to `threads` threads (at most four) when there
/// are many. Callers pass a slice at a time, so few loaded records are held at once.
pub(crate) fn load_wholes(recs: &[&[u8]], threads: usize) -> Vec<Result<Loaded, String>> {
    let one = |rec: &[u8]| {
        expand(rec).map(|w| {
            let doc = crate::doc::guard(|| crate::doc::validate_chunks(&w.chunk)).ok().and_then(|r| r.ok()).flatten();
            Loaded { id: w.id, chunk: w.chunk, heads: w.heads, doc }
        })
    };
    let threads = threads.min(LOAD_THREADS);
    if recs.len() < PARALLEL_WHOLES || threads < 2 {
        return recs.iter().map(|r| one(r)).collect();
    }
    let per = recs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let mut parts = recs.chunks(per);
        let mine = parts.next().unwrap_or(&[]);
        let others: Vec<_> = parts.map(|part| (part.len(), s.spawn(move || part.iter().map(|r| one(r)).collect::<Vec<_>>()))).collect();
        let mut out: Vec<_> = mine.iter().map(|r| one(r)).collect();
        for (len, h) in others {
            match h.join() {
                Ok(v) => out.extend(v),
                // Everything in `one` runs inside the panic guard; this is for the impossible.
                Err(_) => out.extend((0..len).map(|_| Err("loading a whole record failed".to_string()))),
            }
        }
        out
    })
}

struct Pieces<'a> {
    heads: &'a [u8],
    layout: &'a [u8],
    columns: Vec<((u8, u64), &'a [u8])>,
    #[allow(clippy::type_complexity)]
    values: Option<Vec<(Option<&'a [u8]>, &'a [u8])>>,
    tail: &'a [u8],
}

fn cut<'a>(rec: &'a [u8], budget: &mut u64) -> Option<Pieces<'a>> {
    let mut r = Reader::new(rec);
    let heads = read_heads(&mut r)?;
    let (layout, cols) = read_layout(&mut r)?;
    let mut columns = Vec::new();
    let mut values = None;
    let mut first_values = true;
    let mut seen: BTreeMap<(u8, u64), &[u8]> = BTreeMap::new();
    for (section, spec, len) in cols {
        let bytes = r.take(len)?;
        // Only the first raw value column of the operations is cut by key (a well-formed
        // record has one); `next_record` follows the same rule.
        if section == 1 && spec == VALUE_RAW && std::mem::take(&mut first_values) {
            let keys = seen.get(&(1, KEY_STR)).copied().unwrap_or(&[]);
            let meta = seen.get(&(1, VALUE_META)).copied().unwrap_or(&[]);
            let mut left = *budget;
            if let Some(cuts) = value_cuts(keys, meta, len, &mut left) {
                *budget = left;
                let mut at = Reader::new(bytes);
                let pieces = cuts.into_iter().map(|(k, n)| Some((k, at.take(n)?))).collect::<Option<Vec<_>>>()?;
                values = Some(pieces);
                continue;
            }
        }
        seen.entry((section, spec)).or_insert(bytes);
        columns.push(((section, spec), bytes));
    }
    Some(Pieces { heads, layout, columns, values, tail: &rec[r.pos..] })
}

/// Takes a batch apart into its compact records, in order. Untrusted input: an error stops the
/// batch there (the records before it are returned with the error).
pub(crate) fn unpack(batch: &WholeBatch) -> (Vec<Vec<u8>>, Option<String>) {
    let mut heads = Reader::new(&batch.heads);
    let mut layout = Reader::new(&batch.layout);
    let mut tails = Reader::new(&batch.tails);
    let mut columns: BTreeMap<(u8, u64), Reader<'_>> =
        batch.columns.iter().map(|(s, c, b)| ((*s, *c), Reader::new(b))).collect();
    let mut values: BTreeMap<Option<&[u8]>, Reader<'_>> =
        batch.values.iter().map(|(k, b)| (k.as_deref(), Reader::new(b))).collect();
    let mut out = Vec::with_capacity(batch.count.min(100_000) as usize);
    let mut budget = BATCH_ROWS;
    for _ in 0..batch.count {
        match next_record(&mut heads, &mut layout, &mut tails, &mut columns, &mut values, &mut budget) {
            Some(rec) => out.push(rec),
            None => return (out, Some("a batch of whole records from the peer is malformed".into())),
        }
    }
    (out, None)
}

fn next_record<'a>(
    heads: &mut Reader<'a>,
    layout: &mut Reader<'a>,
    tails: &mut Reader<'a>,
    columns: &mut BTreeMap<(u8, u64), Reader<'a>>,
    values: &mut BTreeMap<Option<&'a [u8]>, Reader<'a>>,
    budget: &mut u64,
) -> Option<Vec<u8>> {
    let mut rec = Vec::new();
    rec.extend_from_slice(read_heads(heads)?);
    let (lay, cols) = read_layout(layout)?;
    rec.extend_from_slice(lay);
    let by_key = tails.byte()? == 1;
    let mut seen: BTreeMap<(u8, u64), &'a [u8]> = BTreeMap::new();
    let mut first_values = true;
    for (section, spec, len) in cols {
        if section == 1 && spec == VALUE_RAW && std::mem::take(&mut first_values) && by_key {
            let keys = seen.get(&(1, KEY_STR)).copied().unwrap_or(&[]);
            let meta = seen.get(&(1, VALUE_META)).copied().unwrap_or(&[]);
            for (key, n) in value_cuts(keys, meta, len, budget)? {
                rec.extend_from_slice(values.get_mut(&key)?.take(n)?);
            }
            continue;
        }
        let bytes = columns.get_mut(&(section, spec))?.take(len)?;
        rec.extend_from_slice(bytes);
        seen.entry((section, spec)).or_insert(bytes);
    }
    let tail = tails.uleb()?;
    rec.extend_from_slice(tails.take(tail)?);
    Some(rec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::compact;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, Automerge, ObjType, ROOT};

    fn record(i: u32) -> Vec<u8> {
        let mut d = Automerge::new().with_actor(ActorId::from(format!("device-{}", i % 3).into_bytes()));
        d.transact(|tx| {
            tx.put(ROOT, "id", format!("0192f0c4-1c1e-7b7e-9b1a-{i:012}"))?;
            let answers = tx.put_object(ROOT, "answers", ObjType::Map)?;
            tx.put(&answers, "mobile", format!("98{:08}", i * 7919))?;
            tx.put(&answers, "age", i64::from(i % 60))?;
            tx.put(&answers, "distance", f64::from(i) / 2.0)?;
            let notes = tx.put_object(ROOT, "minutes", ObjType::Text)?;
            tx.splice_text(&notes, 0, 0, "The coalition met at the block office.")?;
            let list = tx.put_object(ROOT, "agenda", ObjType::List)?;
            tx.insert(&list, 0, "loans")?;
            Ok::<_, automerge::AutomergeError>(())
        })
        .unwrap();
        if i % 2 == 0 {
            d.transact(|tx| tx.put(ROOT, "status", "submitted")).unwrap();
        }
        compact::compact(&d.save_nocompress()).unwrap()
    }

    #[test]
    fn records_come_out_exactly_as_they_went_in() {
        let recs: Vec<Vec<u8>> = (0..50).map(record).collect();
        let (batch, left) = pack(&recs);
        assert!(left.is_empty());
        assert_eq!(batch.count, 50);
        assert!(batch.values.iter().any(|(k, _)| k.as_deref() == Some(&b"mobile"[..])));
        assert!(batch.tails.contains(&1), "values were cut by key");
        let (back, err) = unpack(&batch);
        assert_eq!(err, None);
        assert_eq!(back, recs);
    }

    #[test]
    fn deflated_or_unreadable_records_still_travel() {
        let mut big = Automerge::new();
        big.transact(|tx| {
            tx.put(ROOT, "id", "0192f0c4-1c1e-7b7e-9b1a-3c4d5e6f7a8b")?;
            tx.put(ROOT, "notes", "a long note ".repeat(200))
        })
        .unwrap();
        // Automerge's own save deflates big columns: the cut by key does not apply, the bytes
        // travel all the same.
        let deflated = compact::compact(&big.save()).unwrap();
        let junk = vec![0xff; 7];
        let (batch, left) = pack(&[record(1), deflated.clone(), junk]);
        assert_eq!(left, vec![2]);
        let (back, err) = unpack(&batch);
        assert_eq!(err, None);
        assert_eq!(back, vec![record(1), deflated]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Arbitrary batches (what a hostile peer can send): never a panic, never a hang, and
        /// nothing out that was not in.
        #[test]
        fn arbitrary_batches_never_panic(
            count in 0u32..20,
            heads in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            layout in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            tails in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            col in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
            vals in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
        ) {
            let b = WholeBatch {
                count,
                heads,
                layout,
                columns: vec![(1, KEY_STR, col.clone()), (1, VALUE_META, col.clone()), (0, 1, col)],
                values: vec![(None, vals.clone()), (Some(b"k".to_vec()), vals)],
                tails,
            };
            let inside: usize = b.heads.len() + b.layout.len() + b.tails.len()
                + b.columns.iter().map(|c| c.2.len()).sum::<usize>()
                + b.values.iter().map(|v| v.1.len()).sum::<usize>();
            let (records, _) = unpack(&b);
            proptest::prop_assert!(records.iter().map(Vec::len).sum::<usize>() <= inside);
            for r in unpack_whole(&b) {
                let _ = r;
            }
        }
    }

    #[test]
    fn a_damaged_batch_is_an_error_not_a_panic() {
        let (batch, _) = pack(&(0..5).map(record).collect::<Vec<_>>());
        let mut refused = 0;
        for field in 0..4 {
            for i in 0..200 {
                let mut b = batch.clone();
                let target = match field {
                    0 => &mut b.heads,
                    1 => &mut b.layout,
                    2 => &mut b.tails,
                    _ => &mut b.values[i % batch.values.len()].1,
                };
                if target.is_empty() {
                    continue;
                }
                let at = (i * 7) % target.len();
                if i % 2 == 0 {
                    target[at] ^= 0x55;
                } else {
                    target.truncate(at);
                }
                let (_, err) = unpack(&b);
                refused += usize::from(err.is_some());
            }
        }
        assert!(refused > 0);
        let mut huge = batch.clone();
        huge.count = u32::MAX;
        assert!(unpack(&huge).1.is_some());
    }
}
