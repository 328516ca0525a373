//! The `capz` binary: everything lives in [`runtime::cli`].

fn main() -> std::process::ExitCode {
    runtime::cli::main()
}
