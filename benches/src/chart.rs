//! One SVG chart per group (plotters, SVG backend only: no system fonts or libraries):
//! a panel per workload with, for each system, a bar at its median speed (or time)
//! with a whisker from min to max, and beside it a bar of its peak RSS; weft's bars in
//! orange. A panel whose values span more than 30x is drawn on a log scale.

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
const PANEL_EXTRA: u32 = 105;

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

/// A value axis: linear from 0, or logarithmic (values plotted as their log10) when
/// the values of a panel span more than [`LOG_SPAN`] times.
#[derive(Clone, Copy)]
struct Axis {
    log: bool,
    lo: f64,
    hi: f64,
}

/// The spread of values past which a panel is drawn on a log scale.
const LOG_SPAN: f64 = 30.0;

impl Axis {
    /// An axis for `values` (all >= 0), with room on the right for labels.
    fn fit(values: impl Iterator<Item = f64> + Clone) -> Self {
        let top = values.clone().fold(0.0, f64::max);
        let least = values.filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
        if top > 0.0 && least.is_finite() && top / least > LOG_SPAN {
            let lo = least.log10().floor();
            let hi = top.log10();
            Self {
                log: true,
                lo,
                hi: hi + (hi - lo) * 0.5,
            }
        } else {
            Self {
                log: false,
                lo: 0.0,
                hi: if top > 0.0 { top * 1.5 } else { 1.0 },
            }
        }
    }

    /// Where `v` is drawn.
    fn at(self, v: f64) -> f64 {
        if self.log {
            v.max(f64::MIN_POSITIVE).log10().max(self.lo)
        } else {
            v
        }
    }

    /// The value at drawn position `x`.
    fn value(self, x: f64) -> f64 {
        if self.log { 10f64.powf(x) } else { x }
    }
}

/// One bar: the shown value, its whisker (min, max) and its label.
struct Bar {
    value: f64,
    whisker: Option<(f64, f64)>,
    label: String,
    is_weft: bool,
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    rows: &[&Measurement],
) -> Result<(), Box<dyn Error>> {
    let first = rows[0];
    let caption = match first.show {
        Show::Rate => format!("{} ({}/s, higher is better)", first.workload, first.unit),
        Show::Time => format!("{} (seconds per run, lower is better)", first.workload),
    };
    let best = best_peer(rows);
    let speed: Vec<Bar> = rows
        .iter()
        .map(|m| {
            let (median, min, max) = m.shown();
            let ratio =
                best.map_or_else(String::new, |b| format!(" · {:.2}x", m.median_rate() / b));
            Bar {
                value: median,
                whisker: Some((min, max)),
                label: format!(" {}{ratio}", value(m, median, false)),
                is_weft: m.is_weft,
            }
        })
        .collect();
    let memory: Vec<Bar> = rows
        .iter()
        .map(|m| {
            let mib = m.peak_rss_kib.unwrap_or(0) as f64 / 1024.0;
            Bar {
                value: mib,
                whisker: None,
                label: format!(" {mib:.1} MiB"),
                is_weft: m.is_weft,
            }
        })
        .collect();
    let names: Vec<String> = rows.iter().map(|m| m.system.clone()).collect();
    let area = area.titled(&caption, ("sans-serif", 16))?;
    let (left, right) = area.split_horizontally(WIDTH * 64 / 100);
    let show = first.show;
    let speed_title = match show {
        Show::Rate => "median, whisker min – max · vs best peer",
        Show::Time => "median time, whisker min – max · speed vs best peer",
    };
    bars(
        &left,
        speed_title,
        &speed,
        &names,
        280,
        &move |v| match show {
            Show::Rate => human(v),
            Show::Time => seconds(v),
        },
    )?;
    bars(&right, "peak RSS", &memory, &[], 10, &|v| {
        format!("{v:.0} MiB")
    })?;
    Ok(())
}

/// Horizontal bars, the first at the top, labelled with `names` on the left (none when
/// `names` is empty).
fn bars(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    bars: &[Bar],
    names: &[String],
    name_width: u32,
    tick: &dyn Fn(f64) -> String,
) -> Result<(), Box<dyn Error>> {
    let n = bars.len();
    let axis = Axis::fit(
        bars.iter()
            .flat_map(|b| [b.value, b.whisker.map_or(b.value, |w| w.1)]),
    );
    // Row i sits in segment n-1-i (a discrete range is inclusive: 0..n-1 has n segments).
    let name_of = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i < n => {
            names.get(n - 1 - i).cloned().unwrap_or_default()
        }
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 12))
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(name_width)
        .build_cartesian_2d(axis.lo..axis.hi, (0..n - 1).into_segmented())?;
    let x_label = |x: &f64| tick(axis.value(*x));
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&name_of)
        .x_labels(5)
        .x_label_formatter(&x_label)
        .draw()?;
    let label_style =
        TextStyle::from(("sans-serif", 12).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, bar) in bars.iter().enumerate() {
        let slot = n - 1 - i;
        let colour = if bar.is_weft { WEFT } else { PEER };
        let mut rect = Rectangle::new(
            [
                (axis.lo, SegmentValue::Exact(slot)),
                (axis.at(bar.value), SegmentValue::Exact(slot + 1)),
            ],
            colour.filled(),
        );
        rect.set_margin(5, 5, 0, 0);
        chart.draw_series(std::iter::once(rect))?;
        let mut end = bar.value;
        if let Some((min, max)) = bar.whisker {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![
                    (axis.at(min), SegmentValue::CenterOf(slot)),
                    (axis.at(max), SegmentValue::CenterOf(slot)),
                ],
                BLACK.stroke_width(2),
            )))?;
            end = end.max(max);
        }
        chart.draw_series(std::iter::once(Text::new(
            bar.label.clone(),
            (axis.at(end), SegmentValue::CenterOf(slot)),
            label_style.clone(),
        )))?;
    }
    Ok(())
}

/// Seconds for an axis tick: `12 s`, `1.5 s`, `40 ms`, `2.5 ms`.
fn seconds(v: f64) -> String {
    match v {
        v if v <= 0.0 => "0 s".to_owned(),
        v if v >= 10.0 => format!("{v:.0} s"),
        v if v >= 1.0 => format!("{v:.1} s"),
        v if v >= 0.01 => format!("{:.0} ms", v * 1e3),
        v => format!("{:.1} ms", v * 1e3),
    }
}
