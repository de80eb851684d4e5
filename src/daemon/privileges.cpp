// SPDX-License-Identifier: GPL-2.0-or-later
// Plain prctl(2) and capset(2): the bounding set first (dropping from it
// needs CAP_SETPCAP, which goes last with the rest), then no_new_privs,
// then the three per-thread sets.
#include "icmpwall/daemon/privileges.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>

#include "icmpwall/util/errno_error.h"

namespace icmpwall::daemon {
namespace {

int last_cap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int n = CAP_LAST_CAP;
  in >> n;
  return n;
}

}  // namespace

Result<bool> keep_only_net_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return errno_error("capget");
  const bool setpcap = data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP);
  // Without CAP_SETPCAP the bounding set cannot shrink; whoever started us
  // (systemd's CapabilityBoundingSet=) has bounded it then.
  if (setpcap)
    for (int cap = 0; cap <= last_cap(); ++cap) {
      if (cap == CAP_NET_ADMIN) continue;
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
        return errno_error("PR_CAPBSET_DROP");
    }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return errno_error("PR_CAP_AMBIENT_CLEAR_ALL");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno_error("PR_SET_NO_NEW_PRIVS");
  // CAP_NET_ADMIN where we hold it, nothing else, nothing inheritable.
  const unsigned i = CAP_TO_INDEX(CAP_NET_ADMIN);
  const uint32_t keep = CAP_TO_MASK(CAP_NET_ADMIN);
  __user_cap_data_struct next[2]{};
  next[i].permitted = data[i].permitted & keep;
  next[i].effective = data[i].permitted & keep;
  if (syscall(SYS_capset, &header, next) != 0) return errno_error("capset");
  return setpcap;
}

}  // namespace icmpwall::daemon
