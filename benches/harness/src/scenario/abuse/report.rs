//! One attack's figures, as a JSON line and as a row of the Markdown table
//! for BENCHMARKS.md, with the aims marked (reported, not asserted):
//! RSS never above 64 MB on the flood, back within 10 % of the start after
//! each attack, the process alive, the well-behaved client's p99 under 10 ms.

use serde_json::{json, Value};

use super::steady::WindowStats;
use super::Outcome;

/// The flood's memory aim, in KiB.
pub const FLOOD_PEAK_AIM_KIB: u64 = 64 * 1024;
/// The well-behaved client's p99 aim, in µs.
pub const P99_AIM_US: u64 = 10_000;

/// One attack's figures.
pub struct Row {
    /// `flood 300`, `handshakes`…
    pub attack: String,
    pub app: &'static str,
    pub outcome: Outcome,
    pub attack_s: f64,
    /// The server's RSS when its well-behaved client had settled in.
    pub rss_start_kib: Option<u64>,
    pub rss_before_kib: Option<u64>,
    /// Highest reading from the attack's start to the "after" reading.
    pub rss_peak_kib: Option<u64>,
    /// `after_s` seconds after the attack.
    pub rss_after_kib: Option<u64>,
    /// When back within 10 % of the start, or at the end of the wait.
    pub rss_settled_kib: Option<u64>,
    pub after_s: f64,
    /// Seconds from the attack's end until the RSS was within 10 % of the
    /// start (`None`: not within the wait).
    pub back_s: Option<f64>,
    pub recover_wait_s: f64,
    /// How the server ended, if it did.
    pub exit: Option<String>,
    pub panics_logged: usize,
    pub steady: WindowStats,
}

impl Row {
    pub fn json(&self) -> Value {
        let s = &self.steady;
        json!({
            "scenario": "abuse",
            "attack": self.attack,
            "app": self.app,
            "did": self.outcome.did,
            "answered": self.outcome.answered,
            "answers": self.outcome.answers,
            "attack_s": (self.attack_s * 100.0).round() / 100.0,
            "rss_start_kib": self.rss_start_kib,
            "rss_before_kib": self.rss_before_kib,
            "rss_peak_kib": self.rss_peak_kib,
            "rss_after_kib": self.rss_after_kib,
            "rss_settled_kib": self.rss_settled_kib,
            "after_s": self.after_s,
            "back_within_10pct_s": self.back_s.map(|s| (s * 10.0).round() / 10.0),
            "alive": self.exit.is_none(),
            "exit": self.exit,
            "panics_logged": self.panics_logged,
            "steady": {
                "acked": s.acked,
                "lost": s.lost,
                "p50_us": s.p50_us,
                "p99_us": s.p99_us,
                "max_us": s.max_us,
                "sessions_lost": s.drops,
                "first_loss": s.first_drop,
            },
            "aims": self.aims(),
        })
    }

    /// Each aim: met or not (`null` when it does not apply or is unknown).
    fn aims(&self) -> Value {
        let peak = if self.attack.starts_with("flood") {
            self.rss_peak_kib.map(|p| p <= FLOOD_PEAK_AIM_KIB)
        } else {
            None
        };
        json!({
            "flood_peak_le_64mb": peak,
            "back_within_10pct": self.back_s.is_some(),
            "alive": self.exit.is_none(),
            "p99_lt_10ms": self.steady.p99_us.map(|p| p < P99_AIM_US),
        })
    }

    fn markdown(&self) -> String {
        let mb = |k: Option<u64>| k.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0));
        let ms = |us: Option<u64>| us.map_or("–".into(), |u| format!("{:.2}", u as f64 / 1000.0));
        let back = match self.back_s {
            Some(s) => format!("yes, {s:.0} s after"),
            None => format!("no (waited {:.0} s)", self.after_s + self.recover_wait_s),
        };
        let alive = match &self.exit {
            None if self.panics_logged > 0 => format!("yes ({} panics logged)", self.panics_logged),
            None => "yes".into(),
            Some(how) => format!("**no**: {how}"),
        };
        let s = &self.steady;
        let mut steady = format!("{} / {}", ms(s.p50_us), ms(s.p99_us));
        if s.lost > 0 || s.drops > 0 {
            steady.push_str(&format!(" ({} lost, {} sessions lost)", s.lost, s.drops));
        }
        let cell = |t: &str| t.replace('|', "\\|");
        format!(
            "| {} | {} | {} | {} → {} → {} → {} | {} | {} | {} |",
            self.attack,
            cell(&self.outcome.did),
            cell(&self.outcome.answered),
            mb(self.rss_before_kib),
            mb(self.rss_peak_kib),
            mb(self.rss_after_kib),
            mb(self.rss_settled_kib),
            back,
            alive,
            steady,
        )
    }
}

/// The Markdown table of `rows`.
pub fn table(rows: &[Row], after_s: f64) -> String {
    let mut out = format!(
        "| attack | what the attacker did | what the server answered | RSS MB before → peak → \
         {after_s:.0} s after → settled | back within 10 % of start | alive | well-behaved p50 / p99 ms (attack + {after_s:.0} s) |\n\
         |---|---|---|---|---|---|---|\n"
    );
    for r in rows {
        out.push_str(&r.markdown());
        out.push('\n');
    }
    out
}
