//! A bounds check of legacy `.xls` files (OLE2 compound files) before calamine reads them.
//!
//! calamine's compound-file reader trusts the sector numbers and lengths in the file: a sector
//! id of 2^32 makes it grow a buffer to terabytes, a length in the header becomes an
//! allocation, and a sector chain that loops grows without end. Any of these aborts the process
//! (the fuzzer found the first). So this walks exactly what calamine walks (header, DIFAT, FAT,
//! directory chain, mini FAT, every named directory entry's chain) and refuses the file unless
//! every sector id is inside the file, every chain ends within as many steps as the file has
//! sectors, and every length fits in the file. A real `.xls` passes untouched.
//!
//! Then one thing calamine's `.xls` reader trusts in the workbook itself: each sheet's
//! Dimensions record, whose row and column counts it reserves room for before reading a cell
//! (a crafted 20-byte record asked for 66 GB and aborted the process; the fuzzer found it).
//! The record only sizes that reservation, so a copy of the file with such a record zeroed
//! reads exactly the same cells; [`check`] returns that copy when a sheet declares more than
//! [`MAX_DECLARED_CELLS`] cells. The workbook stream is walked record by record as calamine
//! walks it, with no recursion.

const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const DIFSECT: u32 = 0xFFFF_FFFC;
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const RESERVED: u32 = 0xFFFF_FFFA;

/// Whether `bytes` are a compound file (then [`check`] applies).
pub(crate) fn is_compound(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..8] == SIGNATURE
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

struct File<'a> {
    bytes: &'a [u8],
    size: usize,
    sectors: u64,
}

impl File<'_> {
    fn sector(&self, id: u32) -> Result<&[u8], String> {
        if u64::from(id) >= self.sectors {
            return Err(bad("a sector number outside the file"));
        }
        let start = (id as usize + 1) * self.size;
        Ok(&self.bytes[start..(start + self.size).min(self.bytes.len())])
    }

    /// The sectors of the chain from `start`, which must end (ENDOFCHAIN) within the file.
    fn chain(&self, start: u32, fat: &[u32]) -> Result<Vec<u32>, String> {
        let mut out = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN {
            if id as usize >= fat.len() || u64::from(id) >= self.sectors {
                return Err(bad("a sector chain leaves the file"));
            }
            if out.len() as u64 >= self.sectors {
                return Err(bad("a sector chain loops"));
            }
            out.push(id);
            id = fat[id as usize];
        }
        Ok(out)
    }
}

fn bad(what: &str) -> String {
    format!("the .xls file is damaged ({what}); save it again from the spreadsheet program, or as .xlsx")
}

/// A sheet may declare this many cells (rows × columns) in its Dimensions record before the
/// record is zeroed: 4,096 rows of 256 columns, far beyond any form.
pub(crate) const MAX_DECLARED_CELLS: u64 = 1 << 20;

/// A sheet's cells may span at most this many positions (rows × columns between its first and
/// last value): calamine keeps each sheet as one dense grid of them, made while the file opens.
/// 4,194,304 is 4,096 rows of 1,024 columns; a value typed far from the rest (row 60,000, say)
/// gets a clear refusal instead of gigabytes.
pub(crate) const MAX_SHEET_SPAN: u64 = 1 << 22;

/// What reading an `.xls` needs beside calamine: the copy to read instead of the file (a
/// Dimensions record zeroed), and the formula cells whose results are dates (see xls_dates.rs).
#[derive(Default)]
pub(crate) struct Checked {
    pub(crate) patched: Option<Vec<u8>>,
    pub(crate) date_formulas: super::xls_dates::DateFormulas,
    pub(crate) date1904: bool,
}

/// Checks a compound file as described in the module docs.
pub(crate) fn check(bytes: &[u8]) -> Result<Checked, String> {
    let layout = layout(bytes)?;
    without_huge_dimensions(bytes, &layout)
}

/// What [`check`] learnt of the file: sector size, FAT, mini FAT, the mini stream's chain and
/// length, and the directory entries (name, first sector, length).
struct Layout {
    size: usize,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
    ministream: Vec<u32>,
    ministream_len: u64,
    entries: Vec<(Vec<u8>, u32, u64)>,
}

fn layout(bytes: &[u8]) -> Result<Layout, String> {
    if bytes.len() < 512 || !is_compound(bytes) {
        return Err(bad("no compound-file header"));
    }
    let size = match u16::from_le_bytes([bytes[30], bytes[31]]) {
        9 => 512usize,
        12 => 4096,
        _ => return Err(bad("sector size")),
    };
    if bytes.len() < size {
        return Err(bad("truncated header"));
    }
    let len = bytes.len() as u64;
    let f = File { bytes, size, sectors: (bytes.len() - size).div_ceil(size) as u64 };
    let header_len = |at: usize| u64::from(u32_at(bytes, at));
    let (dir_len, fat_len, mini_fat_len) = (header_len(40), header_len(44), header_len(64));
    if fat_len > f.sectors || dir_len * size as u64 > len || mini_fat_len * size as u64 > len {
        return Err(bad("header counts larger than the file"));
    }
    // calamine sizes its DIFAT from bytes 62..66 (an overlap of two header fields).
    if header_len(62) > 1 << 24 {
        return Err(bad("header counts larger than the file"));
    }
    // The DIFAT: 109 entries in the header, then a chain of DIFAT sectors (the last entry of
    // each points to the next).
    let mut difat: Vec<u32> = (76..512).step_by(4).map(|at| u32_at(bytes, at)).collect();
    let mut next = u32_at(bytes, 68);
    let mut steps = 0u64;
    while next < RESERVED {
        steps += 1;
        if steps > f.sectors {
            return Err(bad("the DIFAT chain loops"));
        }
        let s = f.sector(next)?;
        difat.extend(s.chunks_exact(4).map(|c| u32_at(c, 0)));
        next = difat.pop().unwrap_or(ENDOFCHAIN);
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|id| *id < DIFSECT) {
        let s = f.sector(id)?;
        fat.extend(s.chunks_exact(4).map(|c| u32_at(c, 0)));
        if fat.len() as u64 > f.sectors.saturating_mul(size as u64 / 4) + 1024 {
            return Err(bad("FAT larger than the file"));
        }
    }
    let dirs = f.chain(u32_at(bytes, 48), &fat)?;
    if dirs.is_empty() {
        return Err(bad("no directory"));
    }
    let mut entries: Vec<(Vec<u8>, u32, u64)> = Vec::new();
    for id in dirs {
        for e in f.sector(id)?.chunks_exact(128) {
            let name = e[..64].to_vec();
            let start = u32_at(e, 116);
            let n = if size == 512 { u64::from(u32_at(e, 120)) } else { u64::from_le_bytes(e[120..128].try_into().expect("8")) };
            entries.push((name, start, n));
        }
    }
    let (_, root_start, root_len) = entries[0].clone();
    if root_len > len {
        return Err(bad("a stream longer than the file"));
    }
    // The mini stream (the root entry's chain) and the mini FAT.
    let mut mini_sectors = 0u64;
    let mut mini_fat: Vec<u32> = Vec::new();
    let mut ministream = Vec::new();
    if mini_fat_len > 0 {
        ministream = f.chain(root_start, &fat)?;
        mini_sectors = (ministream.len() as u64 * size as u64).min(root_len).div_ceil(64);
        for id in f.chain(u32_at(bytes, 60), &fat)? {
            mini_fat.extend(f.sector(id)?.chunks_exact(4).map(|c| u32_at(c, 0)));
        }
    }
    // Every named entry calamine may open by name.
    for (name, start, n) in entries.iter().skip(1) {
        if name.iter().all(|b| *b == 0) {
            continue;
        }
        if *n > len {
            return Err(bad("a stream longer than the file"));
        }
        // calamine follows an empty stream's chain too (through the mini FAT): a zero length
        // with a far start sector grew its buffer by gigabytes (the fuzzer found it).
        if *n == 0 && *start == ENDOFCHAIN {
            continue;
        }
        if *n < 4096 {
            let mini = File { bytes: &[], size: 64, sectors: mini_sectors };
            mini.chain(*start, &mini_fat)?;
        } else {
            f.chain(*start, &fat)?;
        }
    }
    Ok(Layout { size, fat, mini_fat, ministream, ministream_len: root_len, entries })
}

/// An entry's name as calamine reads it: UTF-16 up to the first NUL.
fn entry_name(raw: &[u8]) -> String {
    let units = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
    let name: String = char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
    match name.find('\0') {
        Some(at) => name[..at].to_string(),
        None => name,
    }
}

/// The file offsets of a stream's bytes, in order (as calamine assembles the stream: its chain's
/// sectors, cut to its length unless that is 0; a stream under 4096 bytes lives in the mini
/// stream).
fn stream_offsets(l: &Layout, start: u32, len: u64, file_len: usize) -> Vec<usize> {
    let in_file = |sector: u32, within: usize| (sector as usize + 1) * l.size + within;
    let chain = |mut id: u32, fat: &[u32]| {
        let mut out = Vec::new();
        // `layout` checked that every chain calamine follows ends within the file.
        while (id as usize) < fat.len() && out.len() <= fat.len() {
            out.push(id);
            id = fat[id as usize];
        }
        out
    };
    let mut out = Vec::new();
    if len < 4096 {
        for id in chain(start, &l.mini_fat) {
            for within in 0..64usize {
                let at = id as usize * 64 + within;
                if at as u64 >= l.ministream_len {
                    break;
                }
                if let Some(sector) = l.ministream.get(at / l.size) {
                    out.push(in_file(*sector, at % l.size));
                }
            }
        }
    } else {
        for id in chain(start, &l.fat) {
            out.extend((0..l.size).map(|within| in_file(id, within)));
        }
    }
    out.retain(|at| *at < file_len);
    // A stream of length 0 is its whole chain, as calamine reads it.
    if len > 0 {
        out.truncate(len as usize);
    }
    out
}

/// A copy of the file with every worksheet Dimensions record that declares more than
/// [`MAX_DECLARED_CELLS`] cells zeroed (when there is one), and the formula cells with date
/// formats; an error when a sheet's cells span more than [`MAX_SHEET_SPAN`] positions.
fn without_huge_dimensions(bytes: &[u8], l: &Layout) -> Result<Checked, String> {
    let Some((_, start, len)) = ["Workbook", "Book"]
        .iter()
        .find_map(|want| l.entries.iter().find(|(name, _, _)| entry_name(name) == *want))
    else {
        return Ok(Checked::default());
    };
    let at = stream_offsets(l, *start, *len, bytes.len());
    let stream: Vec<u8> = at.iter().map(|i| bytes[*i]).collect();
    let u16_at = |i: usize| u16::from_le_bytes([stream[i], stream[i + 1]]);
    // The records from `pos` (type, data offset, data length) up to the first EOF record, as
    // calamine's record iterator reads them (a Continue record belongs to the one before it).
    let records = |pos: usize| {
        let mut out = Vec::new();
        let mut i = pos;
        while i + 4 <= stream.len() {
            let (typ, n) = (u16_at(i), u16_at(i + 2) as usize);
            if i + 4 + n > stream.len() {
                break;
            }
            if typ != 0x003C {
                out.push((typ, i + 4, n));
            }
            i += 4 + n;
            if typ == 0x000A {
                break;
            }
        }
        out
    };
    // Each sheet starts where its BoundSheet record (in the workbook globals) says; the globals
    // also say which cell styles format dates.
    let mut formats = super::xls_dates::Formats::default();
    let mut checked = Checked::default();
    let mut sheets: Vec<(usize, Option<String>)> = Vec::new();
    for (typ, d, n) in records(0) {
        let data = &stream[d..d + n];
        formats.read(typ, data);
        match typ {
            0x0085 if n >= 4 => {
                let pos = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
                sheets.push((pos, super::xls_dates::sheet_name(data)));
            }
            0x0022 if n >= 2 => checked.date1904 = u16_at(d) == 1,
            _ => {}
        }
    }
    let mut zero = Vec::new();
    for (pos, sheet) in sheets {
        // The cells' positions, as calamine reads them from each kind of cell record.
        let mut span = Span::default();
        for (typ, d, n) in records(pos) {
            let data = &stream[d..d + n];
            match typ {
                0x0200 if declared_cells(data) > MAX_DECLARED_CELLS => zero.extend(d..d + n),
                0x0203 | 0x0204 | 0x0205 | 0x027E | 0x00FD | 0x0006 if n >= 4 => {
                    span.add(u16_at(d), u16_at(d + 2));
                    if typ == 0x0006 && super::xls_dates::numeric_result(data) && formats.is_date(u16_at(d + 4)) {
                        if let Some(name) = &sheet {
                            checked.date_formulas.insert((name.clone(), u32::from(u16_at(d)), u32::from(u16_at(d + 2))));
                        }
                    }
                }
                0x00BD if n >= 6 => {
                    span.add(u16_at(d), u16_at(d + 2));
                    span.add(u16_at(d), u16_at(d + n - 2));
                }
                _ => {}
            }
        }
        if span.positions() > MAX_SHEET_SPAN {
            return Err(format!(
                "a sheet's values span {} rows and {} columns, far more than a form has; delete the values far from the rest \
                 (the last is at row {}, column {}), or save the form again as .xlsx",
                span.rows(),
                span.cols(),
                span.max.0 + 1,
                super::sheet::column_letter(span.max.1)
            ));
        }
    }
    if !zero.is_empty() {
        let mut copy = bytes.to_vec();
        for i in zero {
            copy[at[i]] = 0;
        }
        checked.patched = Some(copy);
    }
    Ok(checked)
}

/// The smallest grid holding a sheet's cells: first and last row and column.
#[derive(Default)]
pub(crate) struct Span {
    pub(crate) min: (u32, u32),
    pub(crate) max: (u32, u32),
    any: bool,
}

impl Span {
    pub(crate) fn add(&mut self, row: impl Into<u32>, col: impl Into<u32>) {
        let (row, col) = (row.into(), col.into());
        if !self.any {
            (self.min, self.max, self.any) = ((row, col), (row, col), true);
            return;
        }
        self.min = (self.min.0.min(row), self.min.1.min(col));
        self.max = (self.max.0.max(row), self.max.1.max(col));
    }

    pub(crate) fn rows(&self) -> u64 {
        if self.any { u64::from(self.max.0 - self.min.0) + 1 } else { 0 }
    }

    pub(crate) fn cols(&self) -> u64 {
        if self.any { u64::from(self.max.1 - self.min.1) + 1 } else { 0 }
    }

    pub(crate) fn positions(&self) -> u64 {
        self.rows().saturating_mul(self.cols())
    }
}

/// The cells calamine reserves room for on reading a Dimensions record (its arithmetic, which
/// wraps in a release build), saturating.
fn declared_cells(r: &[u8]) -> u64 {
    let u16_at = |i: usize| u32::from(u16::from_le_bytes([r[i], r[i + 1]]));
    let u32_at = |i: usize| u32::from_le_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
    let (rf, rl, mut cf, cl) = match r.len() {
        10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
        14 => (u32_at(0), u32_at(4), u16_at(8), u16_at(10)),
        _ => return 0,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let ((r0, c0), (r1, c1)) = if 1 <= rl && 1 <= cl { ((rf, cf), (rl - 1, cl - 1)) } else { ((rf, cf), (rf, cf)) };
    let rows = u64::from(r1.wrapping_sub(r0).wrapping_add(1));
    let cols = u64::from(c1.wrapping_sub(c0).wrapping_add(1));
    rows.saturating_mul(cols)
}
