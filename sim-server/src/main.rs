//! The emulator's PocketIC-compatible server. Point `POCKET_IC_BIN` at this binary.

use ic_sim_server::cli::{self, Command, VERSION_LINE};

fn main() {
    match cli::parse(std::env::args().skip(1)) {
        Ok(Command::PrintVersion) => println!("{VERSION_LINE}"),
        Ok(Command::Serve(options)) => run(ic_sim_server::serve(options)),
        Ok(Command::Launch(options)) => run(ic_sim_server::launcher::launch(options)),
        Err(e) => {
            eprintln!("ic-sim-server: {e}");
            std::process::exit(2);
        }
    }
}

/// Runs the server on a multi-threaded runtime; exits with 1 if it fails.
fn run(server: impl std::future::Future<Output = std::io::Result<()>>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("cannot start the async runtime");
    if let Err(e) = runtime.block_on(server) {
        eprintln!("ic-sim-server: {e}");
        std::process::exit(1);
    }
}
