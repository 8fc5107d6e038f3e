#pragma once
// Crash-safe file writes: write to a temp file in the same folder, fsync it, rename over the target,
// fsync the folder. A reader sees the old content or the new, never a torn file.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace tbml {

// Throws std::runtime_error with the path and errno text on failure; the target is untouched then.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);
std::string read_file(const std::filesystem::path& path);  // throws std::runtime_error
void fsync_directory(const std::filesystem::path& dir);
// FNV-1a 64 over the bytes, as 16 hex digits: a cheap checksum for model files.
std::string checksum_hex(std::string_view bytes);
// Suffix of temp files made by write_file_atomic, so start-up can clean strays.
inline constexpr std::string_view kTempSuffix = ".tmp-tbml";

}  // namespace tbml
