//! `ferry-mmsc --config FILE`: the MMSC alone (the same server as
//! `ferry mmsc`, without the other subcommands). The crash-recovery test
//! runs it as a child process.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let path = match (args.next(), args.next()) {
        (Some(flag), Some(path)) if flag == "--config" => path,
        _ => {
            eprintln!("usage: ferry-mmsc --config FILE");
            return ExitCode::from(2);
        }
    };
    match ferry_mmsc::cli::serve(std::path::Path::new(&path)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferry-mmsc: {e:#}");
            ExitCode::FAILURE
        }
    }
}
