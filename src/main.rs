use std::process::ExitCode;

fn main() -> ExitCode {
    groundswell::install_crypto_provider();
    groundswell::cli::main()
}
