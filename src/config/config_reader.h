#pragma once
// Private to src/config: the typed reader of a merged configuration document, which records a precise
// error for every bad key instead of throwing at the first, so that all problems are reported at once.
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml::config_detail {

using nlohmann::json;

inline std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// Typed readers that record a precise error instead of throwing, so that every problem is reported.
class Reader {
 public:
  Reader(const json& doc, std::vector<std::string>& errors) : doc_(doc), errors_(errors) {}

  const json* at(const std::string& dotted) const {
    const json* cur = &doc_;
    std::stringstream ss(dotted);
    std::string part;
    while (std::getline(ss, part, '.')) {
      if (!cur->is_object() || !cur->contains(part)) return nullptr;
      cur = &(*cur)[part];
    }
    return cur;
  }

  double number(const std::string& key, double lo, double hi) {
    const json* v = at(key);
    if (!v || !v->is_number()) {
      errors_.push_back(key + " must be a number");
      return lo;
    }
    double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) {
      errors_.push_back(key + " = " + v->dump() + " is out of range [" + fmt(lo) + ", " + fmt(hi) + "]");
      return lo;
    }
    return d;
  }

  std::int64_t integer(const std::string& key, std::int64_t lo, std::int64_t hi) {
    const json* v = at(key);
    if (!v || !v->is_number_integer()) {
      errors_.push_back(key + " must be an integer");
      return lo;
    }
    auto i = v->get<std::int64_t>();
    if (i < lo || i > hi) {
      errors_.push_back(key + " = " + std::to_string(i) + " is out of range [" + std::to_string(lo) +
                        ", " + std::to_string(hi) + "]");
      return lo;
    }
    return i;
  }

  bool boolean(const std::string& key) {
    const json* v = at(key);
    if (!v || !v->is_boolean()) {
      errors_.push_back(key + " must be true or false");
      return false;
    }
    return v->get<bool>();
  }

  std::string string(const std::string& key) {
    const json* v = at(key);
    if (!v || !v->is_string()) {
      errors_.push_back(key + " must be a string");
      return "";
    }
    return v->get<std::string>();
  }

  std::string one_of(const std::string& key, const std::vector<std::string>& allowed) {
    std::string s = string(key);
    for (const auto& a : allowed)
      if (s == a) return s;
    errors_.push_back(key + " = '" + s + "' is not one of: " + join(allowed, ", "));
    return allowed.front();
  }

  // A list of whole numbers in [lo, hi]; numeric strings (a comma list from the environment) count too.
  std::vector<std::int64_t> integers(const std::string& key, std::int64_t lo, std::int64_t hi) {
    const json* v = at(key);
    std::vector<std::int64_t> out;
    if (!v || !v->is_array()) {
      errors_.push_back(key + " must be a list of integers");
      return out;
    }
    for (const auto& item : *v) {
      std::int64_t n = 0;
      if (item.is_number_integer()) {
        n = item.get<std::int64_t>();
      } else if (item.is_string()) {
        const std::string t = item.get<std::string>();
        std::size_t pos = 0;
        try {
          n = std::stoll(t, &pos);
        } catch (const std::exception&) {
          pos = 0;
        }
        if (t.empty() || pos != t.size()) {
          errors_.push_back(key + ": '" + t + "' is not an integer");
          return {};
        }
      } else {
        errors_.push_back(key + " must be a list of integers");
        return {};
      }
      if (n < lo || n > hi) {
        errors_.push_back(key + ": " + std::to_string(n) + " is out of range [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]");
        return {};
      }
      out.push_back(n);
    }
    return out;
  }

  std::vector<std::string> strings(const std::string& key) {
    const json* v = at(key);
    std::vector<std::string> out;
    if (!v || !v->is_array()) {
      errors_.push_back(key + " must be a list of strings");
      return out;
    }
    for (const auto& item : *v) {
      if (!item.is_string()) {
        errors_.push_back(key + " must be a list of strings");
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  void error(const std::string& message) { errors_.push_back(message); }

 private:
  static std::string fmt(double d) {
    std::ostringstream os;
    os << d;
    return os.str();
  }
  const json& doc_;
  std::vector<std::string>& errors_;
};

}  // namespace tbml::config_detail
