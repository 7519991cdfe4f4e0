// Producers and consumers: the hot path, kept to a plain call.
#include "capi.hpp"

namespace {

const void* info_of(const rtipc::Channel& channel, size_t* size) {
  const auto& info = channel.info();
  *size = info.size();
  return info.empty() ? nullptr : info.data();
}

}  // namespace

extern "C" {

RTIPC_EXPORT void rtipc_producer_destroy(rtipc_producer* producer) { delete producer; }

RTIPC_EXPORT void* rtipc_producer_msg(const rtipc_producer* producer) {
  return producer->impl->msg();
}

RTIPC_EXPORT int rtipc_produce(rtipc_producer* producer, enum rtipc_produce_mode mode) {
  if (mode != RTIPC_PRODUCE_FORCE && mode != RTIPC_PRODUCE_TRY) return -EINVAL;
  const auto r = producer->impl->push(mode == RTIPC_PRODUCE_FORCE);
  return r == rtipc::PushResult::kError ? -EPROTO : static_cast<int>(r);
}

RTIPC_EXPORT size_t rtipc_producer_msg_size(const rtipc_producer* producer) {
  return producer->impl->msg_size();
}

RTIPC_EXPORT uint32_t rtipc_producer_slots(const rtipc_producer* producer) {
  return producer->impl->slots();
}

RTIPC_EXPORT const void* rtipc_producer_info(const rtipc_producer* producer, size_t* size) {
  return info_of(*producer->impl, size);
}

RTIPC_EXPORT int rtipc_producer_fd(const rtipc_producer* producer) {
  return producer->impl->eventfd();
}

RTIPC_EXPORT int rtipc_producer_peer_alive(const rtipc_producer* producer) {
  return producer->impl->peer_alive();
}

RTIPC_EXPORT void rtipc_consumer_destroy(rtipc_consumer* consumer) { delete consumer; }

RTIPC_EXPORT const void* rtipc_consumer_msg(const rtipc_consumer* consumer) {
  return consumer->impl->msg();
}

RTIPC_EXPORT int rtipc_consume(rtipc_consumer* consumer, enum rtipc_consume_mode mode) {
  if (mode != RTIPC_CONSUME_NEXT && mode != RTIPC_CONSUME_LATEST) return -EINVAL;
  const auto r = consumer->impl->pop(mode == RTIPC_CONSUME_LATEST);
  return r == rtipc::PopResult::kError ? -EPROTO : static_cast<int>(r);
}

RTIPC_EXPORT size_t rtipc_consumer_msg_size(const rtipc_consumer* consumer) {
  return consumer->impl->msg_size();
}

RTIPC_EXPORT uint32_t rtipc_consumer_slots(const rtipc_consumer* consumer) {
  return consumer->impl->slots();
}

RTIPC_EXPORT const void* rtipc_consumer_info(const rtipc_consumer* consumer, size_t* size) {
  return info_of(*consumer->impl, size);
}

RTIPC_EXPORT int rtipc_consumer_fd(const rtipc_consumer* consumer) {
  return consumer->impl->eventfd();
}

RTIPC_EXPORT int rtipc_consumer_peer_alive(const rtipc_consumer* consumer) {
  return consumer->impl->peer_alive();
}

RTIPC_EXPORT int rtipc_consumer_wait(rtipc_consumer* consumer, int timeout_ms) {
  return consumer->impl->wait(timeout_ms, consumer->spin_ns);
}

RTIPC_EXPORT void rtipc_consumer_set_spin(rtipc_consumer* consumer, uint32_t spin_ns) {
  consumer->spin_ns = spin_ns;
}

}  // extern "C"
