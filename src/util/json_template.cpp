#include "tbml/util/json_template.h"

#include <stdexcept>

namespace tbml {

std::string dump_answer(const nlohmann::json& doc) {
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Control characters are always escaped as \u00XX in a dump, so the marker's dumped form cannot come
// from ordinary text, and build() checks the counts anyway.
nlohmann::json JsonTemplate::hole(std::size_t index) { return "\x01tbml-hole-" + std::to_string(index) + "\x01"; }

std::optional<JsonTemplate> JsonTemplate::build(const nlohmann::json& doc, const std::vector<std::size_t>& expected) {
  const std::string text = dump_answer(doc);
  std::vector<std::string> markers;
  for (std::size_t i = 0; i < expected.size(); ++i) markers.push_back(dump_answer(hole(i)));
  JsonTemplate t;
  std::vector<std::size_t> seen(expected.size(), 0);
  std::size_t from = 0;
  for (;;) {
    // The next marker of any hole; every marker starts with the same bytes, so find that prefix first.
    std::size_t at = text.find("\"\\u0001tbml-hole-", from);
    if (at == std::string::npos) break;
    std::size_t which = expected.size();
    for (std::size_t i = 0; i < markers.size(); ++i)
      if (text.compare(at, markers[i].size(), markers[i]) == 0) which = i;
    if (which == expected.size()) return std::nullopt;  // a marker of a hole not asked for
    t.segments_.push_back(text.substr(from, at - from));
    t.holes_.push_back(which);
    ++seen[which];
    from = at + markers[which].size();
  }
  t.segments_.push_back(text.substr(from));
  if (seen != expected) return std::nullopt;
  for (const auto& s : t.segments_) t.literal_bytes_ += s.size();
  return t;
}

void JsonTemplate::render(std::string& out, const std::string_view* values, std::size_t count) const {
  std::size_t bytes = literal_bytes_;
  for (std::size_t h : holes_) {
    if (h >= count) throw std::out_of_range("JsonTemplate::render: no value for hole " + std::to_string(h));
    bytes += values[h].size();
  }
  out.reserve(out.size() + bytes);
  for (std::size_t k = 0; k < holes_.size(); ++k) {
    out += segments_[k];
    out += values[holes_[k]];
  }
  out += segments_.back();
}

}  // namespace tbml
