#[global_allocator]
static ALLOCATOR: vanguard_server::ServerAllocator = vanguard_server::ServerAllocator;

fn main() -> std::process::ExitCode {
    vanguard_server::cli::main()
}
