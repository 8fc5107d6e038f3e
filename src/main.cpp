// tbml: parses the subcommand and hands over to it; the wiring of each lives in src/cli/.
#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "tbml/config/config.h"

int main(int argc, char** argv) {
  // glibc gives threads that allocate at the same time their own malloc arenas, up to 8 per core. With 256
  // HTTP workers that cost ~35 MiB of RSS under load (292 -> 257 MiB with 6 pairs x 4 models, see
  // docs/performance.md) and bought nothing measurable on 2 cores. An explicit MALLOC_ARENA_MAX still wins.
  if (!std::getenv("MALLOC_ARENA_MAX")) {
    ::mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  }
  CLI::App app{"tbml: crypto price-direction prediction service (LSTM, GRU, CNN, Transformer ensemble)"};
  app.set_version_flag("--version", std::string("tbml ") + TBML_VERSION);
  app.require_subcommand(1);
  tbml::cli::Runner run;
  tbml::cli::register_serve_command(app, run);
  tbml::cli::register_core_sim_command(app, run);
  tbml::cli::register_train_command(app, run);
  tbml::cli::register_evaluate_command(app, run);
  tbml::cli::register_shards_command(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    return run ? run() : 2;
  } catch (const tbml::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fatal: " << e.what() << "\n";
    return 1;
  }
}
