// SPDX-License-Identifier: GPL-2.0-or-later
// The entry point the daemon looks up in icmpwall-http.so.
#include "client.h"
#include "icmpwall/version.h"
#include "server.h"

extern "C" __attribute__((visibility("default"))) const icmpwall::http::Module*
icmpwall_http_module() {
  static const icmpwall::http::Module module{ICMPWALL_VERSION, icmpwall::http::open_client,
                                             icmpwall::http::bind_server};
  return &module;
}
