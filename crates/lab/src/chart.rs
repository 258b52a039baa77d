//! SVG charts of a run, drawn with plotters (no font files needed: the SVG
//! backend writes text as text).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::measure::{FanoutRow, Percentiles, Stop};

const SIZE: (u32, u32) = (1100, 720);

/// Reads one percentile.
type Pick = fn(&Percentiles) -> u64;

/// A horizontal reference line on a percentile chart.
#[derive(Debug)]
pub(crate) struct FloorLine<'a> {
    pub(crate) name: &'a str,
    pub(crate) ns: u64,
}

/// One column of a percentile chart.
#[derive(Debug)]
pub(crate) struct Column {
    pub(crate) label: String,
    pub(crate) stats: Percentiles,
}

/// p50, p90 and p99 of each column on a log scale, with the floors as lines.
pub(crate) fn percentiles(
    path: &Path,
    title: &str,
    columns: &[Column],
    floors: &[FloorLine<'_>],
) -> Result<(), String> {
    // Tall enough for every column's label: 16 px a row past the default.
    let rows = u32::try_from(columns.len()).unwrap_or(u32::MAX);
    let size = (
        SIZE.0,
        SIZE.1.max(rows.saturating_mul(16).saturating_add(120)),
    );
    let root = SVGBackend::new(path, size).into_drawing_area();
    draw_percentiles(&root, title, columns, floors).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

fn draw_percentiles(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    columns: &[Column],
    floors: &[FloorLine<'_>],
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    let values = columns
        .iter()
        .flat_map(|c| [c.stats.p50_ns, c.stats.p99_ns])
        .chain(floors.iter().map(|f| f.ns));
    let (lo, hi) = log_bounds(values);
    // A decade of room on the right for the legend.
    let hi = hi.saturating_mul(10);
    let n = i32::try_from(columns.len()).unwrap_or(i32::MAX);
    // One row per column, top to bottom, labels written horizontally.
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .margin_right(30)
        .x_label_area_size(50)
        .y_label_area_size(250)
        .build_cartesian_2d((lo..hi).log_scale(), -1..n)?;
    let label = |i: &i32| {
        usize::try_from(n - 1 - *i)
            .ok()
            .and_then(|i| columns.get(i))
            .map(|c| c.label.clone())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .y_labels(columns.len() + 2)
        .y_label_formatter(&label)
        .y_label_style(("sans-serif", 13))
        .x_desc("nanoseconds (log scale)")
        .x_label_formatter(&|v| human_ns(*v))
        .disable_y_mesh()
        .draw()?;
    let series: [(&str, Pick, RGBColor); 3] = [
        ("p50", |p| p.p50_ns, BLUE),
        ("p90", |p| p.p90_ns, GREEN),
        ("p99", |p| p.p99_ns, RED),
    ];
    let row = |i: usize| n - 1 - i32::try_from(i).unwrap_or(0);
    for (name, pick, color) in series {
        let points = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (pick(&c.stats).max(1), row(i)));
        chart
            .draw_series(points.map(|p| Circle::new(p, 4, color.filled())))?
            .label(name)
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
    }
    for (i, floor) in floors.iter().enumerate() {
        let color = Palette99::pick(i + 5).mix(0.8);
        chart
            .draw_series(LineSeries::new(
                [(floor.ns.max(1), -1), (floor.ns.max(1), n)],
                color.stroke_width(1),
            ))?
            .label(format!("floor: {} ({})", floor.name, human_ns(floor.ns)))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    Ok(())
}

/// Fanout: total time against N, log–log, one line per strategy × runtime.
pub(crate) fn fanout(path: &Path, title: &str, rows: &[FanoutRow]) -> Result<(), String> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    draw_fanout(&root, title, rows).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

fn draw_fanout(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    rows: &[FanoutRow],
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    // Display only: the median of the runs, rounded to a nanosecond.
    let ns = |r: &FanoutRow| (r.total().median as u64).max(1);
    let (lo, hi) = log_bounds(rows.iter().map(ns));
    let max_n = rows.iter().map(|r| r.n as u64).max().unwrap_or(1).max(10);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .margin_right(40)
        .build_cartesian_2d((1_u64..max_n).log_scale(), (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("tasks stopped (N, log scale)")
        .y_desc("time to stop and join all N (log scale)")
        .y_label_formatter(&|v| human_ns(*v))
        .draw()?;
    let mut ids: Vec<(String, Stop)> = rows.iter().map(|r| (r.target.id(), r.stop)).collect();
    ids.dedup();
    for (i, (id, stop)) in ids.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let points: Vec<(u64, u64)> = rows
            .iter()
            .filter(|r| &r.target.id() == id)
            .map(|r| (r.n as u64, ns(r)))
            .collect();
        let label = match stop {
            Stop::OneSignal => id.clone(),
            Stop::Requests => format!("{id} (N requests)"),
        };
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 11))
        .draw()?;
    Ok(())
}

/// Powers of ten around every value, so a log axis has room.
fn log_bounds(values: impl Iterator<Item = u64>) -> (u64, u64) {
    let (mut lo, mut hi) = (u64::MAX, 1);
    for v in values {
        lo = lo.min(v.max(1));
        hi = hi.max(v);
    }
    if lo > hi {
        return (1, 10);
    }
    let down = 10_u64.pow(lo.max(1).ilog10());
    let up = 10_u64.saturating_pow(hi.max(1).ilog10() + 1);
    (down, up.max(down.saturating_mul(10)))
}

/// `1500` → `1.5 µs`.
pub(crate) fn human_ns(ns: u64) -> String {
    // Display only: the rounding of the conversion does not matter.
    let v = ns as f64;
    match ns {
        0..1_000 => format!("{ns} ns"),
        1_000..1_000_000 => format!("{:.1} µs", v / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2} ms", v / 1e6),
        _ => format!("{:.2} s", v / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_bounds_surround_every_value() {
        assert_eq!(log_bounds([150, 42_000].into_iter()), (100, 100_000));
        assert_eq!(log_bounds(std::iter::empty()), (1, 10));
        let (lo, hi) = log_bounds([0, u64::MAX].into_iter());
        assert!(lo >= 1 && hi == u64::MAX, "no overflow at the edges");
    }

    #[test]
    fn human_ns_picks_a_unit() {
        assert_eq!(human_ns(999), "999 ns");
        assert_eq!(human_ns(1_500), "1.5 µs");
        assert_eq!(human_ns(2_500_000), "2.50 ms");
    }
}
