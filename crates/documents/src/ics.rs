//! iCalendar (RFC 5545) for support meetings: one VEVENT in Japan time, with the Asia/Tokyo time
//! zone spelled out so every calendar reads it the same way. Lines end in CRLF and are folded at
//! 75 octets without splitting a character; text values are escaped.

use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A meeting as a calendar shows it. Keep the child's name out of `summary`: calendar files leave
/// Tsunagu (mail, phones).
pub struct Event<'a> {
    pub uid: &'a str,
    pub summary: &'a str,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub location: Option<&'a str>,
    pub url: Option<&'a str>,
    pub description: Option<&'a str>,
    pub cancelled: bool,
    /// The revision: raised on each change, so calendars take the newer entry.
    pub sequence: i64,
}

/// A meeting's UID, unique across installations (RFC 5545 3.8.4.7): the meeting's number and
/// the installation's random id.
pub fn meeting_uid(meeting: i64, installation: &str) -> String {
    format!("meeting-{meeting}.{installation}@tsunagu")
}

const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

fn local(t: OffsetDateTime) -> String {
    let t = t.to_offset(JST);
    let p = PrimitiveDateTime::new(t.date(), t.time());
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        p.year(),
        u8::from(p.month()),
        p.day(),
        p.hour(),
        p.minute(),
        p.second()
    )
}

fn utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// TEXT escaping: backslash, semicolon, comma, and newlines as `\n`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line at 75 octets (continuations start with a space), never inside a
/// UTF-8 character, and ends it with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

const HEADER: [&str; 4] = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Tsunagu//Support meetings//JA",
    "CALSCALE:GREGORIAN",
];

const TIMEZONE: [&str; 9] = [
    "BEGIN:VTIMEZONE",
    "TZID:Asia/Tokyo",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0900",
    "TZOFFSETTO:+0900",
    "TZNAME:JST",
    "END:STANDARD",
    "END:VTIMEZONE",
];

fn event_lines(event: &Event<'_>, now: OffsetDateTime) -> Vec<String> {
    let mut lines = vec![
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", escape(event.uid)),
        format!("DTSTAMP:{}", utc(now)),
        format!("SEQUENCE:{}", event.sequence.max(0)),
        format!("DTSTART;TZID=Asia/Tokyo:{}", local(event.starts_at)),
        format!("DTEND;TZID=Asia/Tokyo:{}", local(event.ends_at)),
        format!("SUMMARY:{}", escape(event.summary)),
    ];
    if let Some(l) = event.location {
        lines.push(format!("LOCATION:{}", escape(l)));
    }
    if let Some(u) = event.url {
        lines.push(format!("URL:{u}"));
    }
    if let Some(d) = event.description {
        lines.push(format!("DESCRIPTION:{}", escape(d)));
    }
    lines.push(format!(
        "STATUS:{}",
        if event.cancelled {
            "CANCELLED"
        } else {
            "CONFIRMED"
        }
    ));
    lines.push("END:VEVENT".to_owned());
    lines
}

/// A whole calendar file holding `event`: METHOD:CANCEL when it is cancelled, so a calendar
/// that imported it removes it.
pub fn calendar(event: &Event<'_>, now: OffsetDateTime) -> String {
    let method = if event.cancelled { "CANCEL" } else { "PUBLISH" };
    write(std::slice::from_ref(event), method, now)
}

/// A calendar file of several events (a user's feed, METHOD:PUBLISH, a cancelled meeting as
/// STATUS:CANCELLED); valid with none, too.
pub fn calendar_of(events: &[Event<'_>], now: OffsetDateTime) -> String {
    write(events, "PUBLISH", now)
}

fn write(events: &[Event<'_>], method: &str, now: OffsetDateTime) -> String {
    let mut out = String::new();
    for l in HEADER {
        fold(l, &mut out);
    }
    fold(&format!("METHOD:{method}"), &mut out);
    for l in TIMEZONE {
        fold(l, &mut out);
    }
    for e in events {
        for l in event_lines(e, now) {
            fold(&l, &mut out);
        }
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sample() -> String {
        let e = Event {
            uid: "meeting-12@tsunagu",
            summary: "支援会議（就学に向けた情報共有、今後の役割分担について話し合う長めの件名）",
            starts_at: datetime!(2027-02-10 10:00 +09:00),
            ends_at: datetime!(2027-02-10 11:30 +09:00),
            location: Some("香取市役所 3階 会議室; 東側"),
            url: Some("https://meet.example.jp/abc"),
            description: Some("議題：\n1. 園での様子\n2. 就学先"),
            cancelled: false,
            sequence: 2,
        };
        calendar(&e, datetime!(2026-11-25 03:00 UTC))
    }

    #[test]
    fn lines_are_crlf_folded_within_75_octets() {
        let ics = sample();
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(ics.contains("DTSTART;TZID=Asia/Tokyo:20270210T100000\r\n"));
        assert!(ics.contains("LOCATION:香取市役所 3階 会議室\\; 東側"));
    }

    #[test]
    fn a_calendar_parser_reads_it_back() {
        let ics = sample();
        let unfolded = icalendar::parser::unfold(&ics);
        let cal = icalendar::parser::read_calendar(&unfolded).expect("valid iCalendar");
        let event = cal
            .components
            .iter()
            .find(|c| c.name == "VEVENT")
            .expect("a VEVENT");
        let prop = |name: &str| {
            event
                .properties
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.val.to_string())
        };
        assert_eq!(
            prop("SUMMARY").as_deref(),
            Some("支援会議（就学に向けた情報共有、今後の役割分担について話し合う長めの件名）")
        );
        assert_eq!(prop("DTSTART").as_deref(), Some("20270210T100000"));
        assert_eq!(prop("SEQUENCE").as_deref(), Some("2"));
        assert!(cal.components.iter().any(|c| c.name == "VTIMEZONE"));
        assert!(ics.contains("METHOD:PUBLISH\r\n"));
    }

    #[test]
    fn a_cancelled_meeting_cancels_the_imported_entry() {
        let e = Event {
            uid: "meeting-12.abc@tsunagu",
            summary: "支援会議",
            starts_at: datetime!(2027-02-10 10:00 +09:00),
            ends_at: datetime!(2027-02-10 11:30 +09:00),
            location: None,
            url: None,
            description: None,
            cancelled: true,
            sequence: 3,
        };
        let ics = calendar(&e, datetime!(2026-11-25 03:00 UTC));
        assert!(ics.contains("METHOD:CANCEL\r\n"));
        assert!(ics.contains("STATUS:CANCELLED\r\n"));
        assert!(ics.contains("SEQUENCE:3\r\n"));
        // In a feed the same meeting stays PUBLISHed, marked cancelled.
        let feed = calendar_of(std::slice::from_ref(&e), datetime!(2026-11-25 03:00 UTC));
        assert!(feed.contains("METHOD:PUBLISH\r\n") && feed.contains("STATUS:CANCELLED\r\n"));
    }

    #[test]
    fn uids_name_the_installation() {
        assert_ne!(meeting_uid(7, "aa11"), meeting_uid(7, "bb22"));
        assert_eq!(meeting_uid(7, "aa11"), "meeting-7.aa11@tsunagu");
    }
}

#[cfg(test)]
mod feed_tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_feed_holds_every_event_and_parses() {
        let make = |uid: &'static str, h: u8| Event {
            uid,
            summary: "支援会議",
            starts_at: datetime!(2027-01-10 00:00 UTC) + time::Duration::hours(i64::from(h)),
            ends_at: datetime!(2027-01-10 01:00 UTC) + time::Duration::hours(i64::from(h)),
            location: None,
            url: None,
            description: None,
            cancelled: false,
            sequence: 0,
        };
        let feed = calendar_of(
            &[make("a@t", 0), make("b@t", 2)],
            datetime!(2026-11-25 00:00 UTC),
        );
        let unfolded = icalendar::parser::unfold(&feed);
        let cal = icalendar::parser::read_calendar(&unfolded).expect("valid");
        assert_eq!(
            cal.components.iter().filter(|c| c.name == "VEVENT").count(),
            2
        );
        let empty = calendar_of(&[], datetime!(2026-11-25 00:00 UTC));
        let unfolded = icalendar::parser::unfold(&empty);
        let cal = icalendar::parser::read_calendar(&unfolded).expect("valid when empty");
        assert_eq!(
            cal.components.iter().filter(|c| c.name == "VEVENT").count(),
            0
        );
    }
}
