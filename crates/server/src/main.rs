use clap::Parser;

/// mimalloc instead of the system allocator: a request allocates and frees many small
/// blocks (rows, values, the JSON answer), and glibc's malloc spent 15 % of the server's CPU
/// on them in the database-path profile (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use presale::cli::{run, Cli};
use std::process::ExitCode;

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
