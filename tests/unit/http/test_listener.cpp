// The httplib start shared by the API server and the simulator: binds and accepts within the
// deadline, or fails with the address in the message and leaves no thread behind.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "tbml/http/listener.h"

namespace tbml {
namespace {

TEST(Listener, StartsOnAnEphemeralPortAndAnswers) {
  httplib::Server server;
  server.Get("/ping", [](const httplib::Request&, httplib::Response& res) { res.set_content("pong", "text/plain"); });
  ListenerOptions o;
  o.name = "test";
  configure_listener(server, o);
  std::thread thread;
  bool after = false;
  const int port = start_listener(server, o, thread, [&after] { after = true; });
  ASSERT_GT(port, 0);
  EXPECT_TRUE(server.is_running());
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(2);
  auto res = client.Get("/ping");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "pong");
  server.stop();
  thread.join();
  EXPECT_TRUE(after);  // ran on the listener thread once the loop ended
}

TEST(Listener, APortInUseFailsClearlyAndLeavesNoThread) {
  httplib::Server first;
  ListenerOptions o;
  o.name = "first";
  configure_listener(first, o);
  std::thread t1;
  const int port = start_listener(first, o, t1);

  httplib::Server second;
  ListenerOptions taken = o;
  taken.name = "second";
  taken.port = port;
  configure_listener(second, taken);
  std::thread t2;
  try {
    start_listener(second, taken, t2);
    FAIL() << "binding a port in use must throw";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("second: cannot bind 127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
  }
  EXPECT_FALSE(t2.joinable());
  first.stop();
  t1.join();
}

TEST(Listener, RefusesABadPortAndASecondStart) {
  httplib::Server server;
  ListenerOptions o;
  o.port = 70000;
  std::thread thread;
  EXPECT_THROW(start_listener(server, o, thread), std::invalid_argument);
  o.port = 0;
  configure_listener(server, o);
  start_listener(server, o, thread);
  EXPECT_THROW(start_listener(server, o, thread), std::logic_error);
  server.stop();
  thread.join();
}

}  // namespace
}  // namespace tbml
