// The store actor: a detached actor that owns the RocksDB store and
// serialises every read and write to it.
#pragma once

#include "actors/actors.hpp"
#include "storage/store.hpp"

#include <memory>

namespace tmx {

struct store_state {
  static inline const char* name = "store";
  std::shared_ptr<store> db;
};

store_actor::behavior_type
store_behavior(store_actor::stateful_pointer<store_state> self,
               std::shared_ptr<store> db);

} // namespace tmx
