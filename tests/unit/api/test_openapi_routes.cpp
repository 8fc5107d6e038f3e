// docs/openapi.yaml describes exactly the routes of the route table (no missing or extra operation), only
// with schema keywords the test validator implements, and every $ref resolves. The live answers are
// checked against it by tests/integration/test_openapi.cpp.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/openapi_schema.h"
#include "tbml/api/routes.h"
#include "tbml/config/config.h"
#include "tbml/service/service.h"

using namespace tbml;
using tbml::testing::OpenApi;

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += "\n  " + s;
  return out;
}

OpenApi spec() { return OpenApi::load(std::string(TBML_SOURCE_DIR) + "/docs/openapi.yaml"); }

}  // namespace

TEST(OpenApiRoutes, EveryRouteIsDocumentedAndNothingElse) {
  ServiceOptions options;
  options.config = config_from_json(builtin_defaults());
  Service service(options);  // not started: the table only binds handlers to it
  const RouteTable table = make_route_table(service);
  std::vector<std::string> routes;
  for (const auto& r : table.routes()) routes.push_back(r.method + " " + tbml::testing::openapi_path(r.pattern));
  std::sort(routes.begin(), routes.end());
  const std::vector<std::string> documented = spec().operations();
  std::vector<std::string> missing, extra;
  std::set_difference(routes.begin(), routes.end(), documented.begin(), documented.end(), std::back_inserter(missing));
  std::set_difference(documented.begin(), documented.end(), routes.begin(), routes.end(), std::back_inserter(extra));
  EXPECT_TRUE(missing.empty()) << "routes not in docs/openapi.yaml:" << joined(missing);
  EXPECT_TRUE(extra.empty()) << "operations in docs/openapi.yaml that are not routes:" << joined(extra);
  EXPECT_GE(routes.size(), 20u);
}

TEST(OpenApiRoutes, UsesOnlyTheValidatedSubsetAndResolves) {
  const OpenApi api = spec();
  EXPECT_EQ(api.doc()["openapi"].get<std::string>().substr(0, 2), "3.");
  EXPECT_TRUE(api.unsupported_keywords().empty()) << joined(api.unsupported_keywords());
  EXPECT_TRUE(api.dangling_refs().empty()) << joined(api.dangling_refs());
}

// The validator itself, on hand-made schemas: each keyword can fail.
TEST(OpenApiValidator, EachKeywordRejects) {
  const OpenApi api(nlohmann::json::parse(R"({"components":{"schemas":{
      "P":{"type":"number","minimum":0,"maximum":1},
      "E":{"type":"object","required":["error"],"properties":{"error":{"type":"string"}}}}}})"));
  auto ok = [&](const char* schema, const char* value) {
    return api.validate(nlohmann::json::parse(schema), nlohmann::json::parse(value)).empty();
  };
  EXPECT_TRUE(ok(R"({"type":"integer"})", "3"));
  EXPECT_FALSE(ok(R"({"type":"integer"})", "3.5"));
  EXPECT_TRUE(ok(R"({"type":"number"})", "3"));
  EXPECT_FALSE(ok(R"({"type":"string"})", "null"));
  EXPECT_TRUE(ok(R"({"type":"string","nullable":true})", "null"));
  EXPECT_FALSE(ok(R"({"enum":["up","down"]})", R"("sideways")"));
  EXPECT_FALSE(ok(R"({"$ref":"#/components/schemas/P"})", "1.5"));
  EXPECT_TRUE(ok(R"({"$ref":"#/components/schemas/P"})", "0.5"));
  EXPECT_FALSE(ok(R"({"$ref":"#/components/schemas/E"})", R"({"message":"x"})"));
  EXPECT_FALSE(ok(R"({"$ref":"#/components/schemas/E"})", R"({"error":1})"));
  EXPECT_TRUE(ok(R"({"$ref":"#/components/schemas/E"})", R"({"error":"x","more":[1]})"));
  EXPECT_FALSE(ok(R"({"type":"object","properties":{},"additionalProperties":false})", R"({"a":1})"));
  EXPECT_FALSE(ok(R"({"type":"object","additionalProperties":{"type":"number"}})", R"({"a":"x"})"));
  EXPECT_FALSE(ok(R"({"type":"array","items":{"type":"integer"}})", "[1, \"2\"]"));
  const char* one_of = R"({"oneOf":[{"type":"object","required":["a"]},{"type":"object","required":["b"]}]})";
  EXPECT_TRUE(ok(one_of, R"({"a":1})"));
  EXPECT_FALSE(ok(one_of, R"({"a":1,"b":2})"));
  EXPECT_FALSE(ok(one_of, R"({"c":1})"));
  EXPECT_FALSE(ok(R"({"allOf":[{"$ref":"#/components/schemas/P"}],"nullable":true})", "2"));
  EXPECT_TRUE(ok(R"({"allOf":[{"$ref":"#/components/schemas/P"}],"nullable":true})", "null"));
}
