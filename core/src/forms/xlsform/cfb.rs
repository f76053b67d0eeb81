//! A bounds check of legacy `.xls` files (OLE2 compound files) before calamine reads them.
//!
//! calamine's compound-file reader trusts the sector numbers and lengths in the file: a sector
//! id of 2^32 makes it grow a buffer to terabytes, a length in the header becomes an
//! allocation, and a sector chain that loops grows without end. Any of these aborts the process
//! (the fuzzer found the first). So this walks exactly what calamine walks (header, DIFAT, FAT,
//! directory chain, mini FAT, every named directory entry's chain) and refuses the file unless
//! every sector id is inside the file, every chain ends within as many steps as the file has
//! sectors, and every length fits in the file. A real `.xls` passes untouched.

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

/// Checks a compound file as described in the module docs.
pub(crate) fn check(bytes: &[u8]) -> Result<(), String> {
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
    if mini_fat_len > 0 {
        let ministream = f.chain(root_start, &fat)?;
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
        if *n == 0 {
            continue;
        }
        if *n < 4096 {
            let mini = File { bytes: &[], size: 64, sectors: mini_sectors };
            mini.chain(*start, &mini_fat)?;
        } else {
            f.chain(*start, &fat)?;
        }
    }
    Ok(())
}
