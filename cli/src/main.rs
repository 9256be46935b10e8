//! The `minitia` command-line tool.

fn main() {}
