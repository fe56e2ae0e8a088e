// A generated spec of N tasks for the benchmarks: each task with two
// instances, two ports (one static), two constraints, env, a built-in HTTP
// service with a payload placeholder, an HTTP health check and labels, plus
// `defaults:` merged into every task.
#ifndef MLAUNCH_BENCH_SPEC_GENERATOR_H_
#define MLAUNCH_BENCH_SPEC_GENERATOR_H_

#include <string>

namespace mlaunch::bench {

inline std::string GenerateSpec(int tasks) {
  std::string yaml =
      "version: 1\n"
      "framework: {name: bench, roles: [\"*\"]}\n"
      "defaults:\n"
      "  resources: {cpus: 0.1, mem: 64MiB}\n"
      "  restart: {policy: always, backoff: {initial: 1s, max: 1m}}\n"
      "tasks:\n";
  for (int i = 0; i < tasks; ++i) {
    std::string n = "task-" + std::to_string(i);
    yaml += "  - name: " + n +
            "\n"
            "    instances: 2\n"
            "    ports: [{name: http}, {name: admin, static: " +
            std::to_string(10000 + i % 50000) +
            "}]\n"
            "    constraints: [[hostname, UNIQUE], [rack, GROUP_BY, 2]]\n"
            "    env: {MODE: production, INDEX: \"" +
            std::to_string(i) +
            "\"}\n"
            "    service: {port: http, payload: \"hello from " +
            n +
            " ${instance}\"}\n"
            "    health_check: {type: http, port: http, interval: 10s, timeout: 2s}\n"
            "    labels: {team: bench}\n";
  }
  return yaml;
}

}  // namespace mlaunch::bench

#endif  // MLAUNCH_BENCH_SPEC_GENERATOR_H_
