//! Parses its arguments with clap's derive, checks them with a thiserror
//! error type, and prints them as JSON through serde's derive.

use clap::Parser;
use serde::{Deserialize, Serialize};

#[derive(Parser, Debug)]
#[command(about = "derive-demo: clap, serde and thiserror derives")]
struct Args {
    /// Who to greet.
    #[arg(long)]
    name: String,
    /// How many times.
    #[arg(long, default_value_t = 1)]
    times: u32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Greeting {
    name: String,
    times: u32,
    words: Vec<String>,
}

#[derive(thiserror::Error, Debug)]
enum DemoError {
    #[error("--times must be between 1 and 10, not {0}")]
    Times(u32),
    #[error("the JSON did not round-trip: {0}")]
    Json(#[from] serde_json::Error),
}

fn greet(args: &Args) -> Result<String, DemoError> {
    if !(1..=10).contains(&args.times) {
        return Err(DemoError::Times(args.times));
    }
    let greeting = Greeting {
        name: args.name.clone(),
        times: args.times,
        words: (0..args.times)
            .map(|_| format!("hello, {}", args.name))
            .collect(),
    };
    let json = serde_json::to_string(&greeting)?;
    let back: Greeting = serde_json::from_str(&json)?;
    assert_eq!(back, greeting);
    Ok(json)
}

fn main() {
    let args = Args::parse();
    match greet(&args) {
        Ok(json) => println!("derive-demo: {json}"),
        Err(e) => {
            eprintln!("derive-demo: {e}");
            std::process::exit(2);
        }
    }
}
