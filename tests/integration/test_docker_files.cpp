// docker/ is not built in the suite (no docker daemon here), so its files are checked for what can go
// wrong without one: YAML and JSON that parse, compose services and volumes that refer to each other, a
// Dockerfile with a non-root user, an exec-form entrypoint, a HEALTHCHECK on /api/health and COPY sources
// that exist, runtime packages that Debian knows, and a Grafana dashboard whose every series is one the
// live service exports (names read from a running tbml's /metrics). docker/k8s/: manifests that parse,
// a StatefulSet whose shard settings agree with its replica count and Services, and a router map that is
// the C++ shard rule (the output of `tbml shards --nginx`).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "service_fixture.h"
#include "support/openapi_schema.h"
#include "tbml/config/shard_rule.h"

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

// ---------------------------------------------------------------------------------------------------
// docker/k8s/: the StatefulSet of pair shards, its Services, the nginx router and the Ingress.

namespace {

std::map<std::string, YAML::Node> k8s_objects() {
  std::map<std::string, YAML::Node> out;  // "Kind/name"
  for (const auto& entry : std::filesystem::directory_iterator(kRoot + "/docker/k8s")) {
    if (entry.path().extension() != ".yaml") continue;
    for (const auto& doc : YAML::LoadAllFromFile(entry.path().string())) {
      EXPECT_TRUE(doc["apiVersion"] && doc["kind"]) << entry.path();
      if (doc["kind"].as<std::string>() == "Kustomization") continue;
      const std::string key = doc["kind"].as<std::string>() + "/" + doc["metadata"]["name"].as<std::string>();
      EXPECT_FALSE(out.count(key)) << key << " twice";
      out[key] = doc;
    }
  }
  return out;
}

std::string env_value(const YAML::Node& container, const std::string& name) {
  for (const auto& e : container["env"])
    if (e["name"].as<std::string>() == name && e["value"]) return e["value"].as<std::string>();
  return "";
}

std::string run_binary(const std::string& args) {
  std::string out;
  if (FILE* p = ::popen((std::string(TBML_BINARY) + " " + args + " 2>&1").c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  return out;
}

}  // namespace

TEST(DockerFiles, KubernetesStatefulSetShardsThePairs) {
  auto objects = k8s_objects();
  const YAML::Node kustomize = YAML::LoadFile(kRoot + "/docker/k8s/kustomization.yaml");
  std::set<std::string> listed;
  for (const auto& r : kustomize["resources"]) listed.insert(r.as<std::string>());
  for (const auto& entry : std::filesystem::directory_iterator(kRoot + "/docker/k8s")) {
    if (entry.path().filename() == "kustomization.yaml") continue;
    EXPECT_TRUE(listed.count(entry.path().filename().string())) << entry.path() << " is not in kustomization.yaml";
  }

  ASSERT_TRUE(objects.count("StatefulSet/tbml"));
  const YAML::Node sts = objects["StatefulSet/tbml"];
  const int replicas = sts["spec"]["replicas"].as<int>();
  ASSERT_GE(replicas, 2);
  const YAML::Node pod = sts["spec"]["template"];
  for (const auto& label : sts["spec"]["selector"]["matchLabels"])
    EXPECT_EQ(pod["metadata"]["labels"][label.first.as<std::string>()].as<std::string>(), label.second.as<std::string>());
  const YAML::Node container = pod["spec"]["containers"][0];
  // tbml's own view of the shards must be the StatefulSet's: the replica count, the ordinal from the pod
  // name, peers by the governing (headless) Service's per-pod names on the container's port.
  EXPECT_EQ(env_value(container, "ML_CLUSTER_REPLICAS"), std::to_string(replicas));
  EXPECT_EQ(env_value(container, "ML_CLUSTER_ORDINAL"), "auto");
  const std::string service = sts["spec"]["serviceName"].as<std::string>();
  const std::string port = std::to_string(container["ports"][0]["containerPort"].as<int>());
  EXPECT_EQ(env_value(container, "ML_CLUSTER_PEER_URL_TEMPLATE"),
            "http://" + sts["metadata"]["name"].as<std::string>() + "-{ordinal}." + service + ":" + port);
  ASSERT_TRUE(objects.count("Service/" + service));
  EXPECT_EQ(objects["Service/" + service]["spec"]["clusterIP"].as<std::string>(), "None");
  // SQLite and models on the replica's own volume: the claim template is mounted where storage lives.
  const std::string claim = sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"].as<std::string>();
  std::string mount;
  for (const auto& m : container["volumeMounts"])
    if (m["name"].as<std::string>() == claim) mount = m["mountPath"].as<std::string>();
  ASSERT_FALSE(mount.empty());
  EXPECT_EQ(env_value(container, "ML_STORAGE_BASE_DIR").rfind(mount + "/", 0), 0u) << mount;
  EXPECT_EQ(sts["spec"]["volumeClaimTemplates"][0]["spec"]["accessModes"][0].as<std::string>(), "ReadWriteOnce");
  // Probes on /api/health (503 "Service starting" until models are loaded and each pair's state known).
  for (const char* probe : {"startupProbe", "readinessProbe", "livenessProbe"}) {
    ASSERT_TRUE(container[probe]) << probe;
    EXPECT_EQ(container[probe]["httpGet"]["path"].as<std::string>(), "/api/health") << probe;
    EXPECT_EQ(container[probe]["httpGet"]["port"].as<std::string>(), container["ports"][0]["name"].as<std::string>());
  }
  // The Dockerfile's fixed non-root user owns the volume.
  EXPECT_NE(read_text(kRoot + "/docker/Dockerfile").find("--uid " + pod["spec"]["securityContext"]["runAsUser"].as<std::string>()),
            std::string::npos);
  EXPECT_EQ(pod["spec"]["securityContext"]["fsGroup"].as<std::string>(), pod["spec"]["securityContext"]["runAsGroup"].as<std::string>());

  // One Service per replica, selecting exactly that pod; one for any replica.
  for (int i = 0; i < replicas; ++i) {
    const std::string name = "tbml-" + std::to_string(i);
    ASSERT_TRUE(objects.count("Service/" + name)) << name;
    EXPECT_EQ(objects["Service/" + name]["spec"]["selector"]["statefulset.kubernetes.io/pod-name"].as<std::string>(), name);
  }
  EXPECT_FALSE(objects.count("Service/tbml-" + std::to_string(replicas))) << "a Service for a replica that does not exist";
  ASSERT_TRUE(objects.count("Service/tbml-api"));

  // The Ingress reaches the router, whose Deployment mounts its ConfigMap where nginx.conf includes it.
  const YAML::Node backend = objects["Ingress/tbml"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
  ASSERT_TRUE(objects.count("Service/" + backend["name"].as<std::string>()));
  const YAML::Node router = objects["ConfigMap/tbml-router"];
  const std::string nginx = router["data"]["nginx.conf"].as<std::string>();
  const std::string mount_path =
      objects["Deployment/tbml-router"]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["mountPath"].as<std::string>();
  EXPECT_NE(nginx.find("include " + mount_path + "/shards.conf;"), std::string::npos);
  EXPECT_NE(nginx.find("proxy_pass http://$tbml_upstream;"), std::string::npos);
}

TEST(DockerFiles, RouterMapIsTheShardRule) {
  auto objects = k8s_objects();
  const int replicas = objects["StatefulSet/tbml"]["spec"]["replicas"].as<int>();
  const std::string shards = objects["ConfigMap/tbml-router"]["data"]["shards.conf"].as<std::string>();
  // Every map entry names the owner the C++ rule gives for the StatefulSet's replica count...
  const std::regex entry(R"(\n  ([A-Z0-9]{2,20}) tbml_([0-9]+);)");
  std::vector<std::string> pairs;
  for (std::sregex_iterator it(shards.begin(), shards.end(), entry), end; it != end; ++it) {
    pairs.push_back((*it)[1]);
    EXPECT_EQ(std::stoul((*it)[2]), tbml::shard_owner((*it)[1].str(), static_cast<std::size_t>(replicas))) << (*it)[1];
  }
  ASSERT_GE(pairs.size(), 3u);
  for (int i = 0; i < replicas; ++i)
    EXPECT_NE(shards.find("upstream tbml_" + std::to_string(i) + " { server tbml-" + std::to_string(i) + ":3001; }"),
              std::string::npos) << i;
  // ...and the text is exactly what `tbml shards --nginx` prints for the command written in its first line.
  const std::string first = shards.substr(0, shards.find('\n'));
  const std::string prefix = "# Generated by: tbml ";
  ASSERT_EQ(first.rfind(prefix, 0), 0u) << first;
  EXPECT_NE(first.find("--replicas " + std::to_string(replicas) + " "), std::string::npos) << first;
  EXPECT_EQ(run_binary(first.substr(prefix.size())), shards);
}

// Where nginx is installed (Debian's `nginx`), the router's configuration passes `nginx -t`, with the
// cluster's Service names (which resolve only in the cluster) replaced by loopback addresses.
TEST(DockerFiles, RouterConfigPassesNginxTest) {
  if (std::system("command -v nginx >/dev/null 2>&1") != 0) GTEST_SKIP() << "nginx is not installed; not checked";
  auto objects = k8s_objects();
  const YAML::Node data = objects["ConfigMap/tbml-router"]["data"];
  const std::string dir = make_temp_dir("tbml-nginx");
  const std::string mount =
      objects["Deployment/tbml-router"]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["mountPath"].as<std::string>();
  std::string conf = data["nginx.conf"].as<std::string>();
  for (auto at = conf.find(mount + "/"); at != std::string::npos; at = conf.find(mount + "/", at))
    conf.replace(at, mount.size(), dir);
  conf = std::regex_replace(conf, std::regex("\npid [^;]*;"), "\npid " + dir + "/nginx.pid;");
  const std::string shards =
      std::regex_replace(data["shards.conf"].as<std::string>(), std::regex("server tbml-[a-z0-9]+:"), "server 127.0.0.1:");
  std::ofstream(dir + "/nginx.conf") << conf;
  std::ofstream(dir + "/shards.conf") << shards;
  const std::string command = "nginx -t -q -p " + dir + " -e " + dir + "/error.log -c " + dir + "/nginx.conf";
  EXPECT_EQ(std::system((command + " 2>" + dir + "/test.out").c_str()), 0) << read_text(dir + "/test.out");
}
