use super::*;
use time::macros::date;

fn each_day(from: Date, to: Date) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(from), move |d| d.next_day().filter(|n| *n <= to))
}

#[test]
fn the_table_is_in_date_order_and_covers_1955_to_2050() {
    let days: Vec<(i32, u8, u8)> = table::HOLIDAYS
        .iter()
        .map(|&(y, m, d, _)| (y, m, d))
        .collect();
    assert!(days.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(days.first().map(|d| d.0), Some(1955));
    assert_eq!(days.last().map(|d| d.0), Some(2050));
    // Every row is a real date with a name.
    for &(y, m, d, name) in table::HOLIDAYS {
        let month = Month::try_from(m).expect("month");
        assert!(Date::from_calendar_date(y, month, d).is_ok(), "{y}-{m}-{d}");
        assert!(!name.is_empty());
    }
}

#[test]
fn every_day_1955_to_2050_answers_as_the_source_list_says() {
    // The list in the Cabinet Office's CSV layout that the generator wrote beside itself.
    let source: std::collections::HashMap<Date, &str> =
        include_str!("../../../../scripts/holidays/syukujitsu.csv")
            .lines()
            .skip(1)
            .map(|line| {
                let (day, name) = line.split_once(',').expect("two columns");
                let parsed = crate::japanese_date::parse_typed(day).expect(day);
                (parsed, name)
            })
            .collect();
    assert!(source.len() > 1400);
    for d in each_day(date!(1955 - 01 - 01), date!(2050 - 12 - 31)) {
        assert_eq!(holiday_name(d), source.get(&d).copied(), "{d}");
    }
}

#[test]
fn the_rules_agree_with_the_table_under_the_current_law() {
    // The law as amended for the 2020 Games holds from 2022 (2020 and 2021 had their own moves).
    for d in each_day(date!(2022 - 01 - 01), date!(2050 - 12 - 31)) {
        assert_eq!(rules::holiday_name(d), holiday_name(d), "{d}");
    }
    // And after the table, the rules answer.
    assert_eq!(holiday_name(date!(2051 - 02 - 23)), Some("天皇誕生日"));
    assert_eq!(holiday_name(date!(2060 - 01 - 12)), Some("成人の日"));
}

#[test]
fn the_olympic_moves_of_2020_and_2021() {
    assert_eq!(holiday_name(date!(2020 - 07 - 23)), Some("海の日"));
    assert_eq!(holiday_name(date!(2020 - 07 - 24)), Some("スポーツの日"));
    assert_eq!(holiday_name(date!(2020 - 08 - 10)), Some("山の日"));
    assert_eq!(holiday_name(date!(2020 - 07 - 20)), None);
    assert_eq!(holiday_name(date!(2020 - 08 - 11)), None);
    assert_eq!(holiday_name(date!(2020 - 10 - 12)), None);
    assert_eq!(holiday_name(date!(2021 - 07 - 22)), Some("海の日"));
    assert_eq!(holiday_name(date!(2021 - 07 - 23)), Some("スポーツの日"));
    assert_eq!(holiday_name(date!(2021 - 08 - 08)), Some("山の日"));
    assert_eq!(holiday_name(date!(2021 - 08 - 09)), Some("振替休日"));
    assert_eq!(holiday_name(date!(2021 - 07 - 19)), None);
    assert_eq!(holiday_name(date!(2021 - 08 - 11)), None);
    assert_eq!(holiday_name(date!(2021 - 10 - 11)), None);
    assert!(is_working_day(date!(2021 - 07 - 19), None));
}

#[test]
fn days_the_old_crate_got_wrong_and_the_2019_accession() {
    assert!(is_working_day(date!(1992 - 05 - 06), None));
    assert!(is_working_day(date!(1998 - 05 - 06), None));
    assert_eq!(holiday_name(date!(2019 - 05 - 01)), Some("天皇の即位の日"));
    assert!(holiday_name(date!(2019 - 10 - 22)).is_some());
    assert_eq!(holiday_name(date!(2019 - 04 - 30)), Some("国民の休日"));
    assert_eq!(holiday_name(date!(2019 - 02 - 23)), None);
    assert_eq!(holiday_name(date!(2027 - 02 - 23)), Some("天皇誕生日"));
    // 国民の休日 exists only since the amendment of December 1985.
    assert_eq!(holiday_name(date!(1985 - 05 - 04)), None);
    assert_eq!(holiday_name(date!(1988 - 05 - 04)), Some("国民の休日"));
}

#[test]
fn weekdays_and_labels() {
    assert_eq!(day_label(date!(2026 - 12 - 10)), "2026年12月10日（木）");
    assert_eq!(day_label(date!(2027 - 02 - 23)), "2027年2月23日（火・祝）");
    assert_eq!(weekday_label(date!(2026 - 12 - 06)), "日");
}

#[test]
fn the_year_end_closure_is_the_areas() {
    let standard = YearEndClosure::default();
    assert_eq!(standard.label(), "12月29日〜1月3日");
    assert!(!is_working_day(date!(2026 - 12 - 29), Some(&standard)));
    assert!(!is_working_day(
        date!(2027 - 01 - 04) - Duration::days(1),
        Some(&standard)
    ));
    assert!(is_working_day(date!(2027 - 01 - 04), Some(&standard)));
    // Without a closure the 29th is an ordinary Tuesday.
    assert!(is_working_day(date!(2026 - 12 - 29), None));
    let short = YearEndClosure::parse("12/30", "１月２日").expect("closure");
    assert!(short.contains(date!(2026 - 12 - 31)));
    assert!(!short.contains(date!(2026 - 12 - 29)));
    assert_eq!(
        closed_reason(date!(2026 - 12 - 30), Some(&short)).as_deref(),
        Some("年末年始の閉庁日")
    );
    assert_eq!(YearEndClosure::parse("13-01", "01-03"), None);
    assert_eq!(YearEndClosure::code((Month::December, 29)), "12-29");
}

#[test]
fn a_date_on_a_closed_day_moves_as_the_rule_says() {
    let closure = YearEndClosure::default();
    // Sunday 2027-01-31 → Friday the 29th before, Monday February 1 after.
    assert_eq!(
        working_day(date!(2027 - 01 - 31), Some(&closure), IfClosed::Before),
        date!(2027 - 01 - 29)
    );
    assert_eq!(
        working_day(date!(2027 - 01 - 31), Some(&closure), IfClosed::After),
        date!(2027 - 02 - 01)
    );
    // New Year's Day → December 28 before, January 4 after.
    assert_eq!(
        working_day(date!(2027 - 01 - 01), Some(&closure), IfClosed::Before),
        date!(2026 - 12 - 28)
    );
    assert_eq!(
        working_day(date!(2027 - 01 - 01), Some(&closure), IfClosed::After),
        date!(2027 - 01 - 04)
    );
}

#[test]
fn working_days_skip_weekends_holidays_and_the_year_end() {
    let closure = Some(YearEndClosure::default());
    let after = |d| working_day(d, closure.as_ref(), IfClosed::After);
    assert_eq!(holiday_name(date!(2026 - 11 - 23)), Some("勤労感謝の日"));
    assert_eq!(after(date!(2026 - 11 - 21)), date!(2026 - 11 - 24));
    // Golden Week 2027: 5/3 憲法記念日, 5/4 みどりの日, 5/5 こどもの日 (Mon–Wed).
    assert_eq!(after(date!(2027 - 05 - 01)), date!(2027 - 05 - 06));
    assert_eq!(after(date!(2026 - 12 - 29)), date!(2027 - 01 - 04));
    assert!(is_working_day(date!(2026 - 11 - 25), closure.as_ref()));
}
