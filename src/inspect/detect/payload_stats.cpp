// SPDX-License-Identifier: GPL-2.0-or-later
// Entropy and text measures of payloads (see payload_stats.h).
#include "icmpwall/inspect/detect/payload_stats.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

namespace icmpwall::inspect {

double shannon_entropy(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return 0;
  std::array<uint32_t, 256> counts{};
  for (uint8_t b : bytes) ++counts[b];
  // H = log2(n) - (1/n) * sum(c * log2(c))
  const double n = static_cast<double>(bytes.size());
  double sum = 0;
  for (uint32_t c : counts) {
    if (c > 1) sum += c * std::log2(static_cast<double>(c));
  }
  return std::max(0.0, std::log2(n) - sum / n);
}

double entropy_threshold(double bits, size_t len) {
  if (len >= 256) return bits;
  if (len < 2) return bits;
  return bits * std::log2(static_cast<double>(len)) / 8.0;
}

double printable_ratio(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return 0;
  size_t printable = 0;
  for (uint8_t b : bytes) {
    printable += (b >= 0x20 && b < 0x7f) || b == '\t' || b == '\r' || b == '\n';
  }
  return static_cast<double>(printable) / static_cast<double>(bytes.size());
}

namespace {

// Lower-case markers. Each is specific to shells: a prompt or banner, a
// command an operator types first, or the output of one.
constexpr std::string_view kShellMarkers[] = {
    "c:\\",
    "ps c:",
    "microsoft windows",
    "microsoft corporation",
    "uid=",
    "gid=",
    "/bin/",
    "/etc/",
    "cmd.exe",
    "powershell",
    "whoami",
    "ipconfig",
    "ifconfig",
    "net user",
    "systeminfo",
    "tasklist",
    "uname",
    "hostname",
    "/home/",
    "root@",
    "volume serial",
    "directory of",
    "nt authority",
    "ls -",
};

uint8_t lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + ('a' - 'A')) : c;
}

}  // namespace

bool has_shell_marker(std::span<const uint8_t> bytes) {
  const size_t n = std::min<size_t>(bytes.size(), 512);
  for (std::string_view marker : kShellMarkers) {
    if (marker.size() > n) continue;
    for (size_t i = 0; i + marker.size() <= n; ++i) {
      if (lower(bytes[i]) != static_cast<uint8_t>(marker[0])) continue;
      size_t j = 1;
      while (j < marker.size() && lower(bytes[i + j]) == static_cast<uint8_t>(marker[j])) ++j;
      if (j == marker.size()) return true;
    }
  }
  return false;
}

}  // namespace icmpwall::inspect
