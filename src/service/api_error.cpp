#include "tbml/service/api_error.h"

#include <cctype>

#include "tbml/market/pair_name.h"
#include "tbml/util/time.h"

namespace tbml {

nlohmann::json error_body(int status, const std::string& error, const std::string& message,
                          const nlohmann::json& context) {
  nlohmann::json body = {{"error", error}, {"message", message}, {"timestamp", now_ms()}, {"status", status}};
  if (context.is_object()) {
    for (auto it = context.begin(); it != context.end(); ++it) {
      if (!body.contains(it.key())) body[it.key()] = it.value();
    }
  }
  return body;
}

void require_valid_body(const BodyErrors& errors, const std::string& error, nlohmann::json context) {
  if (errors.empty()) return;
  std::string message;
  for (const auto& e : errors) message += (message.empty() ? "" : "; ") + e;
  if (!context.is_object()) context = nlohmann::json::object();
  context["errors"] = errors;
  throw ApiError(400, error, message, std::move(context));
}

std::string normalize_pair(const std::string& raw) {
  std::string upper = raw.substr(0, 64);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (raw.size() > 20 || !is_valid_pair_name(upper)) {
    // Never echo unbounded or binary input back.
    std::string shown = raw.substr(0, 40);
    for (auto& c : shown)
      if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
    throw bad_request("Invalid pair name '" + shown + "': expected 2-20 letters or digits, e.g. BTC",
                      {{"pattern", kPairNamePattern}});
  }
  return upper;
}

}  // namespace tbml
