//! Dates as Japanese screens and documents show them: 2026年4月1日 and the 和暦 (令和8年).

use time::{Date, Month, OffsetDateTime, UtcOffset};

/// Japan Standard Time: all dates a user sees are in it.
pub const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// The eras since the Meiji reforms that a living person's dates can fall in.
const ERAS: [(&str, Date); 4] = [
    ("令和", date(2019, Month::May, 1)),
    ("平成", date(1989, Month::January, 8)),
    ("昭和", date(1926, Month::December, 25)),
    ("大正", date(1912, Month::July, 30)),
];

const fn date(year: i32, month: Month, day: u8) -> Date {
    match Date::from_calendar_date(year, month, day) {
        Ok(d) => d,
        Err(_) => Date::MIN,
    }
}

/// 2026年4月1日
pub fn format_date(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

/// The era and year of a date: 令和8年, 令和元年, 平成31年.
pub fn era_year(d: Date) -> Option<String> {
    let (name, start) = ERAS.iter().find(|(_, start)| d >= *start)?;
    let n = d.year() - start.year() + 1;
    Some(if n == 1 {
        format!("{name}元年")
    } else {
        format!("{name}{n}年")
    })
}

/// 令和8年4月1日
pub fn format_wareki(d: Date) -> String {
    match era_year(d) {
        Some(year) => format!("{year}{}月{}日", u8::from(d.month()), d.day()),
        None => format_date(d),
    }
}

/// 2026年4月1日（令和8年）: the form Japanese screens usually show.
pub fn format_date_with_era(d: Date) -> String {
    match era_year(d) {
        Some(year) => format!("{}（{year}）", format_date(d)),
        None => format_date(d),
    }
}

/// 2026年4月1日 9:05, in Japan time.
pub fn format_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(JST);
    format!("{} {}:{:02}", format_date(t.date()), t.hour(), t.minute())
}

/// A date as people type it: 2026-12-10, 2026/12/10, 2026年12月10日, with full-width digits
/// and Japanese dashes from an input method. None when it is not such a date.
pub fn parse_typed(value: &str) -> Option<Date> {
    let normalized = crate::directory::normalize_number_text(value);
    let normalized = normalized
        .trim()
        .replace(['/', '.', '年', '月'], "-")
        .trim_end_matches('日')
        .to_owned();
    Date::parse(
        &normalized,
        time::macros::format_description!("[year]-[month padding:none]-[day padding:none]"),
    )
    .ok()
}

/// Today in Japan, whatever the server's clock zone.
pub fn today(now: OffsetDateTime) -> Date {
    now.to_offset(JST).date()
}

/// The dates a field may hold, so a slip of the keyboard (9999年, 0202年) is caught where it is
/// typed instead of ending in a 「10000年度」 school calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateRange {
    /// A birth date: 1900年1月1日 to a year from today (an expected birth).
    Birth,
    /// A date on a schedule (a meeting, a due date, a move, a review): ten years either side.
    Schedule,
    /// Any other date of a record (a certificate issued, a consent signed): 1900 to ten years ahead.
    Record,
}

impl DateRange {
    /// The first and last date allowed on `today`.
    pub fn bounds(self, today: Date) -> (Date, Date) {
        let years = |n: i32| crate::school_year::add_months(today, n * 12);
        let earliest = date(1900, Month::January, 1);
        match self {
            DateRange::Birth => (earliest, years(1)),
            DateRange::Schedule => (years(-10), years(10)),
            DateRange::Record => (earliest, years(10)),
        }
    }

    /// None when `d` is in range; otherwise the message naming the range:
    /// 「生年月日は1900年1月1日から2027年12月7日までの日付で入力してください。」
    pub fn problem(self, d: Date, today: Date, label: &str) -> Option<String> {
        let (first, last) = self.bounds(today);
        (d < first || d > last).then(|| {
            format!(
                "{label}は{}から{}までの日付で入力してください。",
                format_date(first),
                format_date(last)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn ranges_name_their_bounds() {
        let today = date!(2026 - 12 - 07);
        assert_eq!(
            DateRange::Birth
                .problem(date!(9999 - 12 - 31), today, "生年月日")
                .as_deref(),
            Some("生年月日は1900年1月1日から2027年12月7日までの日付で入力してください。")
        );
        assert_eq!(
            DateRange::Birth.problem(date!(2027 - 12 - 07), today, "x"),
            None
        );
        assert!(DateRange::Birth
            .problem(date!(1899 - 12 - 31), today, "x")
            .is_some());
        assert!(DateRange::Schedule
            .problem(date!(2016 - 12 - 06), today, "x")
            .is_some());
        assert_eq!(
            DateRange::Schedule.problem(date!(2036 - 12 - 07), today, "x"),
            None
        );
        assert!(DateRange::Record
            .problem(date!(2036 - 12 - 08), today, "x")
            .is_some());
        assert_eq!(
            DateRange::Record.problem(date!(1950 - 01 - 01), today, "x"),
            None
        );
    }

    #[test]
    fn era_boundaries() {
        let cases = [
            (date!(2026 - 04 - 01), "令和8年"),
            (date!(2019 - 05 - 01), "令和元年"),
            (date!(2019 - 04 - 30), "平成31年"),
            (date!(1989 - 01 - 08), "平成元年"),
            (date!(1989 - 01 - 07), "昭和64年"),
            (date!(1926 - 12 - 25), "昭和元年"),
        ];
        for (d, want) in cases {
            assert_eq!(era_year(d).as_deref(), Some(want), "{d}");
        }
    }

    #[test]
    fn formats_as_screens_show() {
        assert_eq!(format_date(date!(2026 - 04 - 01)), "2026年4月1日");
        assert_eq!(format_wareki(date!(2026 - 04 - 01)), "令和8年4月1日");
        assert_eq!(
            format_date_with_era(date!(2026 - 04 - 01)),
            "2026年4月1日（令和8年）"
        );
    }

    #[test]
    fn times_are_shown_in_japan_time() {
        // 23:30 UTC on March 31 is already April 1 in Japan: the fiscal year turns.
        let t = datetime!(2026-03-31 23:30 UTC);
        assert_eq!(format_datetime(t), "2026年4月1日 8:30");
        assert_eq!(today(t), date!(2026 - 04 - 01));
    }
}
