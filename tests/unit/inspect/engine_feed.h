// SPDX-License-Identifier: GPL-2.0-or-later
// Engine::inspect with the packet's context where the engine takes one
// (inspect(bytes, context, now)), else with its input interface
// (inspect(bytes, iif, now)): the tests that go through the whole engine
// build against either.
#pragma once

#include <span>

#include "icmpwall/inspect/context.h"
#include "icmpwall/inspect/finding.h"

namespace icmpwall::inspect {

template <typename E>
constexpr bool engine_takes_context = requires(E& e, std::span<const uint8_t> b,
                                               const PacketContext& c, Clock::time_point t) {
  e.inspect(b, c, t);
};

template <typename E>
Finding engine_feed(E& engine, std::span<const uint8_t> bytes, const PacketContext& ctx,
                    Clock::time_point now) {
  if constexpr (engine_takes_context<E>) {
    return engine.inspect(bytes, ctx, now);
  } else {
    return engine.inspect(bytes, ctx.iif, now);
  }
}

}  // namespace icmpwall::inspect
