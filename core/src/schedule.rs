//! EventBridge Scheduler expressions (`rate(...)`, `cron(...)`, UTC), read to answer one
//! question: by now, when should a scheduled run last have started? The journal watch asks it
//! each minute for the sweep and the export check ([`liveness`]), so that a schedule that
//! stopped invoking a function raises an alarm within minutes of the first missed run, for any
//! schedule, however long: no CloudWatch alarm period has to cover the schedule's interval.
//!
//! The syntax is EventBridge Scheduler's (Scheduler User Guide, "Schedule types", cron and rate
//! expressions): `rate(value unit)` with unit minute(s), hour(s) or day(s); `cron(minutes hours
//! day-of-month month day-of-week year)` with `*`, `,`, `-`, `/`, `?` (one of day-of-month and
//! day-of-week must be `?`), names (JAN-DEC, SUN-SAT, day-of-week 1 = Sunday), `L` (last day
//! of the month; in day-of-week, `L` alone is Saturday and `nL` the month's last weekday n),
//! `W` (`nW` the weekday nearest day n, `LW` the last weekday) and `#` (`n#k`, the k-th weekday
//! n of the month).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use std::fmt;
use std::str::FromStr;

pub mod liveness;
#[cfg(test)]
mod tests;

/// A schedule expression that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule expression {expression:?}: {why}; use rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year) as EventBridge Scheduler takes them")]
pub struct ScheduleError {
    pub expression: String,
    pub why: String,
}

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every `every` from the schedule's creation: the phase is not known here.
    Rate {
        every: Duration,
    },
    Cron(Box<Cron>),
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Rate { every } => write!(f, "every {} minutes", every.num_minutes()),
            Schedule::Cron(c) => write!(f, "cron({})", c.source),
        }
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(expression: &str) -> Result<Self, ScheduleError> {
        let err = |why: &str| ScheduleError {
            expression: expression.to_string(),
            why: why.to_string(),
        };
        let e = expression.trim();
        if let Some(body) = e.strip_prefix("rate(").and_then(|b| b.strip_suffix(')')) {
            let mut words = body.split_whitespace();
            let (Some(value), Some(unit), None) = (words.next(), words.next(), words.next()) else {
                return Err(err("a rate is a value and a unit, as in rate(6 hours)"));
            };
            let n: i64 = value
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| err("the rate's value is not a positive whole number"))?;
            let every = match (unit, n) {
                ("minute", 1) | ("minutes", 2..) => Duration::minutes(n),
                ("hour", 1) | ("hours", 2..) => Duration::hours(n),
                ("day", 1) | ("days", 2..) => Duration::days(n),
                _ => {
                    return Err(err(
                        "the rate's unit is minute, hour or day for 1, and minutes, hours or days for more",
                    ))
                }
            };
            return Ok(Schedule::Rate { every });
        }
        if let Some(body) = e.strip_prefix("cron(").and_then(|b| b.strip_suffix(')')) {
            return Cron::parse(body)
                .map(|c| Schedule::Cron(Box::new(c)))
                .map_err(|why| err(&why));
        }
        Err(err("it is neither rate(...) nor cron(...)"))
    }
}

impl Schedule {
    /// The latest start, at or before `t`, that a run of this schedule must not be older than:
    /// for a cron, the latest firing at or before `t` (None when it never fired in the year
    /// before `t`); for a rate, `t` minus one interval (the phase is unknown, so the newest run
    /// must be younger than one interval).
    pub fn due_by(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Rate { every } => Some(t - *every),
            Schedule::Cron(c) => c.latest_at_or_before(t),
        }
    }
}

/// The six fields of a cron expression, each a set of allowed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    source: String,
    minutes: Vec<bool>,              // 0..=59
    hours: Vec<bool>,                // 0..=23
    months: Vec<bool>,               // 1..=12
    years: Option<(i32, Vec<bool>)>, // None: every year; else from 1970, index = year - 1970
    days: Days,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Days {
    /// Day-of-month as given, day-of-week `?`.
    OfMonth(Vec<DayOfMonth>),
    /// Day-of-week as given (1 = Sunday), day-of-month `?`.
    OfWeek(Vec<DayOfWeek>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfMonth {
    Set(Vec<bool>), // 1..=31
    Last,
    LastWeekday,
    NearestWeekday(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DayOfWeek {
    Set(Vec<bool>), // 1..=7, Sunday = 1
    LastOf(u32),    // nL: the month's last weekday n
    Nth(u32, u32),  // n#k
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const FIRST_YEAR: i32 = 1970;
const LAST_YEAR: i32 = 2199;

/// A set of values `lo..=hi` from a field like `1,5-10,*/15`; `names` are the values from `lo`.
fn set(field: &str, lo: u32, hi: u32, names: &[&str], what: &str) -> Result<Vec<bool>, String> {
    let mut allowed = vec![false; (hi + 1) as usize];
    let value = |s: &str| -> Result<u32, String> {
        let upper = s.to_ascii_uppercase();
        if let Some(i) = names.iter().position(|n| *n == upper) {
            return Ok(lo + i as u32);
        }
        s.parse::<u32>()
            .ok()
            .filter(|v| (lo..=hi).contains(v))
            .ok_or_else(|| format!("{what} {s:?} is not a value from {lo} to {hi}"))
    };
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => {
                let step: u32 =
                    s.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                        format!("{what} step {s:?} is not a positive whole number")
                    })?;
                (r, step)
            }
            None => (item, 1),
        };
        let (from, to) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let v = value(range)?;
            // `5/15` runs from 5 to the end, a bare value is itself.
            (
                v,
                if step > 1 || item.contains('/') {
                    hi
                } else {
                    v
                },
            )
        };
        if from > to {
            return Err(format!("{what} range {range:?} runs backwards"));
        }
        for v in (from..=to).step_by(step as usize) {
            allowed[v as usize] = true;
        }
    }
    Ok(allowed)
}

impl Cron {
    fn parse(body: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = body.split_whitespace().collect();
        let [minutes, hours, dom, month, dow, year] = fields[..] else {
            return Err(format!(
                "a cron expression has six fields (minutes hours day-of-month month day-of-week year), this one has {}",
                fields.len()
            ));
        };
        let days = match (dom, dow) {
            ("?", "?") => {
                return Err("one of day-of-month and day-of-week must be given, the other ?".into())
            }
            (d, "?") => Days::OfMonth(
                d.split(',')
                    .map(parse_day_of_month)
                    .collect::<Result<_, _>>()?,
            ),
            ("?", w) => Days::OfWeek(
                w.split(',')
                    .map(parse_day_of_week)
                    .collect::<Result<_, _>>()?,
            ),
            _ => {
                return Err(
                    "day-of-month and day-of-week cannot both be given: one of them must be ?"
                        .into(),
                )
            }
        };
        let years = if year == "*" {
            None
        } else {
            let s = set(year, FIRST_YEAR as u32, LAST_YEAR as u32, &[], "year")?;
            Some((FIRST_YEAR, s[FIRST_YEAR as usize..].to_vec()))
        };
        Ok(Cron {
            source: body.trim().to_string(),
            minutes: set(minutes, 0, 59, &[], "minute")?,
            hours: set(hours, 0, 23, &[], "hour")?,
            months: set(month, 1, 12, &MONTHS, "month")?,
            years,
            days,
        })
    }

    fn year_allowed(&self, y: i32) -> bool {
        match &self.years {
            None => true,
            Some((first, set)) => usize::try_from(y - first)
                .ok()
                .and_then(|i| set.get(i))
                .copied()
                .unwrap_or(false),
        }
    }

    fn day_allowed(&self, d: NaiveDate) -> bool {
        if !self.year_allowed(d.year()) || !self.months[d.month() as usize] {
            return false;
        }
        let last = last_day_of_month(d);
        match &self.days {
            Days::OfMonth(items) => items.iter().any(|item| match item {
                DayOfMonth::Set(s) => s[d.day() as usize],
                DayOfMonth::Last => d.day() == last,
                DayOfMonth::LastWeekday => d.day() == nearest_weekday(d, last),
                DayOfMonth::NearestWeekday(n) => d.day() == nearest_weekday(d, (*n).min(last)),
            }),
            Days::OfWeek(items) => {
                let wd = d.weekday().number_from_sunday();
                items.iter().any(|item| match item {
                    DayOfWeek::Set(s) => s[wd as usize],
                    DayOfWeek::LastOf(n) => wd == *n && d.day() + 7 > last,
                    DayOfWeek::Nth(n, k) => wd == *n && (d.day() - 1) / 7 + 1 == *k,
                })
            }
        }
    }

    /// The latest firing at or before `t`, looking back a year and a day at most.
    pub fn latest_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut day = t.date_naive();
        for back in 0..=366 {
            if self.day_allowed(day) {
                let (max_h, max_m) = if back == 0 {
                    (t.hour(), Some(t.minute()))
                } else {
                    (23, None)
                };
                for h in (0..=max_h).rev().filter(|h| self.hours[*h as usize]) {
                    let top = if h == max_h { max_m.unwrap_or(59) } else { 59 };
                    if let Some(m) = (0..=top).rev().find(|m| self.minutes[*m as usize]) {
                        let at = day.and_hms_opt(h, m, 0)?;
                        return Some(Utc.from_utc_datetime(&at));
                    }
                }
            }
            day = day.pred_opt()?;
        }
        None
    }
}

fn parse_day_of_month(item: &str) -> Result<DayOfMonth, String> {
    let upper = item.to_ascii_uppercase();
    match upper.as_str() {
        "L" => Ok(DayOfMonth::Last),
        "LW" => Ok(DayOfMonth::LastWeekday),
        _ => {
            if let Some(n) = upper.strip_suffix('W') {
                let n: u32 = n
                    .parse()
                    .ok()
                    .filter(|n| (1..=31).contains(n))
                    .ok_or_else(|| {
                        format!("day-of-month {item:?}: W follows a day from 1 to 31")
                    })?;
                Ok(DayOfMonth::NearestWeekday(n))
            } else {
                set(item, 1, 31, &[], "day-of-month").map(DayOfMonth::Set)
            }
        }
    }
}

fn parse_day_of_week(item: &str) -> Result<DayOfWeek, String> {
    let upper = item.to_ascii_uppercase();
    let weekday = |s: &str| -> Result<u32, String> {
        set(s, 1, 7, &WEEKDAYS, "day-of-week")?
            .iter()
            .position(|b| *b)
            .map(|i| i as u32)
            .ok_or_else(|| format!("day-of-week {item:?} names no day"))
    };
    if upper == "L" {
        return Ok(DayOfWeek::Set((0..=7).map(|v| v == 7).collect()));
    }
    if let Some(n) = upper.strip_suffix('L') {
        return Ok(DayOfWeek::LastOf(weekday(n)?));
    }
    if let Some((n, k)) = upper.split_once('#') {
        let k: u32 = k
            .parse()
            .ok()
            .filter(|k| (1..=5).contains(k))
            .ok_or_else(|| format!("day-of-week {item:?}: # is followed by 1 to 5"))?;
        return Ok(DayOfWeek::Nth(weekday(n)?, k));
    }
    set(item, 1, 7, &WEEKDAYS, "day-of-week").map(DayOfWeek::Set)
}

fn last_day_of_month(d: NaiveDate) -> u32 {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|first| first.pred_opt())
        .map(|l| l.day())
        .unwrap_or(28)
}

/// The weekday nearest day `n` of `d`'s month, never leaving the month (Quartz's `W`).
fn nearest_weekday(d: NaiveDate, n: u32) -> u32 {
    let Some(target) = d.with_day(n) else {
        return 0;
    };
    let last = last_day_of_month(d);
    match target.weekday().number_from_monday() {
        6 if n == 1 => 3,        // Saturday the 1st: Monday the 3rd
        6 => n - 1,              // Saturday: Friday
        7 if n == last => n - 2, // Sunday the last: Friday
        7 => n + 1,              // Sunday: Monday
        _ => n,
    }
}
