#include "executor/services/health_check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace mlaunch::executor {

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds TimeoutOf(const mesos::v1::HealthCheck& check) {
  double seconds = check.timeout_seconds() > 0 ? check.timeout_seconds() : 20;
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

CheckOutcome TcpCheck(const std::string& host, uint32_t port, std::chrono::milliseconds timeout) {
  std::string where = host + ":" + std::to_string(port);
  // Addresses only: the static executor has no name service, and the
  // host is the agent's address.
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    return {false, "'" + host + "' is not an IP address"};
  }
  std::string error = "cannot connect to " + where;
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (rc == 0) {
        error = "connecting to " + where + " timed out";
        rc = -1;
      } else if (rc > 0) {
        int so_error = 0;
        socklen_t len = sizeof so_error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        rc = so_error == 0 ? 0 : -1;
        if (so_error) error = "cannot connect to " + where + ": " + std::strerror(so_error);
      }
    } else if (rc != 0) {
      error = "cannot connect to " + where + ": " + std::strerror(errno);
    }
    ::close(fd);
    if (rc == 0) {
      ::freeaddrinfo(found);
      return {true, "connected to " + where};
    }
  }
  ::freeaddrinfo(found);
  return {false, error};
}

CheckOutcome CommandCheck(const mesos::v1::CommandInfo& command, const std::string& sandbox,
                          std::chrono::milliseconds timeout) {
  std::vector<std::string> args;
  if (command.shell()) {
    args = {"/bin/sh", "-c", command.value()};
  } else if (command.arguments().empty()) {
    args = {command.value()};
  } else {
    args.assign(command.arguments().begin(), command.arguments().end());
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const char* program = command.shell() ? "/bin/sh" : command.value().c_str();
  pid_t pid = ::fork();
  if (pid < 0) return {false, std::string("fork: ") + std::strerror(errno)};
  if (pid == 0) {
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
    }
    if (::chdir(sandbox.c_str()) == 0) ::execvp(program, argv.data());
    ::_exit(127);
  }
  // A waiter thread reaps; this one waits for it with the timeout.
  std::mutex mutex;
  std::condition_variable done;
  bool reaped = false;
  int status = 0;
  std::thread waiter([&] {
    int s = 0;
    while (::waitpid(pid, &s, 0) < 0 && errno == EINTR) {
    }
    std::lock_guard<std::mutex> lock(mutex);
    status = s;
    reaped = true;
    done.notify_all();
  });
  bool timed_out;
  {
    std::unique_lock<std::mutex> lock(mutex);
    timed_out = !done.wait_for(lock, timeout, [&] { return reaped; });
    if (timed_out && ::kill(-pid, SIGKILL) != 0 && errno == ESRCH) ::kill(pid, SIGKILL);
  }
  waiter.join();
  if (timed_out) {
    return {false, "the check command timed out after " + std::to_string(timeout.count()) + " ms"};
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, "the check command passed"};
  if (WIFSIGNALED(status)) {
    return {false, "the check command was killed by signal " + std::to_string(WTERMSIG(status))};
  }
  return {false, "the check command exited with status " + std::to_string(WEXITSTATUS(status))};
}

CheckOutcome HttpCheck(HttpClient& http, const mesos::v1::HealthCheck::HTTPCheckInfo& info,
                       const std::string& host, std::chrono::milliseconds timeout) {
  const std::string scheme = info.scheme().empty() ? "http" : info.scheme();
  if (scheme != "http" && scheme != "https") {
    return {false, "the HTTP check's scheme '" + scheme + "' is neither http nor https"};
  }
  std::string path = info.path().empty() ? "/" : info.path();
  if (path.front() != '/') path.insert(0, "/");
  const std::string authority = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::string url = scheme + "://" + authority + ":" + std::to_string(info.port()) + path;
  HttpClient::Options options;
  options.timeout = timeout;
  options.connect_timeout = timeout;
  options.insecure = true;
  options.max_response_bytes = 1024 * 1024;  // of a non-2xx body
  auto response = http.Download(url, {}, options, [](std::string_view) { return true; });
  if (!response.ok()) return {false, response.message()};
  const int status = response->status;
  const bool healthy = status >= 200 && status < 400;
  return {healthy, "GET " + url + ": HTTP " + std::to_string(status) +
                       (healthy ? "" : " (healthy is 200-399)")};
}

}  // namespace

CheckOutcome RunHealthCheck(const mesos::v1::HealthCheck& check, const std::string& host,
                            const std::string& sandbox, HttpClient& http) {
  std::chrono::milliseconds timeout = TimeoutOf(check);
  mesos::v1::HealthCheck::Type type = check.type();
  if (!check.has_type()) {
    type = check.has_command() ? mesos::v1::HealthCheck::COMMAND
           : check.has_http()  ? mesos::v1::HealthCheck::HTTP
                               : mesos::v1::HealthCheck::TCP;
  }
  switch (type) {
    case mesos::v1::HealthCheck::COMMAND:
      return CommandCheck(check.command(), sandbox, timeout);
    case mesos::v1::HealthCheck::HTTP:
      return HttpCheck(http, check.http(), host, timeout);
    case mesos::v1::HealthCheck::TCP:
      return TcpCheck(host, check.tcp().port(), timeout);
    default:
      return {false, "unknown health check type"};
  }
}

}  // namespace mlaunch::executor
