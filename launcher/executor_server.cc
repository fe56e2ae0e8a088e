#include "launcher/executor_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/sha256.h"

namespace mlaunch {
namespace {

// The whole file in one allocation of its size (a growing buffer would
// leave the heap holding several times the binary).
Result<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return Status::InvalidData("cannot read " + path + ": " + std::strerror(errno));
  std::string bytes(static_cast<std::size_t>(file.tellg()), '\0');
  file.seekg(0);
  if (!file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    return Status::InvalidData("cannot read " + path);
  }
  return bytes;
}

}  // namespace

std::string ExecutorServer::PathFor(const std::string& sha256) {
  return "/executor/" + sha256 + "/mesos-launch-executor";
}

Result<std::unique_ptr<ExecutorServer>> ExecutorServer::Start(Options options) {
  Result<std::string> bytes = ReadFile(options.file);
  if (!bytes.ok()) return bytes.status();
  std::unique_ptr<ExecutorServer> self(new ExecutorServer());
  self->sha256_ = Sha256Hex(bytes.value());
  self->bytes_ = static_cast<std::int64_t>(bytes.value().size());
  if (!options.tampered_file.empty()) {
    bytes = ReadFile(options.tampered_file);
    if (!bytes.ok()) return bytes.status();
  }
  const std::string path = PathFor(self->sha256_);

  HttpServer::Response file;
  file.headers.Set("Content-Type", "application/octet-stream");
  // The path names the content: it never changes.
  file.headers.Set("Cache-Control", "public, max-age=31536000, immutable");
  file.headers.Set("ETag", "\"" + self->sha256_ + "\"");
  file.body = std::move(bytes).value();
  auto prepared = std::make_shared<const HttpServer::Prepared>(std::move(file));

  HttpServer::Options server;
  server.address = options.address;
  server.port = options.port;
  server.max_connections = options.max_connections;
  server.max_body_bytes = 0;  // requests carry no body
  ExecutorServer* raw = self.get();
  auto on_fetch = options.on_fetch;
  Result<std::unique_ptr<HttpServer>> started = HttpServer::Start(
      server, [raw, path, prepared, on_fetch](const HttpServer::Request& request) {
        HttpServer::Response response;
        if (request.path() != path) {
          response = HttpServer::Response::Text(404, "mesos-launch serves only " + path + "\n");
        } else if (request.method != "GET" && request.method != "HEAD") {
          response = HttpServer::Response::Text(405, "only GET and HEAD are served here\n");
          response.headers.Set("Allow", "GET, HEAD");
        } else {
          response.prepared = prepared;
          if (request.method == "GET") raw->downloads_++;
        }
        if (on_fetch) on_fetch({request.peer, request.method, request.target, response.status});
        return response;
      });
  if (!started.ok()) {
    return Status::Error(started.status().code(),
                         "cannot serve the executor: " + started.status().message());
  }
  self->server_ = std::move(started).value();
  HostPort advertised{options.advertise.empty() ? options.address : options.advertise,
                      self->server_->port()};
  self->url_ = "http://" + advertised.ToString() + path;
  return self;
}

Result<HostPort> ParseAdvertise(const std::string& text) {
  auto bad = [&text](const std::string& why) {
    return Status::InvalidData("--advertise '" + text + "': " + why +
                               " (give ADDRESS or ADDRESS:PORT, IPv6 in brackets with a port)");
  };
  HostPort where;
  std::string port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos) return bad("no closing ]");
    where.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return bad("only :PORT may follow ]");
      port = text.substr(close + 2);
      has_port = true;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    where.host = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
    has_port = true;
  } else {
    where.host = text;  // a name, IPv4, or an IPv6 address without a port
  }
  if (where.host.empty()) return bad("no address");
  if (has_port) {
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
        std::stoi(port) > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
    where.port = static_cast<std::uint16_t>(std::stoi(port));
  }
  return where;
}

bool IsLocalAddress(const std::string& host) {
  sockaddr_storage address{};
  socklen_t length = 0;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    length = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
             inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    length = sizeof(sockaddr_in6);
  } else {
    return false;  // a name
  }
  const int fd = socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  // Port 0: only whether the address is ours, not whether a port is free.
  const bool local = bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0;
  close(fd);
  return local;
}

Result<std::string> LocalAddressToward(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int error = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); error != 0) {
    return Status::Error(StatusCode::kUnavailable,
                         "cannot resolve " + host + ": " + gai_strerror(error));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, &freeaddrinfo);
  std::string why = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    // A datagram socket's connect() only picks the route.
    bool ok = connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
              getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0;
    if (!ok) why = std::strerror(errno);
    close(fd);
    if (!ok) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* address =
        local.ss_family == AF_INET6
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
    if (inet_ntop(local.ss_family, address, text, sizeof text)) return std::string(text);
  }
  return Status::Error(StatusCode::kUnavailable, "no route to " + host + ": " + why);
}

ExecutorServer::~ExecutorServer() {
  if (server_) server_->Stop();
}

}  // namespace mlaunch
