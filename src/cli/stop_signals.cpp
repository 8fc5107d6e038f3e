#include "cli/stop_signals.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace tbml::cli {
namespace {

int g_signal_pipe[2] = {-1, -1};
volatile sig_atomic_t g_signals = 0;
volatile sig_atomic_t g_last_signal = 0;

extern "C" void on_stop_signal(int sig) {
  g_last_signal = sig;
  if (++g_signals >= 2) ::_exit(130);
  char c = 1;
  [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &c, 1);
}

}  // namespace

void install_stop_handlers() {
  if (g_signal_pipe[0] < 0 && ::pipe(g_signal_pipe) != 0) throw std::runtime_error("cannot create the signal pipe");
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

int wait_for_stop_signal() {
  char c = 0;
  while (::read(g_signal_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }
  return g_last_signal;
}

}  // namespace tbml::cli
