//! The checks of `# expect: TEXT` and `# expect-error: TEXT` comments against what the command
//! above them printed: shared by this interpreter and by the tests that run a script with real
//! programs (the icp walkthrough).

use super::Expect;

/// Whether `haystack` contains `needle`, runs of whitespace comparing as one space.
fn contains(haystack: &str, needle: &str) -> bool {
    let squeeze = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    squeeze(haystack).contains(&squeeze(needle))
}

/// Checks `expects` against a command's output (`Ok`) or its error (`Err`, a failed command);
/// returns how many it checked, or what did not hold.
pub fn verify(expects: &[Expect], outcome: Result<&str, &str>) -> Result<usize, String> {
    for expect in expects {
        let mismatch = match (expect, outcome) {
            (Expect::Output(text), Ok(output)) if contains(output, text) => continue,
            (Expect::Error(text), Err(error)) if contains(error, text) => continue,
            (Expect::Output(text), Ok(output)) => {
                format!("expected the output to contain `{text}`; it was:\n{output}")
            }
            (Expect::Output(text), Err(error)) => {
                format!("expected output containing `{text}`; the command failed: {error}")
            }
            (Expect::Error(text), Err(error)) => {
                format!("expected an error containing `{text}`; it was: {error}")
            }
            (Expect::Error(text), Ok(output)) => {
                format!(
                    "expected an error containing `{text}`; the command succeeded with:\n{output}"
                )
            }
        };
        return Err(mismatch);
    }
    Ok(expects.len())
}
