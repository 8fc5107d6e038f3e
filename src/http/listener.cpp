#include "tbml/http/listener.h"

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "tbml/util/logging.h"

namespace tbml {

namespace {

std::string address(const ListenerOptions& o, int port) { return o.host + ":" + std::to_string(port); }

}  // namespace

void configure_listener(httplib::Server& server, const ListenerOptions& options) {
  server.set_read_timeout(options.read_timeout_ms / 1000, (options.read_timeout_ms % 1000) * 1000);
  server.set_write_timeout(options.write_timeout_ms / 1000, (options.write_timeout_ms % 1000) * 1000);
  // httplib writes headers and body separately; without TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms
  // to every response on a kept-alive connection.
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(options.keep_alive_max_count);
  server.set_keep_alive_timeout(options.keep_alive_timeout_s);
}

int start_listener(httplib::Server& server, const ListenerOptions& options, std::thread& thread,
                   std::function<void()> after_loop) {
  if (options.port < 0 || options.port > 65535)
    throw std::invalid_argument(options.name + ": port must be in [0, 65535], not " + std::to_string(options.port));
  if (thread.joinable()) throw std::logic_error(options.name + ": the listener is already started");
  const auto deadline = std::chrono::steady_clock::now() + options.start_deadline;
  // The listening socket, seen in the socket-options callback, so that its backlog can be raised.
  auto listen_fd = std::make_shared<int>(-1);
  server.set_socket_options([listen_fd](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof yes);
    *listen_fd = sock;
  });
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
  } else if (!server.bind_to_port(options.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    throw std::runtime_error(options.name + ": cannot bind " + address(options, options.port) +
                             (options.port == 0 ? " (no ephemeral port)" : " (is another process using it?)"));
  }
  // Debian's httplib 0.11 is a compiled library that listens with a backlog of 5: a burst of new clients
  // then loses SYNs and waits 1-3 s for the retransmit. listen() again on the bound socket raises it.
  if (*listen_fd >= 0 && ::listen(*listen_fd, SOMAXCONN) != 0)
    get_logger("http")->warn("{}: cannot raise the listen backlog: {}", options.name, std::strerror(errno));
  auto loop_done = std::make_shared<std::atomic<bool>>(false);
  thread = std::thread([&server, loop_done, after = std::move(after_loop)] {
    server.listen_after_bind();
    loop_done->store(true);
    if (after) after();
  });
  // The socket already queues connections; wait for the accept loop, so that stop() can end it.
  while (!server.is_running() && !loop_done->load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!server.is_running()) {
    // httplib's stop() is a no-op until the loop runs: stop it once it does, or let it end by itself.
    while (!loop_done->load()) {
      if (server.is_running()) server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    thread.join();
    throw std::runtime_error(options.name + ": the listener on " + address(options, port) + " did not start within " +
                             std::to_string(options.start_deadline.count()) + " ms");
  }
  return port;
}

}  // namespace tbml
