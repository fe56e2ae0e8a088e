// mesos-launch: wiring only; see cli.h.
#include <iostream>

#include "common/file_limit.h"
#include "launcher/cli.h"

int main(int argc, char** argv) {
  // Its embedded cluster may hold connections to many executors
  // (common/file_limit.h).
  mlaunch::RaiseOpenFileLimit();
  return mlaunch::RunCli(argc, argv, mlaunch::RealWorld(), std::cout, std::cerr);
}
