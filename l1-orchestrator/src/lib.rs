//! The settlement L1 node: bank, bonds and the OPinit bridge (ophost) module.
