#pragma once

#include <pthread.h>

#include <string>

namespace edgegw {

/// Names the calling thread as `top -H`, `ps -L` and gdb show it. Linux keeps at most 15
/// bytes, so the name is cut there.
inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace edgegw
