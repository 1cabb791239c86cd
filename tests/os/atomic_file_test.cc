#include "os/atomic_file.h"

#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace coral::os {
namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("coral-atomic-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(AtomicFileTest, WritesContentWithModeAndLeavesNoTempFile) {
  auto path = (dir_ / "token").string();
  ASSERT_TRUE(writeFileAtomically(path, "secret", 0600).ok());
  EXPECT_EQ(*readFile(path), "secret");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  int entries = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_)) (void)e, ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(AtomicFileTest, ReplacesExistingContent) {
  auto path = (dir_ / "state.json").string();
  ASSERT_TRUE(writeFileAtomically(path, "one").ok());
  ASSERT_TRUE(writeFileAtomically(path, "two").ok());
  EXPECT_EQ(*readFile(path), "two");
}

TEST_F(AtomicFileTest, MissingDirectoryIsAClearError) {
  auto r = writeFileAtomically((dir_ / "nope" / "f").string(), "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("nope"), std::string::npos);
}

TEST_F(AtomicFileTest, MakeDirectoriesCreatesParents) {
  auto path = (dir_ / "a" / "b" / "c").string();
  ASSERT_TRUE(makeDirectories(path).ok());
  EXPECT_TRUE(std::filesystem::is_directory(path));
}

}  // namespace
}  // namespace coral::os
