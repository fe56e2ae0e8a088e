// mesos-launch: wiring only; see cli.h.
#include <iostream>

#include "launcher/cli.h"

int main(int argc, char** argv) {
  return mlaunch::RunCli(argc, argv, mlaunch::RealWorld(), std::cout, std::cerr);
}
