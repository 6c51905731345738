use clap::Parser;
use presale::cli::{run, Cli};
use std::process::ExitCode;

// glibc's allocator spent a fifth of a list request's server time in malloc_consolidate and
// friends across the blocking pool's threads; mimalloc keeps per-thread free lists.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
