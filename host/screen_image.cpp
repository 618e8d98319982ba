// Draws the screen of a simulated phone as a PNG: a colour per serial and
// the serial and caption in a built-in 5x7 pixel font, encoded with libpng.
#include "host/screen_image.hpp"

#include <png.h>

#include <cstdint>
#include <vector>

namespace tmx::host {

namespace {

// Rows top to bottom, bit 4 is the leftmost pixel. Lower case is drawn with
// the upper-case glyphs.
struct glyph {
  char c;
  uint8_t rows[7];
};

constexpr glyph font[] = {
  {' ', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
  {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
  {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
  {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
  {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
  {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
  {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
  {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
  {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
  {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
  {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
  {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
  {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
  {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}},
  {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
  {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}},
  {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
  {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}},
  {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
  {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
  {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
  {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
  {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
  {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}},
  {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
  {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
  {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
  {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}},
  {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
  {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
  {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
  {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
  {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
  {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}},
  {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
  {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}},
  {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
  {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}},
  {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F}},
  {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}},
  {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}},
  {'#', {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A}},
  {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
};
constexpr glyph unknown_glyph = // a box
  {'?', {0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F}};

constexpr int scale = 3;
constexpr int advance = 6 * scale;     // glyph plus one column of space
constexpr int line_height = 9 * scale; // glyph plus two rows of space
constexpr int margin = 4 * scale;
constexpr int columns = (sim_screen_width - 2 * margin) / advance;

const glyph& glyph_of(char c) {
  if (c >= 'a' && c <= 'z')
    c = static_cast<char>(c - 'a' + 'A');
  for (const auto& g : font)
    if (g.c == c)
      return g;
  return unknown_glyph;
}

struct rgb {
  uint8_t r, g, b;
};

// FNV-1a, so that a serial keeps its colour across runs and builds; each
// channel stays in 64..159, a mid tone on which white text reads well.
rgb colour_of(const std::string& serial) {
  uint32_t h = 2166136261u;
  for (unsigned char c : serial)
    h = (h ^ c) * 16777619u;
  auto channel = [](uint32_t v) { return static_cast<uint8_t>(64 + v % 96); };
  return {channel(h), channel(h >> 8), channel(h >> 16)};
}

struct canvas {
  std::vector<uint8_t> pixels = std::vector<uint8_t>(sim_screen_width
                                                     * sim_screen_height * 3);

  void fill(rgb c) {
    for (size_t i = 0; i < pixels.size(); i += 3) {
      pixels[i] = c.r;
      pixels[i + 1] = c.g;
      pixels[i + 2] = c.b;
    }
  }

  void draw(const glyph& g, int x0, int y0) {
    for (int row = 0; row < 7; ++row)
      for (int col = 0; col < 5; ++col)
        if (g.rows[row] & (0x10 >> col))
          for (int dy = 0; dy < scale; ++dy)
            for (int dx = 0; dx < scale; ++dx)
              set_white(x0 + col * scale + dx, y0 + row * scale + dy);
  }

  void set_white(int x, int y) {
    if (x < 0 || y < 0 || x >= sim_screen_width || y >= sim_screen_height)
      return;
    size_t i = (static_cast<size_t>(y) * sim_screen_width + x) * 3;
    pixels[i] = pixels[i + 1] = pixels[i + 2] = 255;
  }

  // Wraps at the right margin; returns the y below the text. What does not
  // fit above the bottom margin is clipped.
  int write(const std::string& text, int y) {
    int col = 0;
    for (char c : text) {
      if (col == columns) {
        col = 0;
        y += line_height;
        if (c == ' ')
          continue; // a wrapped line does not start with a blank
      }
      if (y + line_height > sim_screen_height - margin)
        break;
      draw(glyph_of(c), margin + col * advance, y);
      ++col;
    }
    return y + line_height;
  }
};

void append_to_string(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))
    ->append(reinterpret_cast<const char*>(data), length);
}

// Only plain data lives across setjmp here: libpng reports errors by
// longjmp, which would skip C++ destructors.
bool encode(const canvas& c, std::string& out) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr,
                                            nullptr, nullptr);
  if (!png)
    return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, &out, append_to_string, nullptr);
  png_set_IHDR(png, info, sim_screen_width, sim_screen_height, 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < sim_screen_height; ++y)
    png_write_row(png, c.pixels.data() + y * sim_screen_width * 3);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

} // namespace

std::string sim_screen_png(const std::string& serial,
                           const std::string& caption) {
  canvas c;
  c.fill(colour_of(serial));
  int y = c.write(serial, 2 * margin);
  c.write(caption, y + line_height);
  std::string out;
  out.reserve(16384);
  if (!encode(c, out))
    out.clear();
  return out;
}

} // namespace tmx::host
