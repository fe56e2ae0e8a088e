// ExecutorServer: how mesos-launch hands its own executor to the agents of a
// named master. It serves one file, read into memory once at start, at one
// content-addressed path:
//
//   GET or HEAD  /executor/<sha256>/mesos-launch-executor
//
// The URL changes whenever the bytes do, so agents may keep it in their fetch
// caches for good (one download per agent and version). Any other path is
// 404, any other method 405. Connections are limited (`max_connections`;
// at the limit an idle connection makes room, else the newcomer gets 503:
// common/http_server.h). Every request is reported to `on_fetch`, on a
// server thread.
//
// The agent, not this server, is what makes the bytes trustworthy: the
// executor's command checks their sha256 before running them
// (launcher/compile.h, VerifyThenExec).
#ifndef MLAUNCH_LAUNCHER_EXECUTOR_SERVER_H_
#define MLAUNCH_LAUNCHER_EXECUTOR_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/http_server.h"
#include "common/status.h"
#include "detect/master_address.h"

namespace mlaunch {

class ExecutorServer {
 public:
  struct Fetch {
    std::string peer;  // "ip:port"
    std::string method;
    std::string target;
    int status = 0;
  };

  struct Options {
    std::string file;        // the executor binary
    std::string address;     // an IP address of this machine to listen on
    std::uint16_t port = 0;  // 0: any free one
    // The host in the URL; empty: `address`. Differs behind NAT (--advertise).
    std::string advertise;
    std::size_t max_connections = 64;
    std::function<void(const Fetch&)> on_fetch;  // may be empty
    // Test only: serve these bytes instead of the file's, under the file's
    // digest (a tampered download, which the agent must refuse).
    std::string tampered_file;
  };

  // Reads the file, hashes it and starts serving. Fails, naming the file or
  // the address, when the file cannot be read or the port cannot be bound.
  static Result<std::unique_ptr<ExecutorServer>> Start(Options options);

  // "/executor/<sha256>/mesos-launch-executor"
  static std::string PathFor(const std::string& sha256);

  ExecutorServer(const ExecutorServer&) = delete;
  ExecutorServer& operator=(const ExecutorServer&) = delete;
  ~ExecutorServer();  // stops serving

  const std::string& url() const { return url_; }        // the one URL served
  const std::string& sha256() const { return sha256_; }  // of the file
  std::int64_t bytes() const { return bytes_; }          // of the file
  // Whole GETs answered 200 so far.
  int downloads() const { return downloads_.load(); }

 private:
  ExecutorServer() = default;

  std::string url_;
  std::string sha256_;
  std::int64_t bytes_ = 0;
  std::atomic<int> downloads_{0};
  std::unique_ptr<HttpServer> server_;
};

// Test only: when this environment variable names a file, a run serves that
// file's bytes instead of the executor's, under the executor's digest, so
// that tests can watch the agents refuse a tampered download.
inline constexpr const char* kTamperedExecutorVariable = "MESOS_LAUNCH_TEST_TAMPERED_EXECUTOR";

// --advertise: "ADDRESS", "ADDRESS:PORT", "[IPV6]:PORT" or a bare IPv6
// address; port 0 when none is given. ADDRESS may be a name.
Result<HostPort> ParseAdvertise(const std::string& text);

// Whether `host` is an IP address of this machine (one a socket can bind).
bool IsLocalAddress(const std::string& host);

// The address of this machine that its packets to `host`:`port` leave from
// (the kernel's route; nothing is sent): where agents that reach the master
// can reach us. `host` may be a name. Fails, naming the host, when it does
// not resolve or no route leads there.
Result<std::string> LocalAddressToward(const std::string& host, std::uint16_t port);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_EXECUTOR_SERVER_H_
