#pragma once
// The httplib set-up shared by the tbml API server (api/http_server) and the core simulator
// (sim/core_sim_server): socket options, timeouts, keep-alive, and a start that binds, listens and
// accepts within a deadline or fails with a message naming the address. Includes httplib.h, so only
// the api and sim stages include this header.
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <httplib.h>

namespace tbml {

struct ListenerOptions {
  std::string name = "server";  // names the server in errors ("tbml", "core-sim")
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = ephemeral
  int read_timeout_ms = 5000;
  int write_timeout_ms = 5000;
  // Short: an idle kept-alive connection holds a worker, and delays shutdown, for up to this long.
  int keep_alive_timeout_s = 2;
  std::size_t keep_alive_max_count = 10000;
  // Bind, listen and a running accept loop must all happen within this, or start_listener throws.
  std::chrono::milliseconds start_deadline{5000};
};

// Applies the options every server here needs: TCP_NODELAY, the timeouts and keep-alive.
void configure_listener(httplib::Server& server, const ListenerOptions& options);

// Binds host:port (0: an ephemeral port) with SO_REUSEADDR and without httplib's default SO_REUSEPORT
// (which lets a second process bind the same port silently), raises the listen backlog, runs the accept loop on `thread`
// (then `after_loop`, when given, on that thread) and returns the bound port once the loop accepts.
// Throws std::runtime_error naming the server and address when the port cannot be bound or the loop is
// not running within start_deadline; the loop is then stopped and the thread joined. Call
// configure_listener first.
int start_listener(httplib::Server& server, const ListenerOptions& options, std::thread& thread,
                   std::function<void()> after_loop = {});

}  // namespace tbml
