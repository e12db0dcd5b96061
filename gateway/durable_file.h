#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace edgegw {

/// Replaces `path` with `content` so that, after a crash or a power cut at any moment, a reader
/// finds either the old file or the whole new one: written to `<path>.tmp` with `mode`, synced,
/// renamed over `path`, and the directory synced so the rename itself is on disk. Throws
/// std::runtime_error naming the file and the reason.
void write_file_durably(const std::filesystem::path& path, std::string_view content,
                        mode_t mode = 0644);

/// Renames `from` over `to` and syncs the directory, so the rename is on disk when it returns.
/// Throws std::runtime_error naming the files and the reason.
void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to);

/// The whole file. Throws std::runtime_error "cannot read <path>" when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace edgegw
