#include "os/subprocess.h"

#include <gtest/gtest.h>

namespace coral::os {
namespace {

TEST(Subprocess, CapturesStdoutStderrAndExitCode) {
  auto r = runProcess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
}

TEST(Subprocess, FeedsLargeStdinWithoutDeadlock) {
  ProcessOptions options;
  options.stdin_data.assign(1 << 20, 'x');
  auto r = runProcess({"cat"}, options);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->out.size(), options.stdin_data.size());
}

TEST(Subprocess, ReplacesEnvironmentWhenAsked) {
  ProcessOptions options;
  options.env = std::map<std::string, std::string>{{"ONLY", "1"}, {"PATH", "/usr/bin:/bin"}};
  auto r = runProcess({"/usr/bin/env"}, options);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->out.find("ONLY=1"), std::string::npos);
  EXPECT_EQ(r->out.find("HOME="), std::string::npos);
}

TEST(Subprocess, MissingProgramIsAnError) {
  auto r = runProcess({"coral-no-such-program"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("coral-no-such-program"), std::string::npos);
}

TEST(Subprocess, TimeoutKillsTheChild) {
  ProcessOptions options;
  options.timeout = std::chrono::milliseconds(100);
  auto r = runProcess({"sleep", "5"}, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("did not finish"), std::string::npos);
}

TEST(Subprocess, RunCheckedQuotesStderrOnFailure) {
  auto r = runChecked({"sh", "-c", "echo boom >&2; exit 1"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("boom"), std::string::npos);
}

}  // namespace
}  // namespace coral::os
