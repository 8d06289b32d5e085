//! Terminal input and output: passwords without echo, questions, tables.

use crate::error::{CliError, CliResult};
use std::io::{BufRead, IsTerminal, Write};
use zeroize::Zeroizing;

/// Whether we can talk to a person (a terminal on stdin or stderr).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() || std::io::stderr().is_terminal()
}

/// Reads one line from standard input (the `--password-stdin` value).
pub fn stdin_line() -> CliResult<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::usage(format!("cannot read standard input: {e}")))?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned());
    Ok(trimmed)
}

/// Asks for a password on the terminal, without echo.
pub fn prompt_password(prompt: &str) -> CliResult<Zeroizing<String>> {
    rpassword::prompt_password(prompt)
        .map(Zeroizing::new)
        .map_err(|e| CliError::usage(format!("cannot read the password from the terminal: {e}")))
}

/// Whether a question can be asked (a person at the keyboard on stdin).
pub fn can_ask() -> bool {
    std::io::stdin().is_terminal()
}

/// Asks a yes/no question on the terminal (default: no).
pub fn confirm(question: &str) -> CliResult<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::usage(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

/// Prints rows as aligned columns.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        println!("{}", s.trim_end());
    };
    line(headers.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

/// Parses a duration flag: `30d`, `12h`, `90m`, `3600s` or `3600`
/// (seconds); zero and overflow are refused. One rule for every flag that
/// takes a duration (`--wait`, `--expires-in`).
pub fn parse_duration(flag: &str, s: &str) -> CliResult<std::time::Duration> {
    let bad = || CliError::usage(format!("{flag} {s}: use e.g. 30d, 12h, 90m or 3600s"));
    let t = s.trim();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    match n.checked_mul(unit_secs) {
        Some(secs) if secs > 0 => Ok(std::time::Duration::from_secs(secs)),
        _ => Err(CliError::usage(format!("{flag} must be positive"))),
    }
}

/// Unix ms as UTC `(year, month, day, hour, minute, second)` (Howard
/// Hinnant's civil-from-days), for the listings' time columns.
pub fn utc_civil(ms: i64) -> (i64, i64, i64, i64, i64, i64) {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem % 3600 / 60, rem % 60)
}
