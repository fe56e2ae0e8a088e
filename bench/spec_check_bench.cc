// How long `mesos-launch --check` takes on a large spec: generates a spec of
// N tasks (default 10,000) with ports, constraints, env, health checks and
// defaults, then times load + checks (+ compile, as --plan would) over
// several runs and prints the median and the worst. Target: check < 1 s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/spec_generator.h"
#include "launcher/compile.h"
#include "launcher/spec/load.h"

namespace {

double SteadyMillis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  int tasks = argc > 1 ? std::atoi(argv[1]) : 10000;
  int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  std::string yaml = mlaunch::bench::GenerateSpec(tasks);
  std::vector<double> check_ms, compile_ms;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    mlaunch::spec::LoadResult result = mlaunch::spec::Load(yaml, "bench.yaml");
    auto checked = std::chrono::steady_clock::now();
    if (!result.diagnostics.ok()) {
      std::fprintf(stderr, "generated spec is invalid: %s\n",
                   mlaunch::Render(result.diagnostics.Sorted()[0]).c_str());
      return 1;
    }
    mlaunch::Plan plan = mlaunch::Compile(result.spec, {}, {"bench"});
    auto compiled = std::chrono::steady_clock::now();
    check_ms.push_back(SteadyMillis(checked - start));
    compile_ms.push_back(SteadyMillis(compiled - checked));
  }
  std::sort(check_ms.begin(), check_ms.end());
  std::sort(compile_ms.begin(), compile_ms.end());
  std::printf("spec: %d tasks, %zu bytes, %d runs\n", tasks, yaml.size(), runs);
  std::printf("check (load + validate): median %.0f ms, worst %.0f ms\n",
              check_ms[check_ms.size() / 2], check_ms.back());
  std::printf("compile to TaskInfos:    median %.0f ms, worst %.0f ms\n",
              compile_ms[compile_ms.size() / 2], compile_ms.back());
  return 0;
}
