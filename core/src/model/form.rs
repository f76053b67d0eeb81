//! Published forms: how their versions order.

use std::cmp::Ordering;

/// Orders form versions: numerically when both are whole numbers (`9` < `10`), otherwise
/// piece by piece with digit runs compared as numbers (`2024.2` < `2024.10`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn pieces(s: &str) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let d = c.is_ascii_digit();
            match out.last_mut() {
                Some((pd, p)) if *pd == d => p.push(c),
                _ => out.push((d, c.to_string())),
            }
        }
        out
    }
    let (pa, pb) = (pieces(a.trim()), pieces(b.trim()));
    for (x, y) in pa.iter().zip(pb.iter()) {
        let o = match (x, y) {
            ((true, x), (true, y)) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    pa.len().cmp(&pb.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers_where_they_are_numbers() {
        assert_eq!(compare_versions("9", "10"), Ordering::Less);
        assert_eq!(compare_versions("2024061001", "2024061002"), Ordering::Less);
        assert_eq!(compare_versions("2024.2", "2024.10"), Ordering::Less);
        assert_eq!(compare_versions("1.0", "1.0"), Ordering::Equal);
        assert_eq!(compare_versions("v2", "v10"), Ordering::Less);
        assert_eq!(compare_versions("007", "7"), Ordering::Equal);
    }
}
