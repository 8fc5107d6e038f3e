// docker/ is not built in the suite (no docker daemon here), so its files are checked for what can go
// wrong without one: YAML and JSON that parse, compose services and volumes that refer to each other, a
// Dockerfile with a non-root user, an exec-form entrypoint, a HEALTHCHECK on /api/health and COPY sources
// that exist, runtime packages that Debian knows, and a Grafana dashboard whose every series is one the
// live service exports (names read from a running tbml's /metrics).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "service_fixture.h"
#include "support/openapi_schema.h"

using namespace tbml::testing;

namespace {

const std::string kRoot = TBML_SOURCE_DIR;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The Dockerfile's instructions, continuation lines joined.
std::vector<std::string> dockerfile_instructions(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line, current;
  while (std::getline(in, line)) {
    if (current.empty() && (line.empty() || line[0] == '#')) continue;
    const bool continues = !line.empty() && line.back() == '\\';
    current += continues ? line.substr(0, line.size() - 1) : line;
    if (!continues) {
      out.push_back(current);
      current.clear();
    }
  }
  return out;
}

}  // namespace

TEST(DockerFiles, YamlParsesAndComposeIsConsistent) {
  for (const std::string file : {"docker/compose.yaml", "docker/prometheus/prometheus.yml", "docker/grafana/provisioning.yaml",
                                 "docker/grafana/dashboards.yaml"}) {
    EXPECT_NO_THROW(YAML::LoadFile(kRoot + "/" + file)) << file;
  }
  const YAML::Node compose = YAML::LoadFile(kRoot + "/docker/compose.yaml");
  const YAML::Node services = compose["services"];
  ASSERT_TRUE(services && services.IsMap());
  for (const char* name : {"core-sim", "tbml", "prometheus", "grafana"}) EXPECT_TRUE(services[name]) << name;
  // tbml polls core-sim by its service name, on the port core-sim listens on, on all interfaces.
  const std::string core_url = services["tbml"]["environment"]["CORE_SERVICE_URL"].as<std::string>();
  EXPECT_EQ(core_url, "http://core-sim:3000");
  std::string core_cmd;
  for (const auto& arg : services["core-sim"]["command"]) core_cmd += arg.as<std::string>() + " ";
  EXPECT_NE(core_cmd.find("--host 0.0.0.0"), std::string::npos) << core_cmd;
  EXPECT_NE(core_cmd.find("--port 3000"), std::string::npos) << core_cmd;
  // Every named volume a service mounts is declared; the build context holds the Dockerfile.
  std::set<std::string> declared;
  for (const auto& v : compose["volumes"]) declared.insert(v.first.as<std::string>());
  EXPECT_TRUE(declared.count("tbml-data"));
  for (const auto& s : services) {
    for (const auto& mount : s.second["volumes"]) {
      const std::string spec = mount.as<std::string>();
      const std::string source = spec.substr(0, spec.find(':'));
      if (source.rfind("./", 0) == 0) {
        EXPECT_TRUE(std::filesystem::exists(kRoot + "/docker/" + source.substr(2))) << spec;
      } else {
        EXPECT_TRUE(declared.count(source)) << "volume " << source << " of " << s.first.as<std::string>();
      }
    }
  }
  const YAML::Node build = services["core-sim"]["build"];
  EXPECT_TRUE(std::filesystem::exists(kRoot + "/docker/" + build["context"].as<std::string>() + "/" +
                                      build["dockerfile"].as<std::string>()));
  // Prometheus scrapes the tbml service on its port.
  const YAML::Node prom = YAML::LoadFile(kRoot + "/docker/prometheus/prometheus.yml");
  const YAML::Node job = prom["scrape_configs"][0];
  EXPECT_EQ(job["metrics_path"].as<std::string>(), "/metrics");
  EXPECT_EQ(job["static_configs"][0]["targets"][0].as<std::string>(), "tbml:3001");
}

TEST(DockerFiles, DockerfileRunsAsAUserWithAHealthcheckAndExecEntrypoint) {
  const auto lines = dockerfile_instructions(read_text(kRoot + "/docker/Dockerfile"));
  ASSERT_FALSE(lines.empty());
  std::string user, entrypoint, healthcheck, runtime_install;
  int stages = 0;
  for (const auto& l : lines) {
    const std::string word = l.substr(0, l.find(' '));
    if (word == "FROM") ++stages;
    if (word == "USER") user = l.substr(5);
    if (word == "ENTRYPOINT") entrypoint = l.substr(11);
    if (word == "HEALTHCHECK") healthcheck = l;
    if (word == "RUN" && stages == 2 && l.find("apt-get install") != std::string::npos) runtime_install = l;
    if (word == "COPY" && l.find("--from=") == std::string::npos) {
      std::istringstream parts(l.substr(5));
      std::vector<std::string> args;
      for (std::string a; parts >> a;) args.push_back(a);
      for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == ".") continue;
        EXPECT_TRUE(std::filesystem::exists(kRoot + "/" + args[i])) << l;
      }
    }
  }
  EXPECT_EQ(stages, 2);
  EXPECT_FALSE(user.empty());
  EXPECT_NE(user, "root");
  EXPECT_NE(user, "0");
  // Exec form (a JSON array), so tbml is PID 1 and gets SIGTERM itself rather than through a shell.
  const nlohmann::json ep = nlohmann::json::parse(entrypoint, nullptr, false);
  ASSERT_TRUE(ep.is_array()) << entrypoint;
  EXPECT_NE(ep[0].get<std::string>().find("tbml"), std::string::npos);
  EXPECT_NE(healthcheck.find("/api/health"), std::string::npos) << healthcheck;
  // The runtime stage installs the libraries the build links, including the trees and OpenBLAS.
  for (const char* lib : {"libtorch1.13", "libxgboost0", "libopenblas0-pthread", "libcpp-httplib0.11", "curl"})
    EXPECT_NE(runtime_install.find(lib), std::string::npos) << lib;
  // Each runtime package exists in Debian's index, where apt-cache is there to ask (one call: each takes
  // a second or two).
  if (std::system("command -v apt-cache >/dev/null 2>&1") == 0) {
    std::istringstream words(runtime_install.substr(runtime_install.find("--no-install-recommends") + 23));
    std::vector<std::string> wanted;
    for (std::string w; words >> w && w != "&&";) wanted.push_back(w);
    std::string command = "apt-cache show --no-all-versions";
    for (const auto& w : wanted) command += " " + w;
    std::string known;
    if (FILE* p = ::popen((command + " 2>/dev/null | grep '^Package: '").c_str(), "r")) {
      char buf[256];
      while (std::fgets(buf, sizeof buf, p)) known += buf;
      ::pclose(p);
    }
    for (const auto& w : wanted) EXPECT_NE(known.find("Package: " + w + "\n"), std::string::npos) << "unknown package " << w;
  }
}

TEST(DockerFiles, GrafanaDashboardShowsSeriesTheServiceExports) {
  const nlohmann::json dash = nlohmann::json::parse(read_text(kRoot + "/docker/grafana/tbml-dashboard.json"));
  ASSERT_TRUE(dash["panels"].is_array());
  std::set<std::string> used;
  const std::regex series("tbml_[a-z_]+");
  for (const auto& panel : dash["panels"]) {
    EXPECT_EQ(panel["datasource"]["uid"], "prometheus") << panel["title"];
    for (const auto& target : panel["targets"]) {
      const std::string expr = target["expr"];
      for (std::sregex_iterator it(expr.begin(), expr.end(), series), end; it != end; ++it) {
        std::string name = it->str();
        for (const std::string suffix : {"_bucket", "_sum", "_count"})
          if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            name = name.substr(0, name.size() - suffix.size());
        used.insert(name);
      }
    }
  }
  ASSERT_GE(used.size(), 8u);
  DemoService service({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC", "--set", "demo.initial=500"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const JsonReply metrics = get(service.port(), "/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const auto& name : used)
    EXPECT_NE(metrics.raw.find("# TYPE " + name + " "), std::string::npos) << name << " is not exported by /metrics";
}
