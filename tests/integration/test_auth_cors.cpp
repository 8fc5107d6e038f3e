// Bearer-token auth on mutating routes, reads open unless configured, CORS origins and preflight before
// auth, and the token never reaching the log.
#include <gtest/gtest.h>

#include "raw_http.h"
#include "service_fixture.h"

using namespace tbml::testing;

namespace {

const std::string kToken = "s3cret-token-7f1c9a";
const std::string kOrigin = "http://dashboard.example";

httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

}  // namespace

class AuthCors : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The token comes from the environment (ML_API_TOKEN), as operators deploy it; debug logging and the
    // access log are on so that a token leaking into any log line would be caught.
    const int port = free_port();
    storage_ = make_temp_dir("tbml-auth");
    port_ = port;
    process_ = new ChildProcess(
        {TBML_BINARY, "serve", "--demo", "--port", std::to_string(port), "--storage-dir", storage_, "--set",
         "server.host=127.0.0.1", "--set", kSingleHorizon, "--set", "training.autoTrain=false", "--set", "demo.pairs=BTC", "--set",
         "server.corsOrigins=" + kOrigin + ",http://other.example", "--set", "logging.accessLog=true",
         "--log-level", "debug"},
        {{"ML_API_TOKEN", kToken}}, storage_ + "/service.log");
    ASSERT_TRUE(wait_until([] { return get(port_, "/api/health").status == 200; }, std::chrono::seconds(30)))
        << process_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(process_->stop(), 0) << process_->log();
    delete process_;
  }
  static int port_;
  static std::string storage_;
  static ChildProcess* process_;
};
int AuthCors::port_ = 0;
std::string AuthCors::storage_;
ChildProcess* AuthCors::process_ = nullptr;

TEST_F(AuthCors, MutatingRoutesNeedTheToken) {
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/api/storage/save"},
           {"POST", "/api/storage/cleanup"},
           {"POST", "/api/train/BTC/ensemble"},
           {"POST", "/api/models/BTC/rebuild"},
           {"POST", "/api/ensemble/BTC/weights"},
           {"DELETE", "/api/training/job/job-1"}}) {
    for (const httplib::Headers& h :
         {httplib::Headers{}, bearer("wrong"), bearer(kToken + "x"), bearer(kToken.substr(0, kToken.size() - 1)),
          bearer(std::string(kToken.size(), 'a')), httplib::Headers{{"Authorization", kToken}},
          httplib::Headers{{"Authorization", "Basic " + kToken}}, httplib::Headers{{"Authorization", "Bearer "}}}) {
      auto r = request(port_, method, path, "{}", h);
      EXPECT_EQ(r.status, 401) << method << " " << path << " " << r.raw;
      EXPECT_TRUE(is_contract_error(r)) << r.raw;
      EXPECT_EQ(r.body["error"], "Unauthorized");
    }
  }
}

TEST_F(AuthCors, TheRightTokenIsAcceptedAndValidationStillApplies) {
  auto save = request(port_, "POST", "/api/storage/save", "", bearer(kToken));
  EXPECT_EQ(save.status, 200) << save.raw;
  // Authorised but invalid: validation answers, not auth.
  auto bad = request(port_, "POST", "/api/storage/cleanup", "{\"maxAgeHours\": -1}", bearer(kToken));
  EXPECT_EQ(bad.status, 400) << bad.raw;
  auto unknown_job = request(port_, "DELETE", "/api/training/job/no-such-job", "", bearer(kToken));
  EXPECT_EQ(unknown_job.status, 404) << unknown_job.raw;
  EXPECT_TRUE(is_contract_error(unknown_job));
}

TEST_F(AuthCors, ReadsStayOpenByDefault) {
  for (const char* path : {"/api/health", "/api", "/api/features/BTC", "/api/training/queue", "/api/storage/stats",
                           "/metrics"}) {
    auto r = get(port_, path);
    EXPECT_NE(r.status, 401) << path;
    EXPECT_NE(r.status, 0) << path;
  }
}

TEST_F(AuthCors, UnauthorizedCarriesChallengeAndCorsHeaders) {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_read_timeout(5, 0);
  auto r = cli.Post("/api/storage/save", {{"Origin", kOrigin}}, "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer");
  // The browser must be able to read the 401 to tell the user.
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), kOrigin);
}

TEST_F(AuthCors, PreflightIsAnsweredBeforeAuthForAllowedOriginsOnly) {
  httplib::Client cli("127.0.0.1", port_);
  cli.set_read_timeout(5, 0);
  auto pre = cli.Options("/api/train/BTC/ensemble", {{"Origin", kOrigin},
                                                    {"Access-Control-Request-Method", "POST"},
                                                    {"Access-Control-Request-Headers", "authorization,content-type"}});
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  EXPECT_EQ(pre->get_header_value("Access-Control-Allow-Origin"), kOrigin);
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);

  auto second = cli.Get("/api/health", {{"Origin", "http://other.example"}});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->get_header_value("Access-Control-Allow-Origin"), "http://other.example");

  auto foreign = cli.Options("/api/train/BTC/ensemble", {{"Origin", "http://evil.example"},
                                                        {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(foreign->has_header("Access-Control-Allow-Origin")) << "a foreign origin must not be allowed";
  auto foreign_get = cli.Get("/api/health", {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(foreign_get);
  EXPECT_FALSE(foreign_get->has_header("Access-Control-Allow-Origin"));
  EXPECT_EQ(foreign_get->get_header_value("Vary"), "Origin");
}

TEST_F(AuthCors, TokenNeverAppearsInTheLog) {
  // Requests carrying the token (right and wrong) in every place a careless logger might print.
  request(port_, "POST", "/api/storage/save", "", bearer(kToken));
  request(port_, "POST", "/api/storage/save", "", bearer(kToken + "-wrong"));
  request(port_, "GET", "/api/features/" + kToken.substr(0, 6), "", bearer(kToken));
  request(port_, "POST", "/api/train/BTC/ensemble", "{\"token\":\"" + kToken + "\"}", {});
  raw_exchange(port_, "POST /api/storage/save HTTP/1.1\r\nAuthorization: Bearer " + kToken + "\r\n\r\n");
  const std::string log = process_->log();
  EXPECT_NE(log.find("<redacted>"), std::string::npos) << "the effective configuration is logged redacted";
  EXPECT_EQ(log.find(kToken), std::string::npos) << log.substr(0, 3000);
}

// A separate server: reads protected too, health still open (load balancers probe it without secrets).
TEST(AuthProtectReads, ReadsNeedTheTokenExceptHealth) {
  DemoService service({"--set", "training.autoTrain=false", "--set", "demo.pairs=BTC", "--set",
                       "server.apiToken=" + kToken, "--set", "server.protectReads=true"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  auto features = get(service.port(), "/api/features/BTC");
  EXPECT_EQ(features.status, 401) << features.raw;
  EXPECT_TRUE(is_contract_error(features));
  EXPECT_EQ(get(service.port(), "/metrics").status, 401);
  auto with_token = request(service.port(), "GET", "/api/training/queue", "", bearer(kToken));
  EXPECT_EQ(with_token.status, 200) << with_token.raw;
  EXPECT_EQ(get(service.port(), "/api/health").status, 200);
  // The status page and the API description are open; the data the page reads is not.
  EXPECT_EQ(get(service.port(), "/").status, 200);
  EXPECT_EQ(get(service.port(), "/static/app.js").status, 200);
  EXPECT_EQ(get(service.port(), "/api/openapi.yaml").status, 200);
  EXPECT_EQ(get(service.port(), "/api/volatility/BTC/history").status, 401);
  EXPECT_EQ(service.process().stop(), 0);
}
