// Fuzz target: the server's request path as a client reaches it, from raw bytes on a socket.
// Each input is sent verbatim over loopback to a real Engine (http/engine.h) serving the real Api
// (http/api.h) over a real, unsealed, encrypted store in a temporary directory: the engine's
// request-head buffering and caps, httplib's parsing of the request line, headers, query and body,
// the pre-routing refusals, the Api's own segment router, the seal gate and authentication
// (Bearer and cookie + CSRF) all see it. The client half-closes after sending, so a truncated
// request ends at once instead of waiting for a timeout.
// Invariants checked on every input, beyond "no crash, no sanitizer report":
//  * the server answers or closes within the header and read timeouts (no hang);
//  * whatever it sends starts with an HTTP/1.1 status line, and that status is never 500 (an
//    input that makes a handler throw is a bug, the bar is a 4xx JSON error);
//  * every 64 inputs, and at the end of a replay, a fresh connection still gets 200 from health.
// Rate limits are off (the fuzzer sends thousands of requests a second from one address).
// The store lives in a mkdtemp() directory removed at exit.
//
// So that inputs reach past authentication, the store holds one organisation with an
// Administrator, an Editor who owns a BOM and a Viewer it is shared with, all signed in at start.
// An input's placeholders are replaced before it is sent: @A@, @E@ and @V@ by those three
// sessions' bearer tokens, @B@ by the BOM's id, @U@ by the Viewer's user id and @O@ by the org's
// id (fuzz/http.dict offers them to the mutator). Sessions an input ended (a sign-out, a disabled
// account) are signed in again at the next health check when the account still can.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/crypto.h"
#include "fuzz/fuzz_check.h"
#include "http/api.h"
#include "http/engine.h"
#include "service/instance.h"

using namespace bomvault;

namespace {

struct Server {
  std::string tmp;
  std::unique_ptr<service::Instance> instance;
  std::unique_ptr<http::Engine> engine;
  std::unique_ptr<http::Api> api;
  std::thread thread;
  int port = 0;
};

Server* g_server = nullptr;

void StopServer() {
  if (g_server == nullptr) return;
  g_server->engine->Stop();
  g_server->thread.join();
  g_server->api.reset();
  g_server->engine.reset();
  g_server->instance.reset();
  std::error_code ec;
  std::filesystem::remove_all(g_server->tmp, ec);
}

// Sends `bytes`, half-closes, and returns everything the server sent until it closed.
// libFuzzer's -timeout watchdog is a SIGALRM every second; it waits while an exchange runs (the
// exchange has its own 20 s limit), so no connect, send or poll is cut short by it.
class AlarmHeld {
 public:
  AlarmHeld() {
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alarm, &saved_);
  }
  ~AlarmHeld() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  AlarmHeld(const AlarmHeld&) = delete;
  AlarmHeld& operator=(const AlarmHeld&) = delete;

 private:
  sigset_t saved_;
};

// A thread that only wakes every 50 ms and remembers the longest it went without waking. When
// the whole process (or the machine) is not scheduled for a while, the exchange's 20 s can run
// out with the server never having had the CPU to answer; such a wait says nothing about the
// server, so it is extended and counted as a stall instead of being reported as a hang.
class Heartbeat {
 public:
  Heartbeat()
      : thread_([this] {
          auto last = std::chrono::steady_clock::now();
          while (!stop_.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            auto now = std::chrono::steady_clock::now();
            int64_t gap = std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count();
            int64_t worst = worst_gap_ms_.load();
            while (gap > worst && !worst_gap_ms_.compare_exchange_weak(worst, gap)) {
            }
            last = now;
          }
        }) {}
  ~Heartbeat() {
    stop_.store(true);
    thread_.join();
  }
  // The longest time without a beat since the last call.
  int64_t TakeWorstGapMs() { return worst_gap_ms_.exchange(0); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> worst_gap_ms_{0};
  std::thread thread_;
};

Heartbeat* g_heartbeat = nullptr;
// A gap this long means the process, not one of its threads, was held up: the engine's own
// deadlines (2 s heads here) are shorter, so a working server answers well within it.
constexpr int64_t kStallMs = 2000;
uint64_t g_stalls = 0;

std::string Exchange(std::string_view bytes) {
  AlarmHeld held;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  FUZZ_CHECK(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(g_server->port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::fprintf(stderr, "connect: %s\n", std::strerror(errno));
    FUZZ_CHECK(!"the server's port refused a connection");
  }
  // Closed with a reset once the answer is read: hundreds of exchanges a second would otherwise
  // leave this side's ports in TIME_WAIT faster than the kernel frees them.
  linger no_wait{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_wait, sizeof(no_wait));
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (a refused head): that is allowed
    off += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  const auto sent_at = std::chrono::steady_clock::now();
  std::string answer;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  g_heartbeat->TakeWorstGapMs();
  int extensions = 0;
  char buf[16384];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    // Any other signal may still interrupt the wait: retried.
    int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      // Out of time. If the process itself went unscheduled for seconds meanwhile, the server
      // had no chance to answer: give it another 20 s, at most three times.
      int64_t gap = g_heartbeat->TakeWorstGapMs();
      if (gap >= kStallMs && extensions < 3) {
        ++extensions;
        ++g_stalls;
        std::fprintf(stderr, "stall: the process went %lld ms without running; waiting again\n",
                     static_cast<long long>(gap));
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        continue;
      }
    }
    // No answer nor close within 20 s (timeouts are 2 s): the server hangs on this input. Every
    // thread's stack goes to stderr first, to say where (gdb, when the machine has it).
    if (ready != 1) {
      // Evidence first, to tell the possible causes apart: the kernel's view of both ends (is
      // the server's end there, does it still hold the request unread, is it closed), the
      // client's TCP state, and the engine's own count of connections.
      int wait_errno = errno;
      sockaddr_in local{};
      socklen_t local_len = sizeof(local);
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len);
      tcp_info info{};
      socklen_t info_len = sizeof(info);
      ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_len);
      std::fprintf(stderr,
                   "hang: poll=%d errno=%d after %lld ms; client port %d, tcp state %u, "
                   "%zu bytes answered; engine: %zu connections open, %llu lost wake-ups\n",
                   ready, wait_errno,
                   static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - sent_at)
                                              .count()),
                   ntohs(local.sin_port), static_cast<unsigned>(info.tcpi_state), answer.size(),
                   g_server->engine->open_connections(),
                   static_cast<unsigned long long>(g_server->engine->lost_wakeups()));
      std::string ss = "ss -tanoi '( sport = :" + std::to_string(ntohs(local.sin_port)) +
                       " or dport = :" + std::to_string(ntohs(local.sin_port)) + " )' 1>&2";
      [[maybe_unused]] int ss_rc = std::system(ss.c_str());
      std::string cmd = "gdb -p " + std::to_string(::getpid()) +
                        " -batch -ex 'thread apply all bt 30' 1>&2 2>/dev/null";
      [[maybe_unused]] int rc = std::system(cmd.c_str());
      FUZZ_CHECK(!"the server neither answered nor closed within 20 s");
    }
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

void CheckHealthy() {
  std::string answer =
      Exchange("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  FUZZ_CHECK(answer.rfind("HTTP/1.1 200 ", 0) == 0);
}

// One request with a JSON body (or none) as `bearer`; the status and the parsed JSON answer.
std::pair<int, nlohmann::json> Call(const std::string& method, const std::string& path,
                                    const std::string& bearer, const nlohmann::json& body = {}) {
  std::string text = body.is_null() ? "" : body.dump();
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  if (!bearer.empty()) req += "Authorization: Bearer " + bearer + "\r\n";
  if (!text.empty()) req += "Content-Type: application/json\r\n";
  req += "Content-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
  std::string answer = Exchange(req);
  if (answer.size() < 12) return {0, nullptr};
  int status = std::atoi(answer.substr(9, 3).c_str());
  size_t at = answer.find("\r\n\r\n");
  auto json =
      nlohmann::json::parse(at == std::string::npos ? "" : answer.substr(at + 4), nullptr, false);
  return {status, json.is_discarded() ? nlohmann::json() : json};
}

constexpr const char* kPassword = "Quiet-Lantern-Orbit-73";

// The seeded organisation: its people's sessions and the ids inputs may name.
struct People {
  std::string org, bom, viewer_id;
  std::vector<std::pair<std::string, std::string>> accounts;  // email, current bearer token
} g_people;

std::string SignIn(const std::string& email) {
  auto [status, body] =
      Call("POST", "/api/v1/sessions", "", {{"email", email}, {"password", kPassword}});
  return status == 201 ? body.value("token", "") : "";
}

void SeedOrganisation(const std::string& operator_token) {
  auto [s1, org] = Call(
      "POST", "/api/v1/orgs", operator_token,
      {{"name", "Fuzz Org"}, {"admin_email", "admin@fuzz.example"}, {"admin_password", kPassword}});
  FUZZ_CHECK(s1 == 201);
  g_people.org = org.value("id", "");
  std::string admin = SignIn("admin@fuzz.example");
  FUZZ_CHECK(!admin.empty());
  for (const char* who : {"editor", "viewer"}) {
    auto [s, user] = Call(
        "POST", "/api/v1/users", admin,
        {{"email", std::string(who) + "@fuzz.example"}, {"password", kPassword}, {"role", who}});
    FUZZ_CHECK(s == 201);
    if (std::string(who) == "viewer") g_people.viewer_id = user.value("id", "");
  }
  g_people.accounts = {{"admin@fuzz.example", admin},
                       {"editor@fuzz.example", SignIn("editor@fuzz.example")},
                       {"viewer@fuzz.example", SignIn("viewer@fuzz.example")}};
  auto [s2, bom] =
      Call("POST", "/api/v1/boms", g_people.accounts[1].second,
           {{"name", "Gearbox"},
            {"items",
             {{{"ref", "1"}, {"part_number", "GBX-100"}, {"quantity", 1}},
              {{"ref", "2"}, {"parent", "1"}, {"part_number", "SHF-7"}, {"quantity", 2}}}}});
  FUZZ_CHECK(s2 == 201);
  g_people.bom = bom.value("id", "");
  auto [s3, share] =
      Call("POST", "/api/v1/boms/" + g_people.bom + "/shares", g_people.accounts[1].second,
           {{"user_id", g_people.viewer_id}, {"access", "view"}});
  FUZZ_CHECK(s3 == 201);
}

// Signs in again any account whose session an input ended.
void RenewSessions() {
  for (auto& [email, token] : g_people.accounts) {
    if (Call("GET", "/api/v1/me", token).first == 200) continue;
    std::string fresh = SignIn(email);
    if (!fresh.empty()) token = fresh;
  }
}

std::string WithPlaceholders(std::string_view input) {
  const std::pair<const char*, const std::string*> names[] = {
      {"@A@", &g_people.accounts[0].second}, {"@E@", &g_people.accounts[1].second},
      {"@V@", &g_people.accounts[2].second}, {"@B@", &g_people.bom},
      {"@U@", &g_people.viewer_id},          {"@O@", &g_people.org}};
  std::string out(input);
  for (const auto& [name, value] : names) {
    for (size_t at = out.find(name); at != std::string::npos; at = out.find(name, at)) {
      out.replace(at, 3, *value);
      at += value->size();
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::signal(SIGPIPE, SIG_IGN);
  FUZZ_CHECK(crypto::Init());
  g_server = new Server;
  g_heartbeat = new Heartbeat;
  char tmpl[] = "/tmp/bv-fuzz-http-XXXXXX";
  FUZZ_CHECK(::mkdtemp(tmpl) != nullptr);
  g_server->tmp = tmpl;
  std::string data = g_server->tmp + "/data";
  auto init = service::Instance::Initialise(data, 3, 2);
  FUZZ_CHECK(init.ok());
  const std::string operator_token = init.value().operator_token;
  service::InstanceOptions options;
  options.data_dir = data;
  options.reader_connections = 2;
  auto loaded = service::Instance::Load(options);
  FUZZ_CHECK(loaded.ok());
  g_server->instance = std::move(loaded.value());
  FUZZ_CHECK(g_server->instance->OpenWithKeys(std::move(init.value().keys)).ok());
  http::EngineOptions eo;
  eo.worker_threads = 4;
  eo.header_timeout = std::chrono::milliseconds(2000);
  eo.read_timeout = std::chrono::milliseconds(2000);
  eo.write_timeout = std::chrono::milliseconds(2000);
  eo.max_header_bytes = 8 * 1024;
  g_server->engine = std::make_unique<http::Engine>(eo);
  http::ApiOptions ao;
  ao.rate_per_address = 0;
  ao.rate_per_token = 0;
  ao.max_json_body = 64 * 1024;
  ao.max_import_body = 256 * 1024;
  g_server->api = std::make_unique<http::Api>(*g_server->engine, *g_server->instance, ao);
  FUZZ_CHECK(g_server->engine->Listen("127.0.0.1", 0).ok());
  g_server->port = g_server->engine->port();
  g_server->thread = std::thread([] { g_server->engine->Run(); });
  CheckHealthy();
  SeedOrganisation(operator_token);
  // Registered last, so that it runs before the destructors of the function-local statics the
  // requests above constructed (httplib's table of methods among them): exit handlers run in the
  // reverse order of registration, and the workers must not parse a request with those gone.
  std::atexit([] {
    CheckHealthy();
    StopServer();
    std::fprintf(stderr, "fuzz_http: %llu exchange(s) waited out a stall of the process\n",
                 static_cast<unsigned long long>(g_stalls));
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static uint64_t runs = 0;
  std::string answer =
      Exchange(WithPlaceholders(std::string_view(reinterpret_cast<const char*>(data), size)));
  if (!answer.empty()) {
    FUZZ_CHECK(answer.rfind("HTTP/1.1 ", 0) == 0);
    FUZZ_CHECK(answer.rfind("HTTP/1.1 500", 0) != 0);
  }
  if (++runs % 64 == 0) {
    CheckHealthy();
    RenewSessions();
  }
  return 0;
}
