// The floor for "time to serve": the executor's built-in HTTP service started
// directly, in a process linked like mesos-launch-executor (same library, so
// the same shared libraries to load), with no Mesos in between. Serves
// PAYLOAD on 127.0.0.1:PORT until SIGTERM or SIGINT.
//
// Usage: serve_floor PORT [THREADS=2] [PAYLOAD="Hello from Server"]
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "executor/services/http_service.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: serve_floor PORT [THREADS] [PAYLOAD]\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server's threads exist

  mlaunch::ServiceConfig config;
  mlaunch::ServiceConfig::Port* port = config.add_ports();
  port->set_name("http");
  port->set_number(static_cast<uint32_t>(std::atoi(argv[1])));
  config.mutable_http()->set_port_name("http");
  config.mutable_http()->set_body(argc > 3 ? argv[3] : "Hello from Server");
  int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  auto service = mlaunch::executor::HttpService::Start(config, "127.0.0.1", "/", threads);
  if (!service.ok()) {
    std::fprintf(stderr, "serve_floor: %s\n", service.status().message().c_str());
    return 1;
  }
  int signal = 0;
  sigwait(&signals, &signal);
  service.value()->Stop();
  return 0;
}
