// Engine tests: each starts a real Engine on 127.0.0.1:0 and talks to it over raw sockets (so a
// test controls exactly which bytes arrive, and when) or httplib's clients. They reproduce the
// httplib 0.11.4 listen-loop flaws the Engine exists to fix: idle connections starving the pool,
// unbounded header counts, slow-drip heads, spoofed REMOTE_ADDR, plus TLS policy and shutdown.
// Only one assertion is about speed (a real request among 400 idle connections answers within
// 1 s, the acceptance criterion); other durations are reported with MESSAGE.
#include "http/engine.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bomvault::http {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t kHelloBytes = 2048;

int64_t ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

// Resident set size of this process in KiB (server and clients share it).
int64_t RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

// An Engine with the routes every test uses, running on its own thread.
class TestServer {
 public:
  explicit TestServer(EngineOptions opts = {}, bool tls_expected = false)
      : engine_(std::move(opts)) {
    engine_.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(kHelloBytes, 'h'), "text/plain");
    });
    engine_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "application/octet-stream");
    });
    engine_.Get("/addr", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.remote_addr + " " + req.get_header_value("REMOTE_ADDR") + " " +
                          std::to_string(req.get_header_value_count("REMOTE_ADDR")),
                      "text/plain");
    });
    engine_.Get("/throw", [](const httplib::Request&, httplib::Response&) {
      throw std::runtime_error("handler failure");
    });
    util::Status st = engine_.Listen("127.0.0.1", 0);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(engine_.tls() == tls_expected);
    thread_ = std::thread([this] { engine_.Run(); });
  }
  ~TestServer() {
    engine_.Stop();
    thread_.join();
  }

  Engine& engine() { return engine_; }
  int port() const { return engine_.port(); }

 private:
  Engine engine_;
  std::thread thread_;
};

// A blocking TCP client that sends exactly the bytes it is given.
class RawClient {
 public:
  explicit RawClient(int port, int family = AF_INET) {
    fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};  // no test may hang on a silent server
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (family == AF_INET6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(static_cast<uint16_t>(port));
      a.sin6_addr = in6addr_loopback;
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    }
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response framed by Content-Length; returns its status or -1 on EOF/error.
  int ReadResponse(std::string* body = nullptr, std::string* head = nullptr) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return -1;
    }
    std::string h = buf_.substr(0, end + 4);
    buf_.erase(0, end + 4);
    size_t length = 0;
    std::string lower = h;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (size_t p = lower.find("\r\ncontent-length:"); p != std::string::npos) {
      length = std::stoul(h.substr(p + 17));
    }
    while (buf_.size() < length) {
      if (!Fill()) return -1;
    }
    if (body != nullptr) *body = buf_.substr(0, length);
    if (head != nullptr) *head = h;
    buf_.erase(0, length);
    if (h.size() < 12 || h.compare(0, 5, "HTTP/") != 0) return -1;
    return std::stoi(h.substr(9, 3));
  }

  // True if the server closed (or reset) the connection within `wait`.
  bool ClosedWithin(milliseconds wait) {
    auto deadline = Clock::now() + wait;
    for (;;) {
      int left = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count()));
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) return false;
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof(tmp), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return true;
    }
  }

 private:
  bool Fill() {
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

constexpr std::string_view kGetHello = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";

TEST_CASE("engine: GET and 100 keep-alive requests on one connection") {
  TestServer server;
  RawClient client(server.port());
  REQUIRE(client.connected());
  for (int i = 0; i < 100; ++i) {
    REQUIRE(client.Send(kGetHello));
    std::string body;
    REQUIRE(client.ReadResponse(&body) == 200);
    REQUIRE(body == std::string(kHelloBytes, 'h'));
  }
  httplib::Client cli("127.0.0.1", server.port());
  auto res = cli.Get("/hello");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.size() == kHelloBytes);
}

TEST_CASE("engine: POST echo with Content-Length") {
  TestServer server;
  RawClient client(server.port());
  // Larger than the engine's 16 KiB read buffer, so the body is read across many refills.
  std::string payload(300 * 1024, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  REQUIRE(client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                      std::to_string(payload.size()) + "\r\n\r\n" + payload));
  std::string body;
  REQUIRE(client.ReadResponse(&body) == 200);
  CHECK(body == payload);

  httplib::Client cli("127.0.0.1", server.port());
  auto res = cli.Post("/echo", "ping", "text/plain");
  REQUIRE(res);
  CHECK(res->body == "ping");
}

TEST_CASE("engine: CheckHead refuses what two parsers could read differently") {
  auto check = [](std::string head) {
    Engine::HeadFraming f;
    Engine::Refusal r = Engine::CheckHead(head, 1000, &f);
    return std::make_pair(r.status, f.body_bytes);
  };
  using P = std::pair<int, size_t>;
  CHECK(check("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == P{0, 0});
  CHECK(check("POST / HTTP/1.1\r\nHost: a\r\n\r\n") == P{0, 0});  // no length: empty body
  CHECK(check("POST / HTTP/1.1\r\ncontent-length: 12\r\n\r\n") == P{0, 12});
  CHECK(check("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == P{0, 0});
  CHECK(check("POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n").first == 413);
  CHECK(check("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").first == 411);
  for (const char* bad : {
           "GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
           "HEAD / HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
           "OPTIONS / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 1\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
           "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
           "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
           "GET / HTTP/1.1\r\n: empty\r\n\r\n",
           "GET / HTTP/1.1\r\nno colon\r\n\r\n",
       }) {
    CAPTURE(bad);
    CHECK(check(bad).first == 400);
  }
}

TEST_CASE("engine: a POST without Content-Length has an empty body; what follows is a request") {
  TestServer server;
  RawClient client(server.port());
  REQUIRE(
      client.Send(std::string("POST /echo HTTP/1.1\r\nHost: t\r\n\r\n") + std::string(kGetHello)));
  std::string body = "x";
  REQUIRE(client.ReadResponse(&body) == 200);
  CHECK(body.empty());
  REQUIRE(client.ReadResponse(&body) == 200);
  CHECK(body.size() == kHelloBytes);
}

TEST_CASE("engine: a refused head is answered once and the connection closed") {
  TestServer server;
  RawClient client(server.port());
  REQUIRE(client.Send(std::string("GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: ") +
                      std::to_string(kGetHello.size()) + "\r\n\r\n" + std::string(kGetHello)));
  std::string body, head;
  CHECK(client.ReadResponse(&body, &head) == 400);
  CHECK(body.find("bad_request") != std::string::npos);
  CHECK(head.find("Connection: close") != std::string::npos);
  CHECK(client.ClosedWithin(milliseconds(2000)));
}

TEST_CASE("engine: a slow body waits parked and is cut off at its deadline") {
  EngineOptions opts;
  opts.worker_threads = 1;  // the slow body must not occupy the only worker
  opts.body_timeout = milliseconds(500);
  opts.read_timeout = milliseconds(5000);
  opts.min_body_rate = 1024 * 1024;  // far more than the drip
  TestServer server(opts);
  RawClient drip(server.port());
  REQUIRE(drip.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nab"));
  RawClient other(server.port());
  CHECK((other.Send(kGetHello) && other.ReadResponse() == 200));
  int status = 0;
  for (int i = 0; i < 50 && status == 0; ++i) {  // 5 s if never cut off
    std::this_thread::sleep_for(milliseconds(100));
    if (!drip.Send("c")) status = -1;
  }
  std::string body;
  if (status == 0) status = drip.ReadResponse(&body);
  MESSAGE("slow body ended with " << status);
  CHECK((status == 408 || status == -1));
}

TEST_CASE("engine: the body memory budget refuses what does not fit with 503") {
  EngineOptions opts;
  opts.body_memory_budget = 64 * 1024;
  TestServer server(opts);
  RawClient client(server.port());
  std::string payload(300 * 1024, 'p');
  client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " +
              std::to_string(payload.size()) + "\r\n\r\n" + payload);
  std::string body;
  CHECK(client.ReadResponse(&body) == 503);
  // A body within the budget still passes.
  RawClient small(server.port());
  REQUIRE(small.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nsmall"));
  CHECK(small.ReadResponse(&body) == 200);
  CHECK(body == "small");
}

TEST_CASE("engine: Expect: 100-continue gets one interim answer before the body") {
  TestServer server;
  RawClient client(server.port());
  REQUIRE(
      client.Send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                  "Content-Length: 4\r\n\r\n"));
  CHECK(client.ReadResponse() == 100);
  REQUIRE(client.Send("data"));
  std::string body;
  CHECK(client.ReadResponse(&body) == 200);
  CHECK(body == "data");
}

TEST_CASE("engine: connections beyond max_connections_per_address are closed at once") {
  EngineOptions opts;
  opts.max_connections_per_address = 3;
  TestServer server(opts);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawClient>(server.port()));
    REQUIRE(held.back()->Send(kGetHello));
    REQUIRE(held.back()->ReadResponse() == 200);
  }
  RawClient excess(server.port());
  CHECK(excess.ClosedWithin(milliseconds(2000)));
  held.pop_back();
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    RawClient again(server.port());
    served = again.Send(kGetHello) && again.ReadResponse() == 200;
    if (!served) std::this_thread::sleep_for(milliseconds(50));
  }
  CHECK(served);
}

TEST_CASE("engine: pipelined requests are answered in order") {
  TestServer server;
  RawClient client(server.port());
  std::string batch;
  batch += kGetHello;
  batch += "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nfirst";
  batch += kGetHello;
  batch += "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nsecond";
  batch += "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n";
  REQUIRE(client.Send(batch));
  std::string body;
  REQUIRE(client.ReadResponse(&body) == 200);
  CHECK(body.size() == kHelloBytes);
  REQUIRE(client.ReadResponse(&body) == 200);
  CHECK(body == "first");
  REQUIRE(client.ReadResponse(&body) == 200);
  CHECK(body.size() == kHelloBytes);
  REQUIRE(client.ReadResponse(&body) == 200);
  CHECK(body == "second");
  CHECK(client.ReadResponse(&body) == 404);
}

TEST_CASE("engine: 400 idle connections do not starve a real request") {
  EngineOptions opts;
  opts.worker_threads = 8;  // a thread-per-connection server would be starved 50 times over
  TestServer server(opts);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 400; ++i) {
    idle.push_back(std::make_unique<RawClient>(server.port()));
    REQUIRE(idle.back()->connected());
  }
  std::this_thread::sleep_for(milliseconds(200));  // let the engine accept and park them all

  auto start = Clock::now();
  RawClient client(server.port());
  REQUIRE(client.Send(kGetHello));
  std::string body;
  REQUIRE(client.ReadResponse(&body) == 200);
  int64_t ms = ElapsedMs(start);
  MESSAGE("request among 400 idle connections answered in " << ms << " ms");
  CHECK(ms < 1000);
  CHECK(body.size() == kHelloBytes);

  // The idle connections were parked, not dropped: one of them can still be served.
  REQUIRE(idle.front()->Send(kGetHello));
  CHECK(idle.front()->ReadResponse() == 200);
}

TEST_CASE("engine: 20,000 headers of 4 KB are cut off with bounded memory") {
  TestServer server;
  {  // warm up allocator and threads so the RSS delta measures only the attack
    RawClient warm(server.port());
    REQUIRE(warm.Send(kGetHello));
    REQUIRE(warm.ReadResponse() == 200);
  }
  int64_t rss_before = RssKb();
  RawClient attacker(server.port());
  REQUIRE(attacker.Send("GET /hello HTTP/1.1\r\nHost: t\r\n"));
  const std::string value(4096, 'v');
  int sent = 0;
  for (; sent < 20000; ++sent) {
    if (!attacker.Send("X-Big-" + std::to_string(sent) + ": " + value + "\r\n")) break;
  }
  CHECK(sent < 20000);  // the server closed the connection long before the end
  CHECK(attacker.ClosedWithin(milliseconds(5000)));
  int64_t rss_after = RssKb();
  MESSAGE("headers accepted before cut-off: " << sent << ", RSS " << rss_before / 1024 << " MB -> "
                                              << rss_after / 1024 << " MB");
  CHECK(rss_after - rss_before < 64 * 1024);

  // Small headers in bulk hit the same byte budget.
  RawClient many(server.port());
  std::string request = "GET /hello HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 20000; ++i) request += "a: b\r\n";
  request += "\r\n";
  many.Send(request);  // may fail part-way once the server has answered and closed
  int status = many.ReadResponse();
  CHECK((status == 400 || status == -1));
  CHECK(many.ClosedWithin(milliseconds(5000)));

  // A large but legal head is still served.
  RawClient legal(server.port());
  std::string ok_request = "GET /hello HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 12; ++i) ok_request += "X-Ok-" + std::to_string(i) + ": " + value + "\r\n";
  ok_request += "\r\n";
  REQUIRE(legal.Send(ok_request));
  CHECK(legal.ReadResponse() == 200);
}

TEST_CASE("engine: slow-drip head is cut off after header_timeout without holding a worker") {
  EngineOptions opts;
  opts.header_timeout = milliseconds(1000);
  opts.worker_threads = 1;  // the drip must not occupy the only worker
  TestServer server(opts);
  RawClient drip(server.port());
  auto start = Clock::now();
  REQUIRE(drip.Send("GET /hello HTTP/1.1\r\nX-Drip: "));
  bool closed = false;
  bool other_served = false;
  int dripped = 0;
  for (; dripped < 100 && !closed; ++dripped) {  // would take 10 s if never cut off
    if (dripped == 3) {
      RawClient other(server.port());
      other_served = other.Send(kGetHello) && other.ReadResponse() == 200;
    }
    if (!drip.Send("a")) {
      closed = true;
      break;
    }
    closed = drip.ClosedWithin(milliseconds(100));
  }
  int64_t ms = ElapsedMs(start);
  MESSAGE("slow-drip client cut off after " << ms << " ms, " << dripped << " bytes");
  CHECK(closed);
  CHECK(dripped < 100);
  CHECK(other_served);
}

// The server's end of `client`'s connection: the socket in this process whose peer is the
// client's local address (server and client share the process), or -1.
int ServerEndOf(const RawClient& client) {
  sockaddr_in mine{};
  socklen_t len = sizeof(mine);
  if (getsockname(client.fd(), reinterpret_cast<sockaddr*>(&mine), &len) != 0) return -1;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = std::atoi(entry.path().filename().c_str());
    sockaddr_in peer{};
    socklen_t peer_len = sizeof(peer);
    if (fd != client.fd() && getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0 &&
        peer.sin_family == AF_INET && peer.sin_port == mine.sin_port &&
        peer.sin_addr.s_addr == mine.sin_addr.s_addr) {
      return fd;
    }
  }
  return -1;
}

// Removes `fd` from every epoll set of this process; how many sets held it.
int ForgetInEveryEpollSet(int fd) {
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (ec || target.string() != "anon_inode:[eventpoll]") continue;
    int epfd = std::atoi(entry.path().filename().c_str());
    if (epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr) == 0) ++removed;
  }
  return removed;
}

// The state a fuzzing run once ended in (docs/security.md): a parked connection that no worker
// ever hears from again, while every worker waits. Forced here by taking the connection out of
// the workers' epoll set behind the engine's back: the sweep shuts it down at its deadline, sees
// it still parked a grace later, arms it again, and a worker closes it.
TEST_CASE("engine: a parked connection whose wake-up is lost is closed all the same") {
  EngineOptions opts;
  opts.header_timeout = milliseconds(500);
  opts.worker_threads = 2;
  TestServer server(opts);
  RawClient client(server.port());
  REQUIRE(client.Send("PATCH /echo HTTP/1.1\r\nHost: t\r\nX-Never-Ends: "));
  CHECK_FALSE(client.ClosedWithin(milliseconds(100)));  // the partial head is parked
  int server_end = ServerEndOf(client);
  REQUIRE(server_end >= 0);
  REQUIRE(ForgetInEveryEpollSet(server_end) == 1);
  ::shutdown(client.fd(), SHUT_WR);  // the hang-up now reaches no worker either
  // The sweep's shutdown at the deadline already tells the client...
  CHECK(client.ClosedWithin(milliseconds(5000)));
  // ...but only a worker closes the server's socket, and none would ever hear of it again.
  // (Its socket is told apart from a later one on the same descriptor by its inode.)
  const std::string link = "/proc/self/fd/" + std::to_string(server_end);
  const std::string socket = std::filesystem::read_symlink(link).string();
  auto still_open = [&] {
    std::error_code ec;
    return std::filesystem::read_symlink(link, ec).string() == socket;
  };
  auto until = Clock::now() + milliseconds(5000);
  while (still_open() && Clock::now() < until) std::this_thread::sleep_for(milliseconds(50));
  CHECK_FALSE(still_open());
  CHECK(server.engine().lost_wakeups() == 1);
  // And the server still serves.
  RawClient next(server.port());
  REQUIRE(next.Send(kGetHello));
  CHECK(next.ReadResponse() == 200);
}

TEST_CASE("engine: client-sent REMOTE_ADDR does not spoof the peer address") {
  EngineOptions opts;
  TestServer server(opts);
  std::string seen_by_setup;
  server.engine().SetRequestSetup([&seen_by_setup](httplib::Request& req) {
    seen_by_setup = req.get_header_value("REMOTE_ADDR");
  });
  RawClient client(server.port());
  REQUIRE(client.Send(
      "GET /addr HTTP/1.1\r\nHost: t\r\nREMOTE_ADDR: 6.6.6.6\r\nremote_addr: 7.7.7.7\r\n"
      "REMOTE_PORT: 1\r\nLOCAL_ADDR: 8.8.8.8\r\n\r\n"));
  std::string body;
  REQUIRE(client.ReadResponse(&body) == 200);
  CHECK(body == "127.0.0.1 127.0.0.1 1");
  CHECK(seen_by_setup == "127.0.0.1");
}

TEST_CASE("engine: a throwing handler or setup hook never takes the server down") {
  TestServer server;
  server.engine().SetRequestSetup([](httplib::Request& req) {
    if (req.has_header("X-Explode")) throw 42;  // not even a std::exception
  });
  RawClient client(server.port());
  REQUIRE(client.Send("GET /throw HTTP/1.1\r\nHost: t\r\n\r\n"));
  CHECK(client.ReadResponse() == 500);  // httplib's own handler-exception path
  REQUIRE(client.Send(kGetHello));
  CHECK(client.ReadResponse() == 200);

  RawClient exploder(server.port());
  REQUIRE(exploder.Send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Explode: 1\r\n\r\n"));
  CHECK(exploder.ReadResponse() == -1);  // the engine dropped that connection
  RawClient after(server.port());
  REQUIRE(after.Send(kGetHello));
  CHECK(after.ReadResponse() == 200);
}

TEST_CASE("engine: blocking handlers get every worker, and fast requests still pass") {
  // Only a few workers run at a time (the run gate); blocked ones must hand their slot on.
  EngineOptions opts;
  opts.worker_threads = 24;
  Engine engine(opts);
  std::mutex mu;
  std::condition_variable cv;
  int inside = 0;
  bool release = false;
  engine.Get("/block", [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mu);
    ++inside;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
    res.set_content("done", "text/plain");
  });
  engine.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("hi", "text/plain");
  });
  REQUIRE(engine.Listen("127.0.0.1", 0).ok());
  std::thread runner([&engine] { engine.Run(); });

  std::vector<std::unique_ptr<RawClient>> blocked;
  for (int i = 0; i < 16; ++i) {
    blocked.push_back(std::make_unique<RawClient>(engine.port()));
    REQUIRE(blocked.back()->Send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n"));
  }
  bool all_inside = false;
  {
    std::unique_lock<std::mutex> lock(mu);
    all_inside = cv.wait_for(lock, std::chrono::seconds(5), [&] { return inside == 16; });
  }
  CHECK(all_inside);  // 16 handlers blocked at once
  RawClient fast(engine.port());
  REQUIRE(fast.Send(kGetHello));
  CHECK(fast.ReadResponse() == 200);  // and a worker was still free for this one
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  for (auto& c : blocked) CHECK(c->ReadResponse() == 200);
  engine.Stop();
  runner.join();
}

TEST_CASE("engine: connections beyond max_connections are closed at once") {
  EngineOptions opts;
  opts.max_connections = 4;
  TestServer server(opts);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawClient>(server.port()));
    REQUIRE(held.back()->Send(kGetHello));
    REQUIRE(held.back()->ReadResponse() == 200);
  }
  RawClient excess(server.port());
  CHECK(excess.ClosedWithin(milliseconds(2000)));
  held.clear();  // the engine notices the closes and frees the slots
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    RawClient again(server.port());
    served = again.Send(kGetHello) && again.ReadResponse() == 200;
    if (!served) std::this_thread::sleep_for(milliseconds(50));
  }
  CHECK(served);
}

TEST_CASE("engine: Stop() with 100 open connections returns promptly") {
  auto engine = std::make_unique<Engine>(EngineOptions{});
  engine->Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(kHelloBytes, 'h'), "text/plain");
  });
  REQUIRE(engine->Listen("127.0.0.1", 0).ok());
  std::thread runner([&engine] { engine->Run(); });
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<RawClient>(engine->port()));
    RawClient& c = *clients.back();
    if (i % 3 == 1) {  // keep-alive after one answered request
      REQUIRE(c.Send(kGetHello));
      REQUIRE(c.ReadResponse() == 200);
    } else if (i % 3 == 2) {  // half-sent head, parked mid-request
      REQUIRE(c.Send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Partial: "));
    }  // else: connected, silent
  }
  std::this_thread::sleep_for(milliseconds(100));
  auto start = Clock::now();
  auto stopped = std::async(std::launch::async, [&engine] { engine->Stop(); });
  // A watchdog, not a benchmark: a hang here would otherwise hang the whole suite.
  REQUIRE(stopped.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  runner.join();
  MESSAGE("Stop() with 100 open connections took " << ElapsedMs(start) << " ms");
  int closed = 0;
  for (auto& c : clients) closed += c->ClosedWithin(milliseconds(1000)) ? 1 : 0;
  CHECK(closed == 100);
  engine.reset();  // and the destructor after Stop() is clean (ASan checks for leaks)
}

TEST_CASE("engine: Listen rejects bad addresses") {
  Engine engine{EngineOptions{}};
  util::Status st = engine.Listen("localhost", 0);
  CHECK_FALSE(st.ok());
  CHECK(st.machine_code() == "bad_listen_address");
}

TEST_CASE("engine: IPv6 literal host") {
  Engine engine{EngineOptions{}};
  engine.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.remote_addr, "text/plain");
  });
  util::Status st = engine.Listen("[::1]", 0);
  if (!st.ok()) {
    MESSAGE("no IPv6 loopback here, skipped: " << st.message());
    return;
  }
  std::thread runner([&engine] { engine.Run(); });
  RawClient client(engine.port(), AF_INET6);
  std::string body;
  if (client.connected()) {
    REQUIRE(client.Send(kGetHello));
    CHECK(client.ReadResponse(&body) == 200);
    CHECK(body == "::1");
  }
  engine.Stop();
  runner.join();
}

// A self-signed certificate made with the openssl CLI, in a directory removed afterwards.
class TempCert {
 public:
  TempCert() {
    char tmpl[] = "/tmp/engine_test_XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
        "-keyout " +
        key() + " -out " + cert() + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  ~TempCert() { std::filesystem::remove_all(dir_); }
  std::string cert() const { return dir_ + "/cert.pem"; }
  std::string key() const { return dir_ + "/key.pem"; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

int RunQuiet(const std::string& cmd) {
  int rc = std::system((cmd + " </dev/null >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST_CASE("engine: TLS 1.2/1.3 only") {
  TempCert certs;
  EngineOptions opts;
  opts.tls_cert_file = certs.cert();
  opts.tls_key_file = certs.key();
  TestServer server(opts, /*tls_expected=*/true);

  httplib::SSLClient cli("127.0.0.1", server.port());
  cli.enable_server_certificate_verification(false);
  for (int i = 0; i < 5; ++i) {  // keep-alive over TLS
    auto res = cli.Get("/hello");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.size() == kHelloBytes);
  }
  auto echoed = cli.Post("/echo", std::string(100000, 'e'), "text/plain");
  REQUIRE(echoed);
  CHECK(echoed->body == std::string(100000, 'e'));

  const std::string target = " -connect 127.0.0.1:" + std::to_string(server.port());
  // SECLEVEL=0 lets the client offer TLS 1.1 at all, so a failure is the server's refusal.
  CHECK(RunQuiet("timeout 10 openssl s_client -tls1_1 -cipher DEFAULT:@SECLEVEL=0" + target) != 0);
  CHECK(RunQuiet("timeout 10 openssl s_client -tls1_2 -cipher AES256-SHA" + target) != 0);
  CHECK(RunQuiet("timeout 10 openssl s_client -tls1_2" + target) == 0);
  CHECK(RunQuiet("timeout 10 openssl s_client -tls1_3" + target) == 0);

  // Plain HTTP on the TLS port is never routed.
  RawClient plain(server.port());
  REQUIRE(plain.Send(kGetHello));
  CHECK(plain.ReadResponse() == -1);
}

TEST_CASE("engine: TLS handshake that never completes is closed after header_timeout") {
  TempCert certs;
  EngineOptions opts;
  opts.tls_cert_file = certs.cert();
  opts.tls_key_file = certs.key();
  opts.header_timeout = milliseconds(500);
  opts.worker_threads = 1;
  TestServer server(opts, true);
  RawClient stalled(server.port());
  REQUIRE(stalled.Send(std::string("\x16\x03\x01\x02\x00", 5)));  // a ClientHello header only
  httplib::SSLClient cli("127.0.0.1", server.port());
  cli.enable_server_certificate_verification(false);
  auto res = cli.Get("/hello");  // served meanwhile by the single worker
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(stalled.ClosedWithin(milliseconds(3000)));
}

TEST_CASE("engine: Listen reports unusable TLS files without their contents or paths") {
  TempCert certs;
  const std::string secret_key = certs.dir() + "/secret.pem";
  {
    std::ofstream out(secret_key);
    out << "TOP-SECRET-MATERIAL\n";
  }
  EngineOptions opts;
  opts.tls_cert_file = certs.cert();
  opts.tls_key_file = secret_key;
  Engine engine(opts);
  util::Status st = engine.Listen("127.0.0.1", 0);
  REQUIRE_FALSE(st.ok());
  CHECK(st.machine_code() == "tls_key");
  CHECK(st.message().find("TOP-SECRET") == std::string::npos);
  CHECK(st.message().find(certs.dir()) == std::string::npos);

  EngineOptions missing;
  missing.tls_cert_file = certs.dir() + "/nope.pem";
  missing.tls_key_file = certs.key();
  Engine engine2(missing);
  util::Status st2 = engine2.Listen("127.0.0.1", 0);
  REQUIRE_FALSE(st2.ok());
  CHECK(st2.machine_code() == "tls_certificate");

  EngineOptions half;
  half.tls_cert_file = certs.cert();
  Engine engine3(half);
  CHECK_FALSE(engine3.Listen("127.0.0.1", 0).ok());
}

}  // namespace
}  // namespace bomvault::http
