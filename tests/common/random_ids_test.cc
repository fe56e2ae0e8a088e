#include "common/random_ids.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

#include "common/sha256.h"

namespace mlaunch {
namespace {

TEST(RandomIds, UuidsAreVersionFourAndNeverRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    const std::string bytes = NewUuidBytes();
    ASSERT_EQ(bytes.size(), 16u);
    EXPECT_EQ(static_cast<unsigned char>(bytes[6]) >> 4, 4);       // version 4
    EXPECT_EQ(static_cast<unsigned char>(bytes[8]) & 0xc0, 0x80);  // RFC 4122 variant
    EXPECT_TRUE(seen.insert(bytes).second);
  }
  const std::string text = NewUuid();
  ASSERT_EQ(text.size(), 36u);
  EXPECT_EQ(text[14], '4');
  EXPECT_EQ(
      UuidText(std::string("\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef", 16)),
      "01234567-89ab-cdef-0123-456789abcdef");
}

// Issue #17, item 14: ids came from mt19937_64 engines seeded once with 32
// bits, so the whole sequence followed from one small number, and a process
// forked after the first id went on with exactly the parent's sequence. Ids
// and keys now come from the operating system's source at each call: a
// forked child draws other ids than its parent.
TEST(RandomIds, AForkedChildDrawsOtherIdsAndKeysThanItsParent) {
  (void)NewUuidBytes();  // a generator with state would be seeded by now
  (void)NewSecretKey(32);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string drawn = NewUuidBytes() + NewSecretKey(32);
    _exit(write(fds[1], drawn.data(), drawn.size()) == static_cast<ssize_t>(drawn.size()) ? 0 : 1);
  }
  close(fds[1]);
  const std::string mine = NewUuidBytes() + NewSecretKey(32);
  std::string theirs(mine.size(), '\0');
  ASSERT_EQ(read(fds[0], theirs.data(), theirs.size()), static_cast<ssize_t>(theirs.size()));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(mine.substr(0, 16), theirs.substr(0, 16));
  EXPECT_NE(mine.substr(16), theirs.substr(16));
}

TEST(Hmac, MatchesRfc4231TestCaseTwo) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace mlaunch
