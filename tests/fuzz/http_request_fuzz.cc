// Feeds arbitrary bytes, as one client's side of a connection, to the
// executor's built-in HTTP service: the project's HTTP server (Boost.Beast's
// parser, the limits, keep-alive) in front of HttpRoutes serving a
// root directory. The root holds a few files, a symlink to a file outside it
// and a symlink to a directory outside it; a file also sits next to the root.
//
// Per input: connect, write the bytes, half-close, read the reply until the
// server closes (bounded by a timeout). Invariants: the server never crashes
// or hangs (it always closes the connection after our half-close); a reply,
// if any, begins with an HTTP/1.x status line; no reply ever carries the
// bytes of a file outside the root.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "common/http_server.h"
#include "executor/services/http_service.h"

namespace {

namespace fs = std::filesystem;

// What the files outside the root hold; no reply may contain it.
constexpr std::string_view kOutside = "outside-the-root-7d1e0c";

[[noreturn]] void Fail(const char* what, std::string_view reply) {
  std::fprintf(stderr, "http_request_fuzz: %s; reply:\n%.*s\n", what,
               static_cast<int>(reply.size() < 2000 ? reply.size() : 2000), reply.data());
  std::abort();
}

struct Service {
  fs::path dir;  // removed at exit
  std::unique_ptr<mlaunch::HttpServer> server;

  Service() {
    std::string pattern = (fs::temp_directory_path() / "http_request_fuzz.XXXXXX").native();
    if (::mkdtemp(pattern.data()) == nullptr) Fail("mkdtemp failed", "");
    dir = pattern;
    const fs::path root = dir / "root";
    fs::create_directories(root / "sub");
    fs::create_directories(dir / "secret-dir");
    std::ofstream(root / "index.html") << "<h1>index</h1>";
    std::ofstream(root / "a.txt") << "file a";
    std::ofstream(root / "sub" / "b.json") << "{\"b\":1}";
    std::ofstream(dir / "secret.txt") << kOutside;
    std::ofstream(dir / "secret-dir" / "index.html") << kOutside;
    fs::create_symlink(dir / "secret.txt", root / "link-out.txt");
    fs::create_symlink(dir / "secret-dir", root / "dir-out");
    fs::create_symlink(root / "a.txt", root / "link-in.txt");

    mlaunch::ServiceConfig::Http http;
    http.set_path("/payload");
    http.set_content_type("text/plain");
    http.set_body("payload");
    mlaunch::HttpServer::Options options;  // 127.0.0.1, any free port
    options.threads = 2;
    options.max_header_bytes = 2048;  // small, so the 431 path is reachable
    options.max_body_bytes = 1024;    // and the 413 path
    auto routes =
        std::make_shared<const mlaunch::executor::HttpRoutes>(http, fs::canonical(root).native());
    auto started = mlaunch::HttpServer::Start(
        options,
        [routes](const mlaunch::HttpServer::Request& request) { return routes->Serve(request); });
    if (!started.ok()) Fail("cannot start the server", started.message());
    server = std::move(started).value();
  }

  ~Service() {
    server->Stop();
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

Service* service = nullptr;

void StopService() {
  delete service;
  service = nullptr;
}

// Sends `bytes` on a fresh connection, half-closes, and returns what the
// server sent until it closed.
std::string Exchange(std::string_view bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Fail("socket() failed", "");
  timeval timeout{5, 0};  // the server closes at once after our half-close
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  // The server closes first, so each exchange leaves a TIME_WAIT behind on
  // its side for a minute; from one source address the ephemeral ports run
  // out after ~28,000 exchanges. Each exchange comes from the next address
  // of 127.1.0.0/16 instead.
  static std::uint32_t exchanges = 0;
  sockaddr_in source{};
  source.sin_family = AF_INET;
  source.sin_addr.s_addr = htonl(0x7F010000u | (1 + exchanges++ % 65000));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0) {
    Fail("bind() failed", std::strerror(errno));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(service->server->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    // libFuzzer's timeout alarm may interrupt a connect() that waits for a
    // SYN retransmission (the server's accept queue was full); the
    // connection goes on in the background, so wait for its outcome.
    if (errno != EINTR) Fail("connect() failed", std::strerror(errno));
    pollfd pending{fd, POLLOUT, 0};
    int ready;
    do {
      ready = ::poll(&pending, 1, 5000);
    } while (ready < 0 && errno == EINTR);
    int error = 0;
    socklen_t length = sizeof error;
    if (ready <= 0) Fail("connect() did not complete", "");
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      Fail("connect() failed", std::strerror(error));
    }
  }
  // The server may answer and close before it read everything (a 431, say):
  // a failed write is not an error, the reply is what counts.
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) Fail("the server did not close", reply);
      break;  // reset by the server: fine, we check what arrived
    }
    reply.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  service = new Service();
  std::atexit(StopService);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string reply = Exchange(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!reply.empty() && reply.rfind("HTTP/1.1 ", 0) != 0 && reply.rfind("HTTP/1.0 ", 0) != 0) {
    Fail("the reply does not begin with an HTTP/1.x status line", reply);
  }
  if (reply.find(kOutside) != std::string::npos) {
    Fail("a file outside the root was served", reply);
  }
  return 0;
}
