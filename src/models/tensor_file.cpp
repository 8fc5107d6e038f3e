#include "tbml/models/tensor_file.h"

#include <cstring>
#include <limits>
#include <stdexcept>

namespace tbml {
namespace {

constexpr char kMagic[8] = {'T', 'B', 'M', 'L', 'T', 'N', 'S', '1'};
constexpr std::size_t kMaxRank = 8;
constexpr std::uint32_t kMaxTensors = 100000;

template <typename T>
void put(std::string& out, T value) {
  using U = std::make_unsigned_t<T>;
  const U u = static_cast<U>(value);
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  template <typename T>
  T get(const char* what) {
    need(sizeof(T), what);
    using U = std::make_unsigned_t<T>;
    U u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      u |= static_cast<U>(static_cast<unsigned char>(bytes_[pos_ + i])) << (8 * i);
    pos_ += sizeof(T);
    return static_cast<T>(u);
  }
  std::string text(std::size_t n, const char* what) {
    need(n, what);
    std::string s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void need(std::size_t n, const char* what) const {
    if (bytes_.size() - pos_ < n)
      throw std::invalid_argument(std::string("tensor file truncated in ") + what + " at byte " + std::to_string(pos_));
  }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  std::size_t pos() const { return pos_; }

 private:
  const std::string& bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode_tensors(const std::vector<NamedTensor>& tensors) {
  std::string out(kMagic, sizeof(kMagic));
  put<std::uint32_t>(out, static_cast<std::uint32_t>(tensors.size()));
  for (const auto& t : tensors) {
    std::size_t n = 1;
    for (auto d : t.shape) n *= static_cast<std::size_t>(d);
    if (t.name.empty() || t.name.size() > 0xffff || t.shape.size() > kMaxRank || n != t.values.size())
      throw std::invalid_argument("tensor '" + t.name + "' cannot be encoded (name, rank or size)");
    put<std::uint16_t>(out, static_cast<std::uint16_t>(t.name.size()));
    out += t.name;
    put<std::uint8_t>(out, static_cast<std::uint8_t>(t.shape.size()));
    for (auto d : t.shape) put<std::int64_t>(out, d);
    for (float v : t.values) {
      std::uint32_t bits = 0;
      std::memcpy(&bits, &v, sizeof(bits));
      put<std::uint32_t>(out, bits);
    }
  }
  return out;
}

std::vector<NamedTensor> decode_tensors(const std::string& bytes) {
  Reader r(bytes);
  if (r.text(sizeof(kMagic), "the header") != std::string(kMagic, sizeof(kMagic)))
    throw std::invalid_argument("not a tbml tensor file (bad magic)");
  const auto count = r.get<std::uint32_t>("the tensor count");
  if (count > kMaxTensors) throw std::invalid_argument("tensor file claims " + std::to_string(count) + " tensors");
  std::vector<NamedTensor> out;
  out.reserve(count);
  for (std::uint32_t k = 0; k < count; ++k) {
    NamedTensor t;
    const auto name_len = r.get<std::uint16_t>("a name length");
    t.name = r.text(name_len, "a name");
    if (t.name.empty()) throw std::invalid_argument("tensor " + std::to_string(k) + " has an empty name");
    for (char c : t.name)
      if (c < 0x21 || c > 0x7e) throw std::invalid_argument("tensor " + std::to_string(k) + " has a non-printable name");
    const auto rank = r.get<std::uint8_t>("a rank");
    if (rank > kMaxRank) throw std::invalid_argument("tensor '" + t.name + "' has rank " + std::to_string(rank));
    std::size_t n = 1;
    for (std::uint8_t d = 0; d < rank; ++d) {
      const auto dim = r.get<std::int64_t>("a dimension");
      if (dim < 0) throw std::invalid_argument("tensor '" + t.name + "' has a negative dimension");
      // The values must fit in what is left of the file: bounds every product before it can overflow.
      if (dim != 0 && n > r.remaining() / 4 / static_cast<std::size_t>(dim))
        throw std::invalid_argument("tensor '" + t.name + "' is larger than the file");
      n *= static_cast<std::size_t>(dim);
      t.shape.push_back(dim);
    }
    if (n > r.remaining() / 4) throw std::invalid_argument("tensor '" + t.name + "' is larger than the file");
    t.values.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto bits = r.get<std::uint32_t>("values");
      std::memcpy(&t.values[i], &bits, sizeof(bits));
    }
    out.push_back(std::move(t));
  }
  if (r.remaining() != 0)
    throw std::invalid_argument(std::to_string(r.remaining()) + " bytes after the last tensor");
  return out;
}

}  // namespace tbml
