//! The mls binary: build the runtime, run, exit with the code `mls::run` chose.

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(mls::run(std::env::args_os().collect()));
    // Don't wait for background tasks (event streams, log followers) to wind down.
    runtime.shutdown_background();
    std::process::exit(code);
}
