//! Deadlines as people enter and read them: Beijing time (Asia/Shanghai, UTC+8 all year, no
//! daylight saving since 1991, so a fixed offset is exact), stored as UTC like every timestamp.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone};

use super::{Refusal, quote};

/// Asia/Shanghai.
pub fn beijing() -> FixedOffset {
    // 8 hours is within ±24 h, so the fallback never happens; it keeps this total.
    FixedOffset::east_opt(8 * 3600).unwrap_or(chrono::Utc.fix())
}

const LOCAL_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
];

/// Parses a time entered in Beijing time (`2017-04-30T18:00`, `2017-04-30 18:00[:00]`), or with
/// an explicit offset (`2017-04-30T10:00:00Z`, `…+08:00`), into UTC. Blank is `None`. A date
/// alone is refused: whether it means the start or the end of the day is not ours to guess.
pub fn parse_beijing(
    field: &'static str,
    label: (&str, &str),
    raw: Option<&str>,
) -> Result<Option<NaiveDateTime>, Refusal> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.naive_utc()));
    }
    for format in LOCAL_FORMATS {
        if let Ok(local) = NaiveDateTime::parse_from_str(raw, format) {
            return Ok(Some(local - chrono::Duration::hours(8)));
        }
    }
    let date_only = NaiveDate::parse_from_str(raw, "%Y-%m-%d").is_ok();
    let (zh_hint, en_hint) = if date_only {
        (
            "请同时写明时刻，例如 2017-04-30T18:00",
            "give the time of day too, e.g. 2017-04-30T18:00",
        )
    } else {
        (
            "请写成 2017-04-30T18:00 的形式",
            "write it like 2017-04-30T18:00",
        )
    };
    Err(Refusal::invalid(
        "bad_time",
        Some(field),
        format!("{}“{}”无法识别：{zh_hint}（北京时间）", label.0, quote(raw)),
        format!(
            "{} “{}” is not a time: {en_hint} (Beijing time)",
            label.1,
            quote(raw)
        ),
    ))
}

/// A stored UTC time in Beijing time.
pub fn to_beijing(utc: NaiveDateTime) -> DateTime<FixedOffset> {
    beijing().from_utc_datetime(&utc)
}

/// `2017-04-30 18:00` (Beijing time), for pages.
pub fn display(utc: NaiveDateTime) -> String {
    to_beijing(utc).format("%Y-%m-%d %H:%M").to_string()
}

/// `2017-04-30T18:00` (Beijing time), the value of a `datetime-local` input.
pub fn input_value(utc: NaiveDateTime) -> String {
    to_beijing(utc).format("%Y-%m-%dT%H:%M").to_string()
}

/// `2017-04-30T18:00:00+08:00`, for the API.
pub fn rfc3339(utc: NaiveDateTime) -> String {
    to_beijing(utc).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: (&str, &str) = ("报送截止时间", "the submission deadline");

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn beijing_time_is_stored_as_utc() {
        let want = Some(at("2017-04-30 10:00:00"));
        for typed in [
            "2017-04-30T18:00",
            "2017-04-30 18:00",
            "2017-04-30 18:00:00",
            "2017/04/30 18:00",
            "2017-04-30T18:00:00+08:00",
            "2017-04-30T10:00:00Z",
        ] {
            assert_eq!(parse_beijing("x", L, Some(typed)).unwrap(), want, "{typed}");
        }
        // Past midnight in Beijing is the previous day in UTC.
        assert_eq!(
            parse_beijing("x", L, Some("2017-05-01T02:30")).unwrap(),
            Some(at("2017-04-30 18:30:00"))
        );
    }

    #[test]
    fn blank_is_none_and_rubbish_is_refused_naming_the_field() {
        assert_eq!(parse_beijing("x", L, None).unwrap(), None);
        assert_eq!(parse_beijing("x", L, Some("  ")).unwrap(), None);
        let e = parse_beijing("submission_deadline", L, Some("下周一")).unwrap_err();
        assert_eq!(e.field, Some("submission_deadline"));
        assert!(
            e.zh.contains("报送截止时间") && e.zh.contains("下周一"),
            "{}",
            e.zh
        );
        let e = parse_beijing("x", L, Some("2017-04-30")).unwrap_err();
        assert!(e.en.contains("time of day"), "{}", e.en);
        assert!(parse_beijing("x", L, Some("2017-02-30T10:00")).is_err());
    }

    #[test]
    fn shown_back_in_beijing_time() {
        let t = at("2017-04-30 10:00:00");
        assert_eq!(display(t), "2017-04-30 18:00");
        assert_eq!(input_value(t), "2017-04-30T18:00");
        assert_eq!(rfc3339(t), "2017-04-30T18:00:00+08:00");
        let round_trip = parse_beijing("x", L, Some(&input_value(t))).unwrap();
        assert_eq!(round_trip, Some(t));
    }
}
