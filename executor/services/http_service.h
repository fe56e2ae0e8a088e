// The built-in HTTP service: what a task with `ServiceConfig.http` runs,
// on the project's one HTTP server (common/http_server.h).
//
// It listens on the task's assigned port (the one of `ports` named by
// `http.port_name`, or the first) at the address the executor chooses
// (ListenAddressFor). It answers GET (and HEAD) only:
//   /health        200 "ok", always;
//   `http.path`    `http.body` with `http.content_type` (when a body is set);
//   anything else  a file under `http.root` (a directory in the sandbox),
//                  index.html for directories, the content type from the
//                  extension; the request may not leave the root, neither by
//                  ".." nor through a symlink pointing outside it; regular
//                  files only, sent from an open descriptor a piece at a time
//                  (HttpServer::FileSlice: memory per request does not grow
//                  with the file), one `Range` of bytes as 206
//                  (executor/services/http_range.h);
// and 404 otherwise (405 for other methods).
//
// HttpRoutes is the pure part (it only reads files); HttpService owns
// the listening server. Start() fails, naming the address and the port, when
// the port cannot be bound (in use, say): the task then fails with that
// reason. Thread-safe once started; Stop() from the owning thread.
#ifndef MLAUNCH_EXECUTOR_SERVICES_HTTP_SERVICE_H_
#define MLAUNCH_EXECUTOR_SERVICES_HTTP_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/http_server.h"
#include "common/status.h"
#include "mesos_launch/service.pb.h"

namespace mlaunch::executor {

// The address a service binds: the agent's own IP when the agent is on
// loopback (so tests and the embedded cluster stay on 127.0.0.1), else
// every interface. `agent_endpoint` is MESOS_AGENT_ENDPOINT ("host:port").
std::string ListenAddressFor(const std::string& agent_endpoint);

// The port the service listens on, or an error naming what is missing.
Result<std::uint16_t> HttpPortFor(const ServiceConfig& config);

// "text/html; charset=utf-8" for "a/index.html"; application/octet-stream
// for unknown extensions.
std::string ContentTypeForPath(std::string_view path);

// Worker threads for a task given `cpus`: one per started cpu, 1 to 16.
int HttpThreadsForCpus(double cpus);

// What the service answers to each request: the pure part, which only
// reads files. The payload is prepared once (HttpServer::Prepared), so
// serving it copies nothing. Thread-safe.
class HttpRoutes {
 public:
  // `root` is the absolute, symlink-free path of the directory served
  // (empty: no files).
  HttpRoutes(const ServiceConfig::Http& http, std::string root);

  HttpServer::Response Serve(const HttpServer::Request& request) const;

 private:
  HttpServer::Response ServeGet(const HttpServer::Request& request) const;

  std::string root_;
  std::string body_path_;
  std::shared_ptr<const HttpServer::Prepared> payload_;  // when http has a body
};

class HttpService {
 public:
  // Binds `address` and the config's port and starts serving on `threads`
  // worker threads; `sandbox` is where `http.root` is found.
  static Result<std::unique_ptr<HttpService>> Start(const ServiceConfig& config,
                                                    const std::string& address,
                                                    const std::string& sandbox, int threads = 2);
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  void Stop() { server_->Stop(); }
  std::uint16_t port() const { return server_->port(); }
  std::string url() const { return server_->url(); }

 private:
  explicit HttpService(std::unique_ptr<HttpServer> server) : server_(std::move(server)) {}
  std::unique_ptr<HttpServer> server_;
};

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_SERVICES_HTTP_SERVICE_H_
