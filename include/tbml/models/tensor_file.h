#pragma once
// The weights file of the networks ("tbml-tensors-1"): named float tensors in a format of our own, read by
// a strict, torch-free parser. It replaces torch's archive reader for files found on disk, because that
// reader parses TorchScript inside the archive and crashes the process on some damaged or hostile files
// (a checksum only proves the file is the one that was written, not who wrote it).
//
// Layout, all integers little-endian: "TBMLTNS1", u32 tensor count, then per tensor: u16 name length, the
// name (printable ASCII), u8 rank (<= 8), rank × i64 dimensions (>= 0), the product of the dimensions ×
// f32 values. Nothing may follow the last tensor.
#include <cstdint>
#include <string>
#include <vector>

namespace tbml {

inline constexpr const char* kTensorFileFormat = "tbml-tensors-1";

struct NamedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // row-major, product(shape) of them
};

std::string encode_tensors(const std::vector<NamedTensor>& tensors);
// Throws std::invalid_argument naming the first problem (truncated, bad magic, bad name, rank, size,
// trailing bytes). Values are returned as stored; the caller checks that they are finite.
std::vector<NamedTensor> decode_tensors(const std::string& bytes);

}  // namespace tbml
