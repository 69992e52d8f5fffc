#include "sccache-dist/dist_main.hpp"

int main(int argc, char** argv) {
  return sccache::dist_main(argc, argv);
}
