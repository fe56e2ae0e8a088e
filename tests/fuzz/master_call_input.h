// The input format of master_call_fuzz, shared with the program that writes
// its seeds (master_call_seeds.cc): a sequence of steps, each
//
//   flags (1 byte) | length (2 bytes, big endian) | a Call, `length` bytes
//
// where the Call is protobuf bytes, or JSON when kJson is set. The other
// flags let mutated calls reach deep instead of failing the first check:
// they overwrite ids in the parsed Call with ones the master knows.
#ifndef MLAUNCH_TESTS_FUZZ_MASTER_CALL_INPUT_H_
#define MLAUNCH_TESTS_FUZZ_MASTER_CALL_INPUT_H_

#include <cstdint>
#include <string>

namespace mlaunch::fuzz {

enum StepFlags : std::uint8_t {
  kJson = 1 << 0,              // the Call is JSON, not protobuf bytes
  kOwnFramework = 1 << 1,      // framework id and stream id: the subscribed one
  kLiveOffers = 1 << 2,        // offer ids: the outstanding offers
  kKnownAgent = 1 << 3,        // agent ids (tasks, kill, ack...): the agent's;
                               // an ACKNOWLEDGE's uuid: its task's pending one
  kAdvanceClock = 1 << 4,      // 10 s pass before the call (retries, timers)
  kAgentReports = 1 << 5,      // then every launched task reports RUNNING,
                               // the next time FINISHED (with uuids)
  kStreamClosed = 1 << 6,      // then the subscription stream ends
  kAgentReRegisters = 1 << 7,  // then the agent re-registers with its tasks
};

inline std::string Step(std::uint8_t flags, const std::string& call) {
  std::string step;
  step += static_cast<char>(flags);
  step += static_cast<char>((call.size() >> 8) & 0xff);
  step += static_cast<char>(call.size() & 0xff);
  return step + call.substr(0, 0xffff);
}

}  // namespace mlaunch::fuzz

#endif  // MLAUNCH_TESTS_FUZZ_MASTER_CALL_INPUT_H_
