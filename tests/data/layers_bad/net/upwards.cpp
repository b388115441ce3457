// Fixture for unit_layering: the adapters reaching into the UI.
#include "core/util/bytes.hpp"
#include "ui/main_window.hpp"
