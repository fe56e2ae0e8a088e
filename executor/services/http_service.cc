#include "executor/services/http_service.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "executor/services/http_range.h"

namespace mlaunch::executor {

namespace fs = std::filesystem;

std::string ListenAddressFor(const std::string& agent_endpoint) {
  std::string host = agent_endpoint;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);  // "[::1]:5051"
  } else if (size_t colon = host.rfind(':');
             colon != std::string::npos && host.find(':') == colon) {
    host = host.substr(0, colon);
  }
  if (host.rfind("127.", 0) == 0 || host == "::1") return host;
  if (host == "localhost") return "127.0.0.1";
  return "0.0.0.0";
}

Result<std::uint16_t> HttpPortFor(const ServiceConfig& config) {
  const std::string& name = config.http().port_name();
  for (const ServiceConfig::Port& port : config.ports()) {
    if (!name.empty() && port.name() != name) continue;
    if (port.number() == 0 || port.number() > 65535) {
      return Status::InvalidData("port \"" + port.name() + "\" has no number assigned");
    }
    return static_cast<std::uint16_t>(port.number());
  }
  return Status::InvalidData(name.empty() ? "the HTTP service has no port"
                                          : "the HTTP service's port \"" + name +
                                                "\" is not among the task's ports");
}

std::string ContentTypeForPath(std::string_view path) {
  struct Type {
    std::string_view extension;
    std::string_view type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".xml", "application/xml"},
      {".pdf", "application/pdf"},
      {".webp", "image/webp"},
  };
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    std::string extension(path.substr(dot));
    for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const Type& t : kTypes) {
      if (t.extension == extension) return std::string(t.type);
    }
  }
  return "application/octet-stream";
}

int HttpThreadsForCpus(double cpus) {
  if (!(cpus > 0)) return 1;
  return static_cast<int>(std::clamp(std::ceil(cpus), 1.0, 16.0));
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a path; nullopt when malformed or when it holds a NUL.
std::optional<std::string> DecodePath(std::string_view path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    if (i + 2 >= path.size()) return std::nullopt;
    int high = HexValue(path[i + 1]), low = HexValue(path[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  if (out.find('\0') != std::string::npos) return std::nullopt;
  return out;
}

bool Inside(const fs::path& path, const std::string& root) {
  const std::string& p = path.native();
  return p == root || (p.size() > root.size() && p.compare(0, root.size(), root) == 0 &&
                       (root.back() == '/' || p[root.size()] == '/'));
}

HttpServer::Response NotFound() { return HttpServer::Response::Text(404, "not found\n"); }

// The file under `root` that `request_path` names, streamed from an open
// descriptor (never read into memory), with Range support.
HttpServer::Response ServeFile(const std::string& root, const HttpServer::Request& request) {
  std::optional<std::string> decoded = DecodePath(request.path());
  if (!decoded || decoded->empty() || decoded->front() != '/') return NotFound();
  // Refuse ".." outright rather than trusting normalisation.
  for (const auto& part : fs::path(*decoded)) {
    if (part == "..") return NotFound();
  }
  std::error_code error;
  fs::path wanted = fs::path(root) / fs::path(*decoded).relative_path();
  fs::path real = fs::canonical(wanted, error);  // follows every symlink
  if (error || !Inside(real, root)) return NotFound();
  if (fs::is_directory(real, error)) {
    real = fs::canonical(real / "index.html", error);
    if (error || !Inside(real, root)) return NotFound();
  }
  // O_NONBLOCK: a FIFO must not hang the open (it is refused below).
  const int fd = open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return NotFound();
  auto slice_of = [fd](std::uint64_t first, std::uint64_t length) {
    return std::make_shared<const HttpServer::FileSlice>(fd, first, length);
  };
  // The file opened must be the one inside the root even if a symlink on
  // the way was swapped since the check: the same inode as the path,
  // resolved again, that is still inside.
  struct stat opened {};
  struct stat named {};
  const fs::path again = fs::canonical(real, error);
  if (fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode) || error || !Inside(again, root) ||
      stat(again.c_str(), &named) != 0 || named.st_dev != opened.st_dev ||
      named.st_ino != opened.st_ino) {
    close(fd);
    return NotFound();
  }
  const auto size = static_cast<std::uint64_t>(opened.st_size);
  HttpServer::Response response;
  response.headers.Add("Content-Type", ContentTypeForPath(real.native()));
  response.headers.Add("Accept-Ranges", "bytes");
  const ByteRange range = RangeOf(request.headers.Get("Range").value_or(""), size);
  switch (range.kind) {
    case ByteRange::Kind::kUnsatisfiable:
      close(fd);
      response = HttpServer::Response::Text(416, "range not satisfiable\n");
      response.headers.Add("Content-Range", "bytes */" + std::to_string(size));
      return response;
    case ByteRange::Kind::kPart:
      response.status = 206;
      response.headers.Add("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                std::to_string(range.last) + "/" +
                                                std::to_string(size));
      response.file = slice_of(range.first, range.last - range.first + 1);
      return response;
    case ByteRange::Kind::kWhole:
      break;
  }
  response.file = slice_of(0, size);
  return response;
}

}  // namespace

HttpRoutes::HttpRoutes(const ServiceConfig::Http& http, std::string root)
    : root_(std::move(root)), body_path_(http.path().empty() ? "/" : http.path()) {
  if (http.has_body()) {
    HttpServer::Response payload;
    payload.headers.Add("Content-Type", http.content_type().empty() ? "text/plain; charset=utf-8"
                                                                    : http.content_type());
    payload.body = http.body();
    payload_ = std::make_shared<const HttpServer::Prepared>(std::move(payload));
  }
}

HttpServer::Response HttpRoutes::Serve(const HttpServer::Request& request) const {
  HttpServer::Response response = ServeGet(request);
  if (request.method == "HEAD" && !response.prepared && !response.file) {
    // The headers a GET would have, without its body (the server does
    // this itself for a prepared response).
    response.headers.Set("Content-Length", std::to_string(response.body.size()));
    response.body.clear();
  }
  return response;
}

HttpServer::Response HttpRoutes::ServeGet(const HttpServer::Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    HttpServer::Response response = HttpServer::Response::Text(405, "method not allowed\n");
    response.headers.Add("Allow", "GET, HEAD");
    return response;
  }
  std::string_view path = request.path();
  if (path == "/health") return HttpServer::Response::Text(200, "ok");
  if (payload_ && path == body_path_) {
    HttpServer::Response response;
    response.prepared = payload_;
    return response;
  }
  if (!root_.empty()) return ServeFile(root_, request);
  return NotFound();
}

Result<std::unique_ptr<HttpService>> HttpService::Start(const ServiceConfig& config,
                                                        const std::string& address,
                                                        const std::string& sandbox, int threads) {
  Result<std::uint16_t> port = HttpPortFor(config);
  if (!port.ok()) return port.status();
  std::string root;
  if (!config.http().root().empty()) {
    std::error_code error;
    fs::path dir = fs::canonical(fs::path(sandbox) / config.http().root(), error);
    if (error || !fs::is_directory(dir)) {
      return Status::InvalidData("the HTTP root \"" + config.http().root() +
                                 "\" is not a directory in the sandbox " + sandbox);
    }
    root = dir.native();
  }
  HttpServer::Options options;
  options.address = address;
  options.port = port.value();
  options.threads = std::max(1, threads);
  auto routes = std::make_shared<const HttpRoutes>(config.http(), std::move(root));
  Result<std::unique_ptr<HttpServer>> server = HttpServer::Start(
      options, [routes](const HttpServer::Request& request) { return routes->Serve(request); });
  if (!server.ok()) return server.status();
  return std::unique_ptr<HttpService>(new HttpService(std::move(server.value())));
}

}  // namespace mlaunch::executor
