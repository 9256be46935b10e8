//! IBC packet relaying (ICS-20) between the L1 and minitias.
