#include "tbml/storage/model_store.h"
#include "tbml/util/pair_name.h"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <system_error>
#include <tuple>

#include "log.h"
#include "tbml/util/atomic_file.h"
#include "tbml/util/time.h"

namespace tbml {
namespace fs = std::filesystem;
namespace {

constexpr const char* kWeightsFile = "weights.pt";
constexpr const char* kMetaFile = "meta.json";

// "v12" -> 12; anything else (including "v12.bad-..." and temp names) -> nullopt.
std::optional<int> parse_version_folder(const std::string& name) {
  if (name.size() < 2 || name.size() > 10 || name[0] != 'v') return std::nullopt;
  int value = 0;
  for (std::size_t i = 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    value = value * 10 + (name[i] - '0');
  }
  return value > 0 ? std::optional<int>(value) : std::nullopt;
}

// Leading "v<digits>" of any entry (complete, quarantined or temp), so numbers are never reused.
int leading_version(const std::string& name) {
  if (name.empty() || name[0] != 'v') return 0;
  long value = 0;
  for (std::size_t i = 1; i < name.size() && i < 10 && name[i] >= '0' && name[i] <= '9'; ++i) {
    value = value * 10 + (name[i] - '0');
  }
  return static_cast<int>(value);
}

std::vector<int> complete_versions(const fs::path& dir) {
  std::vector<int> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    if (auto v = parse_version_folder(entry.path().filename().string())) out.push_back(*v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::uintmax_t bytes_under(const fs::path& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      auto size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

std::string version_name(int version) { return "v" + std::to_string(version); }

void check_names(const std::string& pair, const std::string& type) {
  if (!ModelStore::valid_pair(pair)) {
    throw std::invalid_argument("invalid pair name '" + pair + "': expected ^[A-Z0-9]{2,20}$");
  }
  if (!ModelStore::valid_type(type)) {
    throw std::invalid_argument("invalid model type '" + type + "': expected ^[a-z0-9_]{1,32}$");
  }
}

// Renames a refused version folder aside so it is never loaded again but stays for inspection.
void quarantine(const fs::path& dir, int version, const std::string& what) {
  const fs::path from = dir / version_name(version);
  const fs::path to = dir / (version_name(version) + ".bad-" + std::to_string(now_ms()));
  const std::string model = dir.parent_path().filename().string() + "/" + dir.filename().string() + " " +
                            version_name(version);
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) {
    storage_log()->error("refused model {} ({}); not loaded, and it could not be quarantined: {}", model, what,
                         ec.message());
    return;
  }
  try {
    fsync_directory(dir);
  } catch (const std::exception&) {
    // The rename stands in the page cache; at worst it is redone after a crash.
  }
  storage_log()->error("refused model {} ({}); not loaded, quarantined as {}", model, what,
                       to.filename().string());
}

}  // namespace

nlohmann::json RefusedModel::to_json() const {
  return {{"pair", pair}, {"model", type}, {"version", version}, {"file", file}, {"reason", reason}, {"at", at_ms}};
}

ModelStore::ModelStore(fs::path base_dir, int keep_versions)
    : root_(std::move(base_dir) / "models"), keep_versions_(keep_versions) {
  if (keep_versions_ < 1) throw std::invalid_argument("model store must keep at least 1 version");
}

bool ModelStore::valid_pair(const std::string& pair) { return is_valid_pair_name(pair); }

bool ModelStore::valid_type(const std::string& type) {
  if (type.empty() || type.size() > 32) return false;
  return std::all_of(type.begin(), type.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

fs::path ModelStore::type_dir(const std::string& pair, const std::string& type) const {
  check_names(pair, type);
  return root_ / pair / type;
}

int ModelStore::save(const std::string& pair, const std::string& type, nlohmann::json meta,
                     const std::string& weights) {
  const fs::path dir = type_dir(pair, type);
  if (meta.is_null()) meta = nlohmann::json::object();
  if (!meta.is_object()) throw std::invalid_argument("model meta must be a JSON object");
  std::lock_guard lock(mu_);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());

  int version = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    version = std::max(version, leading_version(entry.path().filename().string()));
  }
  ++version;
  meta["version"] = version;
  meta["checksum"] = checksum_hex(weights);
  meta["weightsBytes"] = weights.size();
  meta["savedAt"] = now_ms();

  std::random_device rd;
  const fs::path tmp =
      dir / (version_name(version) + "." + std::to_string(rd()) + std::string(kTempSuffix));
  const fs::path final_dir = dir / version_name(version);
  try {
    fs::create_directory(tmp);
    write_file_atomic(tmp / kWeightsFile, weights);
    write_file_atomic(tmp / kMetaFile, meta.dump(2));
    fs::rename(tmp, final_dir);
    fsync_directory(dir);
    // New pair/type folders must survive a crash too.
    fsync_directory(dir.parent_path());
    fsync_directory(root_);
    fsync_directory(root_.parent_path());
  } catch (const std::exception& e) {
    fs::remove_all(tmp, ec);
    throw std::runtime_error("cannot save model " + pair + "/" + type + " v" +
                             std::to_string(version) + ": " + e.what());
  }
  prune_locked(dir);
  {
    // A new version supersedes the refused ones of this pair/type.
    std::lock_guard refused_lock(refused_mu_);
    refused_.erase(std::remove_if(refused_.begin(), refused_.end(),
                                  [&](const RefusedModel& r) { return r.pair == pair && r.type == type; }),
                   refused_.end());
  }
  return version;
}

void ModelStore::prune_locked(const fs::path& dir) {
  auto versions = complete_versions(dir);
  while (versions.size() > static_cast<std::size_t>(keep_versions_)) {
    std::error_code ec;
    fs::remove_all(dir / version_name(versions.front()), ec);
    if (ec) {
      storage_log()->warn("cannot prune {}: {}", (dir / version_name(versions.front())).string(),
                          ec.message());
    }
    versions.erase(versions.begin());
  }
}

std::optional<StoredModel> ModelStore::load_locked(const fs::path& dir, int version) {
  const fs::path folder = dir / version_name(version);
  std::string reason;
  std::string file = kMetaFile;
  try {
    auto meta = nlohmann::json::parse(read_file(folder / kMetaFile), nullptr, false);
    if (meta.is_discarded() || !meta.is_object()) {
      reason = "not a JSON object";
    } else if (!meta.contains("checksum") || !meta["checksum"].is_string()) {
      reason = "no checksum";
    } else if (meta.value("version", 0) != version) {
      reason = "names another version";
    } else {
      file = kWeightsFile;
      std::string weights = read_file(folder / kWeightsFile);
      const std::string actual = checksum_hex(weights);
      if (actual != meta["checksum"].get<std::string>()) {
        reason = "checksum mismatch (meta.json says " + meta["checksum"].get<std::string>() + ", the " +
                 std::to_string(weights.size()) + " bytes hash to " + actual + "): truncated or corrupted";
      } else {
        return StoredModel{version, std::move(meta), std::move(weights)};
      }
    }
  } catch (const std::exception& e) {
    reason = e.what();
  }
  quarantine(dir, version, file + ": " + reason);
  record_refusal({dir.parent_path().filename().string(), dir.filename().string(), version, file, reason, now_ms()});
  return std::nullopt;
}

void ModelStore::record_refusal(RefusedModel refusal) {
  std::lock_guard lock(refused_mu_);
  for (auto& r : refused_) {
    if (r.pair == refusal.pair && r.type == refusal.type && r.version == refusal.version) {
      r = std::move(refusal);
      return;
    }
  }
  refused_.push_back(std::move(refusal));
}

void ModelStore::refuse(const std::string& pair, const std::string& type, int version, const std::string& file,
                        const std::string& reason) {
  const fs::path dir = type_dir(pair, type);
  {
    std::lock_guard lock(mu_);
    std::error_code ec;
    if (version > 0 && fs::is_directory(dir / version_name(version), ec)) quarantine(dir, version, file + ": " + reason);
  }
  record_refusal({pair, type, version, file, reason, now_ms()});
}

std::vector<RefusedModel> ModelStore::refused() const {
  std::lock_guard lock(refused_mu_);
  return refused_;
}

std::optional<StoredModel> ModelStore::load_latest(const std::string& pair,
                                                   const std::string& type) {
  const fs::path dir = type_dir(pair, type);
  std::lock_guard lock(mu_);
  auto versions = complete_versions(dir);
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (auto model = load_locked(dir, *it)) return model;
  }
  return std::nullopt;
}

std::optional<StoredModel> ModelStore::load_version(const std::string& pair,
                                                    const std::string& type, int version) {
  const fs::path dir = type_dir(pair, type);
  std::lock_guard lock(mu_);
  std::error_code ec;
  if (version <= 0 || !fs::is_directory(dir / version_name(version), ec)) return std::nullopt;
  return load_locked(dir, version);
}

std::vector<int> ModelStore::versions(const std::string& pair, const std::string& type) const {
  const fs::path dir = type_dir(pair, type);
  std::lock_guard lock(mu_);
  return complete_versions(dir);
}

std::vector<StoredModelSummary> ModelStore::list() const {
  std::vector<StoredModelSummary> out;
  std::lock_guard lock(mu_);
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return out;
  for (const auto& pair_entry : fs::directory_iterator(root_, ec)) {
    const std::string pair = pair_entry.path().filename().string();
    if (!pair_entry.is_directory(ec) || !valid_pair(pair)) continue;
    for (const auto& type_entry : fs::directory_iterator(pair_entry.path(), ec)) {
      const std::string type = type_entry.path().filename().string();
      if (!type_entry.is_directory(ec) || !valid_type(type)) continue;
      out.push_back(
          {pair, type, complete_versions(type_entry.path()), bytes_under(type_entry.path())});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.pair, a.type) < std::tie(b.pair, b.type);
  });
  return out;
}

std::uintmax_t ModelStore::total_bytes() const {
  std::lock_guard lock(mu_);
  return bytes_under(root_);
}

std::size_t ModelStore::cleanup_temp() {
  std::lock_guard lock(mu_);
  std::vector<fs::path> strays;
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return 0;
  for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().filename().string().find(kTempSuffix) != std::string::npos) {
      strays.push_back(it->path());
      if (it->is_directory(ec)) it.disable_recursion_pending();
    }
  }
  for (const auto& path : strays) {
    std::error_code rm_ec;
    fs::remove_all(path, rm_ec);
    if (rm_ec) {
      storage_log()->warn("cannot remove stray temp file {}: {}", path.string(), rm_ec.message());
    } else {
      storage_log()->info("removed stray temp file {} left by an interrupted save", path.string());
    }
  }
  return strays.size();
}

std::size_t ModelStore::verify_all() {
  std::size_t bad = 0;
  for (const auto& summary : list()) {
    const fs::path dir = root_ / summary.pair / summary.type;
    std::lock_guard lock(mu_);
    for (int version : summary.versions) {
      if (!load_locked(dir, version)) ++bad;
    }
  }
  return bad;
}

}  // namespace tbml
