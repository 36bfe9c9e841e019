//! The Japanese school year: which cohort (学年) a child belongs to, the class or grade on any
//! date, when each move between stages falls, the health checkups of early childhood, and the
//! working days that due dates must land on.
//!
//! The rule (学校教育法 17条, 年齢計算ニ関スル法律): a child attains an age on the day before the
//! birthday, so one born on April 1 is already six on March 31 and enters school with those born
//! the April before. A child born between April 2 of year Y and April 1 of Y+1 enters elementary
//! school on April 1 of Y+7.

use time::{Date, Duration, Month};

use crate::japanese_date::{era_year, format_date};

/// The fiscal (school) year a date falls in: 2026年度 runs from 2026-04-01 to 2027-03-31.
pub fn fiscal_year(d: Date) -> i32 {
    if d.month() >= Month::April {
        d.year()
    } else {
        d.year() - 1
    }
}

/// April 1 of the fiscal year: the day every school stage starts.
pub fn fiscal_year_start(fy: i32) -> Date {
    Date::from_calendar_date(fy, Month::April, 1).unwrap_or(Date::MIN)
}

/// March 31 that closes the fiscal year.
pub fn fiscal_year_end(fy: i32) -> Date {
    Date::from_calendar_date(fy + 1, Month::March, 31).unwrap_or(Date::MAX)
}

/// 令和8年度. The era of May 1 names the year, as offices wrote 令和元年度 for 2019年度 and
/// 昭和63年度 for 1988年度 although each began in the era before.
pub fn fiscal_year_wareki(fy: i32) -> String {
    let may = Date::from_calendar_date(fy, Month::May, 1).unwrap_or(Date::MIN);
    match era_year(may) {
        Some(year) => format!("{year}度"),
        None => format!("{fy}年度"),
    }
}

/// 2026年度（令和8年度）
pub fn fiscal_year_label(fy: i32) -> String {
    format!("{fy}年度（{}）", fiscal_year_wareki(fy))
}

/// The fiscal year in which a child born on `birth` enters elementary school, before any
/// deferment or repetition: births from January 1 to April 1 (早生まれ) join the cohort born
/// the calendar year before.
pub fn natural_school_entry_year(birth: Date) -> i32 {
    if (birth.month(), birth.day()) <= (Month::April, 1) {
        birth.year() + 6
    } else {
        birth.year() + 7
    }
}

/// Whether a birth date is 早生まれ (January 1 – April 1).
pub fn is_hayaumare(birth: Date) -> bool {
    (birth.month(), birth.day()) <= (Month::April, 1)
}

/// Where a child is in the school system in one fiscal year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Born after April 1 of this fiscal year: not yet in any class.
    BeforeClass,
    /// Nursery and kindergarten classes by age on April 1: 0 (0歳児) to 5 (年長).
    Preschool(u8),
    Elementary(u8),
    JuniorHigh(u8),
    /// 高等学校 or 特別支援学校高等部.
    HighSchool(u8),
    /// After high school: work, welfare services, further study.
    AfterSchool,
}

impl Stage {
    /// The stage of the n-th school-system year counted from the 0歳児 class.
    fn from_index(index: i32) -> Stage {
        match index {
            i32::MIN..=-1 => Stage::BeforeClass,
            0..=5 => Stage::Preschool(index as u8),
            6..=11 => Stage::Elementary((index - 5) as u8),
            12..=14 => Stage::JuniorHigh((index - 11) as u8),
            15..=17 => Stage::HighSchool((index - 14) as u8),
            _ => Stage::AfterSchool,
        }
    }

    pub fn label(self) -> String {
        match self {
            // Born after April 1 of this fiscal year: a baby joins the 0歳児 class in the year
            // of birth (and stays in it the next year, being 0 on April 1).
            Stage::BeforeClass => "0歳児クラス（今年度生まれ）".into(),
            Stage::Preschool(3) => "年少（3歳児クラス）".into(),
            Stage::Preschool(4) => "年中（4歳児クラス）".into(),
            Stage::Preschool(5) => "年長（5歳児クラス）".into(),
            Stage::Preschool(n) => format!("{n}歳児クラス"),
            Stage::Elementary(n) => format!("小学{n}年"),
            Stage::JuniorHigh(n) => format!("中学{n}年"),
            Stage::HighSchool(n) => format!("高校・高等部{n}年"),
            Stage::AfterSchool => "高校卒業後".into(),
        }
    }

    /// The life stage a figure or a list groups the child under.
    pub fn phase(self) -> Phase {
        match self {
            Stage::BeforeClass | Stage::Preschool(0..=2) => Phase::Infancy,
            Stage::Preschool(_) => Phase::Preschool,
            Stage::Elementary(_) => Phase::Elementary,
            Stage::JuniorHigh(_) => Phase::JuniorHigh,
            Stage::HighSchool(_) => Phase::HighSchool,
            Stage::AfterSchool => Phase::Adult,
        }
    }
}

/// Life stages (ライフステージ) as the evaluation and the lists group children.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Infancy,
    Preschool,
    Elementary,
    JuniorHigh,
    HighSchool,
    Adult,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            // In law 乳児 is under one year: the 0–2 classes are 乳幼児, the 未満児 of nurseries.
            Phase::Infancy => "乳幼児期（0〜2歳児クラス）",
            Phase::Preschool => "幼児期（3〜5歳児クラス）",
            Phase::Elementary => "小学校",
            Phase::JuniorHigh => "中学校",
            Phase::HighSchool => "高校・高等部",
            Phase::Adult => "卒業後",
        }
    }
}

/// The birth dates that bound the life stages in fiscal year `fy` (holds not counted): a child
/// born on or before the first is 卒業後, the second 高校・高等部, then 中学校, 小学校, 幼児期;
/// after the last, 乳幼児期. One place for every count by life stage that reads birth dates only.
pub fn phase_edges(fy: i32) -> [(Date, Phase); 5] {
    let edge = |years_back: i32| {
        Date::from_calendar_date(fy - years_back, Month::April, 1).unwrap_or(Date::MIN)
    };
    [
        (edge(18), Phase::Adult),
        (edge(15), Phase::HighSchool),
        (edge(12), Phase::JuniorHigh),
        (edge(6), Phase::Elementary),
        (edge(3), Phase::Preschool),
    ]
}

/// The life stage of a birth date in fiscal year `fy` by [`phase_edges`].
pub fn phase_at(fy: i32, birth: Date) -> Phase {
    phase_edges(fy)
        .iter()
        .find(|(edge, _)| birth <= *edge)
        .map_or(Phase::Infancy, |(_, p)| *p)
}

/// Why a child stayed a year where they were: the cohort shifts from then on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldKind {
    /// 就学猶予: school entry put off by the board of education.
    Deferment,
    /// 原級留置: the grade repeated.
    Repetition,
}

impl HoldKind {
    pub const ALL: [HoldKind; 2] = [HoldKind::Deferment, HoldKind::Repetition];

    pub fn code(self) -> &'static str {
        match self {
            HoldKind::Deferment => "deferment",
            HoldKind::Repetition => "repetition",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HoldKind::Deferment => "就学猶予",
            HoldKind::Repetition => "原級留置（留年）",
        }
    }

    pub fn from_code(code: &str) -> Option<HoldKind> {
        HoldKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// A child's cohort: the birth date's natural school year, shifted by every recorded year the
/// child stayed where they were (a hold in fiscal year F repeats F's stage in F+1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cohort {
    natural_entry: i32,
    holds: Vec<i32>,
}

impl Cohort {
    pub fn of(birth: Date) -> Cohort {
        Cohort {
            natural_entry: natural_school_entry_year(birth),
            holds: Vec::new(),
        }
    }

    /// The same cohort with the child held back in fiscal year `fy` (就学猶予 in the 年長 year,
    /// or a repeated grade). A year is held once, however often it is recorded.
    pub fn held_in(mut self, fy: i32) -> Cohort {
        if !self.holds.contains(&fy) {
            self.holds.push(fy);
        }
        self
    }

    /// The position in the school system in fiscal year `fy`: 0 is the 0歳児 class, 6 the first
    /// grade of elementary school.
    fn index(&self, fy: i32) -> i32 {
        let held = self.holds.iter().filter(|h| **h < fy).count() as i32;
        fy - (self.natural_entry - 6) - held
    }

    pub fn stage_in(&self, fy: i32) -> Stage {
        Stage::from_index(self.index(fy))
    }

    pub fn stage_on(&self, d: Date) -> Stage {
        self.stage_in(fiscal_year(d))
    }

    /// The first fiscal year the child is at `index` or beyond.
    fn first_year_at(&self, index: i32) -> i32 {
        // The index grows by at most one a year and holds are finite, so this ends within
        // their number of years past the natural one.
        let mut fy = self.natural_entry - 6 + index;
        while self.index(fy) < index {
            fy += 1;
        }
        fy
    }

    /// The fiscal year the child starts elementary school.
    pub fn school_entry_year(&self) -> i32 {
        self.first_year_at(6)
    }

    /// The entry dates of each school and the preschool class of each year before school.
    pub fn calendar(&self) -> SchoolCalendar {
        let start = |index| fiscal_year_start(self.first_year_at(index));
        let preschool = (self.first_year_at(0)..self.first_year_at(6))
            .map(|fy| (fy, self.stage_in(fy)))
            .collect();
        SchoolCalendar {
            elementary: start(6),
            junior_high: start(12),
            high_school: start(15),
            graduation: fiscal_year_end(self.first_year_at(18) - 1),
            preschool,
        }
    }

    /// The moves between school stages still ahead of `today`, soonest first.
    pub fn upcoming_moves(&self, today: Date) -> Vec<(TransitionKind, Date)> {
        let cal = self.calendar();
        [
            (TransitionKind::ToElementary, cal.elementary),
            (TransitionKind::ToJuniorHigh, cal.junior_high),
            (TransitionKind::ToHighSchool, cal.high_school),
            (
                TransitionKind::AfterGraduation,
                cal.graduation + Duration::days(1),
            ),
        ]
        .into_iter()
        .filter(|(_, on)| *on > today)
        .collect()
    }
}

/// One child's school calendar: what the 就学早見表 shows for a birth date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchoolCalendar {
    pub elementary: Date,
    pub junior_high: Date,
    pub high_school: Date,
    /// The last day of high school (March 31 of the final year).
    pub graduation: Date,
    /// Each fiscal year before school with its class (0歳児 … 年長).
    pub preschool: Vec<(i32, Stage)>,
}

/// The kinds of transition (移行) a coordinator plans for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransitionKind {
    /// 家庭・児童発達支援 → 保育所・幼稚園・認定こども園 (入園)
    ToNursery,
    /// 保育所・幼稚園 → 小学校 (就学)
    ToElementary,
    ToJuniorHigh,
    /// 中学校 → 高校・特別支援学校高等部
    ToHighSchool,
    /// 卒業後: 就労・福祉サービス
    AfterGraduation,
    /// 転園・転校
    ChangeOfSchool,
    /// 市町村をまたぐ転居
    Move,
}

impl TransitionKind {
    pub const ALL: [TransitionKind; 7] = [
        TransitionKind::ToNursery,
        TransitionKind::ToElementary,
        TransitionKind::ToJuniorHigh,
        TransitionKind::ToHighSchool,
        TransitionKind::AfterGraduation,
        TransitionKind::ChangeOfSchool,
        TransitionKind::Move,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TransitionKind::ToNursery => "nursery",
            TransitionKind::ToElementary => "elementary",
            TransitionKind::ToJuniorHigh => "junior_high",
            TransitionKind::ToHighSchool => "high_school",
            TransitionKind::AfterGraduation => "after_graduation",
            TransitionKind::ChangeOfSchool => "change_of_school",
            TransitionKind::Move => "move",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TransitionKind::ToNursery => "入園（保育所・幼稚園・こども園）",
            TransitionKind::ToElementary => "就学（保育所・幼稚園→小学校）",
            TransitionKind::ToJuniorHigh => "小学校→中学校",
            TransitionKind::ToHighSchool => "中学校→高校・特別支援学校高等部",
            TransitionKind::AfterGraduation => "卒業後（就労・福祉サービス）",
            TransitionKind::ChangeOfSchool => "転園・転校",
            TransitionKind::Move => "市町村間の転居",
        }
    }

    pub fn from_code(code: &str) -> Option<TransitionKind> {
        TransitionKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The checkups of early childhood (母子保健法 12条; 5歳児健診 where the municipality runs it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkup {
    EighteenMonths,
    ThreeYears,
    FiveYears,
}

impl Checkup {
    pub const ALL: [Checkup; 3] = [
        Checkup::EighteenMonths,
        Checkup::ThreeYears,
        Checkup::FiveYears,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Checkup::EighteenMonths => "1歳6か月児健診",
            Checkup::ThreeYears => "3歳児健診",
            Checkup::FiveYears => "5歳児健診（実施市町村のみ）",
        }
    }

    /// The age in months from which the checkup is due.
    fn months(self) -> u32 {
        match self {
            Checkup::EighteenMonths => 18,
            Checkup::ThreeYears => 36,
            Checkup::FiveYears => 60,
        }
    }

    /// The first day the child is old enough for it.
    pub fn due_from(self, birth: Date) -> Date {
        add_months(birth, self.months() as i32)
    }
}

/// `d` moved by whole months, the day kept or pulled back to the month's last day (a birth on
/// August 31 is 1歳6か月 on February 28 or 29).
pub fn add_months(d: Date, months: i32) -> Date {
    let zero_based = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + months;
    let year = zero_based.div_euclid(12);
    let month = Month::try_from((zero_based.rem_euclid(12) + 1) as u8).unwrap_or(Month::January);
    let day = d.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).unwrap_or(d)
}

/// The date `months` months from the first of `anchor`'s month, on `day` (or that month's last
/// day): how a template places 「1月31日まで」 on a move of April 1.
pub fn month_day_from(anchor: Date, months: i32, day: u8) -> Date {
    let first = anchor.replace_day(1).unwrap_or(anchor);
    let moved = add_months(first, months);
    let last = time::util::days_in_month(moved.month(), moved.year());
    moved.replace_day(day.clamp(1, last)).unwrap_or(moved)
}

/// 2027年4月1日（令和9年）, as the 就学早見表 prints each entry date.
pub fn entry_label(d: Date) -> String {
    crate::japanese_date::format_date_with_era(d)
}

/// 2027年3月, for a month heading.
pub fn month_label(d: Date) -> String {
    let full = format_date(d);
    match full.find('月') {
        Some(i) => full[..i + '月'.len_utf8()].to_string(),
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn the_phase_of_a_birth_date_is_its_cohorts_phase() {
        let mut birth = date!(2000 - 01 - 01);
        while birth < date!(2027 - 01 - 01) {
            for fy in [2024, 2026] {
                assert_eq!(
                    phase_at(fy, birth),
                    Cohort::of(birth).stage_in(fy).phase(),
                    "{birth} in {fy}"
                );
            }
            birth += Duration::days(13);
        }
        assert_eq!(phase_at(2026, date!(2020 - 04 - 01)), Phase::Elementary);
        assert_eq!(phase_at(2026, date!(2020 - 04 - 02)), Phase::Preschool);
    }

    #[test]
    fn april_first_births_join_the_earlier_cohort() {
        let cases = [
            // (birth, fiscal year of elementary entry), hand-checked against 文部科学省の就学予定者表
            (date!(2019 - 04 - 01), 2025),
            (date!(2019 - 04 - 02), 2026),
            (date!(2020 - 01 - 01), 2026), // 早生まれ
            (date!(2020 - 02 - 29), 2026), // leap day, 早生まれ
            (date!(2020 - 03 - 31), 2026),
            (date!(2020 - 04 - 01), 2026),
            (date!(2020 - 04 - 02), 2027),
            (date!(2019 - 12 - 31), 2026),
            (date!(2024 - 02 - 29), 2030),
        ];
        for (birth, entry) in cases {
            assert_eq!(natural_school_entry_year(birth), entry, "{birth}");
            assert_eq!(Cohort::of(birth).school_entry_year(), entry, "{birth}");
        }
        assert!(is_hayaumare(date!(2020 - 04 - 01)));
        assert!(!is_hayaumare(date!(2020 - 04 - 02)));
    }

    #[test]
    fn the_calendar_of_a_child_born_in_june_2020() {
        let cal = Cohort::of(date!(2020 - 06 - 15)).calendar();
        assert_eq!(cal.elementary, date!(2027 - 04 - 01));
        assert_eq!(cal.junior_high, date!(2033 - 04 - 01));
        assert_eq!(cal.high_school, date!(2036 - 04 - 01));
        assert_eq!(cal.graduation, date!(2039 - 03 - 31));
        let classes: Vec<(i32, String)> = cal
            .preschool
            .iter()
            .map(|(fy, s)| (*fy, s.label()))
            .collect();
        assert_eq!(
            classes,
            vec![
                (2021, "0歳児クラス".to_string()),
                (2022, "1歳児クラス".to_string()),
                (2023, "2歳児クラス".to_string()),
                (2024, "年少（3歳児クラス）".to_string()),
                (2025, "年中（4歳児クラス）".to_string()),
                (2026, "年長（5歳児クラス）".to_string()),
            ]
        );
    }

    #[test]
    fn stages_on_the_days_around_a_move() {
        let c = Cohort::of(date!(2020 - 06 - 15));
        assert_eq!(c.stage_on(date!(2020 - 07 - 01)), Stage::BeforeClass);
        assert_eq!(c.stage_on(date!(2027 - 03 - 31)), Stage::Preschool(5));
        assert_eq!(c.stage_on(date!(2027 - 04 - 01)), Stage::Elementary(1));
        assert_eq!(c.stage_on(date!(2033 - 03 - 31)), Stage::Elementary(6));
        assert_eq!(c.stage_on(date!(2033 - 04 - 01)), Stage::JuniorHigh(1));
        assert_eq!(c.stage_on(date!(2038 - 06 - 01)), Stage::HighSchool(3));
        assert_eq!(c.stage_on(date!(2039 - 04 - 01)), Stage::AfterSchool);
        assert_eq!(Stage::HighSchool(3).phase(), Phase::HighSchool);
        assert_eq!(Stage::Preschool(2).phase(), Phase::Infancy);
    }

    #[test]
    fn a_deferment_and_a_repeat_shift_what_follows() {
        // 就学猶予 in the 年長 year: school starts a year later, and so does everything after.
        let deferred = Cohort::of(date!(2020 - 06 - 15)).held_in(2026);
        assert_eq!(deferred.stage_in(2027), Stage::Preschool(5));
        assert_eq!(deferred.calendar().elementary, date!(2028 - 04 - 01));
        assert_eq!(deferred.calendar().graduation, date!(2040 - 03 - 31));
        // A repeat in 中学2年 leaves the earlier entry dates alone.
        let repeated = Cohort::of(date!(2020 - 06 - 15)).held_in(2034);
        let cal = repeated.calendar();
        assert_eq!(cal.elementary, date!(2027 - 04 - 01));
        assert_eq!(cal.junior_high, date!(2033 - 04 - 01));
        assert_eq!(repeated.stage_in(2035), Stage::JuniorHigh(2));
        assert_eq!(cal.high_school, date!(2037 - 04 - 01));
    }

    #[test]
    fn upcoming_moves_leave_out_the_past() {
        let c = Cohort::of(date!(2020 - 06 - 15));
        let moves = c.upcoming_moves(date!(2026 - 11 - 25));
        assert_eq!(
            moves[0],
            (TransitionKind::ToElementary, date!(2027 - 04 - 01))
        );
        assert_eq!(moves.len(), 4);
        let later = c.upcoming_moves(date!(2027 - 04 - 01));
        assert_eq!(later[0].0, TransitionKind::ToJuniorHigh);
        assert_eq!(later.last().map(|m| m.1), Some(date!(2039 - 04 - 01)));
    }

    #[test]
    fn fiscal_years_carry_the_era_of_their_may() {
        assert_eq!(fiscal_year(date!(2026 - 03 - 31)), 2025);
        assert_eq!(fiscal_year(date!(2026 - 04 - 01)), 2026);
        assert_eq!(fiscal_year_label(2026), "2026年度（令和8年度）");
        assert_eq!(fiscal_year_wareki(2019), "令和元年度");
        assert_eq!(fiscal_year_wareki(2018), "平成30年度");
        assert_eq!(fiscal_year_wareki(1989), "平成元年度");
        assert_eq!(fiscal_year_wareki(1988), "昭和63年度");
    }

    #[test]
    fn checkups_fall_by_months_of_age() {
        let birth = date!(2024 - 08 - 31);
        assert_eq!(
            Checkup::EighteenMonths.due_from(birth),
            date!(2026 - 02 - 28)
        );
        assert_eq!(Checkup::ThreeYears.due_from(birth), date!(2027 - 08 - 31));
        assert_eq!(
            Checkup::FiveYears.due_from(date!(2020 - 02 - 29)),
            date!(2025 - 02 - 28)
        );
    }

    #[test]
    fn template_dates_land_on_the_month_and_day() {
        let entry = date!(2027 - 04 - 01);
        assert_eq!(month_day_from(entry, -3, 31), date!(2027 - 01 - 31));
        assert_eq!(month_day_from(entry, -8, 31), date!(2026 - 08 - 31));
        assert_eq!(month_day_from(entry, -2, 31), date!(2027 - 02 - 28));
        assert_eq!(month_day_from(entry, 1, 31), date!(2027 - 05 - 31));
    }

    proptest! {
        #[test]
        fn every_birth_date_belongs_to_exactly_one_cohort(days in 0i64..40_000) {
            let birth = date!(1950 - 01 - 01) + Duration::days(days);
            let entry = natural_school_entry_year(birth);
            // The cohort entering in April of E is born from April 2 of E-7 to April 1 of E-6.
            let first = Date::from_calendar_date(entry - 7, Month::April, 2).unwrap();
            let last = Date::from_calendar_date(entry - 6, Month::April, 1).unwrap();
            prop_assert!(first <= birth && birth <= last);
            prop_assert!(natural_school_entry_year(birth - Duration::days(1)) <= entry);
        }

        #[test]
        fn the_cohort_is_monotone_in_birth_date(a in 0i64..40_000, b in 0i64..40_000) {
            let (a, b) = (a.min(b), a.max(b));
            let start = date!(1950 - 01 - 01);
            let (ca, cb) = (Cohort::of(start + Duration::days(a)), Cohort::of(start + Duration::days(b)));
            prop_assert!(ca.school_entry_year() <= cb.school_entry_year());
            prop_assert!(ca.calendar().graduation <= cb.calendar().graduation);
        }

        #[test]
        fn the_stage_on_any_date_agrees_with_the_calendar(
            days in 0i64..30_000,
            offset in 0i64..9_000,
            holds in proptest::collection::vec(0i32..20, 0..3),
        ) {
            let birth = date!(1960 - 01 - 01) + Duration::days(days);
            let mut cohort = Cohort::of(birth);
            for h in &holds {
                cohort = cohort.held_in(natural_school_entry_year(birth) - 6 + h);
            }
            let cal = cohort.calendar();
            let on = birth + Duration::days(offset);
            let stage = cohort.stage_on(on);
            let expected_school = if on >= cal.graduation + Duration::days(1) {
                Some(Stage::AfterSchool)
            } else if on >= cal.high_school {
                Some(Stage::HighSchool(1))
            } else if on >= cal.junior_high {
                Some(Stage::JuniorHigh(1))
            } else if on >= cal.elementary {
                Some(Stage::Elementary(1))
            } else {
                None
            };
            match (expected_school, stage) {
                (Some(Stage::AfterSchool), s) => prop_assert_eq!(s, Stage::AfterSchool),
                (Some(Stage::HighSchool(_)), s) => prop_assert!(matches!(s, Stage::HighSchool(_))),
                (Some(Stage::JuniorHigh(_)), s) => prop_assert!(matches!(s, Stage::JuniorHigh(_))),
                (Some(Stage::Elementary(_)), s) => prop_assert!(matches!(s, Stage::Elementary(_))),
                (_, s) => prop_assert!(matches!(s, Stage::BeforeClass | Stage::Preschool(_))),
            }
            // Stages never go backwards from one year to the next.
            let fy = fiscal_year(on);
            prop_assert!(cohort.stage_in(fy) <= cohort.stage_in(fy + 1));
        }
    }
}
