//! The push gateway benchmark without the whole `ferry` binary:
//!
//! ```sh
//! cargo run --release -p ferry-ppg --example ppg_bench -- [--kannel] [--connections N] [--seconds S] [--rounds R] [--body 100,200]
//! ```
//!
//! Same as `ferry ppg bench`; it runs Ferry's gateway as `ppg_bench ppg serve --config …`.

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("ppg") && args.get(1).map(String::as_str) == Some("serve") {
        let config = args.get(3).ok_or_else(|| anyhow::anyhow!("usage: ppg_bench ppg serve --config FILE"))?;
        return ferry_ppg::cli::serve(std::path::Path::new(config));
    }
    let mut b = ferry_ppg::cli::BenchCommand {
        connections: 32,
        seconds: 10,
        body_lens: vec![100, 200],
        kannel: false,
        kannel_log_level: 2,
        rounds: 3,
        ferry_exe: std::env::current_exe()?,
        dir: "target/ppg-bench".into(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or_else(|| anyhow::anyhow!("{a} needs a value"));
        match a.as_str() {
            "--kannel" => b.kannel = true,
            "--connections" => b.connections = val()?.parse()?,
            "--seconds" => b.seconds = val()?.parse()?,
            "--rounds" => b.rounds = val()?.parse()?,
            "--kannel-log-level" => b.kannel_log_level = val()?.parse()?,
            "--dir" => b.dir = val()?.into(),
            "--body" => b.body_lens = val()?.split(',').map(str::parse).collect::<Result<_, _>>()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    ferry_ppg::cli::bench(&b)
}
