// docs/openapi.yaml against the live service: every route is called on a real `tbml serve --demo` (one
// pair, the trees only, one horizon, training on request) in its success and error cases, and every answer
// must be a documented status whose JSON body matches the documented schema. At the end every documented
// operation must have been seen answering 2xx, and each error status the description uses seen at least
// once, so neither the description nor this test can quietly skip a route.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "service_fixture.h"
#include "support/openapi_schema.h"

using namespace tbml::testing;

namespace {

const std::string kToken = "openapi-test-token";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class LiveSpec {
 public:
  LiveSpec(int port, const OpenApi& api) : port_(port), api_(api) {}

  // Calls `method target` and checks the answer against `path` (the OpenAPI path template) in the spec.
  JsonReply call(const std::string& method, const std::string& path, const std::string& target,
                 const std::string& body = "", bool with_token = true) {
    httplib::Headers headers;
    if (with_token && method != "GET") headers.emplace("Authorization", "Bearer " + kToken);
    JsonReply r = request(port_, method, target, body, headers);
    const std::string what = method + " " + target + " -> " + std::to_string(r.status);
    if (r.status == 0) {
      ADD_FAILURE() << what << ": no answer";
      return r;
    }
    for (const auto& problem : api_.check_response(method, path, r.status, r.content_type, r.body))
      ADD_FAILURE() << what << ": " << problem << "\n" << r.raw.substr(0, 2000);
    if (r.content_type.rfind("application/json", 0) == 0 && r.status >= 400)
      EXPECT_TRUE(is_contract_error(r)) << what << " " << r.raw;
    seen_[method + " " + path].insert(r.status);
    statuses_.insert(r.status);
    return r;
  }

  // An answer outside any operation (unknown path, other method): the Error schema.
  void error_shape(const std::string& method, const std::string& target, int expected) {
    JsonReply r = request(port_, method, target, "", {{"Authorization", "Bearer " + kToken}});
    EXPECT_EQ(r.status, expected) << method << " " << target << " " << r.raw;
    const auto problems = api_.validate(api_.doc()["components"]["schemas"]["Error"], r.body);
    EXPECT_TRUE(problems.empty()) << method << " " << target << ": " << (problems.empty() ? "" : problems.front());
    statuses_.insert(r.status);
  }

  const std::map<std::string, std::set<int>>& seen() const { return seen_; }
  const std::set<int>& statuses() const { return statuses_; }

 private:
  int port_;
  const OpenApi& api_;
  std::map<std::string, std::set<int>> seen_;
  std::set<int> statuses_;
};

bool ok(const JsonReply& r) { return r.status >= 200 && r.status < 300; }

}  // namespace

TEST(OpenApi, LiveAnswersMatchTheDescription) {
  const std::string spec_file = std::string(TBML_SOURCE_DIR) + "/docs/openapi.yaml";
  const OpenApi api = OpenApi::load(spec_file);
  const std::string storage = make_temp_dir("tbml-openapi");
  const int port = free_port();
  ChildProcess service({TBML_BINARY, "serve", "--demo", "--port", std::to_string(port), "--storage-dir", storage,
                        "--set", "server.host=127.0.0.1", "--set", kSingleHorizon, "--set", "demo.pairs=BTC",
                        "--set", "ml.enabledModels=xgboost", "--set", "demo.initial=900", "--set",
                        "training.maxCandles=900", "--set", "demo.stepMs=250", "--set", "demo.pollIntervalMs=100",
                        "--set", "training.autoTrain=false", "--set", "server.maxBodyBytes=1024"},
                       {{"ML_API_TOKEN", kToken}}, storage + "/service.log");
  ASSERT_TRUE(wait_until([&] { return get(port, "/api/health").status == 200; }, std::chrono::seconds(30)))
      << service.log();
  ASSERT_TRUE(wait_until([&] { return get(port, "/api/features/BTC").status == 200; }, std::chrono::seconds(30)))
      << service.log();
  LiveSpec live(port, api);

  // Before any training: the documented 503s with the training state.
  EXPECT_EQ(live.call("GET", "/api/predictions/{pair}", "/api/predictions/BTC").status, 503);
  EXPECT_EQ(live.call("GET", "/api/models/{pair}/{modelType}/predict", "/api/models/BTC/xgboost/predict").status, 503);
  live.call("GET", "/api/predictions", "/api/predictions");

  // Service, description, page.
  live.call("GET", "/api/health", "/api/health");
  const JsonReply described = live.call("GET", "/api", "/api");
  std::set<std::string> listed;
  for (const auto& r : described.body["routes"])
    listed.insert(r["method"].get<std::string>() + " " + openapi_path(r["path"]));
  const auto ops = api.operations();
  EXPECT_EQ(listed, std::set<std::string>(ops.begin(), ops.end())) << "GET /api and docs/openapi.yaml differ";
  const JsonReply yaml = live.call("GET", "/api/openapi.yaml", "/api/openapi.yaml");
  EXPECT_EQ(yaml.raw, read_text(spec_file)) << "GET /api/openapi.yaml is not the repository's file";
  const JsonReply metrics = live.call("GET", "/metrics", "/metrics");
  EXPECT_NE(metrics.raw.find("tbml_http_requests_total"), std::string::npos) << metrics.raw.substr(0, 500);
  EXPECT_NE(live.call("GET", "/", "/").raw.find("<html"), std::string::npos);
  live.call("GET", "/status", "/status");
  live.call("GET", "/static/{file}", "/static/app.js");
  live.call("GET", "/static/{file}", "/static/style.css");
  for (const std::string bad : {"/static/nope.js", "/static/.hidden", "/static/app.exe", "/static/%2e%2e"})
    EXPECT_EQ(live.call("GET", "/static/{file}", bad).status, 404) << bad;

  // Training on request, with the token (and 401 without it), progress in the queue.
  EXPECT_EQ(live.call("POST", "/api/train/{pair}/{modelType}", "/api/train/BTC/xgboost", "", false).status, 401);
  EXPECT_EQ(live.call("POST", "/api/train/{pair}/{modelType}", "/api/train/BTC/foo").status, 400);
  EXPECT_EQ(live.call("POST", "/api/train/{pair}/{modelType}", "/api/train/BTC/xgboost", R"({"epochs":"x"})").status, 400);
  EXPECT_EQ(live.call("POST", "/api/train/{pair}/{modelType}", "/api/train/ZZZ/xgboost").status, 404);
  EXPECT_EQ(live.call("POST", "/api/train/{pair}/{modelType}", "/api/train/BTC/xgboost",
                      R"({"pad":")" + std::string(2000, 'x') + "\"}").status, 413);
  const JsonReply queued = live.call("POST", "/api/train/{pair}/{modelType}", "/api/train/BTC/xgboost");
  ASSERT_EQ(queued.status, 202) << queued.raw;
  const std::string first_job = queued.body["jobs"][0]["jobId"];
  live.call("GET", "/api/training/queue", "/api/training/queue");
  JsonReply prediction;
  ASSERT_TRUE(wait_until([&] { return ok(prediction = get(port, "/api/predictions/BTC")); }, std::chrono::seconds(60)))
      << prediction.raw << "\n" << service.log();
  live.call("POST", "/api/train/{pair}/ensemble", "/api/train/BTC/ensemble", R"({"epochs":5})");
  live.call("GET", "/api/training/queue", "/api/training/queue");

  // Predictions and their parameters.
  live.call("GET", "/api/predictions/{pair}", "/api/predictions/btc");
  live.call("GET", "/api/predictions/{pair}", "/api/predictions/BTC?strategy=average&horizon=5");
  live.call("GET", "/api/predictions/{pair}", "/api/predictions/BTC?model=xgboost");
  live.call("GET", "/api/predictions/{pair}", "/api/predictions/BTC?ensemble=false");
  EXPECT_EQ(live.call("GET", "/api/predictions/{pair}", "/api/predictions/BTC?strategy=bogus").status, 400);
  EXPECT_EQ(live.call("GET", "/api/predictions/{pair}", "/api/predictions/BTC?horizon=7").status, 400);
  EXPECT_EQ(live.call("GET", "/api/predictions/{pair}", "/api/predictions/B").status, 400);
  EXPECT_EQ(live.call("GET", "/api/predictions/{pair}", "/api/predictions/ZZZ").status, 404);
  EXPECT_EQ(live.call("GET", "/api/predictions", "/api/predictions?strategy=majority").status, 200);
  EXPECT_EQ(live.call("GET", "/api/predictions", "/api/predictions?horizon=x").status, 400);
  live.call("GET", "/api/predictions/{pair}/history", "/api/predictions/BTC/history?limit=5&since=0&model=ensemble");
  live.call("GET", "/api/predictions/{pair}/history", "/api/predictions/BTC/history?model=xgboost&horizon=5");
  EXPECT_EQ(live.call("GET", "/api/predictions/{pair}/history", "/api/predictions/BTC/history?limit=0").status, 400);
  EXPECT_EQ(live.call("GET", "/api/predictions/{pair}/history", "/api/predictions/ZZZ/history").status, 404);
  live.call("GET", "/api/volatility/{pair}/history", "/api/volatility/BTC/history?limit=50&since=0&horizon=5");
  EXPECT_EQ(live.call("GET", "/api/volatility/{pair}/history", "/api/volatility/BTC/history?limit=x").status, 400);
  EXPECT_EQ(live.call("GET", "/api/volatility/{pair}/history", "/api/volatility/ZZZ/history").status, 404);
  live.call("GET", "/api/sizing/{pair}", "/api/sizing/BTC");
  EXPECT_EQ(live.call("GET", "/api/sizing/{pair}", "/api/sizing/BTC?horizon=7").status, 400);
  EXPECT_EQ(live.call("GET", "/api/sizing/{pair}", "/api/sizing/ZZZ").status, 404);
  live.call("GET", "/api/features/{pair}", "/api/features/BTC");
  EXPECT_EQ(live.call("GET", "/api/features/{pair}", "/api/features/ZZZ").status, 404);

  // Models and ensemble.
  live.call("GET", "/api/models/{pair}/status", "/api/models/BTC/status");
  EXPECT_EQ(live.call("GET", "/api/models/{pair}/status", "/api/models/BTC/status?horizon=1").status, 400);
  live.call("GET", "/api/models/{pair}/compare", "/api/models/BTC/compare");
  EXPECT_EQ(live.call("GET", "/api/models/{pair}/compare", "/api/models/ZZZ/compare").status, 404);
  live.call("GET", "/api/models/{pair}/{modelType}/predict", "/api/models/BTC/xgboost/predict");
  live.call("GET", "/api/models/{pair}/{modelType}/predict", "/api/models/BTC/lstm/predict");
  EXPECT_EQ(live.call("GET", "/api/models/{pair}/{modelType}/predict", "/api/models/BTC/foo/predict").status, 400);
  live.call("GET", "/api/ensemble/{pair}/stats", "/api/ensemble/BTC/stats");
  EXPECT_EQ(live.call("GET", "/api/ensemble/{pair}/stats", "/api/ensemble/ZZZ/stats").status, 404);
  EXPECT_EQ(live.call("POST", "/api/ensemble/{pair}/weights", "/api/ensemble/BTC/weights").status, 400);
  EXPECT_EQ(live.call("POST", "/api/ensemble/{pair}/weights", "/api/ensemble/BTC/weights", R"({"weights":{"nope":1}})").status, 400);
  EXPECT_EQ(live.call("POST", "/api/ensemble/{pair}/weights", "/api/ensemble/BTC/weights",
                      R"({"weights":{"xgboost":1.0},"strategy":"weighted"})").status, 200);

  // Storage.
  live.call("GET", "/api/storage/stats", "/api/storage/stats");
  live.call("POST", "/api/storage/save", "/api/storage/save");
  EXPECT_EQ(live.call("POST", "/api/storage/save", "/api/storage/save", "", false).status, 401);
  live.call("POST", "/api/storage/cleanup", "/api/storage/cleanup", R"({"maxAgeHours":24})");
  EXPECT_EQ(live.call("POST", "/api/storage/cleanup", "/api/storage/cleanup", R"({"maxAgeHours":-1})").status, 400);

  // Jobs: a finished one cannot be cancelled (409), a queued one can; an unknown one is 404.
  EXPECT_EQ(live.call("DELETE", "/api/training/job/{id}", "/api/training/job/" + first_job).status, 409);
  EXPECT_EQ(live.call("DELETE", "/api/training/job/{id}", "/api/training/job/nope").status, 404);
  // The rebuild queues a fresh job (training the default horizon); cancel it while queued or running.
  const JsonReply rebuilt = live.call("POST", "/api/models/{pair}/rebuild", "/api/models/BTC/rebuild");
  ASSERT_EQ(rebuilt.status, 202) << rebuilt.raw;
  EXPECT_EQ(live.call("POST", "/api/models/{pair}/rebuild", "/api/models/BTC/rebuild?horizon=2").status, 400);
  const std::string rebuild_job = rebuilt.body["jobs"][0]["jobId"];
  const int cancelled = live.call("DELETE", "/api/training/job/{id}", "/api/training/job/" + rebuild_job).status;
  EXPECT_TRUE(cancelled == 200 || cancelled == 409) << cancelled;  // 409 if the trees finished first

  // Outside any operation: unknown path and known path with another method.
  live.error_shape("GET", "/api/nope", 404);
  live.error_shape("PUT", "/api/health", 405);
  live.error_shape("DELETE", "/api/predictions/BTC", 405);

  // Coverage: every documented operation answered 2xx at least once, and every error status seen.
  for (const auto& op : api.operations()) {
    const auto& statuses = live.seen().count(op) ? live.seen().at(op) : std::set<int>{};
    bool success = false;
    for (int s : statuses) success = success || (s >= 200 && s < 300);
    EXPECT_TRUE(success) << op << " never answered 2xx in this test";
  }
  for (int status : {400, 401, 404, 405, 409, 413, 503})
    EXPECT_TRUE(live.statuses().count(status)) << "no answer with status " << status << " was checked";
  EXPECT_EQ(service.stop(), 0) << service.log();
}
