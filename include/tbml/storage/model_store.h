#pragma once
// Model artifacts on disk: `<base>/models/<PAIR>/<type>/v<N>/{weights.pt, meta.json}`.
// A version folder is written under a temp name (files fsynced) and renamed into place (folder
// fsynced), so after a crash it is either complete or absent. meta.json carries the weights'
// checksum; a version that fails verification is renamed to `v<N>.bad-<ms>` (quarantined, logged)
// and the previous version is used instead. The newest `keep_versions` versions are kept.
// Every refusal (a version that failed these checks, or whose contents the loader rejected) is kept in
// refused() until a new version of that pair/type is saved, so health can name it.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tbml {

struct StoredModel {
  int version = 0;
  nlohmann::json meta;  // as saved, plus "version", "checksum", "weightsBytes", "savedAt"
  std::string weights;
};

struct StoredModelSummary {
  std::string pair;
  std::string type;
  std::vector<int> versions;  // ascending, verified-complete folders only
  std::uintmax_t bytes = 0;   // everything under the type folder, quarantined files included
};

// A model version found on disk and refused: never loaded, quarantined, named by health.
struct RefusedModel {
  std::string pair;
  std::string type;
  int version = 0;
  std::string file;    // "weights.pt" or "meta.json"
  std::string reason;
  std::int64_t at_ms = 0;
  nlohmann::json to_json() const;
};

class ModelStore {
 public:
  static constexpr int kDefaultKeepVersions = 2;

  explicit ModelStore(std::filesystem::path base_dir, int keep_versions = kDefaultKeepVersions);

  // Names are checked before any path is built: pair ^[A-Z0-9]{2,20}$, type ^[a-z0-9_]{1,32}$.
  static bool valid_pair(const std::string& pair);
  static bool valid_type(const std::string& type);

  const std::filesystem::path& root() const { return root_; }  // <base>/models

  // Writes a new version and prunes old ones; returns the version number. `meta` must be a JSON
  // object (null counts as empty). Throws std::invalid_argument for bad names, std::runtime_error
  // for I/O failures (the previous versions are untouched then).
  int save(const std::string& pair, const std::string& type, nlohmann::json meta,
           const std::string& weights);
  // The newest version that verifies; bad newer versions are quarantined on the way.
  std::optional<StoredModel> load_latest(const std::string& pair, const std::string& type);
  // One specific version (e.g. to roll back); quarantined if it fails verification.
  std::optional<StoredModel> load_version(const std::string& pair, const std::string& type,
                                          int version);
  std::vector<int> versions(const std::string& pair, const std::string& type) const;
  std::vector<StoredModelSummary> list() const;
  std::uintmax_t total_bytes() const;

  // The loader rejected a version that passed the store's checks (its contents do not parse): logged,
  // quarantined and recorded like a failed verification.
  void refuse(const std::string& pair, const std::string& type, int version, const std::string& file,
              const std::string& reason);
  // Refusals not yet superseded by a newer saved version of their pair/type, oldest first.
  std::vector<RefusedModel> refused() const;

  // Start-up: removes temp files/folders left by an interrupted save; returns how many.
  std::size_t cleanup_temp();
  // Start-up: verifies every stored version, quarantining bad ones; returns how many were bad.
  std::size_t verify_all();

 private:
  std::filesystem::path type_dir(const std::string& pair, const std::string& type) const;
  std::optional<StoredModel> load_locked(const std::filesystem::path& dir, int version);
  void record_refusal(RefusedModel refusal);
  void prune_locked(const std::filesystem::path& dir);

  std::filesystem::path root_;
  int keep_versions_;
  mutable std::mutex mu_;
  // Its own lock: health reads refusals without waiting behind a save's fsyncs.
  mutable std::mutex refused_mu_;
  std::vector<RefusedModel> refused_;
};

}  // namespace tbml
