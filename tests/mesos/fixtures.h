// Access to the recorded Mesos 1.12 traffic in tests/mesos/fixtures/mesos-1.12
// (override the location with CORAL_FIXTURES_DIR).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace coral::mesos::testing {

inline std::string fixturesDir() {
  if (const char* env = std::getenv("CORAL_FIXTURES_DIR")) return env;
  return CORAL_FIXTURES_DIR;
}

inline bool haveFixtures() {
  return std::filesystem::exists(fixturesDir() + "/streams-index.json");
}

inline std::string readFixture(const std::string& relative) {
  std::ifstream in(fixturesDir() + "/" + relative, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Body of a recorded raw HTTP request/response (after the blank line).
inline std::string httpBody(const std::string& raw) {
  const auto pos = raw.find("\r\n\r\n");
  return pos == std::string::npos ? std::string() : raw.substr(pos + 4);
}

}  // namespace coral::mesos::testing

#define CORAL_REQUIRE_FIXTURES()                \
  if (!::coral::mesos::testing::haveFixtures()) \
  GTEST_FAIL() << "fixtures not found in " << ::coral::mesos::testing::fixturesDir()
