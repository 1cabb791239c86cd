// Firewall policies end to end: `coral up` with policies in the spec, then
// `coral policy apply/list/rm` changing the host's iptables live, proven with
// real traffic between the cluster's own containers (ping, TCP to sshd and to
// a Python web server, the notebook's published port through DNAT), and
// `coral down` leaving no chain or rule behind. One cluster, tests in order.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "../policy/local_etcd.h"
#include "cluster_harness.h"
#include "docker/docker_client.h"
#include "os/atomic_file.h"
#include "os/subprocess.h"

namespace coral::testing {
namespace {

const char* kGateway = "10.213.80.1";
const int kNotebookPort = 18881;
const char* kTestMac = "02:00:0d:4c:00:03";

std::string specText(const std::string& policies) {
  return fmt::format(
      "cluster: fw\nworkers: 3\nnetwork: {{subnet: 10.213.80.0/24}}\nnotebook: {{port: {}}}\n{}",
      kNotebookPort, policies);
}

// The cluster's rules in iptables-save (lines carrying its comment or chains).
std::vector<std::string> coralRules() {
  std::vector<std::string> lines;
  auto saved = os::runChecked({"iptables-save"});
  if (!saved) return {"iptables-save failed: " + saved.message()};
  size_t start = 0;
  const std::string& text = *saved;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.find("coral:fw:") != std::string::npos || line.find("CORAL-fw-") != std::string::npos) {
      lines.push_back(line);
    }
    start = end + 1;
  }
  return lines;
}

class Policies : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(makeTempDir("coral-policy"));
    state_dir_ = new std::string(*dir_ + "/state");
    before_rules_ = new std::vector<std::string>(coralRules());
    // A spec policy against a documentation address: harmless, but enforced.
    auto spec = specText(
        "policies:\n  - name: spec-block\n    nodes: all\n    deny: {from: 192.0.2.7}\n");
    EXPECT_TRUE(writeText(*dir_ + "/spec.yaml", spec).ok());
    up_ = new os::ProcessOutput(coral({"up", "-f", *dir_ + "/spec.yaml", "--state-dir", *state_dir_}));
  }
  static void TearDownTestSuite() {
    if (std::filesystem::exists(*state_dir_)) coral({"down", "--state-dir", *state_dir_});
    std::filesystem::remove_all(*dir_);
  }

  void SetUp() override { ASSERT_EQ(up_->exit_code, 0) << up_->out << up_->err; }

  struct Node {
    std::string name, ip, instance;
  };
  static std::map<std::string, Node> nodes() {
    std::map<std::string, Node> result;
    auto s = clusterStatus(*state_dir_);
    if (!s) return result;
    for (const auto& n : (*s)["nodes"]) {
      result[n["name"]] = Node{n["name"], n["ip"], n["instance"]};
    }
    return result;
  }
  static int exec(const Node& from, const std::vector<std::string>& argv, int seconds = 10) {
    docker::DockerClient docker;
    auto run = docker.exec(from.instance, argv, std::chrono::seconds(seconds));
    if (!run) return -1;
    return run->exit_code;
  }
  static bool ping(const Node& from, const std::string& ip) {
    return exec(from, {"ping", "-c", "1", "-W", "1", ip}) == 0;
  }
  static bool tcp(const Node& from, const std::string& ip, int port) {
    return exec(from, {"timeout", "3", "bash", "-c", fmt::format("</dev/tcp/{}/{}", ip, port)}) == 0;
  }
  static bool http(const Node& from, const std::string& ip) {
    return exec(from, {"curl", "-sf", "-m", "3", "-o", "/dev/null", fmt::format("http://{}/", ip)}) == 0;
  }
  static os::ProcessOutput apply(const std::string& yaml) {
    static int counter = 0;
    std::string path = fmt::format("{}/policy-{}.yaml", *dir_, ++counter);
    EXPECT_TRUE(writeText(path, yaml).ok());
    return coral({"policy", "apply", "-f", path, "--state-dir", *state_dir_}, 60);
  }
  static os::ProcessOutput remove(const std::string& name) {
    return coral({"policy", "rm", name, "--state-dir", *state_dir_}, 60);
  }
  static os::ProcessOutput list() { return coral({"policy", "list", "--state-dir", *state_dir_}, 60); }
  static int pidOf(const Node& node) {
    docker::DockerClient docker;
    auto info = docker.inspectContainer(node.instance);
    return info ? info->state.pid : 0;
  }
  static Status setMac(const Node& node, const std::string& mac) {
    auto done = os::runChecked({"nsenter", "-t", std::to_string(pidOf(node)), "-n", "ip", "link", "set",
                                "eth0", "address", mac});
    if (!done) return done.error();
    return okStatus();
  }
  static std::string macOf(const Node& node) {
    auto shown = os::runChecked({"nsenter", "-t", std::to_string(pidOf(node)), "-n", "cat",
                                 "/sys/class/net/eth0/address"});
    std::string mac = shown ? *shown : "";
    while (!mac.empty() && mac.back() == '\n') mac.pop_back();
    return mac;
  }

  static std::string* dir_;
  static std::string* state_dir_;
  static std::vector<std::string>* before_rules_;
  static os::ProcessOutput* up_;
};

std::string* Policies::dir_ = nullptr;
std::string* Policies::state_dir_ = nullptr;
std::vector<std::string>* Policies::before_rules_ = nullptr;
os::ProcessOutput* Policies::up_ = nullptr;

TEST_F(Policies, SpecPoliciesAreListedAndEnforcedWithIptables) {
  auto listed = list();
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("spec-block"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("iptables"), std::string::npos) << listed.out;
  auto rules = coralRules();
  bool found = std::any_of(rules.begin(), rules.end(), [](const std::string& r) {
    return r.find("192.0.2.7") != std::string::npos;
  });
  EXPECT_TRUE(found) << ::testing::PrintToString(rules);
  auto n = nodes();
  // Every node got its chain and the cluster still talks.
  EXPECT_TRUE(ping(n["worker-1"], n["worker-2"].ip));
}

TEST_F(Policies, DenyFromAnIpStopsThatSourceOnlyUntilRemoved) {
  auto n = nodes();
  ASSERT_TRUE(ping(n["worker-3"], n["worker-1"].ip));
  auto applied = apply(fmt::format("- name: block-attacker\n  nodes: all\n  deny: {{from: {}}}\n",
                                   n["worker-3"].ip));
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_FALSE(ping(n["worker-3"], n["worker-1"].ip));
  EXPECT_FALSE(tcp(n["worker-3"], n["worker-1"].ip, 22));
  EXPECT_TRUE(ping(n["worker-2"], n["worker-1"].ip));
  EXPECT_TRUE(tcp(n["worker-2"], n["worker-1"].ip, 22));
  auto removed = remove("block-attacker");
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_TRUE(ping(n["worker-3"], n["worker-1"].ip));
  EXPECT_TRUE(tcp(n["worker-3"], n["worker-1"].ip, 22));
}

TEST_F(Policies, NoPingFromAnIpDropsOnlyItsEchoRequests) {
  auto n = nodes();
  auto applied = apply(fmt::format(
      "[{{\"name\": \"no-ping\", \"nodes\": \"all\", \"deny\": {{\"icmp\": \"echo-request\", "
      "\"from\": \"{}\"}}}}]",
      n["worker-1"].ip));  // JSON is accepted as well
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_FALSE(ping(n["worker-1"], n["worker-2"].ip));
  EXPECT_TRUE(tcp(n["worker-1"], n["worker-2"].ip, 22));  // other protocols still flow
  EXPECT_TRUE(ping(n["worker-3"], n["worker-2"].ip));     // other sources still ping
  ASSERT_EQ(remove("no-ping").exit_code, 0);
  EXPECT_TRUE(ping(n["worker-1"], n["worker-2"].ip));
}

TEST_F(Policies, AllowOnlyHttpDropsSshAndPingButKeepsOutboundTraffic) {
  auto n = nodes();
  ASSERT_EQ(exec(n["worker-2"], {"sh", "-c", "nohup python3 -m http.server 80 >/dev/null 2>&1 &"}), 0);
  bool serving = false;
  for (int i = 0; i < 30 && !serving; ++i) {
    serving = http(n["worker-1"], n["worker-2"].ip);
    if (!serving) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_TRUE(serving);
  auto applied = apply("- name: web-only\n  nodes: [worker-2]\n  allow-only: {tcp: [80]}\n");
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_TRUE(http(n["worker-1"], n["worker-2"].ip));
  EXPECT_TRUE(http(n["worker-3"], n["worker-2"].ip));
  EXPECT_FALSE(tcp(n["worker-1"], n["worker-2"].ip, 22));
  EXPECT_FALSE(ping(n["worker-1"], n["worker-2"].ip));
  // worker-2's own connections and their replies still flow.
  EXPECT_TRUE(ping(n["worker-2"], n["worker-1"].ip));
  EXPECT_TRUE(tcp(n["worker-2"], n["worker-1"].ip, 22));
  // Other nodes are not affected.
  EXPECT_TRUE(tcp(n["worker-1"], n["worker-3"].ip, 22));
  ASSERT_EQ(remove("web-only").exit_code, 0);
  EXPECT_TRUE(tcp(n["worker-1"], n["worker-2"].ip, 22));
  EXPECT_TRUE(ping(n["worker-1"], n["worker-2"].ip));
}

TEST_F(Policies, MacDenyStopsTheNodeWhoseMacMatches) {
  auto n = nodes();
  const std::string original = macOf(n["worker-3"]);
  ASSERT_FALSE(original.empty());
  ASSERT_NE(original, kTestMac);
  auto applied = apply(fmt::format(
      "- name: block-laptop\n  nodes: [worker-2]\n  deny: {{mac: \"{}\"}}\n", kTestMac));
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_TRUE(ping(n["worker-3"], n["worker-2"].ip));  // its MAC does not match yet
  ASSERT_TRUE(setMac(n["worker-3"], kTestMac).ok());
  EXPECT_FALSE(ping(n["worker-3"], n["worker-2"].ip));
  EXPECT_FALSE(tcp(n["worker-3"], n["worker-2"].ip, 22));
  EXPECT_TRUE(ping(n["worker-1"], n["worker-2"].ip));
  ASSERT_TRUE(setMac(n["worker-3"], original).ok());
  EXPECT_TRUE(ping(n["worker-3"], n["worker-2"].ip));
  ASSERT_TRUE(setMac(n["worker-3"], kTestMac).ok());
  ASSERT_EQ(remove("block-laptop").exit_code, 0);
  EXPECT_TRUE(ping(n["worker-3"], n["worker-2"].ip));  // removal restores traffic
  ASSERT_TRUE(setMac(n["worker-3"], original).ok());
  EXPECT_TRUE(ping(n["worker-3"], n["worker-2"].ip));
}

TEST_F(Policies, HostPortRuleBlocksOneClientOfThePublishedPort) {
  auto n = nodes();
  // Nodes reach the notebook's published port on the host (the gateway
  // address) through the portmap DNAT.
  ASSERT_TRUE(tcp(n["worker-1"], kGateway, kNotebookPort));
  ASSERT_TRUE(tcp(n["worker-2"], kGateway, kNotebookPort));
  auto applied = apply(fmt::format("- name: notebook-guard\n  host-port: {}\n  deny: {{from: {}}}\n",
                                   kNotebookPort, n["worker-1"].ip));
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_FALSE(tcp(n["worker-1"], kGateway, kNotebookPort));
  EXPECT_TRUE(tcp(n["worker-2"], kGateway, kNotebookPort));
  ASSERT_EQ(remove("notebook-guard").exit_code, 0);
  EXPECT_TRUE(tcp(n["worker-1"], kGateway, kNotebookPort));
}

TEST_F(Policies, PoliciesFollowARelaunchedNode) {
  auto n = nodes();
  auto applied = apply(fmt::format("- name: follow\n  nodes: [worker-1]\n  deny: {{from: {}}}\n",
                                   n["worker-3"].ip));
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  ASSERT_FALSE(ping(n["worker-3"], n["worker-1"].ip));
  auto restarted = coral({"restart", "worker-1", "--state-dir", *state_dir_}, 60);
  ASSERT_EQ(restarted.exit_code, 0) << restarted.err;
  // Wait for the new container (new veth, maybe a new address) to run.
  Node fresh;
  for (int i = 0; i < 120; ++i) {
    auto s = clusterStatus(*state_dir_);
    if (s) {
      for (const auto& node : (*s)["nodes"]) {
        if (node["name"] == "worker-1" && node["state"] == "running" &&
            node["instance"] != n["worker-1"].instance) {
          fresh = Node{node["name"], node["ip"], node["instance"]};
        }
      }
    }
    if (!fresh.instance.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_FALSE(fresh.instance.empty()) << "worker-1 did not come back";
  EXPECT_TRUE(ping(n["worker-2"], fresh.ip));
  EXPECT_FALSE(ping(n["worker-3"], fresh.ip));
  ASSERT_EQ(remove("follow").exit_code, 0);
  EXPECT_TRUE(ping(n["worker-3"], fresh.ip));
}

TEST_F(Policies, BadInputNamesPolicyAndFieldAndAppliesNothing) {
  const auto rules_before = coralRules();
  const auto list_before = list().out;
  struct Case {
    std::string yaml, expect_field;
  };
  std::vector<Case> cases = {
      {"- name: ok-one\n  nodes: all\n  deny: {from: 192.0.2.9}\n"
       "- name: bad-cidr\n  nodes: all\n  deny: {from: 10.0.0.0/33}\n",
       "from"},
      {"- name: bad-mac\n  nodes: all\n  deny: {mac: \"02:00:zz:00:00:01\"}\n", "mac"},
      {"- name: bad-port\n  nodes: all\n  allow-only: {tcp: [70000]}\n", "tcp"},
      {"- name: bad-icmp\n  nodes: all\n  deny: {icmp: echo-sometimes}\n", "icmp"},
      {"- name: bad-proto\n  nodes: all\n  deny: {sctp: [1]}\n", "sctp"},
      {"- name: bad-node\n  nodes: [worker-9]\n  deny: {from: 192.0.2.9}\n", "worker-9"},
  };
  for (const auto& c : cases) {
    auto applied = apply(c.yaml);
    EXPECT_NE(applied.exit_code, 0) << c.yaml;
    const std::string name = c.yaml.substr(c.yaml.rfind("name: ") + 6,
                                           c.yaml.find('\n', c.yaml.rfind("name: ")) - c.yaml.rfind("name: ") - 6);
    EXPECT_NE(applied.err.find("policy \"" + name + "\""), std::string::npos) << applied.err;
    EXPECT_NE(applied.err.find(c.expect_field), std::string::npos) << applied.err;
    std::cout << "  rejected: " << applied.err;
  }
  EXPECT_EQ(coralRules(), rules_before);
  EXPECT_EQ(list().out, list_before);
  // The API itself: 400 with {"error": {"code", "message"}} for bad input, 404 for unknown names.
  auto token = os::readFile(*state_dir_ + "/api-token");
  ASSERT_TRUE(token.ok());
  std::string bearer = *token;
  while (!bearer.empty() && bearer.back() == '\n') bearer.pop_back();
  auto api = [&](const std::string& method, const std::string& path, const std::string& body) {
    auto out = os::runProcess({"curl", "-s", "--unix-socket", *state_dir_ + "/api.sock", "-X", method,
                               "-H", "Authorization: Bearer " + bearer, "--data-binary", body, "-w",
                               "\n%{http_code}", "http://coral" + path});
    return out.ok() ? out->out : std::string("curl failed");
  };
  auto put = api("PUT", "/v1/policies", "[{\"name\": \"j\", \"nodes\": \"all\", \"deny\": {\"from\": \"300.1.1.1\"}}]");
  EXPECT_EQ(put.substr(put.rfind('\n') + 1), "400") << put;
  auto error = nlohmann::json::parse(put.substr(0, put.rfind('\n')), nullptr, false);
  ASSERT_TRUE(error.is_object()) << put;
  EXPECT_EQ(error["error"]["code"], "invalid_policy");
  EXPECT_NE(error["error"]["message"].get<std::string>().find("policy \"j\": deny.from"), std::string::npos) << put;
  auto del = api("DELETE", "/v1/policies/nope", "");
  EXPECT_EQ(del.substr(del.rfind('\n') + 1), "404") << del;
  auto get = api("GET", "/v1/policies", "");
  EXPECT_EQ(get.substr(get.rfind('\n') + 1), "200") << get;
  EXPECT_EQ(coralRules(), rules_before);
  // The API answers 404 for an unknown policy.
  auto missing = remove("no-such-policy");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("no-such-policy"), std::string::npos) << missing.err;
}

TEST_F(Policies, CalicoExportRendersTheCurrentPolicies) {
  auto applied = apply("- name: export-me\n  nodes: {role: worker}\n  deny: {tcp: [23]}\n"
                       "- name: mac-only\n  nodes: all\n  deny: {mac: \"02:00:0d:4c:00:09\"}\n");
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  auto exported = coral({"policy", "export", "--calico", "--state-dir", *state_dir_}, 60);
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.out.find("kind: NetworkPolicy"), std::string::npos) << exported.out;
  EXPECT_NE(exported.out.find("export-me"), std::string::npos) << exported.out;
  EXPECT_NE(exported.out.find("# mac-only: node-local iptables"), std::string::npos) << exported.out;
  EXPECT_EQ(remove("export-me").exit_code, 0);
  EXPECT_EQ(remove("mac-only").exit_code, 0);
}

// `export --calico-etcd` writes the Calico resources into a real etcd v3
// (Debian's etcd-server) on loopback, where Felix would read them.
TEST_F(Policies, CalicoExportWritesToEtcd) {
  auto etcd = policy::testing::LocalEtcd::start();
  ASSERT_TRUE(etcd) << etcd.message();
  const std::string client = (*etcd)->url();

  auto applied = apply("- name: etcd-deny\n  nodes: [worker-1]\n  deny: {from: 192.0.2.5}\n"
                       "- name: etcd-mac\n  nodes: all\n  deny: {mac: \"02:00:0d:4c:00:09\"}\n");
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  auto exported = coral({"policy", "export", "--calico", "--calico-etcd", client, "--state-dir", *state_dir_}, 60);
  EXPECT_EQ(exported.exit_code, 0) << exported.out << exported.err;
  EXPECT_NE(exported.out.find("etcd-deny: calico"), std::string::npos) << exported.out;
  EXPECT_NE(exported.out.find("etcd-mac: node-local iptables"), std::string::npos) << exported.out;
  // Read the keys back through etcd's JSON gateway.
  const std::string script = fmt::format(
      "import base64, json, urllib.request\n"
      "p = b'/calico/resources/v3/projectcalico.org/networkpolicies/coral-fw/'\n"
      "body = json.dumps({{'key': base64.b64encode(p).decode(), 'range_end': base64.b64encode(p[:-1] + b'0').decode()}}).encode()\n"
      "r = json.load(urllib.request.urlopen('{}/v3/kv/range', body))\n"
      "for kv in r.get('kvs', []): print(base64.b64decode(kv['key']).decode().rsplit('/', 1)[1])\n",
      client);
  auto keys = os::runProcess({"python3", "-c", script});
  ASSERT_TRUE(keys.ok());
  EXPECT_NE(keys->out.find("etcd-deny"), std::string::npos) << keys->out << keys->err;
  EXPECT_EQ(keys->out.find("etcd-mac"), std::string::npos) << keys->out;
  EXPECT_EQ(remove("etcd-deny").exit_code, 0);
  EXPECT_EQ(remove("etcd-mac").exit_code, 0);
}

TEST_F(Policies, UpWithAChangedSpecReplacesTheSpecPolicies) {
  auto spec = specText("policies:\n  - name: spec-other\n    nodes: [worker-1]\n    deny: {from: 192.0.2.8}\n");
  ASSERT_TRUE(writeText(*dir_ + "/spec2.yaml", spec).ok());
  auto up = coral({"up", "-f", *dir_ + "/spec2.yaml", "--state-dir", *state_dir_});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto listed = list();
  // A spec whose policies are wrong is refused as a whole; nothing changes.
  auto bad = specText("policies:\n  - name: spec-bad\n    nodes: [worker-7]\n    deny: {from: 192.0.2.6}\n");
  ASSERT_TRUE(writeText(*dir_ + "/spec3.yaml", bad).ok());
  auto refused = coral({"up", "-f", *dir_ + "/spec3.yaml", "--state-dir", *state_dir_}, 60);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("policy \"spec-bad\""), std::string::npos) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("worker-7"), std::string::npos) << refused.err;
  EXPECT_EQ(list().out, listed.out);
  EXPECT_EQ(listed.out.find("spec-block"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("spec-other"), std::string::npos) << listed.out;
  auto rules = coralRules();
  EXPECT_TRUE(std::none_of(rules.begin(), rules.end(),
                           [](const std::string& r) { return r.find("192.0.2.7") != std::string::npos; }));
  EXPECT_TRUE(std::any_of(rules.begin(), rules.end(),
                          [](const std::string& r) { return r.find("192.0.2.8") != std::string::npos; }));
}

TEST_F(Policies, ARestartedDaemonKeepsThePolicies) {
  auto n = nodes();
  auto applied = apply(fmt::format("- name: survivor\n  nodes: [worker-1]\n  deny: {{from: {}}}\n",
                                   n["worker-3"].ip));
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  // `coral scale` rewrites the spec file; its policies must survive that.
  auto scaled = coral({"scale", "3", "--state-dir", *state_dir_}, 60);
  ASSERT_EQ(scaled.exit_code, 0) << scaled.err;
  auto saved_spec = os::readFile(*state_dir_ + "/spec.yaml");
  ASSERT_TRUE(saved_spec.ok());
  EXPECT_NE(saved_spec->find("spec-other"), std::string::npos) << *saved_spec;
  EXPECT_EQ(saved_spec->find("survivor"), std::string::npos) << *saved_spec;  // API policies live elsewhere
  int pid = 0;
  {
    std::ifstream lock(*state_dir_ + "/daemon.lock");
    lock >> pid;
  }
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto again = coral({"up", "-f", *dir_ + "/spec2.yaml", "--state-dir", *state_dir_});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  auto listed = list();
  EXPECT_NE(listed.out.find("survivor"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("spec-other"), std::string::npos) << listed.out;
  EXPECT_FALSE(ping(n["worker-3"], n["worker-1"].ip));
  EXPECT_TRUE(ping(n["worker-2"], n["worker-1"].ip));
  ASSERT_EQ(remove("survivor").exit_code, 0);
  EXPECT_TRUE(ping(n["worker-3"], n["worker-1"].ip));
}

TEST_F(Policies, DownLeavesNoChainOrRuleBehind) {
  auto down = coral({"down", "--state-dir", *state_dir_});
  ASSERT_EQ(down.exit_code, 0) << down.out << down.err;
  EXPECT_EQ(coralRules(), *before_rules_);
  EXPECT_TRUE(coralRules().empty());
}

}  // namespace
}  // namespace coral::testing
