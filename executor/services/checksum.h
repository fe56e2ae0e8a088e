// Artifact checksums: before a service starts, every artifact the spec gave
// a digest for must be in the sandbox with exactly that SHA-256
// (ServiceConfig.checksums, written by the compiler). A mismatch fails the
// task, naming the URI, the expected and the actual digest. A checksummed
// archive is fetched whole (the fetcher checks nothing, and would extract
// it, even from its cache, before anyone could): it is extracted here,
// safely (common/archive.h), once every checksum holds.
//
// Reads files, and writes what archives hold into the sandbox. Thread-safe
// for different sandboxes.
#ifndef MLAUNCH_EXECUTOR_SERVICES_CHECKSUM_H_
#define MLAUNCH_EXECUTOR_SERVICES_CHECKSUM_H_

#include <string>

#include "common/status.h"
#include "mesos_launch/service.pb.h"

namespace mlaunch::executor {

// Ok when every checksum of `config` matches its file in `sandbox` and
// every archive among them is extracted; else the first failure: a missing
// file, "sha256 mismatch for URI: expected E, got A" (then nothing was
// extracted), or "cannot extract URI: ...".
Status VerifyChecksums(const ServiceConfig& config, const std::string& sandbox);

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_SERVICES_CHECKSUM_H_
