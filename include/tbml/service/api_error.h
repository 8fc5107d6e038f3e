#pragma once
// Errors that the HTTP layer turns into the contract's error JSON:
// {"error": "<short stable text>", "message": "<detail>", "timestamp": ms, ...context}.
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string error, std::string message, nlohmann::json context = nlohmann::json::object())
      : std::runtime_error(message), status_(status), error_(std::move(error)), context_(std::move(context)) {}
  int status() const { return status_; }
  const std::string& error() const { return error_; }
  const nlohmann::json& context() const { return context_; }

 private:
  int status_;
  std::string error_;
  nlohmann::json context_;
};

inline ApiError bad_request(std::string message, nlohmann::json context = nlohmann::json::object()) {
  return ApiError(400, "Bad request", std::move(message), std::move(context));
}
inline ApiError not_found(std::string error, std::string message, nlohmann::json context = nlohmann::json::object()) {
  return ApiError(404, std::move(error), std::move(message), std::move(context));
}
inline ApiError unavailable(std::string error, std::string message, nlohmann::json context = nlohmann::json::object()) {
  return ApiError(503, std::move(error), std::move(message), std::move(context));
}

// Request bodies are validated in one style: a body's parser lists every problem it finds (one message
// each) instead of throwing at the first, and the route turns a non-empty list into one 400 `error` with
// the messages joined as `message` and listed as `errors`. Query parameters stay one 400 each.
using BodyErrors = std::vector<std::string>;
void require_valid_body(const BodyErrors& errors, const std::string& error = "Bad request",
                        nlohmann::json context = nlohmann::json::object());

// The error body of the contract.
nlohmann::json error_body(int status, const std::string& error, const std::string& message,
                          const nlohmann::json& context = nlohmann::json::object());

// Upper-cases and validates a pair name (^[A-Z0-9]{2,20}$ after upper-casing); throws 400 otherwise.
std::string normalize_pair(const std::string& raw);

}  // namespace tbml
