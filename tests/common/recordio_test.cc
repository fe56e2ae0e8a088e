#include "common/recordio.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mlaunch {
namespace {

using std::string_literals::operator""s;

struct Decoded {
  std::vector<std::string> records;
  Status status;  // of the first failing Feed, else of Finish()
};

// Feeds `stream` cut at `cuts` (ascending offsets), then finishes.
Decoded DecodeWithCuts(std::string_view stream, const std::vector<size_t>& cuts,
                       size_t max_record_bytes = kDefaultMaxRecordBytes) {
  RecordIODecoder decoder(max_record_bytes);
  Decoded out;
  size_t begin = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(stream.size());
  for (size_t end : ends) {
    out.status = decoder.Feed(stream.substr(begin, end - begin), &out.records);
    if (!out.status.ok()) return out;
    begin = end;
  }
  out.status = decoder.Finish();
  return out;
}

Decoded DecodeWhole(std::string_view stream, size_t max_record_bytes = kDefaultMaxRecordBytes) {
  return DecodeWithCuts(stream, {}, max_record_bytes);
}

// Every way of cutting `stream` into two and three pieces, and into single
// bytes, must give exactly what feeding it whole gives: the same records and
// the same status (errors included, message and all).
void ExpectSameForEveryChunking(std::string_view stream,
                                size_t max_record_bytes = kDefaultMaxRecordBytes) {
  const Decoded whole = DecodeWhole(stream, max_record_bytes);
  for (size_t a = 0; a <= stream.size(); ++a) {
    Decoded two = DecodeWithCuts(stream, {a}, max_record_bytes);
    EXPECT_EQ(two.records, whole.records) << "cut at " << a;
    EXPECT_EQ(two.status, whole.status) << "cut at " << a;
    for (size_t b = a; b <= stream.size(); ++b) {
      Decoded three = DecodeWithCuts(stream, {a, b}, max_record_bytes);
      EXPECT_EQ(three.records, whole.records) << "cuts at " << a << ", " << b;
      EXPECT_EQ(three.status, whole.status) << "cuts at " << a << ", " << b;
    }
  }
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
  Decoded bytes = DecodeWithCuts(stream, every_byte, max_record_bytes);
  EXPECT_EQ(bytes.records, whole.records) << "1-byte chunks";
  EXPECT_EQ(bytes.status, whole.status) << "1-byte chunks";
}

TEST(RecordIODecoder, DecodesTheReferenceExample) {
  Decoded d = DecodeWhole("5\nhello6\nworld!");
  EXPECT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(d.records, (std::vector<std::string>{"hello", "world!"}));
}

TEST(RecordIODecoder, DecodesProtobufHeartbeatExactBytes) {
  // docs/mesos-protocol.md, "Event streams (RecordIO)": Event{type: HEARTBEAT} is
  // 32 0A 08 08; the executor's HEARTBEAT (type 9) is "2\n\x08\x09".
  Decoded d = DecodeWhole("\x32\x0a\x08\x08"s + "2\n\x08\x09"s);
  EXPECT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(d.records, (std::vector<std::string>{"\x08\x08", "\x08\x09"}));
}

TEST(RecordIODecoder, DecodesJsonHeartbeat) {
  Decoded d = DecodeWhole("20\n{\"type\":\"HEARTBEAT\"}");
  EXPECT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(d.records, (std::vector<std::string>{"{\"type\":\"HEARTBEAT\"}"}));
}

TEST(RecordIODecoder, ZeroLengthRecordIsEmpty) {
  Decoded d = DecodeWhole("0\n0\n3\nabc0\n");
  EXPECT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(d.records, (std::vector<std::string>{"", "", "abc", ""}));
}

TEST(RecordIODecoder, PayloadMayContainNewlinesDigitsAndNul) {
  const std::string payload = "12\n\0\n9\r\n"s;
  Decoded d = DecodeWhole(RecordIOEncode(payload) + RecordIOEncode("x"));
  EXPECT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(d.records, (std::vector<std::string>{payload, "x"}));
}

TEST(RecordIODecoder, LeadingZerosInLengthAreAccepted) {
  Decoded d = DecodeWhole("003\nabc");
  EXPECT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(d.records, (std::vector<std::string>{"abc"}));
}

TEST(RecordIODecoder, EmptyStreamIsComplete) {
  Decoded d = DecodeWhole("");
  EXPECT_TRUE(d.status.ok());
  EXPECT_TRUE(d.records.empty());
}

TEST(RecordIODecoder, ManyRecordsInOneChunk) {
  std::string stream;
  std::vector<std::string> expected;
  for (int i = 0; i < 1000; ++i) {
    expected.push_back(std::string(static_cast<size_t>(i % 37), 'a') + std::to_string(i));
    stream += RecordIOEncode(expected.back());
  }
  RecordIODecoder decoder;
  std::vector<std::string> records;
  ASSERT_TRUE(decoder.Feed(stream, &records).ok());
  EXPECT_TRUE(decoder.Finish().ok());
  EXPECT_EQ(records, expected);
}

TEST(RecordIODecoder, RecordSpanningManyChunksArrivesOnceWhole) {
  const std::string payload(100000, 'z');
  const std::string stream = RecordIOEncode(payload);
  RecordIODecoder decoder;
  std::vector<std::string> records;
  for (size_t i = 0; i < stream.size(); i += 999) {
    ASSERT_TRUE(decoder.Feed(std::string_view(stream).substr(i, 999), &records).ok());
    if (i + 999 < stream.size()) {
      EXPECT_TRUE(records.empty());
    }
  }
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], payload);
}

TEST(RecordIODecoder, SameResultForEveryChunkingOfValidStreams) {
  ExpectSameForEveryChunking("5\nhello6\nworld!");
  ExpectSameForEveryChunking("0\n1\na0\n10\n0123456789");
  ExpectSameForEveryChunking("\x32\x0a\x08\x08"s + "2\n\x08\x09"s);
  ExpectSameForEveryChunking(RecordIOEncode("line1\nline2\n") + RecordIOEncode("3\n") +
                             RecordIOEncode(std::string(12, '\0')));
}

TEST(RecordIODecoder, SameResultForEveryChunkingOfBadStreams) {
  ExpectSameForEveryChunking("5\nhello3\nab");             // truncated record
  ExpectSameForEveryChunking("5\nhello12");                // truncated length
  ExpectSameForEveryChunking("5\nhellox\nab");             // garbage length
  ExpectSameForEveryChunking("2\nab\n3\nabc");             // empty length
  ExpectSameForEveryChunking("2\nab11\nhello world", 10);  // oversize
  ExpectSameForEveryChunking("1\na-1\nb");                 // sign
}

// The inputs of the tests below, each at every cut: garbage, huge and
// overlong lengths fail the same wherever the stream is split.
TEST(RecordIODecoder, SameResultForEveryChunkingOfTheErrorCases) {
  for (const char* stream :
       {"x\n", "1\na2\r\nab", " 2\nab", "+2\nab", "2\xff\nab", "\n", "1\na\n",
        "18446744073709551615\n", "18446744073709551616\n", "000000000000000000001\n",
        "1000000000000000\nabc", "5\nhello6\nwor", "1\na12", "1\na1\nbz\n"}) {
    SCOPED_TRACE(stream);
    ExpectSameForEveryChunking(stream);
  }
  ExpectSameForEveryChunking("8\n123456789\n", 8);  // the oversize case
}

// Many records in one stream, cut anywhere into two pieces or into bytes.
TEST(RecordIODecoder, ManyRecordsGiveTheSameResultAtEveryCut) {
  std::string stream;
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) {
    expected.push_back(std::string(static_cast<size_t>(i % 13), 'a') + std::to_string(i));
    stream += RecordIOEncode(expected.back());
  }
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    Decoded two = DecodeWithCuts(stream, {cut});
    ASSERT_TRUE(two.status.ok()) << "cut at " << cut;
    ASSERT_EQ(two.records, expected) << "cut at " << cut;
  }
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(DecodeWithCuts(stream, every_byte).records, expected);
}

TEST(RecordIODecoder, TruncatedRecordFailsAtFinish) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  ASSERT_TRUE(decoder.Feed("5\nhello6\nwor", &records).ok());
  EXPECT_EQ(records, (std::vector<std::string>{"hello"}));
  Status status = decoder.Finish();
  EXPECT_EQ(status.code(), StatusCode::kInvalidData);
  EXPECT_EQ(status.message(),
            "RecordIO: stream ended inside the record at stream offset 7: got 3 "
            "of 6 bytes");
}

TEST(RecordIODecoder, TruncatedLengthFailsAtFinish) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  ASSERT_TRUE(decoder.Feed("1\na12", &records).ok());
  EXPECT_EQ(decoder.Finish().message(),
            "RecordIO: stream ended inside the length prefix at stream offset 3");
}

TEST(RecordIODecoder, FinishAfterWholeRecordsSucceeds) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  ASSERT_TRUE(decoder.Feed("1\na", &records).ok());
  EXPECT_TRUE(decoder.Finish().ok());
}

TEST(RecordIODecoder, OversizeRecordFailsBeforeItsBytesArrive) {
  RecordIODecoder decoder(/*max_record_bytes=*/8);
  std::vector<std::string> records;
  ASSERT_TRUE(decoder.Feed("8\n12345678", &records).ok());  // exactly the limit
  Status status = decoder.Feed("9\n", &records);
  EXPECT_EQ(status.code(), StatusCode::kInvalidData);
  EXPECT_EQ(status.message(),
            "RecordIO: record of 9 bytes at stream offset 10 exceeds the limit "
            "of 8 bytes");
  EXPECT_EQ(records, (std::vector<std::string>{"12345678"}));
}

TEST(RecordIODecoder, HugeLengthIsRejectedWithoutAllocating) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  Status status = decoder.Feed("18446744073709551615\n", &records);  // UINT64_MAX
  EXPECT_EQ(status.message(),
            "RecordIO: record of 18446744073709551615 bytes at stream offset 0 "
            "exceeds the limit of 67108864 bytes");
}

TEST(RecordIODecoder, AnnouncedLengthIsNotAllocatedUpFront) {
  // Found by the fuzzer: reserving the announced length let four bytes of
  // input ask for a petabyte.
  RecordIODecoder decoder(/*max_record_bytes=*/SIZE_MAX);
  std::vector<std::string> records;
  ASSERT_TRUE(decoder.Feed("1000000000000000\nabc", &records).ok());
  EXPECT_EQ(decoder.Finish().message(),
            "RecordIO: stream ended inside the record at stream offset 0: got 3 "
            "of 1000000000000000 bytes");
}

TEST(RecordIODecoder, LengthOverflowingSixtyFourBitsFails) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  EXPECT_EQ(decoder.Feed("18446744073709551616\n", &records).message(),
            "RecordIO: length prefix at stream offset 0 does not fit in 64 bits");
}

TEST(RecordIODecoder, LengthWithTooManyDigitsFails) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  EXPECT_EQ(decoder.Feed("000000000000000000001\n", &records).message(),
            "RecordIO: length prefix at stream offset 0 has more than 20 digits");
}

TEST(RecordIODecoder, GarbageInLengthFails) {
  struct Case {
    std::string stream;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"x\n",
       "expected a decimal digit or '\\n' in the length prefix at stream "
       "offset 0, got 'x'"},
      {"1\na2\r\nab",
       "expected a decimal digit or '\\n' in the length prefix "
       "at stream offset 4, got '\\r'"},
      {" 2\nab",
       "expected a decimal digit or '\\n' in the length prefix at "
       "stream offset 0, got ' '"},
      {"+2\nab",
       "expected a decimal digit or '\\n' in the length prefix at "
       "stream offset 0, got '+'"},
      {"2\xff\nab",
       "expected a decimal digit or '\\n' in the length prefix at "
       "stream offset 1, got 0xff"},
      {"\n", "empty length prefix at stream offset 0"},
      {"1\na\n", "empty length prefix at stream offset 3"},
  };
  for (const Case& c : cases) {
    Decoded d = DecodeWhole(c.stream);
    EXPECT_EQ(d.status.code(), StatusCode::kInvalidData) << c.stream;
    EXPECT_EQ(d.status.message(), "RecordIO: " + c.message) << c.stream;
  }
}

TEST(RecordIODecoder, RecordsBeforeAnErrorInTheSameChunkAreKept) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  EXPECT_FALSE(decoder.Feed("1\na1\nbz\n", &records).ok());
  EXPECT_EQ(records, (std::vector<std::string>{"a", "b"}));
}

TEST(RecordIODecoder, FailureIsSticky) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  Status first = decoder.Feed("x", &records);
  ASSERT_FALSE(first.ok());
  EXPECT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.Feed("1\na", &records), first);
  EXPECT_EQ(decoder.Feed("", &records), first);
  EXPECT_EQ(decoder.Finish(), first);
  EXPECT_TRUE(records.empty());
}

TEST(RecordIODecoder, TruncationAtFinishIsSticky) {
  RecordIODecoder decoder;
  std::vector<std::string> records;
  ASSERT_TRUE(decoder.Feed("3\nab", &records).ok());
  Status at_end = decoder.Finish();
  ASSERT_FALSE(at_end.ok());
  EXPECT_EQ(decoder.Feed("c", &records), at_end);
  EXPECT_TRUE(records.empty());
}

TEST(RecordIOEncode, FramesWithDecimalLengthAndNewline) {
  EXPECT_EQ(RecordIOEncode("hello"), "5\nhello");
  EXPECT_EQ(RecordIOEncode(""), "0\n");
  EXPECT_EQ(RecordIOEncode("\x08\x08"), "\x32\x0a\x08\x08");
  EXPECT_EQ(RecordIOEncode(std::string(1234, 'q')).substr(0, 5), "1234\n");
}

TEST(RecordIOEncode, RoundTripsThroughTheDecoder) {
  const std::vector<std::string> records = {"", "a", "\n\n", "12\n", std::string(300, '\0')};
  std::string stream;
  for (const std::string& r : records) stream += RecordIOEncode(r);
  Decoded d = DecodeWhole(stream);
  EXPECT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(d.records, records);
}

}  // namespace
}  // namespace mlaunch
