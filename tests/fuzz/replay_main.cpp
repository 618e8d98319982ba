// The driver of a fuzz target outside libFuzzer (builds without TMX_FUZZ):
// runs LLVMFuzzerTestOneInput once on every file of the directories (or on
// the files) given, so that `ctest -R fuzz_replay` checks the seed corpus
// and every kept regression under gcc, ASan and UBSan alike. A directory
// that does not exist is skipped (a target may have no regression yet); no
// input at all is an error.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_of(const fs::path& arg) {
  std::error_code ec;
  if (fs::is_regular_file(arg, ec))
    return {arg};
  std::vector<fs::path> out;
  if (!fs::is_directory(arg, ec)) {
    std::cerr << "skipped " << arg.string() << ": no such directory\n";
    return out;
  }
  for (const auto& entry : fs::recursive_directory_iterator(arg))
    if (entry.is_regular_file())
      out.push_back(entry.path());
  return out;
}

} // namespace

int main(int argc, char** argv) {
  size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& path : inputs_of(argv[i])) {
      std::ifstream in(path, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        std::cerr << "cannot read " << path.string() << '\n';
        return 1;
      }
      // A heap copy of exactly the file's bytes, as libFuzzer passes it: a
      // read past the end is one ASan sees (and never a null pointer).
      std::unique_ptr<uint8_t[]> data(new uint8_t[bytes.size()]);
      std::copy(bytes.begin(), bytes.end(), data.get());
      LLVMFuzzerTestOneInput(data.get(), bytes.size());
      ++runs;
    }
  }
  std::cout << runs << " inputs replayed\n";
  if (runs == 0) {
    std::cerr << "no inputs found\n";
    return 1;
  }
  return 0;
}
