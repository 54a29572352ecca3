//! The kernel's profile report (`stats` on the kernel command line): for
//! each kind of kernel work a count, the time spent on the CPU and bytes
//! moved, printed as `KSTAT` lines, the costliest first.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// What was counted for one kind of work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    /// Time on the CPU (time switched out while blocked is not counted).
    pub ns: u64,
    pub bytes: u64,
}

/// One row of the report: its group (`syscall`, `fault`, `disk`, …), its
/// name and what was counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub group: &'static str,
    pub name: &'static str,
    pub tally: Tally,
}

/// The report: a header, then one `KSTAT <group> <name> count=<n>
/// ms=<total> us_each=<mean> bytes=<b>` line per row that counted
/// anything, by time spent, then `KSTAT end`. `wall_ns` is the time since
/// boot and `idle_ns` the time CPUs spent halted, both over all CPUs.
pub fn report(rows: &[Row], cpus: usize, wall_ns: u64, idle_ns: u64) -> String {
    let mut used: Vec<&Row> = rows.iter().filter(|r| r.tally.count > 0).collect();
    used.sort_by(|a, b| b.tally.ns.cmp(&a.tally.ns).then(a.name.cmp(b.name)));
    let mut out = format!(
        "KSTAT cpus={cpus} wall_ms={} cpu_ms={} idle_ms={}\n",
        wall_ns / 1_000_000,
        wall_ns.saturating_mul(cpus as u64) / 1_000_000,
        idle_ns / 1_000_000
    );
    for r in used {
        let t = r.tally;
        out += &format!(
            "KSTAT {} {} count={} ms={} us_each={} bytes={}\n",
            r.group,
            r.name,
            t.count,
            t.ns / 1_000_000,
            t.ns / 1000 / t.count,
            t.bytes
        );
    }
    out += "KSTAT end\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: &'static str, name: &'static str, count: u64, ns: u64) -> Row {
        Row {
            group,
            name,
            tally: Tally {
                count,
                ns,
                bytes: 0,
            },
        }
    }

    #[test]
    fn costliest_first_and_unused_rows_left_out() {
        let rows = [
            row("syscall", "read", 10, 5_000_000),
            row("syscall", "write", 0, 0),
            row("fault", "page", 4, 8_000_000),
        ];
        let r = report(&rows, 2, 3_000_000_000, 1_000_000_000);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(
            lines,
            [
                "KSTAT cpus=2 wall_ms=3000 cpu_ms=6000 idle_ms=1000",
                "KSTAT fault page count=4 ms=8 us_each=2000 bytes=0",
                "KSTAT syscall read count=10 ms=5 us_each=500 bytes=0",
                "KSTAT end",
            ]
        );
    }
}
