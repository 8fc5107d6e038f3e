// LD_PRELOAD shim used by scripts/bench.sh to measure one recommended server change without editing
// the server: it sets TCP_NODELAY on every listening TCP socket (Linux copies the option to accepted
// sockets), which is what `httplib::Server::set_tcp_nodelay(true)` does. Not linked into anything.
//   c++ -O2 -shared -fPIC bench/nodelay_preload.cpp -o nodelay.so -ldl
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

extern "C" int listen(int fd, int backlog) {
  using Listen = int (*)(int, int);
  static Listen real = reinterpret_cast<Listen>(dlsym(RTLD_NEXT, "listen"));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on non-TCP sockets
  return real(fd, backlog);
}
