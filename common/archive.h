// Archives as the Mesos fetcher treats them: which fetched files are
// archives, and their safe extraction with libarchive. The embedded
// cluster's fetcher extracts with it, and so does the executor, for
// artifacts it must verify before they are extracted.
//
// Which names are archives is decided by the destination name alone, as
// Mesos does: .tar .tgz .tar.gz .tbz2 .tar.bz2 .txz .tar.xz .zip are
// archives; a plain .gz is one compressed file. Only these are read: tar
// and zip, plain or compressed with gzip, bzip2 or xz (so a static program
// links no more of libarchive than that).
//
// Extraction is for untrusted input. An entry is refused, and the
// extraction fails with a message naming it, when its path is absolute or
// has a ".." component, when it would be written through a symlink, when it
// is a symlink whose target is absolute or leads outside the destination,
// a hardlink to anything outside the destination, or a device, FIFO or
// socket. Refusal happens before the entry is written, so nothing is ever
// written outside the destination; entries before the bad one stay.
// Permission bits are kept (the executable bit too), except set-user/group-id
// and sticky; owners are not.
//
// Blocking file I/O; errors are values.
#ifndef MLAUNCH_COMMON_ARCHIVE_H_
#define MLAUNCH_COMMON_ARCHIVE_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace mlaunch {

enum class ArchiveKind {
  kNone,     // not an archive: kept as it is
  kArchive,  // tar (plain, gzip, bzip2, xz) or zip: extracted
  kGzip,     // one gzip-compressed file: decompressed
};

ArchiveKind ArchiveKindOf(std::string_view name);

// Extracts every entry of the archive at `archive` (tar or zip, whatever
// its name) into the existing directory `destination`, as described above.
Status ExtractArchive(const std::string& archive, const std::string& destination);

// Decompresses the gzip file `gz` into the file `destination` (replaced).
Status Gunzip(const std::string& gz, const std::string& destination);

// What the fetcher does with the file `file`, named `name` in the sandbox
// `directory`, by its kind: an archive is extracted into `directory`, a
// .gz decompressed there under its name without ".gz", anything else left.
Status Unpack(ArchiveKind kind, const std::string& file, const std::string& name,
              const std::string& directory);

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_ARCHIVE_H_
