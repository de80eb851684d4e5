// SPDX-License-Identifier: GPL-2.0-or-later
// icmpwall: ICMP policy firewall manager. Everything happens in cli/.
#include "icmpwall/cli/cli.h"

int main(int argc, char** argv) {
  return icmpwall::cli::run(argc, argv);
}
