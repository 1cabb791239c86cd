#include "network/port_holder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

namespace coral::network {
namespace {

const char* kProcNetTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:22B8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n"
    "   1: 0100007F:22B8 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0 20 4 30 10 -1\n"
    "   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0 100 0 0 10 0\n";

TEST(PortHolder, FindsListeningInodesOnly) {
  EXPECT_EQ(listeningSocketInodes(kProcNetTcp, 8888), std::vector<unsigned long>{4242});
  EXPECT_EQ(listeningSocketInodes(kProcNetTcp, 22), std::vector<unsigned long>{99});
  EXPECT_TRUE(listeningSocketInodes(kProcNetTcp, 80).empty());
}

TEST(PortHolder, FindsDnatRulesForThePort) {
  const char* nat =
      "-P PREROUTING ACCEPT\n"
      "-N DOCKER\n"
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8888 -j DNAT --to-destination 172.17.0.2:8888\n"
      "-A CNI-HOSTPORT-DNAT -p tcp -m multiport --dports 18888 -j CNI-DN-x\n"
      "-A CNI-DN-x -p tcp -m tcp --dport 18888 -j DNAT --to-destination 10.213.0.2:8888\n"
      "-A OTHER -p tcp -m multiport --dports 8000:8999,9000 -j DNAT --to-destination 10.0.0.1\n"
      "-A UDP -p udp -m udp --dport 8888 -j DNAT --to-destination 10.0.0.2\n";
  auto rules = dnatRulesForPort(nat, 8888);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_NE(rules[0].find("172.17.0.2:8888"), std::string::npos);
  EXPECT_NE(rules[1].find("8000:8999"), std::string::npos);
  auto mapped = dnatRulesForPort(nat, 18888);
  ASSERT_EQ(mapped.size(), 1u);
  EXPECT_NE(mapped[0].find("10.213.0.2:8888"), std::string::npos);
}

TEST(PortHolder, NamesThisProcessForItsOwnListeningSocket) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // any free port
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  EXPECT_FALSE(describePortHolder(port).has_value()) << "bound but not listening yet";
  ASSERT_EQ(::listen(fd, 1), 0);
  auto holder = describePortHolder(port);
  ::close(fd);
  ASSERT_TRUE(holder.has_value());
  std::string comm;
  std::getline(std::ifstream("/proc/self/comm"), comm);
  EXPECT_NE(holder->find("pid " + std::to_string(::getpid()) + " (" + comm + ")"), std::string::npos) << *holder;
}

}  // namespace
}  // namespace coral::network
