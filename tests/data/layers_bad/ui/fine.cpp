// Fixture for unit_layering: the UI on the adapters, not reported.
#include <QObject>
#include "net/node_driver.hpp"
