#include "support/openapi_schema.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <regex>
#include <set>
#include <stdexcept>

namespace tbml::testing {
namespace {

using nlohmann::json;

json scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted
  if (s.empty() || s == "~" || s == "null") return nullptr;
  if (s == "true") return true;
  if (s == "false") return false;
  static const std::regex integer("^-?[0-9]+$");
  static const std::regex real("^-?([0-9]+\\.[0-9]*|\\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?$");
  if (std::regex_match(s, integer)) return std::stoll(s);
  if (std::regex_match(s, real)) return std::stod(s);
  return s;
}

json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : n) out[kv.first.Scalar()] = to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : n) out.push_back(to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: return scalar(n);
    default: return nullptr;
  }
}

std::string type_of(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool has_type(const json& v, const std::string& type) {
  const std::string actual = type_of(v);
  return actual == type || (type == "number" && actual == "integer");
}

std::string short_text(const json& v) {
  std::string s = v.dump();
  return s.size() > 80 ? s.substr(0, 80) + "..." : s;
}

// Keywords of a schema object: the ones validate_at implements, and annotations it may ignore.
const std::set<std::string>& known_keywords() {
  static const std::set<std::string> k = {"type",  "nullable", "enum",    "required", "properties",
                                          "additionalProperties", "items", "oneOf", "allOf", "$ref",
                                          "minimum", "maximum", "description", "default", "pattern",
                                          "maxLength", "exclusiveMinimum"};
  return k;
}

// Walks every schema of the document (component schemas, parameter, body and response schemas).
void each_schema(const json& node, const std::string& where, const std::function<void(const json&, const std::string&)>& f) {
  if (!node.is_object()) return;
  f(node, where);
  for (const char* key : {"items", "additionalProperties"})
    if (node.contains(key) && node[key].is_object()) each_schema(node[key], where + "/" + key, f);
  if (node.contains("properties"))
    for (auto it = node["properties"].begin(); it != node["properties"].end(); ++it)
      each_schema(it.value(), where + "/properties/" + it.key(), f);
  for (const char* key : {"oneOf", "allOf"})
    if (node.contains(key))
      for (std::size_t i = 0; i < node[key].size(); ++i) each_schema(node[key][i], where + "/" + key, f);
}

void each_document_schema(const json& doc, const std::function<void(const json&, const std::string&)>& f) {
  for (auto it = doc["components"]["schemas"].begin(); it != doc["components"]["schemas"].end(); ++it)
    each_schema(it.value(), "#/components/schemas/" + it.key(), f);
  std::function<void(const json&, const std::string&)> find = [&](const json& node, const std::string& where) {
    if (node.is_object()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it.key() == "schema") each_schema(it.value(), where + "/schema", f);
        else find(it.value(), where + "/" + it.key());
      }
    } else if (node.is_array()) {
      for (const auto& item : node) find(item, where);
    }
  };
  find(doc["paths"], "paths");
  for (const char* part : {"parameters", "requestBodies", "responses"})
    if (doc["components"].contains(part)) find(doc["components"][part], std::string("#/components/") + part);
}

}  // namespace

json load_yaml_file(const std::string& path) { return to_json(YAML::LoadFile(path)); }

std::string openapi_path(const std::string& route_pattern) {
  std::string out;
  std::size_t i = 0;
  while (i < route_pattern.size()) {
    if (route_pattern[i] == ':') {
      std::size_t j = route_pattern.find('/', i);
      if (j == std::string::npos) j = route_pattern.size();
      out += "{" + route_pattern.substr(i + 1, j - i - 1) + "}";
      i = j;
    } else {
      out += route_pattern[i++];
    }
  }
  return out;
}

std::vector<std::string> OpenApi::operations() const {
  std::vector<std::string> out;
  for (auto p = doc_["paths"].begin(); p != doc_["paths"].end(); ++p)
    for (auto m = p.value().begin(); m != p.value().end(); ++m) {
      std::string method = m.key();
      std::transform(method.begin(), method.end(), method.begin(), ::toupper);
      out.push_back(method + " " + p.key());
    }
  std::sort(out.begin(), out.end());
  return out;
}

const json& OpenApi::resolve(const json& node) const {
  const json* cur = &node;
  for (int hops = 0; cur->is_object() && cur->contains("$ref"); ++hops) {
    if (hops > 20) throw std::runtime_error("$ref cycle at " + (*cur)["$ref"].get<std::string>());
    const std::string ref = (*cur)["$ref"];
    if (ref.rfind("#/", 0) != 0) throw std::runtime_error("only local $ref are supported: " + ref);
    cur = &doc_.at(json::json_pointer(ref.substr(1)));
  }
  return *cur;
}

std::vector<std::string> OpenApi::check_response(const std::string& method, const std::string& path, int status,
                                                 const std::string& content_type, const json& body) const {
  std::string m = method;
  std::transform(m.begin(), m.end(), m.begin(), ::tolower);
  const std::string op = method + " " + path;
  if (!doc_["paths"].contains(path) || !doc_["paths"][path].contains(m)) return {op + " is not documented"};
  const json& responses = doc_["paths"][path][m]["responses"];
  const std::string code = std::to_string(status);
  if (!responses.contains(code)) return {op + ": status " + code + " is not documented"};
  const json& response = resolve(responses[code]);
  const std::string media = content_type.substr(0, content_type.find(';'));
  if (!response.contains("content") || !response["content"].contains(media))
    return {op + " " + code + ": content type '" + media + "' is not documented"};
  if (media != "application/json") return {};
  std::vector<std::string> errors;
  validate_at(response["content"][media]["schema"], body, op + " " + code + " body", errors, 0);
  return errors;
}

std::vector<std::string> OpenApi::validate(const json& schema, const json& value) const {
  std::vector<std::string> errors;
  validate_at(schema, value, "value", errors, 0);
  return errors;
}

void OpenApi::validate_at(const json& raw, const json& v, const std::string& where, std::vector<std::string>& errors,
                          int depth) const {
  if (depth > 64) {
    errors.push_back(where + ": schema nesting too deep");
    return;
  }
  const json& s = resolve(raw);
  if (v.is_null() && s.value("nullable", false)) return;
  for (const auto& part : s.value("allOf", json::array())) validate_at(part, v, where, errors, depth + 1);
  if (s.contains("oneOf")) {
    std::size_t matches = 0;
    std::vector<std::string> why;
    for (const auto& alt : s["oneOf"]) {
      std::vector<std::string> e;
      validate_at(alt, v, where, e, depth + 1);
      if (e.empty()) ++matches;
      else why.push_back(e.front());
    }
    if (matches != 1)
      errors.push_back(where + ": matches " + std::to_string(matches) + " of the oneOf alternatives" +
                       (why.empty() ? "" : " (" + why.front() + ")"));
  }
  if (s.contains("type") && !has_type(v, s["type"])) {
    errors.push_back(where + ": expected " + s["type"].get<std::string>() + ", got " + type_of(v) + " " + short_text(v));
    return;
  }
  if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
    errors.push_back(where + ": " + short_text(v) + " is not one of " + short_text(s["enum"]));
  if (v.is_number()) {
    const double x = v.get<double>();
    if (s.contains("minimum") && x < s["minimum"].get<double>())
      errors.push_back(where + ": " + short_text(v) + " is below the minimum " + s["minimum"].dump());
    if (s.contains("maximum") && x > s["maximum"].get<double>())
      errors.push_back(where + ": " + short_text(v) + " is above the maximum " + s["maximum"].dump());
  }
  if (v.is_object()) {
    for (const auto& key : s.value("required", json::array()))
      if (!v.contains(key.get<std::string>())) errors.push_back(where + ": missing required field '" + key.get<std::string>() + "'");
    const json props = s.value("properties", json::object());
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string at = where + "." + it.key();
      if (props.contains(it.key())) {
        validate_at(props[it.key()], it.value(), at, errors, depth + 1);
      } else if (s.contains("additionalProperties")) {
        const json& extra = s["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) errors.push_back(at + ": field not allowed");
        else if (extra.is_object()) validate_at(extra, it.value(), at, errors, depth + 1);
      }
    }
  }
  if (v.is_array() && s.contains("items"))
    for (std::size_t i = 0; i < v.size(); ++i)
      validate_at(s["items"], v[i], where + "[" + std::to_string(i) + "]", errors, depth + 1);
}

std::vector<std::string> OpenApi::unsupported_keywords() const {
  std::vector<std::string> out;
  each_document_schema(doc_, [&out](const json& schema, const std::string& where) {
    for (auto it = schema.begin(); it != schema.end(); ++it)
      if (!known_keywords().count(it.key())) out.push_back(where + ": " + it.key());
  });
  return out;
}

std::vector<std::string> OpenApi::dangling_refs() const {
  std::vector<std::string> out;
  std::function<void(const json&)> walk = [&](const json& node) {
    if (node.is_object()) {
      if (node.contains("$ref")) {
        try {
          resolve(node);
        } catch (const std::exception& e) {
          out.push_back(node["$ref"].dump() + ": " + e.what());
        }
      }
      for (const auto& item : node) walk(item);
    } else if (node.is_array()) {
      for (const auto& item : node) walk(item);
    }
  };
  walk(doc_);
  return out;
}

}  // namespace tbml::testing
