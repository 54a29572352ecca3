//! How many virtual CPUs a VeridianOS guest gets: the one `--cpus` flag
//! (default from `VERIDIAN_CPUS`, else 1) shared by `veridian-run` and every
//! `cargo xtask` command that boots QEMU, and the one place QEMU's `-smp`
//! arguments are written.

use std::fmt;
use std::str::FromStr;

/// The environment variable giving the CPU count when `--cpus` is absent.
pub const ENV: &str = "VERIDIAN_CPUS";

/// The most CPUs asked of QEMU (its `pc` machine allows 255 without an IOMMU).
pub const MAX: u32 = 255;

/// A virtual CPU count, 1..=[`MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cpus(u32);

impl Cpus {
    /// One CPU: the default.
    pub const ONE: Cpus = Cpus(1);

    /// `n` CPUs, if 1..=[`MAX`].
    pub fn new(n: u32) -> Option<Cpus> {
        (1..=MAX).contains(&n).then_some(Cpus(n))
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// QEMU's arguments for this count: `-smp N`.
    pub fn qemu_args(self) -> [String; 2] {
        ["-smp".to_string(), self.0.to_string()]
    }
}

impl Default for Cpus {
    fn default() -> Cpus {
        Cpus::ONE
    }
}

impl FromStr for Cpus {
    type Err = String;

    fn from_str(s: &str) -> Result<Cpus, String> {
        let n: u32 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a CPU count"))?;
        Cpus::new(n).ok_or_else(|| format!("{n} CPUs: the count must be 1..={MAX}"))
    }
}

impl fmt::Display for Cpus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The `--cpus N` flag, for `#[command(flatten)]` into a clap command.
#[derive(Clone, Copy, Debug, clap::Args)]
pub struct CpusArg {
    /// Virtual CPUs of the guest (QEMU's -smp).
    #[arg(long = "cpus", value_name = "N", env = ENV, default_value_t = Cpus::ONE)]
    pub cpus: Cpus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        cpus: CpusArg,
    }

    #[test]
    fn counts_parse_within_bounds() {
        assert_eq!("4".parse::<Cpus>(), Ok(Cpus(4)));
        assert_eq!(" 1 ".parse::<Cpus>(), Ok(Cpus::ONE));
        assert!("0".parse::<Cpus>().is_err());
        assert!("256".parse::<Cpus>().is_err());
        assert!("two".parse::<Cpus>().is_err());
        assert!("-1".parse::<Cpus>().is_err());
    }

    #[test]
    fn qemu_gets_smp() {
        assert_eq!(Cpus(2).qemu_args(), ["-smp", "2"]);
    }

    #[test]
    fn flag_wins_over_default() {
        // The environment is left alone here (tests run in parallel);
        // clap's env handling is its own.
        let cli = Cli::try_parse_from(["x", "--cpus", "4"]).expect("parses");
        assert_eq!(cli.cpus.cpus, Cpus(4));
        assert!(Cli::try_parse_from(["x", "--cpus", "0"]).is_err());
    }

    #[test]
    fn default_is_one_cpu_from_the_environment_variable() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_id() == "cpus")
            .expect("--cpus");
        assert_eq!(arg.get_default_values(), ["1"]);
        assert_eq!(arg.get_env(), Some(std::ffi::OsStr::new(ENV)));
    }
}
