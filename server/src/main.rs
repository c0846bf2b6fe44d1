fn main() -> std::process::ExitCode {
    vanguard_server::cli::main()
}
