// Fixture for unit_layering: crypto reaching up into the node.
#pragma once
#include "core/node/node.hpp"
#include "core/util/bytes.hpp"
