// Producers and consumers: the hot path, kept to a plain call.
#include "capi.hpp"

using rtipc::capi::record_if_failed;

// rtipc_produce and rtipc_consume return the core's results as they are.
static_assert(static_cast<int>(rtipc::PushResult::kPublished) == RTIPC_PUBLISHED &&
              static_cast<int>(rtipc::PushResult::kDiscarded) == RTIPC_PUBLISHED_DISCARDED &&
              static_cast<int>(rtipc::PushResult::kFull) == RTIPC_QUEUE_FULL);
static_assert(static_cast<int>(rtipc::PopResult::kNothingProduced) == RTIPC_NOTHING_PRODUCED &&
              static_cast<int>(rtipc::PopResult::kNoNew) == RTIPC_NO_NEW &&
              static_cast<int>(rtipc::PopResult::kNew) == RTIPC_NEW &&
              static_cast<int>(rtipc::PopResult::kNewAfterGap) == RTIPC_NEW_AFTER_GAP);

namespace {

const void* info_of(const rtipc::Channel& channel, size_t* size) {
  const auto& info = channel.info();
  *size = info.size();
  return info.empty() ? nullptr : info.data();
}

// What a caller who waits on (or polls) a channel without eventfd must change.
constexpr const char* kNoEventfd =
    "channel has no eventfd; create it with eventfd enabled (RTIPC_CHANNEL_EVENTFD)";

int fd_of(const char* function, const rtipc::Channel& channel) {
  const int fd = channel.eventfd();
  if (fd >= 0) return fd;
  return rtipc::capi::report(function, -ENOTSUP, kNoEventfd, rtipc::LogLevel::kDebug);
}

}  // namespace

extern "C" {

RTIPC_EXPORT void rtipc_producer_destroy(rtipc_producer* producer) noexcept {
  delete producer;
}

RTIPC_EXPORT void* rtipc_producer_msg(rtipc_producer* producer) noexcept {
  return producer->impl->msg();
}

RTIPC_EXPORT int rtipc_produce(rtipc_producer* producer, unsigned mode) noexcept {
  if (mode > RTIPC_PRODUCE_TRY) return record_if_failed(__func__, -EINVAL);
  const auto r = producer->impl->push(mode == RTIPC_PRODUCE_FORCE);
  if (r == rtipc::PushResult::kError) return record_if_failed(__func__, -EPROTO);
  return static_cast<int>(r);
}

RTIPC_EXPORT size_t rtipc_producer_msg_size(const rtipc_producer* producer) noexcept {
  return producer->impl->msg_size();
}

RTIPC_EXPORT uint32_t rtipc_producer_slots(const rtipc_producer* producer) noexcept {
  return producer->impl->slots();
}

RTIPC_EXPORT size_t rtipc_producer_msg_align(const rtipc_producer* producer) noexcept {
  return producer->impl->msg_align();
}

RTIPC_EXPORT const void* rtipc_producer_info(const rtipc_producer* producer,
                                             size_t* size) noexcept {
  return info_of(*producer->impl, size);
}

RTIPC_EXPORT int rtipc_producer_fd(const rtipc_producer* producer) noexcept {
  return fd_of(__func__, *producer->impl);
}

RTIPC_EXPORT int rtipc_producer_pending(const rtipc_producer* producer) noexcept {
  return record_if_failed(__func__, producer->impl->pending());
}

RTIPC_EXPORT int rtipc_producer_peer_alive(const rtipc_producer* producer) noexcept {
  return record_if_failed(__func__, producer->impl->peer_alive());
}

RTIPC_EXPORT void rtipc_consumer_destroy(rtipc_consumer* consumer) noexcept {
  delete consumer;
}

RTIPC_EXPORT const void* rtipc_consumer_msg(const rtipc_consumer* consumer) noexcept {
  return consumer->impl->msg();
}

RTIPC_EXPORT int rtipc_consume(rtipc_consumer* consumer, unsigned mode) noexcept {
  if (mode > RTIPC_CONSUME_LATEST) return record_if_failed(__func__, -EINVAL);
  const auto r = consumer->impl->pop(mode == RTIPC_CONSUME_LATEST);
  if (r == rtipc::PopResult::kError) return record_if_failed(__func__, -EPROTO);
  return static_cast<int>(r);
}

RTIPC_EXPORT size_t rtipc_consumer_msg_size(const rtipc_consumer* consumer) noexcept {
  return consumer->impl->msg_size();
}

RTIPC_EXPORT uint32_t rtipc_consumer_slots(const rtipc_consumer* consumer) noexcept {
  return consumer->impl->slots();
}

RTIPC_EXPORT size_t rtipc_consumer_msg_align(const rtipc_consumer* consumer) noexcept {
  return consumer->impl->msg_align();
}

RTIPC_EXPORT const void* rtipc_consumer_info(const rtipc_consumer* consumer,
                                             size_t* size) noexcept {
  return info_of(*consumer->impl, size);
}

RTIPC_EXPORT int rtipc_consumer_fd(const rtipc_consumer* consumer) noexcept {
  return fd_of(__func__, *consumer->impl);
}

RTIPC_EXPORT int rtipc_consumer_pending(const rtipc_consumer* consumer) noexcept {
  return record_if_failed(__func__, consumer->impl->pending());
}

RTIPC_EXPORT int rtipc_consumer_peer_alive(const rtipc_consumer* consumer) noexcept {
  return record_if_failed(__func__, consumer->impl->peer_alive());
}

RTIPC_EXPORT int rtipc_consumer_wait(rtipc_consumer* consumer, int timeout_ms) noexcept {
  const int r = consumer->impl->wait(timeout_ms);
  if (r == -ENOTSUP && consumer->impl->eventfd() < 0)
    return rtipc::capi::report(__func__, r, kNoEventfd, rtipc::LogLevel::kDebug);
  return record_if_failed(__func__, r);
}

RTIPC_EXPORT void rtipc_consumer_set_spin(rtipc_consumer* consumer, uint32_t spin_ns) noexcept {
  consumer->impl->set_spin_ns(spin_ns);
}

}  // extern "C"
