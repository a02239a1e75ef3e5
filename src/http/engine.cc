#include "http/engine.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "util/log.h"

namespace bomvault::http {
namespace {

using Clock = std::chrono::steady_clock;

// A read buffer never shrinks below this while a connection is being served: httplib's line
// reader asks for one byte per call, so every request head must come out of memory.
constexpr size_t kMinBufferBytes = 16 * 1024;
// Body reads at least this large bypass the buffer and land in the caller's memory directly.
constexpr size_t kDirectReadBytes = 16 * 1024;
// httplib writes a response head and then its body in separate calls; joining them (up to this
// size) halves the packets and syscalls per small response.
constexpr size_t kCoalesceBytes = 64 * 1024;
// After answering, a worker waits this long for the next request on the same connection before
// parking it. Under load the next request usually arrives well within it, which saves re-arming
// epoll and a wake-up of another thread; an idle client costs the thread only this long.
constexpr auto kLinger = std::chrono::microseconds(2000);
// When accept() runs out of descriptors the listening socket stays readable; back off this long
// instead of spinning.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
constexpr int kAcceptBatch = 256;
// A worker inside one request for longer than this is presumed blocked (database, Argon2, a
// slow client) and its run slot goes to a reserve worker; checked every kStallCheck.
constexpr auto kStall = std::chrono::milliseconds(10);
constexpr auto kStallCheck = std::chrono::milliseconds(5);
// A parked connection the sweep shut down must be taken by a worker within this; if it is still
// parked after it, its wake-up was lost and the sweep arms it again (see Engine::Sweep).
constexpr auto kLostWakeGrace = std::chrono::milliseconds(1000);
// The workers' epoll set identifies connections by id (Connection::id_, from 1), never by
// pointer, so an event that arrives late or twice names nothing or a connection already taken.
constexpr uint64_t kWakeEvent = 0;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

thread_local const Engine* tl_worker_of = nullptr;  // set on worker threads, for Stop()
// The current worker's WorkerSlot::serving_since, restarted per request so a busy keep-alive
// connection served back to back is not mistaken for a stalled one.
thread_local std::atomic<int64_t>* tl_serving_since = nullptr;
thread_local bool tl_close_after_response = false;  // see Engine::CloseAfterResponse

enum class Io { kOk, kWantRead, kWantWrite, kEof, kError };

// Waits until fd reports any of `events` (or an error/hangup) or the deadline passes. ppoll
// rather than poll: the linger window is shorter than poll's millisecond resolution.
bool WaitFd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    pollfd p{fd, events, 0};
    int r = ppoll(&p, 1, &ts, nullptr);
    if (r > 0) return true;
    if (r == 0 || errno != EINTR) return false;
  }
}

int MillisUntil(Clock::time_point deadline) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, INT_MAX));
}

// Numeric address of a socket peer or local end. IPv4-mapped IPv6 addresses (a dual-stack
// listener) are reported as plain IPv4 so rate limits and audit logs see one form per client.
std::string IpString(const sockaddr_storage& ss, int* port) {
  char buf[INET6_ADDRSTRLEN] = {};
  *port = -1;
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
    *port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, sizeof(buf));
    } else {
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
    }
    *port = ntohs(in6->sin6_port);
  }
  return buf;
}

}  // namespace

// One accepted socket. It is also the httplib::Stream handed to process_request(): reads come
// from a per-connection buffer (so the parser's one-byte reads cost no syscalls) and are capped
// and deadlined while the request head is being parsed; writes hold a response head back so it
// leaves together with the first body bytes.
//
// Ownership: exactly one worker touches a Connection at a time: the one that took it from
// conns_ (clearing parked_) after its epoll_wait returned the connection's id, until it parks
// (re-arms) or closes it. While parked_ nobody owns it; the epoll thread may then only
// shutdown() its socket (to expire it) or arm it again, under Engine::conns_mu_, which also
// guards parked_, expired_ and deadline_. Only the owner closes it, after removing it from conns_.
class Connection : public httplib::Stream {
 public:
  Connection(Engine* engine, int fd, std::string peer_ip, int peer_port, Clock::time_point now)
      : engine_(engine),
        fd_(fd),
        peer_ip_(std::move(peer_ip)),
        peer_port_(peer_port),
        accepted_(now),
        request_start_(now) {}
  ~Connection() override {
    ReleaseCharge();
    ::close(fd_);
  }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // --- httplib::Stream ---
  using httplib::Stream::write;

  bool is_readable() const override {
    return framed_ || rpos_ < wpos_ || Pending() ||
           WaitFd(fd_, POLLIN, Clock::now() + engine_->opts_.read_timeout);
  }

  bool is_writable() const override {
    return !broken_ && WaitFd(fd_, POLLOUT, Clock::now() + engine_->opts_.write_timeout);
  }

  ssize_t read(char* ptr, size_t size) override {
    if (size == 0) return 0;
    if (framed_) {
      // The whole message is in the buffer (see Engine::Frame): httplib reads exactly its
      // bytes and then sees the end of the stream, so a body without Content-Length is empty
      // and nothing is ever read to the close of the connection.
      size_t n = std::min({size, message_left_, Buffered()});
      if (n == 0) return 0;
      std::memcpy(ptr, buf_.get() + rpos_, n);
      rpos_ += n;
      message_left_ -= n;
      if (header_phase_) header_bytes_ += n;
      return static_cast<ssize_t>(n);
    }
    if (header_phase_) {
      // The cap that keeps memory bounded however many headers a client sends: httplib has
      // no limit of its own on their number.
      size_t limit = engine_->opts_.max_header_bytes;
      if (header_bytes_ >= limit) return -1;
      size = std::min(size, limit - header_bytes_);
    }
    if (rpos_ == wpos_) {
      // About to block for the peer: anything held back (e.g. "100 Continue") must go first.
      if (!Flush()) return -1;
      Clock::time_point deadline = header_phase_ ? request_start_ + engine_->opts_.header_timeout
                                                 : Clock::now() + engine_->opts_.read_timeout;
      if (!header_phase_ && size >= kDirectReadBytes) return RecvBlocking(ptr, size, deadline);
      rpos_ = wpos_ = 0;
      if (buf_size_ == 0 && !Grow()) return -1;
      ssize_t n = RecvBlocking(buf_.get(), buf_size_, deadline);
      if (n <= 0) return n;
      wpos_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, wpos_ - rpos_);
    std::memcpy(ptr, buf_.get() + rpos_, n);
    rpos_ += n;
    if (header_phase_) header_bytes_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (broken_) return -1;
    if (sent_continue_ && size >= 13 && std::memcmp(ptr, "HTTP/1.1 100 ", 13) == 0) {
      sent_continue_ = false;  // the engine already sent it while buffering the body
      return static_cast<ssize_t>(size);
    }
    if (hold_next_write_) {
      hold_next_write_ = false;
      if (out_.empty() && size <= kCoalesceBytes) {
        out_.assign(ptr, size);
        return static_cast<ssize_t>(size);
      }
    }
    if (!out_.empty()) {
      if (out_.size() + size <= kCoalesceBytes) {
        out_.append(ptr, size);
        return Flush() ? static_cast<ssize_t>(size) : -1;
      }
      if (!Flush()) return -1;
    }
    return SendAll(ptr, size) ? static_cast<ssize_t>(size) : -1;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_ip_;
    port = peer_port_;
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    if (local_port_ < 0) {
      sockaddr_storage ss{};
      socklen_t len = sizeof(ss);
      if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
        local_ip_ = IpString(ss, &local_port_);
      }
    }
    ip = local_ip_;
    port = local_port_;
  }

  socket_t socket() const override { return fd_; }

  // --- transport, overridden by the TLS variant ---
  virtual Io Handshake() { return Io::kOk; }
  virtual bool Pending() const { return false; }  // bytes decrypted but not yet read
  virtual const SSL* ssl() const { return nullptr; }

 protected:
  virtual Io RecvSome(char* p, size_t n, size_t* got) = 0;
  virtual Io SendSome(const char* p, size_t n, size_t* sent) = 0;

  int fd() const { return fd_; }
  void set_broken() { broken_ = true; }

 private:
  friend class Engine;

  size_t Buffered() const { return wpos_ - rpos_; }

  size_t HeadCap() const { return std::max(kMinBufferBytes, engine_->opts_.max_header_bytes); }

  // Makes the buffer larger, up to HeadCap() or, once a request is framed, up to its whole
  // message, keeping the unread bytes at its start. Memory beyond HeadCap() is charged to the
  // engine's body budget. Returns false at the cap or when the budget is spent (budget_out_).
  bool Grow() {
    size_t cap = HeadCap();
    if (framed_) cap = std::max(cap, message_left_);
    size_t want = buf_size_ == 0 ? kMinBufferBytes : std::min(buf_size_ * 2, cap);
    if (want <= buf_size_) return false;
    size_t charge = want > HeadCap() ? want - std::max(buf_size_, HeadCap()) : 0;
    if (charge > 0 && !engine_->ChargeBody(charge)) {
      budget_out_ = true;
      return false;
    }
    charged_ += charge;
    auto bigger = std::make_unique_for_overwrite<char[]>(want);
    if (Buffered() > 0) std::memcpy(bigger.get(), buf_.get() + rpos_, Buffered());
    wpos_ -= rpos_;
    rpos_ = 0;
    buf_ = std::move(bigger);
    buf_size_ = want;
    return true;
  }

  // Reads whatever the socket has now, without blocking, into the buffer.
  Io FillOnce() {
    bool was_empty = Buffered() == 0;
    if (was_empty) rpos_ = wpos_ = 0;
    if (wpos_ == buf_size_) {
      if (rpos_ > 0) {
        std::memmove(buf_.get(), buf_.get() + rpos_, Buffered());
        wpos_ -= rpos_;
        rpos_ = 0;
      } else if (!Grow()) {
        return Io::kOk;  // full at the cap: the caller hands the head to httplib to reject
      }
    } else if (framed_ && wpos_ - rpos_ < message_left_ && buf_size_ - rpos_ < message_left_ &&
               rpos_ > 0) {
      // Make room for the rest of the message at the end of the buffer.
      std::memmove(buf_.get(), buf_.get() + rpos_, Buffered());
      wpos_ -= rpos_;
      rpos_ = 0;
    }
    size_t got = 0;
    Io r = RecvSome(buf_.get() + wpos_, buf_size_ - wpos_, &got);
    if (r == Io::kOk) {
      wpos_ += got;
      if (framed_) last_progress_ = Clock::now();
      // A new request's header clock starts with its first byte (the first request's
      // started at accept, so a silent client cannot reset it).
      if (was_empty && requests_ > 0) request_start_ = Clock::now();
    }
    return r;
  }

  // True once the buffered bytes contain the blank line ending a request head. Remembers how
  // far it looked, so a client dripping one byte at a time costs linear, not quadratic, work.
  bool HeadComplete() {
    if (head_complete_) return true;
    head_complete_ =
        Engine::ScanHead(std::string_view(buf_.get() + rpos_, Buffered()), &scanned_, &head_bytes_);
    return head_complete_;
  }

  void BeginRequest() {
    header_phase_ = true;
    header_bytes_ = 0;
    hold_next_write_ = true;
    setup_ran_ = false;
  }

  void EndRequest() {
    if (framed_) {
      // Whatever of this message httplib did not read (a body no route read) is skipped: the
      // next request starts exactly where the framing says, never inside a body.
      rpos_ += std::min(message_left_, Buffered());
    }
    framed_ = false;
    message_left_ = 0;
    sent_continue_ = false;
    head_complete_ = false;
    scanned_ = 0;
    header_phase_ = false;
    if (buf_size_ > HeadCap() && Buffered() <= HeadCap()) {
      // Give a large body's buffer back at once, keeping any pipelined bytes.
      std::unique_ptr<char[]> smaller;
      if (Buffered() > 0) {
        smaller = std::make_unique_for_overwrite<char[]>(HeadCap());
        std::memcpy(smaller.get(), buf_.get() + rpos_, Buffered());
      }
      wpos_ -= rpos_;
      rpos_ = 0;
      buf_ = std::move(smaller);
      buf_size_ = buf_ ? HeadCap() : 0;
      ReleaseCharge();
    }
    if (Buffered() > 0) request_start_ = Clock::now();  // a pipelined request already began
  }

  // Frees the buffers of a connection that is going idle: thousands of parked keep-alive
  // connections should cost a socket each, not 16 KiB each.
  void ReleaseIdleBuffers() {
    if (Buffered() == 0) {
      buf_.reset();
      buf_size_ = rpos_ = wpos_ = 0;
      ReleaseCharge();
    }
    if (out_.capacity() > 4096) std::string().swap(out_);
  }

  void ReleaseCharge() {
    if (charged_ > 0) engine_->UnchargeBody(charged_);
    charged_ = 0;
  }

  bool Flush() {
    if (out_.empty()) return !broken_;
    bool ok = SendAll(out_.data(), out_.size());
    out_.clear();
    return ok;
  }

  bool SendAll(const char* p, size_t n) {
    while (n > 0) {
      if (broken_) return false;
      size_t sent = 0;
      Io r = SendSome(p, n, &sent);
      if (r == Io::kOk) {
        p += sent;
        n -= sent;
        continue;
      }
      auto deadline = Clock::now() + engine_->opts_.write_timeout;
      if ((r == Io::kWantWrite && WaitFd(fd_, POLLOUT, deadline)) ||
          (r == Io::kWantRead && WaitFd(fd_, POLLIN, deadline))) {
        continue;
      }
      broken_ = true;
      return false;
    }
    return true;
  }

  ssize_t RecvBlocking(char* p, size_t n, Clock::time_point deadline) {
    for (;;) {
      if (engine_->stopping_.load(std::memory_order_relaxed)) return -1;
      size_t got = 0;
      switch (RecvSome(p, n, &got)) {
        case Io::kOk:
          return static_cast<ssize_t>(got);
        case Io::kEof:
          return 0;
        case Io::kError:
          broken_ = true;
          return -1;
        case Io::kWantRead:
          if (!WaitFd(fd_, POLLIN, deadline)) return -1;
          break;
        case Io::kWantWrite:
          if (!WaitFd(fd_, POLLOUT, deadline)) return -1;
          break;
      }
    }
  }

  Engine* const engine_;
  const int fd_;
  const std::string peer_ip_;
  const int peer_port_;
  mutable std::string local_ip_;
  mutable int local_port_ = -1;
  const Clock::time_point accepted_;
  Clock::time_point request_start_;  // header deadline = this + header_timeout
  size_t requests_ = 0;
  bool handshake_done_ = false;

  std::unique_ptr<char[]> buf_;
  size_t buf_size_ = 0;
  size_t rpos_ = 0;
  size_t wpos_ = 0;
  size_t scanned_ = 0;
  bool head_complete_ = false;
  size_t head_bytes_ = 0;  // request line + headers + blank line, once head_complete_

  // Set by Engine::Frame once the head passed the strict checks: the message is head_bytes_
  // plus the Content-Length, and reads during the request stop at its end.
  bool framed_ = false;
  size_t message_left_ = 0;
  Clock::time_point body_start_{};
  Clock::time_point last_progress_{};
  bool expect_continue_ = false;
  bool sent_continue_ = false;
  size_t charged_ = 0;  // buffer bytes charged to Engine::body_bytes_
  bool budget_out_ = false;

  bool header_phase_ = false;
  size_t header_bytes_ = 0;
  bool setup_ran_ = false;

  std::string out_;
  bool hold_next_write_ = false;
  bool broken_ = false;

  // Guarded by Engine::conns_mu_.
  uint64_t id_ = 0;          // its key in Engine::conns_ and its epoll event's data
  bool parked_ = false;      // armed in conn_epoll_fd_, owned by no thread
  bool expired_ = false;     // shut down by the sweep or a drain, waiting for a worker to close it
  bool drain_wait_ = false;  // in flight when the drain began: counted in drain_waiting_
  Clock::time_point deadline_{};
};

namespace {

class PlainConnection final : public Connection {
 public:
  using Connection::Connection;

 protected:
  Io RecvSome(char* p, size_t n, size_t* got) override {
    for (;;) {
      ssize_t r = ::recv(fd(), p, n, 0);
      if (r > 0) {
        *got = static_cast<size_t>(r);
        return Io::kOk;
      }
      if (r == 0) return Io::kEof;
      if (errno == EINTR) continue;
      return (errno == EAGAIN || errno == EWOULDBLOCK) ? Io::kWantRead : Io::kError;
    }
  }

  Io SendSome(const char* p, size_t n, size_t* sent) override {
    for (;;) {
      // MSG_NOSIGNAL: a peer that vanished must not kill the process with SIGPIPE.
      ssize_t r = ::send(fd(), p, n, MSG_NOSIGNAL);
      if (r >= 0) {
        *sent = static_cast<size_t>(r);
        return Io::kOk;
      }
      if (errno == EINTR) continue;
      return (errno == EAGAIN || errno == EWOULDBLOCK) ? Io::kWantWrite : Io::kError;
    }
  }
};

// The socket is non-blocking, so every SSL_* call may ask to wait for readability or
// writability; the callers above turn that into deadline-bounded waits or parking.
class TlsConnection final : public Connection {
 public:
  TlsConnection(Engine* engine, int fd, std::string peer_ip, int peer_port, Clock::time_point now,
                SSL* ssl)
      : Connection(engine, fd, std::move(peer_ip), peer_port, now), ssl_(ssl) {}

  ~TlsConnection() override {
    // Best-effort close_notify; never after a fatal error (OpenSSL forbids it) and never
    // waiting for the peer's reply.
    if (handshaken_ && !fatal_) {
      ERR_clear_error();
      SSL_shutdown(ssl_);
    }
    SSL_free(ssl_);
    ERR_clear_error();
  }

  Io Handshake() override {
    ERR_clear_error();
    int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      handshaken_ = true;
      return Io::kOk;
    }
    return Classify(r);
  }

  bool Pending() const override { return SSL_pending(ssl_) > 0; }
  const SSL* ssl() const override { return ssl_; }

 protected:
  Io RecvSome(char* p, size_t n, size_t* got) override {
    ERR_clear_error();
    int r = SSL_read(ssl_, p, static_cast<int>(std::min<size_t>(n, INT_MAX)));
    if (r > 0) {
      *got = static_cast<size_t>(r);
      return Io::kOk;
    }
    return Classify(r);
  }

  Io SendSome(const char* p, size_t n, size_t* sent) override {
    ERR_clear_error();
    int r = SSL_write(ssl_, p, static_cast<int>(std::min<size_t>(n, INT_MAX)));
    if (r > 0) {
      *sent = static_cast<size_t>(r);
      return Io::kOk;
    }
    return Classify(r);
  }

 private:
  Io Classify(int r) {
    switch (SSL_get_error(ssl_, r)) {
      case SSL_ERROR_WANT_READ:
        return Io::kWantRead;
      case SSL_ERROR_WANT_WRITE:
        return Io::kWantWrite;
      case SSL_ERROR_ZERO_RETURN:
        return Io::kEof;  // clean close_notify from the peer
      default:
        fatal_ = true;
        set_broken();
        ERR_clear_error();
        return Io::kError;
    }
  }

  SSL* const ssl_;
  bool handshaken_ = false;
  bool fatal_ = false;
};

EngineOptions Normalize(EngineOptions o) {
  using std::chrono::milliseconds;
  o.worker_threads = std::max(1, o.worker_threads);
  o.max_connections = std::max(1, o.max_connections);
  o.max_connections_per_address = std::max(1, o.max_connections_per_address);
  o.body_timeout = std::max(o.body_timeout, milliseconds(1));
  o.min_body_rate = std::max<size_t>(o.min_body_rate, 1);
  o.header_timeout = std::max(o.header_timeout, milliseconds(1));
  o.read_timeout = std::max(o.read_timeout, milliseconds(1));
  o.write_timeout = std::max(o.write_timeout, milliseconds(1));
  o.keep_alive_idle = std::max(o.keep_alive_idle, milliseconds(1));
  o.max_header_bytes = std::max<size_t>(o.max_header_bytes, 256);
  o.max_requests_per_connection = std::max<size_t>(o.max_requests_per_connection, 1);
  return o;
}

// OpenSSL's default would prompt on the terminal for an encrypted key and hang the server.
int NoPassphrase(char*, int, int, void*) { return 0; }

}  // namespace

Engine::Engine(EngineOptions opts) : opts_(Normalize(std::move(opts))) {
  // Only the advertised "Keep-Alive: timeout=, max=" header uses these; the engine enforces them.
  keep_alive_max_count_ = opts_.max_requests_per_connection;
  keep_alive_timeout_sec_ = std::max<time_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(opts_.keep_alive_idle).count());
  // Deadlines are checked by a periodic sweep; its period bounds how late a check can be.
  sweep_interval_ = std::clamp(std::min(opts_.header_timeout, opts_.keep_alive_idle) / 8,
                               std::chrono::milliseconds(10), std::chrono::milliseconds(500));
}

Engine::~Engine() {
  Stop();
  // Run() never ran (or never got past its checks): nothing else will release these.
  for (auto& [id, c] : conns_) delete c;
  conns_.clear();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (conn_epoll_fd_ >= 0) ::close(conn_epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
}

namespace {

// A fresh server context from the files: TLS 1.2+, AEAD suites with forward secrecy only. Null
// (and *err set) on any failure; OpenSSL's error queue is cleared, never surfaced (it can quote
// the offending input).
SSL_CTX* NewServerContext(const std::string& cert_file, const std::string& key_file,
                          util::Status* err) {
  SSL_CTX* ctx = nullptr;
  auto fail = [&](std::string code, std::string message) -> SSL_CTX* {
    ERR_clear_error();
    if (ctx != nullptr) SSL_CTX_free(ctx);
    *err = util::Status(util::Code::kInvalid, std::move(code), std::move(message));
    return nullptr;
  };
  ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return fail("tls_init", "cannot create a TLS context");
  SSL_CTX_set_default_passwd_cb(ctx, NoPassphrase);
  // TLS 1.0/1.1 lack AEAD suites and are deprecated (RFC 8996). Compression enables CRIME;
  // renegotiation is a DoS and injection vector; server preference keeps the order below;
  // stateless tickets would reuse one never-rotated key for the process lifetime.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return fail("tls_init", "cannot restrict TLS versions");
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  // Forward secrecy and AEAD only for TLS 1.2; TLS 1.3 suites are all AEAD with (EC)DHE.
  if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1 ||
      SSL_CTX_set_ciphersuites(
          ctx, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256") != 1) {
    return fail("tls_init", "cannot configure TLS cipher suites");
  }
  // Release per-connection record buffers while idle: parked TLS connections stay cheap.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return fail("tls_certificate", "cannot load the TLS certificate chain (tls_cert_file)");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail("tls_key", "cannot load the TLS private key (tls_key_file)");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail("tls_key", "the TLS private key does not match the certificate");
  }
  ERR_clear_error();
  return ctx;
}

}  // namespace

util::Status Engine::LoadTls() {
  util::Status err;
  SSL_CTX* ctx = NewServerContext(opts_.tls_cert_file, opts_.tls_key_file, &err);
  if (ctx == nullptr) return err;
  std::lock_guard lock(tls_mu_);
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  ssl_ctx_ = ctx;
  return util::Status::Ok();
}

util::Status Engine::ReloadTls() {
  if (!tls()) return util::Status::Invalid("tls_config", "this server does not serve TLS");
  // Built completely before the swap: a bad new certificate or key leaves the old one serving.
  // Connections already open keep the context they were made with (SSL objects hold a reference).
  return LoadTls();
}

util::Status Engine::Listen(const std::string& host, int port) {
  if (listen_fd_ >= 0) return util::Status::Invalid("already_listening", "Listen() called twice");
  if (opts_.tls_cert_file.empty() != opts_.tls_key_file.empty()) {
    return util::Status::Invalid("tls_config", "set both tls_cert_file and tls_key_file, or none");
  }
  if (port < 0 || port > 65535) return util::Status::Invalid("bad_port", "port out of range");
  if (tls()) {
    util::Status st = LoadTls();
    if (!st.ok()) return st;
  }

  std::string literal = host;
  if (literal.size() >= 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, literal.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, literal.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in6);
  } else {
    return util::Status::Invalid("bad_listen_address",
                                 "listen host must be an IPv4 or IPv6 address literal");
  }

  auto fail = [this, &host, port](const char* what) {
    std::string message = std::string("cannot ") + what + " " + host + " port " +
                          std::to_string(port) + ": " + std::strerror(errno);
    for (int* fd : {&listen_fd_, &epoll_fd_, &conn_epoll_fd_, &wake_fd_}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
    return util::Status(util::Code::kUnavailable, "listen_failed", message);
  };
  listen_fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return fail("create a socket for");
  int yes = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail("bind");
  if (::listen(listen_fd_, 4096) != 0) return fail("listen on");
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  if (getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
    return fail("inspect");
  }
  IpString(bound, &port_);

  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return fail("create epoll for");
  conn_epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (conn_epoll_fd_ < 0) return fail("create epoll for");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return fail("create eventfd for");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &listen_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) return fail("watch");
  ev.data.ptr = &wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) return fail("watch");
  // httplib aborts streamed (content-provider) responses while svr_sock_ is INVALID_SOCKET, its
  // "shutting down" signal; we own the socket, so mirror it there. Stop() clears it again.
  svr_sock_ = listen_fd_;
  return util::Status::Ok();
}

void Engine::Run() {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    if (running_ || stopping_.load() || listen_fd_ < 0 || epoll_fd_ < 0) return;
    running_ = true;
  }
  // Enough runnable workers to keep every core busy while some are between syscalls.
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  active_limit_ = std::min(opts_.worker_threads, static_cast<int>(std::max(4u, 2 * cores)));
  {
    std::lock_guard<std::mutex> lock(gate_mu_);
    free_slots_ = active_limit_;
    gate_open_ = false;
  }
  slots_ = std::make_unique<WorkerSlot[]>(static_cast<size_t>(opts_.worker_threads));
  workers_.reserve(static_cast<size_t>(opts_.worker_threads));
  for (int i = 0; i < opts_.worker_threads; ++i) {
    workers_.emplace_back([this, slot = &slots_[i]] { WorkerMain(slot); });
  }

  epoll_event events[2];
  auto next_sweep = Clock::now() + sweep_interval_;
  Clock::time_point drain_deadline = Clock::time_point::max();
  while (!stopping_.load()) {
    if (drain_deadline == Clock::time_point::max() && drain_requested_ms_.load() >= 0) {
      auto now = Clock::now();
      drain_deadline = now + std::chrono::milliseconds(drain_requested_ms_.load());
      BeginDrain(now);
    }
    if (drain_deadline != Clock::time_point::max()) {
      std::lock_guard<std::mutex> lock(conns_mu_);
      if (drain_waiting_ == 0 || Clock::now() >= drain_deadline) break;
    }
    // While any worker is serving, wake every kStallCheck to hand stalled slots on. Otherwise
    // sleep until the sweep; a worker that makes every slot busy sets wake_fd_ (Dekker-style
    // with monitor_asleep_, so one of the two always notices the other).
    Clock::time_point until = std::min(next_sweep, drain_deadline);
    monitor_asleep_.store(true);
    if (serving_.load() > 0) {
      monitor_asleep_.store(false);
      until = std::min(until, Clock::now() + kStallCheck);
    }
    int n = epoll_wait(epoll_fd_, events, 2, MillisUntil(until));
    monitor_asleep_.store(false);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == &listen_fd_) {
        AcceptReady();
      } else if (events[i].data.ptr == &wake_fd_ && !stopping_.load()) {
        // Stop(), Drain(), a worker wanting stall checks, or the last drained connection.
        uint64_t count;
        while (::read(wake_fd_, &count, sizeof(count)) > 0) {
        }
      }
    }
    auto now = Clock::now();
    if (serving_.load() > 0) CheckStalls(now);
    if (now >= next_sweep) {
      Sweep(now);
      next_sweep = now + sweep_interval_;
    }
  }
  Shutdown();
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    running_ = false;
  }
  run_cv_.notify_all();
}

void Engine::Stop() {
  stopping_.store(true);
  svr_sock_ = INVALID_SOCKET;  // streamed responses in flight end now
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof(one));
    (void)ignored;  // the counter can only be full if a wake-up is already pending
  }
  // A handler calling Stop() must not wait for the pool it runs on.
  if (tl_worker_of == this) return;
  std::unique_lock<std::mutex> lock(run_mu_);
  run_cv_.wait(lock, [this] { return !running_; });
}

void Engine::Drain(std::chrono::milliseconds timeout) {
  int64_t none = -1;
  drain_requested_ms_.compare_exchange_strong(none, std::max<int64_t>(0, timeout.count()));
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof(one));
    (void)ignored;
  }
}

void Engine::BeginDrain(Clock::time_point now) {
  // From here on every request whose head began after `now` is refused (Serve), no connection
  // without a complete head is parked again (Park), and every response closes its connection.
  drain_started_ns_.store(std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count()));
  std::lock_guard<std::mutex> lock(conns_mu_);
  for (auto& [id, c] : conns_) {
    if (c->parked_ && !c->framed_) {
      // Idle between requests, or only part of a head: nothing in flight. Shut down so the
      // worker that takes its hang-up closes it (this thread must not free it, see Sweep).
      ::shutdown(c->fd_, SHUT_RDWR);
      c->expired_ = true;
      c->deadline_ = now + kLostWakeGrace;
    } else {
      // A body still arriving (parked, framed) or owned by a worker: served to the end.
      c->drain_wait_ = true;
      ++drain_waiting_;
    }
  }
}

bool Engine::BeganDuringDrain(const Connection* c) const {
  int64_t since = drain_started_ns_.load();
  return since != 0 &&
         std::chrono::duration_cast<std::chrono::nanoseconds>(c->request_start_.time_since_epoch())
                 .count() >= since;
}

void Engine::AcceptReady() {
  auto now = Clock::now();
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop watching the listener (it would stay readable and spin
        // this loop) until the sweep after the back-off re-arms it.
        epoll_event ev{};
        ev.data.ptr = &listen_fd_;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
        accept_paused_until_ = now + kAcceptBackoff;
      }
      return;
    }
    int peer_port = -1;
    std::string peer_ip = IpString(ss, &peer_port);
    {
      // Only this thread adds connections, so the counts checked here can only fall before
      // the insert below.
      std::lock_guard<std::mutex> lock(conns_mu_);
      auto it = per_address_.find(peer_ip);
      if (conns_.size() >= static_cast<size_t>(opts_.max_connections) ||
          (it != per_address_.end() && it->second >= opts_.max_connections_per_address)) {
        ::close(fd);
        continue;
      }
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Connection* c = nullptr;
    try {
      SSL* ssl = nullptr;
      bool use_tls = false;
      {
        std::lock_guard lock(tls_mu_);
        use_tls = ssl_ctx_ != nullptr;
        if (use_tls) ssl = SSL_new(ssl_ctx_);
      }
      if (use_tls) {
        if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
          if (ssl != nullptr) SSL_free(ssl);
          ERR_clear_error();
          ::close(fd);
          continue;
        }
        SSL_set_accept_state(ssl);
        c = new TlsConnection(this, fd, std::move(peer_ip), peer_port, now, ssl);
      } else {
        c = new PlainConnection(this, fd, std::move(peer_ip), peer_port, now);
      }
    } catch (...) {
      ::close(fd);  // allocation failure: drop this client, keep serving the rest
      continue;
    }
    // Registered under the lock: a worker may receive its first event at once and must find
    // it parked and in conns_.
    std::lock_guard<std::mutex> lock(conns_mu_);
    c->id_ = next_connection_id_++;
    conns_.emplace(c->id_, c);
    ++per_address_[c->peer_ip_];
    c->parked_ = true;
    c->deadline_ = now + opts_.header_timeout;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = c->id_;
    if (epoll_ctl(conn_epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      conns_.erase(c->id_);
      ForgetAddress(c->peer_ip_);
      delete c;
    }
  }
}

void Engine::Sweep(Clock::time_point now) {
  int rearmed = 0;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    for (auto& [id, c] : conns_) {
      if (!c->parked_ || c->deadline_ > now) continue;
      if (!c->expired_) {
        // Expired while parked. Its event may already be on its way to a worker, so this
        // thread must not free it; shutting the socket down makes it report readable/hang-up,
        // and whichever worker takes it reads EOF and closes it.
        ::shutdown(c->fd_, SHUT_RDWR);
        c->expired_ = true;
      } else {
        // Shut down a grace ago and still parked: the hang-up never reached a worker, so the
        // connection would stay open for good. Arm it again (added back if its registration
        // is gone). Safe even if the first event is only late: events name ids, and a worker
        // takes a connection only while it is parked, so a second event finds nothing to take.
        ArmParked(c);
        ++rearmed;
      }
      c->deadline_ = now + kLostWakeGrace;
    }
  }
  if (rearmed > 0) {
    lost_wakeups_.fetch_add(static_cast<uint64_t>(rearmed), std::memory_order_relaxed);
    util::log::Warn("http.lost_wakeup").Num("connections", rearmed);
  }
  if (accept_paused_until_ != Clock::time_point{} && now >= accept_paused_until_) {
    accept_paused_until_ = {};
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &listen_fd_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
  }
}

size_t Engine::open_connections() {
  std::lock_guard<std::mutex> lock(conns_mu_);
  return conns_.size();
}

void Engine::ArmParked(Connection* c) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLONESHOT;
  ev.data.u64 = c->id_;
  if (epoll_ctl(conn_epoll_fd_, EPOLL_CTL_MOD, c->fd_, &ev) != 0 && errno == ENOENT) {
    epoll_ctl(conn_epoll_fd_, EPOLL_CTL_ADD, c->fd_, &ev);
  }
}

void Engine::CheckStalls(Clock::time_point now) {
  const int64_t cutoff =
      std::chrono::duration_cast<std::chrono::nanoseconds>((now - kStall).time_since_epoch())
          .count();
  int released = 0;
  {
    std::lock_guard<std::mutex> lock(gate_mu_);
    for (int i = 0; i < opts_.worker_threads; ++i) {
      WorkerSlot& w = slots_[i];
      int64_t since = w.serving_since.load();
      if (w.has_slot.load() && since != 0 && since < cutoff) {
        w.has_slot.store(false);
        ++free_slots_;
        ++released;
      }
    }
  }
  for (int i = 0; i < released; ++i) gate_cv_.notify_one();
}

void Engine::WorkerMain(WorkerSlot* me) {
  tl_worker_of = this;
  tl_serving_since = &me->serving_since;
  for (;;) {
    if (!me->has_slot.load()) {
      std::unique_lock<std::mutex> lock(gate_mu_);
      gate_cv_.wait(lock, [this] { return free_slots_ > 0 || gate_open_; });
      if (!gate_open_) {
        --free_slots_;
        me->has_slot.store(true);
      }
    }
    epoll_event ev{};
    idle_workers_.fetch_add(1, std::memory_order_relaxed);
    // One event per call: a worker must not sit on ready connections while it runs a handler.
    int n = epoll_wait(conn_epoll_fd_, &ev, 1, -1);
    idle_workers_.fetch_sub(1, std::memory_order_relaxed);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    if (ev.data.u64 == kWakeEvent) break;  // Shutdown(): every connection is closed
    Connection* c = nullptr;
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      auto it = conns_.find(ev.data.u64);
      // An event for a connection already closed, or already taken by another worker (the
      // sweep armed it again, see Sweep), is stale: there is nothing to take.
      if (it == conns_.end() || !it->second->parked_) continue;
      c = it->second;
      c->parked_ = false;  // ONESHOT disarmed it; it is this worker's until parked again
    }
    me->serving_since.store(NowNs());
    if (serving_.fetch_add(1) + 1 >= active_limit_ && monitor_asleep_.load()) {
      uint64_t one = 1;  // every slot may now be busy: get the stall checks going
      ssize_t ignored = ::write(wake_fd_, &one, sizeof(one));
      (void)ignored;
    }
    Serve(c);
    serving_.fetch_sub(1);
    me->serving_since.store(0);
  }
  tl_serving_since = nullptr;
  tl_worker_of = nullptr;
}

void Engine::Serve(Connection* c) {
  try {
    bool served = false;
    for (;;) {
      if (stopping_.load(std::memory_order_relaxed)) break;
      if (!c->handshake_done_) {
        Io r = c->Handshake();
        if (r == Io::kOk) {
          c->handshake_done_ = true;
        } else if (r == Io::kWantRead || r == Io::kWantWrite) {
          if (Park(c, r == Io::kWantRead ? Wake::kReadable : Wake::kWritable,
                   c->accepted_ + opts_.header_timeout)) {
            return;
          }
          break;
        } else {
          break;
        }
      }
      const bool complete = c->HeadComplete();
      if (complete && c->head_bytes_ <= opts_.max_header_bytes) {
        if (!c->framed_) {
          Refusal refusal = BeganDuringDrain(c) ? Refusal{503, "shutting_down",
                                                          "the server is shutting down; retry "
                                                          "shortly"}
                                                : Frame(c);
          if (refusal.status != 0) {
            Refuse(c, refusal);
            break;
          }
        }
        if (c->Buffered() >= c->message_left_) {
          bool keep = false;
          if (!ServeBuffered(c, &keep) || !keep) break;
          served = true;
          continue;
        }
        if (c->budget_out_) {
          Refuse(c, {503, "busy", "the server is busy receiving other uploads; try again shortly"});
          break;
        }
        if (c->expect_continue_ && !c->sent_continue_) {
          static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
          if (!c->SendAll(kContinue, sizeof(kContinue) - 1)) break;
          c->sent_continue_ = true;
        }
      } else if (complete || c->Buffered() >= opts_.max_header_bytes) {
        bool keep = false;  // over the head limit: httplib answers and the connection ends
        ServeBuffered(c, &keep);
        break;
      }
      Io r = c->FillOnce();
      if (r == Io::kOk) continue;
      if (r == Io::kEof || r == Io::kError) break;
      // Plaintext OpenSSL already decrypted would never make the socket readable again, so a
      // TLS connection with any must not be parked. (SSL_read only asks for more input once
      // it has none, so this cannot spin.)
      if (c->Pending()) continue;
      Wake wake = r == Io::kWantWrite ? Wake::kWritable : Wake::kReadable;
      if (c->framed_) {  // part of a body: wait for the rest without holding a thread
        Clock::time_point deadline = BodyDeadline(c);
        if (Clock::now() >= deadline) {
          Refuse(c, {408, "body_timeout", "the request body arrived too slowly"});
          break;
        }
        if (Park(c, wake, deadline)) return;
        break;
      }
      if (c->Buffered() > 0) {  // part of a head: wait for the rest without holding a thread
        if (Clock::now() >= c->request_start_ + opts_.header_timeout) break;
        if (Park(c, wake, c->request_start_ + opts_.header_timeout)) return;
        break;
      }
      // Between requests. Under load the next one is usually microseconds away: waiting a
      // moment here is cheaper than parking and re-arming, but only while another worker is
      // idle to take whatever else becomes ready meanwhile.
      if (served && wake == Wake::kReadable && idle_workers_.load(std::memory_order_relaxed) > 0 &&
          WaitFd(c->fd_, POLLIN, Clock::now() + kLinger)) {
        served = false;  // linger at most once per request
        continue;
      }
      Clock::time_point deadline = c->requests_ == 0 ? c->accepted_ + opts_.header_timeout
                                                     : Clock::now() + opts_.keep_alive_idle;
      if (Park(c, wake, deadline)) return;
      break;
    }
  } catch (...) {
    // Nothing may escape a worker; the connection that caused it is simply dropped.
  }
  Close(c);
}

void Engine::CloseAfterResponse() { tl_close_after_response = true; }

namespace {

const char* StatusText(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

bool IsTchar(unsigned char ch) {
  return std::isalnum(ch) != 0 || std::strchr("!#$%&'*+-.^_`|~", ch) != nullptr;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view TrimOws(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

bool Engine::ScanHead(std::string_view buffered, size_t* scanned, size_t* head_bytes) {
  size_t from = *scanned >= 3 ? *scanned - 3 : 0;
  bool found = false;
  if (buffered.size() >= from + 4) {
    const void* end = memmem(buffered.data() + from, buffered.size() - from, "\r\n\r\n", 4);
    if (end != nullptr) {
      found = true;
      *head_bytes = static_cast<size_t>(static_cast<const char*>(end) - buffered.data()) + 4;
    }
  }
  *scanned = buffered.size();
  return found;
}

Engine::Refusal Engine::CheckHead(std::string_view head, size_t max_body, HeadFraming* out) {
  const Refusal bad{400, "bad_request", "the request is malformed"};
  // Line ends are CRLF only: a bare CR or LF is where two parsers could split lines apart.
  for (size_t i = 0; i < head.size(); ++i) {
    char ch = head[i];
    if (ch == '\0') return bad;
    if (ch == '\r' && (i + 1 >= head.size() || head[i + 1] != '\n')) return bad;
    if (ch == '\n' && (i == 0 || head[i - 1] != '\r')) return bad;
  }
  size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos || eol == 0) return bad;
  std::string_view method = head.substr(0, std::min(eol, head.find(' ')));
  size_t pos = eol + 2;
  int hosts = 0, lengths = 0, encodings = 0;
  std::string_view length, encoding;
  bool expect_continue = false;
  while (pos < head.size()) {
    eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) return bad;
    std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) break;  // the blank line ending the head
    // obs-fold (a line continuing the previous header) is refused, as RFC 9112 5.2 allows.
    if (line.front() == ' ' || line.front() == '\t') {
      return {400, "bad_request", "folded header lines are not accepted"};
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return bad;
    std::string_view name = line.substr(0, colon);
    // No whitespace (or anything else) between a field name and its colon (RFC 9112 5.1).
    for (char ch : name) {
      if (!IsTchar(static_cast<unsigned char>(ch))) {
        return {400, "bad_request", "a header name is malformed"};
      }
    }
    std::string_view value = TrimOws(line.substr(colon + 1));
    if (IEquals(name, "Host")) {
      ++hosts;
    } else if (IEquals(name, "Content-Length")) {
      ++lengths;
      length = value;
    } else if (IEquals(name, "Transfer-Encoding")) {
      ++encodings;
      encoding = value;
    } else if (IEquals(name, "Expect")) {
      expect_continue = IEquals(value, "100-continue");
    }
  }
  if (hosts > 1) return {400, "bad_request", "more than one Host header"};
  if (lengths > 1) return {400, "bad_request", "more than one Content-Length header"};
  if (encodings > 1 || (encodings == 1 && !IEquals(encoding, "chunked"))) {
    return {400, "bad_request", "the only Transfer-Encoding accepted is a single \"chunked\""};
  }
  if (lengths == 1 && encodings == 1) {
    return {400, "bad_request", "Content-Length and Transfer-Encoding together"};
  }
  uint64_t body = 0;
  if (lengths == 1) {
    if (length.empty() || length.size() > 19 ||
        length.find_first_not_of("0123456789") != std::string_view::npos) {
      return {400, "bad_request", "Content-Length must be a whole number"};
    }
    body = std::stoull(std::string(length));
  }
  const bool bodiless = method == "GET" || method == "HEAD" || method == "OPTIONS" ||
                        method == "TRACE" || method == "CONNECT";
  if (bodiless && (body > 0 || encodings > 0)) {
    return {400, "bad_request", "this method takes no request body"};
  }
  if (encodings > 0) {
    return {411, "length_required", "chunked request bodies are not accepted; send Content-Length"};
  }
  if (body > max_body) return {413, "payload_too_large", "the request body is too large"};
  out->body_bytes = static_cast<size_t>(body);
  out->expect_continue = expect_continue && body > 0;
  return {};
}

Engine::Refusal Engine::Frame(Connection* c) {
  std::string_view head(c->buf_.get() + c->rpos_, c->head_bytes_);
  HeadFraming framing;
  Refusal r = CheckHead(head, payload_max_length_, &framing);
  if (r.status != 0) return r;
  c->framed_ = true;
  c->message_left_ = c->head_bytes_ + framing.body_bytes;
  c->expect_continue_ = framing.expect_continue;
  c->sent_continue_ = false;
  c->budget_out_ = false;
  c->body_start_ = c->last_progress_ = Clock::now();
  return {};
}

Clock::time_point Engine::BodyDeadline(const Connection* c) const {
  // The body must keep up an average of min_body_rate after a grace of body_timeout, and never
  // pause longer than read_timeout: a trickle ends however much it already sent.
  size_t have = c->Buffered() > c->head_bytes_ ? c->Buffered() - c->head_bytes_ : 0;
  auto earned = std::chrono::milliseconds(
      static_cast<int64_t>(have * 1000 / std::max<size_t>(1, opts_.min_body_rate)));
  return std::min(c->body_start_ + opts_.body_timeout + earned,
                  c->last_progress_ + opts_.read_timeout);
}

std::string Engine::RefusalResponse(const Refusal& r, const httplib::Headers& default_headers) {
  // Serialised, not pasted: a message may hold quotes ("chunked").
  std::string body = nlohmann::json{{"error", {{"code", r.code}, {"message", r.message}}}}.dump();
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + StatusText(r.status) + "\r\n";
  for (const auto& [name, value] : default_headers) out += name + ": " + value + "\r\n";
  if (r.status == 503) out += "Retry-After: 10\r\n";
  out += "Content-Type: application/json\r\nCache-Control: no-store\r\nConnection: close\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return out;
}

void Engine::Refuse(Connection* c, const Refusal& r) {
  std::string out = RefusalResponse(r, default_headers_copy_);
  c->out_.clear();
  if (c->SendAll(out.data(), out.size())) {
    // Half-close and let the client read the answer before the socket goes away.
    ::shutdown(c->fd_, SHUT_WR);
  }
}

bool Engine::ChargeBody(size_t bytes) {
  size_t used = body_bytes_.load();
  do {
    if (used + bytes > opts_.body_memory_budget) return false;
  } while (!body_bytes_.compare_exchange_weak(used, used + bytes));
  return true;
}

void Engine::UnchargeBody(size_t bytes) { body_bytes_.fetch_sub(bytes); }

void Engine::ForgetAddress(const std::string& ip) {
  auto it = per_address_.find(ip);
  if (it != per_address_.end() && --it->second <= 0) per_address_.erase(it);
}

bool Engine::ServeBuffered(Connection* c, bool* keep) {
  if (tl_serving_since != nullptr) tl_serving_since->store(NowNs());
  c->BeginRequest();
  ++c->requests_;
  const bool close_connection = stopping_.load(std::memory_order_relaxed) || draining() ||
                                c->requests_ >= opts_.max_requests_per_connection;
  bool connection_closed = false;
  // Captures two pointers, so std::function stores it inline: no allocation per request.
  const std::function<void(httplib::Request&)> setup = [this, c](httplib::Request& req) {
    c->header_phase_ = false;
    c->setup_ran_ = true;
    // httplib inserted the socket's addresses as headers *after* the client's, and
    // get_header_value() returns the first: drop every copy and put back only the truth.
    req.remote_addr = c->peer_ip_;
    req.remote_port = c->peer_port_;
    c->get_local_ip_and_port(req.local_addr, req.local_port);
    for (const char* name : {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"}) {
      req.headers.erase(name);
    }
    req.headers.emplace("REMOTE_ADDR", req.remote_addr);
    req.headers.emplace("REMOTE_PORT", std::to_string(req.remote_port));
    req.headers.emplace("LOCAL_ADDR", req.local_addr);
    req.headers.emplace("LOCAL_PORT", std::to_string(req.local_port));
    req.ssl = c->ssl();
    if (user_setup_) user_setup_(req);
  };
  tl_close_after_response = false;
  bool ok = process_request(*c, close_connection, connection_closed, setup);
  ok = c->Flush() && ok;
  if (tl_close_after_response) connection_closed = true;
  tl_close_after_response = false;
  // A request httplib rejected before its headers were complete (400/414/416, a header
  // limit or timeout) leaves the stream mid-request: never parse what follows as a request.
  *keep = ok && c->setup_ran_ && !connection_closed && !close_connection;
  c->EndRequest();
  return ok;
}

bool Engine::Park(Connection* c, Wake wake, Clock::time_point deadline) {
  c->ReleaseIdleBuffers();
  // Re-armed under the lock the next owner takes first (WorkerMain, Sweep, Shutdown), so all
  // our writes happen-before its reads even to tools that do not model epoll as a handover.
  std::lock_guard<std::mutex> lock(conns_mu_);
  // Either Shutdown() already shut every socket down and this sees stopping_ (the caller
  // closes the connection), or it will shut this one down once parked, which wakes a worker
  // to close it.
  if (stopping_.load()) return false;
  // Draining: a connection that was idle or had only part of a head when the drain began has
  // nothing in flight and is closed; one that began since is kept until its 503 is written.
  if (draining() && !c->framed_ && !BeganDuringDrain(c)) return false;
  c->deadline_ = deadline;
  c->parked_ = true;
  epoll_event ev{};
  ev.events = (wake == Wake::kReadable ? EPOLLIN : EPOLLOUT) | EPOLLONESHOT;
  ev.data.u64 = c->id_;
  if (epoll_ctl(conn_epoll_fd_, EPOLL_CTL_MOD, c->fd_, &ev) == 0) return true;
  c->parked_ = false;
  return false;
}

void Engine::Close(Connection* c) {
  bool drained = false;
  {
    std::lock_guard<std::mutex> lock(conns_mu_);
    conns_.erase(c->id_);
    ForgetAddress(c->peer_ip_);
    drained = conns_.empty() && stopping_.load();
    if (c->drain_wait_ && --drain_waiting_ == 0) {
      uint64_t one = 1;  // the last request in flight is done: Run() may finish the drain
      ssize_t ignored = ::write(wake_fd_, &one, sizeof(one));
      (void)ignored;
    }
  }
  delete c;  // closes the fd, which also removes it from conn_epoll_fd_
  if (drained) drained_cv_.notify_all();
}

void Engine::Shutdown() {
  stopping_.store(true);
  svr_sock_ = INVALID_SOCKET;  // streamed responses still in flight (a drain timed out) end now
  {
    // Workers own all closing: shut every socket down (parked ones then report hang-up to a
    // worker, busy ones fail their next read or write) and wait until they have all closed.
    // Safe under the lock: a connection's fd is closed only after it has left conns_.
    {
      std::lock_guard<std::mutex> lock(gate_mu_);
      gate_open_ = true;  // reserve workers help, and a stalled slot needs no monitor now
    }
    gate_cv_.notify_all();
    std::unique_lock<std::mutex> lock(conns_mu_);
    for (auto& [id, c] : conns_) ::shutdown(c->fd_, SHUT_RDWR);
    // A parked connection whose hang-up is lost would keep this waiting for ever: arm again
    // whatever is still parked after each grace (see Sweep).
    while (!drained_cv_.wait_for(lock, kLostWakeGrace, [this] { return conns_.empty(); })) {
      for (auto& [id, c] : conns_) {
        if (c->parked_) ArmParked(c);
      }
    }
  }
  // Now release the workers: the eventfd is readable (level-triggered) for every one of them.
  uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof(one));
  (void)ignored;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeEvent;
  epoll_ctl(conn_epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  if (listen_fd_ >= 0) {
    svr_sock_ = INVALID_SOCKET;
    ::close(listen_fd_);  // free the port as soon as Run() returns
    listen_fd_ = -1;
  }
}

}  // namespace bomvault::http
