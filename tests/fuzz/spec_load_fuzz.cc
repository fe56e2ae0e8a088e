// Feeds arbitrary bytes to the spec loader, the checks, the reading of the
// files and variables a spec names (this machine's, read-only: devices,
// FIFOs, directories and /proc files included) and the compiler. Nothing
// may crash, hang or throw out, and the plan printed is always JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "launcher/compile.h"
#include "launcher/inputs.h"
#include "launcher/plan_json.h"
#include "launcher/spec/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mlaunch::spec::LoadResult result = mlaunch::spec::Load(text, "fuzz.yaml");
  for (const mlaunch::Diagnostic& d : result.diagnostics.Sorted()) {
    (void)mlaunch::Render(d, result.spec.source);
  }
  if (!result.diagnostics.ok()) return 0;
  static const mlaunch::World world = mlaunch::RealWorld();
  mlaunch::Inputs inputs = mlaunch::ReadInputs(result.spec, world, result.diagnostics);
  if (!result.diagnostics.ok()) return 0;
  mlaunch::Plan plan = mlaunch::Compile(result.spec, inputs, {"fuzz"});
  if (nlohmann::json::parse(mlaunch::PlanJson(plan), nullptr, false).is_discarded()) std::abort();
  return 0;
}
