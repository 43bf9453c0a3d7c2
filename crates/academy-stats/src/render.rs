//! Published tables as CSV, as an aligned text table (the CLI), and as an SVG bar chart staff
//! can drop into a report. Only published entries are ever written: the counts as rounded,
//! `"<5"` or `"x"`.

use anyhow::Context;
use plotters::prelude::*;

use crate::{
    disclosure::{Policy, Shown},
    table::{Line, Table},
};

fn header(table: &Table) -> Vec<String> {
    let mut header = Vec::new();
    if table.measure.is_some() {
        header.push("measure".to_owned());
    }
    header.push(table.lines_are.clone());
    header.extend(table.columns.iter().cloned());
    if table.measure.is_some() {
        header.push("total".to_owned());
    }
    header.extend(table.percents.iter().cloned());
    header
}

fn record(table: &Table, line: &Line, policy: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(measure) = &table.measure {
        out.push(measure.clone());
    }
    out.push(line.key.clone());
    out.extend(line.cells.iter().map(|c| c.text(policy)));
    if table.measure.is_some() {
        out.push(line.total.map(|t| t.text(policy)).unwrap_or_default());
    }
    out.extend(
        line.percents
            .iter()
            .map(|p| p.map(|p| p.to_string()).unwrap_or_default()),
    );
    out
}

/// The records of `tables` (which share a header): the header, each line, the totals line.
pub fn records(tables: &[Table], policy: &Policy) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    if let Some(first) = tables.first() {
        out.push(header(first));
    }
    for table in tables {
        for line in table.lines.iter().chain(std::iter::once(&table.totals)) {
            out.push(record(table, line, policy));
        }
    }
    out
}

/// `tables` as CSV (RFC 4180, a header line first).
pub fn csv(tables: &[Table], policy: &Policy) -> anyhow::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for r in records(tables, policy) {
        out.write_record(&r).context("writing CSV")?;
    }
    let bytes = out.into_inner().context("finishing CSV")?;
    String::from_utf8(bytes).context("CSV is UTF-8")
}

/// `tables` as a text table with aligned columns (numbers to the right).
pub fn text(tables: &[Table], policy: &Policy) -> String {
    let rows = records(tables, policy);
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..width)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let label_columns = usize::from(tables.first().is_some_and(|t| t.measure.is_some())) + 1;
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            if i < label_columns {
                line.push_str(&format!("{cell:<w$}"));
            } else {
                line.push_str(&format!("{cell:>w$}"));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A horizontal bar chart of one column of `table` (or, for a two-way table, of each line's
/// total), titled `title`. Suppressed lines have no bar, only their label ("<5", "x").
pub fn svg(table: &Table, column: usize, title: &str, policy: &Policy) -> anyhow::Result<String> {
    let value = |line: &Line| -> Shown {
        if table.measure.is_some() {
            line.total.unwrap_or(Shown::Count(0))
        } else {
            line.cells.get(column).copied().unwrap_or(Shown::Count(0))
        }
    };
    let lines: Vec<(&str, Shown)> = table
        .lines
        .iter()
        .map(|l| (l.key.as_str(), value(l)))
        .collect();
    let max = lines
        .iter()
        .filter_map(|(_, s)| s.count())
        .max()
        .unwrap_or(0)
        .max(1);
    const BAR: i32 = 22;
    const TOP: i32 = 56;
    const LEFT: i32 = 230;
    const WIDTH: u32 = 820;
    let count = i32::try_from(lines.len()).unwrap_or(i32::MAX / 2 / BAR);
    let height = u32::try_from(TOP + count * BAR + 30).unwrap_or(600);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        let fail = |e: DrawingAreaErrorKind<_>| anyhow::anyhow!("drawing the chart: {e:?}");
        root.fill(&WHITE).map_err(fail)?;
        let font = |size: f64| ("sans-serif", size).into_font().color(&BLACK);
        root.draw(&Text::new(title.to_owned(), (12, 14), font(18.0)))
            .map_err(fail)?;
        let unit = table
            .measure
            .as_deref()
            .or_else(|| table.columns.get(column).map(String::as_str))
            .unwrap_or("")
            .replace('_', " ");
        let note = format!(
            "{unit}; counts rounded to 5, \"{}\" = 1 to {} people, \"x\" = withheld",
            policy.fewer_label(),
            policy.threshold() - 1
        );
        root.draw(&Text::new(note, (12, 36), font(12.0)))
            .map_err(fail)?;
        let span = f64::from(i32::try_from(WIDTH).unwrap_or(820) - LEFT - 90);
        for (i, (label, shown)) in lines.iter().enumerate() {
            let y = TOP + i32::try_from(i).unwrap_or(0) * BAR;
            let label: String = label.chars().take(34).collect();
            root.draw(&Text::new(label, (12, y + 4), font(13.0)))
                .map_err(fail)?;
            let mut x = LEFT;
            if let Some(n) = shown.count() {
                // Counts are far below 2^52: exact as f64.
                #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
                let w = (span * n as f64 / max as f64).round() as i32;
                root.draw(&Rectangle::new(
                    [(LEFT, y + 2), (LEFT + w, y + BAR - 4)],
                    RGBColor(0x1f, 0x5f, 0x99).filled(),
                ))
                .map_err(fail)?;
                x += w;
            }
            root.draw(&Text::new(shown.text(policy), (x + 6, y + 4), font(13.0)))
                .map_err(fail)?;
        }
        root.present().map_err(fail)?;
    }
    Ok(out)
}
