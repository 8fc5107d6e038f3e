#pragma once
// Test support: docs/openapi.yaml read with yaml-cpp into JSON, and a validator for the subset of
// OpenAPI 3.0 schema keywords the description uses (type, nullable, enum, required, properties,
// additionalProperties, items, oneOf, allOf, $ref, minimum, maximum). No JSON-schema validator is packaged
// for C++ in Debian 12; unsupported_keywords() makes sure the description stays inside this subset, so a
// keyword the validator would silently skip cannot creep in.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tbml::testing {

// YAML 1.2 core-schema typing for plain scalars (null, true/false, integers, floats); quoted ones stay strings.
nlohmann::json load_yaml_file(const std::string& path);

// "/api/models/:pair/status" → "/api/models/{pair}/status".
std::string openapi_path(const std::string& route_pattern);

class OpenApi {
 public:
  explicit OpenApi(nlohmann::json doc) : doc_(std::move(doc)) {}
  static OpenApi load(const std::string& path) { return OpenApi(load_yaml_file(path)); }

  // Every operation as "GET /api/models/{pair}/status", sorted.
  std::vector<std::string> operations() const;
  // Problems of a live answer against the documented response of (method, OpenAPI path, status): the
  // status must be documented, and a JSON body must match its schema. Empty = valid.
  std::vector<std::string> check_response(const std::string& method, const std::string& path, int status,
                                          const std::string& content_type, const nlohmann::json& body) const;
  std::vector<std::string> validate(const nlohmann::json& schema, const nlohmann::json& value) const;
  // Schema keywords anywhere in the document that the validator does not implement or list as annotations.
  std::vector<std::string> unsupported_keywords() const;
  // Every $ref that does not resolve.
  std::vector<std::string> dangling_refs() const;

  const nlohmann::json& doc() const { return doc_; }

 private:
  const nlohmann::json& resolve(const nlohmann::json& node) const;
  void validate_at(const nlohmann::json& schema, const nlohmann::json& value, const std::string& where,
                   std::vector<std::string>& errors, int depth) const;
  nlohmann::json doc_;
};

}  // namespace tbml::testing
