#include "tbml/api/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tbml/service/api_error.h"

namespace tbml {
namespace {

namespace fs = std::filesystem;

bool plain_name(const std::string& name) {
  if (name.empty() || name.size() > 100 || name[0] == '.') return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') return false;
  return true;
}

RouteResponse read_file(const fs::path& path, const std::string& type) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw not_found("Not found", "No file " + path.filename().string());
  std::ostringstream text;
  text << in.rdbuf();
  RouteResponse r;
  r.text = text.str();
  r.content_type = type;
  return r;
}

}  // namespace

std::string resolve_static_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code ec;
  if (fs::is_regular_file("web/index.html", ec)) return fs::current_path(ec).string();
  return TBML_SOURCE_DIR;
}

std::string content_type_for(const std::string& file_name) {
  const std::string ext = fs::path(file_name).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".yaml") return "application/yaml";
  throw not_found("Not found", "Files of type '" + ext + "' are not served");
}

RouteResponse StaticFiles::web_file(const std::string& name) const {
  const fs::path dir = fs::path(root_) / "web";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw unavailable("Status page unavailable", "The folder " + dir.string() +
                                                     " does not exist; set server.staticDir to the folder holding web/");
  if (!plain_name(name)) throw not_found("Not found", "No file " + name.substr(0, 100) + " in web/");
  const std::string type = content_type_for(name);
  if (!fs::is_regular_file(dir / name, ec)) throw not_found("Not found", "No file " + name + " in web/");
  return read_file(dir / name, type);
}

RouteResponse StaticFiles::openapi() const {
  const fs::path file = fs::path(root_) / "docs" / "openapi.yaml";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw unavailable("OpenAPI description unavailable",
                      "The file " + file.string() + " does not exist; set server.staticDir to the folder holding docs/");
  return read_file(file, "application/yaml");
}

}  // namespace tbml
