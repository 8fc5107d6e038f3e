#pragma once
// Progress of long CLI work (tbml train, tbml evaluate): on a terminal one line redrawn in place with a
// bar, otherwise (a log file, a pipe, CI) every update as its own plain line.
#include <ostream>
#include <string>

namespace tbml::cli {

class ProgressLine {
 public:
  ProgressLine(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}
  ~ProgressLine() { end(); }

  // `done` of `total` steps (no bar when total <= 0).
  void show(const std::string& text, int done, int total);
  // A line that stays (a result, a warning): ends the redrawn line first.
  void print(const std::string& text);
  // Ends a redrawn line so that what follows starts on a fresh line.
  void end();
  bool terminal() const { return terminal_; }

 private:
  std::ostream& out_;
  bool terminal_;
  bool drawn_ = false;
};

// "[#####...............]" for `done` of `total`, `width` cells.
std::string progress_bar(int done, int total, int width = 20);
// "ETA 1m05s" from the time so far and the share done ("" when nothing is done yet).
std::string eta_text(double elapsed_seconds, int done, int total);

}  // namespace tbml::cli
