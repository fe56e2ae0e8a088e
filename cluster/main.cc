// mesos-launch-cluster: the standalone embedded cluster. Its master and
// agents arrive with their issue; today it parses its flags and says so.
#include <cxxopts.hpp>
#include <iostream>

int main(int argc, char** argv) {
  cxxopts::Options options("mesos-launch-cluster",
                           "A Mesos master and agents in one process, on loopback.");
  options.add_options()("port", "master port (0: any free one)",
                        cxxopts::value<int>()->default_value("5050"))(
      "agents", "number of agents", cxxopts::value<int>()->default_value("1"))("h,help",
                                                                               "show this help");
  try {
    auto args = options.parse(argc, argv);
    if (args.count("help")) {
      std::cout << options.help();
      return 0;
    }
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "mesos-launch-cluster: " << e.what() << "\n";
    return 64;
  }
  std::cerr << "mesos-launch-cluster: the embedded master and agents are not built yet\n";
  return 2;
}
