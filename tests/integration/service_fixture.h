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

struct JsonReply {
  int status = 0;  // 0 = no answer
  nlohmann::json body;
  std::string raw;
  std::string content_type;
};

inline JsonReply request(int port, const std::string& method, const std::string& path,
                         const std::string& body = "", const httplib::Headers& headers = {}) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(10, 0);
  cli.set_write_timeout(10, 0);
  httplib::Result r;
  if (method == "GET") r = cli.Get(path, headers);
  else if (method == "POST") r = cli.Post(path, headers, body, "application/json");
  else if (method == "DELETE") r = cli.Delete(path, headers, body, "application/json");
  else if (method == "PUT") r = cli.Put(path, headers, body, "application/json");
  else if (method == "OPTIONS") r = cli.Options(path, headers);
  JsonReply out;
  if (!r) return out;
  out.status = r->status;
  out.raw = r->body;
  out.content_type = r->get_header_value("Content-Type");
  out.body = nlohmann::json::parse(r->body, nullptr, false);
  return out;
}

inline JsonReply get(int port, const std::string& path) { return request(port, "GET", path); }

class DemoService {
 public:
  // `extra` are further `serve` arguments, e.g. {"--set", "training.autoTrain=false"}.
  explicit DemoService(std::vector<std::string> extra = {}, std::string storage_dir = "")
      : port_(free_port()), storage_(storage_dir.empty() ? make_temp_dir("tbml-it") : storage_dir) {
    std::vector<std::string> args = {TBML_BINARY, "serve", "--demo", "--port", std::to_string(port_),
                                     "--storage-dir", storage_, "--set", "server.host=127.0.0.1"};
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
