#include "tbml/models/tensor_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace tbml {
namespace {

std::vector<NamedTensor> sample() {
  return {{"lstm.weight_ih_l0", {2, 3}, {1.f, -2.f, 3.5f, 0.f, 1e-30f, -7.f}},
          {"head.bias", {1}, {0.25f}},
          {"scalar", {}, {42.f}},
          {"empty", {0, 4}, {}}};
}

TEST(TensorFile, RoundTripKeepsNamesShapesAndBits) {
  const auto back = decode_tensors(encode_tensors(sample()));
  ASSERT_EQ(back.size(), 4u);
  for (std::size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].name, sample()[i].name);
    EXPECT_EQ(back[i].shape, sample()[i].shape);
    EXPECT_EQ(back[i].values, sample()[i].values);
  }
}

TEST(TensorFile, EveryTruncationIsRefused) {
  const std::string bytes = encode_tensors(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(decode_tensors(bytes.substr(0, n)), std::invalid_argument) << n;
}

TEST(TensorFile, HostileHeadersAreRefusedWithTheReason) {
  auto message = [](const std::string& bytes) {
    try {
      decode_tensors(bytes);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  std::string bytes = encode_tensors(sample());
  EXPECT_NE(message("PK\x03\x04" + bytes.substr(4)).find("bad magic"), std::string::npos);
  EXPECT_NE(message(bytes + "x").find("after the last tensor"), std::string::npos);
  std::string huge = encode_tensors({{"w", {1}, {1.f}}});
  // The dimension (offset 8 magic + 4 count + 2 len + 1 name + 1 rank) claims 2^62 values.
  huge.replace(16, 8, std::string("\x00\x00\x00\x00\x00\x00\x00\x40", 8));
  EXPECT_NE(message(huge).find("larger than the file"), std::string::npos);
  std::string negative = encode_tensors({{"w", {1}, {1.f}}});
  negative[23] = '\x80';
  EXPECT_NE(message(negative).find("negative dimension"), std::string::npos);
  std::string name = encode_tensors({{"w", {1}, {1.f}}});
  name[14] = '\n';
  EXPECT_NE(message(name).find("non-printable name"), std::string::npos);
}

}  // namespace
}  // namespace tbml
