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
