// The Mesos v1 protobuf types, generated at build time from Debian's mesos-go
// copy of mesos.proto/scheduler.proto (same field numbers as Mesos 1.x).
// Their C++ package is `::mesos`; inside coral::mesos use the `v1` alias.
#pragma once

#include "github.com/mesos/mesos-go/api/v1/lib/mesos.pb.h"
#include "github.com/mesos/mesos-go/api/v1/lib/scheduler/scheduler.pb.h"

namespace coral::mesos {

// `v1::TaskInfo`, `v1::scheduler::Call`: reads like Mesos' own mesos::v1::...,
// and avoids the clash between ::mesos and coral::mesos.
namespace v1 = ::mesos;

}  // namespace coral::mesos
