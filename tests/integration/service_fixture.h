#pragma once
// Starts a real `tbml serve --demo` on an ephemeral port with its own storage folder, and gives tests a
// JSON client with timeouts (a hang fails fast instead of stalling the suite).
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process.h"

namespace tbml::testing {

// Integration tests serve the default horizon only unless they are about horizons (see DemoService).
inline const std::string kSingleHorizon = "ml.horizons=5";

struct JsonReply {
  int status = 0;  // 0 = no answer
  nlohmann::json body;
  std::string raw;
  std::string content_type;
};

// `host` is a loopback address: the shard tests run replicas on 127.0.0.1 and 127.0.1.1.
inline JsonReply request_at(const std::string& host, int port, const std::string& method, const std::string& path,
                            const std::string& body = "", const httplib::Headers& headers = {}) {
  httplib::Client cli(host, port);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(10, 0);
  cli.set_write_timeout(10, 0);
  auto send = [&]() -> httplib::Result {
    if (method == "GET") return cli.Get(path, headers);
    if (method == "POST") return cli.Post(path, headers, body, "application/json");
    if (method == "DELETE") return cli.Delete(path, headers, body, "application/json");
    if (method == "PUT") return cli.Put(path, headers, body, "application/json");
    if (method == "OPTIONS") return cli.Options(path, headers);
    // Any other method, e.g. PATCH or a made-up one, as a raw request.
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = headers;
    req.body = body;
    return cli.send(req);
  };
  httplib::Result r = send();
  JsonReply out;
  if (!r) return out;
  out.status = r->status;
  out.raw = r->body;
  out.content_type = r->get_header_value("Content-Type");
  out.body = nlohmann::json::parse(r->body, nullptr, false);
  return out;
}

inline JsonReply request(int port, const std::string& method, const std::string& path,
                         const std::string& body = "", const httplib::Headers& headers = {}) {
  return request_at("127.0.0.1", port, method, path, body, headers);
}

inline JsonReply get(int port, const std::string& path) { return request(port, "GET", path); }

class DemoService {
 public:
  // `extra` are further `serve` arguments, e.g. {"--set", "training.autoTrain=false"}. One horizon (the
  // default answer's) unless `extra` sets ml.horizons: every horizon trains its own models, and the suite
  // would train three times as many with the configured 1, 5 and 24.
  explicit DemoService(std::vector<std::string> extra = {}, std::string storage_dir = "")
      : port_(free_port()), storage_(storage_dir.empty() ? make_temp_dir("tbml-it") : storage_dir) {
    std::vector<std::string> args = {TBML_BINARY, "serve", "--demo", "--port", std::to_string(port_),
                                     "--storage-dir", storage_, "--set", "server.host=127.0.0.1",
                                     "--set", kSingleHorizon};
    args.insert(args.end(), extra.begin(), extra.end());
    args_ = args;
    start();
  }

  void start() {
    process_ = std::make_unique<ChildProcess>(args_, std::map<std::string, std::string>{},
                                              storage_ + "/service.log");
  }

  bool wait_healthy(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return wait_until([this] { return get(port_, "/api/health").status == 200; }, timeout);
  }

  int port() const { return port_; }
  const std::string& storage() const { return storage_; }
  ChildProcess& process() { return *process_; }
  std::string log() const { return process_->log(); }

 private:
  int port_;
  std::string storage_;
  std::vector<std::string> args_;
  std::unique_ptr<ChildProcess> process_;
};

// Contract error shape: {"error": text, "message": text, "timestamp": ms}.
inline bool is_contract_error(const JsonReply& r) {
  return r.body.is_object() && r.body.contains("error") && r.body["error"].is_string() &&
         r.body.contains("message") && r.body["message"].is_string() && r.body.contains("timestamp") &&
         r.body["timestamp"].is_number_integer();
}

}  // namespace tbml::testing

#include <cmath>
#include <cstdint>
#include <fstream>

namespace tbml::testing {

// A deterministic hourly candle CSV with trending regimes, so models have something to learn.
inline void write_synthetic_csv(const std::string& path, int n, std::uint64_t seed = 7) {
  std::ofstream out(path);
  out << "timestamp,open,high,low,close,volume\n";
  std::uint64_t state = seed;
  auto uniform = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
  };
  double price = 100.0, drift = 0.002;
  const std::int64_t start = 1700000000000LL - (1700000000000LL % 3600000LL);
  for (int i = 0; i < n; ++i) {
    if (i % 48 == 0) drift = (uniform() < 0.5 ? -1 : 1) * 0.003;
    double open = price;
    double ret = drift + (uniform() - 0.5) * 0.01;
    price = std::max(1.0, price * std::exp(ret));
    double high = std::max(open, price) * (1 + uniform() * 0.003);
    double low = std::min(open, price) * (1 - uniform() * 0.003);
    out << start + static_cast<std::int64_t>(i) * 3600000LL << "," << open << "," << high << "," << low << ","
        << price << "," << 1000 + uniform() * 500 << "\n";
  }
}

// Runs `tbml train` on BTC (all models, or a comma list in `models`) and returns its exit status; output
// goes to <out>/train.log and the models to <out>/models.
inline int train_offline(const std::string& csv, const std::string& out, int epochs, const std::string& models = "") {
  std::vector<std::string> args = {TBML_BINARY, "train",   "--csv",     "BTC=" + csv, "--out", out, "--epochs",
                                   std::to_string(epochs), "--patience", "2",         "--threads", "1"};
  if (!models.empty()) args.insert(args.end(), {"--models", models});
  ChildProcess p(args, {}, out + "/train.log");
  return p.wait(std::chrono::minutes(4));
}

}  // namespace tbml::testing
