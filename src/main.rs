use clap::Parser;

fn main() {
    sotecheck::memory::tune_allocator();
    let cli = sotecheck::cli::Cli::parse();
    // A limit set to something unreadable is refused before any package is opened.
    if let Err(e) = sotecheck::package::limits::Limits::from_env() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
    let code = match sotecheck::cli::run(cli) {
        Ok(code) => code,
        Err(sotecheck::cli::UsageError(msg)) => {
            eprintln!("error: {msg}");
            2
        }
    };
    std::process::exit(code);
}
