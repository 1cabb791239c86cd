#include "policy/calico_render.h"

#include <gtest/gtest.h>

#include "policy/spec_parser.h"

namespace coral::policy {
namespace {

using nlohmann::json;

std::vector<Policy> parse(const std::string& yaml) {
  auto result = parsePolicies(YAML::Load(yaml)["policies"], "cluster.yaml");
  EXPECT_TRUE(result.ok()) << result.message();
  return result.ok() ? *result : std::vector<Policy>{};
}

const char* kSeed = R"(policies:
  - {name: block-attacker, nodes: all, deny: {from: 10.0.0.5}}
  - {name: block-laptop, nodes: [worker-1], deny: {mac: "02:00:0d:4c:00:03"}}
  - {name: web-only, nodes: [worker-2], allow-only: {tcp: [80]}}
  - {name: no-ping, nodes: all, deny: {icmp: echo-request, from: 10.0.0.7}}
  - {name: notebook-clients, host-port: 8888, allow-only: {from: [127.0.0.0/8, 10.213.0.0/24]}}
  - {name: workers-dns, nodes: {role: worker}, allow-only: {udp: [53, 5000-5010], from: 10.1.0.0/16}}
  - {name: pair, nodes: [worker-1, worker-2], deny: {tcp: [22]}}
)";

json policyJson(const std::string& name, const std::string& kind, int order,
                const std::string& selector, json ingress) {
  return {{"apiVersion", "projectcalico.org/v3"},
          {"kind", "NetworkPolicy"},
          {"metadata",
           {{"name", name}, {"namespace", "coral-demo"}, {"annotations", {{"coral/kind", kind}}}}},
          {"spec",
           {{"order", order},
            {"selector", selector},
            {"types", json::array({"Ingress"})},
            {"ingress", ingress}}}};
}

TEST(RenderCalico, ResourcesPerFactsSheetShape) {
  auto resources = calicoResources("demo", parse(kSeed));
  ASSERT_EQ(resources.size(), 8u);  // 6 expressible + coral-isolate + coral-pass
  const std::string all = "coral.cluster == 'demo'";

  EXPECT_EQ(resources[0],
            policyJson("block-attacker", "deny", 100, all,
                       json::parse(R"([{"action":"Deny","source":{"nets":["10.0.0.5/32"]}}])")));
  EXPECT_EQ(resources[1],
            policyJson("web-only", "allow-only", 200, all + " && coral.node == 'worker-2'",
                       json::parse(R"([{"action":"Allow","protocol":"TCP",
                                                      "destination":{"ports":[80]}}])")));
  EXPECT_EQ(resources[2],
            policyJson("no-ping", "deny", 100, all,
                       json::parse(R"([{"action":"Deny","protocol":"ICMP","icmp":{"type":8},
                                        "source":{"nets":["10.0.0.7/32"]}}])")));
  EXPECT_EQ(
      resources[3],
      policyJson("notebook-clients", "host-port", 100, all + " && coral.role == 'notebook'",
                 json::parse(R"([{"action":"Deny","protocol":"TCP","destination":{"ports":[8888]},
                                        "source":{"notNets":["127.0.0.0/8","10.213.0.0/24"]}}])")));
  EXPECT_EQ(resources[4],
            policyJson("workers-dns", "allow-only", 200, all + " && coral.role == 'worker'",
                       json::parse(R"([{"action":"Allow","protocol":"UDP",
                                        "destination":{"ports":[53,"5000:5010"]},
                                        "source":{"nets":["10.1.0.0/16"]}}])")));
  EXPECT_EQ(resources[5].at("spec").at("selector"),
            all + " && coral.node in { 'worker-1', 'worker-2' }");
  EXPECT_EQ(resources[6], policyJson("coral-isolate", "support", 300,
                                     "(" + all + " && coral.node == 'worker-2') || (" + all +
                                         " && coral.role == 'worker')",
                                     json::parse(R"([{"action":"Deny"}])")));
  EXPECT_EQ(resources[7],
            policyJson("coral-pass", "support", 1000, all, json::parse(R"([{"action":"Pass"}])")));
}

TEST(RenderCalico, MacPoliciesAreNodeLocalAndYamlIsComplete) {
  auto rendering = renderCalico("demo", parse(kSeed));
  ASSERT_EQ(rendering.where.size(), 7u);
  EXPECT_EQ(rendering.where[0], (std::pair<std::string, std::string>{"block-attacker", "calico"}));
  EXPECT_EQ(rendering.where[1],
            (std::pair<std::string, std::string>{"block-laptop", "node-local iptables"}));
  EXPECT_EQ(rendering.where[4],
            (std::pair<std::string, std::string>{"notebook-clients", "calico"}));
  EXPECT_EQ(rendering.yaml.find("block-laptop"), std::string::npos);
  EXPECT_EQ(rendering.yaml.find("mac"), std::string::npos);

  // The YAML stream holds the same resources as the JSON, one per document.
  auto documents = YAML::LoadAll(rendering.yaml);
  auto resources = calicoResources("demo", parse(kSeed));
  ASSERT_EQ(documents.size(), resources.size());
  for (size_t i = 0; i < documents.size(); ++i) {
    EXPECT_EQ(documents[i]["apiVersion"].as<std::string>(), "projectcalico.org/v3");
    EXPECT_EQ(documents[i]["kind"].as<std::string>(), "NetworkPolicy");
    EXPECT_EQ(documents[i]["metadata"]["name"].as<std::string>(), resources[i]["metadata"]["name"]);
    EXPECT_EQ(documents[i]["metadata"]["namespace"].as<std::string>(), "coral-demo");
    EXPECT_EQ(documents[i]["spec"]["selector"].as<std::string>(), resources[i]["spec"]["selector"]);
    EXPECT_EQ(documents[i]["spec"]["order"].as<int>(), resources[i]["spec"]["order"].get<int>());
    EXPECT_EQ(documents[i]["spec"]["types"][0].as<std::string>(), "Ingress");
    EXPECT_EQ(documents[i]["spec"]["ingress"].size(), resources[i]["spec"]["ingress"].size());
  }
  EXPECT_EQ(documents[2]["spec"]["ingress"][0]["icmp"]["type"].as<int>(), 8);
}

TEST(RenderCalico, NothingExpressibleRendersNothing) {
  auto rendering = renderCalico("demo", parse(R"(policies:
  - {name: block-laptop, nodes: [worker-1], deny: {mac: "02:00:0d:4c:00:03"}}
)"));
  EXPECT_EQ(rendering.yaml, "");
  ASSERT_EQ(rendering.where.size(), 1u);
  EXPECT_EQ(rendering.where[0].second, "node-local iptables");
}

}  // namespace
}  // namespace coral::policy
