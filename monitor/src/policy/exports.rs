//! Which hooks a canister exports, read from the service description it publishes as its
//! `candid:service` metadata.

use crate::api::{EventKind, Hooks};

/// Name of the public metadata section holding a canister's Candid service description.
pub const CANDID_SERVICE: &str = "candid:service";

/// The hook endpoints `did` (a Candid service description) declares; `None` when it holds no
/// service.
pub fn exported_hooks(did: &str) -> Option<Hooks> {
    let methods = service_methods(did)?;
    let mut bits = 0;
    for kind in EventKind::ALL {
        if methods.iter().any(|m| m == kind.endpoint()) {
            bits |= kind.bit();
        }
    }
    Some(Hooks::from_bits(bits))
}

/// `did` without `//` line comments and `/* */` block comments.
fn strip_comments(did: &str) -> String {
    let mut out = String::with_capacity(did.len());
    let mut rest = did;
    while let Some(i) = rest.find('/') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if after.starts_with("//") {
            rest = after.find('\n').map_or("", |n| &after[n..]);
        } else if after.starts_with("/*") {
            rest = after.find("*/").map_or("", |n| &after[n + 2..]);
        } else {
            out.push('/');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The method names of the top-level `service` declaration of `did`: without comments, the
/// body is the first `{ ... }` after the `service` keyword outside the init arguments'
/// parentheses; each `;`-separated declaration in it starts with the (possibly quoted) method
/// name and a colon.
pub fn service_methods(did: &str) -> Option<Vec<String>> {
    let did = &strip_comments(did);
    let start = did.match_indices("service").map(|(i, _)| i).find(|&i| {
        let before = did[..i].trim_end();
        before.is_empty() || before.ends_with(';')
    })?;
    let mut parens = 0i32;
    let mut body_start = None;
    for (i, c) in did[start..].char_indices() {
        match c {
            '(' => parens += 1,
            ')' => parens -= 1,
            '{' if parens == 0 => {
                body_start = Some(start + i + 1);
                break;
            }
            _ => {}
        }
    }
    let body = &did[body_start?..];
    let mut methods = vec![];
    let mut depth = 0i32;
    let mut declaration = String::new();
    for c in body.chars() {
        match c {
            '{' | '(' => depth += 1,
            '}' | ')' if depth == 0 => break,
            '}' | ')' => depth -= 1,
            ';' if depth == 0 => {
                methods.extend(method_name(&declaration));
                declaration.clear();
                continue;
            }
            _ => {}
        }
        declaration.push(c);
    }
    methods.extend(method_name(&declaration));
    Some(methods)
}

/// The name declared by `name : type`, unquoted.
fn method_name(declaration: &str) -> Option<String> {
    let (name, _) = declaration.split_once(':')?;
    let name = name.trim().trim_matches('"');
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_hooks_of_a_service_with_init_arguments() {
        let did = r#"
            // on_low_memory : (x) -> ();  (a comment, not a method)
            type Init = record { monitor : opt principal; nested : record { on_error : nat } };
            type Ev = record { id : nat64 };
            service : (opt Init) -> {
              greet : (text) -> (text) query;
              /* "on_low_memory" : ... */
              on_low_cycles : (Ev) -> ();
              "on_error" : (record { id : nat64; on_low_memory : bool }) -> ();
            }
        "#;
        assert_eq!(
            exported_hooks(did),
            Some(Hooks {
                on_low_cycles: true,
                on_low_memory: false,
                on_error: true,
            })
        );
    }

    #[test]
    fn a_service_without_arguments_or_hooks() {
        assert_eq!(
            exported_hooks("service : { ping : () -> () }"),
            Some(Hooks::default())
        );
        let all = "service : {on_low_cycles:(E)->();on_low_memory:(E)->();on_error:(E)->()}";
        assert_eq!(exported_hooks(all).map(|h| h.bits()), Some(7));
        assert_eq!(exported_hooks("type T = nat;"), None);
    }
}
