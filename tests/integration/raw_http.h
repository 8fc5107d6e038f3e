#pragma once
// A raw loopback HTTP client for hardening tests: sends arbitrary bytes (malformed request lines, bad
// encodings, lying Content-Length) that a well-behaved client library refuses to produce, and parses
// whatever comes back without trusting it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

namespace tbml::testing {

struct RawReply {
  bool answered = false;  // a status line came back
  int status = 0;
  std::string head;       // status line + headers
  std::string body;
  nlohmann::json json;    // discarded value when the body is not JSON
  std::string header(const std::string& name) const {
    std::string lower_head = head, key = name + ":";
    for (auto& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto at = lower_head.find("\r\n" + key);
    if (at == std::string::npos) return "";
    auto start = at + 2 + key.size();
    auto end = head.find("\r\n", start);
    std::string v = head.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
    return v;
  }
};

// A connected TCP socket to 127.0.0.1:port, or -1.
inline int raw_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool raw_send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until the peer closes, a complete Content-Length response arrived, or the deadline passes.
inline RawReply raw_read_reply(int fd, std::chrono::milliseconds timeout) {
  RawReply out;
  std::string data;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[16384];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    // Interim responses (100 Continue) precede the real one; drop them.
    while (data.size() >= 12 && data.rfind("HTTP/1.", 0) == 0 && data[9] == '1') {
      auto interim_end = data.find("\r\n\r\n");
      if (interim_end == std::string::npos) break;
      data.erase(0, interim_end + 4);
    }
    auto end = data.find("\r\n\r\n");
    if (end != std::string::npos) {
      RawReply probe;
      probe.head = data.substr(0, end);
      const std::string cl = probe.header("Content-Length");
      const bool bodiless = data.compare(9, 3, "204") == 0 || data.compare(9, 3, "304") == 0;
      if (bodiless || (!cl.empty() && data.size() >= end + 4 + std::stoul(cl))) break;
    }
  }
  auto end = data.find("\r\n\r\n");
  out.head = data.substr(0, end);
  if (end != std::string::npos) out.body = data.substr(end + 4);
  if (data.rfind("HTTP/1.", 0) == 0 && data.size() >= 12) {
    out.answered = true;
    out.status = std::atoi(data.substr(9, 3).c_str());
  }
  std::string cl = out.header("Content-Length");
  if (!cl.empty() && out.body.size() > std::stoul(cl)) out.body.resize(std::stoul(cl));
  out.json = nlohmann::json::parse(out.body, nullptr, false);
  return out;
}

// One request on a fresh connection. With `half_close` the write side is closed after sending, so a
// server waiting for more bytes sees end-of-stream at once instead of waiting for its read timeout; note
// that httplib 0.11 then treats the peer as gone and sends no answer at all.
inline RawReply raw_exchange(int port, const std::string& bytes,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                             bool half_close = false) {
  int fd = raw_connect(port);
  if (fd < 0) return {};
  raw_send_all(fd, bytes);
  if (half_close) ::shutdown(fd, SHUT_WR);
  RawReply r = raw_read_reply(fd, timeout);
  ::close(fd);
  return r;
}

}  // namespace tbml::testing
