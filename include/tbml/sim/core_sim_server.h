#pragma once
// CoreSimServer: serves a CoreSimulator over HTTP (httplib) on its own thread, acting out the transport
// faults (hang, slow drip). Every route goes through CoreSimulator::handle; this class only adapts.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tbml/sim/core_sim.h"

namespace tbml {

struct CoreSimTransportOptions {
  int hang_ms = 30'000;        // how long a hanging response waits (stop() interrupts it)
  int drip_interval_ms = 250;  // slow_drip: one chunk per interval ...
  std::size_t drip_bytes = 4;  // ... of this many bytes (16 bytes/s by default)
  // Hanging responses each hold a worker for up to hang_ms while clients time out and retry: enough workers
  // that control routes (POST /sim/fault) are still served meanwhile. Each thread costs ~120 KiB of RSS
  // (the static TLS of the ~290 libraries libtorch loads), so the demo's in-process stand-in uses fewer.
  std::size_t workers = 64;
};

class CoreSimServer {
 public:
  explicit CoreSimServer(std::shared_ptr<CoreSimulator> simulator, CoreSimTransportOptions transport = {});
  ~CoreSimServer();
  CoreSimServer(const CoreSimServer&) = delete;
  CoreSimServer& operator=(const CoreSimServer&) = delete;

  // Binds (port 0 = ephemeral), starts serving on a thread and returns once it accepts connections.
  // Returns the bound port. Throws std::runtime_error when binding fails or it is already started.
  int start(const std::string& host, int port);
  // Interrupts hanging/dripping responses, stops the listener and joins. Idempotent.
  void stop();

  int port() const { return port_; }
  const std::shared_ptr<CoreSimulator>& simulator() const { return simulator_; }

 private:
  struct Impl;
  // Sleeps up to ms; returns false when stop() interrupted the wait.
  bool wait_unless_stopping(int ms);

  std::shared_ptr<CoreSimulator> simulator_;
  CoreSimTransportOptions transport_;
  std::unique_ptr<Impl> impl_;  // keeps httplib out of this header
  std::thread thread_;
  int port_ = 0;
  bool started_ = false;
  std::atomic<bool> listener_done_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

}  // namespace tbml
