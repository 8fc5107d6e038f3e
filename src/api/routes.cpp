#include "tbml/api/routes.h"

#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "tbml/api/static_files.h"
#include "tbml/service/api_error.h"
#include "tbml/service/service.h"

namespace tbml {
namespace {

// A path's segments (empty ones skipped) as views into it. No route has more than kMaxSegments; a longer
// request path matches none, so it is not split further (and the match allocates nothing).
constexpr std::size_t kMaxSegments = 8;
struct PathSegments {
  std::array<std::string_view, kMaxSegments + 1> seg;
  std::size_t count = 0;
};

PathSegments path_segments(std::string_view path) {
  PathSegments out;
  std::size_t i = 0;
  while (i < path.size() && out.count < out.seg.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.seg[out.count++] = path.substr(i, j - i);
    i = j + 1;
  }
  return out;
}

bool match_segments(const Route& r, const PathSegments& path, std::map<std::string, std::string>* params) {
  if (r.segments.size() != path.count) return false;
  for (std::size_t i = 0; i < path.count; ++i) {
    const std::string& p = r.segments[i];
    if ((p.empty() || p[0] != ':') && p != path.seg[i]) return false;
  }
  if (params) {
    for (std::size_t i = 0; i < path.count; ++i)
      if (!r.segments[i].empty() && r.segments[i][0] == ':') (*params)[r.segments[i].substr(1)] = std::string(path.seg[i]);
  }
  return true;
}

std::int64_t query_int64(const RouteRequest& req, const std::string& name, std::int64_t lo, std::int64_t hi,
                         bool* present) {
  auto v = query_value(req, name);
  *present = v.has_value();
  if (!v) return 0;
  std::size_t pos = 0;
  long long n = 0;
  try {
    // stoll would skip leading blanks and accept a '+'; the contract wants plain digits.
    const char first = v->empty() ? ' ' : (*v)[0];
    if (first == '-' || std::isdigit(static_cast<unsigned char>(first))) n = std::stoll(*v, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (v->empty() || pos != v->size() || n < lo || n > hi)
    throw bad_request("Query parameter '" + name + "' must be an integer in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "]");
  return n;
}

std::optional<std::int64_t> since_query(const RouteRequest& req) {
  bool present = false;
  std::int64_t since = query_int64(req, "since", 0, std::numeric_limits<std::int64_t>::max() / 2, &present);
  return present ? std::optional<std::int64_t>(since) : std::nullopt;
}

PredictionQuery prediction_query(const RouteRequest& req) {
  PredictionQuery q;
  q.strategy = query_value(req, "strategy");
  q.model = query_value(req, "model");
  q.horizon = query_value(req, "horizon");
  if (auto e = query_value(req, "ensemble")) {
    if (*e == "true" || *e == "1") q.ensemble = true;
    else if (*e == "false" || *e == "0") q.ensemble = false;
    else throw bad_request("Query parameter 'ensemble' must be true or false");
  }
  return q;
}

// The one adapter from the Service's answer to the HTTP layer's.
RouteResponse from_reply(Reply reply) {
  RouteResponse r;
  r.status = reply.status;
  r.body = std::move(reply.body);
  r.text = std::move(reply.text);
  r.content_type = std::move(reply.content_type);
  return r;
}

const std::string& pair_param(const RouteRequest& req) { return req.params.at("pair"); }

// Routes with a :pair answer 421 naming the owner when cluster.* gives the pair to another replica
// (docs/scaling.md); the check runs before the handler, so no route can forget it.
std::function<RouteResponse(const RouteRequest&)> on_owning_replica(
    const Service& svc, const std::string& pattern, std::function<RouteResponse(const RouteRequest&)> h) {
  if (pattern.find("/:pair") == std::string::npos) return h;
  return [&svc, h = std::move(h)](const RouteRequest& req) {
    svc.require_local_pair(normalize_pair(pair_param(req)));
    return h(req);
  };
}

}  // namespace

void RouteTable::add(Route route) {
  const PathSegments segs = path_segments(route.pattern);
  if (segs.count > kMaxSegments)
    throw std::logic_error("route " + route.pattern + " has more than " + std::to_string(kMaxSegments) + " segments");
  route.segments.assign(segs.seg.begin(), segs.seg.begin() + static_cast<std::ptrdiff_t>(segs.count));
  if (route.label.empty()) route.label = route.pattern;
  routes_.push_back(std::move(route));
}

RouteMatch RouteTable::match(const std::string& method, const std::string& path) const {
  RouteMatch m;
  const std::string_view effective = method == "HEAD" ? std::string_view("GET") : std::string_view(method);
  const PathSegments segs = path_segments(path);
  for (const auto& r : routes_) {
    if (r.method != effective) continue;
    if (match_segments(r, segs, &m.params)) {
      m.route = &r;
      return m;
    }
  }
  for (const auto& r : routes_) {
    if (match_segments(r, segs, nullptr) && m.allowed_methods.find(r.method) == std::string::npos) {
      m.allowed_methods += (m.allowed_methods.empty() ? "" : ", ") + r.method;
    }
  }
  if (!m.allowed_methods.empty()) m.allowed_methods += ", OPTIONS";
  return m;
}

std::optional<std::string> query_value(const RouteRequest& req, const std::string& name) {
  auto range = req.query.equal_range(name);
  if (range.first == range.second) return std::nullopt;
  auto first = range.first;
  if (++range.first != range.second)
    throw bad_request("Query parameter '" + name + "' is given more than once");
  if (first->second.size() > 256) throw bad_request("Query parameter '" + name + "' is too long");
  return first->second;
}

std::size_t query_int(const RouteRequest& req, const std::string& name, std::size_t fallback, std::size_t lo,
                      std::size_t hi) {
  bool present = false;
  auto n = query_int64(req, name, static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi), &present);
  return present ? static_cast<std::size_t>(n) : fallback;
}

nlohmann::json parse_json_body(const RouteRequest& req, bool allow_empty) {
  bool blank = req.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (blank) {
    if (allow_empty) return nlohmann::json::object();
    throw bad_request("A JSON object body is required");
  }
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::parse_error& e) {
    throw ApiError(400, "Invalid JSON", std::string("The body is not valid JSON: ") + e.what());
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range 406 for a number beyond double range such as 1e999
    throw ApiError(400, "Invalid JSON", std::string("The body has a value out of range: ") + e.what());
  }
  if (!body.is_object()) throw bad_request("The body must be a JSON object");
  return body;
}

RouteTable make_route_table(Service& svc) {
  RouteTable t;
  auto get = [&t, &svc](std::string pattern, std::function<RouteResponse(const RouteRequest&)> h, bool open = false) {
    t.add(Route{"GET", pattern, "", open, on_owning_replica(svc, pattern, std::move(h)), {}});
  };
  auto post = [&t, &svc](std::string pattern, std::function<RouteResponse(const RouteRequest&)> h) {
    t.add(Route{"POST", pattern, "", false, on_owning_replica(svc, pattern, std::move(h)), {}});
  };
  auto del = [&t, &svc](std::string pattern, std::function<RouteResponse(const RouteRequest&)> h) {
    t.add(Route{"DELETE", pattern, "", false, on_owning_replica(svc, pattern, std::move(h)), {}});
  };

  get("/api/health", [&svc](const RouteRequest&) { return from_reply(svc.health()); }, true);
  // Filled once the table is complete, so /api lists exactly the routes that exist.
  auto listing = std::make_shared<nlohmann::json>(nlohmann::json::array());
  get("/api", [&svc, listing](const RouteRequest&) {
    Reply r = svc.describe();
    r.body["routes"] = *listing;
    return from_reply(std::move(r));
  });
  get("/metrics", [&svc](const RouteRequest&) { return from_reply(svc.metrics_text()); });
  get("/api/predictions", [&svc](const RouteRequest& req) {
    PredictionQuery q = prediction_query(req);
    if (auto local = query_value(req, "local")) {
      if (*local == "true" || *local == "1") q.local_only = true;
      else if (*local != "false" && *local != "0") throw bad_request("Query parameter 'local' must be true or false");
    }
    return from_reply(svc.predictions_all(q));
  });
  get("/api/predictions/:pair", [&svc](const RouteRequest& req) {
    return from_reply(svc.prediction(normalize_pair(pair_param(req)), prediction_query(req)));
  });
  get("/api/predictions/:pair/history", [&svc](const RouteRequest& req) {
    std::string pair = normalize_pair(pair_param(req));
    std::size_t limit = query_int(req, "limit", 100, 1, 10000);
    return from_reply(svc.history(pair, limit, since_query(req), query_value(req, "model"), query_value(req, "horizon")));
  });
  get("/api/volatility/:pair/history", [&svc](const RouteRequest& req) {
    std::string pair = normalize_pair(pair_param(req));
    std::size_t limit = query_int(req, "limit", 100, 1, 10000);
    return from_reply(svc.volatility_history(pair, limit, since_query(req), query_value(req, "horizon")));
  });
  get("/api/features/:pair", [&svc](const RouteRequest& req) {
    return from_reply(svc.features(normalize_pair(pair_param(req))));
  });
  post("/api/train/:pair/ensemble", [&svc](const RouteRequest& req) {
    return from_reply(svc.train(normalize_pair(pair_param(req)), std::nullopt, parse_json_body(req, true),
                                query_value(req, "horizon")));
  });
  post("/api/train/:pair/:modelType", [&svc](const RouteRequest& req) {
    return from_reply(
        svc.train(normalize_pair(pair_param(req)), req.params.at("modelType"), parse_json_body(req, true),
                  query_value(req, "horizon")));
  });
  get("/api/training/queue", [&svc](const RouteRequest&) { return from_reply(svc.training_queue()); });
  del("/api/training/job/:id", [&svc](const RouteRequest& req) { return from_reply(svc.cancel_job(req.params.at("id"))); });
  get("/api/models/:pair/status", [&svc](const RouteRequest& req) {
    return from_reply(svc.model_status(normalize_pair(pair_param(req)), query_value(req, "horizon")));
  });
  get("/api/models/:pair/compare", [&svc](const RouteRequest& req) {
    return from_reply(svc.model_compare(normalize_pair(pair_param(req)), query_value(req, "horizon")));
  });
  get("/api/models/:pair/:modelType/predict", [&svc](const RouteRequest& req) {
    return from_reply(
        svc.model_predict(normalize_pair(pair_param(req)), req.params.at("modelType"), query_value(req, "horizon")));
  });
  post("/api/models/:pair/rebuild", [&svc](const RouteRequest& req) {
    return from_reply(
        svc.rebuild(normalize_pair(pair_param(req)), parse_json_body(req, true), query_value(req, "horizon")));
  });
  get("/api/sizing/:pair", [&svc](const RouteRequest& req) {
    return from_reply(svc.sizing(normalize_pair(pair_param(req)), query_value(req, "horizon")));
  });
  get("/api/ensemble/:pair/stats", [&svc](const RouteRequest& req) {
    return from_reply(svc.ensemble_stats(normalize_pair(pair_param(req)), query_value(req, "horizon")));
  });
  post("/api/ensemble/:pair/weights", [&svc](const RouteRequest& req) {
    // An empty body reaches the weights validation, which names the fields it needs.
    return from_reply(svc.set_weights(normalize_pair(pair_param(req)), parse_json_body(req, true)));
  });
  get("/api/storage/stats", [&svc](const RouteRequest&) { return from_reply(svc.storage_stats()); });
  post("/api/storage/save", [&svc](const RouteRequest& req) {
    parse_json_body(req, true);
    return from_reply(svc.storage_save());
  });
  post("/api/storage/cleanup", [&svc](const RouteRequest& req) {
    return from_reply(svc.storage_cleanup(parse_json_body(req, true)));
  });
  // The status page and this API's description: files of the repository, readable without a token.
  auto files = std::make_shared<StaticFiles>(resolve_static_dir(svc.config().server.static_dir));
  get("/", [files](const RouteRequest&) { return files->web_file("index.html"); }, true);
  get("/status", [files](const RouteRequest&) { return files->web_file("index.html"); }, true);
  get("/static/:file", [files](const RouteRequest& req) { return files->web_file(req.params.at("file")); }, true);
  get("/api/openapi.yaml", [files](const RouteRequest&) { return files->openapi(); }, true);
  for (const auto& r : t.routes()) listing->push_back({{"method", r.method}, {"path", r.pattern}});
  return t;
}

}  // namespace tbml
