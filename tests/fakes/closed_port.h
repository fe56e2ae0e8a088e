// ClosedPort: a loopback port where a connection is refused, for as long as
// the object lives.
//
// A port a stopped server had is not enough: tests run side by side, and the
// kernel may give that port to another test's server (an embedded master,
// say) a moment later, which then answers. Here the port stays bound, without
// listening and without SO_REUSEADDR: no one else can bind it, and a connect
// to it is refused.
#ifndef MLAUNCH_TESTS_FAKES_CLOSED_PORT_H_
#define MLAUNCH_TESTS_FAKES_CLOSED_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mlaunch {

class ClosedPort {
 public:
  ClosedPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      if (fd_ >= 0) close(fd_);
      throw std::runtime_error("ClosedPort: cannot bind a loopback port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~ClosedPort() { close(fd_); }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;

  std::uint16_t port() const { return port_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + endpoint(); }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

}  // namespace mlaunch

#endif  // MLAUNCH_TESTS_FAKES_CLOSED_PORT_H_
