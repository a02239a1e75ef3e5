// service::Monitor over a ManualClock: the exfiltration windows and the backup age move with the
// clock the Monitor is given, in-process, without libfaketime.
#include "service/monitor.h"

#include <doctest/doctest.h>

#include <string>

namespace {

using namespace bomvault;

access::Principal Reader() {
  access::Principal p;
  p.kind = access::PrincipalKind::kUser;
  p.user = util::UserId::FromTrusted("usr_0123456789abcdef0123456789abcdef");
  p.org = util::OrgId::FromTrusted("org_0123456789abcdef0123456789abcdef");
  return p;
}

util::BomId Bom(int i) {
  std::string hex = std::to_string(1000 + i);
  return util::BomId::FromTrusted("bom_" + std::string(32 - hex.size(), '0') + hex);
}

}  // namespace

TEST_CASE("Monitor: the read window follows the clock it is given") {
  util::ManualClock clock(1'800'000'000);
  service::Monitor monitor(clock);
  monitor.ConfigureExfil({.window_seconds = 3600, .max_boms = 2});
  auto reader = Reader();
  monitor.NoteBomRead(reader, Bom(1), 10);
  monitor.NoteBomRead(reader, Bom(2), 10);
  CHECK(monitor.TakeAlerts().empty());
  monitor.NoteBomRead(reader, Bom(3), 10);  // a third distinct BOM within the hour
  auto alerts = monitor.TakeAlerts();
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].user == reader.user);
  CHECK_FALSE(alerts[0].items);
  CHECK(alerts[0].count == 3);
  monitor.NoteBomRead(reader, Bom(4), 10);  // one alert per user per window
  CHECK(monitor.TakeAlerts().empty());

  clock.Advance(2 * 3600);  // the window and the quiet period have passed
  monitor.NoteBomRead(reader, Bom(5), 10);
  monitor.NoteBomRead(reader, Bom(6), 10);
  CHECK(monitor.TakeAlerts().empty());  // the old reads no longer count
  monitor.NoteBomRead(reader, Bom(7), 10);
  CHECK(monitor.TakeAlerts().size() == 1);
}

TEST_CASE("Monitor: the backup age is measured on its clock") {
  util::ManualClock clock(1'800'000'000);
  service::Monitor monitor(clock);
  CHECK(monitor.Prometheus(false).find("bomvault_backup_age_seconds") == std::string::npos);
  monitor.SeedLastBackup(1'800'000'000 - 600);
  clock.Advance(60);
  std::string text = monitor.Prometheus(false);
  CHECK(text.find("\nbomvault_backup_age_seconds 660\n") != std::string::npos);
  CHECK(text.find("\nbomvault_sealed 0\n") != std::string::npos);
  monitor.SeedLastBackup(1);  // never moves backwards
  CHECK(monitor.Prometheus(true).find("\nbomvault_backup_age_seconds 660\n") != std::string::npos);
}
