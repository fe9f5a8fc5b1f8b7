//! Server-rendered stacked bar chart (several series per day, with a
//! legend), for the operators' closure dashboard.

use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One series: its name in the legend and its colour.
pub struct Series<'a> {
    pub name: &'a str,
    pub color: &'a str,
}

/// Draws `days` (label, one value per series; oldest first, at most the
/// last 31) as stacked bars. `id` keeps the accessible title unique on a
/// page with several charts.
pub fn stacked_chart(
    id: &str,
    title: &str,
    description: &str,
    series: &[Series<'_>],
    days: &[(String, Vec<f64>)],
) -> String {
    let days = &days[days.len().saturating_sub(31)..];
    let (w, h, left, bottom, top, legend) = (640.0, 320.0, 56.0, 44.0, 16.0, 36.0);
    let plot_w = w - left - 12.0;
    let plot_h = h - bottom - top - legend;
    let max = days
        .iter()
        .map(|(_, v)| v.iter().sum::<f64>())
        .fold(0.0, f64::max)
        .max(1.0)
        .ceil();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(description)
    );
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = top + legend + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d5dc"/><text x="{}" y="{:.1}" font-size="18" text-anchor="end" fill="#555">{v:.0}</text>"##,
            w - 12.0,
            left - 6.0,
            y + 6.0
        );
    }
    let mut x = left;
    for s in series {
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{top}" width="18" height="18" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="18" fill="#333">{}</text>"##,
            s.color,
            x + 24.0,
            top + 15.0,
            escape(s.name)
        );
        x += 40.0 + 10.0 * s.name.chars().count() as f64;
    }
    if !days.is_empty() {
        let slot = plot_w / days.len() as f64;
        let bar_w = (slot * 0.7).clamp(2.0, 48.0);
        for (i, (label, values)) in days.iter().enumerate() {
            let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
            let mut y = top + legend + plot_h;
            for (v, s) in values.iter().zip(series) {
                if *v <= 0.0 {
                    continue;
                }
                let bh = plot_h * v / max;
                y -= bh;
                let _ = write!(
                    svg,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{bh:.1}" fill="{}"><title>{}: {} {v:.0}</title></rect>"#,
                    s.color,
                    escape(label),
                    escape(s.name)
                );
            }
            if days.len() <= 7 || i % 5 == 0 || i + 1 == days.len() {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{}" font-size="18" text-anchor="middle" fill="#555">{}</text>"##,
                    x + bar_w / 2.0,
                    h - bottom + 26.0,
                    escape(label)
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
    fn stacks_each_series_and_skips_zeros() {
        let series = [
            Series {
                name: "done",
                color: "#1a7f37",
            },
            Series {
                name: "open",
                color: "#0b5cad",
            },
        ];
        let days = vec![
            ("11-01".to_owned(), vec![2.0, 1.0]),
            ("11-02".to_owned(), vec![0.0, 3.0]),
        ];
        let svg = stacked_chart("c1", "Requests", "two days", &series, &days);
        assert_eq!(
            svg.matches("<rect").count(),
            2 + 3,
            "legend swatches plus three non-zero segments"
        );
        assert!(svg.contains("11-02: open 3"));
        assert!(svg.contains(r#"id="c1-title""#));
    }
}
