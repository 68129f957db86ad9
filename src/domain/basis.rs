//! Legal bases: splitting a 设定依据 cell, inferring levels, deriving 自行设定.
//!
//! A cell such as `《中华人民共和国道路运输条例》第六十七条；《山东省道路运输条例》第二十条` becomes
//! one [`LegalBasis`] per document reference, with the 依据层级 cell lined up by position. Where
//! the level is not given it is inferred from the title (`level_inferred = true`); where it
//! cannot be inferred the level stays unknown (`level: None, level_inferred: false`) and the
//! rules treat the basis as one of unknown rank.

use super::text::{
    clean, clean_opt, lowercase, strip_last_group, strip_trailing_remarks, to_simplified,
};
use super::{BasisLevel, Lang, LegalBasis};

/// The 依据层级 cell has a number of levels that is neither 1 nor the number of bases.
pub const BASIS_LEVEL_MISMATCH: &str = "basis_level_mismatch";
/// A level text that [`parse_level`] cannot read.
pub const BASIS_LEVEL_UNKNOWN: &str = "basis_level_unknown";
/// An article (`第五条`) with no document title before it in the cell.
pub const BASIS_TITLE_MISSING: &str = "basis_title_missing";

/// Why a 设定依据 / 依据层级 pair could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasisError {
    pub code: &'static str,
    /// The text at fault: the unreadable level, or the article without a title; for a count
    /// mismatch, the 依据层级 cell.
    pub text: String,
    /// How many bases the 设定依据 cell holds (for `basis_level_mismatch`).
    pub bases: usize,
    /// How many levels the 依据层级 cell holds (for `basis_level_mismatch`).
    pub levels: usize,
}

impl BasisError {
    fn new(code: &'static str, text: &str) -> BasisError {
        BasisError {
            code,
            text: text.to_string(),
            bases: 0,
            levels: 0,
        }
    }

    /// What the clerk reads next to the cell.
    pub fn message(&self, lang: Lang) -> String {
        let t = &self.text;
        match (self.code, lang) {
            (BASIS_LEVEL_MISMATCH, Lang::Zh) => format!(
                "依据层级填写了{}项，设定依据有{}项，无法一一对应：请按设定依据的顺序逐项填写层级（每行一个），或只填一个层级适用于全部依据",
                self.levels, self.bases
            ),
            (BASIS_LEVEL_MISMATCH, Lang::En) => format!(
                "The basis level cell holds {} levels but the legal basis cell holds {} bases: give one level per basis in the same order (one per line), or a single level for all of them",
                self.levels, self.bases
            ),
            (BASIS_LEVEL_UNKNOWN, Lang::Zh) => format!(
                "无法识别依据层级“{t}”，请填写：法律、行政法规、国务院决定、部门规章、地方性法规、地方政府规章或规范性文件"
            ),
            (BASIS_LEVEL_UNKNOWN, Lang::En) => format!(
                "Cannot read the basis level \"{t}\": use one of 法律 (law), 行政法规 (administrative regulation), 国务院决定 (State Council decision), 部门规章 (departmental rule), 地方性法规 (local regulation), 地方政府规章 (local government rule), 规范性文件 (normative document)"
            ),
            (_, Lang::Zh) => format!(
                "设定依据中的“{t}”只写了条款，没有写明文件名称，请写成如“《中华人民共和国道路运输条例》第六十七条”"
            ),
            (_, Lang::En) => format!(
                "The legal basis \"{t}\" names an article but no document: write it like \"《中华人民共和国道路运输条例》第六十七条\""
            ),
        }
    }
}

impl std::fmt::Display for BasisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::Zh))
    }
}

impl std::error::Error for BasisError {}

// ---------------------------------------------------------------------------------------------
// Parsing a cell

/// Splits a 设定依据 cell into bases and lines the 依据层级 cell up with them.
///
/// Bases are separated by line breaks, `；`, `;`, `。`, and by `、` `，` `和` `及` between titled
/// documents (`《A》第三条、《B》第五条`). Each piece gives a title (outer 《》 removed, cleaned),
/// an article (`第六十七条`, `第十二条第二款`, `第三条、第五条`, as written), and an issuer when an
/// order number (`卫生部令第46号`) or document number (`鲁政发〔2015〕12号`) says who issued it. A
/// piece that is only an article continues the previous title and becomes a basis of its own
/// with that title. `无`, `暂无`, `无法定依据`, `没有`, `/`, `-` give no bases.
///
/// Levels are split the same way (and also on `、` `，` `/`). One level applies to every basis;
/// otherwise there must be one per basis, or one per document when articles continue a title.
/// An empty level (or `/`) is inferred from the title; 规章 and 法规 alone are made departmental
/// rule / administrative regulation, or their local kinds when the document is local, and marked
/// inferred. A level that cannot be inferred stays `None` with `level_inferred = false`.
/// When there are no bases the 依据层级 cell is ignored (`无` / `无` is common and harmless).
pub fn parse_bases(bases: &str, levels: Option<&str>) -> Result<Vec<LegalBasis>, BasisError> {
    let Some(text) = clean_opt(bases) else {
        return Ok(Vec::new());
    };
    if is_no_basis(&text) {
        return Ok(Vec::new());
    }

    // Pieces, each with the index of the document it belongs to.
    let mut pieces: Vec<(Piece, usize)> = Vec::new();
    let mut documents = 0usize;
    for raw in split_bases(&text) {
        let Some(piece) = parse_piece(&raw) else {
            continue;
        };
        if piece.title.is_empty() {
            let Some((prev, doc)) = pieces.last() else {
                return Err(BasisError::new(BASIS_TITLE_MISSING, raw.trim()));
            };
            let continued = Piece {
                title: prev.title.clone(),
                issuer: prev.issuer.clone(),
                from_order: prev.from_order,
                article: piece.article,
            };
            let doc = *doc;
            pieces.push((continued, doc));
        } else {
            pieces.push((piece, documents));
            documents += 1;
        }
    }
    if pieces.is_empty() {
        return Ok(Vec::new());
    }

    let cells: Vec<LevelCell> = match levels.and_then(clean_opt) {
        None => Vec::new(),
        Some(l) => split_levels(&l)
            .iter()
            .map(|t| parse_level_cell(t))
            .collect::<Result<_, _>>()?,
    };
    let n_pieces = pieces.len();
    if cells.len() > 1 && cells.len() != n_pieces && cells.len() != documents {
        return Err(BasisError {
            code: BASIS_LEVEL_MISMATCH,
            text: levels.map(clean).unwrap_or_default(),
            bases: n_pieces,
            levels: cells.len(),
        });
    }
    let level_of = |i: usize, doc: usize| -> LevelCell {
        match cells.len() {
            0 => LevelCell::Missing,
            1 => cells[0],
            n if n == n_pieces => cells[i],
            _ => cells.get(doc).copied().unwrap_or(LevelCell::Missing),
        }
    };

    Ok(pieces
        .into_iter()
        .enumerate()
        .map(|(i, (p, doc))| {
            let (level, level_inferred) = match level_of(i, doc) {
                LevelCell::Known(l) => (Some(l), false),
                LevelCell::Missing => match infer_from(&p.title, p.issuer.as_deref(), p.from_order)
                {
                    Some(l) => (Some(l), true),
                    None => (None, false),
                },
                LevelCell::Rule => {
                    if is_local_document(&p.title, p.issuer.as_deref()) {
                        (Some(BasisLevel::LocalGovRule), true)
                    } else {
                        (Some(BasisLevel::DepartmentalRule), true)
                    }
                }
                LevelCell::Regulation => {
                    if is_local_document(&p.title, p.issuer.as_deref()) {
                        (Some(BasisLevel::LocalRegulation), true)
                    } else {
                        (Some(BasisLevel::AdminRegulation), true)
                    }
                }
            };
            LegalBasis {
                level,
                title: p.title,
                article: p.article,
                issuer: p.issuer,
                level_inferred,
            }
        })
        .collect())
}

/// `无`, `暂无`, `没有`, `无法定依据`, `暂无明确依据`, `不涉及` … but not `无线电管理条例`.
fn is_no_basis(text: &str) -> bool {
    let t: String = lowercase(
        key(&strip_trailing_remarks(text))
            .trim_matches(|c: char| is_separator(c) || c == '.' || c == '。'),
    );
    if t.contains('《') {
        return false;
    }
    if matches!(
        t.as_str(),
        "none" | "no" | "nil" | "不涉及" | "不适用" | "无需" | "暂缺"
    ) {
        return true;
    }
    for prefix in [
        "暂无",
        "尚无",
        "没有",
        "未找到",
        "找不到",
        "缺少",
        "缺乏",
        "无",
    ] {
        if let Some(rest) = t.strip_prefix(prefix)
            && (rest.is_empty() || (rest.ends_with("依据") && rest.chars().count() <= 12))
        {
            return true;
        }
    }
    false
}

/// One document reference as read from a piece of the cell.
#[derive(Debug, Clone, PartialEq)]
struct Piece {
    title: String,
    article: Option<String>,
    issuer: Option<String>,
    /// The issuer comes from an order number (…令第N号), which fixes the level.
    from_order: bool,
}

fn is_separator(c: char) -> bool {
    matches!(c, '、' | ',' | '，' | ';' | '；' | ':' | '：' | ' ')
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit()
        || matches!(
            c,
            '〇' | '零'
                | '一'
                | '二'
                | '两'
                | '三'
                | '四'
                | '五'
                | '六'
                | '七'
                | '八'
                | '九'
                | '十'
                | '百'
                | '千'
        )
}

/// Simplified, cleaned, without whitespace: the text the inference looks at.
fn key(s: &str) -> String {
    to_simplified(&clean(s))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Line breaks, `;`, `。`, then document boundaries inside each segment.
fn split_bases(text: &str) -> Vec<String> {
    let text = text.replace("<<", "《").replace(">>", "》");
    let mut out = Vec::new();
    for seg in text.split(['\n', ';', '；', '。']) {
        for part in split_documents(seg) {
            for p in split_after_articles(&part) {
                let p = strip_trailing_enumeration(&p);
                if !p.trim().is_empty() {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// A `《` at the top level after a closed `》` starts a new document: `《A》、《B》`,
/// `《A》第三条和《B》第五条`, `《A》《B》`.
fn split_documents(seg: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut closed = false;
    for c in seg.chars() {
        match c {
            '《' => {
                if depth == 0 && closed {
                    let left = trim_joiners_end(&cur);
                    if !left.is_empty() {
                        parts.push(left);
                    }
                    cur.clear();
                    closed = false;
                }
                depth += 1;
                cur.push(c);
            }
            '》' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    closed = true;
                }
                cur.push(c);
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        parts.push(cur);
    }
    parts
}

/// Drops joining words and enumeration at the end of a left part: `《A》第三条、` → `《A》第三条`.
fn trim_joiners_end(s: &str) -> String {
    let mut t = s.trim_end().to_string();
    loop {
        let before = t.clone();
        t = t.trim_end_matches(is_separator).trim_end().to_string();
        for j in ["以及", "和", "及", "与", "或", "并", "、"] {
            if let Some(r) = t.strip_suffix(j) {
                t = r.trim_end().to_string();
            }
        }
        t = strip_trailing_enumeration(&t);
        if t == before {
            return t;
        }
    }
}

/// `…第三条 2.` → `…第三条`; `…第三条（二）` → `…第三条`: a list number that belongs to the next
/// piece. Only when something is left before it.
fn strip_trailing_enumeration(s: &str) -> String {
    let t = s.trim_end();
    let chars: Vec<char> = t.chars().collect();
    let n = chars.len();
    if n < 2 {
        return t.to_string();
    }
    // (2) / (二)
    if chars[n - 1] == ')'
        && let Some(open) = chars.iter().rposition(|&c| c == '(')
    {
        let inner = &chars[open + 1..n - 1];
        if open > 0 && !inner.is_empty() && inner.len() <= 3 && inner.iter().all(|&c| is_numeral(c))
        {
            return chars[..open]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string();
        }
    }
    // 2. / 2、 / 二、
    if matches!(chars[n - 1], '.' | '、') {
        let mut i = n - 1;
        while i > 0 && is_numeral(chars[i - 1]) && n - 1 - i < 3 {
            i -= 1;
        }
        if i < n - 1 && i > 0 && !matches!(chars[i - 1], '第') {
            let rest: String = chars[..i].iter().collect();
            // Not 第3条 or 12.5: the char before the number is a space or closes something.
            if rest.ends_with([' ', '》', '条', '款', '项', ')']) {
                return rest.trim_end().to_string();
            }
        }
    }
    t.to_string()
}

/// `A第三条、B第五条`: a `、` or `，` after an article that is followed by another title.
fn split_after_articles(part: &str) -> Vec<String> {
    let chars: Vec<char> = part.chars().collect();
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut depth = 0usize;
    for i in 0..chars.len() {
        match chars[i] {
            '(' | '（' | '《' | '【' | '[' | '〔' => depth += 1,
            ')' | '）' | '》' | '】' | ']' | '〕' => depth = depth.saturating_sub(1),
            '、' | ',' | '，' if depth == 0 && i > start => {
                let left_ends_article = matches!(chars[i - 1], '条' | '款' | '项' | '條' | '項');
                let right: String = chars[i + 1..]
                    .iter()
                    .take_while(|&&c| !matches!(c, '、' | ',' | '，'))
                    .collect();
                let first = right.chars().next();
                let right_is_title = first.is_some_and(|c| {
                    is_han(c) && !is_numeral(c) && !matches!(c, '第' | '附' | '之' | '的' | '等')
                }) && TITLE_SUFFIXES.iter().any(|s| right.contains(s));
                if left_ends_article && right_is_title {
                    out.push(chars[start..i].iter().collect());
                    start = i + 1;
                }
            }
            _ => {}
        }
    }
    out.push(chars[start..].iter().collect());
    out
}

/// Words that end the names of legal documents.
const TITLE_SUFFIXES: &[&str] = &[
    "法", "条例", "规定", "办法", "决定", "通知", "细则", "规则", "意见", "令",
];

/// `第` + numeral + 条/款/项/章/节/目 outside brackets; the byte index of the `第` (or of a
/// `附件`/`附表` right before it).
fn find_article(s: &str) -> Option<usize> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut depth = 0usize;
    for (n, &(i, c)) in chars.iter().enumerate() {
        match c {
            '(' | '（' | '《' | '【' | '[' | '〔' => depth += 1,
            ')' | '）' | '》' | '】' | ']' | '〕' => depth = depth.saturating_sub(1),
            '第' if depth == 0 => {
                let mut m = n + 1;
                while m < chars.len() && is_numeral(chars[m].1) {
                    m += 1;
                }
                if m > n + 1
                    && m < chars.len()
                    && matches!(
                        chars[m].1,
                        '条' | '款' | '项' | '章' | '节' | '目' | '條' | '項' | '節'
                    )
                {
                    let before = &s[..i];
                    for prefix in ["附件", "附表", "附录"] {
                        if before.ends_with(prefix) {
                            return Some(i - prefix.len());
                        }
                    }
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// What a bracketed remark next to a title is.
enum Remark {
    Article(String),
    /// An order number; the issuer.
    Order(String),
    /// A document number; the issuer it tells, if any.
    DocNumber(Option<String>),
    /// An edition note or a number of no use: dropped.
    Drop,
    /// Part of the title: 试行, 暂行, 草案 …
    Keep,
}

fn classify_remark(inner: &str) -> Remark {
    let k = key(inner);
    if (k.starts_with('第') || k.starts_with("附件") || k.starts_with("附表"))
        && find_article(&k).is_some()
    {
        return Remark::Article(clean(inner));
    }
    if let Some(issuer) = order_issuer(&k) {
        return Remark::Order(issuer);
    }
    if let Some(agency) = doc_number_agency(&k) {
        return Remark::DocNumber(agency_issuer(&agency));
    }
    const EDITION: &[&str] = &[
        "修正",
        "修订",
        "修改",
        "施行",
        "颁布",
        "发布",
        "公布",
        "年版",
        "版本",
        "已废止",
        "废止",
    ];
    let is_year = k.trim_end_matches('年').len() == 4
        && k.trim_end_matches('年').bytes().all(|b| b.is_ascii_digit());
    if is_year
        || EDITION.iter().any(|w| k.contains(w))
        || (k.contains('令') && k.contains('号'))
        || (k.ends_with('号') && k.chars().any(|c| c.is_ascii_digit()))
    {
        return Remark::Drop;
    }
    Remark::Keep
}

/// Peels bracketed remarks off the end of a title: returns the title with the kept remarks,
/// the article, the issuer, and whether the issuer comes from an order number.
fn peel_title(raw: &str) -> (String, Option<String>, Option<String>, bool) {
    let mut title = raw.trim().to_string();
    let mut kept: Vec<String> = Vec::new();
    let mut article = None;
    let mut issuer = None;
    let mut from_order = false;
    loop {
        let trimmed = title
            .trim_end_matches(|c: char| is_separator(c) || c == '.')
            .to_string();
        let Some(rest) = strip_last_group(&trimmed) else {
            title = trimmed;
            break;
        };
        if rest.trim().is_empty() {
            title = trimmed;
            break;
        }
        let group = &trimmed[rest.len()..];
        let open = group.chars().next().map_or(0, char::len_utf8);
        let close = group.chars().last().map_or(0, char::len_utf8);
        let inner = group.get(open..group.len() - close).unwrap_or("");
        match classify_remark(inner) {
            Remark::Article(a) => article = article.or(Some(a)),
            Remark::Order(i) => {
                issuer = Some(i);
                from_order = true;
            }
            Remark::DocNumber(i) => {
                if issuer.is_none() {
                    issuer = i;
                }
            }
            Remark::Drop => {}
            Remark::Keep => kept.push(trimmed[rest.len()..].to_string()),
        }
        title = rest.trim_end().to_string();
    }
    // A document number written after the title without brackets: 关于…的通知 鲁政发〔2015〕12号.
    if let Some((head, agency)) = split_trailing_doc_number(&title) {
        if issuer.is_none() {
            issuer = agency_issuer(&agency);
        }
        title = head;
    }
    for k in kept.into_iter().rev() {
        title.push_str(&k);
    }
    (title, article, issuer, from_order)
}

/// Words around a title that say nothing: 根据《…》, 《…》有关规定.
const LEAD_FILLERS: &[&str] = &[
    "设定依据",
    "法律依据",
    "依据为",
    "依据是",
    "主要依据",
    "根据",
    "依据",
    "依照",
    "按照",
    "参照",
    "详见",
    ":",
    "：",
];
const TRAILING_FILLERS: &[&str] = &[
    "的有关规定",
    "有关规定",
    "相关规定",
    "的相关规定",
    "等有关规定",
    "等规定",
    "的规定",
    "之规定",
    "规定",
    "等",
];

fn strip_trailing_fillers(s: &str, fillers: &[&str]) -> String {
    let mut t = s
        .trim_end_matches(|c: char| is_separator(c) || c == '.')
        .to_string();
    loop {
        let before = t.clone();
        for f in fillers {
            if let Some(r) = t.strip_suffix(f) {
                t = r
                    .trim_end_matches(|c: char| is_separator(c) || c == '.')
                    .to_string();
            }
        }
        if t == before {
            return t;
        }
    }
}

/// Strips a list number at the start: `1.`, `1、`, `(1)`, `（一）`, `一、`, `①` (NFKC: `1`)
/// right before `《`.
fn strip_leading_enumeration(s: &str) -> &str {
    let t = s.trim_start();
    if let Some(rest) = t.strip_prefix('(')
        && let Some(close) = rest.find(')')
    {
        let inner = &rest[..close];
        if !inner.is_empty() && inner.chars().count() <= 3 && inner.chars().all(is_numeral) {
            return rest[close + 1..].trim_start();
        }
    }
    let end = t
        .char_indices()
        .find(|&(_, c)| !is_numeral(c))
        .map_or(t.len(), |(i, _)| i);
    if end > 0 && end <= 9 {
        let rest = &t[end..];
        if let Some(r) = rest.strip_prefix(['.', '、', ')']) {
            // 1.5 is a number, not a list mark.
            if !r.starts_with(|c: char| c.is_ascii_digit()) {
                return r.trim_start();
            }
        }
        if rest.starts_with('《') {
            return rest;
        }
    }
    t
}

/// Reads one piece of a 设定依据 cell. `None` when nothing is left (a list number, `等`).
fn parse_piece(raw: &str) -> Option<Piece> {
    let raw = squeeze_cjk_spaces(&clean(raw));
    let mut p = strip_leading_enumeration(&raw).to_string();
    loop {
        let before = p.clone();
        for f in LEAD_FILLERS {
            if let Some(r) = p.strip_prefix(f) {
                p = r.trim_start().to_string();
            }
        }
        if p == before {
            break;
        }
    }
    let p = normalise_brackets(p.trim_end_matches(|c: char| is_separator(c) || c == '.'));
    if p.is_empty() {
        return None;
    }

    let (title_raw, rest) = if let Some(after_open) = p.strip_prefix('《') {
        match matching_close(after_open) {
            Some(i) => (
                after_open[..i].to_string(),
                after_open[i + '》'.len_utf8()..].to_string(),
            ),
            None => (after_open.to_string(), String::new()),
        }
    } else {
        match find_article(&p) {
            Some(i) => (p[..i].to_string(), p[i..].to_string()),
            None => (p.clone(), String::new()),
        }
    };

    let (title, mut article, mut issuer, mut from_order) = peel_title(&title_raw);

    // After the title: a document number, remarks in brackets anywhere, then the article.
    if issuer.is_none()
        && let Some(agency) = doc_number_agency(&key(&rest))
    {
        issuer = agency_issuer(&agency);
    }
    let mut plain = String::new();
    let mut group = String::new();
    let mut depth = 0usize;
    for c in rest.chars() {
        match c {
            '(' | '【' | '[' | '〔' => {
                if depth > 0 {
                    group.push(c);
                }
                depth += 1;
            }
            ')' | '】' | ']' | '〕' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    match classify_remark(&group) {
                        Remark::Article(a) => article = article.or(Some(a)),
                        Remark::Order(i) => {
                            issuer = Some(i);
                            from_order = true;
                        }
                        Remark::DocNumber(i) => {
                            if issuer.is_none() {
                                issuer = i;
                            }
                        }
                        Remark::Drop | Remark::Keep => {}
                    }
                    group.clear();
                } else {
                    group.push(c);
                }
            }
            _ if depth > 0 => group.push(c),
            _ => plain.push(c),
        }
    }
    if let Some(i) = find_article(&plain) {
        let a = strip_trailing_fillers(plain[i..].trim(), TRAILING_FILLERS);
        if !a.is_empty() {
            article = Some(a);
        }
    }
    if article.is_none() && title.is_empty() {
        return None;
    }
    // A whole piece that is an order number: 交通运输部令2016年第63号.
    if issuer.is_none() {
        if let Some(i) = order_issuer(&key(&title)) {
            issuer = Some(i);
            from_order = true;
        } else if let Some(agency) = doc_number_agency(&key(&title)) {
            issuer = agency_issuer(&agency);
        }
    }
    let title = strip_trailing_fillers(
        title.trim(),
        &[
            "的有关规定",
            "有关规定",
            "相关规定",
            "的相关规定",
            "等有关规定",
            "等",
        ],
    );
    if title.is_empty() && article.is_none() {
        return None;
    }
    Some(Piece {
        title,
        article,
        issuer,
        from_order,
    })
}

/// Drops spaces next to Chinese text, where they are typing slips (`《道路运输条例》 第 六十七 条`);
/// keeps them between Latin words and digits (`ISO 9001`).
fn squeeze_cjk_spaces(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let cjk = |c: char| {
        is_han(c)
            || matches!(
                c,
                '《' | '》' | '〈' | '〉' | '、' | '“' | '”' | '〔' | '〕'
            )
    };
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            if prev.is_some_and(cjk) || next.is_some_and(cjk) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// `<<A>>`, `〈A〉`, `“A”`, `「A」`, `『A』` at the start read as `《A》` when there is no `《`.
fn normalise_brackets(p: &str) -> String {
    if p.contains('《') {
        return p.to_string();
    }
    for (open, close) in [
        ('〈', '〉'),
        ('“', '”'),
        ('「', '」'),
        ('『', '』'),
        ('"', '"'),
    ] {
        if let Some(rest) = p.strip_prefix(open)
            && let Some(i) = rest.find(close)
        {
            return format!("《{}》{}", &rest[..i], &rest[i + close.len_utf8()..]);
        }
    }
    p.to_string()
}

/// The byte index of the `》` that closes an already opened `《`, nesting aware.
fn matching_close(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in s.char_indices() {
        match c {
            '《' => depth += 1,
            '》' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Order numbers: `卫生部令第46号`, `交通运输部令2016年第63号`, `交通运输部2016年第63号令`,
/// `山东省人民政府令第311号`, `国务院令第412号`, `中华人民共和国主席令第七十号` → the issuer.
fn order_issuer(k: &str) -> Option<String> {
    let k = k.trim_matches(|c: char| is_separator(c) || c == '.');
    let body = if let Some(b) = k.strip_suffix("号令") {
        // 交通运输部2016年第63号令
        strip_order_number(b)?
    } else {
        let i = k.rfind('令')?;
        let after = &k[i + '令'.len_utf8()..];
        let after = after.strip_suffix("号").unwrap_or(after);
        let after = after.strip_suffix("公布").unwrap_or(after);
        let after = after.strip_suffix("发布").unwrap_or(after);
        let rest = strip_year_and_ordinal(after)?;
        if !rest.is_empty() {
            return None;
        }
        &k[..i]
    };
    let body = body.trim_end_matches("第");
    const ORGAN_ENDS: &[char] = &[
        '部', '局', '院', '府', '会', '署', '席', '行', '厅', '办', '委', '所',
    ];
    if body.is_empty() || body.chars().count() > 30 || !body.ends_with(ORGAN_ENDS) {
        return None;
    }
    Some(body.to_string())
}

/// `2016年第63号` (without 号) → the part before the year: strips the number, 第 and the year.
fn strip_order_number(b: &str) -> Option<&str> {
    let end = b.trim_end_matches(is_numeral);
    if end.len() == b.len() {
        return None;
    }
    let end = end.strip_suffix('第').unwrap_or(end);
    let end = match end.strip_suffix('年') {
        Some(y) => {
            let digits = y.trim_end_matches(|c: char| c.is_ascii_digit());
            if y.len() - digits.len() != 4 {
                return None;
            }
            digits
        }
        None => end,
    };
    Some(end)
}

/// `2016年第63` / `第46` / `46` → what is left after them (`""` when nothing).
fn strip_year_and_ordinal(s: &str) -> Option<&str> {
    let mut t = s;
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 4 && t[4..].starts_with('年') {
        t = &t[4 + '年'.len_utf8()..];
    }
    t = t.strip_prefix('第').unwrap_or(t);
    let rest = t.trim_start_matches(is_numeral);
    if rest.len() == t.len() {
        return None;
    }
    Some(rest)
}

/// Document numbers: `鲁政发〔2015〕12号`, `国办发[2004]16号`, `国发(2016)9号` → the agency code.
fn doc_number_agency(k: &str) -> Option<String> {
    let chars: Vec<char> = k.chars().collect();
    for i in 0..chars.len() {
        if !matches!(chars[i], '〔' | '[' | '(' | '【' | '［' | '（') {
            continue;
        }
        let year: String = chars[i + 1..].iter().take(4).collect();
        if year.chars().count() != 4 || !year.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if !matches!(
            chars.get(i + 5),
            Some('〕' | ']' | ')' | '】' | '］' | '）')
        ) {
            continue;
        }
        let tail: String = chars[i + 6..].iter().collect();
        let number_end = tail.trim_start_matches(|c: char| c.is_ascii_digit());
        if number_end.len() == tail.len() || !number_end.starts_with('号') {
            continue;
        }
        let start = chars[..i]
            .iter()
            .rposition(|&c| !is_han(c))
            .map_or(0, |p| p + 1);
        let start = start.max(i.saturating_sub(8));
        let mut agency: String = chars[start..i].iter().collect();
        // 关于…的通知鲁政发: keep what follows the title's own last word.
        for w in [
            "通知", "意见", "办法", "规定", "决定", "条例", "通告", "方案", "批复",
        ] {
            if let Some(p) = agency.rfind(w) {
                agency = agency[p + w.len()..].to_string();
            }
        }
        if !agency.is_empty() {
            return Some(agency);
        }
    }
    None
}

/// A title followed by a bare document number: returns the title and the agency code.
fn split_trailing_doc_number(title: &str) -> Option<(String, String)> {
    let k = title.trim_end();
    if !k.ends_with('号') {
        return None;
    }
    let agency = doc_number_agency(&key(k))?;
    let i = k.rfind(agency.as_str())?;
    let head = k[..i].trim_end().to_string();
    if head.is_empty() {
        return None;
    }
    Some((head, agency))
}

/// Who issued a document, told by its agency code: 国发 → 国务院, 国办发 → 国务院办公厅,
/// 鲁政发 → 山东省人民政府, 鲁政办发 → 山东省人民政府办公厅, 鲁交发 → 山东省 (a department of
/// the province whose name the code does not tell). `None` for codes it does not know.
fn agency_issuer(agency: &str) -> Option<String> {
    let mut chars = agency.chars();
    let first = chars.next()?;
    let rest: String = chars.collect();
    if first == '国' {
        if rest.starts_with("办") {
            return Some("国务院办公厅".to_string());
        }
        if rest.starts_with(['发', '函', '令']) {
            return Some("国务院".to_string());
        }
        return None;
    }
    let province = PROVINCE_ABBREVIATIONS
        .iter()
        .find(|(c, _)| *c == first)
        .map(|(_, p)| *p)?;
    // 新出 is the national press administration, not 新疆.
    if first == '新' && !rest.starts_with('政') {
        return None;
    }
    if rest.starts_with("政办") {
        Some(format!("{province}人民政府办公厅"))
    } else if rest.starts_with('政') {
        Some(format!("{province}人民政府"))
    } else {
        Some(province.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Levels

#[derive(Debug, Clone, Copy, PartialEq)]
enum LevelCell {
    /// Empty, `/`, `无`: infer from the title.
    Missing,
    Known(BasisLevel),
    /// 规章 alone: departmental or local government rule, by the document.
    Rule,
    /// 法规 alone: administrative or local regulation, by the document.
    Regulation,
}

/// Lines (and `;`) first, then `、` `，` `/` within a line. Blank lines are skipped; a line that
/// is only a placeholder (`/`, `-`) stands for one missing level.
fn split_levels(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.split(['\n', ';', '；']) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if clean_opt(line).is_none() {
            out.push(String::new());
            continue;
        }
        out.extend(
            line.split(['、', ',', '，', '/', '|'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        );
    }
    out
}

fn parse_level_cell(text: &str) -> Result<LevelCell, BasisError> {
    let Some(t) = clean_opt(text) else {
        return Ok(LevelCell::Missing);
    };
    let k = level_key(&t);
    if matches!(
        k.as_str(),
        "无" | "暂无" | "未知" | "不详" | "不明" | "待定" | "待确认" | "unknown"
    ) {
        return Ok(LevelCell::Missing);
    }
    if let Some(l) = parse_level(&t) {
        return Ok(LevelCell::Known(l));
    }
    match k.as_str() {
        "规章" | "rule" | "rules" => Ok(LevelCell::Rule),
        "法规" | "regulation" | "regulations" => Ok(LevelCell::Regulation),
        _ => Err(BasisError::new(BASIS_LEVEL_UNKNOWN, &t)),
    }
}

fn level_key(t: &str) -> String {
    let t = strip_trailing_remarks(&to_simplified(&clean(t)));
    lowercase(
        &t.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>(),
    )
}

/// Reads a 依据层级 text: the codes (`admin_regulation`), the Chinese names and their variants,
/// and English names. `None` for anything else, including the ambiguous 规章 and 法规 alone
/// ([`parse_bases`] settles those by the document) and 法律法规.
///
/// - 法律: 法律, 法, 国家法律, 全国人大及其常委会制定的法律
/// - 行政法规: 行政法规, 国务院行政法规
/// - 国务院决定: 国务院决定, 国务院的决定, 国务院决定命令
/// - 部门规章: 部门规章, 国务院部门规章, 部委规章, 部令
/// - 地方性法规: 地方性法规, 省级地方性法规, 地方法规, 设区的市地方性法规, 自治条例, 单行条例
/// - 地方政府规章: 地方政府规章, 省政府规章, 政府规章, 地方规章, 省政府令
/// - 规范性文件: 规范性文件, 其他规范性文件, 行政规范性文件, 红头文件, 政策文件, 文件
pub fn parse_level(text: &str) -> Option<BasisLevel> {
    let k = level_key(text);
    if k.is_empty() {
        return None;
    }
    let kr = k.replace('_', "");
    if let Some(l) = BasisLevel::ALL.iter().find(|l| {
        l.code().replace('_', "") == kr || level_key(l.zh()) == k || level_key(l.en()) == kr
    }) {
        return Some(*l);
    }
    use BasisLevel::*;
    Some(match k.as_str() {
        "法"
        | "国家法律"
        | "全国人大法律"
        | "全国人大及其常委会制定的法律"
        | "laws"
        | "statute"
        | "statutes"
        | "nationallaw" => Law,
        "国务院行政法规"
        | "国家行政法规"
        | "行政法规国务院"
        | "administrativeregulations"
        | "adminregulation"
        | "adminregulations"
        | "stateregulation" => AdminRegulation,
        "国务院的决定"
        | "国务院决定命令"
        | "国务院的决定命令"
        | "国务院决定和命令"
        | "statecouncildecisions" => StateCouncilDecision,
        "国务院部门规章"
        | "部委规章"
        | "国家部委规章"
        | "部门规章国家"
        | "部令"
        | "部门令"
        | "departmentalrules"
        | "departmentrule"
        | "departmentrules"
        | "ministerialrule"
        | "ministerialrules"
        | "ministryrule" => DepartmentalRule,
        "省级地方性法规"
        | "省地方性法规"
        | "地方性法规省级"
        | "市级地方性法规"
        | "设区的市地方性法规"
        | "设区市地方性法规"
        | "地方法规"
        | "省法规"
        | "省级法规"
        | "省人大法规"
        | "自治条例"
        | "单行条例"
        | "自治条例和单行条例"
        | "localregulations"
        | "provincialregulation"
        | "provincialregulations" => LocalRegulation,
        "省政府规章"
        | "省级政府规章"
        | "省人民政府规章"
        | "市政府规章"
        | "设区的市政府规章"
        | "政府规章"
        | "地方规章"
        | "省政府令"
        | "地方政府令"
        | "localgovrule"
        | "localgovrules"
        | "localgovernmentrules"
        | "localrule"
        | "localrules"
        | "provincialrule"
        | "provincialrules" => LocalGovRule,
        "其他规范性文件"
        | "行政规范性文件"
        | "红头文件"
        | "政策文件"
        | "文件"
        | "部门规范性文件"
        | "省规范性文件"
        | "省级规范性文件"
        | "市级规范性文件"
        | "国务院规范性文件"
        | "国务院文件"
        | "规范性文件省级"
        | "normativedocuments"
        | "policydocument"
        | "policydocuments" => NormativeDocument,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Inferring a level from a title

/// Titles that name a national body or the state: never local.
const NATIONAL_PREFIXES: &[&str] = &[
    "中华人民共和国",
    "全国人民代表大会",
    "全国人大",
    "全国",
    "国务院",
    "国家",
    "中共中央",
    "中央",
    "中国",
];

/// The 34 provincial-level divisions: the short name and the full name.
const PROVINCES: &[(&str, &str)] = &[
    ("北京", "北京市"),
    ("天津", "天津市"),
    ("河北", "河北省"),
    ("山西", "山西省"),
    ("内蒙古", "内蒙古自治区"),
    ("辽宁", "辽宁省"),
    ("吉林", "吉林省"),
    ("黑龙江", "黑龙江省"),
    ("上海", "上海市"),
    ("江苏", "江苏省"),
    ("浙江", "浙江省"),
    ("安徽", "安徽省"),
    ("福建", "福建省"),
    ("江西", "江西省"),
    ("山东", "山东省"),
    ("河南", "河南省"),
    ("湖北", "湖北省"),
    ("湖南", "湖南省"),
    ("广东", "广东省"),
    ("广西", "广西壮族自治区"),
    ("海南", "海南省"),
    ("重庆", "重庆市"),
    ("四川", "四川省"),
    ("贵州", "贵州省"),
    ("云南", "云南省"),
    ("西藏", "西藏自治区"),
    ("陕西", "陕西省"),
    ("甘肃", "甘肃省"),
    ("青海", "青海省"),
    ("宁夏", "宁夏回族自治区"),
    ("新疆", "新疆维吾尔自治区"),
    ("台湾", "台湾省"),
    ("香港", "香港特别行政区"),
    ("澳门", "澳门特别行政区"),
];

/// The one-character abbreviations that begin provincial document numbers.
const PROVINCE_ABBREVIATIONS: &[(char, &str)] = &[
    ('京', "北京市"),
    ('津', "天津市"),
    ('冀', "河北省"),
    ('晋', "山西省"),
    ('蒙', "内蒙古自治区"),
    ('辽', "辽宁省"),
    ('吉', "吉林省"),
    ('黑', "黑龙江省"),
    ('沪', "上海市"),
    ('苏', "江苏省"),
    ('浙', "浙江省"),
    ('皖', "安徽省"),
    ('闽', "福建省"),
    ('赣', "江西省"),
    ('鲁', "山东省"),
    ('豫', "河南省"),
    ('鄂', "湖北省"),
    ('湘', "湖南省"),
    ('粤', "广东省"),
    ('桂', "广西壮族自治区"),
    ('琼', "海南省"),
    ('渝', "重庆市"),
    ('川', "四川省"),
    ('黔', "贵州省"),
    ('云', "云南省"),
    ('藏', "西藏自治区"),
    ('陕', "陕西省"),
    ('甘', "甘肃省"),
    ('青', "青海省"),
    ('宁', "宁夏回族自治区"),
    ('新', "新疆维吾尔自治区"),
];

/// Characters that end the name of a city, county, district or league.
const PLACE_SUFFIXES: &[char] = &['市', '县', '区', '州', '盟', '旗'];

/// Common words that end in a place suffix but are not places (自然保护区条例, 城市供水条例).
const NOT_PLACES: &[&str] = &[
    "保护区",
    "名胜区",
    "风景区",
    "景区",
    "旅游区",
    "度假区",
    "开发区",
    "示范区",
    "试验区",
    "实验区",
    "试点区",
    "先行区",
    "自贸区",
    "经济区",
    "高新区",
    "工业区",
    "产业区",
    "管理区",
    "行政区",
    "居住区",
    "住宅区",
    "小区",
    "功能区",
    "核心区",
    "缓冲区",
    "园区",
    "社区",
    "矿区",
    "林区",
    "牧区",
    "山区",
    "灾区",
    "库区",
    "市区",
    "郊区",
    "辖区",
    "地区",
    "特区",
    "老区",
    "湾区",
    "营区",
    "禁区",
    "校区",
    "港区",
    "保税区",
    "渔区",
    "灌区",
    "洪区",
    "游览区",
    "疫区",
    "污染区",
    "控制区",
    "限制区",
    "生活区",
    "服务区",
    "作业区",
    "施工区",
    "防护区",
    "隔离区",
    "安全区",
    "危险区",
    "警戒区",
    "水源区",
    "商业区",
    "军区",
    "战区",
    "考区",
    "选区",
    "片区",
    "分区",
    "城市",
    "都市",
    "超市",
    "集市",
    "夜市",
    "股市",
    "楼市",
    "门市",
    "上市",
    "早市",
    "菜市",
    "黑市",
    "红旗",
    "国旗",
    "党旗",
    "军旗",
    "联盟",
    "同盟",
    "加盟",
];

/// Whether a title (or issuer) begins with the name of a province, city, county or district:
/// one of the 34 provincial-level names (with or without 省/市/自治区), `省`/`我省`/`本市` …,
/// or a 2–7 character name ending in 市/县/区/州/盟/旗 that is not a common word
/// (济南市, 历城区, 黔东南苗族侗族自治州).
fn has_place_prefix(text: &str) -> bool {
    let k = key(text);
    let k = k.trim_start_matches(['《', '〈', '"', '“', '(']);
    if NATIONAL_PREFIXES.iter().any(|p| k.starts_with(p)) {
        return false;
    }
    if PROVINCES.iter().any(|(short, _)| k.starts_with(short)) {
        return true;
    }
    const LOCAL_STARTS: &[&str] = &[
        "省",
        "我省",
        "本省",
        "全省",
        "我市",
        "本市",
        "全市",
        "市人民政府",
        "市政府",
        "市人大",
        "市委",
        "县人民政府",
        "县政府",
        "县人大",
        "县委",
        "区人民政府",
        "区政府",
    ];
    if LOCAL_STARTS.iter().any(|p| k.starts_with(p)) {
        return true;
    }
    let chars: Vec<char> = k.chars().take(20).collect();
    let head: String = chars.iter().collect();
    if ["自治州", "自治县", "自治旗"]
        .iter()
        .any(|s| head.contains(s))
    {
        return true;
    }
    for p in 2..chars.len().min(8) {
        let c = chars[p];
        if !PLACE_SUFFIXES.contains(&c) {
            continue;
        }
        let name = &chars[..p];
        if !name.iter().all(|&ch| is_han(ch))
            || name
                .iter()
                .any(|ch| PLACE_SUFFIXES.contains(ch) || matches!(ch, '省' | '国'))
        {
            return false;
        }
        let word: String = chars[..=p].iter().collect();
        if NOT_PLACES.iter().any(|w| word.ends_with(w)) {
            continue;
        }
        match (c, chars.get(p + 1)) {
            // 证券市场, 民族区域
            ('市', Some('场')) | ('区', Some('域')) => continue,
            _ => return true,
        }
    }
    false
}

/// Whether a title or issuer names the state or a national body: 中华人民共和国…, 国务院…,
/// 国家…, 中共中央…, a ministry (…部关于…, …部令), or an issuer such as 国务院办公厅.
fn is_national_name(text: &str) -> bool {
    let k = key(text);
    let k = k.trim_start_matches(['《', '〈', '"', '“']);
    if NATIONAL_PREFIXES.iter().any(|p| k.starts_with(p)) {
        return true;
    }
    if has_place_prefix(k) {
        return false;
    }
    // The issuer part of 交通运输部关于…的通知 / 公安部令第N号.
    let issuer_end = ["关于", "令"]
        .iter()
        .filter_map(|w| k.find(w))
        .min()
        .unwrap_or(k.len());
    let issuer = &k[..issuer_end];
    issuer.chars().count() <= 16
        && ["部", "总署", "署", "总局", "银行", "委员会"]
            .iter()
            .any(|e| issuer.ends_with(e))
}

/// Where a title says it comes from: a place-name prefix in the title or the issuer, or a
/// provincial order or document number in the title (`鲁政发〔2015〕12号`,
/// `山东省人民政府令第311号`).
pub fn is_local_document(title: &str, issuer: Option<&str>) -> bool {
    if has_place_prefix(title) || issuer.is_some_and(has_place_prefix) {
        return true;
    }
    parse_piece(title).is_some_and(|p| {
        has_place_prefix(&p.title) || p.issuer.as_deref().is_some_and(has_place_prefix)
    })
}

/// The analysis form of a title: simplified, no whitespace, no 《》〈〉, no bracketed remarks.
fn analysis_title(title: &str) -> String {
    let mut k: String = key(title)
        .chars()
        .filter(|c| !matches!(c, '《' | '》' | '〈' | '〉' | '“' | '”' | '"'))
        .collect();
    while let Some(rest) = strip_last_group(&k) {
        if rest.is_empty() {
            break;
        }
        k = rest;
    }
    k
}

/// Infers the level of a document from its title (and any order or document number in it):
///
/// 1. an order number decides: 主席令 → law, 国务院令 → administrative regulation (or State
///    Council decision for a 决定), a provincial or city government's 令 → local government
///    rule, a ministry's 令 → departmental rule;
/// 2. 通知 / 意见 / 通告 / 公告 / 批复 / 函 / 复函 / 答复 / 纪要 / 方案 / 规划 → normative document
///    (checked before the rest: 关于…规定的通知 is a notice);
/// 3. …决定: 国务院 → State Council decision, 全国人大 → law, a local people's congress → local
///    regulation, a local government → normative document, a ministry → departmental rule;
/// 4. …法 / …法典 (not 办法, 方法 …) → law;
/// 5. …暂行规定: 国务院 → administrative regulation, a ministry → departmental rule, local →
///    local government rule, otherwise normative document;
/// 6. …条例: local → local regulation, otherwise administrative regulation;
/// 7. …细则: local → local government rule; …法实施细则 → administrative regulation; otherwise
///    departmental rule (…条例实施细则 is a ministry's);
/// 8. <place>实施《…法》办法 → local regulation (provincial people's congresses pass these);
/// 9. …办法 / 规定 / 规则: 国务院… → administrative regulation, local → local government rule,
///    otherwise departmental rule;
/// 10. a bare document number: normative document.
///
/// `None` when none of these apply.
pub fn infer_level(title: &str) -> Option<BasisLevel> {
    match parse_piece(title) {
        Some(p) => infer_from(&p.title, p.issuer.as_deref(), p.from_order),
        None => None,
    }
}

fn infer_from(title: &str, issuer: Option<&str>, from_order: bool) -> Option<BasisLevel> {
    use BasisLevel::*;
    let t = analysis_title(title);
    let local = has_place_prefix(&t) || issuer.is_some_and(has_place_prefix);
    let ministry = is_national_name(&t) || issuer.is_some_and(is_national_name);

    let order = if from_order {
        issuer.map(key)
    } else {
        order_issuer(&t)
    };
    if let Some(iss) = order {
        return Some(if iss.contains("主席") {
            Law
        } else if iss.ends_with("国务院") {
            if t.ends_with("决定") {
                StateCouncilDecision
            } else {
                AdminRegulation
            }
        } else if has_place_prefix(&iss) {
            if iss.contains("人民代表大会") || iss.contains("人大") {
                LocalRegulation
            } else {
                LocalGovRule
            }
        } else {
            DepartmentalRule
        });
    }
    if doc_number_agency(&t).is_some() && t.ends_with('号') {
        return Some(NormativeDocument);
    }

    const NORMATIVE: &[&str] = &[
        "通知", "意见", "通告", "公告", "批复", "复函", "函", "答复", "纪要", "方案", "规划",
        "要点", "指引", "指南",
    ];
    if NORMATIVE.iter().any(|s| t.ends_with(s)) {
        return Some(NormativeDocument);
    }
    if t.ends_with("决定") {
        return if t.starts_with("国务院") {
            Some(StateCouncilDecision)
        } else if t.starts_with("全国人民代表大会") || t.starts_with("全国人大") {
            Some(Law)
        } else if local && (t.contains("人民代表大会") || t.contains("人大常委会")) {
            Some(LocalRegulation)
        } else if local {
            Some(NormativeDocument)
        } else if ministry {
            Some(DepartmentalRule)
        } else {
            None
        };
    }
    const NOT_LAW: &[&str] = &[
        "办法", "方法", "做法", "作法", "司法", "立法", "执法", "说法", "用法", "算法", "想法",
        "手法", "技法", "疗法", "语法", "书法", "兵法", "章法", "笔法", "戏法", "守法", "违法",
        "合法", "依法", "非法", "普法", "无法", "设法", "写法", "看法", "加法", "减法",
    ];
    if t.ends_with("法典") || (t.ends_with('法') && !NOT_LAW.iter().any(|w| t.ends_with(w))) {
        return Some(Law);
    }
    if t.ends_with("暂行规定") {
        return Some(if t.starts_with("国务院") {
            AdminRegulation
        } else if local {
            LocalGovRule
        } else if ministry {
            DepartmentalRule
        } else {
            NormativeDocument
        });
    }
    if t.ends_with("条例") {
        return Some(if local {
            LocalRegulation
        } else {
            AdminRegulation
        });
    }
    if t.ends_with("细则") {
        return Some(if local {
            LocalGovRule
        } else if t.contains("法实施细则") && !t.contains("办法实施细则") {
            AdminRegulation
        } else {
            DepartmentalRule
        });
    }
    if t.ends_with("办法")
        && local
        && let Some(i) = t.find("实施")
    {
        let between = &t[i + "实施".len()..t.len() - "办法".len()];
        if between.ends_with('法') && !between.ends_with("办法") {
            return Some(LocalRegulation);
        }
    }
    if ["办法", "规定", "规则"].iter().any(|s| t.ends_with(s)) {
        // 国务院关于职工工作时间的规定: the State Council's own rules are administrative regulations.
        if t.starts_with("国务院") && !t.starts_with("国务院办公厅") {
            return Some(AdminRegulation);
        }
        return Some(if local {
            LocalGovRule
        } else {
            DepartmentalRule
        });
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Self-set and matching

/// 自行设定 (DESIGN.md §3, §9): no national basis, and a local one is the highest — a 地方性法规,
/// a 地方政府规章, or a 规范性文件 of a province or city ([`is_local_document`]). A city's local
/// regulation counts like the province's.
///
/// - No bases at all is not self-set: the item has no basis (R01 covers it).
/// - A national basis next to a local one is not self-set.
/// - "National" means a law, administrative regulation, State Council decision or departmental
///   rule, and also a normative document (or a basis of unknown level) that names a national
///   body (国务院关于…的通知, 交通运输部关于…): the province did not set such an item itself
///   even if that document is no legal basis.
/// - A basis of unknown level with a local title counts as local; one that is neither local nor
///   national is ignored.
pub fn self_set(bases: &[LegalBasis]) -> bool {
    let mut local = false;
    for b in bases {
        let issuer = b.issuer.as_deref();
        match b.level {
            Some(l) if l.is_national() => return false,
            Some(BasisLevel::LocalRegulation | BasisLevel::LocalGovRule) => local = true,
            _ => {
                if is_local_document(&b.title, issuer) {
                    local = true;
                } else if is_national_name(&b.title) || issuer.is_some_and(is_national_name) {
                    return false;
                }
            }
        }
    }
    local
}

/// The key for matching a basis to a legal-document record: outer 《》 and bracketed edition
/// notes, order and document numbers removed (试行/暂行 kept: a trial version is a different
/// document), traditional → simplified, full-width → half-width, whitespace and punctuation
/// removed, ASCII lower-cased, and a leading 中华人民共和国 dropped.
///
/// Dropping 中华人民共和国 gives one key for 道路运输条例 and 中华人民共和国道路运输条例, which
/// clerks use interchangeably for the same document; no two national documents differ only by
/// that prefix, and a local document keeps its own place name (山东省道路运输条例 stays apart).
pub fn normalise_title(title: &str) -> String {
    let Some(p) = parse_piece(title) else {
        return String::new();
    };
    let k: String = to_simplified(&p.title)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match k.strip_prefix("中华人民共和国") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => k,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BasisLevel::*;

    /// title, article, level, level_inferred, issuer
    type Want<'a> = (
        &'a str,
        Option<&'a str>,
        Option<BasisLevel>,
        bool,
        Option<&'a str>,
    );

    fn got(
        b: &LegalBasis,
    ) -> (
        String,
        Option<String>,
        Option<BasisLevel>,
        bool,
        Option<String>,
    ) {
        (
            b.title.clone(),
            b.article.clone(),
            b.level,
            b.level_inferred,
            b.issuer.clone(),
        )
    }

    fn want(
        w: &Want,
    ) -> (
        String,
        Option<String>,
        Option<BasisLevel>,
        bool,
        Option<String>,
    ) {
        (
            w.0.to_string(),
            w.1.map(str::to_string),
            w.2,
            w.3,
            w.4.map(str::to_string),
        )
    }

    #[test]
    fn real_cells() {
        const ROAD: &str = "中华人民共和国道路运输条例";
        let cases: Vec<(&str, Option<&str>, Vec<Want>)> = vec![
            (
                "《中华人民共和国道路运输条例》第六十七条",
                Some("行政法规"),
                vec![(ROAD, Some("第六十七条"), Some(AdminRegulation), false, None)],
            ),
            (
                "中华人民共和国道路运输条例 第六十七条",
                None,
                vec![(ROAD, Some("第六十七条"), Some(AdminRegulation), true, None)],
            ),
            (
                "《中华人民共和国特种设备安全法》",
                None,
                vec![("中华人民共和国特种设备安全法", None, Some(Law), true, None)],
            ),
            (
                "特种设备安全法",
                Some(""),
                vec![("特种设备安全法", None, Some(Law), true, None)],
            ),
            (
                "中华人民共和国道路交通安全法第十三条",
                Some("法律"),
                vec![(
                    "中华人民共和国道路交通安全法",
                    Some("第十三条"),
                    Some(Law),
                    false,
                    None,
                )],
            ),
            (
                "《国务院对确需保留的行政审批项目设定行政许可的决定》（国务院令第412号）第12项",
                None,
                vec![(
                    "国务院对确需保留的行政审批项目设定行政许可的决定",
                    Some("第12项"),
                    Some(StateCouncilDecision),
                    true,
                    Some("国务院"),
                )],
            ),
            (
                "国务院对确需保留的行政审批项目设定行政许可的决定（国务院令第412号）附件第38项",
                Some("国务院决定"),
                vec![(
                    "国务院对确需保留的行政审批项目设定行政许可的决定",
                    Some("附件第38项"),
                    Some(StateCouncilDecision),
                    false,
                    Some("国务院"),
                )],
            ),
            (
                "社会团体登记管理条例第十二条第二款",
                None,
                vec![(
                    "社会团体登记管理条例",
                    Some("第十二条第二款"),
                    Some(AdminRegulation),
                    true,
                    None,
                )],
            ),
            (
                "《民办非企业单位登记管理暂行条例》",
                None,
                vec![(
                    "民办非企业单位登记管理暂行条例",
                    None,
                    Some(AdminRegulation),
                    true,
                    None,
                )],
            ),
            (
                "基金会管理条例",
                Some("行政法规"),
                vec![("基金会管理条例", None, Some(AdminRegulation), false, None)],
            ),
            (
                "《医疗机构管理条例实施细则》第三十五条",
                None,
                vec![(
                    "医疗机构管理条例实施细则",
                    Some("第三十五条"),
                    Some(DepartmentalRule),
                    true,
                    None,
                )],
            ),
            (
                "《医疗机构管理条例实施细则》",
                Some("部门规章"),
                vec![(
                    "医疗机构管理条例实施细则",
                    None,
                    Some(DepartmentalRule),
                    false,
                    None,
                )],
            ),
            (
                "放射诊疗管理规定（卫生部令第46号）",
                None,
                vec![(
                    "放射诊疗管理规定",
                    None,
                    Some(DepartmentalRule),
                    true,
                    Some("卫生部"),
                )],
            ),
            (
                "《出版管理条例》第三十六条；《印刷业管理条例》第十条",
                Some("行政法规"),
                vec![
                    (
                        "出版管理条例",
                        Some("第三十六条"),
                        Some(AdminRegulation),
                        false,
                        None,
                    ),
                    (
                        "印刷业管理条例",
                        Some("第十条"),
                        Some(AdminRegulation),
                        false,
                        None,
                    ),
                ],
            ),
            (
                "《中华人民共和国计量法》第九条",
                Some("法律"),
                vec![(
                    "中华人民共和国计量法",
                    Some("第九条"),
                    Some(Law),
                    false,
                    None,
                )],
            ),
            (
                "安全生产许可证条例",
                Some("/"),
                vec![(
                    "安全生产许可证条例",
                    None,
                    Some(AdminRegulation),
                    true,
                    None,
                )],
            ),
            (
                "《山东省道路运输条例》第二十条",
                None,
                vec![(
                    "山东省道路运输条例",
                    Some("第二十条"),
                    Some(LocalRegulation),
                    true,
                    None,
                )],
            ),
            (
                "山东省特种设备安全监督管理办法",
                None,
                vec![(
                    "山东省特种设备安全监督管理办法",
                    None,
                    Some(LocalGovRule),
                    true,
                    None,
                )],
            ),
            (
                "《山东省人民政府关于进一步规范行政审批中介服务的通知》",
                None,
                vec![(
                    "山东省人民政府关于进一步规范行政审批中介服务的通知",
                    None,
                    Some(NormativeDocument),
                    true,
                    None,
                )],
            ),
            (
                "交通运输部令2016年第63号",
                None,
                vec![(
                    "交通运输部令2016年第63号",
                    None,
                    Some(DepartmentalRule),
                    true,
                    Some("交通运输部"),
                )],
            ),
            ("无", Some("法律"), vec![]),
            ("暂无", None, vec![]),
            ("无法定依据", None, vec![]),
            ("没有", None, vec![]),
            ("/", None, vec![]),
            ("-", None, vec![]),
            ("无（原依据已废止）", None, vec![]),
            ("無", None, vec![]),
            ("暂无明确法律依据。", None, vec![]),
            (
                "《道路运输从业人员管理规定》（交通部令2006年第9号）第三条、第五条",
                None,
                vec![(
                    "道路运输从业人员管理规定",
                    Some("第三条、第五条"),
                    Some(DepartmentalRule),
                    true,
                    Some("交通部"),
                )],
            ),
            (
                "《中华人民共和国道路运输条例》第六十七条\n第六十八条",
                None,
                vec![
                    (ROAD, Some("第六十七条"), Some(AdminRegulation), true, None),
                    (ROAD, Some("第六十八条"), Some(AdminRegulation), true, None),
                ],
            ),
            (
                "《中华人民共和国道路运输条例》第六十七条\n第六十八条",
                Some("行政法规\n行政法规"),
                vec![
                    (ROAD, Some("第六十七条"), Some(AdminRegulation), false, None),
                    (ROAD, Some("第六十八条"), Some(AdminRegulation), false, None),
                ],
            ),
            (
                "《中华人民共和国道路运输条例》第六十七条；第六十八条\n《山东省道路运输条例》第二十条",
                Some("行政法规\n地方性法规"),
                vec![
                    (ROAD, Some("第六十七条"), Some(AdminRegulation), false, None),
                    (ROAD, Some("第六十八条"), Some(AdminRegulation), false, None),
                    (
                        "山东省道路运输条例",
                        Some("第二十条"),
                        Some(LocalRegulation),
                        false,
                        None,
                    ),
                ],
            ),
            (
                "《中华人民共和国行政许可法》、《中华人民共和国道路运输条例》",
                None,
                vec![
                    ("中华人民共和国行政许可法", None, Some(Law), true, None),
                    (ROAD, None, Some(AdminRegulation), true, None),
                ],
            ),
            (
                "《出版管理条例》，《印刷业管理条例》",
                Some("行政法规、行政法规"),
                vec![
                    ("出版管理条例", None, Some(AdminRegulation), false, None),
                    ("印刷业管理条例", None, Some(AdminRegulation), false, None),
                ],
            ),
            (
                "根据《中华人民共和国计量法》和《中华人民共和国计量法实施细则》",
                None,
                vec![
                    ("中华人民共和国计量法", None, Some(Law), true, None),
                    (
                        "中华人民共和国计量法实施细则",
                        None,
                        Some(AdminRegulation),
                        true,
                        None,
                    ),
                ],
            ),
            (
                "1.《特种设备安全监察条例》第二十八条 2.《特种设备作业人员监督管理办法》第二十二条",
                None,
                vec![
                    (
                        "特种设备安全监察条例",
                        Some("第二十八条"),
                        Some(AdminRegulation),
                        true,
                        None,
                    ),
                    (
                        "特种设备作业人员监督管理办法",
                        Some("第二十二条"),
                        Some(DepartmentalRule),
                        true,
                        None,
                    ),
                ],
            ),
            (
                "中华人民共和国道路运输条例第六十七条、道路运输从业人员管理规定第十条",
                None,
                vec![
                    (ROAD, Some("第六十七条"), Some(AdminRegulation), true, None),
                    (
                        "道路运输从业人员管理规定",
                        Some("第十条"),
                        Some(DepartmentalRule),
                        true,
                        None,
                    ),
                ],
            ),
            (
                "《济南市城市市容和环境卫生管理条例》",
                None,
                vec![(
                    "济南市城市市容和环境卫生管理条例",
                    None,
                    Some(LocalRegulation),
                    true,
                    None,
                )],
            ),
            (
                "城市市容和环境卫生管理条例",
                None,
                vec![(
                    "城市市容和环境卫生管理条例",
                    None,
                    Some(AdminRegulation),
                    true,
                    None,
                )],
            ),
            (
                "自然保护区条例",
                None,
                vec![("自然保护区条例", None, Some(AdminRegulation), true, None)],
            ),
            (
                "国务院关于第六批取消和调整行政审批项目的决定",
                None,
                vec![(
                    "国务院关于第六批取消和调整行政审批项目的决定",
                    None,
                    Some(StateCouncilDecision),
                    true,
                    None,
                )],
            ),
            (
                "《国务院办公厅关于加快推进“三证合一”登记制度改革的意见》（国办发〔2015〕50号）",
                None,
                vec![(
                    "国务院办公厅关于加快推进“三证合一”登记制度改革的意见",
                    None,
                    Some(NormativeDocument),
                    true,
                    Some("国务院办公厅"),
                )],
            ),
            (
                "关于加强道路运输管理的通知（鲁交运发〔2014〕12号）",
                None,
                vec![(
                    "关于加强道路运输管理的通知",
                    None,
                    Some(NormativeDocument),
                    true,
                    Some("山东省"),
                )],
            ),
            (
                "关于规范道路运输管理的通知 鲁政办发〔2015〕3号",
                None,
                vec![(
                    "关于规范道路运输管理的通知",
                    None,
                    Some(NormativeDocument),
                    true,
                    Some("山东省人民政府办公厅"),
                )],
            ),
            (
                "山东省实施《中华人民共和国道路交通安全法》办法",
                None,
                vec![(
                    "山东省实施《中华人民共和国道路交通安全法》办法",
                    None,
                    Some(LocalRegulation),
                    true,
                    None,
                )],
            ),
            (
                "《山东省实施〈中华人民共和国道路交通安全法〉办法》第十条",
                None,
                vec![(
                    "山东省实施〈中华人民共和国道路交通安全法〉办法",
                    Some("第十条"),
                    Some(LocalRegulation),
                    true,
                    None,
                )],
            ),
            (
                "《中华人民共和国道路运输条例》（2019年修正）第六十七条",
                None,
                vec![(ROAD, Some("第六十七条"), Some(AdminRegulation), true, None)],
            ),
            (
                "《机动车驾驶员培训管理规定》（交通运输部令2016年第51号）",
                None,
                vec![(
                    "机动车驾驶员培训管理规定",
                    None,
                    Some(DepartmentalRule),
                    true,
                    Some("交通运输部"),
                )],
            ),
            (
                "《出租汽车驾驶员从业资格管理规定》第二十七条规定",
                None,
                vec![(
                    "出租汽车驾驶员从业资格管理规定",
                    Some("第二十七条"),
                    Some(DepartmentalRule),
                    true,
                    None,
                )],
            ),
            (
                "《道路运输条例》 第 六十七 条",
                None,
                vec![(
                    "道路运输条例",
                    Some("第六十七条"),
                    Some(AdminRegulation),
                    true,
                    None,
                )],
            ),
            (
                "《特种设备安全监察条例》第二十八条、第三十八条；《特种设备作业人员监督管理办法》",
                None,
                vec![
                    (
                        "特种设备安全监察条例",
                        Some("第二十八条、第三十八条"),
                        Some(AdminRegulation),
                        true,
                        None,
                    ),
                    (
                        "特种设备作业人员监督管理办法",
                        None,
                        Some(DepartmentalRule),
                        true,
                        None,
                    ),
                ],
            ),
            (
                "①《中华人民共和国道路运输条例》\n②《道路运输从业人员管理规定》",
                None,
                vec![
                    (ROAD, None, Some(AdminRegulation), true, None),
                    (
                        "道路运输从业人员管理规定",
                        None,
                        Some(DepartmentalRule),
                        true,
                        None,
                    ),
                ],
            ),
            (
                "(1)《出版管理条例》(2)《印刷业管理条例》",
                None,
                vec![
                    ("出版管理条例", None, Some(AdminRegulation), true, None),
                    ("印刷业管理条例", None, Some(AdminRegulation), true, None),
                ],
            ),
            (
                "依据：《中华人民共和国道路运输条例》第六十七条等有关规定。",
                None,
                vec![(ROAD, Some("第六十七条"), Some(AdminRegulation), true, None)],
            ),
            (
                "《中华人民共和国道路运输条例》第六十七条、第六十八条和《道路运输从业人员管理规定》第十条",
                None,
                vec![
                    (
                        ROAD,
                        Some("第六十七条、第六十八条"),
                        Some(AdminRegulation),
                        true,
                        None,
                    ),
                    (
                        "道路运输从业人员管理规定",
                        Some("第十条"),
                        Some(DepartmentalRule),
                        true,
                        None,
                    ),
                ],
            ),
            (
                "无线电管理条例",
                None,
                vec![("无线电管理条例", None, Some(AdminRegulation), true, None)],
            ),
            (
                "特种设备安全法（第四十条）",
                None,
                vec![("特种设备安全法", Some("第四十条"), Some(Law), true, None)],
            ),
            (
                "《山东省特种设备安全监督管理办法》",
                Some("规章"),
                vec![(
                    "山东省特种设备安全监督管理办法",
                    None,
                    Some(LocalGovRule),
                    true,
                    None,
                )],
            ),
            (
                "放射诊疗管理规定",
                Some("规章"),
                vec![("放射诊疗管理规定", None, Some(DepartmentalRule), true, None)],
            ),
            (
                "山东省道路运输条例",
                Some("法规"),
                vec![(
                    "山东省道路运输条例",
                    None,
                    Some(LocalRegulation),
                    true,
                    None,
                )],
            ),
            (
                "出版管理条例",
                Some("法规"),
                vec![("出版管理条例", None, Some(AdminRegulation), true, None)],
            ),
            (
                "《网络预约出租汽车经营服务管理暂行办法》",
                None,
                vec![(
                    "网络预约出租汽车经营服务管理暂行办法",
                    None,
                    Some(DepartmentalRule),
                    true,
                    None,
                )],
            ),
            (
                "《道路旅客运输企业安全管理规范（试行）》",
                None,
                vec![(
                    "道路旅客运输企业安全管理规范(试行)",
                    None,
                    None,
                    false,
                    None,
                )],
            ),
            (
                "本部门内部管理制度",
                None,
                vec![("本部门内部管理制度", None, None, false, None)],
            ),
            (
                "《中华人民共和国计量法》",
                Some("Law"),
                vec![("中华人民共和国计量法", None, Some(Law), false, None)],
            ),
            (
                "<<中华人民共和国道路运输条例>>第六十七条",
                None,
                vec![(ROAD, Some("第六十七条"), Some(AdminRegulation), true, None)],
            ),
            (
                "《中華人民共和國道路運輸條例》第六十七條",
                None,
                vec![(
                    "中華人民共和國道路運輸條例",
                    Some("第六十七條"),
                    Some(AdminRegulation),
                    true,
                    None,
                )],
            ),
            (
                "《娱乐场所管理条例》第八条\n《青岛市娱乐场所管理条例》第五条",
                Some("行政法规\n\n"),
                vec![
                    (
                        "娱乐场所管理条例",
                        Some("第八条"),
                        Some(AdminRegulation),
                        false,
                        None,
                    ),
                    (
                        "青岛市娱乐场所管理条例",
                        Some("第五条"),
                        Some(AdminRegulation),
                        false,
                        None,
                    ),
                ],
            ),
            (
                "中华人民共和国主席令第七十号",
                None,
                vec![(
                    "中华人民共和国主席令第七十号",
                    None,
                    Some(Law),
                    true,
                    Some("中华人民共和国主席"),
                )],
            ),
            (
                "山东省人民政府令第311号",
                None,
                vec![(
                    "山东省人民政府令第311号",
                    None,
                    Some(LocalGovRule),
                    true,
                    Some("山东省人民政府"),
                )],
            ),
            (
                "《中华人民共和国民办教育促进法》第十二条 ； 《中华人民共和国民办教育促进法实施条例》",
                Some("法律；行政法规"),
                vec![
                    (
                        "中华人民共和国民办教育促进法",
                        Some("第十二条"),
                        Some(Law),
                        false,
                        None,
                    ),
                    (
                        "中华人民共和国民办教育促进法实施条例",
                        None,
                        Some(AdminRegulation),
                        false,
                        None,
                    ),
                ],
            ),
            (
                "《中华人民共和国道路运输条例》第六十七条\n《山东省道路运输条例》",
                Some("行政法规\n"),
                vec![
                    (ROAD, Some("第六十七条"), Some(AdminRegulation), false, None),
                    (
                        "山东省道路运输条例",
                        None,
                        Some(AdminRegulation),
                        false,
                        None,
                    ),
                ],
            ),
            (
                "《中华人民共和国道路运输条例》第六十七条\n《山东省道路运输条例》",
                Some("行政法规\n/"),
                vec![
                    (ROAD, Some("第六十七条"), Some(AdminRegulation), false, None),
                    (
                        "山东省道路运输条例",
                        None,
                        Some(LocalRegulation),
                        true,
                        None,
                    ),
                ],
            ),
        ];
        assert!(cases.len() >= 40, "{} cases", cases.len());
        let mut wrong = Vec::new();
        for (bases, levels, expected) in &cases {
            match parse_bases(bases, *levels) {
                Ok(got_bases) => {
                    let g: Vec<_> = got_bases.iter().map(got).collect();
                    let w: Vec<_> = expected.iter().map(want).collect();
                    if g != w {
                        wrong.push(format!(
                            "{bases:?} / {levels:?}:\n  got  {g:?}\n  want {w:?}"
                        ));
                    }
                }
                Err(e) => wrong.push(format!("{bases:?} / {levels:?}: error {e:?}")),
            }
        }
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    }

    #[test]
    fn errors() {
        let e = parse_bases("《中华人民共和国计量法》", Some("法律法规")).unwrap_err();
        assert_eq!(e.code, BASIS_LEVEL_UNKNOWN);
        assert_eq!(e.text, "法律法规");
        assert!(e.message(Lang::Zh).contains("“法律法规”"));
        assert!(e.message(Lang::En).contains("\"法律法规\""));

        let e = parse_bases(
            "《出版管理条例》\n《印刷业管理条例》",
            Some("法律\n行政法规\n部门规章"),
        )
        .unwrap_err();
        assert_eq!(e.code, BASIS_LEVEL_MISMATCH);
        assert_eq!((e.bases, e.levels), (2, 3));
        assert_eq!(
            e.message(Lang::Zh),
            "依据层级填写了3项，设定依据有2项，无法一一对应：请按设定依据的顺序逐项填写层级（每行一个），或只填一个层级适用于全部依据"
        );

        // Three pieces in two documents: two or three levels line up, four do not.
        let cell = "《中华人民共和国道路运输条例》第六十七条；第六十八条\n《山东省道路运输条例》";
        assert!(parse_bases(cell, Some("行政法规\n地方性法规")).is_ok());
        assert!(parse_bases(cell, Some("行政法规\n行政法规\n地方性法规")).is_ok());
        let e = parse_bases(cell, Some("法律\n法律\n法律\n法律")).unwrap_err();
        assert_eq!(e.code, BASIS_LEVEL_MISMATCH);

        let e = parse_bases("第五条", None).unwrap_err();
        assert_eq!(e.code, BASIS_TITLE_MISSING);
        assert!(e.message(Lang::Zh).contains("“第五条”"));
        assert_eq!(e.to_string(), e.message(Lang::Zh));

        // A bad level is reported even when the rest is fine.
        let e = parse_bases("出版管理条例", Some("上位法")).unwrap_err();
        assert_eq!(e.code, BASIS_LEVEL_UNKNOWN);
    }

    #[test]
    fn levels_by_name_code_and_variant() {
        let cases: &[(&str, Option<BasisLevel>)] = &[
            ("法律", Some(Law)),
            ("law", Some(Law)),
            ("Law", Some(Law)),
            ("行政法规", Some(AdminRegulation)),
            ("admin_regulation", Some(AdminRegulation)),
            ("Administrative regulation", Some(AdminRegulation)),
            ("國務院決定", Some(StateCouncilDecision)),
            ("国务院决定", Some(StateCouncilDecision)),
            ("国务院的决定", Some(StateCouncilDecision)),
            ("State Council decision", Some(StateCouncilDecision)),
            ("部门规章", Some(DepartmentalRule)),
            ("departmental_rule", Some(DepartmentalRule)),
            ("国务院部门规章", Some(DepartmentalRule)),
            ("地方性法规", Some(LocalRegulation)),
            ("省级地方性法规", Some(LocalRegulation)),
            ("地方法规", Some(LocalRegulation)),
            ("local regulation", Some(LocalRegulation)),
            ("地方政府规章", Some(LocalGovRule)),
            ("省政府规章", Some(LocalGovRule)),
            ("政府规章", Some(LocalGovRule)),
            ("local_gov_rule", Some(LocalGovRule)),
            ("Local government rule", Some(LocalGovRule)),
            ("规范性文件", Some(NormativeDocument)),
            ("其他规范性文件", Some(NormativeDocument)),
            ("红头文件", Some(NormativeDocument)),
            ("规范性文件（省级）", Some(NormativeDocument)),
            ("normative document", Some(NormativeDocument)),
            (" 行政法规 ", Some(AdminRegulation)),
            ("规章", None),
            ("法规", None),
            ("法律法规", None),
            ("", None),
            ("上位法", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_level(text), *want, "parse_level({text:?})");
        }
        for l in BasisLevel::ALL {
            assert_eq!(parse_level(l.code()), Some(*l));
            assert_eq!(parse_level(l.zh()), Some(*l));
            assert_eq!(parse_level(l.en()), Some(*l));
        }
    }

    #[test]
    fn infer_level_from_titles() {
        let cases: &[(&str, Option<BasisLevel>)] = &[
            ("中华人民共和国道路交通安全法", Some(Law)),
            ("道路交通安全法", Some(Law)),
            ("中华人民共和国民法典", Some(Law)),
            ("海南自由贸易港法", Some(Law)),
            ("中华人民共和国道路运输条例", Some(AdminRegulation)),
            (
                "国务院关于修改部分行政法规的决定",
                Some(StateCouncilDecision),
            ),
            (
                "国务院对确需保留的行政审批项目设定行政许可的决定",
                Some(StateCouncilDecision),
            ),
            (
                "全国人民代表大会常务委员会关于修改部分法律的决定",
                Some(Law),
            ),
            (
                "山东省人民代表大会常务委员会关于修改部分地方性法规的决定",
                Some(LocalRegulation),
            ),
            (
                "山东省人民政府关于取消一批行政审批项目的决定",
                Some(NormativeDocument),
            ),
            (
                "交通运输部关于修改《道路运输从业人员管理规定》的决定",
                Some(DepartmentalRule),
            ),
            ("道路运输从业人员管理规定", Some(DepartmentalRule)),
            (
                "公安部关于修改《机动车驾驶证申领和使用规定》的决定",
                Some(DepartmentalRule),
            ),
            (
                "国家市场监督管理总局关于特种设备行政许可有关事项的公告",
                Some(NormativeDocument),
            ),
            ("特种设备作业人员监督管理办法", Some(DepartmentalRule)),
            ("山东省道路运输条例", Some(LocalRegulation)),
            ("山东道路运输条例", Some(LocalRegulation)),
            ("济南市城市市容管理条例", Some(LocalRegulation)),
            (
                "黔东南苗族侗族自治州民族文化村寨保护条例",
                Some(LocalRegulation),
            ),
            ("广西壮族自治区道路运输管理条例", Some(LocalRegulation)),
            ("山东省特种设备安全监督管理办法", Some(LocalGovRule)),
            ("济南市历城区某某管理规定", Some(LocalGovRule)),
            (
                "山东省实施《中华人民共和国道路交通安全法》办法",
                Some(LocalRegulation),
            ),
            ("山东省道路运输条例实施办法", Some(LocalGovRule)),
            (
                "山东省人民政府关于进一步做好行政审批工作的通知",
                Some(NormativeDocument),
            ),
            (
                "关于进一步规范机动车驾驶员培训管理的若干规定的通知",
                Some(NormativeDocument),
            ),
            ("关于加强道路运输安全管理的意见", Some(NormativeDocument)),
            ("关于做好年检工作的实施意见", Some(NormativeDocument)),
            ("关于某某问题的批复", Some(NormativeDocument)),
            ("关于某某问题的复函", Some(NormativeDocument)),
            (
                "山东省人民政府办公厅关于印发某某实施方案的通知",
                Some(NormativeDocument),
            ),
            ("机动车维修管理暂行规定", Some(NormativeDocument)),
            (
                "国务院关于国家行政机关工作人员的奖惩暂行规定",
                Some(AdminRegulation),
            ),
            ("国务院关于职工工作时间的规定", Some(AdminRegulation)),
            ("国家发展改革委令第1号", Some(DepartmentalRule)),
            ("中国人民银行关于某某的通知", Some(NormativeDocument)),
            ("某某市场管理办法", Some(DepartmentalRule)),
            ("医疗机构管理条例实施细则", Some(DepartmentalRule)),
            ("中华人民共和国计量法实施细则", Some(AdminRegulation)),
            ("山东省某某条例实施细则", Some(LocalGovRule)),
            ("放射诊疗管理规定（卫生部令第46号）", Some(DepartmentalRule)),
            ("交通运输部令2016年第63号", Some(DepartmentalRule)),
            ("交通运输部2016年第63号令", Some(DepartmentalRule)),
            ("国务院令第412号", Some(AdminRegulation)),
            ("山东省人民政府令第311号", Some(LocalGovRule)),
            ("鲁政发〔2015〕12号", Some(NormativeDocument)),
            ("城市供水条例", Some(AdminRegulation)),
            ("风景名胜区条例", Some(AdminRegulation)),
            ("民族区域自治法", Some(Law)),
            ("某某技术规范", None),
            ("本部门内部管理制度", None),
            ("", None),
        ];
        let mut wrong = Vec::new();
        for (title, want) in cases {
            let g = infer_level(title);
            if g != *want {
                wrong.push(format!("{title}: got {g:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    }

    #[test]
    fn local_documents() {
        let local = [
            ("山东省道路运输条例", None),
            ("山东道路运输条例", None),
            ("济南市城市市容管理条例", None),
            ("青岛市娱乐场所管理办法", None),
            ("历城区某某规定", None),
            ("省人民政府关于某某的通知", None),
            ("内蒙古自治区某某条例", None),
            ("新疆维吾尔自治区某某办法", None),
            ("关于某某的通知", Some("山东省交通运输厅")),
            ("关于某某的通知（鲁交发〔2015〕3号）", None),
            (
                "关于某某的通知（济政发〔2015〕3号）",
                Some("济南市人民政府"),
            ),
        ];
        for (t, i) in local {
            assert!(is_local_document(t, i), "{t} / {i:?} should be local");
        }
        let national = [
            ("中华人民共和国道路运输条例", None),
            ("城市供水条例", None),
            ("自然保护区条例", None),
            ("证券市场管理办法", None),
            ("市场主体登记管理条例", None),
            ("国务院关于某某的通知", None),
            ("关于某某的通知", None),
            ("关于某某的通知（国办发〔2015〕3号）", None),
            ("关于某某的通知（新出政发〔2015〕3号）", None),
            ("交通运输部关于某某的通知", Some("交通运输部")),
            ("上市公司信息披露管理办法", None),
            ("", None),
        ];
        for (t, i) in national {
            assert!(!is_local_document(t, i), "{t} / {i:?} should not be local");
        }
    }

    fn basis(level: Option<BasisLevel>, title: &str, issuer: Option<&str>) -> LegalBasis {
        LegalBasis {
            level,
            title: title.to_string(),
            article: None,
            issuer: issuer.map(str::to_string),
            level_inferred: false,
        }
    }

    #[test]
    fn self_set_boundaries() {
        let local_reg = basis(Some(LocalRegulation), "山东省道路运输条例", None);
        let city_reg = basis(Some(LocalRegulation), "济南市城市市容管理条例", None);
        let local_rule = basis(Some(LocalGovRule), "山东省特种设备安全监督管理办法", None);
        let local_doc = basis(
            Some(NormativeDocument),
            "山东省人民政府关于加强道路运输管理的通知",
            None,
        );
        let local_doc_by_issuer = basis(
            Some(NormativeDocument),
            "关于加强道路运输管理的通知",
            Some("山东省"),
        );
        let national_doc = basis(
            Some(NormativeDocument),
            "国务院办公厅关于加强道路运输管理的意见",
            None,
        );
        let ministry_doc = basis(
            Some(NormativeDocument),
            "交通运输部关于加强道路运输管理的通知",
            None,
        );
        let nameless_doc = basis(Some(NormativeDocument), "关于加强道路运输管理的通知", None);
        let law = basis(Some(Law), "中华人民共和国道路交通安全法", None);
        let admin = basis(Some(AdminRegulation), "中华人民共和国道路运输条例", None);
        let decision = basis(
            Some(StateCouncilDecision),
            "国务院对确需保留的行政审批项目设定行政许可的决定",
            None,
        );
        let rule = basis(Some(DepartmentalRule), "道路运输从业人员管理规定", None);
        let unknown_local = basis(None, "山东省某某管理制度", None);
        let unknown = basis(None, "本部门内部管理制度", None);

        let cases: Vec<(Vec<&LegalBasis>, bool)> = vec![
            (vec![], false),
            (vec![&local_reg], true),
            (vec![&city_reg], true),
            (vec![&local_rule], true),
            (vec![&local_doc], true),
            (vec![&local_doc_by_issuer], true),
            (vec![&local_reg, &local_rule, &local_doc], true),
            (vec![&local_reg, &unknown], true),
            (vec![&unknown_local], true),
            (vec![&nameless_doc, &local_rule], true),
            (vec![&unknown], false),
            (vec![&nameless_doc], false),
            (vec![&national_doc], false),
            (vec![&ministry_doc], false),
            (vec![&law], false),
            (vec![&admin], false),
            (vec![&decision], false),
            (vec![&rule], false),
            (vec![&law, &local_reg], false),
            (vec![&local_reg, &admin], false),
            (vec![&local_rule, &decision], false),
            (vec![&local_doc, &rule], false),
            (vec![&local_reg, &national_doc], false),
            (vec![&local_rule, &ministry_doc], false),
        ];
        for (i, (bases, want)) in cases.iter().enumerate() {
            let owned: Vec<LegalBasis> = bases.iter().map(|b| (*b).clone()).collect();
            assert_eq!(self_set(&owned), *want, "case {i}: {owned:?}");
        }
    }

    #[test]
    fn self_set_from_parsed_cells() {
        let parsed = |c: &str, l: Option<&str>| parse_bases(c, l).unwrap_or_default();
        assert!(self_set(&parsed("《山东省道路运输条例》第二十条", None)));
        assert!(self_set(&parsed("山东省特种设备安全监督管理办法", None)));
        assert!(self_set(&parsed(
            "关于加强道路运输管理的通知（鲁交运发〔2014〕12号）",
            None
        )));
        assert!(!self_set(&parsed(
            "《中华人民共和国道路运输条例》第六十七条\n《山东省道路运输条例》第二十条",
            None
        )));
        assert!(!self_set(&parsed("无", None)));
        assert!(!self_set(&parsed("《出版管理条例》", Some("行政法规"))));
    }

    #[test]
    fn title_keys_match_the_same_document() {
        let same = [
            "《中华人民共和国道路运输条例》",
            "中华人民共和国道路运输条例",
            "道路运输条例",
            "《道路运输条例》（2019年修正）",
            "中華人民共和國道路運輸條例",
            " 道路运输 条例 ",
            "《中华人民共和国道路运输条例》第六十七条",
        ];
        for t in same {
            assert_eq!(normalise_title(t), "道路运输条例", "{t}");
        }
        assert_eq!(
            normalise_title("《山东省道路运输条例》"),
            "山东省道路运输条例"
        );
        assert_eq!(
            normalise_title("放射诊疗管理规定（卫生部令第46号）"),
            normalise_title("《放射诊疗管理规定》")
        );
        assert_ne!(
            normalise_title("某某管理办法（试行）"),
            normalise_title("某某管理办法")
        );
        assert_eq!(normalise_title("中华人民共和国"), "中华人民共和国");
        assert_eq!(normalise_title(""), "");
    }

    /// Every parser of the domain layer on scrambled input: no panic (byte slicing on
    /// characters is the usual way to get one), and results stay within their contracts.
    #[test]
    fn parsers_never_panic_on_scrambled_text() {
        use crate::domain::cycle::{BareUnit, MAX_MONTHS, parse_cycle};
        use crate::domain::text;
        const ALPHABET: &[&str] = &[
            "《",
            "》",
            "〈",
            "〉",
            "（",
            "）",
            "(",
            ")",
            "〔",
            "〕",
            "[",
            "]",
            "第",
            "条",
            "款",
            "项",
            "令",
            "号",
            "年",
            "月",
            "每",
            "次",
            "半",
            "一",
            "二",
            "十",
            "两",
            "2",
            "0",
            "1",
            "6",
            ".",
            "、",
            "，",
            "；",
            "\n",
            " ",
            "\u{3000}",
            "/",
            "-",
            "—",
            "省",
            "市",
            "区",
            "山东",
            "国务院",
            "关于",
            "的",
            "通知",
            "决定",
            "条例",
            "办法",
            "规定",
            "法",
            "实施",
            "细则",
            "鲁政发",
            "2015",
            "无",
            "是",
            "否",
            "√",
            "个",
            "季度",
            "不定期",
            "a",
            "é",
            "😀",
            "\u{200B}",
            "\r",
            "檢驗",
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = (next() % 12) as usize;
            let s: String = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let l: String = (0..(next() % 4) as usize)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            if let Ok(bases) = parse_bases(&s, Some(&l)) {
                for b in &bases {
                    assert!(!b.title.is_empty(), "{s:?} gave an empty title");
                    assert!(!(b.level.is_none() && b.level_inferred), "{s:?}");
                }
                let _ = self_set(&bases);
            }
            let _ = infer_level(&s);
            let _ = parse_level(&s);
            let _ = is_local_document(&s, Some(&l));
            let _ = normalise_title(&s);
            for unit in [None, Some(BareUnit::Months), Some(BareUnit::Years)] {
                if let Ok(Some(m)) = parse_cycle(&s, unit) {
                    assert!((1..=MAX_MONTHS).contains(&m), "{s:?} gave {m}");
                }
            }
            let _ = BareUnit::from_header(&s);
            let _ = text::clean_opt(&s);
            let _ = text::normalise_name(&s);
            let _ = text::parse_yes_no(&s);
            if let Some(n) = text::parse_number(&s) {
                assert!(n.is_finite(), "{s:?}");
            }
            let _ = text::parse_chinese_int(&s);
        }
    }
}
