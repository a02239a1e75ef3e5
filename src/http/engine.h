// Engine: the connection layer of the HTTP server; httplib only parses, routes and writes.
//
// httplib 0.11.4's own listen loop pins one pool thread per keep-alive connection, never limits
// the number of request headers, lets a client header named REMOTE_ADDR shadow the real peer
// address, and its CPPHTTPLIB_* tuning macros are dead because Debian ships it precompiled. The
// Engine therefore owns the sockets. One thread accepts and sweeps deadlines; every connection
// with nothing complete to process is parked in an epoll set with EPOLLONESHOT, and a fixed pool
// of workers waits on that set, so the kernel hands each ready connection to one worker. The
// worker buffers what arrived and, once a full request (head and body) is in memory, runs httplib's
// protected Server::process_request() on a Stream of our own; between requests it lingers ~2 ms
// for the next one before parking the connection again. Only about 2x cores workers take
// connections at a time (fewer context switches); one stuck in a request for 10 ms hands its
// turn to a reserve worker, so handlers blocking on the database or Argon2 still get all
// worker_threads. Routes, pre-routing and exception handlers are registered on the Engine
// exactly as on httplib::Server; the engine installs none of them itself.
//
// Invariants:
//  * An idle or slow connection costs no thread: a worker only holds a connection while a whole
//    request is in memory (or its head is over the limit), while it runs the handler and writes
//    the response, and for the short linger after it. Slow heads and slow bodies are parked.
//  * A request line plus headers never occupies more than max(max_header_bytes, 16 KiB) bytes of
//    engine memory and must arrive within header_timeout, however many headers are sent.
//  * req.remote_addr/remote_port and the REMOTE_ADDR/REMOTE_PORT/LOCAL_ADDR/LOCAL_PORT headers
//    always describe the socket; copies sent by the client are erased before any handler runs.
//    IPv4-mapped IPv6 peers are reported in dotted IPv4 form so per-address policies see one key.
//  * At most max_connections sockets are open; the excess is accepted and closed at once.
//  * No exception escapes a worker: a request that throws past httplib closes its connection.
//  * The engine frames every request itself before httplib sees it (CheckHead): a head that two
//    parsers could read differently is refused with 400 and the connection closed. The whole
//    message (head plus Content-Length body, at most set_payload_max_length()) is buffered
//    without a thread, under a deadline and minimum rate (body_timeout, min_body_rate) and a
//    process-wide memory budget; httplib then reads exactly that message from memory and sees
//    the end of the stream after it, so nothing is ever read "until the connection closes", and
//    the next request starts exactly after the body whether or not a route read it.
//  * At most max_connections_per_address sockets per peer address.
//  * Every parked connection is closed within about its deadline plus two sweeps and a second:
//    the sweep shuts it down at the deadline, and if no worker has taken its hang-up a second
//    later (a lost wake-up, which should never happen), arms it again and logs it.
//
// Thread-safety: configure (routes, SetRequestSetup, httplib setters) before Listen(); Listen()
// then Run() are called once each, typically from one thread. Handlers run concurrently on up to
// worker_threads workers. Stop() may be called from any thread, including a handler (then it does
// not wait for the workers); it is not async-signal-safe, so call it from a signal-watching
// thread, not from a signal handler. Drain() is the graceful stop (SIGTERM): thread-safe, returns
// at once, and Run() returns once the requests in flight are answered (see Drain). The
// destructor stops and joins everything.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "util/status.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace bomvault::http {

struct EngineOptions {
  int worker_threads = 64;      // handlers may block on the database / Argon2
  int max_connections = 10000;  // beyond: accept and close at once
  // Open connections from one peer address; beyond: accept and close at once. Behind a proxy
  // every client shares the proxy's address, so the proxy must limit clients itself.
  int max_connections_per_address = 1250;
  // The whole request line + headers must arrive within this, counted from the accept for the
  // first request and from its first byte for later ones; also bounds the TLS handshake.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds read_timeout{10000};  // longest pause within a request body
  // A request body is buffered by the engine, without a thread, and must arrive within
  // body_timeout plus one second per min_body_rate bytes already received (an average rate).
  std::chrono::milliseconds body_timeout{10000};
  size_t min_body_rate = 32 * 1024;  // bytes per second
  // All request bodies being buffered together may hold at most this much memory; a body that
  // does not fit is refused with 503 and Retry-After.
  size_t body_memory_budget = size_t{1} << 30;
  std::chrono::milliseconds write_timeout{10000};  // per blocked write
  // Idle keep-alive connections are parked in epoll (no thread), and closed after this.
  std::chrono::milliseconds keep_alive_idle{30000};
  size_t max_header_bytes = 64 * 1024;  // request line + all headers
  size_t max_requests_per_connection = 10000;
  // Both set => HTTPS: TLS 1.2 and 1.3 only, ECDHE with AES-GCM/ChaCha20 for 1.2, no compression,
  // no renegotiation, no session tickets.
  std::string tls_cert_file, tls_key_file;
};

class Connection;  // engine.cc: one accepted socket, its buffers and (optionally) its TLS state.

class Engine : public httplib::Server {
 public:
  explicit Engine(EngineOptions opts);
  ~Engine() override;

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Binds and listens (SO_REUSEADDR, non-blocking) on an IPv4 or IPv6 literal ("127.0.0.1",
  // "::1", "[::1]", "0.0.0.0", "::"); port 0 picks a free port, see port(). Loads the TLS
  // certificate and key when configured. Call once, before Run().
  util::Status Listen(const std::string& host, int port);
  int port() const { return port_; }
  bool tls() const { return !opts_.tls_cert_file.empty() && !opts_.tls_key_file.empty(); }
  // Thread-safe (SIGHUP): reads the certificate and key files again and serves new connections
  // with them. On any error the running certificate keeps serving and the error is returned;
  // open connections are never dropped. The listener is untouched.
  util::Status ReloadTls();

  // Runs the accept/epoll loop on the calling thread and the worker pool; returns after Stop(),
  // once every connection is closed and every worker joined. Returns at once if Listen() did not
  // succeed or Stop() came first.
  void Run();

  // Thread-safe: wakes Run(), which closes all connections and joins the workers. Blocks until
  // that is done unless called from a worker (a handler) or while Run() is not running.
  void Stop();

  // Thread-safe, returns at once: the graceful stop. From now on a request whose head began
  // after this call is answered 503 "shutting_down" with Connection: close (probes included, so
  // readiness reads not-ready), idle keep-alive connections and ones with only part of a head
  // are closed, and each request already in flight (its head complete: its body still arriving,
  // its handler running or its response being written) is served to the end, its response
  // saying Connection: close. Run() then returns as after Stop(); if requests are still in
  // flight after `timeout`, their sockets are cut (a handler still running finishes first: the
  // workers are joined). The listener stays open meanwhile so clients get the 503, not a reset.
  // A Stop() during the drain ends it at once.
  void Drain(std::chrono::milliseconds timeout);
  bool draining() const { return drain_started_ns_.load() != 0; }

  // Parked connections the sweep had to arm again because the hang-up it caused (at their
  // deadline) never reached a worker; each is also logged as "http.lost_wakeup". Expected 0.
  uint64_t lost_wakeups() const { return lost_wakeups_.load(); }
  // Open connections (accepted and not yet closed), for diagnostics. Thread-safe.
  size_t open_connections();

  // Runs after the engine's own setup (which fixes the peer address headers) for every request,
  // once its headers are parsed and before routing. Set before Run().
  void SetRequestSetup(std::function<void(httplib::Request&)> setup) {
    user_setup_ = std::move(setup);
  }

  // Called from a handler (or pre-routing handler): close the connection once this response is
  // written. Needed after refusing a request whose body was not read, so that body can never be
  // parsed as the next request. httplib 0.11.4 ignores a handler's "Connection: close".
  static void CloseAfterResponse();

  // As httplib's, and the engine's own refusals (see CheckHead) carry these headers too.
  Engine& set_default_headers(httplib::Headers headers) {
    default_headers_copy_ = headers;
    httplib::Server::set_default_headers(std::move(headers));
    return *this;
  }

  // A request the engine answers itself, before httplib sees it; status 0 = none.
  struct Refusal {
    int status = 0;
    const char* code = "";
    const char* message = "";
  };
  struct HeadFraming {
    size_t body_bytes = 0;
    bool expect_continue = false;
  };
  // The strict reading of a complete request head (request line to blank line, CRLFs
  // included), RFC 9112: CRLF line ends only; no obs-fold; header names are tokens (no space
  // before the colon); at most one Host and one Content-Length (digits only); Transfer-Encoding
  // only as a single "chunked", which is then refused with 411 (bodies need a length), and
  // never with Content-Length; no body on GET/HEAD/OPTIONS/TRACE/CONNECT; a body over
  // max_body is 413. Without Content-Length the body is empty (RFC 9112 6.3).
  static Refusal CheckHead(std::string_view head, size_t max_body, HeadFraming* out);
  // The whole answer to a refused request: status line, the default headers, a JSON error body
  // {"error":{"code","message"}}, Connection: close.
  static std::string RefusalResponse(const Refusal& refusal, const httplib::Headers& defaults);
  // Looks for the blank line ending a request head in `buffered` (a connection's bytes from the
  // start of the request), resuming where the previous call stopped (*scanned, 0 at first), so a
  // client dripping one byte at a time costs linear, not quadratic, work. True with *head_bytes
  // set (through the CRLFCRLF) once found; *scanned is then buffered.size().
  static bool ScanHead(std::string_view buffered, size_t* scanned, size_t* head_bytes);

 private:
  friend class Connection;

  // httplib's own loop must never run on an Engine: it would bypass every protection above.
  using httplib::Server::bind_to_any_port;
  using httplib::Server::bind_to_port;
  using httplib::Server::listen;
  using httplib::Server::listen_after_bind;
  using httplib::Server::stop;

  enum class Wake { kReadable, kWritable };

  // The run gate. Only active_limit_ workers (a small multiple of the cores) hold a slot to
  // take connections; the rest sleep in reserve. That keeps the runnable threads few, so under
  // load a worker finds the next ready connection without sleeping and waking. A slot held by a
  // worker stuck in one request for kStall (a database call, Argon2, a slow client) is revoked
  // by the epoll thread and handed to a reserve worker, so blocking handlers still get all
  // worker_threads. The stalled worker rejoins the reserve when it finishes.
  struct WorkerSlot {
    std::atomic<bool> has_slot{false};      // written under gate_mu_
    std::atomic<int64_t> serving_since{0};  // steady_clock ns while in Serve(), else 0
  };

  util::Status LoadTls();
  void AcceptReady();
  void Sweep(std::chrono::steady_clock::time_point now);
  void ArmParked(Connection* conn);  // under conns_mu_
  void WorkerMain(WorkerSlot* me);
  void CheckStalls(std::chrono::steady_clock::time_point now);
  void Serve(Connection* conn);
  bool ServeBuffered(Connection* conn, bool* keep);
  Refusal Frame(Connection* conn);
  std::chrono::steady_clock::time_point BodyDeadline(const Connection* conn) const;
  void Refuse(Connection* conn, const Refusal& refusal);
  bool ChargeBody(size_t bytes);
  void UnchargeBody(size_t bytes);
  void ForgetAddress(const std::string& ip);  // under conns_mu_
  bool Park(Connection* conn, Wake wake, std::chrono::steady_clock::time_point deadline);
  void Close(Connection* conn);
  void Shutdown();
  void BeginDrain(std::chrono::steady_clock::time_point now);
  bool BeganDuringDrain(const Connection* conn) const;

  const EngineOptions opts_;
  httplib::Headers default_headers_copy_;
  std::function<void(httplib::Request&)> user_setup_;
  std::mutex tls_mu_;
  SSL_CTX* ssl_ctx_ = nullptr;  // guarded by tls_mu_ once Run() started

  int listen_fd_ = -1;
  int epoll_fd_ = -1;  // the acceptor's: listen_fd_ and wake_fd_
  int wake_fd_ = -1;   // eventfd: Stop() -> Run(), then Run() -> workers
  int port_ = 0;
  std::chrono::milliseconds sweep_interval_{1000};
  std::chrono::steady_clock::time_point accept_paused_until_{};

  std::atomic<bool> stopping_{false};
  // Drain(): the requested timeout in ms (-1 = none requested); the steady-clock ns at which the
  // epoll thread began the drain (0 = not draining); connections that were in flight then and
  // are still open (guarded by conns_mu_ together with Connection::drain_wait_).
  std::atomic<int64_t> drain_requested_ms_{-1};
  std::atomic<int64_t> drain_started_ns_{0};
  int drain_waiting_ = 0;

  // Run() lifecycle, so Stop() can wait for the cleanup it requested.
  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool running_ = false;

  // Every open connection. Guards Connection::parked_/deadline_ so the sweep and Shutdown()
  // see a consistent state; a connection's fd is closed only after it left this set, so the
  // epoll thread may shutdown() any fd it finds here. drained_cv_ signals the set emptied.
  std::mutex conns_mu_;
  std::condition_variable drained_cv_;
  std::unordered_map<uint64_t, Connection*> conns_;   // by Connection::id_
  uint64_t next_connection_id_ = 1;                   // only the epoll thread accepts
  std::unordered_map<std::string, int> per_address_;  // open connections per peer address

  std::atomic<size_t> body_bytes_{0};  // buffer memory charged by bodies being received

  // Workers wait in epoll_wait on conn_epoll_fd_ themselves (one event each): the kernel hands a
  // ready connection straight to one sleeping worker, with no user-space queue and no second
  // wake-up. idle_workers_ counts those waiting, so a busy worker knows whether it may linger.
  int conn_epoll_fd_ = -1;
  std::atomic<int> idle_workers_{0};
  std::vector<std::thread> workers_;

  // The run gate (see WorkerSlot).
  int active_limit_ = 1;
  std::unique_ptr<WorkerSlot[]> slots_;
  std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  int free_slots_ = 0;           // guarded by gate_mu_
  bool gate_open_ = false;       // guarded by gate_mu_; Shutdown(): every worker helps drain
  std::atomic<int> serving_{0};  // workers inside Serve()
  std::atomic<bool> monitor_asleep_{false};  // epoll thread is in a long (sweep-only) wait
  std::atomic<uint64_t> lost_wakeups_{0};    // see lost_wakeups()
};

}  // namespace bomvault::http
