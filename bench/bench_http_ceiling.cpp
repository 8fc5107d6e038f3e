// The HTTP ceiling (issue #13): the least work cpp-httplib can do per request on this machine, with the
// worker pool, socket options and keep-alive settings tbml's API server uses (the http stage's
// configure_listener, start_listener and BoundedTaskQueue), answering every GET with one fixed JSON body.
// scripts/bench.sh runs it next to `tbml serve` under the same wrk runs and reports tbml as a ratio of it.
//
//   bench_http_ceiling [--port N] [--host H] [--threads N] [--min-threads N] [--thread-idle-timeout-ms N]
//                      [--worker-slice-us N]
//                      [--max-connections N] [--body-file F | --body-bytes N]
//
// Prints "port=<bound port> bodyBytes=<n>" once it accepts, then serves until SIGINT or SIGTERM.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <httplib.h>

#include "tbml/http/bounded_task_queue.h"
#include "tbml/http/listener.h"

namespace {

struct Options {
  tbml::ListenerOptions listener;
  // The API server's pool with config/default.json's server.threads (256), server.minThreads (8),
  // server.threadIdleTimeoutMs (30000) and server.maxConnections (512): WorkerPoolOptions' defaults.
  tbml::WorkerPoolOptions pool;
  std::string body_file;
  long body_bytes = 0;  // without a file: a JSON object padded to this many bytes
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "bench_http_ceiling: " << why
            << "\nusage: bench_http_ceiling [--port N] [--host H] [--threads N] [--min-threads N] "
               "[--thread-idle-timeout-ms N] [--worker-slice-us N] [--max-connections N] [--body-file F | --body-bytes N]\n";
  std::exit(2);
}

long number(const std::string& flag, const char* text, long lo, long hi) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < lo || v > hi)
    usage(flag + " needs an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  o.listener.name = "ceiling";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(a + " needs a value");
    const char* v = argv[++i];
    if (a == "--port") o.listener.port = static_cast<int>(number(a, v, 0, 65535));
    else if (a == "--host") o.listener.host = v;
    else if (a == "--threads") o.pool.max_workers = static_cast<std::size_t>(number(a, v, 1, 1024));
    else if (a == "--min-threads") o.pool.min_workers = static_cast<std::size_t>(number(a, v, 1, 1024));
    else if (a == "--thread-idle-timeout-ms") o.pool.idle_timeout = std::chrono::milliseconds(number(a, v, 100, 3600000));
    else if (a == "--worker-slice-us") o.pool.worker_slice = std::chrono::microseconds(number(a, v, 0, 100000));
    else if (a == "--max-connections") o.pool.max_connections = static_cast<std::size_t>(number(a, v, 1, 65536));
    else if (a == "--body-file") o.body_file = v;
    else if (a == "--body-bytes") o.body_bytes = number(a, v, 2, 64L << 20);
    else usage("unknown argument " + a);
  }
  if (o.body_file.empty() && o.body_bytes == 0) o.body_bytes = 2048;
  if (o.pool.min_workers > o.pool.max_workers) usage("--min-threads must not exceed --threads");
  // As the API server does (http_server.cpp): every worker can hold an admitted connection.
  o.pool.max_connections = std::max(o.pool.max_connections, o.pool.max_workers);
  return o;
}

std::string make_body(const Options& o) {
  if (!o.body_file.empty()) {
    std::ifstream in(o.body_file, std::ios::binary);
    if (!in) usage("cannot read " + o.body_file);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // {"pad":"xxx…"}: valid JSON of exactly body_bytes bytes (at least the 10 of {"pad":""}).
  const std::string head = "{\"pad\":\"", tail = "\"}";
  const long pad = std::max(0L, o.body_bytes - static_cast<long>(head.size() + tail.size()));
  return head + std::string(static_cast<std::size_t>(pad), 'x') + tail;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::string body = make_body(o);

  // Signals are taken by sigwait below; block them before any thread starts so no worker receives one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  httplib::Server server;
  // The API server's pool: min_workers to max_workers workers, connections beyond max_connections to 2
  // overflow workers.
  server.new_task_queue = [pool = o.pool] { return new tbml::BoundedTaskQueue(pool); };
  tbml::configure_listener(server, o.listener);
  server.Get(".*", [&body](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "application/json");
  });
  std::thread loop;
  int port = 0;
  try {
    port = tbml::start_listener(server, o.listener, loop);
  } catch (const std::exception& e) {
    std::cerr << "bench_http_ceiling: " << e.what() << "\n";
    return 1;
  }
  std::cout << "port=" << port << " bodyBytes=" << body.size() << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.stop();
  loop.join();
  return 0;
}
