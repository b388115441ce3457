// Fixture for unit_layering: includes that point down, not reported.
#pragma once
#include <vector>
#include "core/crypto/hash.hpp"
#include "core/hs/descriptor.hpp"
#include "core/node/node.hpp"
