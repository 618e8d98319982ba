#include "model/error.hpp"

namespace tmx {

int api_code(ec e) {
  switch (e) {
    case ec::none: return 0;
    case ec::invalid_params: return 40001;
    case ec::missing_script: return 40002;
    case ec::script_unavailable: return 40003;
    case ec::no_api_access: return 40301;
    case ec::not_found: return 40401;
    case ec::conflict: return 40901;
    case ec::internal: return 50001;
    case ec::unavailable: return 50301;
    case ec::unauthorized: return 40101;
  }
  return 50001;
}

int http_status(ec e) {
  switch (e) {
    case ec::none: return 200;
    case ec::invalid_params:
    case ec::missing_script:
    case ec::script_unavailable: return 400;
    case ec::no_api_access: return 403;
    case ec::not_found: return 404;
    case ec::conflict: return 409;
    case ec::internal: return 500;
    case ec::unavailable: return 503;
    case ec::unauthorized: return 401;
  }
  return 500;
}

} // namespace tmx
