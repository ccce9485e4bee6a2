//! One SVG chart per group (plotters, SVG backend only: no system fonts or libraries):
//! a panel per workload, a bar per system at its median with a whisker from min to
//! max, weft's bars in orange.

use std::error::Error;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::harness::{Measurement, Show};
use crate::report::{best_peer, human, value};

const WIDTH: u32 = 960;
const ROW: u32 = 30;
/// Caption, axis and margins of one panel.
const PANEL_EXTRA: u32 = 80;

const WEFT: RGBColor = RGBColor(221, 110, 40);
const PEER: RGBColor = RGBColor(70, 120, 180);

/// Draws `<group>.svg` in `dir` for each group in `results`; returns the file names.
///
/// # Errors
///
/// When a file cannot be written.
pub(crate) fn draw_all(results: &[Measurement], dir: &Path) -> Result<Vec<String>, String> {
    let mut groups: Vec<&str> = results.iter().map(|m| m.group).collect();
    groups.dedup();
    let mut files = Vec::new();
    for group in groups {
        let file = format!("{group}.svg");
        let rows: Vec<&Measurement> = results.iter().filter(|m| m.group == group).collect();
        draw_group(&dir.join(&file), &rows).map_err(|e| format!("{file}: {e}"))?;
        files.push(file);
    }
    Ok(files)
}

fn draw_group(path: &Path, rows: &[&Measurement]) -> Result<(), Box<dyn Error>> {
    let mut workloads: Vec<&str> = rows.iter().map(|m| m.workload.as_str()).collect();
    workloads.dedup();
    let panels: Vec<Vec<&Measurement>> = workloads
        .iter()
        .map(|w| rows.iter().copied().filter(|m| m.workload == *w).collect())
        .collect();
    let height = |panel: &Vec<&Measurement>| PANEL_EXTRA + ROW * panel.len() as u32;
    let total: u32 = panels.iter().map(height).sum();
    let root = SVGBackend::new(path, (WIDTH, total.max(1))).into_drawing_area();
    root.fill(&WHITE)?;
    let mut rest = root.clone();
    for panel in &panels {
        let (area, below) = rest.split_vertically(height(panel));
        draw_panel(&area, panel)?;
        rest = below;
    }
    root.present()?;
    Ok(())
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    rows: &[&Measurement],
) -> Result<(), Box<dyn Error>> {
    let n = rows.len();
    let first = rows[0];
    let caption = match first.show {
        Show::Rate => format!("{} ({}/s, higher is better)", first.workload, first.unit),
        Show::Time => format!("{} (seconds per run, lower is better)", first.workload),
    };
    let top = rows.iter().map(|m| m.shown().2).fold(0.0, f64::max);
    // Room on the right for the value labels.
    let x_max = if top > 0.0 { top * 1.45 } else { 1.0 };
    let best = best_peer(rows);
    // The first system at the top: row i sits in segment n-1-i (a discrete range is
    // inclusive: 0..n-1 has n segments).
    let name_of = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i < n => {
            rows[n - 1 - i].system.clone()
        }
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(280)
        .build_cartesian_2d(0.0..x_max, (0..n - 1).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&name_of)
        .x_labels(6)
        .x_label_formatter(&|x| match first.show {
            Show::Rate => human(*x),
            Show::Time => format!("{x:.1} s"),
        })
        .draw()?;
    let label_style =
        TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, m) in rows.iter().enumerate() {
        let slot = n - 1 - i;
        let (median, min, max) = m.shown();
        let colour = if m.is_weft { WEFT } else { PEER };
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(slot)),
                (median, SegmentValue::Exact(slot + 1)),
            ],
            colour.filled(),
        );
        bar.set_margin(5, 5, 0, 0);
        chart.draw_series(std::iter::once(bar))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![
                (min, SegmentValue::CenterOf(slot)),
                (max, SegmentValue::CenterOf(slot)),
            ],
            BLACK.stroke_width(2),
        )))?;
        let ratio = best.map_or_else(String::new, |b| format!(" · {:.2}x", m.median_rate() / b));
        let rss = m.peak_rss_kib.map_or_else(String::new, |kib| {
            format!(" · {:.1} MiB", kib as f64 / 1024.0)
        });
        chart.draw_series(std::iter::once(Text::new(
            format!(" {}{ratio}{rss}", value(m, median, false)),
            (max, SegmentValue::CenterOf(slot)),
            label_style.clone(),
        )))?;
    }
    Ok(())
}
