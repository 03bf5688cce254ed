//! Runs the demo story and writes `target/demo/report.html`.

use canister_hooks_demo::report::{self, CanisterReport};
use canister_hooks_demo::story;
use canister_hooks_demo::world::Modules;
use canister_hooks_testkit::monitor::Registration;
use canister_hooks_testkit::SimIc;
use std::path::PathBuf;

fn main() {
    if let Err(e) = run() {
        eprintln!("demo failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let modules = Modules::load_from(&root.join("target/canisters"))?;
    let sim = SimIc::new(ic_sim::Sim::new(ic_sim::SimConfig::default()));
    let (mut world, mut journal) = story::setup(sim, &modules, true);
    println!("== canister-hooks demo (emulated time, mm:ss) ==");
    story::readiness(&mut world, &modules, &mut journal)?;
    let registrations = story::register(&mut world, &mut journal)?;
    story::record_samples(&mut world, &mut journal);
    story::burn_cycles(&mut world, &mut journal)?;
    story::grow_memory(&mut world, &mut journal)?;
    story::trapping_timer(&mut world, &mut journal)?;
    story::outage(&mut world, &modules, &mut journal)?;
    story::upgrades(&mut world, &modules, &mut journal)?;
    story::backups(&mut world, &mut journal)?;

    let events = story::events(&mut world, None)?;
    let reports: Vec<CanisterReport> = world
        .ids
        .targets()
        .into_iter()
        .zip(&registrations)
        .map(
            |((name, id), registration): ((&'static str, _), &Registration)| CanisterReport {
                name,
                registration,
                events: events.iter().filter(|e| e.canister_id == id).collect(),
            },
        )
        .collect();
    println!(
        "\n== summary ==\n{}",
        report::summary_table(&reports, &journal)
    );
    let webhooks = world.receiver.borrow().log.clone();
    println!(
        "\n== webhook receiver ==\n{}",
        report::receiver_log(&journal, &webhooks)
    );
    let out_dir = root.join("target/demo");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let path = out_dir.join("report.html");
    std::fs::write(&path, report::html(&reports, &journal, &webhooks))
        .map_err(|e| e.to_string())?;
    println!(
        "HTML report: {}",
        path.canonicalize().unwrap_or(path).display()
    );
    Ok(())
}
