//! Page data builders shared by the HTML pages, the JSON endpoints and the CLI: each reads the
//! store and runs the analysis, taking typed inputs and `now` (query strings are parsed at the
//! edge), and returns one serializable struct the page only renders.

pub mod alarm_history;
pub mod alarms;
pub mod backtest;
pub mod cache;
pub mod costs;
pub mod form;
pub mod overview;
pub mod recommendations;
pub mod service;
pub mod services;
pub mod sync_history;
pub mod tiers;
pub mod whatif;

/// A table a page shows, as text cells, for CSV.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column names.
    pub header: Vec<&'static str>,
    /// One row per table row, as many cells as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as CSV (RFC 4180: cells with commas, quotes or line breaks are quoted).
    pub fn to_csv(&self) -> String {
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            cells.map(csv_cell).collect::<Vec<_>>().join(",") + "\r\n"
        };
        let mut out = line(&mut self.header.iter().copied());
        for row in &self.rows {
            out += &line(&mut row.iter().map(String::as_str));
        }
        out
    }
}

/// One CSV cell, quoted only when it holds a comma, quote or line break (RFC 4180). Text a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return: names and tags come from AWS, anyone with tag rights writes them) gets a leading `'`
/// and quotes, so it reads as text; a number such as `-12.5` stays as it is.
pub fn csv_cell(cell: &str) -> String {
    if starts_like_a_formula(cell) {
        return format!("\"'{}\"", cell.replace('"', "\"\""));
    }
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// Whether a spreadsheet would evaluate `cell`: it starts with a formula character and is not
/// a plain number.
fn starts_like_a_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.trim().parse::<f64>().is_err()
}

/// A report whose page shows tables: each can be had as CSV by name.
pub trait Tables {
    /// The tables by name, the main one first.
    fn tables(&self) -> Vec<(&'static str, Table)>;

    /// The table named `name` (the main one when None), or a message naming the ones there are.
    fn table(&self, name: Option<&str>) -> Result<Table, String> {
        let mut tables = self.tables();
        let names = tables.iter().map(|t| t.0).collect::<Vec<_>>().join(", ");
        let pick = match name.filter(|n| !n.is_empty()) {
            None if tables.is_empty() => None,
            None => Some(0),
            Some(n) => tables.iter().position(|t| t.0 == n),
        };
        match pick {
            Some(i) => Ok(tables.swap_remove(i).1),
            None if tables.is_empty() => Err("this report has no table to give as CSV".into()),
            None => Err(format!(
                "'table={}' is not one of {names}",
                name.unwrap_or_default()
            )),
        }
    }
}

/// Money for CSV: dollars with cents, no symbol.
pub(crate) fn csv_usd(v: f64) -> String {
    format!("{v:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_cells_that_need_it() {
        let t = Table {
            header: vec!["name", "note"],
            rows: vec![
                vec!["a,b".into(), "say \"hi\"".into()],
                vec!["c".into(), "".into()],
            ],
        };
        assert_eq!(
            t.to_csv(),
            "name,note\r\n\"a,b\",\"say \"\"hi\"\"\"\r\nc,\r\n"
        );
    }

    #[test]
    fn csv_cells_a_spreadsheet_would_run_read_as_text_and_numbers_stay_numbers() {
        for (cell, expected) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("+cmd|' /C calc'!A0", "\"'+cmd|' /C calc'!A0\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=1", "\"'\t=1\""),
            ("-", "\"'-\""),
            ("-12.5", "-12.5"),
            ("+3", "+3"),
            ("-0.000001", "-0.000001"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(cell), expected, "{cell:?}");
        }
    }

    struct Two;
    impl Tables for Two {
        fn tables(&self) -> Vec<(&'static str, Table)> {
            let t = |h| Table {
                header: vec![h],
                rows: Vec::new(),
            };
            vec![("first", t("a")), ("second", t("b"))]
        }
    }

    #[test]
    fn a_table_is_picked_by_name_or_the_first_by_default() {
        assert_eq!(Two.table(None).unwrap().header, vec!["a"]);
        assert_eq!(Two.table(Some("second")).unwrap().header, vec!["b"]);
        let err = Two.table(Some("third")).unwrap_err();
        assert_eq!(err, "'table=third' is not one of first, second");
    }
}
