#include <gtest/gtest.h>

#include <string_view>
#include <thread>
#include <vector>

#include "tbml/util/json_template.h"

using namespace tbml;
using nlohmann::json;

namespace {

std::string render(const JsonTemplate& t, const std::vector<std::string_view>& values) {
  std::string out;
  t.render(out, values.data(), values.size());
  return out;
}

}  // namespace

TEST(JsonTemplate, RendersExactlyTheDumpOfTheFilledDocument) {
  json doc = {{"a", JsonTemplate::hole(0)}, {"b", {{"c", JsonTemplate::hole(0)}, {"d", "text \"quoted\""}}},
              {"e", JsonTemplate::hole(1)}, {"f", {1.5, 2, nullptr}}};
  auto t = JsonTemplate::build(doc, {2, 1});
  ASSERT_TRUE(t);
  json filled = doc;
  filled["a"] = 1795215300000;
  filled["b"]["c"] = 1795215300000;
  filled["e"] = 0.012345;
  EXPECT_EQ(render(*t, {"1795215300000", json(0.012345).dump()}), dump_answer(filled));
  // Again with other values: the template is reused, nothing of the first request remains.
  filled["a"] = 7;
  filled["b"]["c"] = 7;
  filled["e"] = true;
  EXPECT_EQ(render(*t, {"7", "true"}), dump_answer(filled));
}

TEST(JsonTemplate, RefusesWhenAHoleCountDiffers) {
  json doc = {{"a", JsonTemplate::hole(0)}, {"b", JsonTemplate::hole(1)}};
  EXPECT_FALSE(JsonTemplate::build(doc, {2, 1}));     // hole 0 appears once
  EXPECT_FALSE(JsonTemplate::build(doc, {1}));        // hole 1 was not asked for
  EXPECT_TRUE(JsonTemplate::build(doc, {1, 1}));
  EXPECT_TRUE(JsonTemplate::build(json{{"x", 1}}, {}));
}

TEST(JsonTemplate, TextThatLooksLikeAMarkerIsNotAHole) {
  // The marker's bytes only arise from a control character, which a dump always escapes; the printable
  // look-alike stays text.
  json doc = {{"a", "\\u0001tbml-hole-0\\u0001"}, {"b", JsonTemplate::hole(0)}};
  auto t = JsonTemplate::build(doc, {1});
  ASSERT_TRUE(t);
  json filled = doc;
  filled["b"] = 3;
  EXPECT_EQ(render(*t, {"3"}), dump_answer(filled));
}

TEST(JsonTemplate, RenderNeedsAValueForEveryHole) {
  auto t = JsonTemplate::build(json{{"a", JsonTemplate::hole(1)}}, {0, 1});
  ASSERT_TRUE(t);
  EXPECT_THROW(render(*t, {"1"}), std::out_of_range);
  EXPECT_EQ(render(*t, {"", "2"}), "{\"a\":2}");
}

TEST(TemplateSlots, FirstPutWinsAndCopiesStartEmpty) {
  TemplateSlots<2> slots;
  EXPECT_EQ(slots.get(0), nullptr);
  auto first = std::make_unique<JsonTemplate>(*JsonTemplate::build(json{{"a", 1}}, {}));
  const JsonTemplate* raw = first.get();
  EXPECT_EQ(slots.put(0, std::move(first)), raw);
  EXPECT_EQ(slots.put(0, std::make_unique<JsonTemplate>(*JsonTemplate::build(json{{"a", 2}}, {}))), raw);
  EXPECT_EQ(slots.get(0), raw);
  EXPECT_EQ(slots.get(1), nullptr);
  TemplateSlots<2> copy(slots);
  EXPECT_EQ(copy.get(0), nullptr);
  EXPECT_THROW(slots.get(2), std::out_of_range);
}

TEST(TemplateSlots, ConcurrentBuildersAgreeOnOneTemplate) {
  TemplateSlots<1> slots;
  std::vector<const JsonTemplate*> seen(8, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] {
      seen[i] = slots.put(0, std::make_unique<JsonTemplate>(*JsonTemplate::build(json{{"i", i}}, {})));
    });
  for (auto& t : threads) t.join();
  for (const auto* p : seen) EXPECT_EQ(p, slots.get(0));
}
