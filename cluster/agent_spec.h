// Agent resources and attributes written as Mesos' agent flags do:
//   --resources  'cpus:2;mem:2048;disk:10000;ports:[31000-31999]'
//   --attributes 'rack:r1;zone:a;weight:3'
// A resource is `name[(role)]:value` where value is a number (SCALAR),
// `[a-b,c-d]` (RANGES) or `{x,y}` (SET). An attribute value that is a
// number is a SCALAR, a `[a-b]` list RANGES, anything else TEXT.
//
// Pure code: no I/O. Errors are values naming the bad item.
#ifndef MLAUNCH_CLUSTER_AGENT_SPEC_H_
#define MLAUNCH_CLUSTER_AGENT_SPEC_H_

#include <string_view>
#include <vector>

#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

Result<std::vector<mesos::v1::Resource>> ParseResources(std::string_view text);
Result<std::vector<mesos::v1::Attribute>> ParseAttributes(std::string_view text);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_AGENT_SPEC_H_
