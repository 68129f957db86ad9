//! Just enough of the Compound File Binary format (MS-CFB) to tell an .xls from an encrypted
//! OOXML package and to read the `Workbook` stream for the size checks before calamine builds
//! its ranges. Every offset is checked; a chain that loops or leaves the file is an error.

/// The CFB signature, `D0 CF 11 E0 A1 B1 1A E1`.
pub const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FREE: u32 = 0xFFFF_FFFF;
const DIR_ENTRY: usize = 128;

/// A damaged compound file: a short header, a chain out of bounds or looping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged;

#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    /// 1 storage, 2 stream, 5 root.
    pub kind: u8,
    start: u32,
    pub size: u64,
}

pub struct Compound<'a> {
    bytes: &'a [u8],
    sector_shift: u32,
    mini_shift: u32,
    mini_cutoff: u64,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
    pub entries: Vec<Entry>,
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, Damaged> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or(Damaged)
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, Damaged> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(Damaged)
}

impl<'a> Compound<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Compound<'a>, Damaged> {
        if bytes.len() < 512 || bytes[..8] != SIGNATURE {
            return Err(Damaged);
        }
        let sector_shift = u32::from(u16_at(bytes, 0x1E)?);
        let mini_shift = u32::from(u16_at(bytes, 0x20)?);
        if !(7..=16).contains(&sector_shift) || mini_shift >= sector_shift {
            return Err(Damaged);
        }
        let sector_size = 1usize << sector_shift;
        let sector_count = bytes.len() / sector_size;
        let mut compound = Compound {
            bytes,
            sector_shift,
            mini_shift,
            mini_cutoff: u64::from(u32_at(bytes, 0x38)?),
            fat: Vec::new(),
            mini_fat: Vec::new(),
            entries: Vec::new(),
        };

        // The FAT sectors: 109 in the header, the rest in the DIFAT chain.
        let fat_sectors = u32_at(bytes, 0x2C)? as usize;
        if fat_sectors > sector_count {
            return Err(Damaged);
        }
        let mut fat_list: Vec<u32> = Vec::with_capacity(fat_sectors);
        for i in 0..109.min(fat_sectors) {
            fat_list.push(u32_at(bytes, 0x4C + 4 * i)?);
        }
        let mut difat = u32_at(bytes, 0x44)?;
        let per_difat = sector_size / 4 - 1;
        let mut hops = 0;
        while fat_list.len() < fat_sectors && difat != END_OF_CHAIN && difat != FREE {
            hops += 1;
            if hops > sector_count {
                return Err(Damaged);
            }
            let sector = compound.sector(difat)?;
            for i in 0..per_difat {
                if fat_list.len() == fat_sectors {
                    break;
                }
                fat_list.push(u32_at(sector, 4 * i)?);
            }
            difat = u32_at(sector, 4 * per_difat)?;
        }
        let mut fat = Vec::with_capacity(fat_list.len() * sector_size / 4);
        for s in fat_list {
            let sector = compound.sector(s)?;
            fat.extend(
                sector
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
        compound.fat = fat;

        let directory = compound.chain(u32_at(bytes, 0x30)?, None)?;
        for raw in directory.chunks_exact(DIR_ENTRY) {
            let name_len = usize::from(u16_at(raw, 0x40)?).min(64);
            let units: Vec<u16> = raw[..name_len]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&u| u != 0)
                .collect();
            compound.entries.push(Entry {
                name: String::from_utf16_lossy(&units),
                kind: raw[0x42],
                start: u32_at(raw, 0x74)?,
                size: u64::from(u32_at(raw, 0x78)?),
            });
        }
        let mini_fat = compound.chain(u32_at(bytes, 0x3C)?, None)?;
        compound.mini_fat = mini_fat
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(compound)
    }

    fn sector(&self, id: u32) -> Result<&'a [u8], Damaged> {
        let size = 1usize << self.sector_shift;
        let start = (id as usize).checked_add(1).ok_or(Damaged)? << self.sector_shift;
        self.bytes.get(start..start + size).ok_or(Damaged)
    }

    /// The sectors of a chain, concatenated, cut to `size` when given.
    fn chain(&self, first: u32, size: Option<u64>) -> Result<Vec<u8>, Damaged> {
        let mut out = Vec::new();
        let mut id = first;
        let mut hops = 0usize;
        while id != END_OF_CHAIN && id != FREE {
            hops += 1;
            if hops > self.fat.len() + 1 {
                return Err(Damaged);
            }
            out.extend_from_slice(self.sector(id)?);
            if size.is_some_and(|s| out.len() as u64 >= s) {
                break;
            }
            id = *self.fat.get(id as usize).ok_or(Damaged)?;
        }
        if let Some(s) = size {
            if (out.len() as u64) < s {
                return Err(Damaged);
            }
            out.truncate(s as usize);
        }
        Ok(out)
    }

    pub fn find(&self, name: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.kind == 2 && e.name.eq_ignore_ascii_case(name))
    }

    pub fn has(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.name.eq_ignore_ascii_case(name))
    }

    /// The bytes of a stream, from the FAT or, when small, from the mini stream.
    pub fn read(&self, entry: &Entry) -> Result<Vec<u8>, Damaged> {
        if entry.size as usize > self.bytes.len() {
            return Err(Damaged);
        }
        if entry.size >= self.mini_cutoff {
            return self.chain(entry.start, Some(entry.size));
        }
        let root = self
            .entries
            .first()
            .filter(|e| e.kind == 5)
            .ok_or(Damaged)?;
        let mini_stream = self.chain(root.start, Some(root.size))?;
        let mini_size = 1usize << self.mini_shift;
        let mut out = Vec::with_capacity(entry.size as usize);
        let mut id = entry.start;
        let mut hops = 0usize;
        while id != END_OF_CHAIN && id != FREE && (out.len() as u64) < entry.size {
            hops += 1;
            if hops > self.mini_fat.len() + 1 {
                return Err(Damaged);
            }
            let start = id as usize * mini_size;
            out.extend_from_slice(mini_stream.get(start..start + mini_size).ok_or(Damaged)?);
            id = *self.mini_fat.get(id as usize).ok_or(Damaged)?;
        }
        if (out.len() as u64) < entry.size {
            return Err(Damaged);
        }
        out.truncate(entry.size as usize);
        Ok(out)
    }
}
