//! Cleaning what clerks type: width, spaces, script, placeholders, yes/no and numbers.
//!
//! Everything here is pure and total: a function that cannot read its input returns `None`
//! and the caller turns that into a cell error with the sheet and cell it knows.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// NFKC (full-width letters, digits and punctuation become half-width), line breaks made `\n`,
/// zero-width and control characters dropped, runs of spaces, tabs and ideographic spaces made
/// one space, every line trimmed, blank lines at both ends dropped and inner runs of blank lines
/// kept as one.
pub fn clean(s: &str) -> String {
    // Most cells are already clean: one check, one copy (a third of a big file's read was spent
    // cleaning cells that needed nothing).
    if is_clean(s) {
        return s.to_string();
    }
    clean_slow(s)
}

/// Whether [`clean`] would give `s` back unchanged: NFKC already (quick check), no line break
/// but single `\n` between non-empty lines, no whitespace but single spaces inside a line, no
/// zero-width or control characters. Conservative: `false` sends the text the long way.
fn is_clean(s: &str) -> bool {
    let mut prev: Option<char> = None;
    for c in s.chars() {
        match c {
            ' ' | '\n' => {
                // Not at the start, not after a space or line break.
                if matches!(prev, None | Some(' ') | Some('\n')) {
                    return false;
                }
            }
            c if c.is_whitespace() || c.is_control() || is_zero_width(c) => return false,
            _ => {}
        }
        prev = Some(c);
    }
    if matches!(prev, Some(' ') | Some('\n')) {
        return false;
    }
    match quick_nfkc(s) {
        Some(Cow::Borrowed(_)) => true,
        Some(Cow::Owned(_)) => false,
        None => {
            unicode_normalization::is_nfkc_quick(s.chars())
                == unicode_normalization::IsNormalized::Yes
        }
    }
}

/// Characters whose NFKC form is themselves and which take part in no composition: ASCII, the
/// CJK unified ideographs (with extension A) and the CJK punctuation clerks type
/// (、。〈〉《》「」『』【】〔〕 and the curly quotes).
fn is_nfkc_stable(c: char) -> bool {
    matches!(c,
        '\0'..='\u{7F}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{3001}'..='\u{3002}'
        | '\u{3008}'..='\u{3011}'
        | '\u{3014}'..='\u{3015}'
        | '\u{2018}'..='\u{2019}'
        | '\u{201C}'..='\u{201D}')
}

/// NFKC without the normaliser's tables for the text of nearly every cell: characters that are
/// their own NFKC form ([`is_nfkc_stable`]) and the full-width forms of ASCII and the
/// ideographic space, which NFKC maps to ASCII one for one. `Borrowed` when the text is NFKC
/// already; `None` when another character needs the normaliser. (A profile of a big file's read
/// spent a seventh of it in the normaliser's lookups.)
fn quick_nfkc(s: &str) -> Option<Cow<'_, str>> {
    let mut mapped: Option<String> = None;
    for (i, c) in s.char_indices() {
        let half = match c {
            c if is_nfkc_stable(c) => {
                if let Some(out) = &mut mapped {
                    out.push(c);
                }
                continue;
            }
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0)?,
            '\u{3000}' => ' ',
            _ => return None,
        };
        mapped
            .get_or_insert_with(|| {
                let mut out = String::with_capacity(s.len());
                out.push_str(&s[..i]);
                out
            })
            .push(half);
    }
    Some(mapped.map_or(Cow::Borrowed(s), Cow::Owned))
}

/// NFKC of `s`: the quick way where it applies, the normaliser otherwise.
fn nfkc(s: &str) -> Cow<'_, str> {
    quick_nfkc(s).unwrap_or_else(|| Cow::Owned(s.nfkc().collect()))
}

/// `str::to_lowercase`, with the characters that have no case (CJK) copied without a lookup.
pub fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    if s.chars().all(|c| c.is_ascii() || is_nfkc_stable(c)) {
        return s.chars().map(|c| c.to_ascii_lowercase()).collect();
    }
    s.to_lowercase()
}

fn clean_slow(s: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut space = false;
    let normalised = nfkc(s);
    let mut chars = normalised.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
                space = false;
            }
            '\n' | '\u{000B}' | '\u{000C}' | '\u{0085}' | '\u{2028}' | '\u{2029}' => {
                lines.push(std::mem::take(&mut line));
                space = false;
            }
            c if is_zero_width(c) => {}
            c if c.is_whitespace() => space = !line.is_empty(),
            c if c.is_control() => {}
            c => {
                if space {
                    line.push(' ');
                    space = false;
                }
                line.push(c);
            }
        }
    }
    lines.push(line);

    let mut out = String::with_capacity(s.len());
    let mut blank_run = false;
    for l in &lines {
        if l.is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run {
                out.push('\n');
            }
        }
        blank_run = false;
        out.push_str(l);
    }
    out
}

fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// [`clean`], and `None` when nothing is left or only a placeholder such as `/`, `-`, `——`,
/// `N/A`. `无` is not a placeholder: for a basis it means "no basis", which is information.
pub fn clean_opt(s: &str) -> Option<String> {
    let c = clean(s);
    if c.is_empty() || is_placeholder(&c) {
        None
    } else {
        Some(c)
    }
}

fn is_placeholder(c: &str) -> bool {
    let only_marks = c.chars().all(|ch| {
        matches!(
            ch,
            '/' | '\\'
                | '-'
                | '_'
                | '~'
                | '.'
                | '。'
                | '·'
                | '‐'
                | '‑'
                | '‒'
                | '–'
                | '—'
                | '―'
                | '−'
                | ' '
                | '\n'
        )
    });
    if only_marks {
        return true;
    }
    matches!(
        lowercase(c).as_str(),
        "n/a" | "na" | "#n/a" | "n.a." | "null" | "nil"
    )
}

/// Traditional → simplified, one character at a time, for the characters that appear in these
/// spreadsheets' headers, item names, licence names and legal titles. Pairs were checked
/// against OpenCC's t2s table; characters whose simplified form is ambiguous (著, 乾, 瞭, 藉, 覆 …)
/// are left out on purpose.
const TRADITIONAL_SIMPLIFIED: &[&str] = &[
    "並并佈布併并來来倉仓個个們们備备傢家傳传僑侨價价億亿優优儲储兒儿內内兩两冊册別别則则創创劃划動动務务勞劳勢势勵励匯汇區区",
    "協协參参員员問问單单嚴严國国圍围園园圓圆圖图團团執执報报場场墳坟墾垦壓压壞坏壩坝壯壮壽寿夠够夢梦夥伙奪夺奮奋妝妆娛娱婦妇",
    "嬰婴學学實实寧宁審审寫写寬宽寶宝專专對对導导屆届層层屬属岡冈島岛峽峡崗岗嶺岭帥帅師师帳帐帶带幣币幫帮幹干廚厨廟庙廠厂廢废",
    "廣广廬庐廳厅強强彈弹彎弯彙汇後后徑径從从復复徵征徹彻態态慶庆憑凭憲宪應应懲惩懷怀戰战戲戏戶户捨舍掛挂採采換换搶抢撫抚擇择",
    "擔担據据擬拟擴扩擾扰攜携攤摊敵敌數数斂敛斬斩斷断於于時时晉晋晝昼暢畅暫暂曆历曉晓曬晒書书會会東东條条棗枣業业極极構构槍枪",
    "樂乐樑梁樓楼標标樣样樹树橋桥機机檔档檢检檯台權权歐欧歡欢歲岁歷历殘残殯殡殺杀毀毁氣气氫氢決决況况淨净測测準准滅灭滬沪漁渔",
    "漿浆潔洁澇涝澤泽濕湿濟济濫滥濰潍濱滨瀏浏灑洒灘滩灣湾災灾為为無无煙烟熱热燈灯營营爐炉爭争爲为爾尔牆墙犧牺狀状猶犹獄狱獎奖",
    "獨独獲获獵猎獸兽獻献玀猡現现環环瓊琼產产畢毕畫画異异當当瘧疟療疗癒愈發发監监盤盘眾众睜睁確确碼码礙碍礦矿祿禄禍祸禮礼稅税",
    "稟禀種种稱称穩稳窮穷竊窃競竞筆笔節节範范築筑簡简簽签籃篮籌筹粵粤糧粮糾纠紀纪約约紅红紙纸級级紛纷紡纺細细紹绍終终組组結结",
    "絕绝絡络給给統统絲丝絳绛綁绑經经綜综綠绿維维綱纲網网綿绵緊紧緒绪線线緝缉締缔緣缘編编緩缓練练縣县縮缩縱纵總总績绩織织繪绘",
    "繫系繳缴繼继續续纖纤纜缆罰罚罷罢羅罗羣群義义習习聖圣聞闻聯联聰聪聲声職职肅肃脅胁脈脉腦脑膚肤膽胆臉脸臟脏臨临臺台與与興兴",
    "舉举舊旧艙舱艦舰艱艰莊庄華华菸烟萊莱萬万葉叶蓋盖蕪芜藝艺藥药蘇苏蘭兰處处號号蟲虫蠶蚕衆众術术衛卫衝冲裏里補补裝装裡里製制",
    "複复襲袭覈核見见規规視视覺觉覽览觀观觸触訂订計计訊讯訓训託托記记訪访設设許许訴诉診诊註注評评詞词詢询試试話话詳详誇夸誌志",
    "認认誠诚誤误誦诵說说誰谁課课誼谊調调談谈請请論论諸诸諾诺謀谋謂谓講讲謝谢證证識识譜谱議议護护讀读變变讓让貞贞負负財财貢贡",
    "貧贫貨货販贩貫贯責责貯贮貴贵買买貸贷費费貼贴貿贸賀贺賃赁資资賊贼賓宾賠赔賣卖賦赋質质賬账賭赌賴赖購购贈赠贊赞贖赎贛赣趕赶",
    "趨趋躍跃車车軌轨軍军軒轩軟软較较載载輔辅輕轻輛辆輝辉輪轮輯辑輸输輻辐轄辖轉转辦办農农這这週周進进遊游運运過过違违遞递遠远",
    "適适遲迟遷迁選选遺遗遼辽邁迈邊边邏逻郵邮鄉乡醞酝醫医釀酿針针釣钓鈴铃鉛铅鉤钩銀银銅铜銳锐銷销鋼钢錄录錢钱錯错鍋锅鍛锻鍵键",
    "鍾钟鎖锁鎮镇鏈链鏡镜鐘钟鐵铁鑄铸鑑鉴鑒鉴長长門门閃闪閉闭開开閑闲閒闲間间閘闸閥阀閩闽閱阅闆板闊阔闖闯關关陝陕陣阵陰阴陳陈",
    "陸陆陽阳隊队階阶際际隨随險险隱隐隴陇隸隶隻只雖虽雙双雜杂雞鸡離离難难雲云電电霧雾靂雳靜静韓韩響响頁页頂顶項项順顺須须預预",
    "頒颁領领頭头頻频顆颗題题額额顏颜願愿類类顧顾顯显風风颱台飄飘飛飞飯饭飲饮飼饲飽饱養养餘余館馆饒饶馬马馴驯駐驻駕驾駛驶騎骑",
    "騙骗驅驱驗验骯肮髒脏體体髮发鬆松鬥斗鬧闹魚鱼魯鲁鮮鲜鳥鸟鹹咸鹽盐麥麦麵面麼么黃黄點点黨党黴霉齊齐齋斋齒齿齡龄龍龙",
];

/// Hashes a `char` with one multiplication: the table is looked up for every character of every
/// cell, where SipHash showed in the profile of a big file's read.
#[derive(Default)]
struct CharHasher(u64);

impl std::hash::Hasher for CharHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type CharMap = HashMap<char, char, std::hash::BuildHasherDefault<CharHasher>>;

fn simplified_table() -> &'static CharMap {
    static TABLE: OnceLock<CharMap> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = CharMap::default();
        for chunk in TRADITIONAL_SIMPLIFIED {
            let chars: Vec<char> = chunk.chars().collect();
            for pair in chars.chunks(2) {
                if let [t, s] = pair {
                    map.insert(*t, *s);
                }
            }
        }
        map
    })
}

/// Traditional characters of the table replaced by their simplified forms; anything else kept.
pub fn to_simplified(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let table = simplified_table();
    s.chars().map(|c| *table.get(&c).unwrap_or(&c)).collect()
}

/// Words for the periodic re-check of a licence, folded to 年检 in [`normalise_name`]; longest
/// first so that 年度审验 is not half-replaced through 审验.
const RECHECK_WORDS: &[&str] = &[
    "年度审验",
    "年度检验",
    "年度核验",
    "年度校验",
    "年审验",
    "年检验",
    "年审",
    "审验",
    "校验",
];

/// The identity / duplicate key of an item name: [`clean`], [`to_simplified`], every whitespace
/// and punctuation character removed (ASCII and CJK), ASCII lower-cased, and the variants
/// 年审, 年度审验, 年度检验, 年度核验, 年检验, 校验, 年度校验, 审验 folded to 年检.
///
/// The folding is safe because in licence administration these words all name the same thing,
/// the periodic re-check of a licence or certificate (机动车驾驶证审验 and 机动车驾驶证年审 are
/// one item), and the key never stands alone: an item's identity is (round, department, this key,
/// licence), so folding cannot merge the re-checks of two different licences.
pub fn normalise_name(s: &str) -> String {
    // The same as `to_simplified(&clean(s))` then the filter, in one pass: everything `clean`
    // drops or inserts (line breaks, whitespace, zero-width and control characters) is not
    // alphanumeric, before or after simplification, so the filter drops it anyway. Text
    // already in NFKC (most names) skips the normaliser.
    let table = simplified_table();
    let keep = |out: &mut String, c: char| {
        let c = *table.get(&c).unwrap_or(&c);
        if is_alphanumeric(c) {
            out.push(c.to_ascii_lowercase());
        }
    };
    let mut key = String::with_capacity(s.len());
    if let Some(quick) = quick_nfkc(s) {
        quick.chars().for_each(|c| keep(&mut key, c));
    } else if unicode_normalization::is_nfkc_quick(s.chars())
        == unicode_normalization::IsNormalized::Yes
    {
        s.chars().for_each(|c| keep(&mut key, c));
    } else {
        s.nfkc().for_each(|c| keep(&mut key, c));
    }
    // A replacement can form a new match (年审验 → 年检验 is avoided by the order, but be sure).
    // Every word differs from 年检, so a replacement always changes the key.
    for _ in 0..4 {
        let mut changed = false;
        for w in RECHECK_WORDS {
            if key.contains(w) {
                key = key.replace(w, "年检");
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    key
}

/// The CJK unified ideographs, every one of them alphabetic: most characters of an item's name.
const CJK_UNIFIED: std::ops::RangeInclusive<char> = '\u{4E00}'..='\u{9FFF}';

/// `char::is_alphanumeric`, answered at once for the ideographs that make up most names (the
/// standard library looks every non-ASCII character up in its Unicode tables).
fn is_alphanumeric(c: char) -> bool {
    CJK_UNIFIED.contains(&c) || c.is_alphanumeric()
}

/// Reads a yes/no cell: 是/否, 是的/不是, 有/无, √/×, ✓/✗, ✔/✘, Y/N, yes/no, true/false, 1/0,
/// 已/未, 已改/未改, 已改为年度报告公示/未改为年度报告公示 … A trailing remark in brackets or
/// after a comma is ignored (`是（2015年已改）`). `None` when the text says neither.
pub fn parse_yes_no(s: &str) -> Option<bool> {
    let t = lowercase(&to_simplified(&clean(s)));
    let t = strip_trailing_remarks(&t);
    if t.is_empty() {
        return None;
    }
    if let Some(b) = yes_no_word(&t) {
        return Some(b);
    }
    let head = t
        .split([',', ';', ':', '、', '。', ' ', '\n', '('])
        .next()
        .unwrap_or("");
    if let Some(b) = yes_no_word(head) {
        return Some(b);
    }
    const YES_PREFIXES: &[&str] = &["已改", "已经改", "已实行", "已实施", "已转为", "已调整为"];
    const NO_PREFIXES: &[&str] = &[
        "未改",
        "尚未",
        "没有改",
        "没改",
        "不改",
        "未实行",
        "未实施",
        "暂未",
        "还未",
        "未转为",
    ];
    if NO_PREFIXES.iter().any(|p| t.starts_with(p)) {
        return Some(false);
    }
    if YES_PREFIXES.iter().any(|p| t.starts_with(p)) {
        return Some(true);
    }
    None
}

fn yes_no_word(t: &str) -> Option<bool> {
    match t {
        "是"
        | "是的"
        | "有"
        | "已"
        | "已改"
        | "已经"
        | "已经改"
        | "已改为年度报告公示"
        | "已改为年报"
        | "已改为年度报告"
        | "已实行"
        | "已实施"
        | "已公示"
        | "√"
        | "✓"
        | "✔"
        | "☑"
        | "✅"
        | "y"
        | "yes"
        | "true"
        | "t"
        | "1"
        | "1.0"
        | "ok" => Some(true),
        "否"
        | "不是"
        | "无"
        | "没有"
        | "不"
        | "非"
        | "未"
        | "未改"
        | "没改"
        | "尚未"
        | "未改为年度报告公示"
        | "未实行"
        | "未实施"
        | "×"
        | "✗"
        | "✘"
        | "☒"
        | "❌"
        | "x"
        | "n"
        | "no"
        | "false"
        | "f"
        | "0"
        | "0.0" => Some(false),
        _ => None,
    }
}

/// Drops trailing bracketed remarks and trailing punctuation: `每年一次（3月）。` → `每年一次`.
pub(crate) fn strip_trailing_remarks(s: &str) -> String {
    let mut t = s.trim().to_string();
    loop {
        let trimmed = t
            .trim_end_matches(|c: char| {
                c.is_whitespace() || matches!(c, '。' | '.' | ',' | ';' | ':' | '!' | '、' | '…')
            })
            .to_string();
        let stripped = strip_last_group(&trimmed);
        match stripped {
            Some(rest) if !rest.trim().is_empty() => t = rest.trim_end().to_string(),
            _ => {
                if trimmed == t {
                    return t;
                }
                t = trimmed;
            }
        }
    }
}

/// When `s` ends with a closing bracket, `s` without that bracketed group.
pub(crate) fn strip_last_group(s: &str) -> Option<String> {
    let (open, close) = match s.chars().last()? {
        ')' => ('(', ')'),
        '】' => ('【', '】'),
        ']' => ('[', ']'),
        '〕' => ('〔', '〕'),
        _ => return None,
    };
    let mut depth = 0usize;
    for (i, c) in s.char_indices().rev() {
        if c == close {
            depth += 1;
        } else if c == open {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(s[..i].to_string());
            }
        }
    }
    None
}

/// A number stored as text: full-width digits, thousands separators (`1,200`), a sign, a
/// decimal point, a trailing unit (学时, 课时, 小时, 元, 元/人 …; 万元 multiplies by 10 000) and
/// Chinese numerals (`二十四学时`). `None` for anything else, and never NaN or infinity.
pub fn parse_number(s: &str) -> Option<f64> {
    let t: String = lowercase(
        &to_simplified(&clean(s))
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>(),
    );
    let mut t = t.as_str();
    const UNITS: &[&str] = &[
        "个学时",
        "个课时",
        "个小时",
        "学时",
        "课时",
        "小时",
        "元/人次",
        "元/人",
        "元/次",
        "元每人",
        "元",
        "hours",
        "hour",
        "hrs",
        "hr",
        "h",
        "yuan",
        "rmb",
        "¥",
    ];
    let mut stripped = true;
    while stripped {
        stripped = false;
        for u in UNITS {
            if let Some(rest) = t.strip_suffix(u) {
                t = rest;
                stripped = true;
            }
        }
    }
    for p in ["¥", "rmb", "￥"] {
        if let Some(rest) = t.strip_prefix(p) {
            t = rest;
        }
    }
    let mut factor = 1.0;
    if let Some(rest) = t.strip_suffix('万')
        && rest.chars().any(|c| c.is_ascii_digit())
    {
        t = rest;
        factor = 10_000.0;
    }
    if t.is_empty() {
        return None;
    }
    if let Some(v) = parse_plain_decimal(t) {
        return Some(v * factor);
    }
    parse_chinese_int(t).map(|v| f64::from(v) * factor)
}

/// `[+-]digits[.digits]` with optional `,` thousands separators in groups of three; nothing
/// else (no exponent, no `inf`, no `NaN`).
pub(crate) fn parse_plain_decimal(t: &str) -> Option<f64> {
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if let Some(f) = frac
        && (f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if int.is_empty() && frac.is_none() {
        return None;
    }
    if int.contains(',') {
        let mut groups = int.split(',');
        let first = groups.next()?;
        if first.is_empty() || first.len() > 3 || !first.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
    } else if !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let plain: String = t.chars().filter(|&c| c != ',').collect();
    plain.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn chinese_digit(c: char) -> Option<u64> {
    Some(match c {
        '〇' | '零' | '○' => 0,
        '一' | '壹' | '幺' => 1,
        '二' | '两' | '贰' | '貳' => 2,
        '三' | '叁' | '叄' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

fn chinese_small_unit(c: char) -> Option<u64> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1000,
        _ => return None,
    })
}

/// Arabic digits, or a Chinese numeral: 一 二 两 三 … 十 十二 二十 二十四 三十六 百 一百零五
/// 一千二 两万, 〇 and 零, financial forms (壹 贰 拾 …), and digit strings such as 二〇一六.
pub fn parse_chinese_int(s: &str) -> Option<u32> {
    let t: String = to_simplified(&clean(s))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok();
    }
    let chars: Vec<char> = t.chars().collect();
    if chars.len() > 1 && chars.iter().all(|&c| chinese_digit(c).is_some()) {
        // 二〇一六: a digit string read positionally.
        let mut v: u64 = 0;
        for c in &chars {
            v = v.checked_mul(10)?.checked_add(chinese_digit(*c)?)?;
        }
        return u32::try_from(v).ok();
    }

    let mut total: u64 = 0;
    let mut section: u64 = 0;
    let mut digit: Option<u64> = None;
    let mut last_small: u64 = 10_000; // the last small unit of this section
    let mut last_big: u64 = u64::MAX;
    let mut zero_seen = false;
    for &c in &chars {
        if let Some(d) = chinese_digit(c) {
            if d == 0 {
                if digit.is_some() {
                    return None;
                }
                zero_seen = true;
                continue;
            }
            if digit.is_some() {
                return None;
            }
            digit = Some(d);
        } else if let Some(u) = chinese_small_unit(c) {
            if u >= last_small {
                return None;
            }
            let d = match digit.take() {
                Some(d) => d,
                // 十二 = 12, and a bare 百 = 100; 一百十 also reads 十 as 一十.
                None if !zero_seen || u == 10 => 1,
                None => return None,
            };
            section += d * u;
            last_small = u;
            zero_seen = false;
        } else if c == '万' || c == '亿' {
            let big: u64 = if c == '万' { 10_000 } else { 100_000_000 };
            if big >= last_big {
                return None;
            }
            section += digit.take().unwrap_or(0);
            if section == 0 {
                section = 1;
            }
            total = total.checked_add(section.checked_mul(big)?)?;
            section = 0;
            last_small = 10_000;
            last_big = big;
            zero_seen = false;
        } else {
            return None;
        }
    }
    if let Some(d) = digit {
        // 一百五 = 150, 一千二 = 1200, 两万三 = 23 000: a trailing digit after a unit without 零
        // counts in the next lower place.
        let place = if zero_seen {
            1
        } else if last_small < 10_000 && last_small > 10 {
            last_small / 10
        } else if last_small == 10_000 && last_big != u64::MAX && section == 0 {
            last_big / 10
        } else {
            1
        };
        section += d * place;
    }
    u32::try_from(total.checked_add(section)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_normalises_width_spaces_and_line_breaks() {
        let cases: &[(&str, &str)] = &[
            ("  道路运输　　经营许可证 ", "道路运输 经营许可证"),
            ("ＡＢＣ１２３", "ABC123"),
            ("每年\t\t一次", "每年 一次"),
            ("年\u{200B}检\u{FEFF}", "年检"),
            ("第一行\r\n第二行\r第三行", "第一行\n第二行\n第三行"),
            ("  第一行  \n   第二行", "第一行\n第二行"),
            ("\n\n第一行\n\n\n\n第二行\n\n", "第一行\n\n第二行"),
            ("（试行）", "(试行)"),
            ("", ""),
            ("\u{00A0}\u{3000}", ""),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), *want, "clean({input:?})");
        }
    }

    #[test]
    fn clean_opt_drops_placeholders_but_keeps_wu() {
        for p in [
            "", "  ", "/", "-", "—", "——", "－", "／", "\\", "N/A", "n/a", "#N/A", "...", "…",
        ] {
            assert_eq!(clean_opt(p), None, "clean_opt({p:?})");
        }
        assert_eq!(clean_opt("无"), Some("无".to_string()));
        assert_eq!(clean_opt(" 暂无 "), Some("暂无".to_string()));
        assert_eq!(clean_opt("0"), Some("0".to_string()));
    }

    #[test]
    fn the_ideographs_taken_at_once_are_alphanumeric() {
        for c in CJK_UNIFIED {
            assert!(c.is_alphanumeric(), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn simplified_table_is_consistent() {
        let table = simplified_table();
        let pairs: usize = TRADITIONAL_SIMPLIFIED
            .iter()
            .map(|c| c.chars().count())
            .sum();
        assert_eq!(pairs % 2, 0, "the table holds pairs");
        assert_eq!(table.len(), pairs / 2, "no traditional character twice");
        assert!(table.len() >= 200);
        for (t, s) in table {
            assert_ne!(t, s, "{t} maps to itself");
            assert!(!table.contains_key(s), "{t}→{s} would chain");
        }
    }

    #[test]
    fn quick_nfkc_agrees_with_the_normaliser_on_every_character_it_takes() {
        let mut taken = 0;
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let s = format!("年{c}检a");
            if let Some(quick) = quick_nfkc(&s) {
                taken += 1;
                let full: String = s.nfkc().collect();
                assert_eq!(quick, full, "U+{:04X}", c as u32);
                assert_eq!(
                    matches!(quick, Cow::Borrowed(_)),
                    full == s,
                    "U+{:04X}",
                    c as u32
                );
            }
        }
        assert!(taken > 20_000, "{taken}");
        // And on whole texts, mixed with characters it leaves to the normaliser.
        for s in [
            "ＡＢＣ（第１项）",
            "《道路运输条例》、第三条",
            "①號",
            "ﬁle",
            "e\u{301}",
            "　空格",
        ] {
            let full: String = s.nfkc().collect();
            assert_eq!(nfkc(s), full, "{s}");
        }
    }

    #[test]
    fn lowercase_is_str_to_lowercase() {
        for s in ["ABC年检", "年检ΣΑΣ", "ＡＢＣ", "Ünïcode 许可证", "", "N/A"] {
            assert_eq!(lowercase(s), s.to_lowercase(), "{s}");
        }
    }

    #[test]
    fn the_clean_fast_path_gives_what_the_long_way_gives() {
        let cases = [
            "道路运输经营许可证年度审验",
            "中华人民共和国道路运输条例 第二十二条",
            "《特种设备安全法》\n《山东省特种设备安全条例》",
            "ＡＢＣ１２３",
            "a  b",
            " lead",
            "trail ",
            "x\n\ny",
            "x\n \ny",
            "x\r\ny",
            "x\ty",
            "x\u{3000}y",
            "x\u{200B}y",
            "x\u{0007}y",
            "①②",
            "ｶﾀｶﾅ",
            "已改（2015年）",
            "",
            "\n",
            "a\n",
        ];
        for c in cases {
            assert_eq!(clean(c), clean_slow(c), "{c:?}");
            if is_clean(c) {
                assert_eq!(clean_slow(c), c, "{c:?} passed the check but is not clean");
            }
        }
    }

    #[test]
    fn to_simplified_covers_headers_and_item_names() {
        let cases: &[(&str, &str)] = &[
            ("檢驗週期", "检验周期"),
            ("設定依據", "设定依据"),
            ("依據層級", "依据层级"),
            ("擬處理意見", "拟处理意见"),
            ("是否已改為年度報告公示", "是否已改为年度报告公示"),
            ("實施部門", "实施部门"),
            ("涉及證照", "涉及证照"),
            ("檢驗對象", "检验对象"),
            ("備註", "备注"),
            ("收費標準", "收费标准"),
            ("培訓機構", "培训机构"),
            ("掛鉤環節", "挂钩环节"),
            ("機動車駕駛證審驗", "机动车驾驶证审验"),
            ("道路運輸經營許可證", "道路运输经营许可证"),
            ("醫療機構執業許可證", "医疗机构执业许可证"),
            ("社會團體登記管理條例", "社会团体登记管理条例"),
            ("特種設備安全法", "特种设备安全法"),
            ("山東省", "山东省"),
            ("序號", "序号"),
            ("already simplified 检验", "already simplified 检验"),
        ];
        for (input, want) in cases {
            assert_eq!(to_simplified(input), *want, "to_simplified({input:?})");
        }
    }

    #[test]
    fn normalise_name_equals_its_definition_through_clean() {
        // The definition: clean, simplify, keep the alphanumerics lower-cased, fold.
        fn reference(s: &str) -> String {
            let mut key: String = to_simplified(&clean(s))
                .chars()
                .filter(|c| c.is_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            for _ in 0..4 {
                let before = key.clone();
                for w in RECHECK_WORDS {
                    if key.contains(w) {
                        key = key.replace(w, "年检");
                    }
                }
                if key == before {
                    break;
                }
            }
            key
        }
        for s in [
            "",
            "道路运输经营许可证年度审验",
            " 道路运输经营许可证　年检。",
            "《道路運輸經營許可證》年度檢驗",
            "ＡＢＣ１２３ 证\r\n年审验",
            "①号\u{200B}证\u{FEFF}年\u{00AD}审",
            "ﾃｽﾄ ㍿ ﬁ Ⅻ ½",
            "Road\tTransport  Permit\u{2028}Annual",
            "年审年审验年度年审\u{0085}审验",
            "\u{0007}控制\u{001F}字符",
        ] {
            assert_eq!(normalise_name(s), reference(s), "{s:?}");
        }
    }

    #[test]
    fn normalise_name_folds_spacing_punctuation_script_and_recheck_words() {
        let same = [
            "道路运输经营许可证年度审验",
            "道路运输经营许可证年审",
            " 道路运输经营许可证　年检。",
            "《道路运输经营许可证》年度检验",
            "道路運輸經營許可證年度審驗",
            "道路运输经营许可证-年度核验",
            "道路运输经营许可证（年检）",
            "道路运输经营许可证年检验",
            "道路运输经营许可证审验",
        ];
        for s in same {
            assert_eq!(
                normalise_name(s),
                "道路运输经营许可证年检",
                "normalise_name({s:?})"
            );
        }
        assert_eq!(normalise_name("ＩＣＰ许可证 年审"), "icp许可证年检");
        assert_eq!(normalise_name("A·B、C，D"), "abcd");
        assert_ne!(
            normalise_name("道路运输经营许可证年检"),
            normalise_name("道路运输从业资格证年检")
        );
        assert_eq!(normalise_name("驾驶员培训"), "驾驶员培训");
        assert_eq!(normalise_name(""), "");
    }

    #[test]
    fn parse_yes_no_reads_what_clerks_write() {
        let yes = [
            "是",
            "是的",
            "有",
            "√",
            "✓",
            "✔",
            "Y",
            "y",
            "Yes",
            "TRUE",
            "1",
            "1.0",
            "已改",
            "已",
            "已改为年度报告公示",
            "是（2015年已改）",
            "是，已公示",
            "已改为年报公示",
            "ｙｅｓ",
            "是。",
        ];
        let no = [
            "否",
            "不是",
            "无",
            "没有",
            "×",
            "✗",
            "✘",
            "N",
            "no",
            "False",
            "0",
            "未改",
            "未",
            "未改为年度报告公示",
            "否（拟于明年改）",
            "尚未改为年度报告公示",
            "X",
            "否，保留年检",
        ];
        for s in yes {
            assert_eq!(parse_yes_no(s), Some(true), "parse_yes_no({s:?})");
        }
        for s in no {
            assert_eq!(parse_yes_no(s), Some(false), "parse_yes_no({s:?})");
        }
        for s in ["", "/", "待定", "部分", "2", "maybe", "是否"] {
            assert_eq!(parse_yes_no(s), None, "parse_yes_no({s:?})");
        }
    }

    #[test]
    fn parse_number_reads_numbers_stored_as_text() {
        let cases: &[(&str, Option<f64>)] = &[
            ("24", Some(24.0)),
            ("２４", Some(24.0)),
            ("24学时", Some(24.0)),
            ("24 个学时", Some(24.0)),
            ("16课时", Some(16.0)),
            ("8小时", Some(8.0)),
            ("1,200元", Some(1200.0)),
            ("1，200", Some(1200.0)),
            ("1,200.50", Some(1200.5)),
            ("0.5", Some(0.5)),
            ("-3", Some(-3.0)),
            ("二十四学时", Some(24.0)),
            ("三十六", Some(36.0)),
            ("1.5万元", Some(15000.0)),
            ("两万", Some(20000.0)),
            ("¥300", Some(300.0)),
            ("300元/人", Some(300.0)),
            ("", None),
            ("约20", None),
            ("12,34", None),
            ("1.2.3", None),
            ("inf", None),
            ("NaN", None),
            ("1e3", None),
            ("免费", None),
            ("二十天", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_number(input), *want, "parse_number({input:?})");
        }
    }

    #[test]
    fn parse_chinese_int_reads_numerals() {
        let cases: &[(&str, Option<u32>)] = &[
            ("一", Some(1)),
            ("二", Some(2)),
            ("两", Some(2)),
            ("兩", Some(2)),
            ("三", Some(3)),
            ("十", Some(10)),
            ("十二", Some(12)),
            ("二十", Some(20)),
            ("二十四", Some(24)),
            ("三十六", Some(36)),
            ("百", Some(100)),
            ("一百二十", Some(120)),
            ("一百零五", Some(105)),
            ("一百五", Some(150)),
            ("一千零五十", Some(1050)),
            ("两万三", Some(23000)),
            ("〇", Some(0)),
            ("零", Some(0)),
            ("二〇一六", Some(2016)),
            ("壹拾贰", Some(12)),
            ("12", Some(12)),
            ("１２", Some(12)),
            ("", None),
            ("十十", None),
            ("百十百", None),
            ("三个", None),
            ("12.5", None),
            ("-1", None),
            ("九十九亿", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_chinese_int(input),
                *want,
                "parse_chinese_int({input:?})"
            );
        }
    }

    #[test]
    fn parse_chinese_int_agrees_with_arabic_for_small_numbers() {
        let digits = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
        for n in 1u32..100 {
            let (tens, ones) = ((n / 10) as usize, (n % 10) as usize);
            let text = match tens {
                0 => digits[ones].to_string(),
                1 => format!("十{}", digits[ones]),
                _ => format!("{}十{}", digits[tens], digits[ones]),
            };
            assert_eq!(parse_chinese_int(&text), Some(n), "{text}");
        }
    }
}
