//! The dashboard's charts as SVG, drawn by plotters (DESIGN.md §9 "Charts"): before/after bars,
//! per-department stacked bars by decision, and submissions over time.
//!
//! plotters is built without its font stack: the SVG carries `<text>` with a CJK font-family
//! list and the viewer's fonts draw it, so no font file ships. Text widths are plotters' crude
//! estimate, which only places labels. No inline `style` attribute is written (presentation
//! attributes only), so the charts pass the CSP when served as `image/svg+xml`.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::RangedCoordu32;
use plotters::prelude::*;

use crate::domain::Lang;
use crate::service::dashboard::{DECISION_COLUMNS, Dashboard, decision_label};

/// The fonts a Chinese reader's device has, in the order the pages' stylesheet names them.
const FONT: &str = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif";
const WIDTH: u32 = 720;
const HEIGHT: u32 = 400;

/// Before and after; the decisions (retain, cancel, extend, convert, standardise, undecided).
const BEFORE: RGBColor = RGBColor(0x9e, 0x9e, 0x9e);
const AFTER: RGBColor = RGBColor(0x1d, 0x70, 0xb8);
const DECISION_COLOURS: [RGBColor; DECISION_COLUMNS] = [
    RGBColor(0x1d, 0x70, 0xb8),
    RGBColor(0xd4, 0x35, 0x1c),
    RGBColor(0xf4, 0x77, 0x38),
    RGBColor(0x00, 0x70, 0x3c),
    RGBColor(0x4c, 0x2c, 0x92),
    RGBColor(0xb1, 0xb4, 0xb6),
];

/// The charts a dashboard page shows, by their address segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    Outcome,
    Departments,
    Submissions,
}

impl Chart {
    pub const ALL: &'static [Chart] = &[Chart::Outcome, Chart::Departments, Chart::Submissions];

    pub fn code(self) -> &'static str {
        match self {
            Chart::Outcome => "outcome",
            Chart::Departments => "departments",
            Chart::Submissions => "submissions",
        }
    }

    pub fn from_code(s: &str) -> Option<Chart> {
        Chart::ALL.iter().copied().find(|c| c.code() == s)
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Chart::Outcome => lang.pick("清理前后对比", "Before and after"),
            Chart::Departments => lang.pick(
                "各部门事项及处理决定",
                "Items of each department by decision",
            ),
            Chart::Submissions => lang.pick("报送进度", "Submissions over time"),
        }
    }
}

/// A chart that plotters could not draw (it only fails on a bad range; a bug if it happens).
#[derive(Debug, thiserror::Error)]
#[error("chart drawing failed: {0}")]
pub struct ChartError(String);

fn err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError(e.to_string())
}

/// One chart of a dashboard as a standalone SVG document.
pub fn svg(d: &Dashboard, chart: Chart, lang: Lang) -> Result<String, ChartError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        match chart {
            Chart::Outcome => outcome(&root, d, lang)?,
            Chart::Departments => departments(&root, d, lang)?,
            Chart::Submissions => submissions(&root, d, lang)?,
        }
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// The rows of the before/after chart: label, before, after. The page's table shows the same.
pub fn outcome_rows(d: &Dashboard, lang: Lang) -> Vec<(&'static str, u32, u32)> {
    let o = &d.outcome;
    vec![
        (
            lang.pick("年检事项", "Annual inspections"),
            o.inspections_before,
            o.inspections_after,
        ),
        (
            lang.pick("每年一次的年检", "Once-a-year inspections"),
            o.once_a_year_before,
            o.once_a_year_after,
        ),
        (
            lang.pick("指定培训", "Designated trainings"),
            o.trainings_before,
            o.trainings_after,
        ),
    ]
}

/// Headroom above the tallest bar, so the legend in the upper right does not cover it.
fn y_top(max: u32) -> u32 {
    max.max(2) * 3 / 2 + 1
}

/// `n` category slots (at least two: plotters cannot map a range of one value). It reads an
/// integer range as inclusive of its end when it segments it, so `0..n - 1` gives exactly `n`.
fn segments(n: u32) -> SegmentedCoord<RangedCoordu32> {
    (0..n.max(2) - 1).into_segmented()
}

fn outcome(
    root: &DrawingArea<SVGBackend, Shift>,
    d: &Dashboard,
    lang: Lang,
) -> Result<(), ChartError> {
    let rows = outcome_rows(d, lang);
    let max = rows.iter().map(|r| r.1.max(r.2)).max().unwrap_or(0);
    let n = rows.len() as u32;
    let mut chart = ChartBuilder::on(root)
        .caption(Chart::Outcome.title(lang), (FONT, 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(segments(n), 0..y_top(max))
        .map_err(err)?;
    let labels: Vec<&str> = rows.iter().map(|r| r.0).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(rows.len())
        .x_label_formatter(&|v| segment_label(v, &labels))
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    let seg = chart.plotting_area().dim_in_pixel().0 as i32 / n.max(1) as i32;
    let (wide, narrow) = (seg / 2, seg / 10);
    for (series, colour, margins) in [
        (lang.pick("清理前", "before"), BEFORE, (narrow, wide)),
        (lang.pick("清理后", "after"), AFTER, (wide, narrow)),
    ] {
        let after = colour == AFTER;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let v = if after { r.2 } else { r.1 };
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i as u32), 0),
                        (SegmentValue::Exact(i as u32 + 1), v),
                    ],
                    colour.filled(),
                );
                bar.set_margin(0, 0, margins.0 as u32, margins.1 as u32);
                bar
            }))
            .map_err(err)?
            .label(series)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled()));
    }
    legend(&mut chart)
}

fn departments(
    root: &DrawingArea<SVGBackend, Shift>,
    d: &Dashboard,
    lang: Lang,
) -> Result<(), ChartError> {
    let n = d.departments.len().max(1) as u32;
    let max = d.departments.iter().map(|l| l.items).max().unwrap_or(0);
    let mut chart = ChartBuilder::on(root)
        .caption(Chart::Departments.title(lang), (FONT, 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(44)
        .build_cartesian_2d(segments(n), 0..y_top(max))
        .map_err(err)?;
    // Short labels under the bars: the department's short code; the table names them.
    let labels: Vec<&str> = d.departments.iter().map(|l| l.code.as_str()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len().max(1))
        .x_label_formatter(&|v| segment_label(v, &labels))
        .label_style((FONT, 13))
        .draw()
        .map_err(err)?;
    for (column, colour) in DECISION_COLOURS.iter().enumerate() {
        let colour = *colour;
        chart
            .draw_series(d.departments.iter().enumerate().map(|(i, l)| {
                let below: u32 = l.by_decision[..column].iter().sum();
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i as u32), below),
                        (
                            SegmentValue::Exact(i as u32 + 1),
                            below + l.by_decision[column],
                        ),
                    ],
                    colour.filled(),
                );
                bar.set_margin(0, 0, 6, 6);
                bar
            }))
            .map_err(err)?
            .label(decision_label(column, lang))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled()));
    }
    legend(&mut chart)
}

fn submissions(
    root: &DrawingArea<SVGBackend, Shift>,
    d: &Dashboard,
    lang: Lang,
) -> Result<(), ChartError> {
    let days = &d.submissions;
    let n = days.len().max(1) as u32;
    let max = days
        .iter()
        .map(|s| s.submissions.max(s.departments_cumulative))
        .max()
        .unwrap_or(0)
        .max(d.departments.len() as u32);
    let mut chart = ChartBuilder::on(root)
        .caption(Chart::Submissions.title(lang), (FONT, 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(segments(n), 0..y_top(max))
        .map_err(err)?;
    let labels: Vec<String> = days
        .iter()
        .map(|s| s.date.format("%m-%d").to_string())
        .collect();
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len().max(1))
        .x_label_formatter(&|v| segment_label(v, &label_refs))
        .label_style((FONT, 13))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(days.iter().enumerate().map(|(i, s)| {
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(i as u32), 0),
                    (SegmentValue::Exact(i as u32 + 1), s.submissions),
                ],
                BEFORE.filled(),
            );
            bar.set_margin(0, 0, 10, 10);
            bar
        }))
        .map_err(err)?
        .label(lang.pick("当日上传的报送表", "workbooks uploaded that day"))
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], BEFORE.filled()));
    chart
        .draw_series(LineSeries::new(
            days.iter()
                .enumerate()
                .map(|(i, s)| (SegmentValue::CenterOf(i as u32), s.departments_cumulative)),
            AFTER.stroke_width(3),
        ))
        .map_err(err)?
        .label(lang.pick("累计已报送部门", "departments submitted so far"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 12, y)], AFTER.stroke_width(3)));
    // Points too: a line of one day would not show.
    chart
        .draw_series(days.iter().enumerate().map(|(i, s)| {
            Circle::new(
                (SegmentValue::CenterOf(i as u32), s.departments_cumulative),
                5,
                AFTER.filled(),
            )
        }))
        .map_err(err)?;
    legend(&mut chart)
}

fn segment_label(v: &SegmentValue<u32>, labels: &[&str]) -> String {
    match v {
        SegmentValue::CenterOf(i) => labels.get(*i as usize).copied().unwrap_or("").to_string(),
        _ => String::new(),
    }
}

fn legend<'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
) -> Result<(), ChartError>
where
    X: Ranged,
    Y: Ranged,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}
