//! Everything a file must pass before calamine sees it: the real format from the magic bytes,
//! and the limits that keep a hostile or absurd file from exhausting memory (zip bombs, lying
//! counts, far cells, entity declarations). Every refusal is a [`FileError`] that says which
//! limit was hit and what the clerk can do about it.
//!
//! What is checked where:
//! - zip packages (.xlsx/.xlsm/.ods): the central directory only (member count, total
//!   uncompressed size, ratio per member), the prolog of every XML part (no DOCTYPE), the
//!   `<sst>` counts of xlsx shared strings (calamine reserves them up front);
//! - .xlsx sheets: streamed by the reader under the row/column/cell caps, nothing is built whole;
//! - .ods: `content.xml` is scanned once with the row and column repeat counts expanded, so the
//!   ranges calamine would build are known before it builds them;
//! - .xls: the `Workbook` stream's records are scanned (FILEPASS, DIMENSIONS, the position of
//!   every cell record) for the same reason.
//!
//! What is not: a member whose compressed stream inflates beyond the size the central directory
//! declares is only caught by calamine's own reading; the lead runs parses in a memory-limited
//! child process, so such a file kills that child, not the service.

use std::borrow::Cow;
use std::io::{BufReader, Cursor, Read};

use quick_xml::events::Event;
use serde::{Deserialize, Serialize};

use super::cfb::{self, Compound};
use crate::domain::Lang;

/// The caps a workbook must stay under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Size of the uploaded file itself.
    pub max_file_bytes: u64,
    /// Sum of the uncompressed sizes of a zip package's members.
    pub max_uncompressed_bytes: u64,
    /// Members of a zip package.
    pub max_members: usize,
    /// Uncompressed ÷ compressed size of one member, checked for members over
    /// `ratio_min_bytes`.
    pub max_ratio: u64,
    pub ratio_min_bytes: u64,
    /// Highest row a sheet may use.
    pub max_rows: u32,
    /// Highest column a sheet may use.
    pub max_columns: u32,
    /// Non-empty cells of the whole workbook; for .xls/.ods also the area of a sheet's used range.
    pub max_cells: u64,
}

/// Rows a sheet may use above its data: titles, 填报单位 lines and the header, which is looked for
/// within the first 30 rows. The row limit counts data rows, so a sheet of exactly `max_rows`
/// items under a title and a header is accepted.
pub const HEADER_ROWS: u32 = 30;

impl Limits {
    /// The highest row a sheet may use: `max_rows` data rows plus [`HEADER_ROWS`].
    pub fn sheet_rows(&self) -> u64 {
        u64::from(self.max_rows) + u64::from(HEADER_ROWS)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 100 << 20,
            max_uncompressed_bytes: 200 << 20,
            max_members: 1_000,
            max_ratio: 200,
            ratio_min_bytes: 1 << 20,
            max_rows: 100_000,
            max_columns: 16_384,
            max_cells: 3_000_000,
        }
    }
}

/// Why a whole file cannot be used (exit 2, HTTP 422).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileErrorCode {
    EmptyFile,
    NotAWorkbook,
    UnsupportedFormat,
    Encrypted,
    Truncated,
    Corrupt,
    TooLarge,
    ZipBomb,
    TooManyRows,
    TooManyColumns,
    TooManyCells,
    UnsupportedXml,
    NoHeader,
}

impl FileErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FileErrorCode::EmptyFile => "empty_file",
            FileErrorCode::NotAWorkbook => "not_a_workbook",
            FileErrorCode::UnsupportedFormat => "unsupported_format",
            FileErrorCode::Encrypted => "encrypted",
            FileErrorCode::Truncated => "truncated",
            FileErrorCode::Corrupt => "corrupt",
            FileErrorCode::TooLarge => "too_large",
            FileErrorCode::ZipBomb => "zip_bomb",
            FileErrorCode::TooManyRows => "too_many_rows",
            FileErrorCode::TooManyColumns => "too_many_columns",
            FileErrorCode::TooManyCells => "too_many_cells",
            FileErrorCode::UnsupportedXml => "unsupported_xml",
            FileErrorCode::NoHeader => "no_header",
        }
    }
}

impl std::fmt::Display for FileErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What exactly went wrong, for the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    None,
    /// The file is of this other type: `html`, `xml2003`, `word`, `pdf`, `image`, `archive`,
    /// `presentation`, `xlsb`, `binary`, `zip`, `cfb`.
    OtherType(String),
    /// A member of the zip package.
    Member(String),
    /// The size of the file itself rather than its unpacked content.
    FileSize,
    /// The `<sst>` counts of the shared strings.
    SharedStrings,
    /// The declared DIMENSIONS of an .xls sheet.
    Declared,
    /// What the underlying reader said.
    Reader(String),
}

/// A file that cannot be used at all, with the limit and the value found where one applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {}", self.message(Lang::Zh))]
pub struct FileError {
    pub code: FileErrorCode,
    pub sheet: Option<String>,
    pub limit: Option<u64>,
    pub found: Option<u64>,
    pub detail: Detail,
}

impl FileError {
    pub fn new(code: FileErrorCode) -> FileError {
        FileError {
            code,
            sheet: None,
            limit: None,
            found: None,
            detail: Detail::None,
        }
    }

    pub(crate) fn over(code: FileErrorCode, limit: u64, found: u64) -> FileError {
        FileError {
            limit: Some(limit),
            found: Some(found),
            ..FileError::new(code)
        }
    }

    pub(crate) fn with_sheet(mut self, sheet: &str) -> FileError {
        self.sheet = Some(sheet.to_string());
        self
    }

    pub(crate) fn with_detail(mut self, detail: Detail) -> FileError {
        self.detail = detail;
        self
    }

    pub(crate) fn other_type(kind: &str) -> FileError {
        FileError::new(FileErrorCode::NotAWorkbook).with_detail(Detail::OtherType(kind.into()))
    }

    pub(crate) fn corrupt(reader_says: impl std::fmt::Display) -> FileError {
        FileError::new(FileErrorCode::Corrupt).with_detail(Detail::Reader(reader_says.to_string()))
    }

    /// One sentence for the clerk: what is wrong, which limit, what to do.
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let limit = self.limit.unwrap_or(0);
        let found = self.found.unwrap_or(0);
        let sheet = self.sheet.as_deref().unwrap_or("");
        let save_as = if zh {
            "请用 Excel 或 WPS 打开后“另存为” .xlsx 文件再上传。"
        } else {
            "Open it in Excel or WPS, save it as .xlsx and upload that."
        };
        match (self.code, &self.detail) {
            (FileErrorCode::EmptyFile, _) => pick(
                zh,
                "文件是空的（0 字节）。请确认选择的是填好的工作簿后重新上传。".into(),
                "The file is empty (0 bytes). Check that you chose the filled-in workbook and upload again.".into(),
            ),
            (FileErrorCode::NotAWorkbook, Detail::OtherType(kind)) => {
                let (zh_kind, en_kind) = match kind.as_str() {
                    "html" => ("网页（HTML），只是扩展名为表格格式", "a web page (HTML) with a spreadsheet extension"),
                    "xml2003" => ("Excel 2003 XML 表格", "an Excel 2003 XML spreadsheet"),
                    "word" => ("Word 文档", "a Word document"),
                    "presentation" => ("演示文稿", "a presentation"),
                    "pdf" => ("PDF 文件", "a PDF file"),
                    "image" => ("图片", "an image"),
                    "archive" | "zip" => ("压缩包", "an archive"),
                    "odt" => ("文字文档", "a text document"),
                    _ => ("无法识别的文件", "not a file we recognise"),
                };
                pick(
                    zh,
                    format!("该文件是{zh_kind}，不是 .xlsx、.xls、.ods 或 .csv 电子表格。{save_as}"),
                    format!("This file is {en_kind}, not an .xlsx, .xls, .ods or .csv spreadsheet. {save_as}"),
                )
            }
            (FileErrorCode::NotAWorkbook, _) => pick(
                zh,
                format!("无法识别该文件：它不是 .xlsx、.xls、.ods 或 .csv 电子表格。{save_as}"),
                format!("This file is not an .xlsx, .xls, .ods or .csv spreadsheet. {save_as}"),
            ),
            (FileErrorCode::UnsupportedFormat, _) => pick(
                zh,
                format!("暂不支持 Excel 二进制工作簿（.xlsb）。{save_as}"),
                format!("Excel binary workbooks (.xlsb) are not supported. {save_as}"),
            ),
            (FileErrorCode::Encrypted, _) => pick(
                zh,
                "文件设置了打开密码（已加密），系统无法读取。请在 Excel 或 WPS 中清除文件密码（文件→信息→保护工作簿→用密码进行加密，删除密码并保存）后重新上传。".into(),
                "The file is protected with a password (encrypted) and cannot be read. Remove the password in Excel or WPS (File → Info → Protect Workbook → Encrypt with Password, clear it, save) and upload again.".into(),
            ),
            (FileErrorCode::Truncated, _) => pick(
                zh,
                "文件不完整（可能保存或上传时中断），无法打开。请在 Excel 或 WPS 中确认能正常打开，重新保存后再上传。".into(),
                "The file is incomplete (saving or uploading was interrupted) and cannot be opened. Check that it opens in Excel or WPS, save it again and upload.".into(),
            ),
            (FileErrorCode::Corrupt, detail) => {
                let (why_zh, why_en) = match detail {
                    Detail::Reader(s) => (format!("（{s}）"), format!(" ({s})")),
                    _ => (String::new(), String::new()),
                };
                pick(
                    zh,
                    format!("文件已损坏，无法读取{why_zh}。{save_as}"),
                    format!("The file is damaged and cannot be read{why_en}. {save_as}"),
                )
            }
            (FileErrorCode::TooLarge, Detail::FileSize) => pick(
                zh,
                format!("文件大小为 {}，超过 {} 的上限。请删除无关工作表、图片或多余的空白行列，或拆分后分别上传。", size(found), size(limit)),
                format!("The file is {}, over the limit of {}. Delete unrelated sheets, pictures or empty rows and columns, or split it and upload the parts.", size(found), size(limit)),
            ),
            // The sandbox killed the parse (src/service/parse.rs): no sizes to quote.
            (FileErrorCode::TooLarge, Detail::Reader(_)) if self.limit.is_none() => pick(
                zh,
                format!("读取该文件超出了内存或时间上限，文件可能过大或结构异常。{save_as}"),
                format!("Reading the file went over the memory or time limit; it may be too large or malformed. {save_as}"),
            ),
            (FileErrorCode::TooLarge, _) => pick(
                zh,
                format!("文件解压后约 {}，超过 {} 的上限。请删除无关工作表、图片或多余的空白行列，或拆分后分别上传。", size(found), size(limit)),
                format!("Unpacked, the file is about {}, over the limit of {}. Delete unrelated sheets, pictures or empty rows and columns, or split it and upload the parts.", size(found), size(limit)),
            ),
            (FileErrorCode::ZipBomb, Detail::Member(member)) => pick(
                zh,
                format!("文件中的部件“{member}”压缩比异常（{found}:1，上限 {limit}:1），可能是恶意构造的文件，系统拒绝读取。{save_as}"),
                format!("The part “{member}” is compressed {found}:1, over the limit of {limit}:1, as in a zip bomb; the file is refused. {save_as}"),
            ),
            (FileErrorCode::ZipBomb, _) => pick(
                zh,
                format!("文件内部包含 {found} 个部件，超过 {limit} 个的上限，不像正常的工作簿。{save_as}"),
                format!("The file holds {found} parts, over the limit of {limit}; that is not a normal workbook. {save_as}"),
            ),
            (FileErrorCode::TooManyRows, _) => pick(
                zh,
                format!("工作表“{sheet}”用到了第 {found} 行，超过每张工作表 {limit} 行数据（另加表头区 30 行）的上限。请删除表格下方多余的内容（包括只有格式的空行），或拆分为多个文件分别上传。"),
                format!("Sheet “{sheet}” uses row {found}, over the limit of {limit} data rows per sheet (plus 30 rows for titles and the header). Delete what lies below the table (including formatted empty rows), or split the file and upload the parts."),
            ),
            (FileErrorCode::TooManyColumns, _) => pick(
                zh,
                format!("工作表“{sheet}”用到了第 {found} 列，超过 {limit} 列的上限。请删除表格右侧多余的列后再上传。"),
                format!("Sheet “{sheet}” uses column {found}, over the limit of {limit} columns. Delete the extra columns to the right of the table and upload again."),
            ),
            (FileErrorCode::TooManyCells, Detail::SharedStrings) => pick(
                zh,
                format!("文件声明包含 {found} 个文本单元格，超过 {limit} 个的上限。请删除无关工作表或拆分后分别上传。"),
                format!("The file declares {found} text cells, over the limit of {limit}. Delete unrelated sheets or split the file and upload the parts."),
            ),
            (FileErrorCode::TooManyCells, Detail::Declared) => pick(
                zh,
                format!("工作表“{sheet}”声明的数据区域有 {found} 个单元格，超过 {limit} 个的上限。请删除无关内容，或另存为 .xlsx 后再上传。"),
                format!("Sheet “{sheet}” declares a used range of {found} cells, over the limit of {limit}. Delete unrelated content, or save it as .xlsx and upload that."),
            ),
            (FileErrorCode::TooManyCells, _) => {
                let where_zh = if sheet.is_empty() { "文件".to_string() } else { format!("工作表“{sheet}”") };
                let where_en = if sheet.is_empty() { "The file".to_string() } else { format!("Sheet “{sheet}”") };
                pick(
                    zh,
                    format!("{where_zh}包含约 {found} 个单元格，超过 {limit} 个的上限。请删除无关工作表或多余的内容，或拆分后分别上传。"),
                    format!("{where_en} holds about {found} cells, over the limit of {limit}. Delete unrelated sheets or content, or split the file and upload the parts."),
                )
            }
            (FileErrorCode::UnsupportedXml, detail) => {
                let member = match detail {
                    Detail::Member(m) => m.as_str(),
                    _ => "",
                };
                pick(
                    zh,
                    format!("文件中的部件“{member}”含有 DOCTYPE 声明（Excel 和 WPS 不会写出这种内容），出于安全原因拒绝读取。{save_as}"),
                    format!("The part “{member}” contains a DOCTYPE declaration, which Excel and WPS never write; it is refused for safety. {save_as}"),
                )
            }
            (FileErrorCode::NoHeader, _) => pick(
                zh,
                "没有找到表头行：各工作表的前 30 行中，都没有一行同时包含“事项名称”（或“培训名称”）和至少两个其他模板列（如“实施部门”“检验周期”“拟处理意见”）。请使用系统下载的模板，或把表头改成模板中的列名后再上传。".into(),
                "No header row found: in the first 30 rows of every sheet, no row holds 事项名称 (or 培训名称) and at least two other template columns (such as 实施部门, 检验周期, 拟处理意见). Use the template, or rename the headers to the template's, and upload again.".into(),
            ),
        }
    }
}

fn pick(zh: bool, zh_text: String, en_text: String) -> String {
    if zh { zh_text } else { en_text }
}

/// A byte count as people read it: `200 MiB`, `1.5 MiB`, `512 KiB`.
fn size(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes < MIB {
        return format!("{} KiB", bytes.div_ceil(1024));
    }
    if bytes.is_multiple_of(MIB) {
        return format!("{} MiB", bytes / MIB);
    }
    let mib = bytes as f64 / MIB as f64;
    // Enough digits that a size just over a limit does not print as the limit.
    let decimals = if mib.fract() < 0.05 { 2 } else { 1 };
    format!("{mib:.decimals$} MiB")
}

/// The real format of a file, whatever its name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Xlsx,
    Xlsm,
    Xls,
    Ods,
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Csv => "csv",
        }
    }

    /// Whether a file name's extension is one this format is saved under.
    pub fn matches_extension(self, ext: &str) -> bool {
        match self {
            Format::Xlsx => ext == "xlsx",
            Format::Xlsm => ext == "xlsm" || ext == "xlsx",
            Format::Xls => ext == "xls" || ext == "et",
            Format::Ods => ext == "ods",
            Format::Csv => matches!(ext, "csv" | "txt" | "tsv"),
        }
    }
}

/// The text encodings of a .csv we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Gb18030,
}

impl TextEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
            TextEncoding::Gb18030 => "GB18030",
        }
    }

    /// The text, without a byte order mark. Only called once [`sniff`] has accepted it.
    pub fn decode(self, bytes: &[u8]) -> Cow<'_, str> {
        match self {
            TextEncoding::Utf8 => {
                let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                String::from_utf8_lossy(body)
            }
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE.decode_with_bom_removal(bytes).0,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE.decode_with_bom_removal(bytes).0,
            TextEncoding::Gb18030 => encoding_rs::GB18030.decode_without_bom_handling(bytes).0,
        }
    }
}

/// What [`sniff`] found out about a file that may be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    pub format: Format,
    /// For .csv.
    pub encoding: Option<TextEncoding>,
    /// The file name's extension when it disagrees with the content.
    pub extension_mismatch: Option<String>,
}

/// The lowercase extension of a file name, `""` when it has none.
pub fn extension(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Tells the format from the bytes and runs every check that can be run before calamine.
pub fn sniff(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Sniffed, FileError> {
    if bytes.is_empty() {
        return Err(FileError::new(FileErrorCode::EmptyFile));
    }
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(FileError::over(
            FileErrorCode::TooLarge,
            limits.max_file_bytes,
            bytes.len() as u64,
        )
        .with_detail(Detail::FileSize));
    }
    let (format, encoding) = if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
    {
        (check_zip(bytes, limits)?, None)
    } else if bytes.starts_with(&cfb::SIGNATURE) {
        check_compound(bytes, limits)?;
        (Format::Xls, None)
    } else {
        (Format::Csv, Some(text_encoding(bytes)?))
    };
    let ext = extension(file_name);
    let extension_mismatch = (!format.matches_extension(&ext)).then_some(ext);
    Ok(Sniffed {
        format,
        encoding,
        extension_mismatch,
    })
}

/// Magic numbers of files people upload by mistake.
const OTHER_MAGIC: &[(&[u8], &str)] = &[
    (b"%PDF", "pdf"),
    (b"\x89PNG", "image"),
    (b"\xFF\xD8\xFF", "image"),
    (b"GIF8", "image"),
    (b"Rar!", "archive"),
    (b"7z\xBC\xAF", "archive"),
    (b"\x1F\x8B", "archive"),
    (b"{\\rtf", "word"),
];

fn text_encoding(bytes: &[u8]) -> Result<TextEncoding, FileError> {
    if let Some((_, kind)) = OTHER_MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Err(FileError::other_type(kind));
    }
    let encoding = if bytes.starts_with(b"\xFF\xFE") {
        TextEncoding::Utf16Le
    } else if bytes.starts_with(b"\xFE\xFF") {
        TextEncoding::Utf16Be
    } else if std::str::from_utf8(bytes).is_ok() {
        TextEncoding::Utf8
    } else if encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .is_some()
    {
        TextEncoding::Gb18030
    } else {
        return Err(FileError::new(FileErrorCode::NotAWorkbook));
    };
    let head: String = encoding
        .decode(&bytes[..bytes.len().min(8192)])
        .chars()
        .take(4096)
        .collect();
    // Binary data that happens to decode: control characters other than tab and line breaks.
    let controls = head
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{FFFD}'))
        .count();
    if controls > 0 {
        return Err(FileError::new(FileErrorCode::NotAWorkbook));
    }
    let lower = head.trim_start().to_ascii_lowercase();
    if lower.starts_with('<') {
        if lower.contains("urn:schemas-microsoft-com:office:spreadsheet") {
            return Err(FileError::other_type("xml2003"));
        }
        if lower.contains("<html") || lower.contains("<table") || lower.contains("<!doctype html") {
            return Err(FileError::other_type("html"));
        }
    }
    Ok(encoding)
}

fn zip_error(e: zip::result::ZipError) -> FileError {
    match e {
        zip::result::ZipError::InvalidArchive(_) | zip::result::ZipError::Io(_) => {
            FileError::new(FileErrorCode::Truncated)
        }
        zip::result::ZipError::UnsupportedArchive(s)
            if s == zip::result::ZipError::PASSWORD_REQUIRED =>
        {
            FileError::new(FileErrorCode::Encrypted)
        }
        other => FileError::corrupt(other),
    }
}

/// Checks a zip package from its central directory and tells xlsx/xlsm from ods.
fn check_zip(bytes: &[u8], limits: &Limits) -> Result<Format, FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    if archive.len() > limits.max_members {
        return Err(FileError::over(
            FileErrorCode::ZipBomb,
            limits.max_members as u64,
            archive.len() as u64,
        ));
    }
    let mut total: u64 = 0;
    let mut names = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive.by_index_data(i).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        if entry.encrypted() {
            return Err(FileError::new(FileErrorCode::Encrypted));
        }
        let size = entry.size();
        // The ratio first: an absurd ratio says more about the file than its size does.
        if size > limits.ratio_min_bytes {
            let ratio = size / entry.compressed_size().max(1);
            if ratio > limits.max_ratio {
                return Err(
                    FileError::over(FileErrorCode::ZipBomb, limits.max_ratio, ratio)
                        .with_detail(Detail::Member(name)),
                );
            }
        }
        total = total.saturating_add(size);
        if total > limits.max_uncompressed_bytes {
            return Err(FileError::over(
                FileErrorCode::TooLarge,
                limits.max_uncompressed_bytes,
                total,
            ));
        }
        names.push(name);
    }
    let has = |n: &str| names.iter().any(|m| m.eq_ignore_ascii_case(n));
    let format = if has("[Content_Types].xml") {
        if names
            .iter()
            .any(|n| n.starts_with("xl/") && n.ends_with(".bin") && n.contains("workbook"))
        {
            return Err(FileError::new(FileErrorCode::UnsupportedFormat)
                .with_detail(Detail::OtherType("xlsb".into())));
        } else if names.iter().any(|n| n.starts_with("xl/")) {
            let mut types = String::new();
            let part = archive.by_name("[Content_Types].xml").map_err(zip_error)?;
            // Macro-enabled is a label only; a damaged part is calamine's to report.
            let _ = part.take(1 << 20).read_to_string(&mut types);
            if types.contains("macroEnabled") || has("xl/vbaProject.bin") {
                Format::Xlsm
            } else {
                Format::Xlsx
            }
        } else if names.iter().any(|n| n.starts_with("word/")) {
            return Err(FileError::other_type("word"));
        } else if names.iter().any(|n| n.starts_with("ppt/")) {
            return Err(FileError::other_type("presentation"));
        } else {
            return Err(FileError::new(FileErrorCode::NotAWorkbook));
        }
    } else if has("mimetype") {
        let mut mimetype = String::new();
        let file = archive.by_name("mimetype").map_err(zip_error)?;
        file.take(128)
            .read_to_string(&mut mimetype)
            .map_err(|_| FileError::new(FileErrorCode::Truncated))?;
        match mimetype.trim() {
            "application/vnd.oasis.opendocument.spreadsheet" => Format::Ods,
            "application/vnd.oasis.opendocument.text" => return Err(FileError::other_type("odt")),
            "application/vnd.oasis.opendocument.presentation" => {
                return Err(FileError::other_type("presentation"));
            }
            _ => return Err(FileError::new(FileErrorCode::NotAWorkbook)),
        }
    } else {
        return Err(FileError::other_type("zip"));
    };

    for (i, name) in names.iter().enumerate() {
        let lower = name.to_ascii_lowercase();
        if !(lower.ends_with(".xml") || lower.ends_with(".rels") || lower.ends_with(".vml")) {
            continue;
        }
        let file = archive.by_index(i).map_err(zip_error)?;
        let shared_strings = format != Format::Ods && lower.ends_with("sharedstrings.xml");
        check_prolog(BufReader::new(file), name, shared_strings, limits)?;
    }
    if format == Format::Ods {
        let content = archive.by_name("content.xml").map_err(zip_error)?;
        check_ods_content(BufReader::new(content), limits)?;
    }
    Ok(format)
}

/// Reads an XML part up to its root element: refuses a DOCTYPE (entity declarations) and, for
/// shared strings, counts larger than the cell cap (calamine reserves `uniqueCount` up front).
fn check_prolog<R: std::io::BufRead>(
    reader: R,
    member: &str,
    shared_strings: bool,
    limits: &Limits,
) -> Result<(), FileError> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    let mut buf = Vec::with_capacity(256);
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::DocType(_)) => {
                return Err(FileError::new(FileErrorCode::UnsupportedXml)
                    .with_detail(Detail::Member(member.to_string())));
            }
            Ok(Event::Start(e) | Event::Empty(e)) => {
                if shared_strings {
                    for name in ["count", "uniqueCount"] {
                        let value = e
                            .try_get_attribute(name)
                            .ok()
                            .flatten()
                            .and_then(|a| a.value.trim().parse::<u64>().ok());
                        if let Some(n) = value.filter(|&n| n > limits.max_cells) {
                            return Err(FileError::over(
                                FileErrorCode::TooManyCells,
                                limits.max_cells,
                                n,
                            )
                            .with_detail(Detail::SharedStrings));
                        }
                    }
                }
                return Ok(());
            }
            // Broken XML is calamine's to report, in its words.
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

fn attr_u64(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<u64> {
    let attr = e.try_get_attribute(name).ok().flatten()?;
    attr.value.trim().parse().ok()
}

fn attr_string(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    let attr = e.try_get_attribute(name).ok().flatten()?;
    Some(attr.value.into_owned())
}

/// The used range of one sheet as calamine would build it.
#[derive(Debug, Default)]
struct Extent {
    first_row: Option<u64>,
    last_row: u64,
    first_col: Option<u64>,
    last_col: u64,
    cells: u64,
}

impl Extent {
    fn add(&mut self, row: u64, rows: u64, col: u64, cols: u64) {
        self.first_row = Some(self.first_row.map_or(row, |r| r.min(row)));
        self.last_row = self.last_row.max(row + rows - 1);
        self.first_col = Some(self.first_col.map_or(col, |c| c.min(col)));
        self.last_col = self.last_col.max(col + cols - 1);
        self.cells = self.cells.saturating_add(rows.saturating_mul(cols));
    }

    /// Checks the sheet against the limits and adds its cells to the workbook's count.
    fn check(
        &self,
        sheet: &str,
        limits: &Limits,
        total: &mut u64,
        declared: bool,
    ) -> Result<(), FileError> {
        let Some(first_row) = self.first_row else {
            return Ok(());
        };
        let first_col = self.first_col.unwrap_or(0);
        if self.last_row + 1 > limits.sheet_rows() {
            return Err(FileError::over(
                FileErrorCode::TooManyRows,
                limits.max_rows.into(),
                self.last_row + 1,
            )
            .with_sheet(sheet));
        }
        if self.last_col + 1 > u64::from(limits.max_columns) {
            return Err(FileError::over(
                FileErrorCode::TooManyColumns,
                limits.max_columns.into(),
                self.last_col + 1,
            )
            .with_sheet(sheet));
        }
        let area = (self.last_row - first_row + 1).saturating_mul(self.last_col - first_col + 1);
        if area > limits.max_cells {
            let e = FileError::over(FileErrorCode::TooManyCells, limits.max_cells, area)
                .with_sheet(sheet);
            return Err(if declared {
                e.with_detail(Detail::Declared)
            } else {
                e
            });
        }
        *total = total.saturating_add(self.cells);
        if *total > limits.max_cells {
            return Err(FileError::over(
                FileErrorCode::TooManyCells,
                limits.max_cells,
                *total,
            ));
        }
        Ok(())
    }
}

/// Scans an .ods `content.xml` with the repeat counts expanded: calamine builds a dense range
/// over the used cells of each table, so that range must fit the caps before it is built.
fn check_ods_content<R: std::io::BufRead>(reader: R, limits: &Limits) -> Result<(), FileError> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    let mut buf = Vec::with_capacity(1024);
    let mut skip = Vec::with_capacity(256);
    let mut sheet = String::new();
    let mut extent = Extent::default();
    let mut total = 0u64;
    let (mut row, mut col, mut row_repeat) = (0u64, 0u64, 1u64);
    loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(_) => return Ok(()),
        };
        match event {
            Event::DocType(_) => {
                return Err(FileError::new(FileErrorCode::UnsupportedXml)
                    .with_detail(Detail::Member("content.xml".into())));
            }
            Event::Start(e) if e.name().as_ref() == "table:table" => {
                sheet = attr_string(&e, "table:name").unwrap_or_default();
                extent = Extent::default();
                row = 0;
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                extent.check(&sheet, limits, &mut total, false)?;
            }
            Event::Start(ref e) | Event::Empty(ref e) if e.name().as_ref() == "table:table-row" => {
                row_repeat = attr_u64(e, "table:number-rows-repeated")
                    .unwrap_or(1)
                    .max(1);
                col = 0;
                if matches!(event, Event::Empty(_)) {
                    row = row.saturating_add(row_repeat);
                }
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                row = row.saturating_add(row_repeat);
            }
            Event::Start(ref e) | Event::Empty(ref e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                let repeat = attr_u64(e, "table:number-columns-repeated")
                    .unwrap_or(1)
                    .max(1);
                let has_children = matches!(event, Event::Start(_));
                let has_value = e
                    .try_get_attribute("office:value-type")
                    .ok()
                    .flatten()
                    .is_some()
                    || e.try_get_attribute("table:formula")
                        .ok()
                        .flatten()
                        .is_some();
                if has_children || has_value {
                    extent.add(row, row_repeat, col, repeat);
                    // A repeat far to the right or below is refused before it is counted again.
                    if extent.last_row + 1 > limits.sheet_rows()
                        || extent.last_col + 1 > u64::from(limits.max_columns)
                        || extent.cells > limits.max_cells
                    {
                        extent.check(&sheet, limits, &mut total, false)?;
                    }
                }
                col = col.saturating_add(repeat);
                if has_children {
                    let end = e.name().as_ref().to_string();
                    skip.clear();
                    if xml
                        .read_to_end_into(quick_xml::name::QName(&end), &mut skip)
                        .is_err()
                    {
                        return Ok(());
                    }
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// A compound file: an .xls, an encrypted OOXML package, or something else of Office's.
fn check_compound(bytes: &[u8], limits: &Limits) -> Result<(), FileError> {
    let compound = Compound::parse(bytes).map_err(|_| FileError::new(FileErrorCode::Truncated))?;
    if compound.has("EncryptionInfo") || compound.has("EncryptedPackage") {
        return Err(FileError::new(FileErrorCode::Encrypted));
    }
    let Some(entry) = compound.find("Workbook").or_else(|| compound.find("Book")) else {
        if compound.has("WordDocument") {
            return Err(FileError::other_type("word"));
        }
        if compound.has("PowerPoint Document") {
            return Err(FileError::other_type("presentation"));
        }
        return Err(FileError::other_type("cfb"));
    };
    let stream = compound
        .read(entry)
        .map_err(|_| FileError::new(FileErrorCode::Truncated))?;
    check_biff(&stream, limits)
}

/// Scans the BIFF records of an .xls `Workbook` stream: a FILEPASS means encrypted; the
/// DIMENSIONS record (calamine reserves by it) and the positions of the cell records (calamine
/// builds a dense range over them) must fit the caps.
fn check_biff(stream: &[u8], limits: &Limits) -> Result<(), FileError> {
    let mut sheet_names: Vec<(u32, String)> = Vec::new();
    let mut depth = 0u32;
    let mut sheet = String::new();
    let mut extent = Extent::default();
    let mut total = 0u64;
    let mut pos = 0usize;
    while pos + 4 <= stream.len() {
        let typ = u16_at(stream, pos);
        let len = usize::from(u16_at(stream, pos + 2));
        let Some(data) = stream.get(pos + 4..pos + 4 + len) else {
            break;
        };
        let offset = pos as u32;
        pos += 4 + len;
        match typ {
            0x0809 => {
                depth += 1;
                if depth == 1 {
                    extent = Extent::default();
                    sheet = sheet_names
                        .iter()
                        .find(|(at, _)| *at == offset)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default();
                }
            }
            0x000A => {
                if depth == 1 {
                    extent.check(&sheet, limits, &mut total, false)?;
                }
                depth = depth.saturating_sub(1);
            }
            _ if depth != 1 => {}
            0x002F => return Err(FileError::new(FileErrorCode::Encrypted)),
            0x0085 => sheet_names.push((u32_at(data, 0), bound_sheet_name(data))),
            0x0200 => check_dimensions(data, &sheet, limits)?,
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 if data.len() >= 4 => {
                extent.add(u16_at(data, 0).into(), 1, u16_at(data, 2).into(), 1);
            }
            0x00BD if data.len() >= 6 => {
                let first = u64::from(u16_at(data, 2));
                let last = u64::from(u16_at(data, data.len() - 2));
                extent.add(
                    u16_at(data, 0).into(),
                    1,
                    first,
                    last.saturating_sub(first) + 1,
                );
            }
            _ => {}
        }
    }
    // calamine reads each sheet from the offset its BOUNDSHEET record gives, not in stream
    // order, and reads a sheet cut off before its EOF too: a crafted file can hide cells from
    // the scan above (found by the import_xls fuzz target, see RELIABILITY.md). So each sheet is
    // also scanned as calamine reads it.
    let mut total = 0u64;
    for (at, name) in &sheet_names {
        check_sheet_at(stream, *at as usize, name, limits, &mut total)?;
    }
    Ok(())
}

/// One sheet's records from `at`, the way calamine's `Xls` reads them: nested substreams
/// (charts) skipped, up to the sheet's EOF or the end of the stream.
fn check_sheet_at(
    stream: &[u8],
    at: usize,
    sheet: &str,
    limits: &Limits,
    total: &mut u64,
) -> Result<(), FileError> {
    // calamine slices the stream at the offset unchecked: past the end it panics (found by the
    // import_xls fuzz target, see RELIABILITY.md).
    if at > stream.len() {
        return Err(
            FileError::corrupt("BOUNDSHEET offset past the end of the workbook stream")
                .with_sheet(sheet),
        );
    }
    let mut extent = Extent::default();
    let mut seen_bof = false;
    let mut nested = 0u32;
    let mut pos = at;
    while pos + 4 <= stream.len() {
        let typ = u16_at(stream, pos);
        let len = usize::from(u16_at(stream, pos + 2));
        let Some(data) = stream.get(pos + 4..pos + 4 + len) else {
            break;
        };
        pos += 4 + len;
        if nested > 0 {
            match typ {
                0x0809 => nested += 1,
                0x000A => nested -= 1,
                _ => {}
            }
            continue;
        }
        match typ {
            0x0809 if seen_bof => nested += 1,
            0x0809 => seen_bof = true,
            0x000A => break,
            0x0200 => check_dimensions(data, sheet, limits)?,
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 if data.len() >= 4 => {
                extent.add(u16_at(data, 0).into(), 1, u16_at(data, 2).into(), 1);
            }
            0x00BD if data.len() >= 6 => {
                let first = u64::from(u16_at(data, 2));
                let last = u64::from(u16_at(data, data.len() - 2));
                extent.add(
                    u16_at(data, 0).into(),
                    1,
                    first,
                    last.saturating_sub(first) + 1,
                );
            }
            _ => {}
        }
    }
    extent.check(sheet, limits, total, false)
}

/// Mirrors calamine's reading of DIMENSIONS, which reserves rows × columns cells.
fn check_dimensions(data: &[u8], sheet: &str, limits: &Limits) -> Result<(), FileError> {
    let (first_row, last_row, mut first_col, last_col) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0)),
            u32::from(u16_at(data, 2)),
            u32::from(u16_at(data, 4)),
            u32::from(u16_at(data, 6)),
        ),
        14 | 16 => (
            u32_at(data, 0),
            u32_at(data, 4),
            u32::from(u16_at(data, 8)),
            u32::from(u16_at(data, 10)),
        ),
        _ => return Ok(()),
    };
    if first_col > 0xFF || last_col < first_col {
        first_col = 0;
    }
    if last_row == 0 || last_col == 0 {
        return Ok(());
    }
    if last_row - 1 < first_row {
        // calamine would compute a negative row count.
        return Err(FileError::corrupt("DIMENSIONS").with_sheet(sheet));
    }
    if u64::from(last_row) > limits.sheet_rows() {
        return Err(FileError::over(
            FileErrorCode::TooManyRows,
            limits.max_rows.into(),
            last_row.into(),
        )
        .with_sheet(sheet));
    }
    let area = u64::from(last_row - first_row) * u64::from(last_col - first_col);
    if area > limits.max_cells {
        return Err(
            FileError::over(FileErrorCode::TooManyCells, limits.max_cells, area)
                .with_sheet(sheet)
                .with_detail(Detail::Declared),
        );
    }
    Ok(())
}

/// The name in a BoundSheet8 record (BIFF8: a ShortXLUnicodeString after 6 bytes).
fn bound_sheet_name(data: &[u8]) -> String {
    let Some(&count) = data.get(6) else {
        return String::new();
    };
    let count = usize::from(count);
    let high_byte = data.get(7).is_some_and(|f| f & 1 == 1);
    let chars = data.get(8..).unwrap_or_default();
    if high_byte {
        let units: Vec<u16> = chars
            .chunks_exact(2)
            .take(count)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        chars.iter().take(count).map(|&b| char::from(b)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_foreign_files_are_named() {
        let limits = Limits::default();
        assert_eq!(
            sniff("a.xlsx", b"", &limits).unwrap_err().code,
            FileErrorCode::EmptyFile
        );
        let pdf = sniff("a.xlsx", b"%PDF-1.4\n...", &limits).unwrap_err();
        assert_eq!(pdf.detail, Detail::OtherType("pdf".into()));
        assert!(pdf.message(Lang::Zh).contains("PDF"));
        let html = sniff(
            "a.xls",
            b"<html><body><table><tr><td>1</td></tr></table>",
            &limits,
        )
        .unwrap_err();
        assert_eq!(html.code, FileErrorCode::NotAWorkbook);
        assert!(html.message(Lang::Zh).contains("网页"));
        let binary = sniff("a.csv", &[0u8, 1, 2, 3, 200, 201, 0, 0], &limits).unwrap_err();
        assert_eq!(binary.code, FileErrorCode::NotAWorkbook);
    }

    #[test]
    fn text_is_csv_in_its_encoding() {
        let limits = Limits::default();
        let utf8 = sniff("交通.csv", "事项名称,实施部门\n".as_bytes(), &limits).unwrap();
        assert_eq!(
            (utf8.format, utf8.encoding),
            (Format::Csv, Some(TextEncoding::Utf8))
        );
        assert_eq!(utf8.extension_mismatch, None);
        let (gbk, _, _) = encoding_rs::GB18030.encode("事项名称,实施部门\n道路运输,交通厅\n");
        let sniffed = sniff("交通.xlsx", &gbk, &limits).unwrap();
        assert_eq!(sniffed.encoding, Some(TextEncoding::Gb18030));
        assert_eq!(sniffed.extension_mismatch.as_deref(), Some("xlsx"));
        assert_eq!(
            TextEncoding::Gb18030.decode(&gbk),
            "事项名称,实施部门\n道路运输,交通厅\n"
        );
    }

    #[test]
    fn a_file_over_the_size_limit_says_so() {
        let limits = Limits {
            max_file_bytes: 10,
            ..Limits::default()
        };
        let e = sniff("a.csv", b"0123456789ABC", &limits).unwrap_err();
        assert_eq!(e.code, FileErrorCode::TooLarge);
        assert_eq!((e.limit, e.found), (Some(10), Some(13)));
    }

    #[test]
    fn messages_name_the_limit_and_the_way_out() {
        let e = FileError::over(FileErrorCode::TooLarge, 200 << 20, 300 << 20);
        let zh = e.message(Lang::Zh);
        assert!(zh.contains("200 MiB") && zh.contains("拆分"), "{zh}");
        assert!(e.message(Lang::En).contains("200 MiB"));
        let rows =
            FileError::over(FileErrorCode::TooManyRows, 100_000, 100_001).with_sheet("年检事项");
        let zh = rows.message(Lang::Zh);
        assert!(zh.contains("100000") && zh.contains("年检事项"), "{zh}");
    }

    #[test]
    fn sizes() {
        assert_eq!(size(200 << 20), "200 MiB");
        assert_eq!(size((200 << 20) + 9762), "200.01 MiB");
        assert_eq!(size(300 << 19), "150 MiB");
        assert_eq!(size((3 << 19) + 1), "1.5 MiB");
        assert_eq!(size(1000), "1 KiB");
    }

    #[test]
    fn extensions() {
        assert_eq!(extension("C:\\a\\交通厅.XLSX"), "xlsx");
        assert_eq!(extension("noext"), "");
        assert_eq!(extension(".hidden"), "");
        assert_eq!(extension("a.b.csv"), "csv");
    }
}
