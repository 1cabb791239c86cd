#include "mesos/backoff.h"

#include <gtest/gtest.h>

namespace coral::mesos {
namespace {

TEST(Backoff, DoublesFromOneSecondToFifteenWithJitter) {
  double r = 1.0;
  Backoff backoff(Duration(1000), Duration(15000), [&] { return r; });
  std::vector<long> ceilings;
  for (int i = 0; i < 7; ++i) ceilings.push_back(backoff.next().count());
  EXPECT_EQ(ceilings, (std::vector<long>{1000, 2000, 4000, 8000, 15000, 15000, 15000}));
  r = 0.0;
  backoff.reset();
  EXPECT_EQ(backoff.next().count(), 500) << "jitter goes down to half the ceiling";
  EXPECT_EQ(backoff.next().count(), 1000);
  EXPECT_EQ(backoff.failures(), 2);
}

}  // namespace
}  // namespace coral::mesos
