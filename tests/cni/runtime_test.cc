#include "cni/runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "test_support.h"

namespace coral::cni {
namespace {

using coral::testing::FakePlugin;
using coral::testing::fake;
using coral::testing::TempDir;
using coral::testing::readEnvFile;
using coral::testing::readFile;
using coral::testing::readLines;

std::string resultWithRoute(const std::string& dst) {
  return nlohmann::json{{"cniVersion", "1.0.0"},
                        {"interfaces", {{{"name", "veth1"}}, {{"name", "eth0"}, {"mac", "aa:bb:cc:dd:ee:ff"}, {"sandbox", "/x"}}}},
                        {"ips", {{{"address", "10.213.9.5/24"}, {"gateway", "10.213.9.1"}, {"interface", 1}}}},
                        {"routes", {{{"dst", dst}, {"gw", "10.213.9.1"}}}}}
      .dump();
}

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins_ = dir_.sub("bin");
    logs_ = dir_.sub("log");
    std::filesystem::create_directories(plugins_);
    std::filesystem::create_directories(logs_);
    // A regular file stands in for the netns: only its identity matters here.
    netns_ = dir_.sub("netns");
    coral::testing::writeFile(netns_, "");
  }

  void addPlugin(FakePlugin plugin) { coral::testing::writeFakePlugin(plugins_, logs_, plugin); }

  NetworkConfigList network(std::vector<nlohmann::json> plugins, bool disable_check = false) {
    NetworkConfigList list;
    list.name = "testnet";
    list.cni_version = "1.0.0";
    list.plugins = std::move(plugins);
    list.disable_check = disable_check;
    list.source_path = "test";
    return list;
  }

  RuntimeArgs args(const std::string& id = "abc") {
    RuntimeArgs a;
    a.container_id = id;
    a.netns_path = netns_;
    return a;
  }

  Runtime runtime() { return Runtime({dir_.sub("empty"), plugins_}, dir_.sub("cache")); }

  nlohmann::json stdinOf(const std::string& plugin, const std::string& command) {
    return nlohmann::json::parse(readFile(logs_ + "/" + plugin + "." + command + ".stdin"));
  }
  std::map<std::string, std::string> envOf(const std::string& plugin, const std::string& command) {
    return readEnvFile(logs_ + "/" + plugin + "." + command + ".env");
  }
  std::vector<std::string> order() { return readLines(logs_ + "/order"); }
  void clearLog() { std::remove((logs_ + "/order").c_str()); }

  TempDir dir_;
  std::string plugins_, logs_, netns_;
};

TEST_F(RuntimeTest, AddRunsPluginsInOrderPassingPrevResult) {
  addPlugin(fake("first", resultWithRoute("10.1.0.0/16")));
  addPlugin(fake("second", resultWithRoute("10.2.0.0/16")));
  addPlugin(fake("third", resultWithRoute("10.3.0.0/16")));
  auto rt = runtime();
  auto net = network({{{"type", "first"}, {"custom", 1}}, {{"type", "second"}}, {{"type", "third"}}});
  auto result = rt.add(net, args());
  ASSERT_TRUE(result.ok()) << result.message();

  EXPECT_EQ(order(), (std::vector<std::string>{"first ADD", "second ADD", "third ADD"}));
  auto first = stdinOf("first", "ADD");
  EXPECT_FALSE(first.contains("prevResult"));
  EXPECT_EQ(first["name"], "testnet");
  EXPECT_EQ(first["cniVersion"], "1.0.0");
  EXPECT_EQ(first["custom"], 1);
  EXPECT_EQ(stdinOf("second", "ADD")["prevResult"], nlohmann::json::parse(resultWithRoute("10.1.0.0/16")));
  EXPECT_EQ(stdinOf("third", "ADD")["prevResult"], nlohmann::json::parse(resultWithRoute("10.2.0.0/16")));
  EXPECT_EQ(stdinOf("third", "ADD")["name"], "testnet");

  ASSERT_EQ(result->routes.size(), 1u);
  EXPECT_EQ(result->routes[0].dst, "10.3.0.0/16");
  EXPECT_EQ(result->firstIpv4(), "10.213.9.5");

  auto cached = rt.cachedResult("testnet", "abc", "eth0");
  ASSERT_TRUE(cached.ok() && cached->has_value());
  EXPECT_EQ((*cached)->raw, result->raw);
  EXPECT_EQ(rt.cachedAttachments("testnet"), std::vector<std::string>{"abc"});
  EXPECT_TRUE(rt.cachedAttachments("othernet").empty());
}

TEST_F(RuntimeTest, PluginsSeeExactlyTheCniEnvironment) {
  ::setenv("CORAL_LEAK_CANARY", "1", 1);
  addPlugin(fake("only", resultWithRoute("0.0.0.0/0")));
  auto rt = runtime();
  auto a = args();
  a.cni_args = {{"IgnoreUnknown", "1"}, {"K8S_POD_NAME", "nb"}};
  auto result = rt.add(network({{{"type", "only"}}}), a);
  ::unsetenv("CORAL_LEAK_CANARY");
  ASSERT_TRUE(result.ok()) << result.message();
  auto env = envOf("only", "ADD");
  env.erase("PWD");  // the shell running the fake plugin adds it
  std::set<std::string> keys;
  for (const auto& [k, v] : env) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME",
                                         "CNI_ARGS", "CNI_PATH", "PATH"}));
  EXPECT_EQ(env["CNI_COMMAND"], "ADD");
  EXPECT_EQ(env["CNI_CONTAINERID"], "abc");
  EXPECT_EQ(env["CNI_NETNS"], netns_);
  EXPECT_EQ(env["CNI_IFNAME"], "eth0");
  EXPECT_EQ(env["CNI_ARGS"], "IgnoreUnknown=1;K8S_POD_NAME=nb");
  EXPECT_EQ(env["CNI_PATH"], dir_.sub("empty") + ":" + plugins_);
}

TEST_F(RuntimeTest, RuntimeConfigOnlyForPluginsDeclaringTheCapability) {
  addPlugin(fake("plain", resultWithRoute("0.0.0.0/0")));
  addPlugin(fake("ports", resultWithRoute("0.0.0.0/0")));
  addPlugin(fake("other", resultWithRoute("0.0.0.0/0")));
  auto rt = runtime();
  auto a = args();
  a.port_mappings = {{18888, 8888, "tcp", ""}, {5353, 53, "udp", "127.0.0.1"}};
  auto net = network({{{"type", "plain"}, {"runtimeConfig", {{"portMappings", "stale"}}}},
                      {{"type", "ports"}, {"capabilities", {{"portMappings", true}}}},
                      {{"type", "other"}, {"capabilities", {{"bandwidth", true}}}}});
  ASSERT_TRUE(rt.add(net, a).ok());
  EXPECT_FALSE(stdinOf("plain", "ADD").contains("runtimeConfig"));
  auto ports = stdinOf("ports", "ADD");
  EXPECT_FALSE(ports.contains("capabilities"));
  EXPECT_EQ(ports["runtimeConfig"]["portMappings"],
            nlohmann::json::parse(R"([{"hostPort": 18888, "containerPort": 8888, "protocol": "tcp"},
                                      {"hostPort": 5353, "containerPort": 53, "protocol": "udp", "hostIP": "127.0.0.1"}])"));
  auto other = stdinOf("other", "ADD");
  EXPECT_FALSE(other.contains("capabilities"));
  EXPECT_FALSE(other.contains("runtimeConfig"));
}

TEST_F(RuntimeTest, DelRunsInReverseWithTheCachedResultAndRecordedArgs) {
  addPlugin(fake("first", resultWithRoute("10.1.0.0/16")));
  addPlugin(fake("second", resultWithRoute("10.2.0.0/16")));
  auto rt = runtime();
  auto net = network({{{"type", "first"}}, {{"type", "second"}, {"capabilities", {{"portMappings", true}}}}});
  auto a = args();
  a.port_mappings = {{18888, 8888, "tcp", ""}};
  a.cni_args = {{"K", "V"}};
  ASSERT_TRUE(rt.add(net, a).ok());
  const std::string cache_file = dir_.sub("cache") + "/results/testnet-abc-eth0";
  ASSERT_TRUE(coral::testing::exists(cache_file));
  clearLog();

  RuntimeArgs only_id;
  only_id.container_id = "abc";
  ASSERT_TRUE(rt.del(net, only_id).ok());
  EXPECT_EQ(order(), (std::vector<std::string>{"second DEL", "first DEL"}));
  auto final_result = nlohmann::json::parse(resultWithRoute("10.2.0.0/16"));
  EXPECT_EQ(stdinOf("first", "DEL")["prevResult"], final_result);
  EXPECT_EQ(stdinOf("second", "DEL")["prevResult"], final_result);
  EXPECT_EQ(stdinOf("second", "DEL")["runtimeConfig"]["portMappings"][0]["hostPort"], 18888);
  EXPECT_EQ(envOf("first", "DEL")["CNI_NETNS"], netns_);
  EXPECT_EQ(envOf("first", "DEL")["CNI_ARGS"], "K=V");
  EXPECT_FALSE(coral::testing::exists(cache_file));
  EXPECT_TRUE(rt.cachedAttachments("testnet").empty());

  // Again, with nothing cached: still runs, still succeeds (DEL is idempotent).
  clearLog();
  ASSERT_TRUE(rt.del(net, only_id).ok());
  EXPECT_EQ(order(), (std::vector<std::string>{"second DEL", "first DEL"}));
  EXPECT_FALSE(stdinOf("first", "DEL").contains("prevResult"));
  EXPECT_EQ(envOf("first", "DEL")["CNI_NETNS"], "");

  // Nothing cached, but the caller knows the result: it goes as prevResult.
  clearLog();
  const auto known = nlohmann::json::parse(resultWithRoute("10.3.0.0/16"));
  ASSERT_TRUE(rt.del(net, only_id, &known).ok());
  EXPECT_EQ(stdinOf("first", "DEL")["prevResult"], known);
  EXPECT_EQ(stdinOf("second", "DEL")["prevResult"], known);
}

TEST_F(RuntimeTest, DelNeverEntersANamespaceThatReplacedTheRecordedOne) {
  addPlugin(fake("only", resultWithRoute("0.0.0.0/0")));
  auto rt = runtime();
  auto net = network({{{"type", "only"}}});
  // Created while the first exists, so its inode surely differs.
  coral::testing::writeFile(dir_.sub("other-netns"), "");
  ASSERT_TRUE(rt.add(net, args()).ok());
  // Same path, different file: like /proc/PID/ns/net after the PID was reused.
  std::filesystem::rename(dir_.sub("other-netns"), netns_);
  RuntimeArgs only_id;
  only_id.container_id = "abc";
  ASSERT_TRUE(rt.del(net, only_id).ok());
  EXPECT_EQ(envOf("only", "DEL")["CNI_NETNS"], "");
}

TEST_F(RuntimeTest, FailureMidChainRollsBackEarlierPlugins) {
  addPlugin(fake("first", resultWithRoute("10.1.0.0/16")));
  addPlugin(fake("second", R"({"cniVersion": "1.0.0", "code": 7, "msg": "bad thing", "details": "more detail"})", 1));
  addPlugin(fake("third", resultWithRoute("10.3.0.0/16")));
  auto rt = runtime();
  auto net = network({{{"type", "first"}}, {{"type", "second"}}, {{"type", "third"}}});
  auto result = rt.add(net, args());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.message().substr(0, result.message().find(';')),
            "CNI plugin \"second\" (network \"testnet\") failed ADD for container abc: code 7 "
            "(invalid network config): bad thing (more detail)");
  EXPECT_EQ(order(), (std::vector<std::string>{"first ADD", "second ADD", "second DEL", "first DEL"}));
  EXPECT_EQ(stdinOf("first", "DEL")["prevResult"], nlohmann::json::parse(resultWithRoute("10.1.0.0/16")));
  EXPECT_FALSE(coral::testing::exists(dir_.sub("cache") + "/results/testnet-abc-eth0"));
}

TEST_F(RuntimeTest, UnparsableFailureQuotesStderr) {
  addPlugin(fake("broken", "panic: runtime error", 2).with_add_stderr("goroutine 1 [running]: boom"));
  auto rt = runtime();
  auto result = rt.add(network({{{"type", "broken"}}}), args());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.message().find("CNI plugin \"broken\" (network \"testnet\") failed ADD for container abc: exit status 2"),
            std::string::npos)
      << result.message();
  EXPECT_NE(result.message().find("stderr: \"goroutine 1 [running]: boom\""), std::string::npos) << result.message();
}

TEST_F(RuntimeTest, SuccessWithGarbageOutputIsAnErrorAndRolledBack) {
  addPlugin(fake("garbage", "not json"));
  auto rt = runtime();
  auto result = rt.add(network({{{"type", "garbage"}}}), args());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.message().find("printed no CNI result"), std::string::npos) << result.message();
  EXPECT_EQ(order(), (std::vector<std::string>{"garbage ADD", "garbage DEL"}));
}

TEST_F(RuntimeTest, MissingPluginNamesTheDirsAndThePackage) {
  auto rt = runtime();
  auto missing = rt.findPlugin("ptp");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find(dir_.sub("empty") + ", " + plugins_), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find("containernetworking-plugins"), std::string::npos);
  auto calico = rt.findPlugin("calico-ipam");
  ASSERT_FALSE(calico.ok());
  EXPECT_NE(calico.message().find("calico and calico-ipam"), std::string::npos) << calico.message();

  auto result = rt.add(network({{{"type", "ptp"}}}), args());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.message().find("CNI plugin \"ptp\" not found"), std::string::npos) << result.message();
}

TEST_F(RuntimeTest, FindsPluginsInDirectoryOrder) {
  addPlugin(fake("ptp"));
  coral::testing::writeFile(dir_.sub("empty/ptp"), "#!/bin/sh\n", 0644);  // not executable: skipped
  auto rt = runtime();
  EXPECT_EQ(rt.findPlugin("ptp").value(), plugins_ + "/ptp");
  EXPECT_FALSE(rt.findPlugin("../bin/ptp").ok());
}

TEST_F(RuntimeTest, InvalidIdentifiersAreRejectedBeforeAnyPluginRuns) {
  addPlugin(fake("only", resultWithRoute("0.0.0.0/0")));
  auto rt = runtime();
  auto net = network({{{"type", "only"}}});
  auto bad_id = rt.add(net, args("-abc"));
  ASSERT_FALSE(bad_id.ok());
  EXPECT_NE(bad_id.message().find("container id \"-abc\""), std::string::npos);
  auto a = args();
  a.ifname = "averyveryverylongname";
  auto bad_if = rt.add(net, a);
  ASSERT_FALSE(bad_if.ok());
  EXPECT_NE(bad_if.message().find("longer than 15"), std::string::npos);
  a.ifname = "eth:0";
  EXPECT_FALSE(rt.del(net, a).ok());
  auto bad_port = args();
  bad_port.port_mappings = {{0, 80, "tcp", ""}};
  EXPECT_FALSE(rt.add(net, bad_port).ok());
  EXPECT_FALSE(coral::testing::exists(logs_ + "/order"));
}

TEST_F(RuntimeTest, RefusesTheHostNamespaceAndASecondAdd) {
  addPlugin(fake("only", resultWithRoute("0.0.0.0/0")));
  auto rt = runtime();
  auto net = network({{{"type", "only"}}});
  auto a = args();
  a.netns_path = "/proc/self/ns/net";
  auto host = rt.add(net, a);
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.message().find("own (host) network namespace"), std::string::npos);
  EXPECT_FALSE(coral::testing::exists(logs_ + "/order"));

  ASSERT_TRUE(rt.add(net, args()).ok());
  auto again = rt.add(net, args());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("already attached"), std::string::npos);
}

TEST_F(RuntimeTest, CheckRunsInOrderWithTheCachedResult) {
  addPlugin(fake("first", resultWithRoute("10.1.0.0/16")));
  addPlugin(fake("second", resultWithRoute("10.2.0.0/16")));
  auto rt = runtime();
  auto net = network({{{"type", "first"}}, {{"type", "second"}}});
  auto missing = rt.check(net, args());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no cached ADD result"), std::string::npos);

  ASSERT_TRUE(rt.add(net, args()).ok());
  clearLog();
  RuntimeArgs only_id;
  only_id.container_id = "abc";
  ASSERT_TRUE(rt.check(net, only_id).ok());
  EXPECT_EQ(order(), (std::vector<std::string>{"first CHECK", "second CHECK"}));
  EXPECT_EQ(stdinOf("first", "CHECK")["prevResult"], nlohmann::json::parse(resultWithRoute("10.2.0.0/16")));
  EXPECT_EQ(envOf("first", "CHECK")["CNI_NETNS"], netns_);
}

TEST_F(RuntimeTest, CheckFailureIsReported) {
  addPlugin(fake("first", resultWithRoute("10.1.0.0/16")).with_other_exit(1).with_other_output(R"({"code": 999, "msg": "route missing"})"));
  auto rt = runtime();
  auto net = network({{{"type", "first"}}});
  ASSERT_TRUE(rt.add(net, args()).ok());
  auto checked = rt.check(net, args());
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.message().find("failed CHECK for container abc: code 999 (plugin-specific error): route missing"),
            std::string::npos)
      << checked.message();
}

TEST_F(RuntimeTest, CheckIsSkippedWhenDisabledOrUnsupported) {
  addPlugin(fake("first", resultWithRoute("10.1.0.0/16")));
  auto rt = runtime();
  auto disabled = network({{{"type", "first"}}}, true);
  EXPECT_TRUE(rt.check(disabled, args()).ok());
  auto old = network({{{"type", "first"}}});
  old.cni_version = "0.3.1";
  EXPECT_TRUE(rt.check(old, args()).ok());
  EXPECT_FALSE(coral::testing::exists(logs_ + "/order"));
}

TEST_F(RuntimeTest, FailedDelKeepsTheCacheForARetry) {
  addPlugin(fake("first", resultWithRoute("10.1.0.0/16")).with_other_exit(1).with_other_output(R"({"code": 11, "msg": "busy"})"));
  addPlugin(fake("second", resultWithRoute("10.2.0.0/16")));
  auto rt = runtime();
  auto net = network({{{"type", "first"}}, {{"type", "second"}}});
  ASSERT_TRUE(rt.add(net, args()).ok());
  clearLog();
  auto deleted = rt.del(net, args());
  ASSERT_FALSE(deleted.ok());
  EXPECT_NE(deleted.message().find("code 11 (try again later): busy"), std::string::npos) << deleted.message();
  EXPECT_EQ(order(), (std::vector<std::string>{"second DEL", "first DEL"}));
  EXPECT_EQ(rt.cachedAttachments("testnet"), std::vector<std::string>{"abc"});
}

}  // namespace
}  // namespace coral::cni
