//! Server-rendered SVG bar chart of data used per day, so the usage page
//! needs no JavaScript and reads the same in every browser.

use std::fmt::Write;

/// One bar: a label under it and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round step for the value axis so gridlines land on readable numbers.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    // Four gridlines: steps whose quarters are round too.
    for step in [1.0, 2.0, 4.0, 8.0, 10.0] {
        if max <= step * magnitude {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// Renders `bars` (oldest first) as an accessible SVG: a title and a
/// description for screen readers, gridlines with values in `unit`, and
/// at most 31 bars (the most recent ones).
pub fn bar_chart(title: &str, description: &str, unit: &str, bars: &[Bar]) -> String {
    let bars = &bars[bars.len().saturating_sub(31)..];
    let (w, h, left, bottom, top) = (640.0, 300.0, 96.0, 48.0, 16.0);
    let plot_w = w - left - 12.0;
    let plot_h = h - bottom - top;
    let max = nice_max(bars.iter().map(|b| b.value).fold(0.0, f64::max));
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
        escape(title),
        escape(description)
    );
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = top + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d5dc" stroke-width="1"/><text x="{}" y="{:.1}" font-size="20" text-anchor="end" fill="#555">{} {}</text>"##,
            w - 12.0,
            left - 6.0,
            y + 7.0,
            if v >= 10.0 || v == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            },
            escape(unit)
        );
    }
    if !bars.is_empty() {
        let slot = plot_w / bars.len() as f64;
        let bar_w = (slot * 0.7).clamp(2.0, 48.0);
        for (i, b) in bars.iter().enumerate() {
            let bh = if max > 0.0 { plot_h * b.value / max } else { 0.0 };
            let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
            let y = top + plot_h - bh;
            let _ = write!(
                svg,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{bh:.1}" fill="#0b5cad"><title>{}: {:.1} {}</title></rect>"##,
                escape(&b.label),
                b.value,
                escape(unit)
            );
            // Label every bar when few, else every fifth.
            if bars.len() <= 6 || i % 5 == 0 || i + 1 == bars.len() {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{}" font-size="20" text-anchor="middle" fill="#555">{}</text>"##,
                    x + bar_w / 2.0,
                    h - bottom + 28.0,
                    escape(&b.label)
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_bar_per_day_with_a_readable_axis() {
        let bars: Vec<Bar> = (1..=3)
            .map(|d| Bar {
                label: format!("11-0{d}"),
                value: f64::from(d) * 100.0,
            })
            .collect();
        let svg = bar_chart("Data per day", "3 days", "MB", &bars);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains(">300 MB<"), "top gridline at a round number: {svg}");
        assert!(svg.contains("<title id=\"chart-title\">Data per day</title>"));
    }

    #[test]
    fn escapes_text_and_keeps_the_last_31_days() {
        let bars: Vec<Bar> = (0..40)
            .map(|d| Bar {
                label: format!("<{d}>"),
                value: 1.0,
            })
            .collect();
        let svg = bar_chart("a<b", "d", "MB", &bars);
        assert_eq!(svg.matches("<rect").count(), 31);
        assert!(!svg.contains("<9>") && svg.contains("&lt;39&gt;"));
    }

    #[test]
    fn an_empty_series_still_draws_axes() {
        let svg = bar_chart("t", "d", "MB", &[]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 0);
    }
}
