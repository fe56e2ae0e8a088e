// A task this framework launched, with what a later run needs to take it
// over after a failover (scheduler_core.h Adopt) and to keep it on disk
// meanwhile (state_store.h): where it runs (agent id, hostname and
// attributes, for the live view, constraints and other tasks'
// `${tasks.NAME...}`), the ports it was given, and whether it was healthy
// when last heard of.
#ifndef MLAUNCH_LAUNCHER_KNOWN_TASK_H_
#define MLAUNCH_LAUNCHER_KNOWN_TASK_H_

#include <cstdint>
#include <map>
#include <string>

namespace mlaunch {

struct KnownTask {
  std::string task_id;  // <task>.<index>.<uuid>
  std::string agent_id;
  std::string hostname;                           // empty in files of older versions
  std::map<std::string, std::string> attributes;  // as AgentFacts holds them
  std::map<std::string, uint32_t> ports;          // port name -> number
  bool healthy = false;
};

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_KNOWN_TASK_H_
