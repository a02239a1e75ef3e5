// Tryton ERP over JSON-RPC, on one user's own login (HTTP Basic on every call, which trytond
// checks with the same login rules as its own client).
//
// Pull: one production.bom becomes a BOM. Its first output is the root item (part number = the
// product's code, description = its name, quantity and unit as in Tryton); every input is a child
// of that root with its quantity and unit; further outputs are extra roots marked with the
// property "tryton_output". Send: the reverse. The BOM must have one root item; it becomes the
// production.bom's output and the root's children its inputs; a child with children of its own
// becomes a production.bom of its own, linked to that product. Products are matched by code and
// created (goods, the unit's UoM as default) when no product has that code; units are matched by
// UoM symbol, "" meaning Tryton's Unit ("u"). With a remote id the production.bom is updated in
// place (name, inputs and outputs replaced). Every record is written by the user's own Tryton
// login, so Tryton names that user as its creator.
// The JSON-RPC messages are made and read by codec/tryton.h.
// What Tryton answers is never copied into a message or a log: errors become stable codes
// ("source_login_refused", "source_rejected", "remote_not_found", "source_bad_answer").
// Not thread-safe: one per job.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bom/item.h"
#include "codec/tryton.h"
#include "crypto/secure_buffer.h"
#include "service/outbound.h"
#include "util/status.h"

namespace bomvault::service {

struct RemoteBom {
  std::string remote_id;
  std::string name;
  std::vector<bom::Item> items;
};

class TrytonClient {
 public:
  TrytonClient(OutboundTarget target, std::string database, crypto::SecureBuffer authorization,
               const std::atomic<bool>* cancelled)
      : target_(std::move(target)),
        database_(std::move(database)),
        authorization_(std::move(authorization)),
        cancelled_(cancelled) {}

  // One JSON-RPC call (`body` from codec/tryton.h's *Call functions, made with NextCallId()); the
  // "result" member.
  util::Result<codec::TrytonResult> Call(std::string body);
  // Checks the login (res.user.get_preferences).
  util::Status Verify();
  util::Result<RemoteBom> PullBom(std::string_view remote_id,
                                  const std::function<void(double)>& progress);
  // The production.bom's id.
  util::Result<std::string> SendBom(std::string_view name, const std::vector<bom::Item>& items,
                                    std::optional<std::string> existing,
                                    const std::function<void(double)>& progress);

 private:
  int64_t NextCallId() { return next_id_++; }
  // The records read; an empty list for no ids (nothing is asked).
  util::Result<std::vector<codec::TrytonValue>> Read(std::string_view model,
                                                     const std::vector<int64_t>& ids,
                                                     const std::vector<std::string>& fields);
  // search() for one record whose `field` equals `value`: the ids answered (nullopt when the
  // answer is not a list; an element that is not an id is nullopt).
  util::Result<std::optional<std::vector<std::optional<int64_t>>>> Search(
      std::string_view model, std::string_view field,
      const std::variant<int64_t, std::string>& value);
  util::Result<int64_t> Uom(const std::string& unit);
  util::Result<int64_t> Product(const bom::Item& item);
  util::Result<int64_t> WriteBom(const std::string& name, const bom::Item& root,
                                 const std::vector<const bom::Item*>& children,
                                 std::optional<int64_t> existing);

  OutboundTarget target_;
  std::string database_;
  crypto::SecureBuffer authorization_;
  const std::atomic<bool>* cancelled_;
  int64_t next_id_ = 1;
  std::vector<std::pair<std::string, int64_t>> uoms_, products_;  // caches for one send
};

// A remote id as Tryton's record ids are: 1..18 decimal digits.
bool ValidTrytonId(std::string_view id);

}  // namespace bomvault::service
