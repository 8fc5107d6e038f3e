#pragma once
// SIGTERM/SIGINT handling shared by the long-running subcommands. A handler, not a signal mask plus
// sigwait: libraries start threads before main() (OpenBLAS's pool), a mask set later does not cover
// them, and a stop signal delivered to one of them would kill the process. The handler only counts and
// wakes the waiting thread through a pipe; a second signal exits at once with status 130.

namespace tbml::cli {

// Installs the handlers (and ignores SIGPIPE). Call once, early.
void install_stop_handlers();
// Blocks until the first stop signal; returns its number.
int wait_for_stop_signal();

}  // namespace tbml::cli
