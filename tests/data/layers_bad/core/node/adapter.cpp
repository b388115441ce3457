// Fixture for unit_layering: the core reaching out to its Qt adapter.
#include "net/node_driver.hpp"
