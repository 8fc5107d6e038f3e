#pragma once
// Files the service serves from the repository rather than from code: the status page (web/) and the
// OpenAPI description (docs/openapi.yaml). Read from disk on each request (a few kB), so the page can be
// edited without a rebuild; only plain file names directly inside web/ are served, so no request can
// reach another file.
#include <string>

#include "tbml/api/routes.h"

namespace tbml {

// The folder holding web/ and docs/: `configured` (server.staticDir) when set; otherwise the working
// directory when it has web/index.html (a container's WORKDIR, like config/default.json), otherwise the
// source tree the binary was built from (TBML_SOURCE_DIR: a build tree run from anywhere, the tests).
std::string resolve_static_dir(const std::string& configured);

class StaticFiles {
 public:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }

  // web/<name>: 404 for a name that is not a plain file there, 503 when web/ itself is missing.
  RouteResponse web_file(const std::string& name) const;
  RouteResponse openapi() const;

 private:
  std::string root_;
};

// "text/html; charset=utf-8" for "index.html", ...; throws ApiError(404) for extensions not served.
std::string content_type_for(const std::string& file_name);

}  // namespace tbml
