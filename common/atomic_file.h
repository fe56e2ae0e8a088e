// Replacing a small file atomically and durably: the text goes to
// "<path>.tmp", is fsync'ed, and is renamed over `path`, and the directory
// is fsync'ed, so a reader (or a process started after a crash, even of the
// machine) sees either the old content or the new, never a part, and the
// new once this returns Ok.
// The directory must exist. Errors are values naming the file.
#ifndef MLAUNCH_COMMON_ATOMIC_FILE_H_
#define MLAUNCH_COMMON_ATOMIC_FILE_H_

#include <string>

#include "common/status.h"

namespace mlaunch {

Status WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_ATOMIC_FILE_H_
