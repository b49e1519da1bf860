//! Left-aligned text columns for `dbgen list` and `dbgen explain`.
//!
//! Input: rows of cells. Output: lines padded so that columns line up, no trailing spaces.
//! Invariant: the output depends only on the cells (no terminal width), so it can be a golden.

/// Lays out `rows`, each line prefixed by `indent`.
pub(super) fn layout(rows: &[Vec<String>], indent: &str) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = indent.to_owned();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count() + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up() {
        let rows = vec![
            vec!["a".to_owned(), "bb".to_owned(), "c".to_owned()],
            vec!["aaa".to_owned(), "b".to_owned(), String::new()],
        ];
        assert_eq!(super::layout(&rows, "  "), "  a    bb  c\n  aaa  b\n");
    }
}
