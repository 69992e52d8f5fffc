#include "client/client_main.hpp"

int main(int argc, char** argv) {
  return sccache::client_main(argc, argv);
}
