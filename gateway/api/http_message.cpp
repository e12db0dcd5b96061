#include "gateway/api/http_message.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

namespace edgegw::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::string_view> find_header(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  return find_header(headers, name);
}

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find_first_of("?#"));
}

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  return find_header(headers, name);
}

HttpResponse json_response(int status, std::string body) {
  return {.status = status,
          .content_type = std::string(kJsonContentType),
          .body = std::move(body),
          .headers = {}};
}

HttpResponse json_error(int status, std::string_view code, std::string_view message) {
  boost::json::object error;
  error["code"] = code;
  error["message"] = message;
  boost::json::object root;
  root["error"] = std::move(error);
  return json_response(status, boost::json::serialize(root));
}

bool is_json_content_type(std::string_view content_type) {
  // Media types are case-insensitive and may carry parameters such as charset=utf-8.
  return iequals(trim(content_type.substr(0, content_type.find(';'))), kJsonContentType);
}

}  // namespace edgegw::api
