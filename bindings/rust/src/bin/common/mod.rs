//! What the echo programs and ping share: GNU getopt(3)-style parsing, so
//! the command lines are exactly the C programs'.
#![allow(dead_code)]

/// Parses args (program name excluded) against a getopt spec: options and
/// operands in any order, clustered flags, values attached or separate,
/// "--" ending the options. None on an unknown option or a missing value.
/// Parsed options (letter, value; "" for a flag) and the operands.
pub type Parsed = (Vec<(char, String)>, Vec<String>);

pub fn getopt(spec: &str, args: &[String]) -> Option<Parsed> {
    let spec = spec.as_bytes();
    let (mut opts, mut operands) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_bytes();
        if a == b"--" {
            operands.extend(args[i + 1..].iter().cloned());
            break;
        }
        if a.len() < 2 || a[0] != b'-' {
            operands.push(args[i].clone());
            i += 1;
            continue;
        }
        let mut j = 1;
        while j < a.len() {
            let at = spec.iter().position(|&c| c == a[j] && c != b':')?;
            if spec.get(at + 1) == Some(&b':') {
                let value = if j + 1 < a.len() {
                    String::from_utf8_lossy(&a[j + 1..]).into_owned()
                } else {
                    i += 1;
                    args.get(i)?.clone()
                };
                opts.push((a[j] as char, value));
                break;
            }
            opts.push((a[j] as char, String::new()));
            j += 1;
        }
        i += 1;
    }
    Some((opts, operands))
}

/// A decimal integer within [min, max], the whole string (as strtol).
pub fn int(s: &str, min: i64, max: i64) -> Option<i64> {
    s.parse::<i64>().ok().filter(|v| (min..=max).contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_getopt() {
        let args: Vec<String> = ["sock", "-qx", "-k10", "-s", "64", "--", "-q"]
            .map(String::from)
            .to_vec();
        let (opts, operands) = getopt("k:s:qx", &args).unwrap();
        assert_eq!(
            opts,
            [('q', ""), ('x', ""), ('k', "10"), ('s', "64")].map(|(c, v)| (c, v.to_string()))
        );
        assert_eq!(operands, ["sock", "-q"]);
        assert!(getopt("k:", &["-z".to_string()]).is_none());
        assert!(getopt("k:", &["-k".to_string()]).is_none());
        assert_eq!(int("12x", 0, 100), None);
        assert_eq!(int("-0", 0, 100), Some(0));
    }
}
