//! Splits a script into statements with bash's quoting rules, for the subset the walkthrough
//! uses: single and double quotes (spanning lines), `\` escapes and line continuations,
//! `$NAME`, `${NAME}` and `$(command)`, a trailing `|| true`, `NAME=value` assignments, comments,
//! and the `# expect:` / `# expect-error:` comments that check the command above them. Anything
//! else (pipes, redirections, `;`, globs, backquotes, `$((...))`, ...) is refused with the line.

use super::ScriptError;
use std::collections::HashMap;

/// A piece of a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text, quotes removed.
    Text(String),
    /// `$NAME` or `${NAME}`; `quoted` when inside double quotes.
    Var { name: String, quoted: bool },
    /// `$(words)`; `quoted` when inside double quotes.
    Subst { words: Vec<Word>, quoted: bool },
}

/// One shell word: its parts are concatenated after expansion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    pub parts: Vec<Part>,
}

impl Word {
    /// The word after expansion: `$NAME` from `vars` (unset is an error, as with `set -u`),
    /// `$(words)` by `substitute`. An unquoted expansion holding whitespace is refused: bash
    /// would split it into words.
    pub fn expand(
        &self,
        vars: &HashMap<String, String>,
        substitute: &mut dyn FnMut(&[Word]) -> Result<String, String>,
    ) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            let (value, quoted) = match part {
                Part::Text(text) => {
                    out.push_str(text);
                    continue;
                }
                Part::Var { name, quoted } => (
                    vars.get(name)
                        .cloned()
                        .ok_or_else(|| format!("`${name}` is not set"))?,
                    *quoted,
                ),
                Part::Subst { words, quoted } => (substitute(words)?, *quoted),
            };
            if !quoted && value.contains(char::is_whitespace) {
                return Err(format!(
                    "an unquoted expansion would be split into words (`{value}`); quote it"
                ));
            }
            out.push_str(&value);
        }
        Ok(out)
    }
}

/// What a statement does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// `NAME=value`.
    Assign { name: String, value: Word },
    /// A command; `or_true` when it ends with `|| true` (its failure is tolerated).
    Command { words: Vec<Word>, or_true: bool },
}

/// A check written as a comment right below a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// `# expect: TEXT`: the command succeeds and its output contains TEXT.
    Output(String),
    /// `# expect-error: TEXT`: the command fails and its error contains TEXT.
    Error(String),
}

/// One statement with the lines it spans and the checks below it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// Line (1-based) where the statement starts.
    pub line: usize,
    /// Line where it ends (after continuations and multi-line quotes).
    pub end_line: usize,
    pub body: Body,
    pub expects: Vec<Expect>,
}

impl Statement {
    /// Refuses a command expected to fail (`# expect-error:`) that does not end with `|| true`:
    /// bash's `set -e` would stop the script there.
    pub fn check_failure_tolerated(&self, or_true: bool) -> Result<(), ScriptError> {
        let wants_error = self.expects.iter().any(|e| matches!(e, Expect::Error(_)));
        if wants_error && !or_true {
            return Err(ScriptError::new(
                self.line,
                "a command expected to fail must end with `|| true` (set -e stops the script there otherwise)",
            ));
        }
        Ok(())
    }
}

/// Accepts the `set` options a script may use (`-e`, `-eu`, `-euo pipefail`: every runner stops
/// at a failing command, as they ask); refuses any other.
pub fn check_set_flags(flags: &[&str]) -> Result<(), &'static str> {
    let allowed = [["-e"].as_slice(), &["-eu"], &["-euo", "pipefail"]];
    if allowed.contains(&flags) {
        Ok(())
    } else {
        Err("only `set -e`, `set -eu` and `set -euo pipefail` are supported")
    }
}

/// Parses the whole script.
pub fn parse(text: &str) -> Result<Vec<Statement>, ScriptError> {
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
    };
    let mut statements: Vec<Statement> = Vec::new();
    // The line where the next expectation may stand: right below the last statement or
    // expectation.
    let mut expect_line = None;
    loop {
        lexer.skip_blanks();
        match lexer.peek() {
            None => return Ok(statements),
            Some('\n') => {
                // A blank line.
                lexer.bump();
                expect_line = None;
            }
            Some('#') => {
                let line = lexer.line;
                let comment = lexer.rest_of_line();
                lexer.end_line();
                let Some(expect) = expectation(&comment, line)? else {
                    expect_line = None;
                    continue;
                };
                let statement = statements
                    .last_mut()
                    .filter(|_| expect_line == Some(line))
                    .ok_or_else(|| {
                        ScriptError::new(
                            line,
                            "an expectation must stand on the line right below the command it checks",
                        )
                    })?;
                statement.expects.push(expect);
                expect_line = Some(line + 1);
            }
            Some(_) => {
                let statement = lexer.statement()?;
                lexer.end_line();
                expect_line = Some(statement.end_line + 1);
                statements.push(statement);
            }
        }
    }
}

/// Reads `# expect: ...` and `# expect-error: ...`; other comments are `None`.
fn expectation(comment: &str, line: usize) -> Result<Option<Expect>, ScriptError> {
    let body = comment.trim_start_matches('#').trim_start();
    let (kind, rest) = if let Some(rest) = body.strip_prefix("expect-error:") {
        (Expect::Error as fn(String) -> Expect, rest)
    } else if let Some(rest) = body.strip_prefix("expect:") {
        (Expect::Output as fn(String) -> Expect, rest)
    } else if body.starts_with("expect") {
        return Err(ScriptError::new(
            line,
            format!("malformed expectation `{comment}`: write `# expect: TEXT` or `# expect-error: TEXT`"),
        ));
    } else {
        return Ok(None);
    };
    let text = rest.trim();
    if text.is_empty() {
        return Err(ScriptError::new(
            line,
            "an expectation needs a text to look for",
        ));
    }
    Ok(Some(kind(text.to_string())))
}

/// Where a word ends besides blanks and newlines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    TopLevel,
    /// Inside `$(...)`: a `)` ends the word.
    Substitution,
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn error(&self, message: impl Into<String>) -> ScriptError {
        ScriptError::new(self.line, message)
    }

    /// Skips spaces and tabs.
    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.bump();
        }
    }

    /// Skips spaces, tabs and `\`-newline continuations.
    fn skip_separators(&mut self) {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(' ' | '\t'), _) => {
                    self.bump();
                }
                (Some('\\'), Some('\n')) => {
                    self.bump();
                    self.bump();
                }
                _ => return,
            }
        }
    }

    /// Consumes the newline ending the current line, if any.
    fn end_line(&mut self) {
        if self.peek() == Some('\n') {
            self.bump();
        }
    }

    /// The rest of the current line (without its newline, which stays).
    fn rest_of_line(&mut self) -> String {
        let mut text = String::new();
        while let Some(c) = self.peek().filter(|&c| c != '\n') {
            text.push(c);
            self.bump();
        }
        text
    }

    fn statement(&mut self) -> Result<Statement, ScriptError> {
        let line = self.line;
        if let Some(name) = self.assignment_name() {
            let value = self.word(Context::TopLevel)?;
            self.skip_separators();
            match self.peek() {
                None | Some('\n') => {}
                Some('#') => {
                    self.rest_of_line();
                }
                Some(_) => {
                    return Err(self.error(format!(
                        "`{name}=... command`: environment prefixes are not supported; assign on a line of its own"
                    )))
                }
            }
            return Ok(Statement {
                line,
                end_line: self.line,
                body: Body::Assign { name, value },
                expects: Vec::new(),
            });
        }
        let mut words = Vec::new();
        let mut or_true = false;
        loop {
            self.skip_separators();
            match (self.peek(), self.peek_at(1)) {
                (None | Some('\n'), _) => break,
                (Some('#'), _) => {
                    self.rest_of_line();
                    break;
                }
                (Some('|'), Some('|')) => {
                    self.bump();
                    self.bump();
                    self.skip_separators();
                    let rest = self.word(Context::TopLevel)?;
                    self.skip_blanks();
                    let ends = matches!(self.peek(), None | Some('\n' | '#'));
                    if rest.parts != [Part::Text("true".into())] || !ends {
                        return Err(self.error("only `|| true` may follow a command"));
                    }
                    self.rest_of_line();
                    or_true = true;
                    break;
                }
                _ => words.push(self.word(Context::TopLevel)?),
            }
        }
        Ok(Statement {
            line,
            end_line: self.line,
            body: Body::Command { words, or_true },
            expects: Vec::new(),
        })
    }

    /// Consumes `NAME=` at the start of a statement and returns NAME.
    fn assignment_name(&mut self) -> Option<String> {
        let mut end = self.pos;
        while let Some(&c) = self.chars.get(end) {
            let ok = c == '_' || c.is_ascii_alphabetic() || (end > self.pos && c.is_ascii_digit());
            if !ok {
                break;
            }
            end += 1;
        }
        if end == self.pos || self.chars.get(end) != Some(&'=') {
            return None;
        }
        let name: String = self.chars[self.pos..end].iter().collect();
        self.pos = end + 1;
        Some(name)
    }

    fn word(&mut self, context: Context) -> Result<Word, ScriptError> {
        let mut word = Word::default();
        let mut text = String::new();
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' => break,
                ')' if context == Context::Substitution => break,
                '\'' => {
                    let opened = self.line;
                    self.bump();
                    if word.parts.is_empty() && text.is_empty() {
                        word.parts.push(Part::Text(String::new()));
                    }
                    loop {
                        match self.bump() {
                            None => {
                                return Err(ScriptError::new(opened, "unterminated single quote"))
                            }
                            Some('\'') => break,
                            Some(c) => text.push(c),
                        }
                    }
                }
                '"' => {
                    self.bump();
                    self.double_quoted(&mut word, &mut text)?;
                }
                '\\' => {
                    self.bump();
                    match self.bump() {
                        None => return Err(self.error("a `\\` ends the script")),
                        Some('\n') => {}
                        Some(c) => text.push(c),
                    }
                }
                '$' => {
                    self.bump();
                    flush(&mut word, &mut text);
                    let part = self.dollar(false)?;
                    word.parts.push(part);
                }
                '|' | ';' | '&' | '<' | '>' | '(' | ')' | '`' | '*' | '?' | '[' | ']' | '{'
                | '}' | '~' => {
                    return Err(self.error(format!(
                        "unquoted `{c}`: shell syntax the walkthrough interpreter does not support"
                    )))
                }
                c => {
                    self.bump();
                    text.push(c);
                }
            }
        }
        flush(&mut word, &mut text);
        Ok(word)
    }

    /// After an opening `"`: up to the closing one.
    fn double_quoted(&mut self, word: &mut Word, text: &mut String) -> Result<(), ScriptError> {
        let opened = self.line;
        // An empty quoted string still makes a word.
        if word.parts.is_empty() && text.is_empty() {
            word.parts.push(Part::Text(String::new()));
        }
        loop {
            match self.bump() {
                None => return Err(ScriptError::new(opened, "unterminated double quote")),
                Some('"') => return Ok(()),
                Some('\\') => match self.peek() {
                    Some(c @ ('$' | '`' | '"' | '\\')) => {
                        self.bump();
                        text.push(c);
                    }
                    Some('\n') => {
                        self.bump();
                    }
                    _ => text.push('\\'),
                },
                Some('$') => {
                    flush(word, text);
                    let part = self.dollar(true)?;
                    word.parts.push(part);
                }
                Some('`') => return Err(self.error("backquotes are not supported; use $(...)")),
                Some(c) => text.push(c),
            }
        }
    }

    /// After a `$`: a variable or a command substitution.
    fn dollar(&mut self, quoted: bool) -> Result<Part, ScriptError> {
        match self.peek() {
            Some('{') => {
                self.bump();
                let name = self.identifier();
                if name.is_empty() || self.bump() != Some('}') {
                    return Err(self.error(
                        "only `${NAME}` is supported inside braces (no defaults or other operators)",
                    ));
                }
                Ok(Part::Var { name, quoted })
            }
            Some('(') => {
                self.bump();
                if self.peek() == Some('(') {
                    return Err(self.error("arithmetic `$((...))` is not supported"));
                }
                let opened = self.line;
                let mut words = Vec::new();
                loop {
                    self.skip_separators();
                    match self.peek() {
                        Some(')') => {
                            self.bump();
                            break;
                        }
                        None | Some('\n') => {
                            return Err(ScriptError::new(opened, "unterminated `$(`"))
                        }
                        Some(_) => words.push(self.word(Context::Substitution)?),
                    }
                }
                Ok(Part::Subst { words, quoted })
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => Ok(Part::Var {
                name: self.identifier(),
                quoted,
            }),
            _ => Err(self.error("`$` must start `$NAME`, `${NAME}` or `$(command)`")),
        }
    }

    fn identifier(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self
            .peek()
            .filter(|&c| c == '_' || c.is_ascii_alphanumeric())
        {
            name.push(c);
            self.bump();
        }
        name
    }
}

/// Moves pending literal text into the word.
fn flush(word: &mut Word, text: &mut String) {
    if text.is_empty() {
        return;
    }
    match word.parts.last_mut() {
        Some(Part::Text(last)) => last.push_str(text),
        _ => word.parts.push(Part::Text(text.clone())),
    }
    text.clear();
}
