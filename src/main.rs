use clap::Parser;

fn main() {
    if std::env::var("SOTECHECK_MALLOC").as_deref() != Ok("default") {
        sotecheck::memory::tune_allocator();
    }
    // A mistake on the command line is a usage error (3), apart from data that could not be
    // read (2); asking for help or the version is not a mistake.
    let cli = match sotecheck::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            std::process::exit(if e.use_stderr() { 3 } else { 0 });
        }
    };
    // A limit set to something unreadable is refused before any package is opened.
    if let Err(e) = sotecheck::package::limits::Limits::from_env() {
        eprintln!("error: {e}");
        std::process::exit(3);
    }
    let code = match sotecheck::cli::run(cli) {
        Ok(code) => code,
        Err(sotecheck::cli::UsageError(msg)) => {
            eprintln!("error: {msg}");
            3
        }
    };
    std::process::exit(code);
}
