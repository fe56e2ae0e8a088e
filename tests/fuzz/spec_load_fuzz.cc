// Feeds arbitrary bytes to the spec loader, the checks and the compiler.
// Nothing may crash, hang or throw out.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "launcher/compile.h"
#include "launcher/plan_json.h"
#include "launcher/spec/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  mlaunch::spec::LoadResult result = mlaunch::spec::Load(text, "fuzz.yaml");
  for (const mlaunch::Diagnostic& d : result.diagnostics.Sorted()) {
    (void)mlaunch::Render(d, result.spec.source);
  }
  if (result.diagnostics.ok()) {
    mlaunch::Plan plan = mlaunch::Compile(result.spec, {}, {"fuzz"});
    (void)mlaunch::PlanJson(plan);
  }
  return 0;
}
