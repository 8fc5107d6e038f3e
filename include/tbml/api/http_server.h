#pragma once
// The HTTP adapter: one route table, one place that turns exceptions into the contract's error JSON, CORS,
// bearer-token auth for mutating routes, access log and request metrics. Handlers only call the Service,
// which reads published snapshots: no handler runs a model, waits on training or touches the network.
// Request bodies are framed as RFC 9112 says (none without Content-Length or chunked encoding, so a bare
// `curl -X POST` is an empty body), capped at max_body_bytes, and a body that cannot be read is answered
// only after authentication, with the reason, and the connection closed.
#include <memory>
#include <string>
#include <vector>

namespace tbml {

class Service;

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 3001;  // 0 = ephemeral (tests)
  int threads = 8;  // workers at most: a kept-alive connection holds one until it closes
  int min_threads = 8;  // workers kept while idle; idle ones beyond exit after thread_idle_timeout_ms
  int thread_idle_timeout_ms = 30000;
  int worker_slice_us = 100;  // the workers' scheduler slice; 0 = the kernel's default
  std::vector<std::string> cors_origins{"*"};
  std::string api_token;  // empty = mutating routes are open
  bool protect_reads = false;
  std::size_t max_body_bytes = 1 << 20;
  int read_timeout_ms = 5000;
  int write_timeout_ms = 5000;
  // Bind, listen and a running accept loop within this, or start() throws (http/listener.h).
  int start_deadline_ms = 5000;
  // Connections queued or being served at once; beyond it a connection is answered 503 "Server busy".
  int max_connections = 512;
  bool access_log = false;  // info level when true, debug otherwise
  // False: every request (health too) answers 503 "Service starting" until mark_ready(), because the
  // Service must not be queried while Service::start() is still building its parts.
  bool start_ready = true;
};

class HttpServer {
 public:
  HttpServer(Service& service, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and serves on a background thread; returns the bound port. Throws std::runtime_error naming
  // the address when the port is taken or the server does not accept within start_deadline_ms.
  int start();
  // Stops accepting, lets in-flight requests finish, joins.
  void stop();
  // Lets requests reach the Service (see HttpServerOptions::start_ready).
  void mark_ready();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tbml
