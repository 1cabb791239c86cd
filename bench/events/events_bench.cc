// Throughput of the scheduler's event path, per core: RecordIO de-framing,
// Event decoding and a minimal handling step (task tracking, ACK decision,
// offer resource bookkeeping) for OFFERS and UPDATE events, in protobuf and
// JSON. Each figure is compared with a reference measured in the same
// process on the same events: a bare ParseFromString / JsonStringToMessage
// without RecordIO or handling. Also prints peak RSS while tracking 1,000
// tasks. Targets: >= 100,000 events/s (protobuf), >= 30,000 (JSON), <= 30 MB.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "mesos/calls.h"
#include "mesos/codec.h"
#include "mesos/recordio.h"
#include "mesos/task_info.h"

using namespace coral::mesos;
using v1::scheduler::Event;

namespace {

constexpr int kTasks = 1000;

// Shaped like the recorded Mesos 1.12 OFFERS event (one offer, four
// resources, url, allocation_info).
Event makeOffers(int n) {
  Event event;
  event.set_type(Event::OFFERS);
  auto* offer = event.mutable_offers()->add_offers();
  offer->mutable_id()->set_value("d58b287b-eb5b-494a-a819-a030387d8d04-O" + std::to_string(n));
  offer->mutable_framework_id()->set_value("d58b287b-eb5b-494a-a819-a030387d8d04-0000");
  offer->mutable_agent_id()->set_value("d58b287b-eb5b-494a-a819-a030387d8d04-S" +
                                       std::to_string(n % 50));
  offer->set_hostname("10.239.255." + std::to_string(n % 50));
  auto* url = offer->mutable_url();
  url->set_scheme("http");
  url->mutable_address()->set_hostname(offer->hostname());
  url->mutable_address()->set_ip(offer->hostname());
  url->mutable_address()->set_port(5051);
  url->set_path("/slave(1)");
  offer->mutable_allocation_info()->set_role("*");
  auto add = [&](const char* name, double value) {
    auto* r = offer->add_resources();
    r->set_name(name);
    r->set_type(v1::Value::SCALAR);
    r->mutable_scalar()->set_value(value);
    r->set_role("*");
    r->mutable_allocation_info()->set_role("*");
  };
  auto* ports = offer->add_resources();
  ports->set_name("ports");
  ports->set_type(v1::Value::RANGES);
  for (auto [b, e] : {std::pair<int, int>{8888, 8888}, {31000, 32000}}) {
    auto* range = ports->mutable_ranges()->add_range();
    range->set_begin(b);
    range->set_end(e);
  }
  ports->set_role("*");
  ports->mutable_allocation_info()->set_role("*");
  add("cpus", 8);
  add("mem", 16384);
  add("disk", 20480);
  return event;
}

// Shaped like the recorded TASK_RUNNING of the Mesos-containerizer task.
Event makeUpdate(int n) {
  Event event;
  event.set_type(Event::UPDATE);
  auto* status = event.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("node-" + std::to_string(n % kTasks) + ".0");
  status->set_state(n % 2 ? v1::TASK_RUNNING : v1::TASK_STARTING);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  status->mutable_agent_id()->set_value("d58b287b-eb5b-494a-a819-a030387d8d04-S" +
                                        std::to_string(n % 50));
  status->mutable_executor_id()->set_value(status->task_id().value());
  status->set_timestamp(1796315799.4524029 + n);
  status->set_uuid(std::string(16, static_cast<char>('a' + n % 26)));
  auto* container = status->mutable_container_status();
  container->mutable_container_id()->set_value("ddb8d074-5d48-4cfa-9716-dae2c21d0b8c");
  auto* network = container->add_network_infos();
  network->set_name("calico");
  auto* ip = network->add_ip_addresses();
  ip->set_protocol(v1::NetworkInfo::IPv4);
  ip->set_ip_address("10.237." + std::to_string((n / 250) % 250) + "." +
                     std::to_string(n % 250 + 2));
  for (auto [k, v] : {std::pair<const char*, const char*>{"cluster", "lab"},
                      {"node", "node"},
                      {"role", "worker"}}) {
    auto* label = network->mutable_labels()->add_labels();
    label->set_key(k);
    label->set_value(v);
  }
  auto* mapping = network->add_port_mappings();
  mapping->set_host_port(31001);
  mapping->set_container_port(80);
  mapping->set_protocol("tcp");
  container->set_executor_pid(18665);
  return event;
}

// What a scheduler keeps per task: state and container IP.
struct TaskTracker {
  struct Entry {
    v1::TaskState state;
    std::string ip;
  };
  std::unordered_map<std::string, Entry> tasks;
  std::size_t acks = 0;
  double offeredCpus = 0;

  void handle(const Event& event) {
    if (event.type() == Event::UPDATE) {
      const auto& status = event.update().status();
      auto& entry = tasks[status.task_id().value()];
      entry.state = status.state();
      auto ips = containerIps(status, "calico");
      if (!ips.empty()) entry.ip = std::move(ips.front());
      if (calls::acknowledge(status)) ++acks;
    } else if (event.type() == Event::OFFERS) {
      // What a scheduler does with most offers: size them up, then decline.
      for (const auto& offer : event.offers().offers()) {
        for (const auto& r : offer.resources()) {
          if (r.name() == "cpus" && r.allocation_info().role() == offer.allocation_info().role()) {
            offeredCpus += r.scalar().value();
          }
        }
      }
    }
  }
};

double peakRssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct Figures {
  double pipeline;   // events/s through RecordIO + decode + handling
  double reference;  // events/s of a bare parse of the same records
};

// Best of several alternating rounds: on a shared 2-core machine the
// slowest rounds measure the neighbours, not this code.
Figures measure(const std::vector<std::string>& records, ContentType type, TaskTracker& tracker,
                double minSeconds) {
  std::string stream;
  for (const auto& r : records) stream += encodeRecord(r);
  constexpr std::size_t kChunk = 16 * 1024;  // like socket reads
  constexpr int kRounds = 5;
  Event event;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  Figures best{0, 0};
  for (int round = 0; round < kRounds; ++round) {
    std::size_t events = 0;
    const auto start = std::chrono::steady_clock::now();
    do {
      RecordIoDecoder decoder;
      for (std::size_t pos = 0; pos < stream.size(); pos += kChunk) {
        auto status = decoder.feed(std::string_view(stream).substr(pos, kChunk), [&](std::string_view record) {
          if (!decodeEvent(record, type, &event)) std::abort();
          tracker.handle(event);
          ++events;
        });
        if (!status) std::abort();
      }
    } while (seconds(std::chrono::steady_clock::now() - start) < minSeconds / kRounds);
    best.pipeline = std::max(best.pipeline, events / seconds(std::chrono::steady_clock::now() - start));

    std::size_t parsed = 0;
    const auto refStart = std::chrono::steady_clock::now();
    do {
      for (const auto& r : records) {
        const bool ok = type == ContentType::kProtobuf
                            ? event.ParseFromString(r)
                            : google::protobuf::util::JsonStringToMessage(r, &event, options).ok();
        if (!ok) std::abort();
        ++parsed;
      }
    } while (seconds(std::chrono::steady_clock::now() - refStart) < minSeconds / kRounds);
    best.reference = std::max(best.reference, parsed / seconds(std::chrono::steady_clock::now() - refStart));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const double minSeconds = argc > 1 ? std::stod(argv[1]) : 1.0;
  std::printf("events_bench: single thread (= per core), best of 5 rounds, %.1f s per figure\n", minSeconds);
  const double baseRss = peakRssMb();
  // 2,000 events per stream: UPDATEs cycle over 1,000 task IDs.
  constexpr int kEvents = 2000;
  TaskTracker tracker;
  bool allMet = true;
  for (const ContentType type : {ContentType::kProtobuf, ContentType::kJson}) {
    const double target = type == ContentType::kProtobuf ? 100000 : 30000;
    for (const bool offers : {true, false}) {
      std::vector<std::string> records;
      std::size_t bytes = 0;
      for (int i = 0; i < kEvents; ++i) {
        auto encoded = encodeMessage(offers ? makeOffers(i) : makeUpdate(i), type);
        bytes += encoded->size();
        records.push_back(std::move(*encoded));
      }
      const Figures f = measure(records, type, tracker, minSeconds);
      const bool met = f.pipeline >= target;
      allMet &= met;
      std::printf(
          "%-8s %-6s (%4zu B/event): %9.0f events/s  reference bare parse %9.0f events/s  ratio "
          "%.2f  "
          "target >= %.0f: %s\n",
          std::string(contentTypeName(type)).c_str(), offers ? "OFFERS" : "UPDATE",
          bytes / records.size(), f.pipeline, f.reference, f.pipeline / f.reference, target,
          met ? "met" : "MISSED");
    }
  }
  const double rss = peakRssMb();
  const bool rssMet = rss <= 30.0;
  allMet &= rssMet;
  std::printf("tracked tasks: %zu, ACK decisions: %zu\n", tracker.tasks.size(), tracker.acks);
  std::printf("peak RSS: %.1f MB (%.1f MB at start) while tracking %d tasks; target <= 30 MB: %s\n",
              rss, baseRss, kTasks, rssMet ? "met" : "MISSED");
  return allMet ? 0 : 1;
}
