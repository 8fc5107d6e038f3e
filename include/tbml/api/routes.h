#pragma once
// The route table: every path of the API contract in one place, matched segment by segment (no regex on
// the request path), each with a label for metrics and logs. Independent of the HTTP library, so the
// routing and validation can be tested without sockets.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml {

class Service;

struct RouteRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> params;  // path parameters by name (":pair" → "pair")
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string content_type;
};

struct RouteResponse {
  int status = 200;
  nlohmann::json body;
  std::string text;  // used instead of body when content_type is not JSON
  std::string content_type = "application/json";
};

struct Route {
  std::string method;
  std::string pattern;  // e.g. "/api/predictions/:pair/history"
  std::string label;    // metrics label; the pattern itself
  bool always_open = false;  // readable even when server.protectReads is set (health)
  std::function<RouteResponse(const RouteRequest&)> handler;
  std::vector<std::string> segments;
};

struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> params;
  std::string allowed_methods;  // when the path exists with other methods (→ 405)
};

class RouteTable {
 public:
  void add(Route route);
  RouteMatch match(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

RouteTable make_route_table(Service& service);

// Query and body helpers shared by the handlers; they throw ApiError(400) with a precise message.
std::optional<std::string> query_value(const RouteRequest& req, const std::string& name);
std::size_t query_int(const RouteRequest& req, const std::string& name, std::size_t fallback, std::size_t lo,
                      std::size_t hi);
nlohmann::json parse_json_body(const RouteRequest& req, bool allow_empty);

}  // namespace tbml
