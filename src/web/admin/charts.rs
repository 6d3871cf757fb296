//! The engagement pages' charts, drawn on the server (SVG and shaded tables: no script, no
//! build step). A suppressed number is always drawn as such — hatched, labelled — never as
//! zero.

use crate::service::metrics::Cell;

/// A number to draw: shown, or suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Shown(i64),
    /// Shown, but a lower bound (some of what it adds up was suppressed).
    AtLeast(i64),
    Suppressed,
}

impl Value {
    pub fn of(value: Option<i64>, lower_bound: bool) -> Value {
        match (value, lower_bound) {
            (None, _) => Value::Suppressed,
            (Some(n), true) => Value::AtLeast(n),
            (Some(n), false) => Value::Shown(n),
        }
    }

    pub fn number(self) -> Option<i64> {
        match self {
            Value::Shown(n) | Value::AtLeast(n) => Some(n),
            Value::Suppressed => None,
        }
    }

    pub fn text(self) -> String {
        match self {
            Value::Shown(n) => n.to_string(),
            Value::AtLeast(n) => format!("≥ {n}"),
            Value::Suppressed => "suppressed".to_string(),
        }
    }
}

fn escape(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

fn hatch(id: &str) -> String {
    format!(
        "<defs><pattern id=\"hatch-{id}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" \
         stroke=\"#8889\" stroke-width=\"3\"/></pattern></defs>"
    )
}

/// A bar chart per day of `series` (measure, colour), drawn over each other (the first the
/// tallest, e.g. questions asked, then answered): a day whose first series is suppressed is
/// hatched full height.
pub fn days(cells: &[Cell], series: &[(&str, &str)], title: &str) -> String {
    let Some((first, _)) = series.first() else {
        return String::new();
    };
    let of = |measure: &str| -> Vec<&Cell> {
        cells
            .iter()
            .filter(|c| c.measure == measure && c.dimension.is_empty())
            .collect()
    };
    let base = of(first);
    let max = series
        .iter()
        .flat_map(|(m, _)| of(m))
        .filter_map(|c| c.value)
        .max()
        .unwrap_or(0)
        .max(1);
    let (width, height, gap) = (640.0_f64, 160.0_f64, 2.0_f64);
    let slot = width / base.len().max(1) as f64;
    let id = first.replace('_', "-");
    let title = escape(title);
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {}\" role=\"img\" aria-label=\"{title}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{title}</title>{}",
        height + 20.0,
        hatch(&id)
    );
    for (i, c) in base.iter().enumerate() {
        let x = i as f64 * slot + gap / 2.0;
        let w = (slot - gap).max(1.0);
        if c.value.is_none() {
            out.push_str(&format!(
                "<rect class=\"suppressed\" x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" \
                 height=\"{height}\" fill=\"url(#hatch-{id})\">\
                 <title>{}: suppressed</title></rect>",
                c.date
            ));
            continue;
        }
        for (measure, colour) in series {
            let Some(v) = cells
                .iter()
                .find(|d| d.measure == *measure && d.dimension.is_empty() && d.date == c.date)
                .and_then(|d| d.value)
            else {
                continue;
            };
            let h = (v as f64 / max as f64 * height).max(1.0);
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" \
                 fill=\"{colour}\"><title>{}: {v} {}</title></rect>",
                height - h,
                c.date,
                measure.replace('_', " ")
            ));
        }
    }
    if let (Some(first), Some(last)) = (base.first(), base.last()) {
        out.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"12\" fill=\"currentColor\">{}</text>\
             <text x=\"{width}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" \
             fill=\"currentColor\">{}</text>",
            height + 16.0,
            first.date,
            height + 16.0,
            last.date
        ));
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars, one per (label, value, colour): suppressed ones hatched and labelled.
pub fn bars(items: &[(String, Value, &str)], title: &str) -> String {
    let max = items
        .iter()
        .filter_map(|(_, v, _)| v.number())
        .max()
        .unwrap_or(0)
        .max(1);
    let (label_w, bar_w, row) = (150.0_f64, 420.0_f64, 22.0_f64);
    let height = row * items.len().max(1) as f64;
    let width = label_w + bar_w + 70.0;
    let title = escape(title);
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{title}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{title}</title>{}",
        hatch("bars")
    );
    for (i, (label, value, colour)) in items.iter().enumerate() {
        let y = i as f64 * row;
        let label = escape(label);
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" \
             fill=\"currentColor\">{label}</text>",
            label_w - 8.0,
            y + 15.0
        ));
        let (w, fill, class) = match value.number() {
            Some(n) => (
                (n as f64 / max as f64 * bar_w).max(1.0),
                colour.to_string(),
                "",
            ),
            None => (
                bar_w,
                "url(#hatch-bars)".to_string(),
                " class=\"suppressed\"",
            ),
        };
        out.push_str(&format!(
            "<rect{class} x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" \
             fill=\"{fill}\"><title>{label}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"currentColor\">{}</text>",
            y + 3.0,
            row - 6.0,
            value.text(),
            label_w + w.min(bar_w) + 6.0,
            y + 15.0,
            value.text()
        ));
    }
    out.push_str("</svg>");
    out
}

/// A heat map as an accessible table: rows × columns of values, each cell shaded by its
/// share of the largest (suppressed cells hatched, empty ones blank).
pub struct Heat {
    pub id: &'static str,
    pub caption: String,
    pub corner: String,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<Option<Value>>)>,
}

impl Heat {
    pub fn html(&self) -> String {
        let max = self
            .rows
            .iter()
            .flat_map(|(_, cells)| cells.iter().filter_map(|c| c.and_then(Value::number)))
            .max()
            .unwrap_or(0)
            .max(1);
        let mut out = format!(
            "<div class=\"table-wrap\"><table class=\"heat\" id=\"{}\"><caption>{}</caption>\
             <thead><tr><th scope=\"col\">{}</th>",
            self.id,
            escape(&self.caption),
            escape(&self.corner)
        );
        for c in &self.columns {
            out.push_str(&format!("<th scope=\"col\">{}</th>", escape(c)));
        }
        out.push_str("</tr></thead><tbody>");
        for (label, cells) in &self.rows {
            out.push_str(&format!("<tr><th scope=\"row\">{}</th>", escape(label)));
            for cell in cells {
                match cell {
                    None => out.push_str("<td class=\"empty\">—</td>"),
                    Some(Value::Suppressed) => {
                        out.push_str("<td class=\"suppressed\">suppressed</td>")
                    }
                    Some(v) => {
                        let share = v.number().unwrap_or(0) as f64 / max as f64;
                        let pct = (8.0 + share * 72.0).round();
                        out.push_str(&format!(
                            "<td style=\"background: color-mix(in srgb, var(--accent) {pct}%, \
                             transparent)\"{}>{}</td>",
                            if share > 0.55 {
                                " class=\"strong\""
                            } else {
                                ""
                            },
                            v.text()
                        ));
                    }
                }
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></div>");
        out
    }
}
