// SPDX-License-Identifier: GPL-2.0-or-later
#include "dashboard.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

namespace icmpwall::integration {

std::set<std::string> metric_families(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("# TYPE ", 0) == 0) out.insert(line.substr(7, line.find(' ', 7) - 7));
  return out;
}

std::set<std::string> dashboard_metrics() {
  std::ifstream dash(std::string(ICMPWALL_SOURCE_DIR) + "/packaging/grafana/icmpwall.json");
  EXPECT_TRUE(dash) << "packaging/grafana/icmpwall.json";
  if (!dash) return {};
  const auto board = nlohmann::json::parse(dash);
  std::set<std::string> used;
  const std::regex name_re("icmpwall_[a-z0-9_]+");
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& n) {
    if (n.is_object())
      for (const auto& [k, v] : n.items()) {
        if ((k == "expr" || k == "query") && v.is_string()) {
          const std::string e = v.get<std::string>();
          for (std::sregex_iterator it(e.begin(), e.end(), name_re), end; it != end; ++it)
            used.insert(it->str());
        } else {
          walk(v);
        }
      }
    else if (n.is_array())
      for (const auto& v : n) walk(v);
  };
  walk(board);
  return used;
}

}  // namespace icmpwall::integration
