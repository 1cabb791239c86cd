// Test helpers shared by the cni and network tests: a self-removing temp
// directory and fake CNI plugins (shell scripts that record what they get).
// Must never leave files behind, even when a test fails.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <string>
#include <vector>

namespace coral::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "coral-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void writeFile(const std::string& path, const std::string& content, mode_t mode = 0644) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << content;
  ::chmod(path.c_str(), mode);
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool exists(const std::string& path) { return std::filesystem::exists(path); }

// Escapes text for a single-quoted sh string.
inline std::string shQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''"; else out += c;
  }
  return out + "'";
}

// A fake plugin named `name` in `plugin_dir`. Every call appends
// "<name> <COMMAND>" to <log_dir>/order and saves its stdin and env as
// <log_dir>/<name>.<COMMAND>.stdin/.env. On ADD it prints `add_output` and
// exits `add_exit`; other commands print nothing and exit 0 unless
// `other_exit` says otherwise.
struct FakePlugin {
  std::string name;
  std::string add_output = "{}";
  int add_exit = 0;
  std::string add_stderr;
  int other_exit = 0;
  std::string other_output;

  FakePlugin& with_add_stderr(std::string text) { add_stderr = std::move(text); return *this; }
  FakePlugin& with_other_exit(int code) { other_exit = code; return *this; }
  FakePlugin& with_other_output(std::string text) { other_output = std::move(text); return *this; }
};

inline FakePlugin fake(std::string name, std::string add_output = "{}", int add_exit = 0) {
  FakePlugin p;
  p.name = std::move(name);
  p.add_output = std::move(add_output);
  p.add_exit = add_exit;
  return p;
}

inline void writeFakePlugin(const std::string& plugin_dir, const std::string& log_dir,
                            const FakePlugin& p) {
  std::string script = "#!/bin/sh\n";
  script += "LOG=" + shQuote(log_dir) + "\n";
  script += "cat > \"$LOG/" + p.name + ".$CNI_COMMAND.stdin\"\n";
  script += "env > \"$LOG/" + p.name + ".$CNI_COMMAND.env\"\n";
  script += "echo \"" + p.name + " $CNI_COMMAND\" >> \"$LOG/order\"\n";
  script += "if [ \"$CNI_COMMAND\" = ADD ]; then\n";
  script += "  printf '%s' " + shQuote(p.add_output) + "\n";
  if (!p.add_stderr.empty()) script += "  printf '%s' " + shQuote(p.add_stderr) + " >&2\n";
  script += "  exit " + std::to_string(p.add_exit) + "\nfi\n";
  script += "printf '%s' " + shQuote(p.other_output) + "\n";
  script += "exit " + std::to_string(p.other_exit) + "\n";
  writeFile(plugin_dir + "/" + p.name, script, 0755);
}

inline std::vector<std::string> readLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::map<std::string, std::string> readEnvFile(const std::string& path) {
  std::map<std::string, std::string> env;
  for (const auto& line : readLines(path)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

}  // namespace coral::testing
