#include "tbml/api/http_server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "tbml/api/routes.h"
#include "tbml/http/bounded_task_queue.h"
#include "tbml/http/listener.h"
#include "tbml/service/api_error.h"
#include "tbml/service/service.h"
#include "tbml/util/logging.h"

namespace tbml {
namespace {

constexpr const char* kJson = "application/json";

// Compares without an early exit so the token's length of matching prefix does not leak through timing.
bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned char diff = static_cast<unsigned char>(a.size() != b.size());
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::string sanitize_request_id(const std::string& raw) {
  std::string out;
  for (char c : raw) {
    if (out.size() >= 64) break;
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') out += c;
  }
  return out;
}

// Header text quoted in an error message: printable ASCII, at most 40 characters.
std::string quoted(const std::string& raw) {
  std::string out;
  for (unsigned char c : raw.substr(0, 40)) out += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
  return "'" + out + (raw.size() > 40 ? "...'" : "'");
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// All values of a header, joined as one list.
std::string header_list(const httplib::Request& req, const char* name) {
  std::string out;
  for (std::size_t i = 0; i < req.get_header_value_count(name); ++i)
    out += (i ? ", " : "") + req.get_header_value(name, i);
  return out;
}

// The declared body length: every Content-Length value must be the same run of decimal digits (RFC 9110
// §8.6). httplib itself reads the first value with strtoull, so "-1" would become 2^64-1 and "abc" 0.
std::optional<std::uint64_t> content_length(const httplib::Request& req) {
  std::optional<std::uint64_t> length;
  for (std::size_t i = 0; i < req.get_header_value_count("Content-Length"); ++i) {
    const std::string v = req.get_header_value("Content-Length", i);
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const std::uint64_t n = std::stoull(v);
    if (length && *length != n) return std::nullopt;
    length = n;
  }
  return length;
}

// httplib 0.11 keeps a connection open whatever the response says. After a request whose body could not
// be read (or was not read) the next bytes on the connection are not a request, so the connection must
// close: a content provider that fails once it has written the whole body makes httplib drop the
// connection after sending the complete response.
void close_after_response(httplib::Response& res) {
  res.set_header("Connection", "close");
  if (res.body.empty()) return;  // nothing to hang the close on (a 204); the client is told to close
  auto body = std::make_shared<std::string>(std::move(res.body));
  res.body.clear();
  std::string type = res.get_header_value("Content-Type");
  res.headers.erase("Content-Type");
  if (type.empty()) type = kJson;
  res.set_content_provider(body->size(), type,
                           [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             sink.write(body->data() + offset, length);
                             return false;
                           });
}

// What came of a request's body. A failure is answered only after routing and authentication, so that a
// client without a valid token gets its 401 whatever it sent.
struct RequestBody {
  std::string text;
  std::optional<ApiError> error;
  bool close = false;  // the bytes after this request are not a request: close the connection
};

// Why httplib refused a request before any handler saw it (the error handler only has the status).
struct Refusal {
  std::string error;
  std::string message;
  bool close = true;
};

Refusal describe_refusal(const httplib::Request& req, int status, std::size_t max_body_bytes) {
  switch (status) {
    case 400: {
      // httplib answers 400 here only when the request line or the header section cannot be parsed (the
      // routes read bodies themselves). These are the checks its request-line parser makes.
      static const std::vector<std::string> methods = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                                       "CONNECT", "OPTIONS", "TRACE", "PATCH", "PRI"};
      const bool line_ok = std::find(methods.begin(), methods.end(), req.method) != methods.end() &&
                           !req.target.empty() && (req.version == "HTTP/1.1" || req.version == "HTTP/1.0");
      if (!line_ok)
        return {"Bad request",
                "Malformed request line: expected '<METHOD> <target> HTTP/1.1' ending in CRLF, METHOD one of GET, "
                "POST, DELETE, OPTIONS (a body sent without Content-Length or Transfer-Encoding: chunked is "
                "read as the next request)"};
      return {"Bad request",
              "Malformed header section: a header line is longer than 8192 bytes, or the headers did not end "
              "with an empty line before the read timeout"};
    }
    case 413:
      return {"Payload too large", "Request body exceeds " + std::to_string(max_body_bytes) + " bytes"};
    case 414:
      return {"URI too long", "The request line is longer than 8192 bytes"};
    case 416:
      return {"Bad request", "The Range header " + quoted(req.get_header_value("Range")) +
                                 " cannot be parsed (ranges are not supported; send no Range header)", false};
    case 404:
      return {"Not found", "No route for " + req.method.substr(0, 20) + " " + req.path.substr(0, 200), false};
    default:
      if (status >= 500) return {"Internal error", "The request failed; see the service log", false};
      return {"HTTP error", "The request could not be processed (HTTP " + std::to_string(status) + ")", false};
  }
}


}  // namespace

struct HttpServer::Impl {
  Service& service;
  HttpServerOptions options;
  httplib::Server server;
  std::thread thread;
  std::atomic<std::uint64_t> request_counter{0};
  std::atomic<bool> ready{true};
  std::shared_ptr<spdlog::logger> log = get_logger("api");
  RouteTable routes;

  Impl(Service& s, HttpServerOptions o)
      : service(s), options(std::move(o)), ready(options.start_ready), routes(make_route_table(s)) {}

  void set_cors(const httplib::Request& req, httplib::Response& res) const {
    const auto& origins = options.cors_origins;
    if (std::find(origins.begin(), origins.end(), "*") != origins.end()) {
      res.set_header("Access-Control-Allow-Origin", "*");
      return;
    }
    const std::string origin = req.get_header_value("Origin");
    if (!origin.empty() && std::find(origins.begin(), origins.end(), origin) != origins.end()) {
      res.set_header("Access-Control-Allow-Origin", origin);
    }
    res.set_header("Vary", "Origin");
  }

  bool authorized(const httplib::Request& req) const {
    if (options.api_token.empty()) return true;
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) return false;
    return constant_time_equal(header.substr(prefix.size()), options.api_token);
  }

  void send_json(httplib::Response& res, int status, const nlohmann::json& body) const {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), kJson);
  }

  void send_error(httplib::Response& res, const ApiError& e) const {
    send_json(res, e.status(), error_body(e.status(), e.error(), e.what(), e.context()));
  }

  // Reads the body of a POST, PUT, PATCH or DELETE with httplib's reader, by the framing rules of RFC 9112
  // §6: Transfer-Encoding (only chunked), else Content-Length, else there is no body. httplib 0.11 would
  // instead read a request without either header until the client closes the connection, which curl
  // never does (`curl -X POST URL` waited for the read timeout and got a 400), and would apply no size
  // limit to chunked bodies.
  RequestBody read_body(const httplib::Request& req, httplib::Response& res,
                        const httplib::ContentReader& reader) const {
    RequestBody out;
    auto refuse = [&out](int status, std::string error, std::string message, bool close = true) {
      out.text.clear();
      out.error.emplace(status, std::move(error), std::move(message));
      out.close = close;
      return std::move(out);
    };
    const std::size_t limit = options.max_body_bytes;
    const bool chunked = req.has_header("Transfer-Encoding");
    std::optional<std::uint64_t> length;
    if (chunked) {
      const std::string te = header_list(req, "Transfer-Encoding");
      if (req.has_header("Content-Length"))
        return refuse(400, "Bad request",
                      "Both Transfer-Encoding and Content-Length are set; send the body with one of them");
      if (lower(te) != "chunked")
        return refuse(400, "Bad request",
                      "Transfer-Encoding " + quoted(te) +
                          " is not supported; send the body with Content-Length or Transfer-Encoding: chunked");
      // httplib reads no DELETE body without a Content-Length, so its chunks would be taken for requests.
      if (req.method == "DELETE")
        return refuse(400, "Bad request", "A DELETE body must be sent with Content-Length, not chunked");
    } else if (req.has_header("Content-Length")) {
      length = content_length(req);
      if (!length)
        return refuse(400, "Bad request",
                      "Invalid Content-Length " + quoted(header_list(req, "Content-Length")) +
                          ": it must be one byte count in decimal digits");
      if (*length == 0) return out;
    } else {
      return out;  // no Transfer-Encoding and no Content-Length: the body is empty (RFC 9112 §6.3)
    }
    // httplib's plain reader calls a null multipart callback on a multipart body (500).
    if (req.is_multipart_form_data())
      return refuse(415, "Unsupported media type",
                    "multipart/form-data bodies are not accepted; send JSON (Content-Type: application/json)");

    bool over_limit = false;
    const bool ok = reader([&](const char* data, std::size_t n) {
      if (out.text.size() + n > limit) {
        over_limit = true;
        return false;
      }
      out.text.append(data, n);
      return true;
    });
    if (ok) return out;
    const std::string limit_text = std::to_string(limit) + " bytes (server.maxBodyBytes)";
    // httplib answers an announced length over the limit with 413 after reading and discarding that
    // many bytes, so the connection is still in step; a chunked body is cut off at the limit.
    if (res.status == 413 && length)
      return refuse(413, "Payload too large",
                    "Request body of " + std::to_string(*length) + " bytes exceeds the limit of " + limit_text,
                    false);
    if (over_limit) return refuse(413, "Payload too large", "Request body exceeds the limit of " + limit_text);
    const std::string encoding = req.get_header_value("Content-Encoding");
    if (!encoding.empty() && lower(encoding) != "identity")
      return refuse(res.status == 415 ? 415 : 400, res.status == 415 ? "Unsupported media type" : "Bad request",
                    "The body cannot be decoded as Content-Encoding " + quoted(encoding));
    const std::string wait = std::to_string(options.read_timeout_ms) + " ms (server.readTimeoutMs)";
    if (chunked)
      return refuse(400, "Bad request",
                    "Malformed chunked body: each chunk is '<size in hex>\\r\\n<data>\\r\\n' and the body ends "
                    "with '0\\r\\n\\r\\n' (or the client sent nothing more for " + wait + ")");
    return refuse(400, "Bad request",
                  "Incomplete body: the " + std::to_string(length.value_or(0)) +
                      " bytes announced by Content-Length did not arrive (the connection closed, or nothing more "
                      "came for " + wait + ")");
  }

  // The single entry point for every method and path.
  void dispatch(const httplib::Request& req, httplib::Response& res, RequestBody body) {
    const auto started = std::chrono::steady_clock::now();
    std::string request_id = sanitize_request_id(req.get_header_value("X-Request-Id"));
    if (request_id.empty()) request_id = "req-" + std::to_string(++request_counter);
    res.set_header("X-Request-Id", request_id);
    set_cors(req, res);

    std::string label = "unmatched";
    try {
      if (req.method == "OPTIONS") {
        // Preflight is answered before authentication: browsers never send credentials with it.
        res.status = 204;
        res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
        res.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Request-Id");
        res.set_header("Access-Control-Max-Age", "600");
        label = "preflight";
      } else if (!ready.load(std::memory_order_acquire)) {
        label = "starting";
        res.set_header("Retry-After", "1");
        throw unavailable("Service starting", "The service is starting; retry shortly", {{"status", "starting"}});
      } else {
        RouteMatch match = routes.match(req.method, req.path);
        if (match.route == nullptr) {
          if (!match.allowed_methods.empty()) {
            res.set_header("Allow", match.allowed_methods);
            throw ApiError(405, "Method not allowed",
                           req.method + " is not supported on " + req.path.substr(0, 200),
                           {{"allowed", match.allowed_methods}});
          }
          throw not_found("Not found", "No route for " + req.method + " " + req.path.substr(0, 200),
                          {{"path", req.path.substr(0, 200)}});
        }
        label = match.route->label;
        const bool mutating = req.method != "GET" && req.method != "HEAD";
        if ((mutating || (options.protect_reads && !match.route->always_open)) && !authorized(req)) {
          res.set_header("WWW-Authenticate", "Bearer");
          throw ApiError(401, "Unauthorized", "A valid 'Authorization: Bearer <token>' header is required");
        }
        if (body.error) throw *body.error;
        RouteRequest rr{req.method, req.path, std::move(match.params), {}, std::move(body.text),
                        req.get_header_value("Content-Type")};
        for (const auto& [k, v] : req.params) rr.query.emplace(k, v);
        RouteResponse out = match.route->handler(rr);
        res.status = out.status;
        // What set_content does, with the body moved in rather than copied (a prediction answer is
        // already its bytes).
        res.body = !out.text.empty() || out.content_type != kJson
                       ? std::move(out.text)
                       : out.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        res.headers.erase("Content-Type");
        res.set_header("Content-Type", out.content_type);
      }
    } catch (const ApiError& e) {
      send_error(res, e);
    } catch (const std::exception& e) {
      log->error("{} {} failed: {}", req.method, label, e.what());
      send_json(res, 500, error_body(500, "Internal error", "The request failed; see the service log",
                                     {{"requestId", request_id}}));
    }
    if (body.close) close_after_response(res);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    service.observe_request(label, res.status, seconds);
    log->log(options.access_log ? spdlog::level::info : spdlog::level::debug, "{} {} {} {}us id={}",
             req.method, label, res.status, static_cast<long long>(seconds * 1e6), request_id);
  }
};

HttpServer::HttpServer(Service& service, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::start() {
  Impl& d = *impl_;
  auto& svr = d.server;
  WorkerPoolOptions pool;
  pool.max_workers = static_cast<std::size_t>(std::max(1, d.options.threads));
  pool.min_workers = static_cast<std::size_t>(std::max(1, d.options.min_threads));
  pool.idle_timeout = std::chrono::milliseconds(d.options.thread_idle_timeout_ms);
  pool.worker_slice = std::chrono::microseconds(d.options.worker_slice_us);
  pool.max_connections = static_cast<std::size_t>(std::max(d.options.threads, d.options.max_connections));
  pool.overflow_workers = 2;
  svr.new_task_queue = [pool, &d] {
    return new BoundedTaskQueue(pool, [&d](const ConnectionCounts& c) {
      d.service.observe_connections(c.serving, c.queued, c.overflow, c.workers);
    });
  };
  // Methods that may carry a body get a content reader, so the body is read (or not) by read_body's
  // rules instead of httplib's, before dispatch. httplib does not read bodies of GET, HEAD and OPTIONS;
  // when one carries a body anyway, the connection is closed after the answer.
  auto with_body = [&d](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    d.dispatch(req, res, d.read_body(req, res, reader));
  };
  auto without_body = [&d](const httplib::Request& req, httplib::Response& res) {
    RequestBody none;
    none.close = req.has_header("Transfer-Encoding") ||
                 (req.has_header("Content-Length") && content_length(req).value_or(1) != 0);
    d.dispatch(req, res, std::move(none));
  };
  // Every request passes here first: connections over the cap are answered before the body is read, and
  // GET, HEAD and OPTIONS (no content reader needed) are dispatched right away. httplib would otherwise
  // match each request's path against a std::regex (".*") before calling the one handler that routes it
  // by its own table: ~3 % of the CPU of a prediction request in a perf profile (docs/performance.md).
  svr.set_pre_routing_handler([&d, without_body](const httplib::Request& req, httplib::Response& res) {
    // Range requests are not supported (RFC 9110 lets a server ignore Range). httplib would otherwise cut
    // every body, error JSON included, to the requested bytes. The Request is a non-const local of
    // httplib's connection loop, so clearing its parsed ranges here is well defined.
    const_cast<httplib::Request&>(req).ranges.clear();
    if (!on_overflow_connection()) {
      if (req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS")
        return httplib::Server::HandlerResponse::Unhandled;  // routed with a content reader (below)
      without_body(req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    d.set_cors(req, res);
    res.set_header("Retry-After", "1");
    res.set_header("Connection", "close");
    d.send_json(res, 503,
                error_body(503, "Server busy",
                           "More than " + std::to_string(d.options.max_connections) +
                               " connections are open; retry shortly",
                           {{"maxConnections", d.options.max_connections}}));
    d.service.observe_request("overflow", 503, 0.0);
    return httplib::Server::HandlerResponse::Handled;
  });
  svr.set_payload_max_length(d.options.max_body_bytes);
  ListenerOptions listener;
  listener.name = "tbml";
  listener.host = d.options.host;
  listener.port = d.options.port;
  listener.read_timeout_ms = d.options.read_timeout_ms;
  listener.write_timeout_ms = d.options.write_timeout_ms;
  listener.start_deadline = std::chrono::milliseconds(d.options.start_deadline_ms);
  configure_listener(svr, listener);
  svr.Post(".*", with_body);
  svr.Put(".*", with_body);
  svr.Patch(".*", with_body);
  svr.Delete(".*", with_body);
  // Requests httplib refuses before a handler sees them (malformed request line or headers, request line
  // too long, unparsable Range, a method without handlers) get the contract's JSON shape too, with the
  // reason; after a broken request line or header section the connection is closed.
  svr.set_error_handler([&d](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.has_header("Content-Type")) return;  // a handler's own answer
    // Ranges are ignored (see the pre-routing handler); a half-parsed Range must not cut this answer.
    const_cast<httplib::Request&>(req).ranges.clear();
    d.set_cors(req, res);
    const Refusal r = describe_refusal(req, res.status, d.options.max_body_bytes);
    d.send_json(res, res.status, error_body(res.status, r.error, r.message));
    if (r.close) close_after_response(res);
    d.service.observe_request("refused", res.status, 0.0);
    d.log->debug("refused a request httplib could not parse: {} {}", res.status, r.message);
  });
  svr.set_exception_handler([&d](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    d.send_json(res, 500, error_body(500, "Internal error", "The request failed; see the service log"));
  });

  return start_listener(svr, listener, d.thread);
}

void HttpServer::mark_ready() { impl_->ready.store(true, std::memory_order_release); }

void HttpServer::stop() {
  if (!impl_) return;
  if (impl_->thread.joinable()) {
    impl_->server.stop();
    impl_->thread.join();
  }
}

}  // namespace tbml
