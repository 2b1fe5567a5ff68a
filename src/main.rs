use clap::Parser;

fn main() {
    if std::env::var("SOTECHECK_MALLOC").as_deref() != Ok("default") {
        sotecheck::memory::tune_allocator();
    }
    let cli = sotecheck::cli::Cli::parse();
    let code = match sotecheck::cli::run(cli) {
        Ok(code) => code,
        Err(sotecheck::cli::UsageError(msg)) => {
            eprintln!("error: {msg}");
            2
        }
    };
    std::process::exit(code);
}
