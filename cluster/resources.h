// Resources: a bag of mesos.v1.Resource values with the arithmetic the master
// needs (docs/embedded-cluster.md): add, subtract, "contains", and the
// text Mesos prints in validation messages.
//
// Two resources are "the same kind" when every field except the value
// (scalar, ranges, set) is equal, with an unset role read as "*": so cpus in
// role "*" allocated to role "web" and cpus allocated to role "db" never mix,
// exactly as in Mesos. Scalars add up; ranges and sets are unions. Values are
// kept merged and sorted, so equal bags compare equal.
//
// Pure code: no I/O. A plain value; not synchronised.
#ifndef MLAUNCH_CLUSTER_RESOURCES_H_
#define MLAUNCH_CLUSTER_RESOURCES_H_

#include <optional>
#include <string>
#include <vector>

#include "google/protobuf/repeated_field.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

class Resources {
 public:
  Resources() = default;
  Resources(const google::protobuf::RepeatedPtrField<mesos::v1::Resource>&
                resources);  // NOLINT: implicit on purpose

  // Adds one resource. Resources with an empty value (zero scalar, no
  // ranges, no set items) are dropped, as Mesos does.
  void Add(const mesos::v1::Resource& resource);
  void Add(const Resources& other);
  // Removes as much of `other` as there is; what is not here is ignored.
  void Subtract(const Resources& other);
  // True when every resource in `other` is here in at least that amount.
  bool Contains(const Resources& other) const;

  bool empty() const { return resources_.empty(); }
  const std::vector<mesos::v1::Resource>& list() const { return resources_; }

  // The total scalar amount named `name` (any role), if there is any.
  std::optional<double> Scalar(const std::string& name) const;

  // Every resource with its allocation_info set to `role`.
  Resources AllocatedTo(const std::string& role) const;
  // Every resource without allocation_info.
  Resources Unallocated() const;

  // Mesos' text, e.g. "cpus(allocated: *):1; mem(allocated: *):128;
  // ports(allocated: *):[31000-31005]".
  std::string ToString() const;

  void CopyTo(google::protobuf::RepeatedPtrField<mesos::v1::Resource>* out) const;

  friend bool operator==(const Resources& a, const Resources& b);

 private:
  std::vector<mesos::v1::Resource> resources_;
};

// Checks one list of resources the way Mesos' Resources::validate does: a
// name, a value matching the type, finite non-negative scalars, ranges with
// begin <= end. Returns the reason when invalid.
std::optional<std::string> ValidateResources(
    const google::protobuf::RepeatedPtrField<mesos::v1::Resource>& resources);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_RESOURCES_H_
