// Feeds arbitrary bytes to the decoding path of an event stream, as the
// master client and the executor's agent client run it: RecordIO records,
// each parsed as a scheduler Event and as an executor Event. Nothing may
// crash, hang or grow without bound; whatever parses must survive a
// serialize -> parse round trip unchanged.
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/recordio.h"
#include "mesos/v1/executor/executor.pb.h"
#include "mesos/v1/scheduler/scheduler.pb.h"

namespace {

template <typename Event>
void RoundTrip(const std::string& record) {
  Event event;
  if (!event.ParseFromString(record)) return;
  Event reparsed;
  if (!reparsed.ParseFromString(event.SerializeAsString()) ||
      !google::protobuf::util::MessageDifferencer::Equals(event, reparsed)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  mlaunch::RecordIODecoder decoder(64 * 1024);
  std::vector<std::string> records;
  // Chunks of 7 bytes: records split across reads, as on a real socket.
  for (size_t at = 0; at < stream.size(); at += 7) {
    if (!decoder.Feed(stream.substr(at, 7), &records).ok()) break;
  }
  (void)decoder.Finish();
  for (const std::string& record : records) {
    RoundTrip<mesos::v1::scheduler::Event>(record);
    RoundTrip<mesos::v1::executor::Event>(record);
  }
  return 0;
}
