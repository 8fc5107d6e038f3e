#pragma once
// Starts the real tbml binary as a child process for integration tests, with its output captured to a
// log file, and stops it (SIGTERM, then SIGKILL after a deadline) when the object goes away.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tbml::testing {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {},
               const std::string& log_path = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends a signal; returns immediately.
  void signal(int sig);
  // Waits for exit up to the timeout; returns the exit status (WEXITSTATUS, or 128+signal) or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL after the grace period. Returns the exit status.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));
  std::string log() const;
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string log_path_;
};

// The tbml binary the tests start: TBML_TEST_BINARY when set (scripts/asan.sh points these programs,
// built once in build/, at its ASan + UBSan binary), else the one built next to them.
const char* tbml_binary();
#define TBML_BINARY (::tbml::testing::tbml_binary())

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
// Polls `probe` every 50 ms until it returns true or the timeout passes.
bool wait_until(const std::function<bool()>& probe, std::chrono::milliseconds timeout);
// A fresh empty directory under the test temp dir.
std::string make_temp_dir(const std::string& prefix);

}  // namespace tbml::testing
