// Sharding by pair (cluster.*, docs/scaling.md): the 421 for a pair another replica owns, and the fan-out
// that lets GET /api/predictions answer for every pair behind an ingress that sends it to any replica.
// The peers are computed (cluster.peerUrlTemplate and cluster.replicas), never discovered.
#include <algorithm>
#include <future>
#include <vector>

#include "service_impl.h"
#include "tbml/market/core_client.h"
#include "tbml/service/api_error.h"

namespace tbml {
namespace {

struct PeerAnswer {
  std::size_t ordinal = 0;
  std::string url;
  nlohmann::json body;  // the peer's ?local=true answer, when it gave one
  std::string error;    // why not
};

// The query a peer gets: the caller's (already validated: strategy, model and horizon are tokens of
// known values) plus local=true, so that the peer answers for its own pairs and does not fan out again.
std::string peer_path(const PredictionQuery& q) {
  std::string path = "/api/predictions?local=true";
  if (q.strategy) path += "&strategy=" + *q.strategy;
  if (q.model) path += "&model=" + *q.model;
  if (q.horizon) path += "&horizon=" + *q.horizon;
  if (!q.ensemble) path += "&ensemble=false";
  return path;
}

PeerAnswer ask_peer(std::size_t ordinal, const std::string& url, const std::string& path, int timeout_ms,
                    const std::string& token) {
  PeerAnswer a;
  a.ordinal = ordinal;
  a.url = url;
  try {
    CoreClientOptions o;
    o.base_url = url;
    o.timeout_ms = timeout_ms;
    o.connect_timeout_ms = std::min(timeout_ms, 500);
    o.retries = 0;
    o.bearer_token = token;
    CoreClient client(o);
    const HttpResponse r = client.get_once(path);
    if (!r.ok()) {
      a.error = r.responded() ? "HTTP " + std::to_string(r.status) : r.error;
      return a;
    }
    a.body = nlohmann::json::parse(r.body);
    if (!a.body.is_object() || !a.body.contains("predictions") || !a.body["predictions"].is_object()) {
      a.error = "the answer has no predictions object";
      a.body = nullptr;
    }
  } catch (const std::exception& e) {
    a.error = e.what();
    a.body = nullptr;
  }
  return a;
}

}  // namespace

void Service::require_local_pair(const std::string& pair) const {
  const ShardRule& rule = impl_->shards;
  if (rule.owns(pair)) return;
  const std::size_t owner = rule.owner(pair);
  nlohmann::json context = {{"pair", pair}, {"ownerOrdinal", owner}, {"ordinal", rule.ordinal()},
                            {"replicas", rule.replicas()}};
  const std::string url = rule.url_of(owner);
  if (!url.empty()) context["ownerUrl"] = url;
  throw ApiError(421, "Misdirected request",
                 pair + " is served by replica " + std::to_string(owner) + " of " + std::to_string(rule.replicas()) +
                     (url.empty() ? "" : " (" + url + ")") + ", not by replica " + std::to_string(rule.ordinal()),
                 std::move(context));
}

void Service::Impl::merge_peer_predictions(const PredictionQuery& query, nlohmann::json& answer) const {
  const std::string path = peer_path(query);
  std::vector<std::future<PeerAnswer>> pending;
  nlohmann::json missing = nlohmann::json::array();
  nlohmann::json answered = nlohmann::json::array({shards.ordinal()});
  for (std::size_t i = 0; i < shards.replicas(); ++i) {
    if (i == shards.ordinal()) continue;
    const std::string url = shards.url_of(i);
    if (url.empty()) {
      missing.push_back({{"ordinal", i}, {"error", "cluster.peerUrlTemplate is not set; peers cannot be asked"}});
      continue;
    }
    pending.push_back(std::async(std::launch::async, ask_peer, i, url, path, cfg.cluster.fanout_timeout_ms,
                                 cfg.server.api_token));
  }
  for (auto& f : pending) {
    PeerAnswer a = f.get();
    if (a.body.is_null()) {
      log->warn("GET /api/predictions: replica {} at {} did not answer: {}", a.ordinal, a.url, a.error);
      missing.push_back({{"ordinal", a.ordinal}, {"url", a.url}, {"error", a.error}});
      continue;
    }
    answered.push_back(a.ordinal);
    for (auto it = a.body["predictions"].begin(); it != a.body["predictions"].end(); ++it)
      answer["predictions"][it.key()] = it.value();
    if (a.body.contains("unavailable") && a.body["unavailable"].is_object())
      for (auto it = a.body["unavailable"].begin(); it != a.body["unavailable"].end(); ++it)
        answer["unavailable"][it.key()] = it.value();
  }
  answer["count"] = answer["predictions"].size();
  answer["shards"]["answered"] = answered;
  answer["shards"]["missing"] = missing;
}

}  // namespace tbml
