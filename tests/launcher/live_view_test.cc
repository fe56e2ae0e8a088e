// The text output at scale: routine lines of a task of many instances are
// summed up; what needs a person is always a line of its own.
#include "launcher/live_view.h"

#include <gtest/gtest.h>

#include <sstream>

namespace mlaunch {
namespace {

ViewEvent Routine(const std::string& instance, const std::string& text) {
  return {ViewEvent::Kind::kInstance, instance, text, /*routine=*/true};
}

TEST(GroupThousands, PutsACommaEveryThreeDigits) {
  EXPECT_EQ(GroupThousands(0), "0");
  EXPECT_EQ(GroupThousands(999), "999");
  EXPECT_EQ(GroupThousands(9874), "9,874");
  EXPECT_EQ(GroupThousands(1000000), "1,000,000");
}

TEST(LiveView, ATaskOfFewInstancesShowsEveryLine) {
  std::ostringstream out;
  LiveView view(out, {{"web", 3}}, {});
  view.Show(Routine("web.0", "LAUNCHED on host-a http=31000"));
  view.Show({ViewEvent::Kind::kServing, "web.0", "http://host-a:31000/", true});
  EXPECT_EQ(out.str(),
            "web.0        LAUNCHED on host-a http=31000\n"
            "web.0        serving http://host-a:31000/\n");
  EXPECT_FALSE(view.Due(100'000)) << "nothing was held back";
}

TEST(LiveView, ATaskOfManyInstancesIsSummedUpAndFailuresStillShow) {
  std::ostringstream out;
  LiveView view(out, {{"web", 100}, {"db", 1}}, {/*listed=*/20, /*every=*/2000});
  for (int i = 0; i < 100; ++i) view.Show(Routine("web." + std::to_string(i), "LAUNCHED on h"));
  view.Show(Routine("db.0", "LAUNCHED on h"));
  view.Show({ViewEvent::Kind::kInstance, "web.7", "FAILED (exited with status 1)", false});
  view.Show({ViewEvent::Kind::kNote, "", "subscribed framework=f1", false});
  view.Show({ViewEvent::Kind::kNote, "", "executor web.3.x exited with status 0", true});
  EXPECT_EQ(out.str(),
            "db.0         LAUNCHED on h\n"
            "web.7        FAILED (exited with status 1)\n"
            "subscribed framework=f1\n");
  out.str("");

  CountsByTask counts{{"web", {{"launched", 10}, {"running", 90}}}, {"db", {{"running", 1}}}};
  EXPECT_FALSE(view.Due(1999));
  ASSERT_TRUE(view.Due(2000));
  view.Summarize(counts, 2000);
  EXPECT_EQ(out.str(), "web: 10 launched, 90 running\n") << "db is listed, not summed";
  out.str("");

  view.Show(Routine("web.3", "RUNNING on h"));
  EXPECT_FALSE(view.Due(3000)) << "at most every 2 s";
  view.Summarize(counts, 4000);
  EXPECT_EQ(out.str(), "") << "the same counts are not said twice";
  view.Show(Routine("web.4", "RUNNING on h"));
  counts["web"] = {{"running", 100}};
  view.Summarize(counts, 4500, /*final=*/true);
  EXPECT_EQ(out.str(), "web: 100 running\n") << "the last one, due or not";
}

}  // namespace
}  // namespace mlaunch
