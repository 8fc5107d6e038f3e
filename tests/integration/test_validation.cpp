// Every route validates its input: path parameters, query parameters and JSON bodies give 400 in the
// contract's error shape, unknown methods on known paths 405 with Allow, and pair names that try to
// reach a file path or an SQL statement are refused before they get anywhere.
#include <gtest/gtest.h>

#include <filesystem>

#include "service_fixture.h"

using namespace tbml::testing;

class Validation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    service_ = new DemoService({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC"});
    ASSERT_TRUE(service_->wait_healthy()) << service_->log();
    ASSERT_TRUE(wait_until([] { return get(service_->port(), "/api/features/BTC").status == 200; },
                           std::chrono::seconds(30)));
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(service_->process().stop(), 0) << service_->log();
    delete service_;
  }
  static JsonReply call(const std::string& method, const std::string& path, const std::string& body = "") {
    return request(service_->port(), method, path, body);
  }
  static void expect_400(const std::string& method, const std::string& path, const std::string& body = "",
                         const std::string& mention = "") {
    auto r = call(method, path, body);
    EXPECT_EQ(r.status, 400) << method << " " << path << " " << body.substr(0, 200) << " -> " << r.raw;
    EXPECT_TRUE(is_contract_error(r)) << r.raw;
    if (!mention.empty() && r.body.is_object() && r.body["message"].is_string()) {
      EXPECT_NE(r.body["message"].get<std::string>().find(mention), std::string::npos) << r.raw;
    }
  }
  static DemoService* service_;
};
DemoService* Validation::service_ = nullptr;

TEST_F(Validation, PairPathParameters) {
  for (const char* bad : {"B", "ABCDEFGHIJKLMNOPQRSTU", "B$C", "BTC-USD", "..", "%2e%2e",
                          "BTC%27%3B%20DROP%20TABLE%20predictions%3B--", "BTC%00", "%C3%A9TH", "BTC%20", "BTC.json"}) {
    for (const std::string route : {"/api/features/", "/api/predictions/", "/api/models/", "/api/ensemble/"}) {
      std::string suffix = route == "/api/models/" ? "/status" : route == "/api/ensemble/" ? "/stats" : "";
      expect_400("GET", route + bad + suffix);
    }
    expect_400("POST", std::string("/api/train/") + bad + "/ensemble", "", "Invalid pair name");
  }
  // An encoded slash becomes a path separator, so the route no longer matches: 404, never a file read.
  for (const char* path : {"/api/features/..%2F..%2Fetc%2Fpasswd", "/api/features/%2e%2e%2f%2e%2e%2fetc%2fpasswd"}) {
    auto r = call("GET", path);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << path << " " << r.raw;
    EXPECT_TRUE(is_contract_error(r)) << r.raw;
  }
  // Nothing was created outside the storage folder, and no stray files named after the attempts.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(service_->storage())) {
    const std::string name = entry.path().filename().string();
    EXPECT_EQ(name.find(".."), std::string::npos) << entry.path();
    EXPECT_EQ(name.find("DROP"), std::string::npos) << entry.path();
  }
  // Valid but unknown: 404 with the pairs that exist.
  auto unknown = call("GET", "/api/predictions/doge");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["availablePairs"], nlohmann::json::array({"BTC"}));
}

TEST_F(Validation, ModelTypePathParameter) {
  expect_400("GET", "/api/models/BTC/bogus/predict", "", "bogus");
  expect_400("POST", "/api/train/BTC/bogus", "");
  expect_400("POST", "/api/train/BTC/%00", "");
  auto known = call("GET", "/api/models/BTC/lstm/predict");
  EXPECT_EQ(known.status, 503) << "known type, not trained yet: " << known.raw;
}

TEST_F(Validation, QueryParameters) {
  expect_400("GET", "/api/predictions/BTC?strategy=bogus", "", "weighted");
  expect_400("GET", "/api/predictions/BTC?strategy=weighted&strategy=average", "", "more than once");
  expect_400("GET", "/api/predictions/BTC?model=bogus");
  expect_400("GET", "/api/predictions/BTC?ensemble=maybe");
  for (const char* limit : {"0", "-1", "10001", "abc", "1e3", "1.5", "", "99999999999999999999999", "0x10", "%2010"})
    expect_400("GET", std::string("/api/predictions/BTC/history?limit=") + limit, "", "limit");
  expect_400("GET", "/api/predictions/BTC/history?since=-5");
  expect_400("GET", "/api/predictions/BTC/history?since=later");
  EXPECT_EQ(call("GET", "/api/predictions/BTC/history?limit=10000").status, 200);
  EXPECT_EQ(call("GET", "/api/predictions/BTC/history?limit=1&since=0").status, 200);
  expect_400("GET", "/api/predictions/BTC/history?limit=" + std::string(300, '1'), "", "too long");
}

TEST_F(Validation, TrainingBodies) {
  for (const char* body : {"{\"epochs\":", "[1]", "\"text\"", "{\"epochs\": NaN}", "{\"epochs\": Infinity}",
                           "{\"learningRate\": -Infinity}", "{\"learningRate\": 1e999}", "{\"learningRate\": 0}",
                           "{\"epochs\": 1e999}", "{\"epochs\": 123456789012345678901234567890}",
                           "{\"epochs\": -1}", "{\"epochs\": 0}", "{\"epochs\": 2.5}", "{\"epochs\": \"10\"}",
                           "{\"epochs\": null}", "{\"batchSize\": 1e9}", "{\"patience\": true}",
                           "{\"epochs\": 2, \"unknownField\": 1}", "{\"Epochs\": 2}", "\xff\xfe{}"}) {
    expect_400("POST", "/api/train/BTC/ensemble", body);
    expect_400("POST", "/api/train/BTC/gru", body);
  }
  auto unknown_field = call("POST", "/api/train/BTC/gru", "{\"epochs\": 2, \"unknownField\": 1}");
  EXPECT_NE(unknown_field.body["message"].get<std::string>().find("unknownField"), std::string::npos);
  EXPECT_TRUE(call("GET", "/api/training/queue").body.dump().find("\"pair\":\"BTC\"") == std::string::npos)
      << "no rejected request may have queued a job";
}

TEST_F(Validation, WeightBodies) {
  for (const char* body : {"", "{}", "[]", "{\"weights\": {\"lstm\": NaN}}", "{\"weights\": {\"lstm\": -1}}",
                           "{\"weights\": {\"lstm\": 1e999}}", "{\"weights\": {\"nope\": 1}}",
                           "{\"weights\": {\"lstm\": \"1\"}}", "{\"weights\": [1, 2]}",
                           "{\"weights\": {\"lstm\": 0, \"gru\": 0, \"cnn\": 0, \"transformer\": 0, \"xgboost\": 0}}",
                           "{\"strategy\": \"bogus\"}", "{\"strategy\": 1}", "{\"weights\": {\"lstm\": 1}, \"x\": 1}"}) {
    expect_400("POST", "/api/ensemble/BTC/weights", body);
  }
  auto ok = call("POST", "/api/ensemble/BTC/weights", "{\"weights\": {\"lstm\": 2.0}, \"strategy\": \"average\"}");
  EXPECT_EQ(ok.status, 200) << ok.raw;
}

TEST_F(Validation, StorageBodies) {
  for (const char* body : {"{\"maxAgeHours\": -5}", "{\"maxAgeHours\": 0}", "{\"maxAgeHours\": 1e999}",
                           "{\"maxAgeHours\": \"x\"}", "{\"maxAgeHours\": null}", "{\"maxAgeHours\": 1, \"x\": 2}",
                           "{\"maxAgeHours\": NaN}", "[168]", "{"}) {
    expect_400("POST", "/api/storage/cleanup", body);
  }
  expect_400("POST", "/api/storage/save", "{");
  expect_400("POST", "/api/storage/save", "[]");
  EXPECT_EQ(call("POST", "/api/storage/cleanup", "{\"maxAgeHours\": 168}").status, 200);
  EXPECT_EQ(call("POST", "/api/storage/cleanup", "").status, 200);
}

TEST_F(Validation, DeepNestingAndHugeNumbersDoNotHurt) {
  expect_400("POST", "/api/storage/cleanup", std::string(200000, '[') + std::string(200000, ']'));
  expect_400("POST", "/api/storage/cleanup", std::string(300000, '['));
  expect_400("POST", "/api/ensemble/BTC/weights", "{\"weights\": {\"lstm\": 1" + std::string(5000, '0') + "}}");
  EXPECT_EQ(get(service_->port(), "/api/health").status, 200);
}

TEST_F(Validation, UnsupportedMethodsOnKnownPaths) {
  for (const auto& [method, path, allow] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"DELETE", "/api/features/BTC", "GET"},
           {"POST", "/api/health", "GET"},
           {"PUT", "/api/train/BTC/ensemble", "POST"},
           {"GET", "/api/storage/save", "POST"},
           {"GET", "/api/training/job/x", "DELETE"}}) {
    httplib::Client cli("127.0.0.1", service_->port());
    cli.set_read_timeout(5, 0);
    httplib::Request req;
    req.method = method;
    req.path = path;
    auto r = cli.send(req);
    ASSERT_TRUE(r) << method << " " << path;
    EXPECT_EQ(r->status, 405) << method << " " << path;
    EXPECT_NE(r->get_header_value("Allow").find(allow), std::string::npos) << r->get_header_value("Allow");
    JsonReply j{r->status, nlohmann::json::parse(r->body, nullptr, false), r->body, ""};
    EXPECT_TRUE(is_contract_error(j)) << r->body;
  }
}
