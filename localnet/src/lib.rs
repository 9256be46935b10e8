//! Process orchestration that runs an L1, DA and minitias on one machine.
