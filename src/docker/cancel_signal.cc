#include "docker/cancel_signal.h"

#include <utility>

namespace coral::docker {

void CancelSignal::cancel() {
  std::lock_guard lock(mutex_);
  if (cancelled_.exchange(true)) return;
  for (auto& [id, interrupt] : interrupters_) interrupt();
}

CancelSignal::Registration::Registration(CancelSignal* signal, Interrupter interrupter)
    : signal_(signal) {
  if (signal_ == nullptr) {
    id_ = UINT64_MAX;  // nothing can cancel this request; it is always active
    return;
  }
  std::lock_guard lock(signal_->mutex_);
  if (signal_->cancelled_.load()) return;
  id_ = signal_->next_id_++;
  signal_->interrupters_.emplace(id_, std::move(interrupter));
}

CancelSignal::Registration::~Registration() {
  if (signal_ == nullptr || id_ == 0) return;
  std::lock_guard lock(signal_->mutex_);
  signal_->interrupters_.erase(id_);
}

}  // namespace coral::docker
