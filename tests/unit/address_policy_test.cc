// Which addresses a data source may reach (util/address_policy.h).
#include "util/address_policy.h"

#include <doctest/doctest.h>

#include <string>

using bomvault::util::AddressAllowed;
using bomvault::util::AddressClass;
using bomvault::util::ClassifyAddress;

TEST_CASE("link-local and metadata addresses are never reachable") {
  for (const char* a :
       {"169.254.169.254", "169.254.0.1", "100.100.100.200", "fd00:ec2::254", "fe80::1", "febf::1",
        "[fe80::1]", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "0.0.0.0", "::", "224.0.0.1",
        "255.255.255.255", "ff02::1"}) {
    CAPTURE(std::string(a));
    auto c = ClassifyAddress(a);
    REQUIRE(c);
    CHECK(*c == AddressClass::kNever);
    CHECK_FALSE(AddressAllowed(*c, true));
  }
}

TEST_CASE("loopback and private ranges only for internal sources") {
  for (const char* a :
       {"127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1",
        "100.64.0.1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
        // the metadata addresses' neighbours sit in private ranges themselves
        "100.100.100.201", "fd00:ec2::253"}) {
    CAPTURE(std::string(a));
    auto c = ClassifyAddress(a);
    REQUIRE(c);
    CHECK(*c == AddressClass::kInternal);
    CHECK(AddressAllowed(*c, true));
    CHECK_FALSE(AddressAllowed(*c, false));
  }
}

TEST_CASE("public addresses are reachable; neighbours of the refused ranges stay public") {
  for (const char* a : {"93.184.216.34", "172.32.0.1", "172.15.255.255", "169.253.255.255",
                        "169.255.0.1", "100.128.0.1", "100.63.255.255", "2606:4700::1111"}) {
    CAPTURE(std::string(a));
    auto c = ClassifyAddress(a);
    REQUIRE(c);
    CHECK(*c == AddressClass::kPublic);
    CHECK(AddressAllowed(*c, false));
  }
}

TEST_CASE("host names and junk are not addresses") {
  for (const char* a :
       {"localhost", "example.com", "", "1.2.3", "169.254.169.254.nip.io", "::ffff:999.1.1.1"}) {
    CAPTURE(std::string(a));
    CHECK_FALSE(ClassifyAddress(a));
  }
}
