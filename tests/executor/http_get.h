// HttpGet: a blocking GET for the executor tests, over a plain socket.
//
// Written before HttpClient had Get(); it stays for what HttpClient does not
// offer these tests: any method (HEAD, PUT) and the raw header block. It
// sends "Connection: close", then reads to EOF. Loopback only; a bounded receive
// timeout, so a silent server fails the test instead of hanging it.
#ifndef MLAUNCH_TESTS_EXECUTOR_HTTP_GET_H_
#define MLAUNCH_TESTS_EXECUTOR_HTTP_GET_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace mlaunch::testing {

struct GetResponse {
  int status = 0;       // 0: no response
  std::string headers;  // the raw header block
  std::string body;
};

// `extra_headers`: more header lines, each ending in "\r\n".
inline GetResponse HttpGet(std::uint16_t port, const std::string& target,
                           const std::string& host = "127.0.0.1", const std::string& method = "GET",
                           const std::string& extra_headers = "") {
  GetResponse out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return out;
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: " + host +
                        "\r\nConnection: close\r\n" + extra_headers + "\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return out;
  }
  std::string raw;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) raw.append(buffer, n);
  ::close(fd);
  size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return out;
  out.status = std::stoi(raw.substr(9, 3));
  out.headers = raw.substr(0, end);
  out.body = raw.substr(end + 4);
  return out;
}

}  // namespace mlaunch::testing

#endif  // MLAUNCH_TESTS_EXECUTOR_HTTP_GET_H_
