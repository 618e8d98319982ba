// The screen of a simulated phone: a PNG drawn from what the device is
// doing, so that screenshots work without hardware.
#pragma once

#include <string>

namespace tmx::host {

constexpr int sim_screen_width = 360;
constexpr int sim_screen_height = 640;

/// A PNG of sim_screen_width x sim_screen_height: a solid colour derived
/// from the serial, the serial and `caption` (e.g. "idle" or
/// "task 12 post") drawn on it in a built-in pixel font. Same size always.
std::string sim_screen_png(const std::string& serial,
                           const std::string& caption);

} // namespace tmx::host
