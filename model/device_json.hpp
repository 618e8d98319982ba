// The contract's device and node objects as JSON (GET /device, GET /node,
// device.updated and node.* events).
#pragma once

#include "model/device.hpp"
#include "model/task_json.hpp"

#include <string>

namespace tmx {

void write_device(json_writer& w, const device_info& d);
void write_node(json_writer& w, const node_info& n);

/// The compact JSON text of one object.
std::string device_json(const device_info& d);
std::string node_json(const node_info& n);

} // namespace tmx
