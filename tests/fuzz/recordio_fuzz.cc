// Feeds arbitrary bytes to the RecordIO decoder, whole and in random chunks.
// Nothing may crash; every chunking must give the same records and status as
// feeding the stream whole; and whatever records come out must survive an
// encode -> decode round trip unchanged.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/recordio.h"

namespace {

struct Decoded {
  std::vector<std::string> records;
  mlaunch::Status status;
};

// Feeds `stream` in chunks whose sizes come from `next_size`, then finishes.
template <typename NextSize>
Decoded Decode(std::string_view stream, size_t max_record_bytes, NextSize next_size) {
  mlaunch::RecordIODecoder decoder(max_record_bytes);
  Decoded out;
  size_t at = 0;
  while (at < stream.size()) {
    const size_t n = next_size();
    out.status = decoder.Feed(stream.substr(at, n), &out.records);
    if (!out.status.ok()) return out;
    at += n;
  }
  out.status = decoder.Finish();
  return out;
}

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  // Small limits reach the oversize path; SIZE_MAX reaches the 64-bit checks.
  const size_t max_record_bytes =
      input.ConsumeBool() ? SIZE_MAX : input.ConsumeIntegralInRange<size_t>(0, 4096);
  uint32_t seed = input.ConsumeIntegral<uint32_t>();
  const size_t largest_chunk = input.ConsumeIntegralInRange<size_t>(1, 64);
  const std::string stream = input.ConsumeRemainingBytesAsString();

  const Decoded whole = Decode(stream, max_record_bytes, [&] { return stream.size(); });
  const Decoded chunked = Decode(stream, max_record_bytes, [&] {
    seed = seed * 1664525u + 1013904223u;  // a plain LCG is random enough here
    return 1 + (seed >> 8) % largest_chunk;
  });
  Check(chunked.records == whole.records);
  Check(chunked.status == whole.status);

  std::string reencoded;
  for (const std::string& record : whole.records) {
    Check(record.size() <= max_record_bytes);
    reencoded += mlaunch::RecordIOEncode(record);
  }
  const Decoded again = Decode(reencoded, max_record_bytes, [&] { return reencoded.size(); });
  Check(again.status.ok());
  Check(again.records == whole.records);
  return 0;
}
