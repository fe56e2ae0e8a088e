// The --credentials file of a Mesos master: either JSON
//   {"credentials": [{"principal": "alice", "secret": "s3cret"}, ...]}
// or one "principal secret" pair per line. Pure code: the caller reads the
// file. Errors are values; they never include a secret.
#ifndef MLAUNCH_CLUSTER_CREDENTIALS_FILE_H_
#define MLAUNCH_CLUSTER_CREDENTIALS_FILE_H_

#include <string_view>
#include <vector>

#include "cluster/http_rules.h"
#include "common/status.h"

namespace mlaunch::cluster {

Result<std::vector<BasicCredentials>> ParseCredentials(std::string_view text);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_CREDENTIALS_FILE_H_
