#include "tbml/sim/core_sim_server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "tbml/http/listener.h"
#include "tbml/util/logging.h"
#include "tbml/util/time.h"

namespace tbml {

struct CoreSimServer::Impl {
  httplib::Server server;
};

namespace {

nlohmann::json error_body(const std::string& error, const std::string& message) {
  return {{"error", error}, {"message", message}, {"timestamp", now_ms()}};
}

}  // namespace

CoreSimServer::CoreSimServer(std::shared_ptr<CoreSimulator> simulator, CoreSimTransportOptions transport)
    : simulator_(std::move(simulator)), transport_(transport), impl_(std::make_unique<Impl>()) {
  if (!simulator_) throw std::invalid_argument("CoreSimServer: simulator is null");
  if (transport_.hang_ms < 0 || transport_.drip_interval_ms <= 0 || transport_.drip_bytes == 0 ||
      transport_.workers == 0) {
    throw std::invalid_argument(
        "CoreSimServer: hang_ms >= 0, drip_interval_ms > 0, drip_bytes > 0 and workers > 0 required");
  }
}

CoreSimServer::~CoreSimServer() { stop(); }

bool CoreSimServer::wait_unless_stopping(int ms) {
  std::unique_lock<std::mutex> lock(stop_mutex_);
  return !stop_cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

int CoreSimServer::start(const std::string& host, int port) {
  if (started_) throw std::runtime_error("CoreSimServer: start() may be called once");
  started_ = true;
  if (port < 0 || port > 65535) throw std::invalid_argument("CoreSimServer: port must be in [0, 65535]");
  auto log = get_logger("core-sim");
  httplib::Server& server = impl_->server;
  ListenerOptions listener;
  listener.name = "CoreSimServer";
  listener.host = host;
  listener.port = port;
  listener.keep_alive_timeout_s = 1;  // idle keep-alive connections must not delay stop()
  configure_listener(server, listener);
  server.new_task_queue = [workers = transport_.workers] { return new httplib::ThreadPool(workers); };

  const auto dispatch = [this, log](const httplib::Request& req, httplib::Response& res) {
    const std::int64_t started = steady_ms();
    SimResponse out = simulator_->handle(req.method, req.path, req.body);
    res.status = out.status;
    if (out.delivery == SimDelivery::hang) {
      // Longer than any sane client timeout; the normal answer follows if the client is still there.
      wait_unless_stopping(transport_.hang_ms);
    }
    if (out.delivery == SimDelivery::slow_drip) {
      auto body = std::make_shared<std::string>(std::move(out.body));
      res.set_chunked_content_provider(
          out.content_type, [this, body](std::size_t offset, httplib::DataSink& sink) {
            if (offset >= body->size()) {
              sink.done();
              return true;
            }
            if (!wait_unless_stopping(transport_.drip_interval_ms)) return false;
            const std::size_t n = std::min(transport_.drip_bytes, body->size() - offset);
            return sink.write(body->data() + offset, n);
          });
    } else {
      res.set_content(out.body, out.content_type);
    }
    log->debug("{} {} -> {} ({} ms)", req.method, req.path, out.status, steady_ms() - started);
  };
  // Every method and path goes to the simulator's route table, which answers unknown ones with JSON 404.
  server.Get(".*", dispatch);
  server.Post(".*", dispatch);
  server.Put(".*", dispatch);
  server.Patch(".*", dispatch);
  server.Delete(".*", dispatch);
  server.Options(".*", dispatch);
  server.set_exception_handler(
      [log](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log->error("{} {} failed: {}", req.method, req.path, what);
        res.status = 500;
        res.set_content(error_body("Internal server error", what).dump(), "application/json");
      });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(error_body("HTTP " + std::to_string(res.status), "request could not be served").dump(),
                      "application/json");
    }
  });

  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_ = false;
  }
  listener_done_ = false;
  port_ = start_listener(server, listener, thread_, [this] { listener_done_ = true; });
  log->debug("listening on http://{}:{}", host, port_);
  return port_;
}

void CoreSimServer::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  // httplib's stop() is a no-op until the accept loop runs: wait for it (or for the thread to give up).
  while (!listener_done_) {
    if (impl_->server.is_running()) {
      impl_->server.stop();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  thread_.join();
}

}  // namespace tbml
