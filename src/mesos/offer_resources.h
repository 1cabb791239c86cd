// Carving task resources out of one offer. Every piece keeps the metadata of
// the offered resource it came from (role, reservations and, for MULTI_ROLE
// frameworks, the offer's allocation_info), so the master finds it in the
// offer; several tasks can be cut from the same offer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "mesos/proto.h"

namespace coral::mesos {

struct ResourceRequest {
  double cpus = 0;
  double memMb = 0;
  // Host ports to reserve; 0 asks for any port the offer still has.
  std::vector<std::uint32_t> hostPorts;
};

struct TakenResources {
  std::vector<v1::Resource> resources;
  std::vector<std::uint32_t> hostPorts;  // the ports granted, in request order
};

class OfferResources {
 public:
  explicit OfferResources(const v1::Offer& offer);

  // All or nothing: on error nothing is taken.
  Result<TakenResources> take(const ResourceRequest& request);

  double remainingScalar(const std::string& name) const;
  bool hasPort(std::uint32_t port) const;
  const v1::Offer& offer() const { return offer_; }

 private:
  v1::Offer offer_;
  std::vector<v1::Resource> remaining_;
};

// "[31000-32000,8888-8888]" for messages.
std::string describePorts(const std::vector<v1::Resource>& resources);

}  // namespace coral::mesos
