use std::process::ExitCode;

fn main() -> ExitCode {
    // Departments usually live on private addresses, which the federation library refuses
    // unless this is set. Groundswell's own policy takes its place: its HTTP client resolves
    // only the names in `federation.allowed_domains`, and every URL is checked against that
    // list, so private addresses are reached only for allowed departments.
    // SAFETY: set before any other thread exists.
    unsafe { std::env::set_var("DANGER_FEDERATION_ALLOW_LOCAL_IP", "1") };
    groundswell::install_crypto_provider();
    groundswell::cli::main()
}
