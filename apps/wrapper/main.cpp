#include "wrapper/wrapper.hpp"

int main(int argc, char** argv) {
  return sccache::wrapper::wrapper_main(argc, argv);
}
