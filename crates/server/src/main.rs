use clap::Parser;

use presale::cli::{run, Cli};
use std::process::ExitCode;

/// mimalloc instead of the C library's allocator: a page of events allocates and frees thousands
/// of small strings, and glibc's malloc spent a fifth of the server's time on them
/// (docs/performance.md, "The event list's database path").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
