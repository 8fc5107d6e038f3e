#pragma once
// A JSON answer serialised once with holes where per-request values go (issue #13): a request then copies
// bytes and formats a few scalars instead of building and dumping a tree. The text is exactly what
// dumping the whole document would give, because it is that dump, cut at marker values.
#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tbml {

// How the API dumps every JSON body (compact, UTF-8 kept, invalid UTF-8 replaced).
std::string dump_answer(const nlohmann::json& doc);

class JsonTemplate {
 public:
  // The value to put in a document where hole `index` goes (a string no real answer contains).
  static nlohmann::json hole(std::size_t index);

  // Dumps `doc` with dump_answer and cuts it at each hole marker. `expected[i]` is how often hole i must
  // appear; nullopt when a count differs (the caller then serialises the document itself).
  static std::optional<JsonTemplate> build(const nlohmann::json& doc, const std::vector<std::size_t>& expected);

  // Appends the text with values[i] (already serialised JSON) in place of hole i; `count` values.
  void render(std::string& out, const std::string_view* values, std::size_t count) const;
  std::size_t literal_bytes() const { return literal_bytes_; }

 private:
  std::vector<std::string> segments_;  // one more than holes_
  std::vector<std::size_t> holes_;     // hole index between segments_[k] and segments_[k + 1]
  std::size_t literal_bytes_ = 0;
};

// N lazily built templates owned together, filled at most once each without a lock: the first finished
// build of a slot wins and later readers only load a pointer. A copy starts empty (a copied snapshot is
// about to change, so its answers must be built again).
template <std::size_t N>
class TemplateSlots {
 public:
  TemplateSlots() = default;
  TemplateSlots(const TemplateSlots&) {}
  TemplateSlots& operator=(const TemplateSlots&) {
    clear();
    return *this;
  }
  ~TemplateSlots() { clear(); }

  const JsonTemplate* get(std::size_t slot) const { return slots_.at(slot).load(std::memory_order_acquire); }
  // Stores `built` unless another thread filled the slot first; returns the slot's template either way.
  const JsonTemplate* put(std::size_t slot, std::unique_ptr<JsonTemplate> built) const {
    const JsonTemplate* expected = nullptr;
    if (slots_.at(slot).compare_exchange_strong(expected, built.get(), std::memory_order_acq_rel)) return built.release();
    return expected;
  }

 private:
  void clear() {
    for (auto& s : slots_) delete s.exchange(nullptr);
  }
  mutable std::array<std::atomic<const JsonTemplate*>, N> slots_{};
};

}  // namespace tbml
