//! The holidays by the rules of the law as it stands (国民の祝日に関する法律, as amended for
//! 2020): for the years after the generated table. 春分の日 and 秋分の日 are fixed each February
//! by the 官報; the standard approximation below matches every published day since 1980.

use time::{Date, Duration, Month, Weekday};

/// The holiday on `d` by the current law's rules.
pub fn holiday_name(d: Date) -> Option<&'static str> {
    if let Some(name) = fixed_or_moving(d) {
        return Some(name);
    }
    // 振替休日: when a holiday falls on a Sunday, the next day that is not a holiday.
    let mut back = d - Duration::days(1);
    while fixed_or_moving(back).is_some() {
        if back.weekday() == Weekday::Sunday {
            return Some("振替休日");
        }
        back -= Duration::days(1);
    }
    // 国民の休日: a day between two holidays (September, between 敬老の日 and 秋分の日).
    if d.weekday() != Weekday::Sunday
        && fixed_or_moving(d - Duration::days(1)).is_some()
        && fixed_or_moving(d + Duration::days(1)).is_some()
    {
        return Some("国民の休日");
    }
    None
}

fn fixed_or_moving(d: Date) -> Option<&'static str> {
    let y = d.year();
    let day = d.day();
    let nth_monday = |n: u8| d.weekday() == Weekday::Monday && (day - 1) / 7 + 1 == n;
    match d.month() {
        Month::January if day == 1 => Some("元日"),
        Month::January if nth_monday(2) => Some("成人の日"),
        Month::February if day == 11 => Some("建国記念の日"),
        Month::February if day == 23 => Some("天皇誕生日"),
        Month::March if day == vernal_equinox(y)? => Some("春分の日"),
        Month::April if day == 29 => Some("昭和の日"),
        Month::May if day == 3 => Some("憲法記念日"),
        Month::May if day == 4 => Some("みどりの日"),
        Month::May if day == 5 => Some("こどもの日"),
        Month::July if nth_monday(3) => Some("海の日"),
        Month::August if day == 11 => Some("山の日"),
        Month::September if nth_monday(3) => Some("敬老の日"),
        Month::September if day == autumnal_equinox(y)? => Some("秋分の日"),
        Month::October if nth_monday(2) => Some("スポーツの日"),
        Month::November if day == 3 => Some("文化の日"),
        Month::November if day == 23 => Some("勤労感謝の日"),
        _ => None,
    }
}

/// The March day of 春分 (the standard formula, valid 1980–2150).
fn vernal_equinox(year: i32) -> Option<u8> {
    equinox(year, 20.8431, 21.8510)
}

/// The September day of 秋分.
fn autumnal_equinox(year: i32) -> Option<u8> {
    equinox(year, 23.2488, 24.2488)
}

fn equinox(year: i32, base_1980: f64, base_2100: f64) -> Option<u8> {
    let base = match year {
        1980..=2099 => base_1980,
        2100..=2150 => base_2100,
        _ => return None,
    };
    let n = f64::from(year - 1980);
    let day = (base + 0.242194 * n).floor() - (n / 4.0).floor();
    u8::try_from(day as i64).ok()
}
