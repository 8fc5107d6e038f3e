#pragma once
// Body-level faults: transformations of a correct core payload into the broken ones a real upstream (or
// a proxy in front of it) can produce. Transport-level faults (hang, slow drip) belong to the server.
#include <nlohmann/json.hpp>
#include <string>

namespace tbml::sim_detail {

// Reverses the six parallel history arrays, so rows stay consistent but time runs newest-first.
void reverse_history(nlohmann::json& history);

// Replaces some prices by NaN; nlohmann serialises NaN as null, exactly like Node's JSON.stringify.
void inject_nan_prices(nlohmann::json& history);

// Same document with the wrong JSON types: numbers and booleans become strings, arrays of strings become
// one comma-joined string. Still valid JSON.
nlohmann::json break_types(const nlohmann::json& value);

// The first half of the text (never valid JSON for a non-trivial object).
std::string truncate_body(const std::string& body);

// What a misconfigured proxy answers instead of JSON.
std::string garbage_body();

}  // namespace tbml::sim_detail
