// The status page in a real browser: a `tbml serve --demo` (one pair, the trees, one horizon) serves
// web/, headless Chromium loads it once predictions, resolved outcomes and volatility forecasts exist, and
// the rendered DOM must have every panel filled, the charts drawn, no script error, then a screenshot
// goes to docs/status-page.png. Skipped (with the reason) only where Chromium is not installed or cannot
// start.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "service_fixture.h"

using namespace tbml::testing;

namespace {

std::string chromium_binary() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (std::filesystem::exists(candidate)) return candidate;
  return "";
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs headless Chromium on `url`; `mode` is "--dump-dom" or "--screenshot=<file>". Returns its exit code;
// stdout goes to `out_file`, stderr (console messages with --enable-logging) to `log_file`.
int run_chromium(const std::string& binary, const std::string& profile, const std::string& url,
                 const std::string& mode, const std::string& out_file, const std::string& log_file) {
  ChildProcess p({"/bin/sh", "-c",
                  "exec '" + binary + "' --headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars "
                  "--user-data-dir='" + profile + "' --window-size=1280,2200 --virtual-time-budget=8000 "
                  "--enable-logging=stderr --v=0 " + mode + " '" + url + "' >'" + out_file + "' 2>'" + log_file + "'"},
                 {}, "");
  return p.wait(std::chrono::seconds(60));
}

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(StatusPage, RendersEveryPanelInHeadlessChromium) {
  const std::string chromium = chromium_binary();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs Debian's package)";
  const std::string work = make_temp_dir("tbml-page");
  {
    // Can it start here at all (sandbox, shared memory)? Otherwise skip with what it said.
    std::ofstream(work + "/probe.html") << "<html><body><p id=x></p><script>x.textContent='ran'</script></body></html>";
    const int rc = run_chromium(chromium, work + "/probe-profile", "file://" + work + "/probe.html", "--dump-dom",
                                work + "/probe.out", work + "/probe.log");
    if (rc != 0 || read_text(work + "/probe.out").find("ran") == std::string::npos)
      GTEST_SKIP() << "chromium cannot run headless here (exit " << rc << "): " << read_text(work + "/probe.log").substr(0, 800);
  }

  DemoService service({"--set", "demo.pairs=BTC", "--set", "ml.enabledModels=xgboost", "--set", "demo.initial=900",
                       "--set", "training.maxCandles=900", "--set", "demo.stepMs=250", "--set", "demo.pollIntervalMs=100"});
  ASSERT_TRUE(service.wait_healthy()) << service.log();
  const int port = service.port();
  // Wait for what the page shows: a prediction, resolved outcomes (10 for the accuracy chart) and
  // resolved volatility forecasts.
  JsonReply history, vol;
  ASSERT_TRUE(wait_until(
      [&] {
        if (get(port, "/api/predictions/BTC").status != 200) return false;
        history = get(port, "/api/predictions/BTC/history?model=ensemble&limit=200");
        vol = get(port, "/api/volatility/BTC/history?limit=200");
        int resolved = 0, realised = 0;
        for (const auto& r : history.body["history"]) resolved += r["outcome"].is_null() ? 0 : 1;
        for (const auto& r : vol.body["history"]) realised += r["realisedVariance"].is_null() ? 0 : 1;
        return resolved >= 12 && realised >= 3;
      },
      std::chrono::seconds(60)))
      << history.raw.substr(0, 500) << "\n" << vol.raw.substr(0, 500) << "\n" << service.log();

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  ASSERT_EQ(run_chromium(chromium, work + "/profile", url, "--dump-dom", work + "/dom.html", work + "/dom.log"), 0)
      << read_text(work + "/dom.log");
  const std::string dom = read_text(work + "/dom.html");
  const std::string log = read_text(work + "/dom.log");
  ASSERT_NE(dom.find("data-state=\"ready\""), std::string::npos) << "the page never finished a refresh:\n" << dom.substr(0, 3000);
  EXPECT_EQ(dom.find("class=\"js-error\""), std::string::npos) << "script errors on the page:\n" << dom;
  // Console errors from the page's scripts (Chromium's own dbus/GPU noise is not from the page).
  std::smatch m;
  const std::regex console_error("CONSOLE\\([0-9]+\\)\\][^\\n]*(Error|error|Uncaught)[^\\n]*");
  EXPECT_FALSE(std::regex_search(log, m, console_error)) << m.str();

  // Every panel filled: health, queue, storage and the five panels of the pair.
  EXPECT_EQ(count(dom, "data-filled=\"true\""), 8) << dom.substr(0, 4000);
  EXPECT_EQ(dom.find("data-filled=\"false\""), std::string::npos);
  EXPECT_NE(dom.find("id=\"pair-BTC\""), std::string::npos);
  EXPECT_NE(dom.find("P(up over 5 candles)"), std::string::npos);
  EXPECT_NE(dom.find("80 % interval"), std::string::npos) << "no volatility interval shown";
  EXPECT_NE(dom.find("xgboost"), std::string::npos);
  EXPECT_NE(dom.find("weights from"), std::string::npos);
  EXPECT_TRUE(dom.find("No problems reported.") != std::string::npos || dom.find("class=\"problems\"") != std::string::npos)
      << "health reasons missing";
  // Two charts drawn as SVG: the accuracy lines and the volatility lines with realised dots.
  EXPECT_GE(count(dom, "class=\"series-line\""), 3) << dom.substr(0, 4000);
  EXPECT_GE(count(dom, "class=\"series-dot\""), 3);
  EXPECT_EQ(dom.find("chart-empty"), std::string::npos) << "a chart had nothing to draw";
  EXPECT_NE(dom.find("class=\"jobs\""), std::string::npos) << "training queue table missing";

  // The screenshot, taken only when the page rendered as checked above, goes next to the binary; with
  // TBML_UPDATE_SCREENSHOTS=1 it also replaces docs/status-page.png (not by default, so that running the
  // suite leaves the source tree as it was).
  if (!HasFailure()) {
    const std::string shot = work + "/status-page.png";
    ASSERT_EQ(run_chromium(chromium, work + "/profile2", url, "--screenshot=" + shot, work + "/shot.out",
                           work + "/shot.log"), 0) << read_text(work + "/shot.log");
    ASSERT_TRUE(std::filesystem::exists(shot)) << read_text(work + "/shot.log");
    EXPECT_GT(std::filesystem::file_size(shot), 20000u);
    const auto copy = [&shot](const std::filesystem::path& to) {
      std::filesystem::copy_file(shot, to, std::filesystem::copy_options::overwrite_existing);
    };
    copy(std::filesystem::path(TBML_BINARY).parent_path() / "status-page.png");
    const char* update = std::getenv("TBML_UPDATE_SCREENSHOTS");
    if (update && std::string(update) == "1") copy(std::string(TBML_SOURCE_DIR) + "/docs/status-page.png");
  }
}
