#pragma once
// Each subcommand of the tbml binary lives in src/cli/cmd_<name>.cpp and registers itself here.
// A registered command sets `run` to the function main() calls after parsing succeeded; it returns the
// process exit code (0 ok, 1 runtime failure, 2 invalid configuration or arguments).
#include <functional>

#include <CLI/CLI.hpp>

namespace tbml::cli {

using Runner = std::function<int()>;

void register_serve_command(CLI::App& app, Runner& run);
void register_core_sim_command(CLI::App& app, Runner& run);
void register_train_command(CLI::App& app, Runner& run);
void register_evaluate_command(CLI::App& app, Runner& run);
void register_shards_command(CLI::App& app, Runner& run);

}  // namespace tbml::cli
