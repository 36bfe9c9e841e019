//! `tsunagu`: one binary for the server and the administrator's commands.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = tsunagu::cli::Cli::parse();
    tsunagu::cli::init_logging(cli.log_json);
    match tsunagu::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("エラー: {e:#}");
            ExitCode::FAILURE
        }
    }
}
