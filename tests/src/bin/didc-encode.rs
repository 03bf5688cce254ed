//! A stand-in for `didc encode -d FILE -t TYPES TEXT` (the Candid command-line tool, which no
//! registry this project installs from carries) for the tests that run the project's scripts with
//! real bash: `scripts/upgrade-canister.sh --arg` encodes the post_upgrade argument with it. It
//! types TEXT as didc does, with `candid_parser` (through `tools/dfx-script`), and prints the bytes
//! in hex; anything else is refused.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match encode(&args) {
        Ok(hex) => {
            println!("{hex}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("didc: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `encode -d FILE -t TYPES TEXT` (or `--defs`, `--types`), in any order.
fn encode(args: &[String]) -> Result<String, String> {
    let usage = || "usage: didc encode -d FILE -t TYPES TEXT (typed encoding only)".to_string();
    let Some((command, rest)) = args.split_first() else {
        return Err(usage());
    };
    if command != "encode" {
        return Err(usage());
    }
    let (mut defs, mut types, mut text) = (None, None, None);
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        let slot = match arg.as_str() {
            "-d" | "--defs" => &mut defs,
            "-t" | "--types" => &mut types,
            _ if text.is_none() => {
                text = Some(arg.clone());
                continue;
            }
            _ => return Err(format!("unexpected argument `{arg}`; {}", usage())),
        };
        *slot = Some(
            rest.next()
                .ok_or_else(|| format!("{arg} needs a value"))?
                .clone(),
        );
    }
    let (Some(defs), Some(types), Some(text)) = (defs, types, text) else {
        return Err(usage());
    };
    dfx_script::didc_encode(Path::new(&defs), &types, &text)
}
