/*
 * librtipc for C++: a header-only layer over the C ABI of <rtipc/rtipc.h>.
 *
 * Owners   Server, Group, Producer, Consumer, Waitset and Notifier own one
 *          C handle each and destroy it in their destructor. They move,
 *          never copy; a moved-from owner holds nothing. get() lends the raw
 *          handle, release() gives it up (the caller destroys it with the C
 *          function).
 * Results  Every call that can fail returns rtipc::result<T>: std::expected<T,
 *          rtipc::error> when the standard library has it (C++23) and
 *          exceptions are on, else a small type with these members of it:
 *          a default constructor (a value-initialized T) when T has one,
 *          has_value, operator bool, *, ->, value, value_or, error. An
 *          rtipc::error carries the positive errno (or RTIPC_EREJECTED) and
 *          the text of rtipc_last_error() taken when the call failed. value()
 *          on an error throws rtipc::bad_result_access
 *          (std::bad_expected_access with std::expected); built with
 *          -fno-exceptions it prints the error to stderr and aborts.
 * Sizes    A message that does not fit (a typed channel of another size, data
 *          longer than the slot) is EMSGSIZE, as in every rtipc binding.
 * Hot path Producer::msg/produce/try_produce and Consumer::msg/consume/
 *          consume_latest are inline calls of the C functions plus one
 *          compare; nothing allocates unless the call failed.
 * Typed    TypedProducer<T>/TypedConsumer<T> for trivially copyable T; taking
 *          one checks the channel's message size (exactly sizeof(T)) and
 *          alignment before the channel leaves the group, so a mismatch leaves
 *          it there.
 * EINTR    Blocking calls (Consumer::wait, Waitset::wait, Server::accept,
 *          connect) return the error EINTR when a signal handler ran, and
 *          never retry: the caller decides (docs/bindings.md).
 * Threads  As in rtipc.h: one owner is used by one thread at a time, except
 *          the getters the C header marks "any thread".
 *
 * Works with C++17 and later, with or without exceptions.
 */
#ifndef RTIPC_HPP
#define RTIPC_HPP

#include <rtipc/rtipc.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#if __has_include(<version>)
#include <version>
#endif
// Without exceptions std::expected::value() aborts silently: use our own
// type there, which says why before it aborts.
#if defined(__cpp_lib_expected) && __cpp_lib_expected >= 202202L && defined(__cpp_exceptions)
#include <expected>
#define RTIPC_HPP_STD_EXPECTED 1
#endif
#if defined(__cpp_exceptions)
#include <exception>
#else
#include <cstdio>
#endif

namespace rtipc {

/** A failed call: the positive errno (or RTIPC_EREJECTED) and the library's
 * message for it. */
class error {
 public:
  error() = default;
  /** From a C return value (negative or positive); takes rtipc_last_error(). */
  explicit error(int code) : code_(code < 0 ? -code : code), message_(rtipc_last_error()) {
    if (message_.empty()) message_ = rtipc_strerror(code_);
  }
  error(int code, std::string message)
      : code_(code < 0 ? -code : code), message_(std::move(message)) {}

  int code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const char* what() const noexcept { return message_.c_str(); }
  bool rejected() const noexcept { return code_ == RTIPC_EREJECTED; }
  bool timed_out() const noexcept { return code_ == ETIMEDOUT; }
  bool interrupted() const noexcept { return code_ == EINTR; }

 private:
  int code_ = 0;
  std::string message_;
};

#if RTIPC_HPP_STD_EXPECTED
template <class T>
using result = std::expected<T, error>;
using unexpected = std::unexpected<error>;
template <class T>
using bad_result_access = std::bad_expected_access<T>;
#else

#if defined(__cpp_exceptions)
/** What result<T>::value() throws on an error. */
template <class E>
class bad_result_access : public std::exception {
 public:
  explicit bad_result_access(E e) : error_(std::move(e)) {}
  const char* what() const noexcept override { return error_.what(); }
  const E& error() const noexcept { return error_; }

 private:
  E error_;
};
#endif

/** The error alternative of a result, as std::unexpected. */
class unexpected {
 public:
  explicit unexpected(rtipc::error e) : error_(std::move(e)) {}
  const rtipc::error& error() const& noexcept { return error_; }
  rtipc::error&& error() && noexcept { return std::move(error_); }

 private:
  rtipc::error error_;
};

namespace detail {
[[noreturn]] inline void bad_access(const error& e) {
#if defined(__cpp_exceptions)
  throw bad_result_access<error>(e);
#else
  std::fprintf(stderr, "rtipc: value() of a result that holds an error: %s (%s)\n",
               e.message().c_str(), rtipc_strerror(e.code()));
  std::fflush(stderr);
  std::abort();
#endif
}
}  // namespace detail

/** A value or an error, with the members of std::expected that matter here. */
template <class T>
class result {
  static_assert(std::is_nothrow_move_constructible_v<T>, "results hold movable values");

 public:
  using value_type = T;
  using error_type = rtipc::error;

  /** A value-initialized T, as std::expected's default constructor. */
  template <class U = T, std::enable_if_t<std::is_default_constructible_v<U>, int> = 0>
  result() noexcept(std::is_nothrow_default_constructible_v<U>) : ok_(true) {
    new (&value_) T();
  }
  result(T value) noexcept : ok_(true) { new (&value_) T(std::move(value)); }
  result(unexpected e) noexcept : ok_(false) { new (&error_) rtipc::error(std::move(e).error()); }
  result(result&& o) noexcept : ok_(o.ok_) {
    if (ok_)
      new (&value_) T(std::move(o.value_));
    else
      new (&error_) rtipc::error(std::move(o.error_));
  }
  result(const result& o) : ok_(o.ok_) {
    if (ok_)
      new (&value_) T(o.value_);
    else
      new (&error_) rtipc::error(o.error_);
  }
  result& operator=(result o) noexcept {
    if (this != &o) {
      destroy();
      new (this) result(std::move(o));
    }
    return *this;
  }
  ~result() { destroy(); }

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  T& operator*() & noexcept { return value_; }
  const T& operator*() const& noexcept { return value_; }
  T&& operator*() && noexcept { return std::move(value_); }
  T* operator->() noexcept { return &value_; }
  const T* operator->() const noexcept { return &value_; }
  T& value() & {
    if (!ok_) detail::bad_access(error_);
    return value_;
  }
  const T& value() const& {
    if (!ok_) detail::bad_access(error_);
    return value_;
  }
  T&& value() && {
    if (!ok_) detail::bad_access(error_);
    return std::move(value_);
  }
  template <class U>
  T value_or(U&& fallback) const& {
    return ok_ ? value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  T value_or(U&& fallback) && {
    return ok_ ? std::move(value_) : static_cast<T>(std::forward<U>(fallback));
  }
  const rtipc::error& error() const& noexcept { return error_; }
  rtipc::error&& error() && noexcept { return std::move(error_); }

 private:
  using error_t = rtipc::error;
  void destroy() noexcept {
    if (ok_)
      value_.~T();
    else
      error_.~error_t();
  }

  union {
    T value_;
    rtipc::error error_;
  };
  bool ok_;
};

/** Success without a value, or an error. */
template <>
class result<void> {
 public:
  using value_type = void;
  using error_type = rtipc::error;

  result() noexcept = default;
  result(unexpected e) noexcept : ok_(false), error_(std::move(e).error()) {}

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  void operator*() const noexcept {}
  void value() const {
    if (!ok_) detail::bad_access(error_);
  }
  const rtipc::error& error() const& noexcept { return error_; }
  rtipc::error&& error() && noexcept { return std::move(error_); }

 private:
  bool ok_ = true;
  rtipc::error error_;
};
#endif

namespace detail {
/** The error path of every call, kept out of line of the hot path. */
[[gnu::cold, gnu::noinline]] inline unexpected fail(int code) {
  return unexpected(error(code));
}
[[gnu::cold, gnu::noinline]] inline unexpected fail(int code, std::string message) {
  return unexpected(error(code, std::move(message)));
}
}  // namespace detail

/** Bytes owned by a handle (info bytes, a message): a pointer and a count. */
class bytes_view {
 public:
  constexpr bytes_view() noexcept = default;
  constexpr bytes_view(const void* data, std::size_t size) noexcept
      : data_(static_cast<const std::byte*>(data)), size_(data ? size : 0) {}
  constexpr const std::byte* data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr const std::byte* begin() const noexcept { return data_; }
  constexpr const std::byte* end() const noexcept { return data_ + size_; }
  std::string_view str() const noexcept { return {reinterpret_cast<const char*>(data_), size_}; }

 private:
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

/** What rtipc_produce did. */
enum class Produced : int {
  published = RTIPC_PUBLISHED,
  published_discarded = RTIPC_PUBLISHED_DISCARDED,
  queue_full = RTIPC_QUEUE_FULL,
};

/** What rtipc_consume found. */
enum class Consumed : int {
  nothing_produced = RTIPC_NOTHING_PRODUCED,
  no_new = RTIPC_NO_NEW,
  new_message = RTIPC_NEW,
  new_after_gap = RTIPC_NEW_AFTER_GAP,
};

/** Whether the consumer's message changed (new_message or new_after_gap). */
constexpr bool is_new(Consumed c) noexcept {
  return static_cast<int>(c) >= RTIPC_NEW;
}

inline const char* version() noexcept {
  return rtipc_version();
}
inline std::uint32_t default_cacheline() noexcept {
  return rtipc_default_cacheline();
}
/** Logs up to max_level (RTIPC_LOG_*) to stderr; RTIPC_LOG_NONE silences. */
inline void set_log(unsigned max_level) noexcept {
  rtipc_set_log(nullptr, nullptr, max_level);
}

namespace detail {
/** One owned C handle; destroy accepts NULL. */
template <class H, void (*Destroy)(H*)>
class owner {
 public:
  owner() noexcept = default;
  explicit owner(H* handle) noexcept : handle_(handle) {}
  owner(owner&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}
  owner& operator=(owner&& o) noexcept {
    if (this != &o) reset(std::exchange(o.handle_, nullptr));
    return *this;
  }
  ~owner() { Destroy(handle_); }

  H* get() const noexcept { return handle_; }
  H* release() noexcept { return std::exchange(handle_, nullptr); }
  void reset(H* handle = nullptr) noexcept { Destroy(std::exchange(handle_, handle)); }
  explicit operator bool() const noexcept { return handle_ != nullptr; }

 private:
  H* handle_ = nullptr;
};

inline result<int> fd_result(int fd) {
  if (fd < 0) return fail(fd);
  return fd;
}

inline result<std::uint32_t> count_result(int n) {
  if (n < 0) return fail(n);
  return static_cast<std::uint32_t>(n);
}

inline result<bool> alive_result(int r) {
  if (r < 0) return fail(r);
  return r == 1;
}
}  // namespace detail

/** The configuration of one channel, as a builder. Owns its info bytes. */
class ChannelConfig {
 public:
  ChannelConfig() = default;
  explicit ChannelConfig(std::uint32_t msg_size) : msg_size_(msg_size) {}

  ChannelConfig& msg_size(std::uint32_t bytes) { return msg_size_ = bytes, *this; }
  /** Slots beyond the minimum of 3. */
  ChannelConfig& add_msgs(std::uint32_t count) { return add_msgs_ = count, *this; }
  ChannelConfig& eventfd(bool on = true) { return eventfd_ = on, *this; }
  ChannelConfig& info(std::string_view bytes) { return info_.assign(bytes), *this; }
  ChannelConfig& info(const void* bytes, std::size_t size) {
    return info_.assign(static_cast<const char*>(bytes), size), *this;
  }

  std::uint32_t msg_size() const noexcept { return msg_size_; }
  std::uint32_t add_msgs() const noexcept { return add_msgs_; }
  bool eventfd() const noexcept { return eventfd_; }
  std::string_view info() const noexcept { return info_; }

  /** The C struct, pointing into this object's info bytes. */
  rtipc_channel_config c() const noexcept {
    rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    c.flags = eventfd_ ? RTIPC_CHANNEL_EVENTFD : 0u;
    c.msg_size = msg_size_;
    c.add_msgs = add_msgs_;
    c.info = info_.empty() ? nullptr : info_.data();
    c.info_size = static_cast<std::uint32_t>(info_.size());
    return c;
  }

 private:
  std::uint32_t msg_size_ = 0;
  std::uint32_t add_msgs_ = 0;
  bool eventfd_ = false;
  std::string info_;
};

/** The configuration of a group in the terms of the side that holds it. */
class GroupConfig {
 public:
  GroupConfig& producer(ChannelConfig channel) {
    return producers_.push_back(std::move(channel)), *this;
  }
  GroupConfig& consumer(ChannelConfig channel) {
    return consumers_.push_back(std::move(channel)), *this;
  }
  /** RTIPC_GROUP_* flags (local to this process). */
  GroupConfig& flags(std::uint32_t flags) { return flags_ = flags, *this; }
  GroupConfig& info(std::string_view bytes) { return info_.assign(bytes), *this; }
  GroupConfig& info(const void* bytes, std::size_t size) {
    return info_.assign(static_cast<const char*>(bytes), size), *this;
  }
  /** Layout cache line; 0 takes rtipc_default_cacheline(). */
  GroupConfig& cacheline(std::uint32_t bytes) { return cacheline_ = bytes, *this; }

  const std::vector<ChannelConfig>& producers() const noexcept { return producers_; }
  const std::vector<ChannelConfig>& consumers() const noexcept { return consumers_; }

  /** Calls f(const rtipc_group_config &) with the C struct, valid during the call. */
  template <class F>
  auto with_c(F&& f) const {
    std::vector<rtipc_channel_config> p, c;
    p.reserve(producers_.size());
    c.reserve(consumers_.size());
    for (const auto& ch : producers_) p.push_back(ch.c());
    for (const auto& ch : consumers_) c.push_back(ch.c());
    rtipc_group_config g = RTIPC_GROUP_CONFIG_INIT;
    g.flags = flags_;
    g.producers = p.empty() ? nullptr : p.data();
    g.consumers = c.empty() ? nullptr : c.data();
    g.producer_count = static_cast<std::uint32_t>(p.size());
    g.consumer_count = static_cast<std::uint32_t>(c.size());
    g.info = info_.empty() ? nullptr : info_.data();
    g.info_size = static_cast<std::uint32_t>(info_.size());
    g.cacheline = cacheline_;
    return std::forward<F>(f)(static_cast<const rtipc_group_config&>(g));
  }

 private:
  std::vector<ChannelConfig> producers_, consumers_;
  std::uint32_t flags_ = 0;
  std::string info_;
  std::uint32_t cacheline_ = 0;
};

/** One channel as a group or a proposal describes it. */
struct Channel {
  std::uint32_t msg_size = 0;
  std::uint32_t add_msgs = 0;
  bool eventfd = false;
  bytes_view info;

  static Channel from_c(const rtipc_channel_config& c) noexcept {
    return {c.msg_size, c.add_msgs, (c.flags & RTIPC_CHANNEL_EVENTFD) != 0,
            bytes_view(c.info, c.info_size)};
  }
};

/** What a server's filter sees of a client's request (valid during the call),
 * in the server's terms: its producers are the channels the client consumes. */
class Proposal {
 public:
  explicit Proposal(const rtipc_proposal* p) noexcept : p_(p) {}

  std::uint32_t producer_count() const noexcept { return rtipc_proposal_producer_count(p_); }
  std::uint32_t consumer_count() const noexcept { return rtipc_proposal_consumer_count(p_); }
  result<Channel> producer(std::uint32_t index) const {
    rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    if (int r = rtipc_proposal_producer_config(p_, index, &c); r < 0) return detail::fail(r);
    return Channel::from_c(c);
  }
  result<Channel> consumer(std::uint32_t index) const {
    rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    if (int r = rtipc_proposal_consumer_config(p_, index, &c); r < 0) return detail::fail(r);
    return Channel::from_c(c);
  }
  bytes_view info() const noexcept {
    std::size_t size = 0;
    const void* data = rtipc_proposal_info(p_, &size);
    return {data, size};
  }
  std::uint64_t region_size() const noexcept { return rtipc_proposal_region_size(p_); }
  std::uint32_t cacheline() const noexcept { return rtipc_proposal_cacheline(p_); }
  std::int32_t peer_pid() const noexcept { return rtipc_proposal_peer_pid(p_); }
  std::uint32_t peer_uid() const noexcept { return rtipc_proposal_peer_uid(p_); }
  std::uint32_t peer_gid() const noexcept { return rtipc_proposal_peer_gid(p_); }
  const rtipc_proposal* get() const noexcept { return p_; }

 private:
  const rtipc_proposal* p_;
};

/** A server's filter: true accepts. */
using Filter = std::function<bool(const Proposal&)>;

namespace detail {
inline int filter_thunk(const rtipc_proposal* proposal, void* user) noexcept {
  const auto& filter = *static_cast<const Filter*>(user);
#if defined(__cpp_exceptions)
  try {
    return filter(Proposal(proposal)) ? 1 : 0;
  } catch (...) {
    return 0;  // a filter that throws rejects
  }
#else
  return filter(Proposal(proposal)) ? 1 : 0;
#endif
}
}  // namespace detail

/** How a server takes its clients' groups; every setting left alone takes the
 * library's default. */
class ServerConfig {
 public:
  /** Decides on each client's proposal; any callable taking const Proposal &
   * and returning something convertible to bool. One that throws rejects. */
  template <class F>
  ServerConfig& filter(F&& f) {
    filter_ = Filter(std::forward<F>(f));
    return *this;
  }
  ServerConfig& group_flags(std::uint32_t flags) { return c_.group_flags = flags, *this; }
  /** 0: RTIPC_DEFAULT_REQUEST_TIMEOUT_MS, -1: no limit. */
  ServerConfig& request_timeout_ms(std::int32_t ms) { return c_.request_timeout_ms = ms, *this; }
  ServerConfig& backlog(std::int32_t n) { return c_.backlog = n, *this; }
  ServerConfig& socket_mode(std::uint32_t mode) { return c_.socket_mode = mode, *this; }
  ServerConfig& min_cacheline(std::uint32_t bytes) { return c_.min_cacheline = bytes, *this; }
  ServerConfig& max_channels(std::uint32_t n) { return c_.max_channels = n, *this; }
  ServerConfig& max_slots(std::uint32_t n) { return c_.max_slots = n, *this; }
  ServerConfig& max_region_size(std::uint64_t bytes) { return c_.max_region_size = bytes, *this; }
  ServerConfig& max_private_size(std::uint64_t bytes) { return c_.max_private_size = bytes, *this; }

  const Filter& filter() const noexcept { return filter_; }

  /** The C struct with its filter calling *filter (which must outlive its use). */
  rtipc_server_config c(const Filter* filter) const noexcept {
    rtipc_server_config c = c_;
    if (filter && *filter) {
      c.filter = detail::filter_thunk;
      c.filter_user = const_cast<Filter*>(filter);
    }
    return c;
  }

 private:
  rtipc_server_config c_ = RTIPC_SERVER_CONFIG_INIT;
  Filter filter_;
};

/** Signals producers' eventfds through an io_uring poller (rtipc.h,
 * "Notifying without a system call"). Producers attached to it keep it alive
 * in the library: destroying this owner only drops the caller's reference. */
class Notifier : public detail::owner<rtipc_notifier, rtipc_notifier_destroy> {
 public:
  using owner::owner;

  /** Starts a poller; falls back to RTIPC_NOTIFY_DIRECT (see mode()) unless
   * flags has RTIPC_NOTIFIER_REQUIRE. idle_ms 0: the default. */
  static result<Notifier> create(std::uint32_t flags = 0, std::uint32_t idle_ms = 0,
                                 std::uint32_t cpu = 0) {
    rtipc_notifier_config c = RTIPC_NOTIFIER_CONFIG_INIT;
    c.flags = flags;
    c.idle_ms = idle_ms;
    c.cpu = cpu;
    rtipc_notifier* n = nullptr;
    if (int r = rtipc_notifier_create(&c, &n); r < 0) return detail::fail(r);
    return Notifier(n);
  }
  /** RTIPC_NOTIFY_IO_URING or RTIPC_NOTIFY_DIRECT (the fallback). */
  unsigned mode() const noexcept { return rtipc_notifier_mode(get()); }
};

/** Writes messages into one channel. */
class Producer : public detail::owner<rtipc_producer, rtipc_producer_destroy> {
 public:
  using owner::owner;

  /** Where to write the next message (msg_size() bytes), valid until a
   * produce publishes. */
  void* msg() noexcept { return rtipc_producer_msg(get()); }
  /** Publishes; discards the oldest waiting message when full. */
  result<Produced> produce() noexcept { return produce(RTIPC_PRODUCE_FORCE); }
  /** Publishes unless full (Produced::queue_full; the message stays). */
  result<Produced> try_produce() noexcept { return produce(RTIPC_PRODUCE_TRY); }
  result<Produced> produce(unsigned mode) noexcept {
    int r = rtipc_produce(get(), mode);
    if (__builtin_expect(r < 0, 0)) return detail::fail(r);
    return static_cast<Produced>(r);
  }

  std::size_t msg_size() const noexcept { return rtipc_producer_msg_size(get()); }
  std::uint32_t slots() const noexcept { return rtipc_producer_slots(get()); }
  std::size_t msg_align() const noexcept { return rtipc_producer_msg_align(get()); }
  bytes_view info() const noexcept {
    std::size_t size = 0;
    const void* data = rtipc_producer_info(get(), &size);
    return {data, size};
  }
  /** The eventfd; an error (ENOTSUP) when the channel has none. */
  result<int> fd() const { return detail::fd_result(rtipc_producer_fd(get())); }
  /** Messages published that the consumer has not taken yet. */
  result<std::uint32_t> pending() const {
    return detail::count_result(rtipc_producer_pending(get()));
  }
  /** Whether the peer process still runs (ENOTSUP when unknown). */
  result<bool> peer_alive() const { return detail::alive_result(rtipc_producer_peer_alive(get())); }
  /** Signals through notifier from now on (nullptr: back to write(2)); call
   * it on the thread that pushes. ENOTSUP without an eventfd. */
  result<void> set_notifier(const Notifier* notifier) noexcept {
    int r = rtipc_producer_set_notifier(get(), notifier ? notifier->get() : nullptr);
    if (r < 0) return detail::fail(r);
    return {};
  }
  /** RTIPC_NOTIFY_IO_URING or RTIPC_NOTIFY_DIRECT; ENOTSUP without an eventfd. */
  result<unsigned> notify_mode() const {
    int r = rtipc_producer_notify_mode(get());
    if (r < 0) return detail::fail(r);
    return static_cast<unsigned>(r);
  }
};

/** Reads messages from one channel. */
class Consumer : public detail::owner<rtipc_consumer, rtipc_consumer_destroy> {
 public:
  using owner::owner;

  /** The message held (msg_size() bytes), nullptr before the first; valid
   * until the next consume. */
  const void* msg() const noexcept { return rtipc_consumer_msg(get()); }
  /** Moves to the oldest unread message. */
  result<Consumed> consume() noexcept { return consume(RTIPC_CONSUME_NEXT); }
  /** Moves to the newest message, skipping older ones. */
  result<Consumed> consume_latest() noexcept { return consume(RTIPC_CONSUME_LATEST); }
  result<Consumed> consume(unsigned mode) noexcept {
    int r = rtipc_consume(get(), mode);
    if (__builtin_expect(r < 0, 0)) return detail::fail(r);
    return static_cast<Consumed>(r);
  }
  /** Blocks until consume would find something (true), timeout_ms passes
   * (false; -1: no limit), or fails: EPIPE (peer gone), EINTR (a signal),
   * ENOTSUP (no eventfd). Does not consume. */
  result<bool> wait(int timeout_ms = -1) noexcept {
    int r = rtipc_consumer_wait(get(), timeout_ms);
    if (r < 0) return detail::fail(r);
    return r == 1;
  }
  void set_spin(std::uint32_t spin_ns) noexcept { rtipc_consumer_set_spin(get(), spin_ns); }

  std::size_t msg_size() const noexcept { return rtipc_consumer_msg_size(get()); }
  std::uint32_t slots() const noexcept { return rtipc_consumer_slots(get()); }
  std::size_t msg_align() const noexcept { return rtipc_consumer_msg_align(get()); }
  bytes_view info() const noexcept {
    std::size_t size = 0;
    const void* data = rtipc_consumer_info(get(), &size);
    return {data, size};
  }
  result<int> fd() const { return detail::fd_result(rtipc_consumer_fd(get())); }
  result<std::uint32_t> pending() const {
    return detail::count_result(rtipc_consumer_pending(get()));
  }
  result<bool> peer_alive() const { return detail::alive_result(rtipc_consumer_peer_alive(get())); }
};

/** The entries a Waitset::wait found ready: a range of rtipc_waitset_event
 * (key, ready bits RTIPC_READY_*, revents), valid until the next wait. */
class ReadyEvents {
 public:
  ReadyEvents() noexcept = default;
  ReadyEvents(const rtipc_waitset_event* first, std::size_t n) noexcept : first_(first), n_(n) {}
  const rtipc_waitset_event* begin() const noexcept { return first_; }
  const rtipc_waitset_event* end() const noexcept { return first_ + n_; }
  std::size_t size() const noexcept { return n_; }
  /** True after a timeout. */
  bool empty() const noexcept { return n_ == 0; }
  const rtipc_waitset_event& operator[](std::size_t i) const noexcept { return first_[i]; }

 private:
  const rtipc_waitset_event* first_ = nullptr;
  std::size_t n_ = 0;
};

/** Waits on many consumers, descriptors and peers at once (rtipc.h, "Waiting
 * on many channels"). Members are lent, not owned: remove a consumer before
 * destroying it. wait() runs on one thread at a time; add/remove on any. */
class Waitset : public detail::owner<rtipc_waitset, rtipc_waitset_destroy> {
 public:
  Waitset() noexcept = default;
  Waitset(rtipc_waitset* handle, std::size_t max_events)
      : owner(handle), events_(max_events ? max_events : 1) {}

  /** backend RTIPC_WAITSET_EPOLL or _IO_URING (falls back to epoll unless
   * flags has RTIPC_WAITSET_REQUIRE); max_events bounds one wait's range. */
  static result<Waitset> create(unsigned backend = RTIPC_WAITSET_EPOLL, std::uint32_t spin_ns = 0,
                                std::uint32_t flags = 0, std::size_t max_events = 64) {
    rtipc_waitset_config c = RTIPC_WAITSET_CONFIG_INIT;
    c.flags = flags;
    c.backend = backend;
    c.spin_ns = spin_ns;
    rtipc_waitset* w = nullptr;
    if (int r = rtipc_waitset_create(&c, &w); r < 0) return detail::fail(r);
    return Waitset(w, max_events);
  }

  /** RTIPC_WAITSET_EPOLL or RTIPC_WAITSET_IO_URING: the backend it got. */
  unsigned backend() const noexcept { return rtipc_waitset_backend(get()); }
  /** For an outer event loop: readable when something fired (then wait(0)). */
  int fd() const noexcept { return rtipc_waitset_fd(get()); }

  /** ENOTSUP when the channel has no eventfd, EEXIST when already there. */
  result<void> add(Consumer& consumer, std::uint64_t key) noexcept {
    return done(rtipc_waitset_add_consumer(get(), consumer.get(), key));
  }
  /** A plain descriptor, level-triggered, for poll(2) events (POLLIN...). */
  result<void> add_fd(int fd, std::uint32_t events, std::uint64_t key) noexcept {
    return done(rtipc_waitset_add_fd(get(), fd, events, key));
  }
  /** A pidfd: RTIPC_READY_PEER_GONE once that process has exited. */
  result<void> add_peer(int pidfd, std::uint64_t key) noexcept {
    return done(rtipc_waitset_add_peer(get(), pidfd, key));
  }
  result<void> remove(const Consumer& consumer) noexcept {
    return done(rtipc_waitset_remove_consumer(get(), consumer.get()));
  }
  result<void> remove_fd(int fd) noexcept { return done(rtipc_waitset_remove_fd(get(), fd)); }

  /** Blocks until something is ready or timeout_ms passes (-1: no limit; an
   * empty range). A signal handler that runs ends it with EINTR, as in
   * every blocking call of the C++ layer. Does not consume. */
  result<ReadyEvents> wait(int timeout_ms = -1) noexcept {
    int n = rtipc_waitset_wait(get(), events_.data(), static_cast<std::uint32_t>(events_.size()),
                               timeout_ms);
    if (n < 0) return detail::fail(n);
    return ReadyEvents(events_.data(), static_cast<std::size_t>(n));
  }

 private:
  static result<void> done(int r) noexcept {
    if (r < 0) return detail::fail(r);
    return {};
  }
  std::vector<rtipc_waitset_event> events_;
};

/** A producer of T messages. T& points into the slot: write it, then produce. */
template <class T>
class TypedProducer : public Producer {
  static_assert(std::is_trivially_copyable_v<T>, "messages are trivially copyable");

 public:
  TypedProducer() noexcept = default;
  explicit TypedProducer(rtipc_producer* handle) noexcept : Producer(handle) {}

  T& msg() noexcept { return *static_cast<T*>(Producer::msg()); }
  /** Copies value into the slot and produces (force). */
  result<Produced> send(const T& value) noexcept {
    std::memcpy(Producer::msg(), &value, sizeof(T));
    return produce();
  }
};

/** A consumer of T messages. msg() reads in place; the peer is untrusted, so
 * copy() what you check. */
template <class T>
class TypedConsumer : public Consumer {
  static_assert(std::is_trivially_copyable_v<T>, "messages are trivially copyable");

 public:
  TypedConsumer() noexcept = default;
  explicit TypedConsumer(rtipc_consumer* handle) noexcept : Consumer(handle) {}

  /** The message held; only after a consume found one. */
  const T& msg() const noexcept { return *static_cast<const T*>(Consumer::msg()); }
  T copy() const noexcept {
    T value;
    std::memcpy(static_cast<void*>(&value), Consumer::msg(), sizeof(T));
    return value;
  }
};

/** A channel group: where a client's or a server's channels come from. */
class Group : public detail::owner<rtipc_group, rtipc_group_destroy> {
 public:
  using owner::owner;

  /** Creates a group as a client would, without connecting. */
  static result<Group> create(const GroupConfig& config) {
    return config.with_c([](const rtipc_group_config& c) -> result<Group> {
      rtipc_group* g = nullptr;
      if (int r = rtipc_group_create(&c, &g); r < 0) return detail::fail(r);
      return Group(g);
    });
  }

  /** Connects to the server at path with a new group (timeout_ms -1: no limit). */
  static result<Group> connect(const std::string& path, const GroupConfig& config,
                               int timeout_ms = -1) {
    return config.with_c([&](const rtipc_group_config& c) -> result<Group> {
      rtipc_group* g = nullptr;
      if (int r = rtipc_client_connect(path.c_str(), &c, timeout_ms, &g); r < 0)
        return detail::fail(r);
      return Group(g);
    });
  }

  /** The same on a connected SOCK_SEQPACKET socket (not taken over). */
  static result<Group> connect_socket(int sock, const GroupConfig& config, int timeout_ms = -1) {
    return config.with_c([&](const rtipc_group_config& c) -> result<Group> {
      rtipc_group* g = nullptr;
      if (int r = rtipc_client_connect_socket(sock, &c, timeout_ms, &g); r < 0)
        return detail::fail(r);
      return Group(g);
    });
  }

  /** The server side of the handshake on a connected socket (not taken over). */
  static result<Group> accept_socket(int sock, const ServerConfig& config = {},
                                     int timeout_ms = -1) {
    rtipc_server_config c = config.c(&config.filter());
    rtipc_group* g = nullptr;
    if (int r = rtipc_server_accept_socket(sock, &c, timeout_ms, &g); r < 0) return detail::fail(r);
    return Group(g);
  }

  result<Producer> take_producer(std::uint32_t index) {
    rtipc_producer* p = nullptr;
    if (int r = rtipc_group_take_producer(get(), index, &p); r < 0) return detail::fail(r);
    return Producer(p);
  }
  result<Consumer> take_consumer(std::uint32_t index) {
    rtipc_consumer* c = nullptr;
    if (int r = rtipc_group_take_consumer(get(), index, &c); r < 0) return detail::fail(r);
    return Consumer(c);
  }
  /** Takes producer index as T messages; EMSGSIZE (the channel stays in
   * the group) unless its messages are sizeof(T) bytes aligned for T. */
  template <class T>
  result<TypedProducer<T>> take_producer(std::uint32_t index) {
    auto config = producer_config(index);
    if (!config) return unexpected(std::move(config).error());
    if (auto bad = check_type<T>(config->msg_size, "producer", index); !bad.empty())
      return detail::fail(EMSGSIZE, std::move(bad));
    auto p = take_producer(index);
    if (!p) return unexpected(std::move(p).error());
    return TypedProducer<T>(p->release());
  }
  template <class T>
  result<TypedConsumer<T>> take_consumer(std::uint32_t index) {
    auto config = consumer_config(index);
    if (!config) return unexpected(std::move(config).error());
    if (auto bad = check_type<T>(config->msg_size, "consumer", index); !bad.empty())
      return detail::fail(EMSGSIZE, std::move(bad));
    auto c = take_consumer(index);
    if (!c) return unexpected(std::move(c).error());
    return TypedConsumer<T>(c->release());
  }

  result<Channel> producer_config(std::uint32_t index) const {
    rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    if (int r = rtipc_group_producer_config(get(), index, &c); r < 0) return detail::fail(r);
    return Channel::from_c(c);
  }
  result<Channel> consumer_config(std::uint32_t index) const {
    rtipc_channel_config c = RTIPC_CHANNEL_CONFIG_INIT;
    if (int r = rtipc_group_consumer_config(get(), index, &c); r < 0) return detail::fail(r);
    return Channel::from_c(c);
  }

  std::uint32_t producer_count() const noexcept { return rtipc_group_producer_count(get()); }
  std::uint32_t consumer_count() const noexcept { return rtipc_group_consumer_count(get()); }
  bytes_view info() const noexcept {
    std::size_t size = 0;
    const void* data = rtipc_group_info(get(), &size);
    return {data, size};
  }
  std::uint32_t cacheline() const noexcept { return rtipc_group_cacheline(get()); }
  std::uint64_t region_size() const noexcept { return rtipc_group_region_size(get()); }
  /** The peer's pid from the handshake, 0 when unknown. */
  std::int32_t peer_pid() const noexcept { return rtipc_group_peer_pid(get()); }
  /** A pidfd readable once the peer has exited (ENOTSUP when unknown). */
  result<int> peer_fd() const { return detail::fd_result(rtipc_group_peer_fd(get())); }

 private:
  template <class T>
  std::string check_type(std::uint32_t msg_size, const char* side, std::uint32_t index) const {
    if (msg_size == sizeof(T) && alignof(T) <= cacheline()) return {};
    return std::string(side) + " " + std::to_string(index) + " carries " +
           std::to_string(msg_size) + "-byte messages aligned to " + std::to_string(cacheline()) +
           "; the type needs " + std::to_string(sizeof(T)) + " bytes aligned to " +
           std::to_string(alignof(T));
  }
};

/** Connects to the server at path (see Group::connect). */
inline result<Group> connect(const std::string& path, const GroupConfig& config,
                             int timeout_ms = -1) {
  return Group::connect(path, config, timeout_ms);
}

/** Listens on a socket path and accepts clients' groups. */
class Server {
 public:
  Server() noexcept = default;
  /** Adopts a raw server whose filter, if any, the caller keeps alive. */
  explicit Server(rtipc_server* handle) noexcept : handle_(handle) {}
  Server(Server&&) noexcept = default;
  Server& operator=(Server&& o) noexcept {
    if (this != &o) {
      reset();  // the old server goes before the filter it calls
      handle_ = std::move(o.handle_);
      filter_ = std::move(o.filter_);
    }
    return *this;
  }

  /** Listens on path with config's settings; the filter lives in the server. */
  static result<Server> create(const std::string& path, ServerConfig config = {}) {
    std::unique_ptr<Filter> filter;
    if (config.filter()) {
      filter.reset(new (std::nothrow) Filter(config.filter()));
      if (!filter) return detail::fail(ENOMEM, "no memory for the filter");
    }
    rtipc_server_config c = config.c(filter.get());
    rtipc_server* s = nullptr;
    if (int r = rtipc_server_create(path.c_str(), &c, &s); r < 0) return detail::fail(r);
    Server server(s);
    server.filter_ = std::move(filter);
    return server;
  }

  /** Accepts one client's group (timeout_ms -1: no limit, 0: one waiting). */
  result<Group> accept(int timeout_ms = -1) {
    rtipc_group* g = nullptr;
    if (int r = rtipc_server_accept(handle_.get(), timeout_ms, &g); r < 0) return detail::fail(r);
    return Group(g);
  }

  /** The server descriptor, readable when accept has work (see rtipc_server_fd). */
  int fd() const noexcept { return rtipc_server_fd(handle_.get()); }

  rtipc_server* get() const noexcept { return handle_.get(); }
  /** Gives up the handle; its filter, if any, is leaked so it stays valid. */
  rtipc_server* release() noexcept {
    (void)filter_.release();
    return handle_.release();
  }
  void reset() noexcept {
    handle_.reset();
    filter_.reset();
  }
  explicit operator bool() const noexcept { return bool(handle_); }

 private:
  // Destroyed in reverse order: the server before the filter it calls.
  std::unique_ptr<Filter> filter_;
  detail::owner<rtipc_server, rtipc_server_destroy> handle_;
};

}  // namespace rtipc

#endif  // RTIPC_HPP
