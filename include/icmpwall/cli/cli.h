// SPDX-License-Identifier: GPL-2.0-or-later
// The command line: parses arguments (CLI11) and runs one command as a
// flat list of stages. Returns the process exit code (see exit_codes.h).
#pragma once

namespace icmpwall::cli {

int run(int argc, char** argv);

}  // namespace icmpwall::cli
