// tbml: parses the subcommand and hands over to it; the wiring of each lives in src/cli/.

#include <cstdlib>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "tbml/config/config.h"

int main(int argc, char** argv) {
  // malloc arenas: glibc's default (up to 8 per core; MALLOC_ARENA_MAX overrides it). Capping them at the
  // core count saved ~35 MiB when 256 workers always existed, but with the elastic pool it saves ~3 MiB,
  // and with 2 arenas the HTTP workers share the training thread's: a nice-10 trainer preempted inside
  // malloc holds a lock the requests wait for, which doubled the prediction route's p99 while a model
  // trained (docs/performance.md, "While a model trains").
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
